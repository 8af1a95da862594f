/**
 * @fileoverview The run-time values of the construction language (what a `.tfg` program
 * computes while it builds graphs, like the Python values of a TF1 script): None, bool,
 * int and float (Python's distinction kept), str, list, tuple, dict, tensors (a Node with an
 * output), operations (a Node as a TF1 Operation), variables, dtypes, TensorShapes,
 * functions (user `def`s with closures), builtins, graphs, context managers (name and
 * variable scopes, control dependencies), variable-scope objects, initializers and a generic
 * object with attributes. Also Python's truthiness, equality, hashing, `str` and `repr`.
 */
import type { DType } from '../../session/dtype.js';
import { pyDTypeName } from '../../session/dtype.js';
import type { Param, Stmt } from '../../grammar/ast.js';
import type { Span } from '../diagnostics/span.js';
import type { Graph, Node, VariableInfo } from '../ir/graph.js';
import { formatShapePy, type Shape } from '../ir/shape.js';
import { overflowError, typeError, valueError } from './errors.js';
import { CHARS_PER_STEP, charge, checkItems } from './budget.js';

export interface NoneValue {
  kind: 'none';
}
export interface BoolValue {
  kind: 'bool';
  value: boolean;
}
export interface IntValue {
  kind: 'int';
  value: number;
}
export interface FloatValue {
  kind: 'float';
  value: number;
}
export interface StrValue {
  kind: 'str';
  value: string;
}
export interface ListValue {
  kind: 'list';
  items: Value[];
}
export interface TupleValue {
  kind: 'tuple';
  items: Value[];
}
export interface DictValue {
  kind: 'dict';
  map: Map<string, { key: Value; value: Value }>;
}
/** A TF1 Tensor: the (only) output of a node. */
export interface TensorValue {
  kind: 'tensor';
  node: Node;
}
/** A TF1 Operation: fetching it runs the node and gives None. */
export interface OperationValue {
  kind: 'op';
  node: Node;
}
/** A TF1 Variable (tf.Variable or get_variable). Used as a tensor it is its variable node. */
export interface VariableValue {
  kind: 'variable';
  info: VariableInfo;
}
export interface DTypeValue {
  kind: 'dtype';
  dtype: DType;
}
/** A TF1 TensorShape: list-like of int | None, or unknown rank (dims null). */
export interface ShapeValue {
  kind: 'shape';
  dims: (number | null)[] | null;
}
export interface FunctionValue {
  kind: 'function';
  name: string;
  params: Param[];
  /** Defaults evaluated at definition time (null where the parameter has none). */
  defaults: (Value | null)[];
  body: Stmt[];
  /** The environment the function was defined in (closures see later rebindings, as in Python). */
  closure: unknown;
  /** Names assigned anywhere in the body: locals, as Python decides at compile time. */
  locals: Set<string>;
  /** Function attributes (`setattr(f, "threshold", v)`, read as `f.threshold`). */
  attrs: Map<string, Value>;
  span: Span;
}
export interface BuiltinValue {
  kind: 'builtin';
  name: string;
  call: (args: Value[], kwargs: [string, Value][], ctx: unknown) => Value;
  attrs?: Map<string, Value>;
}
export interface GraphValue {
  kind: 'graph';
  graph: Graph;
}
/** A context manager for `with`: enter returns the `as` value; exit undoes it. */
export interface ContextValue {
  kind: 'context';
  label: string;
  enter: () => Value;
  exit: () => void;
}
export interface VarScopeValue {
  kind: 'varscope';
  scope: unknown;
}
export interface InitializerValue {
  kind: 'initializer';
  name: string;
  /** dtype the initializer was built with (TF1's default float32), used when the caller gives none. */
  dtype: DType;
  /** Build the initial value for a shape and dtype in the current graph and name scope. */
  build: (shape: number[], dtype: DType, ctx: unknown) => Node;
}
export interface ObjectValue {
  kind: 'object';
  typeName: string;
  attrs: Map<string, Value>;
}

export type Value =
  | NoneValue
  | BoolValue
  | IntValue
  | FloatValue
  | StrValue
  | ListValue
  | TupleValue
  | DictValue
  | TensorValue
  | OperationValue
  | VariableValue
  | DTypeValue
  | ShapeValue
  | FunctionValue
  | BuiltinValue
  | GraphValue
  | ContextValue
  | VarScopeValue
  | InitializerValue
  | ObjectValue;

export const NONE: NoneValue = { kind: 'none' };
export const TRUE: BoolValue = { kind: 'bool', value: true };
export const FALSE: BoolValue = { kind: 'bool', value: false };

