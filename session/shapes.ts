/**
 * @fileoverview The run-time shape rules of the run-time contract, defined once: concrete
 * broadcasting, matmul and reshape, each raising TF1's InvalidArgumentError with TF1's words.
 * The reference interpreter's ops (compiler/ops) and the wasm loader's run-time checks
 * (session/wasm/errors.ts) both call these, so the two backends cannot word an error apart.
 * The errors carry no node: the caller locates them (`located`).
 */
import { InvalidArgumentError } from './errors.js';
import { fmtShape } from './shape-core.js';

// The core rules (broadcast, matmul, reshape, located) live in shape-core.ts.
export * from './shape-core.js';

/** An error class the axis rules raise: InvalidArgumentError at run time, the compiler's ShapeError when a graph is built. */
export type ShapeErrorClass = new (message: string) => Error;

/** `axis` in [-rank, rank), normalized, or TF1's error (softmax, argmax, ...). */
export function axisOf(axis: number, rank: number, Err: ShapeErrorClass, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Err(`${what === 'axis' ? 'Expected axis' : what} to be in the range [${-rank}, ${rank}), but got ${axis}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** The normalized, sorted reduced axes (null: all of them), or TF1's `Invalid reduction dimension`. */
export function reductionAxes(axes: readonly number[] | null, rank: number, Err: ShapeErrorClass): number[] {
  if (axes === null) return Array.from({ length: rank }, (_, i) => i);
  const set = new Set<number>();
  for (const a of axes) {
    if (!Number.isInteger(a) || a < -rank || a >= rank) throw new Err(`Invalid reduction dimension ${a} for input with ${rank} dimensions`);
    set.add(a < 0 ? a + rank : a);
  }
  return [...set].sort((x, y) => x - y);
}

/** expand_dims's axis in [-rank-1, rank], normalized, or TF1's error. */
export function expandAxis(axis: number, rank: number, Err: ShapeErrorClass): number {
  if (!Number.isInteger(axis) || axis < -rank - 1 || axis > rank) throw new Err(`Tried to expand dim index ${axis} for tensor with ${rank} dimensions.`);
  return axis < 0 ? axis + rank + 1 : axis;
}

/** squeeze's dims to drop (each must be 1 where known), or TF1's error. */
export function squeezeAxes(axes: readonly number[], s: readonly (number | null)[], Err: ShapeErrorClass): Set<number> {
  const drop = new Set<number>();
  for (const a of axes) {
    if (!Number.isInteger(a) || a < -s.length || a >= s.length) throw new Err(`Tried to squeeze dim index ${a} for tensor with ${s.length} dimensions.`);
    const i = a < 0 ? a + s.length : a;
    if (s[i] !== null && s[i] !== 1) throw new Err(`Can not squeeze dim[${i}], expected a dimension of 1, got ${s[i]}`);
    drop.add(i);
  }
  return drop;
}

/** transpose's permutation (null: the dims reversed), or TF1's error. */
export function permutation(perm: readonly number[] | null, rank: number, Err: ShapeErrorClass): number[] {
  const p = perm ? [...perm] : Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (p.length !== rank) throw new Err(`Dimension must be ${rank} but is ${p.length}`);
  const seen = new Set<number>();
  for (const x of p) {
    if (!Number.isInteger(x) || x < 0 || x >= rank) throw new Err(`${x} is out of range [0 .. ${rank})`);
    seen.add(x);
  }
  for (let i = 0; i < rank; i++) if (!seen.has(i)) throw new Err(`${i} is missing from {${p.join(',')}}.`);
  return p;
}

/** add_n's inputs must have one shape, or TF1's error. */
export function checkSameShapes(shapes: readonly (readonly number[])[]): void {
  const s0 = shapes[0];
  for (let i = 1; i < shapes.length; i++) {
    const s = shapes[i];
    if (s.length !== s0.length || s.some((d, j) => d !== s0[j]))
      throw new InvalidArgumentError(
        `Inputs to operation AddN of type AddN must have the same size and shape.  Input 0: ${fmtShape(s0)} != input ${i}: ${fmtShape(s)}`,
      );
  }
}

/** The index of reshape's one -1 entry (-1: none), or TF1's error for a bad target. */
export function reshapeUnknown(target: readonly number[], Err: ShapeErrorClass): number {
  let unknown = -1;
  target.forEach((d, i) => {
    if (d === -1) {
      if (unknown >= 0) throw new Err(`Only one input size may be -1, not both ${unknown} and ${i}`);
      unknown = i;
    } else if (!Number.isInteger(d) || d < 0) throw new Err(`Size ${i} must be non-negative, not ${d}`);
  });
  return unknown;
}

/** One entry of a strided_slice index (Python basic indexing). */
export type IndexItem = number | 'newaxis' | { start: number | null; stop: number | null; step: number | null };

/** A strided slice over a shape: per output dim its size (null if unknown statically) with the input axis, start and step; fixed integer indices. */
export interface SlicePlan {
  dims: { size: number | null; axis: number; start: number; step: number }[];
  /** Fixed integer indices: input axis → index (normalized when the dim is known). */
  fixed: { axis: number; index: number }[];
}

/** Python's slice.indices(n) → [start, count]. */
function sliceRange(start: number | null, stop: number | null, step: number, n: number): [number, number] {
  let lo: number;
  let hi: number;
  if (step > 0) {
    lo = start === null ? 0 : start < 0 ? Math.max(start + n, 0) : Math.min(start, n);
    hi = stop === null ? n : stop < 0 ? Math.max(stop + n, 0) : Math.min(stop, n);
    return [lo, Math.max(0, Math.ceil((hi - lo) / step))];
  }
  lo = start === null ? n - 1 : start < 0 ? Math.max(start + n, -1) : Math.min(start, n - 1);
  hi = stop === null ? -1 : stop < 0 ? Math.max(stop + n, -1) : Math.min(stop, n - 1);
  return [lo, Math.max(0, Math.ceil((hi - lo) / step))];
}

/**
 * Plan a strided slice over a shape (dims may be null statically). `Err` picks ShapeError at
 * construction, InvalidArgumentError at run time.
 */
export function planSlice(items: IndexItem[], shape: readonly (number | null)[], Err: ShapeErrorClass): SlicePlan {
  const consumed = items.filter((e) => e !== 'newaxis').length;
  if (consumed > shape.length) throw new Err(`Index out of range using input dim ${shape.length}; input has only ${shape.length} dims`);
  const plan: SlicePlan = { dims: [], fixed: [] };
  let axis = 0;
  items.forEach((e, k) => {
    if (e === 'newaxis') {
      plan.dims.push({ size: 1, axis: -1, start: 0, step: 0 });
      return;
    }
    const n = shape[axis];
    if (typeof e === 'number') {
      if (!Number.isInteger(e)) throw new Err(`slice index ${e} of dimension ${axis} is not an integer`);
      if (n !== null && (e < -n || e >= n)) throw new Err(`slice index ${e} of dimension ${axis} out of bounds.`);
      plan.fixed.push({ axis, index: n !== null && e < 0 ? e + n : e });
    } else {
      const step = e.step ?? 1;
      if (step === 0) throw new Err(`strides[${k}] must be non-zero`);
      if (n === null) plan.dims.push({ size: null, axis, start: 0, step });
      else {
        const [start, count] = sliceRange(e.start, e.stop, step, n);
        plan.dims.push({ size: count, axis, start, step });
      }
    }
    axis++;
  });
  for (; axis < shape.length; axis++) plan.dims.push({ size: shape[axis], axis, start: 0, step: 1 });
  return plan;
}

/** slice's output shape from begin and size (-1: to the end), or TF1's error. */
export function sliceShape(s: readonly (number | null)[], begin: readonly number[], size: readonly number[], Err: ShapeErrorClass): (number | null)[] {
  if (begin.length !== s.length || size.length !== s.length) {
    throw new Err(`Expected begin and size arguments to be 1-D tensors of size ${s.length}, but got shapes [${begin.length}] and [${size.length}] instead.`);
  }
  return s.map((d, i) => {
    const b = begin[i];
    if (!Number.isInteger(b) || b < 0 || (d !== null && b > d)) throw new Err(`Expected begin[${i}] in [0, ${d ?? '?'}], but got ${b}`);
    if (size[i] === -1) return d === null ? null : d - b;
    if (!Number.isInteger(size[i]) || size[i] < 0 || (d !== null && b + size[i] > d))
      throw new Err(`Expected size[${i}] in [0, ${d === null ? '?' : d - b}], but got ${size[i]}`);
    return size[i];
  });
}

/** A shape tensor's value, which must be a vector, or TF1's error (`sizes input must be 1-D, not [2,2]`). */
export function vectorValue(shape: readonly number[], data: ArrayLike<number>, what: string): number[] {
  if (shape.length !== 1) throw new InvalidArgumentError(`${what} must be 1-D, not ${fmtShape(shape)}`);
  return Array.from(data);
}

/** concat's axis, normalized, and its input shapes checked against the first, or TF1's errors; the output shape. */
export function concatShape(shapes: readonly (readonly number[])[], axis: number): { axis: number; shape: number[] } {
  const s0 = shapes[0];
  const rank = s0.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    throw new InvalidArgumentError(`ConcatOp : Expected concatenating dimensions in the range [${-rank}, ${rank}), but got ${axis}`);
  const a = axis < 0 ? axis + rank : axis;
  for (let i = 1; i < shapes.length; i++) {
    const s = shapes[i];
    if (s.length !== rank)
      throw new InvalidArgumentError(`ConcatOp : Ranks of all input tensors should match: shape[0] = ${fmtShape(s0)} vs. shape[${i}] = ${fmtShape(s)}`);
    if (s.some((d, j) => j !== a && d !== s0[j]))
      throw new InvalidArgumentError(`ConcatOp : Dimensions of inputs should match: shape[0] = ${fmtShape(s0)} vs. shape[${i}] = ${fmtShape(s)}`);
  }
  const shape = [...s0];
  shape[a] = shapes.reduce((k, s) => k + s[a], 0);
  return { axis: a, shape };
}

/** stack's axis, normalized, with every input of one shape, or TF1's errors; the output shape. */
export function stackShape(shapes: readonly (readonly number[])[], axis: number): { axis: number; shape: number[] } {
  const s0 = shapes[0];
  const rank = s0.length;
  if (!Number.isInteger(axis) || axis < -rank - 1 || axis > rank) throw new InvalidArgumentError(`axis = ${axis} not in [${-rank - 1}, ${rank + 1})`);
  const a = axis < 0 ? axis + rank + 1 : axis;
  for (let i = 1; i < shapes.length; i++) {
    const s = shapes[i];
    if (s.length !== rank || s.some((d, j) => d !== s0[j]))
      throw new InvalidArgumentError(`Shapes of all inputs must match: values[0].shape = ${fmtShape(s0)} != values[${i}].shape = ${fmtShape(s)}`);
  }
  return { axis: a, shape: [...s0.slice(0, a), shapes.length, ...s0.slice(a)] };
}
