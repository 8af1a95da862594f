/**
 * @fileoverview TF1's `convert_to_tensor` for construction-language values, and op building
 * with TF1's `op_def_library` rules: Python scalars and nested lists become `Const` nodes
 * (ints → int32, floats → float32, bools → bool unless a dtype is requested), created inside
 * the op's name scope under the input's argument name (`add/y`, `Maximum/y`); inputs sharing
 * a type attr must agree (`Input 'y' of 'Add' Op has type float32 that does not match type
 * int32 of argument 'x'.`); lists holding tensors are auto-packed (`packed`). Also the
 * argument helpers for shapes, axes and ints that must be known when the graph is built.
 */
import { type DType, pyDTypeName } from '../../session/dtype.js';
import type { Attrs, Graph, Node } from '../ir/graph.js';
import { formatShapePy, isFullyDefined } from '../ir/shape.js';
import { makeNode } from '../ops/build.js';
import { hasOp } from '../ops/registry.js';
import { staticValue as constantValue } from '../ops/static-value.js';
import { charge, checkConstElements } from './budget.js';
import type { Ctx } from './context.js';
import { FE, FrontendError, missingOp, typeError, valueError } from './errors.js';
import { type Value, asTensorNode, numberOf, pyFloatRepr, pyRepr, pyStr, typeName } from './values.js';

/** Throw a clear error when an op is not (yet) in the registry; ops are looked up lazily. */
export function requireOp(op: string, what: string): void {
  if (!hasOp(op)) throw missingOp(op, what);
}

/** Build a node, checking the op exists first. */
export function node(ctx: Ctx, op: string, inputs: Node[], attrs: Attrs, name: string, what?: string): Node {
  requireOp(op, what ?? `${op}()`);
  for (const i of inputs) {
    if (i.graph !== ctx.graph) {
      throw valueError(
        `Tensor("${i.tensorName}") must be from the same graph as the op being built in graph '${ctx.graph.name}' (it belongs to graph '${i.graph.name}').`,
      );
    }
  }
  // TF1's Operation() check of the final name (ops.py _VALID_OP_NAME_REGEX).
  const final = name.endsWith('/') ? name.slice(0, -1) : ctx.graph.uniqueName(name, false);
  if (!VALID_ROOT.test(final)) throw valueError(`'${final}' is not a valid node name`);
  return makeNode(ctx.graph, op, inputs, attrs, { name, span: ctx.span });
}

// ---- Python values → constants ----

type Scalar = number | boolean;
interface Flat {
  shape: number[];
  values: Value[];
}

/** Flatten a nested list/tuple of Python scalars; throws on ragged input (TF1's message). */
function flatten(v: Value): Flat {
  const shapeOf = (x: Value): number[] => (x.kind === 'list' || x.kind === 'tuple' ? [x.items.length, ...(x.items.length ? shapeOf(x.items[0]) : [])] : []);
  const shape = shapeOf(v);
  const values: Value[] = [];
  const walk = (x: Value, dim: number): boolean => {
    const isSeq = x.kind === 'list' || x.kind === 'tuple';
    if (dim === shape.length) {
      if (isSeq) return false;
      values.push(x);
      return true;
    }
    if (!isSeq || x.items.length !== shape[dim]) return false;
    return x.items.every((e) => walk(e, dim + 1));
  };
  if (!walk(v, 0)) {
    throw valueError(`Argument must be a dense tensor: ${pyStr(v)} - got shape [${shapeOf(v).slice(0, 1).join(', ')}], but wanted [${shape.join(', ')}].`);
  }
  return { shape, values };
}

function pyScalarType(v: Value): string {
  return typeName(v);
}

/** TF1's dtype inference for Python data: any float → float32, all bools → bool, else int32. */
export function inferPyDType(values: Value[]): DType {
  let anyFloat = false;
  let allBool = values.length > 0;
  for (const x of values) {
    if (x.kind === 'float') anyFloat = true;
    if (x.kind !== 'bool') allBool = false;
  }
  if (anyFloat) return 'f32';
  if (allBool) return 'bool';
  return 'i32';
}

