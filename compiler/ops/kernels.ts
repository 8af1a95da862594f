/**
 * @fileoverview Shared pieces of the op families: dtype checks with TF1's wording, static
 * shape helpers, and the reference kernels written once (broadcast iteration with strides,
 * reductions over axes, outer×axis×inner splitting). Family files build their OpDefs on these.
 */
import { type AnyTypedArray, type DType, allocArray, pyDTypeName } from '../../session/dtype.js';
import { InvalidArgumentError } from '../../session/errors.js';
import { Tensor, sizeOf, stridesOf } from '../../session/tensor.js';
import { axisOf as axisOfRule, reductionAxes as reductionAxesRule } from '../../session/shapes.js';
import type { AttrValue, Attrs } from '../ir/graph.js';
import { type Shape, ShapeError, broadcastConcrete, formatShape } from '../ir/shape.js';
import type { Poly } from '../ir/sym.js';
import { OpTypeError, type TensorSig } from './def.js';

export const ALL: readonly DType[] = ['f32', 'f64', 'i32', 'bool'];
export const NUMERIC: readonly DType[] = ['f32', 'f64', 'i32'];
export const FLOAT: readonly DType[] = ['f32', 'f64'];
export const INT: readonly DType[] = ['i32'];
export const BOOL: readonly DType[] = ['bool'];

// ---------------------------------------------------------------- dtype checks

/** TF1's check of an input against an op's allowed list. */
export function checkDType(param: string, d: DType, allowed: readonly DType[]): void {
  if (!allowed.includes(d)) {
    throw new OpTypeError(
      `Value passed to parameter '${param}' has DataType ${pyDTypeName(d)} not in list of allowed values: ${allowed.map(pyDTypeName).join(', ')}`,
    );
  }
}

/** TF1's check that inputs sharing a type attribute agree: `Input 'y' of 'Add' Op has type ...`. */
export function checkSameDType(tfType: string, sigs: readonly TensorSig[], names: readonly string[], first = 0, refFirst = false): void {
  const base = sigs[first].dtype;
  for (let i = first + 1; i < sigs.length; i++) {
    if (sigs[i].dtype !== base) {
      throw new OpTypeError(
        `Input '${names[i] ?? names[names.length - 1]}' of '${tfType}' Op has type ${pyDTypeName(sigs[i].dtype)} that does not match type ${pyDTypeName(base)}${refFirst ? '_ref' : ''} of argument '${names[first]}'.`,
      );
    }
  }
}

export function checkArity(tfType: string, sigs: readonly TensorSig[], n: number | [number, number]): void {
  const [lo, hi] = typeof n === 'number' ? [n, n] : n;
  if (sigs.length < lo || sigs.length > hi) {
    throw new OpTypeError(
      `${tfType} takes ${lo === hi ? lo : hi === Infinity ? `at least ${lo}` : `${lo} to ${hi}`} input${hi === 1 ? '' : 's'}, got ${sigs.length}`,
    );
  }
}

// ---------------------------------------------------------------- attrs

