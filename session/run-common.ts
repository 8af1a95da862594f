/**
 * @fileoverview Session.run rules shared by the reference Session (compiler/interp) and the
 * WebAssembly Session (session/wasm): fed-value conversion as TF1's `np.asarray(value, dtype)`
 * (numbers, booleans, nested arrays, Tensors; numpy's casts and error wording), static-shape
 * compatibility and TF1's shape spellings, Python reprs quoted by messages, and the fetch
 * structure mapper (flatten lists/dicts of fetches to unique leaves, rebuild the results), and
 * TF1's `as_graph_element` for names (`"x:0"`, `"x"`) over any node table with the
 * `session.py` wrapping of its errors for fetches and feed keys. Both Sessions call these, so
 * the rules and their wording exist once. Never imports compiler/.
 *
 * Feed conversion errors carry TF1's (numpy's) wording:
 * - a Python-int scalar that the dtype cannot hold exactly: `TypeError: Type of feed value ...`
 * - a ragged list: `ValueError: setting an array element with a sequence.`
 * - NaN or infinity into int32: `ValueError: cannot convert float NaN to integer`
 * - None or an object: `TypeError: float() argument must be a string or a number, not 'NoneType'`
 */
import { type DType, allocArray, castScalar, pyDTypeName } from './dtype.js';
import { type SourceLocation, TypeError_, ValueError } from './errors.js';
import { Tensor } from './tensor.js';

/**
 * The memory a Session may use by default (`maxMemoryBytes`): 1 GiB. The wasm Session counts its
 * run's planned buffers and variables against it; the reference Session its live tensors and
 * variables. Past it, a run raises ResourceExhaustedError.
 */
export const DEFAULT_MAX_MEMORY_BYTES = 2 ** 30;

/** Python `repr` of a string: single quotes unless the text holds a single quote only. */
export function pyRepr(s: string): string {
  if (s.includes("'") && !s.includes('"')) return `"${s}"`;
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * How a caller's own objects print in Python messages (the reference Session's graph tensors
 * and operations): a name or repr, or undefined for a plain value.
 */
export interface PyObjectNames {
  typeName(v: object): string | undefined;
  repr(v: object): string | undefined;
}

/** Python's type name of a JS value (`NoneType`, `int`, `float`, `str`, `list`, ...). */
export function pyTypeName(v: unknown, objects?: PyObjectNames): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return objects?.typeName(v) ?? (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** Python's repr of a JS value (`None`, `True`, `'x:0'`, numbers, lists). */
export function pyValueRepr(v: unknown, objects?: PyObjectNames): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return pyRepr(v);
  if (Array.isArray(v)) return `[${v.map((x) => pyValueRepr(x, objects)).join(', ')}]`;
  if (typeof v === 'object') return objects?.repr(v) ?? String(v);
  return String(v);
}

/** A static shape: dims (null = unknown), or null for an unknown rank. */
export type StaticShape = (number | null)[] | null;