/** TF1's _AssertCompatible: the first element that does not fit the dtype, or null. */
function firstMismatch(values: Value[], dtype: DType): Value | null {
  for (const x of values) {
    if (
      dtype === 'bool'
        ? x.kind !== 'bool'
        : dtype === 'i32'
          ? x.kind !== 'int' && x.kind !== 'bool'
          : x.kind !== 'int' && x.kind !== 'float' && x.kind !== 'bool'
    )
      return x;
  }
  return null;
}

function expectedMessage(dtype: DType, x: Value): string {
  return `Expected ${pyDTypeName(dtype)}, got ${pyRepr(x)} of type '${pyScalarType(x)}' instead.`;
}

/** Python data (scalar or nested lists of scalars) as flat values, shape and dtype. */
export function pyData(v: Value, dtype: DType | null): { shape: number[]; values: number[]; dtype: DType } {
  const flat = flatten(v);
  for (const x of flat.values) {
    if (x.kind === 'str') throw typeError(dtype ? expectedMessage(dtype, x) : `string tensors are not supported: cannot convert ${pyRepr(x)} to a tensor`);
    if (x.kind !== 'int' && x.kind !== 'float' && x.kind !== 'bool') {
      throw typeError(
        `Failed to convert object of type <class '${typeName(x)}'> to Tensor. Contents: ${pyStr(v)}. Consider casting elements to a supported type.`,
      );
    }
  }
  const dt = dtype ?? inferPyDType(flat.values);
  const bad = firstMismatch(flat.values, dt);
  if (bad) throw typeError(expectedMessage(dt, bad));
  const values = flat.values.map((x) => numberOf(x));
  if (dt === 'i32') {
    const big = flat.values.find((x) => x.kind === 'int' && (x.value > 2147483647 || x.value < -2147483648));
    if (big) throw valueError(`Can't convert Python int ${pyStr(big)} to int32 (tfg has no int64).`);
  }
  return { shape: flat.shape, values, dtype: dt };
}

/** A Const node from Python data, TF1's `constant(value, dtype, shape, name)`. */
export function makeConst(ctx: Ctx, v: Value, dtype: DType | null, name: string, shape: number[] | null = null): Node {
  const data = pyData(v, dtype);
  let values = data.values;
  let outShape = data.shape;
  if (shape) {
    const n = shape.reduce((a, b) => a * b, 1);
    checkConstElements(n, `a constant of shape ${formatShapePy(shape)}`);
    if (values.length === 1 && data.shape.length === 0) values = new Array<number>(n).fill(values[0]);
    else if (values.length > n) throw typeError(`Too many elements provided. Needed at most ${n}, but received ${values.length}`);
    else if (values.length < n) {
      if (values.length === 0) throw valueError(`Cannot create a tensor of shape ${formatShapePy(shape)} from an empty list`);
      values = [...values, ...new Array<number>(n - values.length).fill(values[values.length - 1])];
    }
    outShape = shape;
  }
  charge(values.length);
  if (data.dtype === 'f32') values = values.map((x) => Math.fround(x));
  return node(ctx, 'const', [], { dtype: data.dtype, shape: outShape, value: values }, name, 'constant()');
}

function tensorRepr(n: Node): string {
  return `'Tensor("${n.tensorName}", shape=${formatShapePy(n.shape)}, dtype=${pyDTypeName(n.dtype!)})'`;
}

export interface ConvertOptions {
  dtype?: DType | null;
  /** Name for a created constant (TF1's `name=` of convert_to_tensor), relative to the current scope. */
  name?: string;
}