export function attrNum(attrs: Attrs, key: string, dflt?: number): number {
  const v = attrs[key];
  if (v === undefined || v === null) {
    if (dflt !== undefined) return dflt;
    throw new OpTypeError(`missing attribute '${key}'`);
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number') throw new OpTypeError(`attribute '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function attrBool(attrs: Attrs, key: string, dflt: boolean): boolean {
  const v = attrs[key];
  if (v === undefined || v === null) return dflt;
  return Boolean(v);
}

export function attrNums(attrs: Attrs, key: string): number[] | null {
  const v = attrs[key];
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number'))
    throw new OpTypeError(`attribute '${key}' must be a list of numbers, got ${JSON.stringify(v)}`);
  return v as number[];
}

export function attrDType(attrs: Attrs, key = 'dtype', dflt?: DType): DType {
  const v: AttrValue | undefined = attrs[key];
  if (v === undefined || v === null) {
    if (dflt) return dflt;
    throw new OpTypeError(`missing attribute '${key}'`);
  }
  if (v !== 'f32' && v !== 'f64' && v !== 'i32' && v !== 'bool') throw new OpTypeError(`attribute '${key}' is not a dtype: ${JSON.stringify(v)}`);
  return v;
}

// ---------------------------------------------------------------- shapes

export function fmt(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Static rank check with TF1's wording. */
export function checkRank(s: Shape, rank: number): void {
  if (s !== null && s.length !== rank) throw new ShapeError(`Shape must be rank ${rank} but is rank ${s.length}`);
}

export function checkRankAtLeast(s: Shape, rank: number): void {
  if (s !== null && s.length < rank) throw new ShapeError(`Shape must be at least rank ${rank} but is rank ${s.length}`);
}

/** TF1's merge of two dims that must be equal. */
export function mergeDim(a: number | null, b: number | null): number | null {
  if (a !== null && b !== null && a !== b) throw new ShapeError(`Dimensions must be equal, but are ${a} and ${b}`);
  return a ?? b;
}

/** TF1's merge of two shapes that must be equal (Assign, AddN, ...). */
export function mergeShapesStrict(a: Shape, b: Shape): Shape {
  if (a === null) return b;
  if (b === null) return a;
  if (a.length !== b.length) throw new ShapeError(`Shapes must be equal rank, but are ${a.length} and ${b.length}`);
  return a.map((d, i) => {
    const e = b[i];
    if (d !== null && e !== null && d !== e)
      throw new ShapeError(`Dimension ${i} in both shapes must be equal, but are ${d} and ${e}. Shapes are ${formatShape(a)} and ${formatShape(b)}.`);
    return d ?? e;
  });
}

/** Normalize an axis for a tensor of rank `rank` (axis in [-rank, rank)), TF1 wording. */
export function axisOf(axis: number, rank: number, what = 'axis'): number {
  return axisOfRule(axis, rank, ShapeError, what);
}

// ---------------------------------------------------------------- run-time helpers

/** Run-time broadcasting with TF's error. */
export function broadcastRuntime(a: readonly number[], b: readonly number[]): number[] {
  const out = broadcastConcrete(a, b);
  if (!out) throw new InvalidArgumentError(`Incompatible shapes: ${fmt(a)} vs. ${fmt(b)}`);
  return out;
}

/** Strides of `inShape` aligned to `outShape` (right-aligned), 0 on broadcast dims. */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const st = stridesOf(inShape);
  const off = outShape.length - inShape.length;
  const out = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < inShape.length; i++) if (inShape[i] !== 1) out[i + off] = st[i];
  return out;
}

/**
 * Visit every element of `outShape` in row-major order, passing the output flat index and
 * each input's flat offset (inputs given by their aligned strides). A row at a time (forEachRow).
 */
export function forEachStrided(
  outShape: readonly number[],
  strides: readonly (readonly number[])[],
  fn: (o: number, offs: Int32Array | number[]) => void,
): void {
  const k = strides.length;
  const at = new Array<number>(k).fill(0);
  forEachRow(outShape, strides, (o, offs, inner, steps) => {
    for (let j = 0; j < k; j++) at[j] = offs[j];
    for (let i = 0; i < inner; i++) {
      fn(o + i, at);
      for (let j = 0; j < k; j++) at[j] += steps[j];
    }
  });
}

/**
 * Visit `outShape` in row-major order a row at a time: `fn(o, offs, inner, steps)` for each run of
 * `inner` consecutive outputs from flat index o, where input j starts at offs[j] and steps by
 * steps[j]. Size-1 dimensions are dropped and a dimension is merged into the one before it when
 * every input steps over both as over one, so the rows are as long as the strides allow (the
 * reference interpreter spends much of its time in these loops: the housing samples' 3,000
 * epochs). The same elements, in the same order, as an odometer over `outShape`.
 */
export function forEachRow(
  outShape: readonly number[],
  strides: readonly (readonly number[])[],
  fn: (o: number, offs: readonly number[], inner: number, steps: readonly number[]) => void,
): void {
  const n = sizeOf(outShape);
  if (n === 0) return;
  const k = strides.length;
  // Coalesce.
  const shape: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < outShape.length; d++) {
    if (outShape[d] === 1) continue;
    const m = shape.length - 1;
    if (m >= 0 && strides.every((s, j) => st[j][m] === s[d] * outShape[d])) {
      shape[m] *= outShape[d];
      st.forEach((t, j) => (t[m] = strides[j][d]));
    } else {
      shape.push(outShape[d]);
      st.forEach((t, j) => t.push(strides[j][d]));
    }
  }
  const rank = shape.length;
  const offs = new Array<number>(k).fill(0);
  if (rank === 0) return fn(0, offs, 1, offs);
  const inner = shape[rank - 1];
  const steps = st.map((s) => s[rank - 1]);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o += inner) {
    fn(o, offs, inner, steps);
    // The odometer over all but the innermost dimension.
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      for (let j = 0; j < k; j++) offs[j] += st[j][d];
      if (idx[d] < shape[d]) break;
      for (let j = 0; j < k; j++) offs[j] -= st[j][d] * shape[d];
      idx[d] = 0;
    }
  }
}

