/**
 * @fileoverview Concrete tensor values: a dtype, a fully known shape and a flat row-major typed
 * array. Used by the reference interpreter and by the wasm loader alike.
 */
import { type AnyTypedArray, type DType, allocArray, pyDTypeName } from './dtype.js';

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

  /** `Tensor(f32, [2,3])`; the values as numpy prints them: `formatTensor` (session/format.ts). */
  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(',')}])`;
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
