/**
 * @fileoverview The core of the run-time shape rules (session/shapes.ts): concrete broadcasting,
 * matmul and reshape, with TF1's InvalidArgumentError and words, and `located`. Its own module
 * because the loader's fast path checks these (session/wasm/errors.ts) while the other rules
 * (axes, slices, concat, stack) serve only the run-time-shape path, which the loader bundle
 * fetches as a chunk of its own. Everything here is re-exported by shapes.ts.
 */
import { InvalidArgumentError, type OpError, type SourceLocation } from './errors.js';

/** `[2,3]`, as TF1 prints concrete shapes in run-time errors. */
export function fmtShape(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

/** Broadcasting of concrete shapes; null on mismatch. */
export function broadcastConcrete(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else return null;
  }
  return out;
}

/** Broadcast two concrete shapes, or TF1's `Incompatible shapes: [a] vs. [b]`. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const out = broadcastConcrete(a, b);
  if (!out) throw new InvalidArgumentError(`Incompatible shapes: ${fmtShape(a)} vs. ${fmtShape(b)}`);
  return out;
}

/**
 * The output shape of MatMul / BatchMatMul on concrete shapes, or TF1's error: rank, batch
 * dims, and `Matrix size-incompatible: In[0]: [..], In[1]: [..]` (rank 2) /
 * `In[0] mismatch In[1] shape: k vs. kb: [..] [..] ta tb` (batched).
 */
export function matmulShape(a: readonly number[], b: readonly number[], ta: boolean, tb: boolean): number[] {
  const rank = a.length;
  if (rank < 2 || b.length !== rank) {
    if (rank === 2 || b.length === 2 || rank < 2)
      throw new InvalidArgumentError(`In[${rank === 2 ? 1 : 0}] is not a matrix. Instead it has shape ${fmtShape(rank === 2 ? b : a)}`);
    throw new InvalidArgumentError(`In[0] and In[1] has different ndims: ${fmtShape(a)} vs. ${fmtShape(b)}`);
  }
  const m = ta ? a[rank - 1] : a[rank - 2];
  const k = ta ? a[rank - 2] : a[rank - 1];
  const kb = tb ? b[rank - 1] : b[rank - 2];
  const n = tb ? b[rank - 2] : b[rank - 1];
  const batch = a.slice(0, rank - 2);
  if (rank === 2) {
    if (k !== kb) throw new InvalidArgumentError(`Matrix size-incompatible: In[0]: ${fmtShape(a)}, In[1]: ${fmtShape(b)}`);
  } else {
    if (batch.some((d, i) => d !== b[i]))
      throw new InvalidArgumentError(`In[0] and In[1] must have compatible batch dimensions: ${fmtShape(a)} vs. ${fmtShape(b)}`);
    if (k !== kb) throw new InvalidArgumentError(`In[0] mismatch In[1] shape: ${k} vs. ${kb}: ${fmtShape(a)} ${fmtShape(b)} ${ta ? 1 : 0} ${tb ? 1 : 0}`);
  }
  return [...batch, m, n];
}

/** The shape a reshape of `size` elements to `target` (one -1 allowed) gives, or TF1's error. */
export function reshapeShape(size: number, target: readonly number[]): number[] {
  const known = target.filter((d) => d !== -1).reduce((x, y) => x * y, 1);
  if (target.includes(-1)) {
    if (known === 0)
      throw new InvalidArgumentError('Reshape cannot infer the missing input size for an empty tensor unless all specified input sizes are non-zero');
    if (size % known !== 0)
      throw new InvalidArgumentError(`Input to reshape is a tensor with ${size} values, but the requested shape requires a multiple of ${known}`);
    return target.map((d) => (d === -1 ? size / known : d));
  }
  if (known !== size) throw new InvalidArgumentError(`Input to reshape is a tensor with ${size} values, but the requested shape has ${known}`);
  return [...target];
}

/** `g` summed down to `like` (the gradient of a broadcast) must be possible, or TF1's error. */
export function checkSumTo(g: readonly number[], like: readonly number[]): void {
  const b = broadcastConcrete(like, g);
  if (!b || b.length !== g.length || b.some((d, i) => d !== g[i]))
    throw new InvalidArgumentError(`Incompatible shapes: cannot sum ${fmtShape(g)} down to ${fmtShape(like)}`);
}

/** The same error, at a node (name and `.tfg` location). */
export function located<E extends OpError>(e: E, node: string | null, location: SourceLocation | null): E {
  if (e.nodeName === node && e.location === location) return e;
  const C = e.constructor as new (m: string, n: string | null, l: SourceLocation | null) => E;
  return new C(e.tfMessage, node, location);
}