/** Elementwise map over broadcast inputs into a new tensor of `dtype`. */
export function mapBroadcast(inputs: readonly Tensor[], dtype: DType, fn: (vals: number[]) => number): Tensor {
  let shape: number[] = [...inputs[0].shape];
  for (let i = 1; i < inputs.length; i++) shape = broadcastRuntime(shape, inputs[i].shape);
  const out = allocArray(dtype, sizeOf(shape));
  const datas = inputs.map((t) => t.data);
  const strides = inputs.map((t) => broadcastStrides(t.shape, shape));
  const vals = new Array<number>(inputs.length);
  forEachStrided(shape, strides, (o, offs) => {
    for (let j = 0; j < datas.length; j++) vals[j] = datas[j][offs[j]];
    out[o] = fn(vals);
  });
  return new Tensor(dtype, shape, out);
}

/** Fast paths for unary and binary maps. */
export function mapUnary(x: Tensor, dtype: DType, fn: (a: number) => number): Tensor {
  const out = allocArray(dtype, x.size);
  const d = x.data;
  for (let i = 0; i < d.length; i++) out[i] = fn(d[i]);
  return new Tensor(dtype, x.shape, out);
}

export function mapBinary(a: Tensor, b: Tensor, dtype: DType, fn: (x: number, y: number) => number): Tensor {
  const ad = a.data;
  const bd = b.data;
  if (a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i])) {
    const out = allocArray(dtype, a.size);
    for (let i = 0; i < out.length; i++) out[i] = fn(ad[i], bd[i]);
    return new Tensor(dtype, a.shape, out);
  }
  const shape = broadcastRuntime(a.shape, b.shape);
  const out = allocArray(dtype, sizeOf(shape));
  forEachRow(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)], (o, [oa, ob], inner, [sa, sb]) => {
    if (sa === 1 && sb === 0) for (let i = 0; i < inner; i++) out[o + i] = fn(ad[oa + i], bd[ob]);
    else if (sa === 0 && sb === 1) for (let i = 0; i < inner; i++) out[o + i] = fn(ad[oa], bd[ob + i]);
    else for (let i = 0; i < inner; i++) out[o + i] = fn(ad[oa + i * sa], bd[ob + i * sb]);
  });
  return new Tensor(dtype, shape, out);
}

/** Normalized, sorted, deduplicated reduction axes (null = all). */
export function reductionAxes(axes: readonly number[] | null, rank: number): number[] {
  return reductionAxesRule(axes, rank, ShapeError);
}

export interface Reducer {
  init: number;
  step(acc: number, x: number): number;
  /** Final value from the accumulator and the number of reduced elements. */
  done?(acc: number, count: number): number;
}

