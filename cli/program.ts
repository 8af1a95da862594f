/**
 * @fileoverview Loading a `.tfg` program for the CLI: read the file, run the parser and the
 * construction-phase evaluator (`buildProgram`), and pick a graph by name. Also the options
 * that raise the compiler's limits (`--max-steps`, ...: one per entry of
 * compiler/diagnostics/limits.ts), for the commands that build programs.
 */
import { didYouMean } from '../compiler/diagnostics/suggest.js';
import { readFileSync } from 'node:fs';
import { type BuildOptions, type BuildResult, buildProgram } from '../compiler/frontend/index.js';
import type { Limits } from '../compiler/diagnostics/limits.js';
import type { Graph } from '../compiler/ir/graph.js';
import { CliError } from './io.js';

export type { BuildResult };

/** Read a source file, or fail with a one-line CliError. */
export function readSource(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read '${file}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Read and build a program. Diagnostics are in the result (`ok` false on errors). */
export function loadProgram(file: string, limits: Partial<Limits> = {}, options: Omit<BuildOptions, 'limits'> = {}): BuildResult {
  return buildProgram(readSource(file), file, { ...options, limits });
}

/** Every graph of a program, the default one first, each once. */
export function allGraphs(r: BuildResult): Graph[] {
  const out: Graph[] = [r.defaultGraph];
  for (const g of r.graphs.values()) if (!out.includes(g)) out.push(g);
  return out;
}

/** The graph called `name` (`--graph`), or the default graph. */
export function selectGraph(r: BuildResult, name?: string): Graph {
  if (name === undefined) return r.defaultGraph;
  const g = r.graphs.get(name) ?? allGraphs(r).find((x) => x.name === name);
  if (!g) {
    const names = allGraphs(r).map((x) => x.name);
    throw new CliError(`no graph named '${name}'${didYouMean(name, names, 'plain')} (graphs: ${names.join(', ')})`);
  }
  return g;
}