/**
 * Python ints are exact at any size; tfg's are doubles. Every int value held is exactly the
 * Python value: all ints within ±(2**53 - 1), and larger ones a double represents exactly
 * (`2**53`, `2**63`, `int(1e300)`). An int that a double cannot hold exactly is an OverflowError
 * where it is made (`2**53 + 1`, `2**10**9`), never a silently rounded value.
 *
 * `int(v)` accepts only the always-exact range (callers that have not checked exactness get an
 * OverflowError rather than a possibly rounded value); `exactInt(v)` is for values whose
 * exactness the caller has checked (operators.ts checks with BigInt arithmetic).
 */
export function int(value: number): IntValue {
  if (!Number.isSafeInteger(value)) throw intOverflow();
  return { kind: 'int', value };
}

/** An int the caller knows to be exact (any integer-valued finite double). */
export function exactInt(value: number): IntValue {
  if (!Number.isInteger(value)) throw intOverflow();
  return { kind: 'int', value };
}

export function intOverflow(): Error {
  return overflowError(
    "int too large to be exact: tfg's construction-time ints are doubles, exact within ±(2**53 - 1) = ±9007199254740991 (and beyond where a double holds the value exactly)",
  );
}

/** Python's str of an int: all digits (JavaScript would print 1e+21). */
export function intDigits(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}
export const float = (value: number): FloatValue => ({ kind: 'float', value });
export const bool = (value: boolean): BoolValue => (value ? TRUE : FALSE);
/** Strings, lists, tuples and dicts are checked against `maxItems` and charged to the step budget (budget.ts). */
export function str(value: string): StrValue {
  if (value.length > CHARS_PER_STEP) {
    checkItems(value.length, 'a string', 'characters');
    charge(Math.ceil(value.length / CHARS_PER_STEP));
  }
  return { kind: 'str', value };
}
export function list(items: Value[]): ListValue {
  checkItems(items.length, 'a list');
  charge(items.length);
  return { kind: 'list', items };
}
export function tuple(items: Value[]): TupleValue {
  checkItems(items.length, 'a tuple');
  charge(items.length);
  return { kind: 'tuple', items };
}
export const tensor = (node: Node): TensorValue => ({ kind: 'tensor', node });
export const operation = (node: Node): OperationValue => ({ kind: 'op', node });
export const dtypeValue = (dtype: DType): DTypeValue => ({ kind: 'dtype', dtype });
export const shapeValue = (dims: Shape): ShapeValue => ({ kind: 'shape', dims: dims ? [...dims] : null });
export function dict(entries: [Value, Value][] = []): DictValue {
  checkItems(entries.length, 'a dict');
  charge(entries.length);
  const d: DictValue = { kind: 'dict', map: new Map() };
  for (const [k, v] of entries) d.map.set(hashKey(k), { key: k, value: v });
  return d;
}
export function object(typeName: string, attrs: Record<string, Value> = {}): ObjectValue {
  return { kind: 'object', typeName, attrs: new Map(Object.entries(attrs)) };
}

/** A node as a value: a Tensor when it has an output, else an Operation. */
export function nodeValue(node: Node): TensorValue | OperationValue {
  return node.hasOutput ? tensor(node) : operation(node);
}

/** The tensor node a value stands for (a tensor or a variable), or null. */
export function asTensorNode(v: Value): Node | null {
  if (v.kind === 'tensor') return v.node;
  if (v.kind === 'variable') return v.info.node;
  return null;
}

export function isTensorLike(v: Value): boolean {
  return v.kind === 'tensor' || v.kind === 'variable';
}

export function isNumber(v: Value): v is IntValue | FloatValue | BoolValue {
  return v.kind === 'int' || v.kind === 'float' || v.kind === 'bool';
}

export function isCallable(v: Value): boolean {
  return v.kind === 'function' || v.kind === 'builtin' || v.kind === 'initializer';
}

/** Python's type name, as in error messages (`'float'`, `'list'`, `'Tensor'`). */
export function typeName(v: Value): string {
  switch (v.kind) {
    case 'none':
      return 'NoneType';
    case 'tensor':
      return 'Tensor';
    case 'op':
      return 'Operation';
    case 'variable':
      return 'RefVariable';
    case 'dtype':
      return 'DType';
    case 'shape':
      return 'TensorShape';
    case 'builtin':
      return 'builtin_function_or_method';
    case 'graph':
      return 'Graph';
    case 'context':
      return v.label;
    case 'varscope':
      return 'VariableScope';
    case 'initializer':
      return v.name;
    case 'object':
      return v.typeName;
    default:
      return v.kind;
  }
}

