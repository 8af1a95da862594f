/**
 * @fileoverview Converting a fed value to a tensor of the fed tensor's dtype, as TF1's
 * `Session.run` does with `np.asarray(value, dtype=tensor.dtype)`: JS numbers, booleans, nested
 * arrays and Tensors are accepted; numbers are cast as numpy casts them (floats into int32
 * truncate toward zero, nonzero into bool is True). Errors carry TF1's (numpy's) wording:
 * - a Python-int scalar that the dtype cannot hold exactly: `TypeError: Type of feed value ...`
 * - a ragged list: `ValueError: setting an array element with a sequence.`
 * - NaN or infinity into int32: `ValueError: cannot convert float NaN to integer`
 * - None or an object: `TypeError: float() argument must be a string or a number, not 'NoneType'`
 * The caller (session.ts) adds the fed tensor's name and location.
 */
import { type DType, allocArray, pyDTypeName } from '../../session/dtype.js';
import { TypeError_, ValueError } from '../../session/errors.js';
import { Tensor } from '../../session/tensor.js';
import { pyTypeName, pyValueRepr } from './elements.js';

/** The value of one element after numpy's cast to `dtype` (no range check). */
export function castScalar(dtype: DType, x: number): number {
  switch (dtype) {
    case 'f32':
      return Math.fround(x);
    case 'f64':
      return x;
    case 'i32':
      return Math.trunc(x) | 0;
    case 'bool':
      return x !== 0 && !Number.isNaN(x) ? 1 : 0;
  }
}

function intNotCompatible(v: number, dtype: DType): TypeError_ {
  return new TypeError_(
    `Type of feed value ${v} with type <class 'int'> is not compatible with Tensor type <class 'numpy.${pyDTypeName(dtype) === 'bool' ? 'bool_' : pyDTypeName(dtype)}'>. Try explicitly setting the type of the feed tensor to a larger type (e.g. int64).`,
  );
}

/** One element of a nested value to a number of `dtype`, numpy-style. */
function element(dtype: DType, x: unknown): number {
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x === 'string') {
    const t = x.trim();
    const v = t === '' ? NaN : Number(t);
    if (dtype === 'bool' || Number.isNaN(v) || (dtype === 'i32' && !Number.isInteger(v))) {
      throw new ValueError(dtype === 'i32' ? `invalid literal for int() with base 10: ${pyValueRepr(x)}` : `could not convert string to float: ${pyValueRepr(x)}`);
    }
    return element(dtype, v);
  }
  if (typeof x === 'number') {
    if (dtype === 'i32') {
      if (Number.isNaN(x)) throw new ValueError('cannot convert float NaN to integer');
      if (!Number.isFinite(x)) throw new OverflowLikeError('cannot convert float infinity to integer');
      const t = Math.trunc(x);
      if (t > 2147483647 || t < -2147483648) throw intNotCompatible(x, dtype);
      return t;
    }
    return x;
  }
  const what = dtype === 'i32' ? "int() argument must be a string, a bytes-like object or a number" : 'float() argument must be a string or a number';
  throw new TypeError_(`${what}, not '${pyTypeName(x)}'`);
}

/** Python raises OverflowError for int(inf); TF1 surfaces it as is. */
class OverflowLikeError extends ValueError {
  override name = 'OverflowError';
}

/** Is `v` a plain nested array of scalars? Returns its shape, or throws numpy's ValueError. */
function shapeOfNested(v: unknown[]): number[] {
  const shape: number[] = [];
  let cur: unknown = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  const ragged = (): ValueError => new ValueError('setting an array element with a sequence.');
  const check = (x: unknown, dim: number): void => {
    if (dim === shape.length) {
      if (Array.isArray(x) || x instanceof Tensor) throw ragged();
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) throw ragged();
    for (const e of x) check(e, dim + 1);
  };
  check(v, 0);
  return shape;
}

/**
 * `np.asarray(value, dtype)`: a Tensor of `dtype` from a fed value. Throws TypeError_/ValueError
 * with numpy's or TF1's message.
 */
export function convertFeedValue(value: unknown, dtype: DType): Tensor {
  if (value instanceof Tensor) {
    if (value.dtype === dtype) return value;
    const data = allocArray(dtype, value.size);
    for (let i = 0; i < value.size; i++) {
      const x = value.data[i];
      if (dtype === 'i32' && !Number.isFinite(x)) throw new ValueError(Number.isNaN(x) ? 'cannot convert float NaN to integer' : 'cannot convert float infinity to integer');
      data[i] = castScalar(dtype, x);
    }
    return new Tensor(dtype, [...value.shape], data);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') {
    // session.py: a Python int must survive the cast to the tensor's numpy type unchanged.
    if (typeof value === 'number' && Number.isInteger(value) && castScalar(dtype, element(dtype, value)) !== value) throw intNotCompatible(value, dtype);
    const t = Tensor.zeros(dtype, []);
    t.data[0] = castScalar(dtype, element(dtype, value));
    return t;
  }
  if (Array.isArray(value)) {
    const shape = shapeOfNested(value);
    const t = Tensor.zeros(dtype, shape);
    let k = 0;
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) for (const e of x) walk(e);
      else t.data[k++] = castScalar(dtype, element(dtype, x));
    };
    walk(value);
    return t;
  }
  return Tensor.scalar(dtype, element(dtype, value));
}
