/**
 * @fileoverview Emit: a built program (compiler/frontend's BuildResult) → one self-contained
 * `.wasm` (custom sections `tfg.manifest` = the JSON manifest, `tfg.consts` = constant bytes,
 * `tfg.runtime` = the AssemblyScript runtime) and the manifest object. Every module is validated
 * before it is optimised and again before it is emitted. `writeCompiled` also writes
 * `<name>.wasm` and `<name>.manifest.json` (the same manifest, for reading) into a directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readRuntimeWasm } from '../../runtime-as/node.js';
import { CONSTS_SECTION, MANIFEST_SECTION, type Manifest } from '../../session/wasm/manifest.js';
import { RUNTIME_SECTION } from '../../runtime-as/abi.js';
import { CompileError, error } from '../diagnostics/diagnostic.js';
import type { BuildResult } from '../frontend/index.js';
import type { Graph } from '../ir/graph.js';
import { buildModel } from '../codegen/program.js';

export interface CompileOptions {
  /** Which graph (default: the default graph). */
  graph?: string;
  /** Fuse kernels in signature plans (default true; false = one kernel per node). */
  fuse?: boolean;
  /** Run binaryen's -O3 (default true). */
  optimize?: boolean;
  /** Vectorise loops (default true). */
  simd?: boolean;
  /** Also build the generic whole-graph plan for other fetch/feed combinations (default true). */
  generic?: boolean;
  /** Embed the runtime in `tfg.runtime` (default true). */
  embedRuntime?: boolean;
}

export interface CompiledProgram {
  wasm: Uint8Array;
  manifest: Manifest;
  /** Kernels per plan (signatures in order, then the generic plan). */
  kernelCounts: number[];
  /** Text of the module (binaryen's printer), only when asked for. */
  text?: string;
}

export function selectGraphOf(result: BuildResult, name?: string): Graph {
  if (name === undefined || name === result.defaultGraph.name) return result.defaultGraph;
  const g = result.graphs.get(name);
  if (!g) throw new CompileError(error(4003, `no graph named '${name}' (graphs: ${[result.defaultGraph.name, ...result.graphs.keys()].join(', ')})`, null));
  return g;
}

export function compileGraph(graph: Graph, signatures: BuildResult['signatures'], opts: CompileOptions & { text?: boolean } = {}): CompiledProgram {
  const built = buildModel(graph, signatures.filter((s) => s.graph === graph), { fuse: opts.fuse, simd: opts.simd, generic: opts.generic });
  const m = built.module;
  try {
    m.validate();
    if (opts.optimize !== false) {
      m.optimize();
      m.validate();
    }
    const manifest = built.manifest;
    if (opts.embedRuntime !== false) {
      m.addCustomSection(RUNTIME_SECTION, readRuntimeWasm());
      manifest.runtimeEmbedded = true;
    }
    m.addCustomSection(CONSTS_SECTION, built.consts);
    m.addCustomSection(MANIFEST_SECTION, new TextEncoder().encode(JSON.stringify(manifest)));
    const wasm = m.emitBinary();
    return { wasm, manifest, kernelCounts: built.kernelCounts, ...(opts.text ? { text: m.emitText() } : {}) };
  } finally {
    m.dispose();
  }
}

export function compileProgram(result: BuildResult, opts: CompileOptions = {}): CompiledProgram {
  if (!result.ok) throw new CompileError(result.diagnostics.filter((d) => d.severity === 'error'));
  return compileGraph(selectGraphOf(result, opts.graph), result.signatures, opts);
}

/** Write `<dir>/<stem>.wasm` and `<dir>/<stem>.manifest.json`; returns the paths. */
export function writeCompiled(c: CompiledProgram, dir: string, sourceFile: string): { wasm: string; manifest: string } {
  mkdirSync(dir, { recursive: true });
  const stem = basename(sourceFile).replace(/\.tfg$/, '');
  const wasm = join(dir, `${stem}.wasm`);
  const manifest = join(dir, `${stem}.manifest.json`);
  writeFileSync(wasm, c.wasm);
  writeFileSync(manifest, JSON.stringify(c.manifest, null, 2) + '\n');
  return { wasm, manifest };
}
