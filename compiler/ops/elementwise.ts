/**
 * @fileoverview Elementwise ops, table-driven: each unary and binary op is one line giving its
 * TF1 type, accepted dtypes, scalar function (with an int32 variant where JS arithmetic would
 * not wrap like C++ int32) and a note of its math for codegen. Plus cast, select and add_n.
 * Inputs broadcast numpy-style; binary inputs must share a dtype (TF1's type attr `T`).
 */
import { type DType, pyDTypeName } from '../../session/dtype.js';
import { InvalidArgumentError } from '../../session/errors.js';
import { Tensor, sizeOf } from '../../session/tensor.js';
import type { Poly } from '../ir/sym.js';
import { ShapeError, broadcastShapes } from '../ir/shape.js';
import type { Node } from '../ir/graph.js';
import { NOT_DIFFERENTIABLE, type OpDef, OpTypeError, type TensorSig } from './def.js';
import type { GradBuilder, GradRule } from './grad-api.js';
import { type ElementwiseLowering, type OpLowering, type ViewRule, elementwise } from './lower-api.js';
import {
  ALL,
  BOOL,
  FLOAT,
  NUMERIC,
  attrDType,
  attrNum,
  broadcastSym,
  castScalar,
  checkArity,
  checkDType,
  checkSameDType,
  dtypeList,
  fmt,
  mapBinary,
  mapBroadcast,
  mapUnary,
  mergeShapesStrict,
  toInt32,
} from './kernels.js';

/** An elementwise OpDef carries its scalar semantics for the fuser and codegen. */
export interface ElementwiseOpDef extends OpDef {
  /** Input dtypes accepted. */
  readonly types: readonly DType[];
  /** The math, in C-like notation over x (and y), for codegen. */
  readonly math: string;
  /** Scalar function (on f64 values; the result is rounded to the output dtype). */
  readonly f: (...xs: number[]) => number;
  /** int32 variant where it differs (wrapping multiply, truncating divide, ...). */
  readonly fi?: (...xs: number[]) => number;
  /** Output dtype when it is not the input's (comparisons → bool). */
  readonly out?: DType;
}

interface UnarySpec {
  /** The lowering: the value from the input values (lower-api.ts). */
  value: ElementwiseLowering;
  /** Too costly to recompute in several kernels (a runtime call per lane). */
  expensive?: boolean;
  name: string;
  tfType: string;
  doc: string;
  math: string;
  types: readonly DType[];
  f: (x: number) => number;
  fi?: (x: number) => number;
  out?: DType;
  grad: GradRule | typeof NOT_DIFFERENTIABLE;
  /** A pass-through (identity): index arithmetic on the input, sharing its buffer when materialised. */
  passThrough?: boolean;
}

interface BinarySpec {
  /** The lowering: the value from the input values (lower-api.ts). */
  value: ElementwiseLowering;
  /** Too costly to recompute in several kernels (a runtime call per lane). */
  expensive?: boolean;
  name: string;
  tfType: string;
  doc: string;
  math: string;
  types: readonly DType[];
  f: (x: number, y: number) => number;
  fi?: (x: number, y: number) => number;
  /** float32 variant where rounding the result of `f` once is not the op's meaning (floordiv). */
  f32?: (x: number, y: number) => number;
  out?: DType;
  grad: GradRule | typeof NOT_DIFFERENTIABLE;
}

/** The view rule of a pass-through op: the output's view is the input's. */
const passView: ViewRule = (_n, v) => v;

function lowering(spec: UnarySpec | BinarySpec): OpLowering {
  if ('passThrough' in spec && spec.passThrough) return { fusion: 'elementwise', value: spec.value, view: passView, sharesBuffer: true };
  return elementwise(spec.value, { expensive: spec.expensive });
}

/** numpy broadcasting of the inputs' symbolic dims. */
const broadcastRule = (_n: Node, ins: Poly[][]) => broadcastSym(ins);