/** TF1's convert_to_tensor: tensors pass (dtype checked), Python data becomes a Const. */
export function convertToTensor(ctx: Ctx, v: Value, opts: ConvertOptions = {}): Node {
  const dtype = opts.dtype ?? null;
  const name = opts.name ?? 'Const';
  const n = asTensorNode(v);
  if (n) {
    if (dtype && n.dtype !== dtype) {
      throw valueError(
        `Tensor conversion requested dtype ${pyDTypeName(dtype)} for Tensor with dtype ${pyDTypeName(n.dtype!)}${v.kind === 'variable' ? '_ref' : ''}: ${tensorRepr(n)}`,
      );
    }
    return n;
  }
  switch (v.kind) {
    case 'op':
      throw typeError(`Can't convert Operation '${v.node.name}' to Tensor (target dtype=${dtype ? pyDTypeName(dtype) : 'None'}, name='${name}', as_ref=False)`);
    case 'none':
      throw valueError('None values not supported.');
    case 'shape':
      if (!isFullyDefined(v.dims)) throw valueError(`Cannot convert a partially known TensorShape to a Tensor: ${formatShapePy(v.dims)}`);
      return makeConst(ctx, { kind: 'list', items: v.dims.map((d) => ({ kind: 'int', value: d })) }, dtype ?? 'i32', name);
    case 'list':
    case 'tuple':
      if (containsTensor(v)) return autopack(ctx, v, dtype, name === 'Const' ? 'packed' : name);
      return makeConst(ctx, v, dtype, name);
    case 'int':
    case 'float':
    case 'bool':
    case 'str':
      return makeConst(ctx, v, dtype, name);
    default:
      throw typeError(
        `Failed to convert object of type <class '${typeName(v)}'> to Tensor. Contents: ${pyStr(v)}. Consider casting elements to a supported type.`,
      );
  }
}

/**
 * Does a value hold a tensor (a tensor or variable, or a list/tuple with one inside)? A shape
 * argument that does (reshape's shape, fill's dims, slice's begin and size) is converted to an
 * int32 tensor and becomes a data input of the op, as in TF1; Python data stays an attribute.
 */
export function containsTensor(v: Value): boolean {
  if (asTensorNode(v)) return true;
  if (v.kind === 'list' || v.kind === 'tuple') return v.items.some(containsTensor);
  return false;
}

function firstTensorDType(v: Value): DType | null {
  const n = asTensorNode(v);
  if (n) return n.dtype;
  if (v.kind === 'list' || v.kind === 'tuple') {
    for (const x of v.items) {
      const d = firstTensorDType(x);
      if (d) return d;
    }
  }
  return null;
}

/** TF1's auto-packing of lists holding tensors: a `stack` named `packed` (nested: by index). */
function autopack(ctx: Ctx, v: Value & { items: Value[] }, dtype: DType | null, name: string): Node {
  const dt = dtype ?? firstTensorDType(v)!;
  return ctx.graph.withNameScope(name, (scope) => {
    const elems = v.items.map((e, i) => {
      const n = asTensorNode(e);
      if (n) {
        if (n.dtype !== dt)
          throw typeError(`Cannot convert a list containing a tensor of dtype ${pyDTypeName(n.dtype!)} to ${pyDTypeName(dt)} (Tensor is: ${tensorRepr(n)})`);
        return n;
      }
      if ((e.kind === 'list' || e.kind === 'tuple') && containsTensor(e)) return autopack(ctx, e, dt, String(i));
      return makeConst(ctx, e, dt, String(i));
    });
    return node(ctx, 'stack', elems, { axis: 0 }, scope, 'packing a list of tensors');
  });
}

// ---- building ops with op_def_library's input rules ----

export interface OpInput {
  /** Argument name in TF1's op def (x, y, input, indices, ...); names converted constants. */
  arg: string;
  value: Value;
  /** 'T': shares the op's type attr with the other 'T' inputs; a DType: fixed; 'any': free. */
  type: 'T' | DType | 'any';
}

export interface ApplyOptions {
  op: string;
  /** TF1 op type for messages ('Add', 'MatMul'). */
  tfType: string;
  /** User name or null for the default (TF1's op type or Python wrapper name). */
  name: string | null;
  defaultName: string;
  inputs: OpInput[];
  attrs?: Attrs | ((inputs: Node[]) => Attrs);
}

