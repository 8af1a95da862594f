/**
 * @fileoverview Concrete tensor values: a dtype, a fully known shape and a flat row-major typed
 * array. Used by the reference interpreter and by the wasm loader alike.
 */
import { AnyTypedArray, DType, allocArray, pyDTypeName } from './dtype.js';

export class Tensor {
  /** The shape, copied and frozen: changing the caller's array later cannot change the tensor. */
  readonly shape: readonly number[];
  /** The elements, row-major, in the dtype's array kind (Float32Array for f32, ...). */
  readonly data: AnyTypedArray;

  /**
   * A tensor of `dtype` and `shape` over `data`. Data of another array kind is converted to the
   * dtype's (as numpy's astype: f32 rounds, i32 truncates, bool is nonzero), so a Float64Array
   * tagged f32 is an f32 tensor on every backend; a data length other than the shape's element
   * count is an error.
   */
  constructor(
    readonly dtype: DType,
    shape: readonly number[],
    data: AnyTypedArray,
  ) {
    const n = sizeOf(shape);
    if (data.length !== n) throw new Error(`Tensor data has ${data.length} elements but shape [${shape.join(',')}] needs ${n}`);
    this.shape = Object.freeze([...shape]);
    this.data = isArrayOf(data, dtype) ? data : convertArray(data, dtype);
  }

  static zeros(dtype: DType, shape: readonly number[]): Tensor {
    return new Tensor(dtype, shape, allocArray(dtype, sizeOf(shape)));
  }