function unary<S extends UnarySpec>(spec: S): S & ElementwiseOpDef {
  return {
    kind: 'elementwise',
    signature: '[x]',
    shapeRule: 'same as x',
    dtypes: dtypeList(spec.types),
    ...spec,
    lower: lowering(spec),
    symShape: broadcastRule,
    infer(inputs: readonly TensorSig[]) {
      checkArity(spec.tfType, inputs, 1);
      checkDType('x', inputs[0].dtype, spec.types);
      return { dtype: spec.out ?? inputs[0].dtype, shape: inputs[0].shape };
    },
    eval(inputs: (Tensor | null)[]) {
      const x = inputs[0]!;
      const fn = x.dtype === 'i32' && spec.fi ? spec.fi : spec.f;
      return mapUnary(x, spec.out ?? x.dtype, fn);
    },
  };
}

function binary<S extends BinarySpec>(spec: S): S & ElementwiseOpDef {
  return {
    kind: 'elementwise',
    signature: '[x, y]',
    shapeRule: 'broadcast(x, y)',
    dtypes: dtypeList(spec.types) + (spec.out ? ` → ${spec.out}` : ''),
    ...spec,
    lower: lowering(spec),
    symShape: broadcastRule,
    infer(inputs: readonly TensorSig[]) {
      checkArity(spec.tfType, inputs, 2);
      checkSameDType(spec.tfType, inputs, ['x', 'y']);
      checkDType('x', inputs[0].dtype, spec.types);
      return { dtype: spec.out ?? inputs[0].dtype, shape: broadcastShapes(inputs[0].shape, inputs[1].shape) };
    },
    eval(inputs: (Tensor | null)[]) {
      const x = inputs[0]!;
      const fn = x.dtype === 'i32' && spec.fi ? spec.fi : x.dtype === 'f32' && spec.f32 ? spec.f32 : spec.f;
      return mapBinary(x, inputs[1]!, spec.out ?? x.dtype, fn);
    },
  };
}

// ---- scalar functions that need more than one expression ----

function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN;
}