/** Convert an op's inputs as TF1's op_def_library does (in the current name scope). */
export function convertInputs(ctx: Ctx, tfType: string, inputs: OpInput[]): Node[] {
  let typeT: DType | null = null;
  let inferredFrom = '';
  return inputs.map((inp) => {
    const want: DType | null = inp.type === 'T' ? typeT : inp.type === 'any' ? null : inp.type;
    const t = asTensorNode(inp.value);
    let n: Node;
    if (t) {
      if (want && t.dtype !== want) {
        if (inp.type === 'T')
          throw typeError(
            `Input '${inp.arg}' of '${tfType}' Op has type ${pyDTypeName(t.dtype!)} that does not match type ${pyDTypeName(want)} of argument '${inferredFrom}'.`,
          );
        throw typeError(`Input '${inp.arg}' of '${tfType}' Op has type ${pyDTypeName(t.dtype!)} that does not match expected type of ${pyDTypeName(want)}.`);
      }
      n = t;
    } else {
      try {
        n = convertToTensor(ctx, inp.value, { dtype: want, name: inp.arg });
      } catch (e) {
        if (e instanceof FrontendError && want && e.pyType === 'TypeError' && e.detail.startsWith('Expected ')) {
          throw typeError(
            `Expected ${pyDTypeName(want)} passed to parameter '${inp.arg}' of op '${tfType}', got ${pyRepr(inp.value)} of type '${typeName(inp.value)}' instead. Error: ${e.detail}`,
          );
        }
        throw e;
      }
    }
    if (inp.type === 'T' && !typeT) {
      typeT = n.dtype;
      inferredFrom = inp.arg;
    }
    return n;
  });
}

/** Build one op the way a TF1 generated wrapper does: a name scope, converted inputs, the node. */
export function applyOp(ctx: Ctx, o: ApplyOptions): Node {
  requireOp(o.op, `${o.defaultName}()`);
  if (o.name) validateScopeName(ctx.graph, o.name);
  return ctx.graph.withNameScope(o.name ?? o.defaultName, (scope) => {
    const nodes = convertInputs(ctx, o.tfType, o.inputs);
    const attrs = typeof o.attrs === 'function' ? o.attrs(nodes) : (o.attrs ?? {});
    return node(ctx, o.op, nodes, attrs, scope || `${o.defaultName}/`);
  });
}

// TF1's ops.py _VALID_OP_NAME_REGEX (root scopes and node names) and _VALID_SCOPE_NAME_REGEX.
const VALID_ROOT = /^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$/;
const VALID_NESTED = /^[A-Za-z0-9_.\-/>]*$/;

/** TF1's check of name scope names (root scopes follow the stricter op-name rule). */
export function validateScopeName(graph: Graph, name: string): void {
  const ok = graph.nameStack ? VALID_NESTED.test(name) : VALID_ROOT.test(name);
  if (!ok) throw valueError(`'${name}' is not a valid scope name`);
}

// ---- arguments that must be known when the graph is built ----

function describeDynamic(n: Node): string {
  return `Tensor("${n.tensorName}", shape=${formatShapePy(n.shape)}, dtype=${pyDTypeName(n.dtype!)})`;
}

/** An int argument: a Python int, or a tensor whose value is known when the graph is built. */
export function intArg(v: Value, what: string): number {
  if (v.kind === 'int') return v.value;
  if (v.kind === 'bool') return v.value ? 1 : 0;
  const n = asTensorNode(v);
  if (n) {
    const c = constantValue(n);
    if (c && c.size === 1 && c.dtype === 'i32') return c.data[0];
    if (!c)
      throw new FrontendError(
        FE.SHAPE_NOT_STATIC,
        'ValueError',
        `${what} must be known when the graph is built, but ${describeDynamic(n)} depends on run-time values`,
      );
  }
  if (v.kind === 'float') throw typeError(`${what} must be an int, got ${pyFloatRepr(v.value)} of type 'float'`);
  throw typeError(`${what} must be an int, got ${pyStr(v)} of type '${typeName(v)}'`);
}

/** A number argument (attrs such as minval, on_value): Python number or constant tensor. */
export function numberArg(v: Value, what: string): number {
  if (v.kind === 'int' || v.kind === 'float' || v.kind === 'bool') return numberOf(v);
  const n = asTensorNode(v);
  if (n) {
    const c = constantValue(n);
    if (c && c.size === 1) return c.data[0];
    throw new FrontendError(
      FE.SHAPE_NOT_STATIC,
      'ValueError',
      `${what} must be known when the graph is built, but ${describeDynamic(n)} ${c ? 'is not a scalar' : 'depends on run-time values'}`,
    );
  }
  throw typeError(`${what} must be a number, got ${pyStr(v)} of type '${typeName(v)}'`);
}

