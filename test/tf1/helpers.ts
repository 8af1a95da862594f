/**
 * @fileoverview Helpers for TF1's own unit tests ported to `.tfg` (test/tf1/): build a program,
 * read its bindings as Python's str() shows them, and run it on every backend — the reference
 * Session, the wasm Session on its generic path (the module compiled without signatures) and,
 * when the program declares signatures, the wasm Session through them — with the same names and
 * the same calls (session/run-common.ts holds the shared Session.run rules).
 */
import { compileProgram } from '../../compiler/driver.js';
import { formatDiagnostics } from '../../compiler/diagnostics/diagnostic.js';
import { type BuildResult, buildProgram } from '../../compiler/frontend/index.js';
import { pyStr } from '../../compiler/frontend/values.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import type { OpError } from '../../session/errors.js';
import type { Tensor } from '../../session/tensor.js';
import { loadModelSync } from '../../session/wasm/sync.js';

/** What the ported tests use of a Session, by names (`"x:0"` tensors, `"x"` operations). */
export interface Sess {
  run(fetches: unknown, feeds?: Record<string, unknown>): unknown;
  readVariable(name: string): Tensor;
  close(): void;
  /** wasm Sessions: how runs were executed. */
  stats?: { signatureCalls: number; genericRuns: number };
}

export type Backend = [name: string, make: () => Sess];

/** Build and demand success (the message shows the diagnostics otherwise). */
export function build(src: string, file = 'tf1.tfg'): BuildResult {
  const r = buildProgram(src, file, { print: () => {} });
  if (!r.ok) throw new Error(`build failed:\n${formatDiagnostics(r.diagnostics)}`);
  return r;
}

/** Python's str() of a top-level binding. */
export function str(r: BuildResult, name: string): string {
  const v = r.bindings.get(name);
  if (!v) throw new Error(`no binding '${name}'`);
  return pyStr(v);
}

/** The control inputs of a binding's op, or of a node by name (TF1's `x.op.control_inputs`). */
export function controlInputs(r: BuildResult, name: string): string[] {
  const v = r.bindings.get(name);
  const node = v?.kind === 'tensor' || v?.kind === 'op' ? v.node : v?.kind === 'variable' ? v.info.node : null;
  const n = node ?? r.defaultGraph.get(name);
  if (!n) throw new Error(`no binding or node '${name}'`);
  return n.controlInputs.map((c) => c.name);
}

/**
 * The backends a program runs on: the reference Session, the wasm generic path (compiled
 * without the program's signatures) and, when there are signatures, the wasm Session with them.
 */
export function backends(src: string, opts: { graph?: string; seed?: number } = {}): Backend[] {
  const r = build(src);
  const g = opts.graph === undefined ? r.defaultGraph : r.graphs.get(opts.graph)!;
  const seed = opts.seed ?? 1;
  const generic = loadModelSync(compileProgram({ ...r, signatures: [] }, { graph: opts.graph }).wasm as Uint8Array<ArrayBuffer>);
  const out: Backend[] = [
    ['reference', () => new ReferenceSession(g, { seed }) as unknown as Sess],
    ['wasm generic', () => generic.createSession({ seed }) as unknown as Sess],
  ];
  if (r.signatures.some((s) => s.graph === g)) {
    const withSigs = loadModelSync(compileProgram(r, { graph: opts.graph }).wasm as Uint8Array<ArrayBuffer>);
    out.push(['wasm signatures', () => withSigs.createSession({ seed }) as unknown as Sess]);
  }
  return out;
}

/** The error `fn` throws (a failing placeholder Error when it throws none). */
export function catchErr(fn: () => unknown): Error & Partial<OpError> {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return new Error('expected an error, none was thrown');
}

export const values = (x: unknown): number[] => Array.from((x as Tensor).data);
export const nested = (x: unknown): unknown => (x as Tensor).toNested();