/**
 * Reduce `x` over `axes` (normalized): each output element accumulates its inputs in a
 * Float64Array (f64 accumulation), then `done` and one rounding to the output dtype.
 */
export function reduceAxesKernel(x: Tensor, axes: readonly number[], keepdims: boolean, dtype: DType, r: Reducer): Tensor {
  const reduced = new Set(axes);
  const keptShape = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const outShape = keepdims ? keptShape : x.shape.filter((_, i) => !reduced.has(i));
  const nOut = sizeOf(keptShape);
  const acc = new Float64Array(nOut).fill(r.init);
  const st = stridesOf(keptShape).map((s, i) => (reduced.has(i) ? 0 : s));
  const data = x.data;
  forEachStrided(x.shape, [st], (i, offs) => {
    acc[offs[0]] = r.step(acc[offs[0]], data[i]);
  });
  let count = 1;
  for (const a of axes) count *= x.shape[a];
  const out = allocArray(dtype, nOut);
  for (let i = 0; i < nOut; i++) out[i] = r.done ? r.done(acc[i], count) : acc[i];
  return new Tensor(dtype, outShape, out);
}

/** Split a shape around an axis: outer × n × inner (row-major). */
export function splitAxis(shape: readonly number[], axis: number): { outer: number; n: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, n: shape[axis], inner };
}

/** Copy a tensor's data into a fresh array of another dtype with a conversion. */
export function convertArray(src: AnyTypedArray, dtype: DType, fn: (v: number) => number = (v) => v): AnyTypedArray {
  const out = allocArray(dtype, src.length);
  for (let i = 0; i < src.length; i++) out[i] = fn(src[i]);
  return out;
}

/** Gather rows of a tensor viewed as [outer, n, inner] at `index` positions along the axis. */
export function takeAlongAxis(x: Tensor, axis: number, index: readonly number[], outShape: readonly number[]): Tensor {
  const { outer, n, inner } = splitAxis(x.shape, axis);
  const out = allocArray(x.dtype, outer * index.length * inner);
  const d = x.data;
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const i of index) {
      const base = (a * n + i) * inner;
      for (let c = 0; c < inner; c++) out[o++] = d[base + c];
    }
  }
  return new Tensor(x.dtype, outShape, out);
}

/** Static shape of a concrete tensor as a Shape. */
export function staticOf(t: Tensor): number[] {
  return [...t.shape];
}

/** The dtype rounding of one number: its one copy is in session/dtype.ts. */
export { castScalar } from '../../session/dtype.js';

/** C++ static_cast<int32>(float) as x86 does it: truncation, NaN and out of range → INT_MIN. */
export function toInt32(v: number): number {
  if (Number.isNaN(v)) return -2147483648;
  const t = Math.trunc(v);
  return t >= 2147483648 || t < -2147483648 ? -2147483648 : t;
}

/** Names of dtypes for docs: `f32, f64, i32`. */
export function dtypeList(ds: readonly DType[]): string {
  return ds.join(', ');
}

// ---------------------------------------------------------------- symbolic shapes

/** numpy broadcasting over symbolic dims (null where no input tells). */
export function broadcastSym(ins: Poly[][]): (Poly | null)[] | null {
  if (ins.length === 0) return null;
  const r = Math.max(...ins.map((s) => s.length));
  const out: (Poly | null)[] = [];
  for (let i = 0; i < r; i++) {
    let d: Poly | null = null;
    for (const s of ins) {
      const k = i - (r - s.length);
      if (k < 0) continue;
      const e = s[k];
      if (e.equals(1)) {
        if (d === null) d = e;
        continue;
      }
      if (d === null || d.equals(1)) d = e;
    }
    out.push(d);
  }
  return out;
}

/** The symbolic rule of ops whose output has the shape of input `i`. */
export const sameAsInput =
  (i: number) =>
  (_n: unknown, ins: Poly[][]): Poly[] =>
    ins[i];