function relu(x: number): number {
  return x > 0 ? x : Number.isNaN(x) ? x : 0;
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/**
 * maximum/minimum are IEEE 754-2019 maximum/minimum, as wasm's f32.max/f64.max and JS's Math.max:
 * NaN propagates and -0 < +0, so max(+0, -0) is +0 and min(+0, -0) is -0 in either order. That makes
 * them commutative and associative, so a reduction's result does not depend on its order (SIMD
 * lanes, thread segments). TF1's CPU kernel (std::max) returns its first operand on ties and when
 * the second is NaN; docs/ops.md states the difference.
 */
function maximum(x: number, y: number): number {
  return Math.max(x, y);
}

function minimum(x: number, y: number): number {
  return Math.min(x, y);
}

/** int32 division truncating toward zero, as TF's Div kernel on integers. */
function intDiv(x: number, y: number): number {
  if (y === 0) throw new InvalidArgumentError('Integer division by zero');
  return Math.trunc(x / y) | 0;
}

/** int32 division rounding toward -∞, as TF's FloorDiv on integers (INT_MIN // -1 wraps). */
function intFloorDiv(x: number, y: number): number {
  if (y === 0) throw new InvalidArgumentError('Integer division by zero');
  const z = Math.trunc(x / y) | 0;
  return Math.imul(z, y) !== x && x < 0 !== y < 0 ? (z - 1) | 0 : z;
}

/**
 * TF's FloorMod: C's remainder (fmod for floats, exact: JavaScript's %), moved to the divisor's
 * sign when it is not zero. For float32 the sum is rounded once (f64 then f32 equals the f32 add).
 */
function floorMod(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && y < 0 !== r < 0 ? r + y : r;
}

function intFloorMod(x: number, y: number): number {
  if (y === 0) throw new InvalidArgumentError('Integer division by zero');
  const r = (x % y) | 0;
  return r !== 0 && y < 0 !== r < 0 ? (r + y) | 0 : r;
}

/** int32 power by squaring with wrapping multiplies; negative exponents are an error in TF. */
function intPow(x: number, y: number): number {
  if (y < 0) throw new InvalidArgumentError('Integers to negative integers are not allowed');
  let r = 1;
  let b = x | 0;
  let e = y;
  while (e > 0) {
    if (e & 1) r = Math.imul(r, b);
    b = Math.imul(b, b);
    e >>>= 1;
  }
  return r;
}

const b = (v: boolean): number => (v ? 1 : 0);

// ---- gradient helpers (rules are written in each op's definition below) ----

const ND = NOT_DIFFERENTIABLE;

/** A unary rule from dy, x and y (the op's output): dx. */
const ugrad =
  (f: (b: GradBuilder, dy: Node, x: Node, y: Node) => Node): GradRule =>
  (b, n, dy) => [f(b, dy, n.inputs[0], n)];

/** A binary rule: per-input gradients at the broadcast shape, summed back to each input's shape. */
const bgrad =
  (f: (b: GradBuilder, dy: Node, x: Node, y: Node, z: Node) => [Node | null, Node | null]): GradRule =>
  (b, n, dy) => {
    const [x, y] = n.inputs;
    const [gx, gy] = f(b, dy, x, y, n);
    return [gx && b.sumToShape(gx, x), gy && b.sumToShape(gy, y)];
  };

/** maximum/minimum: the gradient goes to x where mask(x, y) holds (ties to x, as TF1), else to y. */
const maxMinGrad = (mask: 'greater_equal' | 'less_equal'): GradRule =>
  bgrad((b, dy, x, y) => {
    const m = b.compare(mask, x, y);
    const zeros = b.zerosLike(dy);
    return [b.select(m, dy, zeros), b.select(m, zeros, dy)];
  });

const one = (b: GradBuilder, like: Node): Node => b.scalar(1, like.dtype!);

export const ELEMENTWISE_OPS = {
  // ---- unary ----
  identity: unary({
    name: 'identity',
    passThrough: true,
    tfType: 'Identity',
    doc: 'Returns its input unchanged.',
    math: 'x',
    types: ALL,
    f: (x) => x,
    value: (_b, [x]) => x,
    grad: (_b, _n, dy) => [dy],
  }),
  stop_gradient: unary({
    name: 'stop_gradient',
    passThrough: true,
    tfType: 'StopGradient',
    doc: 'Identity that blocks gradients.',
    math: 'x',
    types: ALL,
    f: (x) => x,
    value: (_b, [x]) => x,
    grad: ND,
  }),
  neg: unary({
    name: 'neg',
    tfType: 'Neg',
    doc: 'Numerical negative.',
    math: '-x',
    types: NUMERIC,
    f: (x) => -x,
    value: (b, [x]) => b.neg(x),
    grad: ugrad((b, dy) => b.neg(dy)),
  }),
  square: unary({
    name: 'square',
    tfType: 'Square',
    doc: 'x * x.',
    math: 'x * x',
    types: NUMERIC,
    f: (x) => x * x,
    fi: (x) => Math.imul(x, x),
    value: (b, [x]) => b.mul(x, x),
    grad: ugrad((b, dy, x) => b.mul(dy, b.scale(x, 2))),
  }),
  sqrt: unary({
    name: 'sqrt',
    tfType: 'Sqrt',
    doc: 'Square root.',
    math: 'sqrt(x)',
    types: FLOAT,
    f: Math.sqrt,
    value: (b, [x]) => b.sqrt(x),
    grad: ugrad((b, dy, _x, y) => b.div(b.scale(dy, 0.5), y)),
  }),
  rsqrt: unary({
    name: 'rsqrt',
    tfType: 'Rsqrt',
    doc: 'Reciprocal square root.',
    math: '1 / sqrt(x)',
    types: FLOAT,
    f: (x) => 1 / Math.sqrt(x),
    value: (b, [x]) => b.div(b.const(1, x.dtype), b.sqrt(x)),
    grad: ugrad((b, dy, _x, y) => b.mul(dy, b.scale(b.mul(b.square(y), y), -0.5))),
  }),
  exp: unary({
    name: 'exp',
    expensive: true,
    tfType: 'Exp',
    doc: 'e to the x.',
    math: 'exp(x)',
    types: FLOAT,
    f: Math.exp,
    value: (b, [x]) => b.math('exp', x),
    grad: ugrad((b, dy, _x, y) => b.mul(dy, y)),
  }),
  log: unary({
    name: 'log',
    expensive: true,
    tfType: 'Log',
    doc: 'Natural logarithm.',
    math: 'log(x)',
    types: FLOAT,
    f: Math.log,
    value: (b, [x]) => b.math('log', x),
    grad: ugrad((b, dy, x) => b.div(dy, x)),
  }),
  abs: unary({
    name: 'abs',
    tfType: 'Abs',
    doc: 'Absolute value.',
    math: 'abs(x)',
    types: NUMERIC,
    f: Math.abs,
    value: (b, [x]) => b.abs(x),
    grad: ugrad((b, dy, x) => b.mul(dy, b.sign(x))),
  }),
  sign: unary({
    name: 'sign',
    tfType: 'Sign',
    doc: '-1, 0 or 1 by the sign of x (NaN stays NaN).',
    math: 'x > 0 ? 1 : x < 0 ? -1 : x',
    types: NUMERIC,
    f: sign,
    value: (b, [x]) =>
      b.select(b.cmp('gt', x, b.const(0, x.dtype)), b.const(1, x.dtype), b.select(b.cmp('lt', x, b.const(0, x.dtype)), b.const(-1, x.dtype), x)),
    grad: ugrad((b, _dy, x) => b.zerosLike(x)),
  }),
  floor: unary({
    name: 'floor',
    tfType: 'Floor',
    doc: 'The largest integer not greater than x (floats).',
    math: 'floor(x)',
    types: FLOAT,
    f: Math.floor,
    value: (b, [x]) => b.floor(x),
    // TF1's _FloorGrad: no gradient
    grad: (_b, _n, _dy) => [null],
  }),
  sin: unary({
    name: 'sin',
    expensive: true,
    tfType: 'Sin',
    doc: 'Sine.',
    math: 'sin(x)',
    types: FLOAT,
    f: Math.sin,
    value: (b, [x]) => b.math('sin', x),
    grad: ugrad((b, dy, x) => b.mul(dy, b.cos(x))),
  }),
  cos: unary({
    name: 'cos',
    expensive: true,
    tfType: 'Cos',
    doc: 'Cosine.',
    math: 'cos(x)',
    types: FLOAT,
    f: Math.cos,
    value: (b, [x]) => b.math('cos', x),
    grad: ugrad((b, dy, x) => b.neg(b.mul(dy, b.sin(x)))),
  }),
  relu: unary({
    name: 'relu',
    tfType: 'Relu',
    doc: 'max(x, 0).',
    math: 'x > 0 ? x : 0',
    types: NUMERIC,
    f: relu,
    value: (b, [x]) => b.max(x, b.const(0, x.dtype)),
    grad: ugrad((b, dy, _x, y) => b.select(b.compare('greater', y, b.scalar(0, y.dtype!)), dy, b.zerosLike(dy))),
  }),
  sigmoid: unary({
    name: 'sigmoid',
    expensive: true,
    tfType: 'Sigmoid',
    doc: 'Logistic function 1 / (1 + exp(-x)).',
    math: '1 / (1 + exp(-x))',
    types: FLOAT,
    f: sigmoid,
    value: (b, [x]) => b.math('sigmoid', x),
    grad: ugrad((b, dy, _x, y) => b.mul(dy, b.mul(y, b.sub(one(b, y), y)))),
  }),
  tanh: unary({
    name: 'tanh',
    expensive: true,
    tfType: 'Tanh',
    doc: 'Hyperbolic tangent.',
    math: 'tanh(x)',
    types: FLOAT,
    f: Math.tanh,
    value: (b, [x]) => b.math('tanh', x),
    grad: ugrad((b, dy, _x, y) => b.mul(dy, b.sub(one(b, y), b.square(y)))),
  }),
  logical_not: unary({
    name: 'logical_not',
    tfType: 'LogicalNot',
    doc: 'Boolean not.',
    math: '!x',
    types: BOOL,
    f: (x) => b(!x),
    value: (b, [x]) => b.not(x),
    grad: ND,
  }),

  // ---- binary ----
  add: binary({
    name: 'add',
    tfType: 'Add',
    doc: 'x + y.',
    math: 'x + y',
    types: NUMERIC,
    f: (x, y) => x + y,
    value: (b, [x, y]) => b.add(x, y),
    grad: bgrad((_b, dy) => [dy, dy]),
  }),
  sub: binary({
    name: 'sub',
    tfType: 'Sub',
    doc: 'x - y.',
    math: 'x - y',
    types: NUMERIC,
    f: (x, y) => x - y,
    value: (b, [x, y]) => b.sub(x, y),
    grad: bgrad((b, dy) => [dy, b.neg(dy)]),
  }),
  mul: binary({
    name: 'mul',
    tfType: 'Mul',
    doc: 'x * y.',
    math: 'x * y',
    types: NUMERIC,
    f: (x, y) => x * y,
    fi: Math.imul,
    value: (b, [x, y]) => b.mul(x, y),
    grad: bgrad((b, dy, x, y) => [b.mul(dy, y), b.mul(x, dy)]),
  }),
  div: binary({
    name: 'div',
    tfType: 'Div',
    doc: 'x / y (integers: truncating toward zero).',
    math: 'x / y (int: trunc)',
    types: NUMERIC,
    f: (x, y) => x / y,
    fi: intDiv,
    value: (b, [x, y]) => (x.dtype === 'i32' ? b.idiv(x, y) : b.div(x, y)),
    grad: bgrad((b, dy, x, y) => [b.div(dy, y), b.mul(dy, b.div(b.div(b.neg(x), y), y))]),
  }),
  pow: binary({
    name: 'pow',
    expensive: true,
    tfType: 'Pow',
    doc: 'x to the power y.',
    math: 'pow(x, y)',
    types: NUMERIC,
    f: Math.pow,
    fi: intPow,
    value: (b, [x, y]) => (x.dtype === 'i32' ? b.ipow(x, y) : b.math('pow', x, y)),
    grad: bgrad((b, dy, x, y, z) => {
      // TF1: dz/dx = y * x^(y-1); dz/dy = z * log(x) where x > 0, else 0
      const gx = b.mul(dy, b.mul(y, b.op('pow', [x, b.sub(y, one(b, y))])));
      const pos = b.compare('greater', x, b.scalar(0, x.dtype!));
      const logX = b.select(pos, b.log(b.select(pos, x, b.onesLike(x))), b.zerosLike(x));
      return [gx, b.mul(dy, b.mul(z, logX))];
    }),
  }),
  floordiv: binary({
    name: 'floordiv',
    tfType: 'FloorDiv',
    doc: 'x / y rounded toward -∞ (floats: floor(x / y); int32: division by zero fails). The `//` operator on tensors.',
    math: 'floor(x / y)',
    types: NUMERIC,
    f: (x, y) => Math.floor(x / y),
    f32: (x, y) => Math.floor(Math.fround(x / y)),
    fi: intFloorDiv,
    value: (b, [x, y]) => (x.dtype === 'i32' ? b.ifloordiv(x, y) : b.floor(b.div(x, y))),
    // TF1's _FloorDivGrad: no gradient for either input
    grad: (_b, _n, _dy) => [null, null],
  }),
  floormod: binary({
    name: 'floormod',
    tfType: 'FloorMod',
    doc: 'Remainder of floor division, with the sign of y (floats: from fmod; int32: division by zero fails). The `%` operator on tensors.',
    math: 'x - floor(x / y) * y',
    types: NUMERIC,
    expensive: true,
    f: floorMod,
    fi: intFloorMod,
    value: (b, [x, y]) => {
      if (x.dtype === 'i32') return b.ifloormod(x, y);
      const r = b.math('fmod', x, y);
      const zero = b.const(0, x.dtype);
      return b.select(b.and(b.cmp('ne', r, zero), b.cmp('ne', b.cmp('lt', y, zero), b.cmp('lt', r, zero))), b.add(r, y), r);
    },
    // TF1's _FloorModGrad: dx = dy, dy = -dy * floor_div(x, y)
    grad: bgrad((b, dy, x, y) => [dy, b.mul(dy, b.neg(b.op('floordiv', [x, y])))]),
  }),
  maximum: binary({
    name: 'maximum',
    tfType: 'Maximum',
    doc: 'Elementwise max (IEEE maximum: NaN propagates, +0 beats -0).',
    math: 'max(x, y)',
    types: NUMERIC,
    f: maximum,
    value: (b, [x, y]) => b.max(x, y),
    grad: maxMinGrad('greater_equal'),
  }),
  minimum: binary({
    name: 'minimum',
    tfType: 'Minimum',
    doc: 'Elementwise min (IEEE minimum: NaN propagates, -0 beats +0).',
    math: 'min(x, y)',
    types: NUMERIC,
    f: minimum,
    value: (b, [x, y]) => b.min(x, y),
    grad: maxMinGrad('less_equal'),
  }),
  equal: binary({
    name: 'equal',
    tfType: 'Equal',
    doc: 'x == y.',
    math: 'x == y',
    types: ALL,
    out: 'bool',
    f: (x, y) => b(x === y),
    value: (b, [x, y]) => b.cmp('eq', x, y),
    grad: ND,
  }),
  not_equal: binary({
    name: 'not_equal',
    tfType: 'NotEqual',
    doc: 'x != y.',
    math: 'x != y',
    types: ALL,
    out: 'bool',
    f: (x, y) => b(x !== y),
    value: (b, [x, y]) => b.cmp('ne', x, y),
    grad: ND,
  }),
  less: binary({
    name: 'less',
    tfType: 'Less',
    doc: 'x < y.',
    math: 'x < y',
    types: NUMERIC,
    out: 'bool',
    f: (x, y) => b(x < y),
    value: (b, [x, y]) => b.cmp('lt', x, y),
    grad: ND,
  }),
  less_equal: binary({
    name: 'less_equal',
    tfType: 'LessEqual',
    doc: 'x <= y.',
    math: 'x <= y',
    types: NUMERIC,
    out: 'bool',
    f: (x, y) => b(x <= y),
    value: (b, [x, y]) => b.cmp('le', x, y),
    grad: ND,
  }),
  greater: binary({
    name: 'greater',
    tfType: 'Greater',
    doc: 'x > y.',
    math: 'x > y',
    types: NUMERIC,
    out: 'bool',
    f: (x, y) => b(x > y),
    value: (b, [x, y]) => b.cmp('gt', x, y),
    grad: ND,
  }),
  greater_equal: binary({
    name: 'greater_equal',
    tfType: 'GreaterEqual',
    doc: 'x >= y.',
    math: 'x >= y',
    types: NUMERIC,
    out: 'bool',
    f: (x, y) => b(x >= y),
    value: (b, [x, y]) => b.cmp('ge', x, y),
    grad: ND,
  }),
  logical_and: binary({
    name: 'logical_and',
    tfType: 'LogicalAnd',
    doc: 'Boolean and.',
    math: 'x && y',
    types: BOOL,
    f: (x, y) => b(!!x && !!y),
    value: (b, [x, y]) => b.and(x, y),
    grad: ND,
  }),
  logical_or: binary({
    name: 'logical_or',
    tfType: 'LogicalOr',
    doc: 'Boolean or.',
    math: 'x || y',
    types: BOOL,
    f: (x, y) => b(!!x || !!y),
    value: (b, [x, y]) => b.or(x, y),
    grad: ND,
  }),

  // ---- the rest of the family ----
  leaky_relu: {
    name: 'leaky_relu',
    tfType: 'LeakyRelu',
    doc: 'features where features > 0, else alpha·features (attr alpha, default 0.2; NaN stays NaN).',
    kind: 'elementwise',
    signature: '[features]; {alpha}',
    shapeRule: 'same as features',
    dtypes: dtypeList(FLOAT),
    lower: elementwise((b, [x], attrs) => b.select(b.cmp('gt', x, b.const(0, x.dtype)), x, b.mul(x, b.const(attrNum(attrs, 'alpha', 0.2), x.dtype)))),
    symShape: broadcastRule,
    infer(inputs, attrs) {
      checkArity('LeakyRelu', inputs, 1);
      checkDType('features', inputs[0].dtype, FLOAT);
      attrNum(attrs, 'alpha', 0.2);
      return { dtype: inputs[0].dtype, shape: inputs[0].shape };
    },
    eval(inputs, attrs) {
      const x = inputs[0]!;
      // TF's kernel multiplies by alpha cast to T: (features > 0).select(features, features * alpha)
      const alpha = castScalar(attrNum(attrs, 'alpha', 0.2), x.dtype);
      return mapUnary(x, x.dtype, (v) => (v > 0 ? v : v * alpha));
    },
    grad(b, n, dy) {
      // TF1's LeakyReluGrad: dy where features > 0, else alpha·dy
      const x = n.inputs[0];
      const alpha = attrNum(n.attrs, 'alpha', 0.2);
      return [b.select(b.compare('greater', x, b.scalar(0, x.dtype!)), dy, b.scale(dy, alpha))];
    },
  },
  cast: {
    name: 'cast',
    tfType: 'Cast',
    doc: 'Converts to attr dtype: floats to int truncate toward zero, nonzero to bool is true.',
    kind: 'elementwise',
    signature: '[x]; {dtype}',
    shapeRule: 'same as x',
    dtypes: 'any → any',
    lower: elementwise((b, [x], attrs) => b.cast(x, attrDType(attrs))),
    symShape: broadcastRule,
    infer(inputs, attrs) {
      checkArity('Cast', inputs, 1);
      return { dtype: attrDType(attrs), shape: inputs[0].shape };
    },
    eval(inputs, attrs) {
      const x = inputs[0]!;
      const to = attrDType(attrs);
      const fromFloat = x.dtype === 'f32' || x.dtype === 'f64';
      const fn = to === 'i32' && fromFloat ? toInt32 : (v: number) => castScalar(v, to);
      return mapUnary(x, to, fn);
    },
    grad(b, n, dy) {
      // gradients flow only between float types (TF1's _CastGrad)
      const x = n.inputs[0];
      const isF = (d: DType | null): boolean => d === 'f32' || d === 'f64';
      return [isF(x.dtype) && isF(n.dtype) ? b.cast(dy, x.dtype!) : null];
    },
  },
  select: {
    name: 'select',
    tfType: 'Select',
    doc: 'Where cond is true take x, else y (cond, x, y broadcast together).',
    kind: 'elementwise',
    signature: '[cond, x, y]',
    shapeRule: 'broadcast(cond, x, y)',
    dtypes: 'cond bool; x, y any (equal)',
    lower: elementwise((b, [c, x, y]) => b.select(c, x, y)),
    symShape: broadcastRule,
    infer(inputs) {
      checkArity('Select', inputs, 3);
      checkDType('condition', inputs[0].dtype, BOOL);
      checkSameDType('Select', inputs, ['condition', 'x', 'y'], 1);
      return { dtype: inputs[1].dtype, shape: broadcastShapes(inputs[0].shape, broadcastShapes(inputs[1].shape, inputs[2].shape)) };
    },
    eval(inputs) {
      const [c, x, y] = inputs as Tensor[];
      return mapBroadcast([c, x, y], x.dtype, (v) => (v[0] ? v[1] : v[2]));
    },
    grad(b, n, dy) {
      const [c, x, y] = n.inputs;
      const zeros = b.zerosLike(dy);
      return [null, b.sumToShape(b.select(c, dy, zeros), x), b.sumToShape(b.select(c, zeros, dy), y)];
    },
  },
  add_n: {
    name: 'add_n',
    tfType: 'AddN',
    doc: 'Sum of a list of tensors of one shape and dtype (accumulated in f64, rounded once).',
    kind: 'elementwise',
    signature: '[x0, x1, ...]',
    shapeRule: 'all equal; same as x0',
    dtypes: dtypeList(NUMERIC),
    lower: elementwise((b, xs) => b.sumF64(xs)),
    symShape: broadcastRule,
    infer(inputs) {
      if (inputs.length === 0) throw new ShapeError('AddN needs at least one input');
      const types = inputs.map((s) => s.dtype);
      if (types.some((d) => d !== types[0])) {
        throw new OpTypeError(`Tensors in list passed to 'inputs' of 'AddN' Op have types [${types.map(pyDTypeName).join(', ')}] that don't all match.`);
      }
      checkDType('inputs', types[0], NUMERIC);
      let shape = inputs[0].shape;
      for (let i = 1; i < inputs.length; i++) shape = mergeShapesStrict(shape, inputs[i].shape);
      return { dtype: types[0], shape };
    },
    eval(inputs) {
      const xs = inputs as Tensor[];
      const x0 = xs[0];
      for (let i = 1; i < xs.length; i++) {
        if (xs[i].shape.length !== x0.shape.length || xs[i].shape.some((d, j) => d !== x0.shape[j])) {
          throw new InvalidArgumentError(
            `Inputs to operation AddN of type AddN must have the same size and shape.  Input 0: ${fmt(x0.shape)} != input ${i}: ${fmt(xs[i].shape)}`,
          );
        }
      }
      const out = Tensor.zeros(x0.dtype, x0.shape);
      const n = sizeOf(x0.shape);
      const isInt = x0.dtype === 'i32';
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (const x of xs) acc = isInt ? (acc + x.data[j]) | 0 : acc + x.data[j];
        out.data[j] = acc;
      }
      return out;
    },
    grad(_b, n, dy) {
      return n.inputs.map(() => dy);
    },
  },
} satisfies Record<string, OpDef>;
