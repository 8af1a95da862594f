/**
 * @fileoverview `tfg graph FILE [--graph G] [--format text|dot|svg]`: print a graph's IR, one
 * node per line (compiler/ir/printer.ts), as Graphviz DOT with name scopes as clusters
 * (compiler/ir/dot.ts), or as SVG by piping the DOT through Graphviz's `dot` when installed.
 */
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { graphToDot } from '../compiler/ir/dot.js';
import { printGraph } from '../compiler/ir/printer.js';
import { CliError, type Io, processIo, renderError, reportDiagnostics } from './io.js';
import { loadProgram, selectGraph } from './program.js';

export type GraphFormat = 'text' | 'dot' | 'svg';

export interface GraphOptions {
  graph?: string;
  format?: string;
}

/** SVG from DOT text with Graphviz's `dot -Tsvg`; a clear CliError when it is not installed. */
export function dotToSvg(dot: string): string {
  const r = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError("--format svg needs Graphviz's 'dot' on the PATH (install graphviz, e.g. apt-get install graphviz), or use --format dot");
    throw new CliError(`running Graphviz 'dot' failed: ${r.error.message}`);
  }
  if (r.status !== 0) throw new CliError(`Graphviz 'dot' failed (exit ${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

export function runGraph(file: string, opts: GraphOptions, io: Io = processIo): number {
  try {
    const format = (opts.format ?? 'text') as GraphFormat;
    if (!['text', 'dot', 'svg'].includes(format)) throw new CliError(`unknown --format '${opts.format}' (expected text, dot or svg)`);
    const r = loadProgram(file);
    if (reportDiagnostics(r.diagnostics, io) || !r.ok) return 1;
    const g = selectGraph(r, opts.graph);
    if (format === 'text') io.out(printGraph(g));
    else if (format === 'dot') io.out(graphToDot(g));
    else io.out(dotToSvg(graphToDot(g)));
    return 0;
  } catch (e) {
    io.err(renderError(e, [], io.color));
    return 1;
  }
}

export function registerGraphCommand(program: Command, io: Io = processIo): Command {
  return program
    .command('graph')
    .description('print a graph of a .tfg program: IR text (one node per line), DOT or SVG')
    .argument('<file>', 'the .tfg program')
    .option('--graph <name>', 'which graph (default: the default graph)')
    .option('--format <format>', 'text, dot or svg (svg needs Graphviz dot)', 'text')
    .action((file: string, opts: GraphOptions) => {
      process.exitCode = runGraph(file, opts, io);
    });
}