/**
 * A shape argument: a list/tuple of ints (elements may be tensors known at build time, like
 * `[shape(X)[1], 1]`), a TensorShape, or a 1-D int tensor known at build time.
 * `allowUnknown` accepts None dims (placeholder shapes); `allowMinusOne` accepts one -1 (reshape).
 */
export function shapeArg(v: Value, what: string, opts: { allowUnknown?: boolean } = {}): (number | null)[] {
  if (v.kind === 'shape') {
    if (v.dims === null) throw valueError(`${what} must have a known rank`);
    if (!opts.allowUnknown && !isFullyDefined(v.dims)) throw valueError(`${what} must be fully defined, but instead was ${formatShapePy(v.dims)}`);
    return [...v.dims];
  }
  if (v.kind === 'int') return [v.value];
  if (v.kind === 'list' || v.kind === 'tuple') {
    return v.items.map((e, i) => {
      if (e.kind === 'none') {
        if (opts.allowUnknown) return null;
        throw valueError(`${what} must be fully defined, but element ${i} is None`);
      }
      return intArg(e, `element ${i} of ${what}`);
    });
  }
  const n = asTensorNode(v);
  if (n) {
    const c = constantValue(n);
    if (!c)
      throw new FrontendError(
        FE.SHAPE_NOT_STATIC,
        'ValueError',
        `${what} must be known when the graph is built, but ${describeDynamic(n)} depends on run-time values (use -1 or None for a dimension known only at run time)`,
      );
    if (c.dtype !== 'i32' || c.rank > 1) throw typeError(`${what} must be a 1-D int32 tensor, got ${describeDynamic(n)}`);
    return Array.from(c.data);
  }
  throw typeError(`${what} must be a list of ints, got ${pyStr(v)} of type '${typeName(v)}'`);
}

export function fullShapeArg(v: Value, what: string): number[] {
  return shapeArg(v, what) as number[];
}

/** An axis argument: None (all axes), an int, or a list of ints. */
export function axesArg(v: Value, what = 'axis'): number[] | null {
  if (v.kind === 'none') return null;
  if (v.kind === 'list' || v.kind === 'tuple') return v.items.map((e, i) => intArg(e, `element ${i} of ${what}`));
  const n = asTensorNode(v);
  if (n) {
    const c = constantValue(n);
    if (c && c.dtype === 'i32' && c.rank <= 1) return Array.from(c.data);
  }
  return [intArg(v, what)];
}

/** A dtype argument: a dtype value or its name as a string. */
export function dtypeArg(v: Value, what = 'dtype'): DType {
  if (v.kind === 'dtype') return v.dtype;
  if (v.kind === 'str') {
    const m: Record<string, DType> = {
      float32: 'f32',
      float: 'f32',
      f32: 'f32',
      float64: 'f64',
      double: 'f64',
      f64: 'f64',
      int32: 'i32',
      i32: 'i32',
      bool: 'bool',
    };
    const d = m[v.value];
    if (d) return d;
    throw typeError(`Cannot convert value ${pyRepr(v)} to a TensorFlow DType (tfg has float32, float64, int32 and bool).`);
  }
  throw typeError(`${what}: Cannot convert value ${pyStr(v)} to a TensorFlow DType.`);
}

export function optDTypeArg(v: Value, what = 'dtype'): DType | null {
  return v.kind === 'none' ? null : dtypeArg(v, what);
}

export function strArg(v: Value, what: string): string {
  if (v.kind === 'str') return v.value;
  throw typeError(`${what} must be a string, got ${pyStr(v)} of type '${typeName(v)}'`);
}

export function optStrArg(v: Value, what: string): string | null {
  return v.kind === 'none' ? null : strArg(v, what);
}

export function boolArg(v: Value, what: string): boolean {
  if (v.kind === 'bool') return v.value;
  if (v.kind === 'int') return v.value !== 0;
  throw typeError(`${what} must be a bool, got ${pyStr(v)} of type '${typeName(v)}'`);
}

export type { Scalar };