export function formatShape(s: StaticShape | readonly number[]): string {
  if (s === null) return '<unknown>';
  return `[${s.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

/** TF1's Python-style rendering: `(?, 3)`, `()`, `(2,)`. */
export function formatShapePy(s: StaticShape | readonly number[]): string {
  if (s === null) return '<unknown>';
  const items = s.map((d) => (d === null ? '?' : String(d)));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

export function isCompatible(concrete: readonly number[], s: StaticShape): boolean {
  if (s === null) return true;
  if (concrete.length !== s.length) return false;
  return s.every((d, i) => d === null || d === concrete[i]);
}

/** ValueError raised by a Session about one tensor (a feed), with that tensor's location. */
export class FeedValueError extends ValueError {
  constructor(
    message: string,
    readonly nodeName: string | null = null,
    readonly location: SourceLocation | null = null,
  ) {
    super(message);
  }
}

/** TypeError raised by a Session about one tensor (a feed), with that tensor's location. */
export class FeedTypeError extends TypeError_ {
  constructor(
    message: string,
    readonly nodeName: string | null = null,
    readonly location: SourceLocation | null = null,
  ) {
    super(message);
  }
}

/** Attach a tensor's name and location to a Python-side error from feed conversion. */
export function locateFeedError(e: unknown, nodeName: string, location: SourceLocation | null): Error {
  if (e instanceof TypeError_) {
    const t = new FeedTypeError(e.message, nodeName, location);
    if (e.name !== 'TypeError') t.name = e.name;
    return t;
  }
  if (e instanceof ValueError) {
    const v = new FeedValueError(e.message, nodeName, location);
    if (e.name !== 'ValueError') v.name = e.name;
    return v;
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** TF1's check of a fed value's shape against the tensor's static shape (FeedValueError, located). */
export function checkFedShape(shape: readonly number[], staticShape: StaticShape, tensorName: string, nodeName: string, location: SourceLocation | null): void {
  if (isCompatible(shape, staticShape)) return;
  throw new FeedValueError(
    `Cannot feed value of shape ${formatShapePy([...shape])} for Tensor ${pyRepr(tensorName)}, which has shape ${pyRepr(formatShapePy(staticShape))}`,
    nodeName,
    location,
  );
}

// ---------------------------------------------------------------- fetch structures

/** A fetch structure flattened: leaves point into the list of unique elements. */
export type FetchMapper = { kind: 'leaf'; index: number } | { kind: 'list'; items: FetchMapper[] } | { kind: 'dict'; keys: string[]; items: FetchMapper[] };

/** Is `x` a plain dict of fetches (not a class instance)? */
export function isPlainDict(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null);
}

/**
 * session.py's _FetchMapper: lists and plain dicts are structure, anything else a leaf that
 * `leaf` resolves (or throws) to a unique element (deduplicated by `same`).
 */
export function mapFetches<E>(fetch: unknown, leaf: (x: unknown) => E, same: (a: E, b: E) => boolean, unique: E[]): FetchMapper {
  if (fetch === null || fetch === undefined) {
    throw new TypeError_(`Fetch argument ${pyValueRepr(fetch)} has invalid type <class '${pyTypeName(fetch)}'>`);
  }
  if (Array.isArray(fetch)) return { kind: 'list', items: fetch.map((f) => mapFetches(f, leaf, same, unique)) };
  if (isPlainDict(fetch)) {
    const keys = Object.keys(fetch);
    return { kind: 'dict', keys, items: keys.map((k) => mapFetches(fetch[k], leaf, same, unique)) };
  }
  const el = leaf(fetch);
  let index = unique.findIndex((u) => same(u, el));
  if (index < 0) index = unique.push(el) - 1;
  return { kind: 'leaf', index };
}

/** Rebuild the fetch structure with one result per unique element. */
export function buildFetchResult<R>(m: FetchMapper, results: R[]): unknown {
  switch (m.kind) {
    case 'leaf':
      return results[m.index];
    case 'list':
      return m.items.map((x) => buildFetchResult(x, results));
    case 'dict': {
      const out: Record<string, unknown> = {};
      m.keys.forEach((k, i) => (out[k] = buildFetchResult(m.items[i], results)));
      return out;
    }
  }
}

// ---------------------------------------------------------------- graph elements by name

/** Which Python exception TF1's as_graph_element raises. */
export type ElementErrorKind = 'KeyError' | 'ValueError' | 'TypeError';

/** An as_graph_element failure; `kind` is the Python exception, so callers wrap it as session.py does. */
export class ElementError extends Error {
  constructor(
    readonly kind: ElementErrorKind,
    message: string,
  ) {
    super(message);
    this.name = kind;
  }
  /** Python's `str(e)`: a KeyError prints the repr of its message. */
  get pyStr(): string {
    return this.kind === 'KeyError' ? pyRepr(this.message) : this.message;
  }
}

/** A node table by op name (a Graph, a compiled model's manifest). */
export interface NodeTable<N> {
  get(opName: string): N | null | undefined;
  hasOutput(n: N): boolean;
}

/**
 * TF1's `Graph._as_graph_element_locked` for a name: `"op:0"` is the op's tensor, `"op"` the
 * operation, with TF1's errors (a KeyError for a missing name, a ValueError for a name of the
 * wrong kind). Fetches allow both; feed keys (`allowOperation` false) must be tensor names, so
 * `"a"` for an op `a` is TF1's `The name 'a' refers to an Operation, not a Tensor.`;
 * `Graph.get_operation_by_name` allows operations only (`allowTensor` false).
 */
export function elementByName<N>(table: NodeTable<N>, name: string, allowOperation: boolean, allowTensor = true): { node: N; asOp: boolean } {
  if (!allowTensor && !allowOperation) throw new ElementError('ValueError', "allow_tensor and allow_operation can't both be False.");
  const typesStr = allowTensor && allowOperation ? 'Tensor or Operation' : allowTensor ? 'Tensor' : 'Operation';
  if (name.includes(':')) {
    if (!allowTensor) throw new ElementError('ValueError', `Name ${pyRepr(name)} appears to refer to a Tensor, not a ${typesStr}.`);
    const parts = name.split(':');
    const outN = parts.length === 2 && /^-?\d+$/.test(parts[1]) ? Number(parts[1]) : NaN;
    if (Number.isNaN(outN)) {
      throw new ElementError(
        'ValueError',
        `The name ${pyRepr(name)} looks a like a Tensor name, but is not a valid one. Tensor names must be of the form "<op_name>:<output_index>".`,
      );
    }
    const opName = parts[0];
    const node = table.get(opName);
    if (!node)
      throw new ElementError(
        'KeyError',
        `The name ${pyRepr(name)} refers to a Tensor which does not exist. The operation, ${pyRepr(opName)}, does not exist in the graph.`,
      );
    const nOut = table.hasOutput(node) ? 1 : 0;
    // Python indexing: outputs[-1] is the last output.
    const idx = outN < 0 ? outN + nOut : outN;
    if (idx !== 0 || nOut === 0) {
      throw new ElementError(
        'KeyError',
        `The name ${pyRepr(name)} refers to a Tensor which does not exist. The operation, ${pyRepr(opName)}, exists but only has ${nOut} outputs.`,
      );
    }
    return { node, asOp: false };
  }
  const node = table.get(name);
  if (allowOperation) {
    if (!node) throw new ElementError('KeyError', `The name ${pyRepr(name)} refers to an Operation not in the graph.`);
    return { node, asOp: true };
  }
  const what = node
    ? `The name ${pyRepr(name)} refers to an Operation, not a ${typesStr}.`
    : `The name ${pyRepr(name)} looks like an (invalid) Operation name, not a ${typesStr}.`;
  throw new ElementError('ValueError', `${what} Tensor names must be of the form "<op_name>:<output_index>".`);
}

/** How a Session spells the fetches it quotes (the reference knows Tensors and Operations). */
export interface PyNames {
  repr(v: unknown): string;
  typeName(v: unknown): string;
}

export const PLAIN_PY_NAMES: PyNames = { repr: (v) => pyValueRepr(v), typeName: (v) => pyTypeName(v) };

/**
 * session.py's `_ElementFetchMapper` for one leaf: values that are not graph elements at all
 * (`isElement` false: None, numbers, ...) raise the plain TypeError; an as_graph_element failure
 * is wrapped — TypeError as "has invalid type ..., must be a string or Tensor.", KeyError and
 * ValueError as "cannot be interpreted as a Tensor." — quoting Python's `str(e)`.
 */
export function resolveFetch<E>(fetch: unknown, isElement: (x: unknown) => boolean, resolve: (x: unknown) => E, py: PyNames = PLAIN_PY_NAMES): E {
  if (!isElement(fetch)) throw new TypeError_(`Fetch argument ${py.repr(fetch)} has invalid type <class '${py.typeName(fetch)}'>`);
  try {
    return resolve(fetch);
  } catch (e) {
    if (!(e instanceof ElementError)) throw e;
    if (e.kind === 'TypeError')
      throw new TypeError_(`Fetch argument ${py.repr(fetch)} has invalid type <class '${py.typeName(fetch)}'>, must be a string or Tensor. (${e.pyStr})`);
    throw new ValueError(`Fetch argument ${py.repr(fetch)} cannot be interpreted as a Tensor. (${e.pyStr})`);
  }
}

/** session.py's wrapping of a feed key that is not a tensor of the graph. */
export function resolveFeedKey<E>(key: unknown, resolve: (x: unknown) => E): E {
  try {
    return resolve(key);
  } catch (e) {
    if (!(e instanceof ElementError)) throw e;
    throw new TypeError_(`Cannot interpret feed_dict key as Tensor: ${e.message}`);
  }
}

/** Fetch structures with the same leaf twice (same node, same tensor/op role) give one value. */
export function sameElement<N>(a: { node: N; asOp: boolean }, b: { node: N; asOp: boolean }): boolean {
  return a.node === b.node && a.asOp === b.asOp;
}

// ---------------------------------------------------------------- feed values

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
      throw new ValueError(
        dtype === 'i32' ? `invalid literal for int() with base 10: ${pyValueRepr(x)}` : `could not convert string to float: ${pyValueRepr(x)}`,
      );
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
  const what = dtype === 'i32' ? 'int() argument must be a string, a bytes-like object or a number' : 'float() argument must be a string or a number';
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
      if (dtype === 'i32' && !Number.isFinite(x))
        throw new ValueError(Number.isNaN(x) ? 'cannot convert float NaN to integer' : 'cannot convert float infinity to integer');
      data[i] = castScalar(x, dtype);
    }
    return new Tensor(dtype, [...value.shape], data);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') {
    // session.py: a Python int must survive the cast to the tensor's numpy type unchanged.
    if (typeof value === 'number' && Number.isInteger(value) && castScalar(element(dtype, value), dtype) !== value) throw intNotCompatible(value, dtype);
    const t = Tensor.zeros(dtype, []);
    t.data[0] = castScalar(element(dtype, value), dtype);
    return t;
  }
  if (Array.isArray(value)) {
    const shape = shapeOfNested(value);
    const t = Tensor.zeros(dtype, shape);
    let k = 0;
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) for (const e of x) walk(e);
      else t.data[k++] = castScalar(element(dtype, x), dtype);
    };
    walk(value);
    return t;
  }
  return Tensor.scalar(dtype, element(dtype, value));
}