// ---- Python numbers ----

/** Python's repr of a float: shortest round-trip digits, `1.0`, `1e-05`, `1e+16`, `inf`, `nan`. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e');
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let out: string;
  if (exp >= -5 && exp < 16) {
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
      const frac = digits.slice(exp + 1);
      out = `${intPart}.${frac || '0'}`;
    } else {
      out = `0.${'0'.repeat(-exp - 1)}${digits}`;
    }
    if (exp === -5) out = `${digits[0]}${digits.length > 1 ? '.' + digits.slice(1) : ''}e-05`;
  } else {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return neg ? `-${out}` : out;
}

export function numberOf(v: Value): number {
  if (v.kind === 'int' || v.kind === 'float') return v.value;
  if (v.kind === 'bool') return v.value ? 1 : 0;
  throw typeError(`expected a number, got ${typeName(v)}`);
}

// ---- str / repr ----

export function pyRepr(v: Value): string {
  switch (v.kind) {
    case 'str':
      return quoteStr(v.value);
    default:
      return pyStr(v, true);
  }
}

function quoteStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
}

/** Python's str() (print uses it). */
export function pyStr(v: Value, inRepr = false): string {
  switch (v.kind) {
    case 'none':
      return 'None';
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'int':
      return intDigits(v.value);
    case 'float':
      return pyFloatRepr(v.value);
    case 'str':
      return inRepr ? quoteStr(v.value) : v.value;
    case 'list':
      charge(v.items.length);
      return `[${v.items.map(pyRepr).join(', ')}]`;
    case 'tuple':
      charge(v.items.length);
      return v.items.length === 1 ? `(${pyRepr(v.items[0])},)` : `(${v.items.map(pyRepr).join(', ')})`;
    case 'dict':
      charge(v.map.size);
      return `{${[...v.map.values()].map((e) => `${pyRepr(e.key)}: ${pyRepr(e.value)}`).join(', ')}}`;
    case 'tensor':
      return `Tensor("${v.node.tensorName}", shape=${formatShapePy(v.node.shape)}, dtype=${pyDTypeName(v.node.dtype!)})`;
    case 'op':
      return `<tf.Operation '${v.node.name}' type=${opTypeName(v.node)}>`;
    case 'variable':
      return `<tf.Variable '${v.info.node.tensorName}' shape=${formatShapePy(v.info.node.shape)} dtype=${pyDTypeName(v.info.node.dtype!)}_ref>`;
    case 'dtype':
      return `<dtype: '${pyDTypeName(v.dtype)}'>`;
    case 'shape':
      return formatShapePy(v.dims);
    case 'function':
      return `<function ${v.name}>`;
    case 'builtin':
      return `<built-in function ${v.name}>`;
    case 'graph':
      return `<tf.Graph '${v.graph.name}'>`;
    case 'context':
      return `<${v.label} context manager>`;
    case 'varscope':
      return `<tf.VariableScope '${(v.scope as { name: string }).name}'>`;
    case 'initializer':
      return `<tf.${v.name}>`;
    case 'object':
      return `<${v.typeName} object>`;
  }
}

/** TF1 op type of a node, for printing (`Const`, `Add`, `NoOp`, ...). */
export function opTypeName(node: Node): string {
  return OP_TYPE_NAMES[node.op] ?? node.op;
}
const OP_TYPE_NAMES: Record<string, string> = {
  const: 'Const',
  placeholder: 'Placeholder',
  variable: 'VariableV2',
  assign: 'Assign',
  assign_add: 'AssignAdd',
  assign_sub: 'AssignSub',
  no_op: 'NoOp',
  group: 'NoOp',
  add: 'Add',
  sub: 'Sub',
  mul: 'Mul',
  div: 'RealDiv',
  matmul: 'MatMul',
  identity: 'Identity',
  random_uniform: 'RandomUniform',
  random_normal: 'RandomStandardNormal',
};

// ---- truthiness, equality, hashing ----

export function truthy(v: Value): boolean {
  switch (v.kind) {
    case 'none':
      return false;
    case 'bool':
      return v.value;
    case 'int':
    case 'float':
      return v.value !== 0;
    case 'str':
      return v.value.length > 0;
    case 'list':
    case 'tuple':
      return v.items.length > 0;
    case 'dict':
      return v.map.size > 0;
    case 'shape':
      return v.dims !== null;
    case 'tensor':
    case 'variable':
      throw typeError(
        'Using a `tf.Tensor` as a Python `bool` is not allowed. Use `if t is not None:` instead of `if t:` to test if a tensor is defined, and use TensorFlow ops such as tf.cond to execute subgraphs conditioned on the value of a tensor.',
      );
    default:
      return true;
  }
}

