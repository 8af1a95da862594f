/**
 * @fileoverview Shared plumbing of the sample scripts: find a sample `.tfg` file from the
 * compiled script (dist/samples/*.js) or the source tree, build it with `buildProgram`
 * (construction errors printed with code frames), and read top-level bindings as nodes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostics } from '../compiler/diagnostics/diagnostic.js';
import { type BuildResult, type Value, buildProgram } from '../compiler/frontend/index.js';
import type { Node } from '../compiler/ir/graph.js';

/** Absolute path of `samples/<name>` in the repository. */
export function samplePath(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the sample script');
    dir = up;
  }
  return resolve(dir, 'samples', name);
}

/** Build a sample program; throws with the formatted diagnostics when it fails. */
export function buildSample(name: string): BuildResult {
  const path = samplePath(name);
  const r = buildProgram(readFileSync(path, 'utf8'), path);
  if (!r.ok) throw new Error(`${name} failed to build:\n${formatDiagnostics(r.diagnostics)}`);
  return r;
}

/** The node a top-level binding (or an entry of a dict binding) stands for. */
export function nodeOf(r: BuildResult, name: string, key?: string): Node {
  let v: Value | undefined = r.bindings.get(name);
  if (v && key !== undefined) {
    if (v.kind !== 'dict') throw new Error(`${name} is not a dict`);
    v = [...v.map.values()].find((e) => e.key.kind === 'str' && e.key.value === key)?.value;
  }
  if (!v) throw new Error(`no binding ${name}${key ? `["${key}"]` : ''}`);
  if (v.kind === 'tensor' || v.kind === 'op') return v.node;
  if (v.kind === 'variable') return v.info.node;
  throw new Error(`${name} is a ${v.kind}, not a tensor, variable or op`);
}

/** True when this module is the script node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(url);
}
