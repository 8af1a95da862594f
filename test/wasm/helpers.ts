/**
 * @fileoverview Helpers for the wasm backend tests: compile a graph with signatures, load it,
 * compare tensors against the reference Session within a per-dtype tolerance, and a seeded PRNG.
 *
 * Tolerances (stated once, used by every differential test): f32 |a − b| ≤ 2e-4·(1 + |b|),
 * f64 |a − b| ≤ 1e-9·(1 + |b|) (reductions and matmul sum in a different order than the
 * reference; elementwise ops are bit-exact); i32/bool exact; NaN equals NaN.
 */
import { SourceFile, span } from '../../compiler/diagnostics/span.js';
import { compileGraph } from '../../compiler/driver.js';
import type { Signature } from '../../compiler/frontend/index.js';
import type { Graph, Node } from '../../compiler/ir/graph.js';
import { type Model } from '../../session/wasm/model.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import type { Tensor } from '../../session/tensor.js';

export const TOL = { f32: 2e-4, f64: 1e-9 } as const;

const src = new SourceFile('gen.tfg', 'generated\n');
export const SPAN = span(src, 0, 9);

export function sig(graph: Graph, name: string, feeds: Node[], fetches: Node[] | Node): Signature {
  return { name, graph, feeds, fetches, span: SPAN } as Signature;
}

export function compileAndLoad(graph: Graph, sigs: Signature[], fuse: boolean, generic = false, optimize = true): { model: Model; kernels: number[] } {
  const c = compileGraph(graph, sigs, { fuse, generic, optimize });
  return { model: loadModelSync(c.wasm as Uint8Array<ArrayBuffer>), kernels: c.kernelCounts };
}

/** Mismatch description, or null when equal within tolerance. */
export function compareTensors(got: Tensor | null, want: Tensor | null): string | null {
  if (want === null || got === null) return got === want ? null : `got ${String(got)} want ${String(want)}`;
  if (got.dtype !== want.dtype) return `dtype ${got.dtype} vs ${want.dtype}`;
  if (got.shape.join(',') !== want.shape.join(',')) return `shape [${got.shape}] vs [${want.shape}]`;
  const tol = got.dtype === 'f32' ? TOL.f32 : got.dtype === 'f64' ? TOL.f64 : 0;
  for (let i = 0; i < want.size; i++) {
    const a = got.data[i];
    const b = want.data[i];
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue;
    if (!(Math.abs(a - b) <= tol * (1 + Math.abs(b)))) return `element ${i}: got ${a} want ${b}`;
  }
  return null;
}

/** The seeded test generator (mulberry32, floats in [0, 1)): one copy, in session/random.ts. */
import { mulberry32 as rng } from '../../session/random.js';
export { rng };