/** Python `==` (tensors, variables, graphs, functions compare by identity, as in TF1). */
export function pyEquals(a: Value, b: Value): boolean {
  if (isNumber(a) && isNumber(b)) return numberOf(a) === numberOf(b);
  if (a.kind === 'shape' && (b.kind === 'shape' || b.kind === 'list' || b.kind === 'tuple')) return shapeEquals(a, b);
  if (b.kind === 'shape' && (a.kind === 'list' || a.kind === 'tuple')) return shapeEquals(b, a);
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'none':
      return true;
    case 'str':
      return a.value === (b as StrValue).value;
    case 'list':
    case 'tuple': {
      const bi = (b as ListValue).items;
      if (a.items.length !== bi.length) return false;
      charge(a.items.length);
      return a.items.every((x, i) => pyEquals(x, bi[i]));
    }
    case 'dict': {
      const bm = (b as DictValue).map;
      if (a.map.size !== bm.size) return false;
      charge(a.map.size);
      for (const [k, e] of a.map) {
        const o = bm.get(k);
        if (!o || !pyEquals(e.value, o.value)) return false;
      }
      return true;
    }
    case 'tensor':
    case 'op':
      return a.node === (b as TensorValue).node;
    case 'variable':
      return a.info === (b as VariableValue).info;
    case 'dtype':
      return a.dtype === (b as DTypeValue).dtype;
    case 'graph':
      return a.graph === (b as GraphValue).graph;
    case 'varscope':
      return a.scope === (b as VarScopeValue).scope;
    default:
      return a === b;
  }
}

function shapeEquals(a: ShapeValue, b: Value): boolean {
  const other = b.kind === 'shape' ? b.dims : (b as ListValue).items.map((x) => (x.kind === 'none' ? null : x.kind === 'int' ? x.value : NaN));
  if (a.dims === null || other === null) return a.dims === other;
  return a.dims.length === other.length && a.dims.every((d, i) => d === other[i]);
}

const identities = new WeakMap<object, number>();
let nextIdentity = 1;
function identityOf(o: object): number {
  let id = identities.get(o);
  if (id === undefined) {
    id = nextIdentity++;
    identities.set(o, id);
  }
  return id;
}

/** Dict key of a hashable value; lists, dicts and shapes are unhashable as in Python. */
export function hashKey(v: Value): string {
  switch (v.kind) {
    case 'none':
      return 'N';
    case 'bool':
    case 'int':
    case 'float':
      return `n:${numberOf(v)}`;
    case 'str':
      return `s:${v.value}`;
    case 'tuple':
      charge(v.items.length);
      return `t(${v.items.map(hashKey).join(',')})`;
    case 'dtype':
      return `d:${v.dtype}`;
    case 'list':
    case 'dict':
    case 'shape':
      throw typeError(`unhashable type: '${typeName(v)}'`);
    case 'tensor':
    case 'op':
      return `o:${identityOf(v.node)}`;
    case 'variable':
      return `o:${identityOf(v.info)}`;
    case 'graph':
      return `o:${identityOf(v.graph)}`;
    case 'varscope':
      return `o:${identityOf(v.scope as object)}`;
    default:
      return `o:${identityOf(v)}`;
  }
}

/** Iterate a Python iterable (list, tuple, str, dict keys, TensorShape); the copy is charged to the step budget. */
export function iterate(v: Value): Value[] {
  if (v.kind === 'list' || v.kind === 'tuple') charge(v.items.length);
  else if (v.kind === 'str') charge(v.value.length);
  else if (v.kind === 'dict') charge(v.map.size);
  return loopItems(v);
}

/** The items of an iterable without charging the copy (loops charge a step per iteration instead). */
export function loopItems(v: Value): Value[] {
  switch (v.kind) {
    case 'list':
    case 'tuple':
      return v.items.slice();
    case 'str':
      return Array.from(v.value, (c) => str(c));
    case 'dict':
      return Array.from(v.map.values(), (e) => e.key);
    case 'shape':
      if (v.dims === null) throw valueError('Cannot iterate over a shape with unknown rank.');
      return v.dims.map((d) => (d === null ? NONE : int(d)));
    case 'tensor':
    case 'variable':
      throw typeError('Tensor objects are only iterable when eager execution is enabled. To iterate over this tensor use tf.map_fn.');
    default:
      throw typeError(`'${typeName(v)}' object is not iterable`);
  }
}