  static scalar(dtype: DType, v: number | boolean): Tensor {
    const t = Tensor.zeros(dtype, []);
    t.data[0] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
    return t;
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Value at a flat index, as a JS number (bool as 0/1). */
  at(i: number): number {
    return this.data[i];
  }

  /** Nested JS arrays (numbers, or booleans for bool), or a number for a scalar. */
  toNested(): NestedValue {
    const vals: (number | boolean)[] = Array.from(this.data, (v) => (this.dtype === 'bool' ? v !== 0 : v));
    if (this.shape.length === 0) return vals[0];
    const build = (dim: number, off: number): NestedValue[] => {
      const n = this.shape[dim];
      const stride = sizeOf(this.shape.slice(dim + 1));
      const out: NestedValue[] = [];
      for (let i = 0; i < n; i++) out.push(dim === this.shape.length - 1 ? vals[off + i] : build(dim + 1, off + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** numpy-like text, e.g. `[[1. 2.]\n [3. 4.]]`. */
  toString(): string {
    return formatTensor(this);
  }
}

export type NestedValue = number | boolean | NestedValue[];

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Shape of a nested JS array; throws on ragged input. */
export function nestedShape(v: unknown): number[] {
  const shape: number[] = [];
  let cur: unknown = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  const check = (x: unknown, dim: number): void => {
    if (dim === shape.length) {
      if (Array.isArray(x)) throw new Error('ragged nested array');
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) throw new Error('ragged nested array');
    for (const e of x) check(e, dim + 1);
  };
  check(v, 0);
  return shape;
}

/** Build a tensor from nested JS arrays of numbers/booleans. */
export function fromNested(dtype: DType, v: NestedValue): Tensor {
  const shape = nestedShape(v);
  const flat: (number | boolean)[] = [];
  const walk = (x: NestedValue): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else flat.push(x);
  };
  walk(v);
  const t = Tensor.zeros(dtype, shape);
  for (let i = 0; i < flat.length; i++) {
    const x = flat[i];
    t.data[i] = typeof x === 'boolean' ? (x ? 1 : 0) : dtype === 'i32' ? Math.trunc(x) : x;
  }
  return t;
}

function formatScalar(dtype: DType, v: number): string {
  if (dtype === 'bool') return v ? 'True' : 'False';
  if (dtype === 'i32') return String(v);
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.`;
  const digits = dtype === 'f32' ? 8 : 17;
  let s = Number(v.toPrecision(digits)).toString();
  if (s.includes('e')) {
    const [m, e] = s.split('e');
    const exp = Number(e);
    s = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return s;
}

/** numpy's print options (`np.set_printoptions`) that shape the layout of `str(array)`. */
export interface PrintOptions {
  /** Arrays with more elements than this are summarised with `...` (numpy's default 1000). */
  threshold?: number;
  /** Items kept at the start and end of each summarised axis (numpy's default 3). */
  edgeitems?: number;
  /** Line width rows are wrapped at (numpy's default 75). */
  linewidth?: number;
}

/**
 * numpy-style printing, laid out as numpy's `str(array)` (`array2string`, `_formatArray`):
 * scalars as numpy prints them; arrays bracketed, one row per line, blank lines between blocks
 * of higher axes, rows wrapped at `linewidth`. Arrays of more than `threshold` elements show
 * `edgeitems` items at each end of every long axis around `...` (the element width is taken over
 * the items shown only), so printing costs O(items shown) whatever the size; an empty array is
 * `[]` whatever its shape.
 */
export function formatTensor(t: Tensor, opts: PrintOptions = {}): string {
  const threshold = opts.threshold ?? 1000;
  const edge = opts.edgeitems ?? 3;
  const linewidth = opts.linewidth ?? 75;
  if (t.shape.length === 0) return formatScalar(t.dtype, t.data[0]);
  if (t.size === 0) return '[]';
  const summary = t.size > threshold;
  const shape = t.shape;
  const strides = stridesOf(shape);
  const showSummary = (n: number): boolean => summary && 2 * edge < n;
  /** Indices shown along an axis of length n. */
  const shown = (n: number): number[] => (showSummary(n) ? [...Array.from({ length: edge }, (_, i) => i), ...Array.from({ length: edge }, (_, i) => n - edge + i)] : Array.from({ length: n }, (_, i) => i));
  // The element width over the items shown (numpy's _leading_trailing before _get_format_function).
  const strs = new Map<number, string>();
  let width = 0;
  const collect = (axis: number, off: number): void => {
    if (axis === shape.length) {
      const s = formatScalar(t.dtype, t.data[off]);
      strs.set(off, s);
      width = Math.max(width, s.length);
      return;
    }
    for (const i of shown(shape[axis])) collect(axis + 1, off + i * strides[axis]);
  };
  collect(0, 0);
  const word = (off: number): string => strs.get(off)!.padStart(width);
  /** numpy's _extendLine (legacy=False): wrap before `w` unless the line holds only the indent. */
  const extend = (acc: { s: string; line: string }, w: string, lineWidth: number, indent: string): void => {
    if (acc.line.length + w.length > lineWidth && acc.line.length > indent.length) {
      acc.s += `${acc.line.trimEnd()}\n`;
      acc.line = indent;
    }
    acc.line += w;
  };
  const rec = (axis: number, off: number, hanging: string, currWidth: number): string => {
    const n = shape[axis];
    const stride = strides[axis];
    const summarise = showSummary(n);
    const leading = summarise ? edge : 0;
    const trailing = summarise ? edge : n;
    let s = '';
    if (axis === shape.length - 1) {
      const elemWidth = currWidth - 1; // max(len(separator.rstrip()), len(']'))
      const acc = { s: '', line: hanging };
      for (let i = 0; i < leading; i++) {
        extend(acc, word(off + i * stride), elemWidth, hanging);
        acc.line += ' ';
      }
      if (summarise) {
        extend(acc, '...', elemWidth, hanging);
        acc.line += ' ';
      }
      for (let i = trailing; i > 1; i--) {
        extend(acc, word(off + (n - i) * stride), elemWidth, hanging);
        acc.line += ' ';
      }
      extend(acc, word(off + (n - 1) * stride), elemWidth, hanging);
      s = acc.s + acc.line;
    } else {
      const next = `${hanging} `;
      const lineSep = '\n'.repeat(shape.length - axis - 1);
      for (let i = 0; i < leading; i++) s += hanging + rec(axis + 1, off + i * stride, next, currWidth - 1) + lineSep;
      if (summarise) s += `${hanging}...${lineSep}`;
      for (let i = trailing; i > 1; i--) s += hanging + rec(axis + 1, off + (n - i) * stride, next, currWidth - 1) + lineSep;
      s += hanging + rec(axis + 1, off + (n - 1) * stride, next, currWidth - 1);
    }
    return `[${s.slice(hanging.length)}]`;
  };
  return rec(0, 0, ' ', linewidth);
}

export function describe(t: Tensor): string {
  return `${pyDTypeName(t.dtype)}[${t.shape.join(',')}]`;
}

function isArrayOf(data: AnyTypedArray, dtype: DType): boolean {
  switch (dtype) {
    case 'f32':
      return data instanceof Float32Array;
    case 'f64':
      return data instanceof Float64Array;
    case 'i32':
      return data instanceof Int32Array;
    case 'bool':
      return data instanceof Uint8Array;
  }
}

function convertArray(data: AnyTypedArray, dtype: DType): AnyTypedArray {
  const out = allocArray(dtype, data.length);
  if (dtype === 'bool') for (let i = 0; i < data.length; i++) out[i] = data[i] !== 0 ? 1 : 0;
  else if (dtype === 'i32') for (let i = 0; i < data.length; i++) out[i] = Math.trunc(data[i]);
  else out.set(data as ArrayLike<number>);
  return out;
}
