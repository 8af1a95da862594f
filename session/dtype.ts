/**
 * @fileoverview The four dtypes of tfg and their TF1 spellings. Shared by the compiler and the
 * loader (session/ never imports compiler/, so the compiler imports these from here).
 */
export type DType = 'f32' | 'f64' | 'i32' | 'bool';

export const DTYPES: readonly DType[] = ['f32', 'f64', 'i32', 'bool'];

export type TypedArrayOf<D extends DType> = D extends 'f32' ? Float32Array : D extends 'f64' ? Float64Array : D extends 'i32' ? Int32Array : Uint8Array;

export type AnyTypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** TF1's name of the dtype as printed in messages: float, double, int32, bool. */
export function tfDTypeName(d: DType): string {
  return { f32: 'float', f64: 'double', i32: 'int32', bool: 'bool' }[d];
}

/** Python-side name: float32, float64, int32, bool. */
export function pyDTypeName(d: DType): string {
  return { f32: 'float32', f64: 'float64', i32: 'int32', bool: 'bool' }[d];
}

export function isFloat(d: DType): boolean {
  return d === 'f32' || d === 'f64';
}

export function byteSize(d: DType): number {
  return d === 'f64' ? 8 : d === 'bool' ? 1 : 4;
}

export function allocArray(d: DType, n: number): AnyTypedArray {
  switch (d) {
    case 'f32':
      return new Float32Array(n);
    case 'f64':
      return new Float64Array(n);
    case 'i32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
  }
}

/**
 * One number rounded to the dtype's representation, as numpy's `astype` and TF's Cast do it:
 * f32 rounds, i32 truncates then wraps, bool is `x != 0` — so NaN is True (numpy's
 * `bool(float('nan'))`, C++'s `static_cast<bool>(NAN)`). The one copy: the reference kernels,
 * constant folding and the feed conversion of both Sessions use it.
 */
export function castScalar(v: number, dtype: DType): number {
  switch (dtype) {
    case 'f32':
      return Math.fround(v);
    case 'f64':
      return v;
    case 'i32':
      return Math.trunc(v) | 0;
    case 'bool':
      return v !== 0 ? 1 : 0;
  }
}

/** Parse a dtype spelled as in tfg or TF1 (f32, float32, float, tf.float32, ...). */
export function parseDType(s: string): DType | null {
  const k = s.replace(/^tf\./, '').toLowerCase();
  switch (k) {
    case 'f32':
    case 'float32':
    case 'float':
      return 'f32';
    case 'f64':
    case 'float64':
    case 'double':
      return 'f64';
    case 'i32':
    case 'int32':
    case 'int':
      return 'i32';
    case 'bool':
      return 'bool';
    default:
      return null;
  }
}
