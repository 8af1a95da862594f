/**
 * @fileoverview How an op is lowered to WebAssembly: the interfaces an `OpDef.lower` rule is
 * written against. compiler/codegen/ implements them (expr.ts's `ValueBuilder`, kernels.ts's
 * opaque emitter, module.ts's `WasmModule`); this file imports nothing from a later stage, so
 * op definitions in compiler/ops/ never import compiler/codegen.
 *
 * An op's lowering is chosen by its fusion class (the `fusion` field of `OpLowering`):
 * - `elementwise`: the value from the input values on a `LowerBuilder` (one rule for scalar and
 *   SIMD loops: the builder knows whether it emits one element or a vector of lanes — f32x4,
 *   f64x2, i32x4; bool is an i32x4 mask in vectors and 0/1 in scalars — and picks the
 *   instruction). Fusion inlines it into every kernel that reads it (docs/fusion.md);
 * - `view`: index arithmetic on the loads beneath it (transpose, expand_dims, squeeze, slice,
 *   strided_slice, fill, ...): the `ViewRule` maps the view of the output to a view of input 0
 *   (or to a constant);
 * - `alias`: the same buffer as input 0 under another shape (reshape), no code;
 * - `reduction`: a reduce kernel (combiner, axes, mean);
 * - `contraction`: the runtime's matmul kernel (compiler/codegen/kernels.ts `emitMatmul`), with
 *   output fusion of an elementwise epilogue;
 * - `opaque`: a kernel of its own, emitted by the op's `emit` on an `OpaqueEmitter`, with the
 *   per-call scratch bytes it needs;
 * - `stateful`: an in-place update of a variable (assign, assign_add, assign_sub);
 * - `leaf`: given by the caller or the module (const, placeholder, variable); `control`: no value;
 * - `unsupported`: cannot be lowered, with the reason (the generic plan leaves its kernel out
 *   and a run that needs it raises UnimplementedError; a signature that needs it fails to compile).
 *
 * Ops with no SIMD instruction (exp, log, sin, cos, tanh, sigmoid, pow on floats, fmod) call
 * `math`, which the builder lowers to the runtime's scalar function per lane.
 */
import type { DType } from '../../session/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { Poly } from '../ir/sym.js';

// ---------------------------------------------------------------- elementwise rules

/** A value under construction (scalar or vector), with its tfg dtype. */
export interface LValue {
  readonly dtype: DType;
}

export type CmpOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type MathFn = 'exp' | 'log' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'pow' | 'fmod';

export interface LowerBuilder {
  /** True when emitting SIMD lanes. */
  readonly vector: boolean;
  const(value: number, dtype: DType): LValue;
  add(x: LValue, y: LValue): LValue;
  sub(x: LValue, y: LValue): LValue;
  /** Wrapping for i32. */
  mul(x: LValue, y: LValue): LValue;
  /** Float division (use idiv for i32). */
  div(x: LValue, y: LValue): LValue;
  neg(x: LValue): LValue;
  abs(x: LValue): LValue;
  sqrt(x: LValue): LValue;
  /** Round toward -∞ (floats). */
  floor(x: LValue): LValue;
  /** NaN-propagating max/min (i32: signed). */
  max(x: LValue, y: LValue): LValue;
  min(x: LValue, y: LValue): LValue;
  cmp(op: CmpOp, x: LValue, y: LValue): LValue;
  and(x: LValue, y: LValue): LValue;
  or(x: LValue, y: LValue): LValue;
  not(x: LValue): LValue;
  isNaN(x: LValue): LValue;
  select(cond: LValue, x: LValue, y: LValue): LValue;
  cast(x: LValue, to: DType): LValue;
  /** int32 division truncating toward zero; division by zero fails the run ('Integer division by zero'). */
  idiv(x: LValue, y: LValue): LValue;
  /** int32 division rounding toward -∞ (TF's FloorDiv); division by zero fails the run. */
  ifloordiv(x: LValue, y: LValue): LValue;
  /** int32 remainder with the divisor's sign (TF's FloorMod); division by zero fails the run. */
  ifloormod(x: LValue, y: LValue): LValue;
  /** int32 power by squaring; a negative exponent fails the run. */
  ipow(x: LValue, y: LValue): LValue;
  /** A transcendental function per lane (the runtime's, in f64, rounded to the dtype). */
  math(fn: MathFn, ...xs: LValue[]): LValue;
  /** Sum accumulated in f64 and rounded once (add_n); wrapping for i32. */
  sumF64(xs: LValue[]): LValue;
}

/** An elementwise op's lowering: the output value from the input values and the attrs. */
export type ElementwiseLowering = (b: LowerBuilder, xs: LValue[], attrs: Attrs) => LValue;

// ---------------------------------------------------------------- views

/**
 * How an index of a node depends on the kernel's iteration index: node_idx = M·idx + o, one row
 * of M (one coefficient per iteration dim) and one offset per dim of the node.
 */
export interface View {
  m: number[][];
  o: Poly[];
}

/** What a view rule may ask: the symbolic shape of a node, the rank of the iteration space. */
export interface ViewContext {
  shape(n: Node): Poly[];
  /** Number of iteration dims (the length of each row of M). */
  readonly cols: number;
}

/** A view op: the view of input 0 read for output view `v`, or a constant value (zeros_like). */
export type ViewRule = (n: Node, v: View, ctx: ViewContext) => View | { readonly constant: number };

// ---------------------------------------------------------------- the WebAssembly vocabulary

/** A WebAssembly value type. */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';
/** A function result type (`none` for no result). */
export type ResultType = ValType | 'none';
export type Scalar = 'i32' | 'i64' | 'f32' | 'f64';
/** An expression under construction (a binaryen ExpressionRef in codegen; opaque here). */
export type Expr = number & { readonly __expr: unique symbol };

type IntBin =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div_s'
  | 'div_u'
  | 'rem_s'
  | 'rem_u'
  | 'and'
  | 'or'
  | 'xor'
  | 'shl'
  | 'shr_s'
  | 'shr_u'
  | 'rotl'
  | 'rotr'
  | 'eq'
  | 'ne'
  | 'lt_s'
  | 'lt_u'
  | 'le_s'
  | 'le_u'
  | 'gt_s'
  | 'gt_u'
  | 'ge_s'
  | 'ge_u';
type FloatBin = 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max' | 'copysign' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
type FloatVecBin = 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max' | 'pmin' | 'pmax' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
type IntVecBin = 'add' | 'sub' | 'mul' | 'eq' | 'ne' | 'lt_s' | 'gt_s' | 'le_s' | 'ge_s' | 'shl' | 'shr_s' | 'shr_u' | 'min_s' | 'max_s';
/** Binary operators, spelled as in the text format. */
export type BinaryOp =
  | `${'i32' | 'i64'}.${IntBin}`
  | `${'f32' | 'f64'}.${FloatBin}`
  | `${'f32x4' | 'f64x2'}.${FloatVecBin}`
  | `i32x4.${IntVecBin}`
  | `v128.${'and' | 'or' | 'xor' | 'andnot'}`;
/** Unary operators, spelled as in the text format. */
export type UnaryOp =
  | `${'f32' | 'f64'}.${'neg' | 'abs' | 'sqrt' | 'ceil' | 'floor' | 'trunc' | 'nearest'}`
  | `${'i32' | 'i64'}.${'eqz' | 'clz' | 'ctz' | 'popcnt'}`
  | `${'f32x4' | 'f64x2'}.${'neg' | 'abs' | 'sqrt' | 'ceil' | 'floor' | 'trunc' | 'nearest' | 'splat'}`
  | `${'i32x4'}.${'neg' | 'abs' | 'splat' | 'all_true' | 'bitmask' | 'trunc_sat_f32x4_s'}`
  | 'v128.not'
  | 'v128.any_true'
  | 'f32x4.convert_i32x4_s'
  | 'f32x4.demote_f64x2_zero'
  | 'f64x2.promote_low_f32x4'
  | 'f64x2.convert_low_i32x4_s'
  | 'f32.demote_f64'
  | 'f64.promote_f32'
  | 'f32.convert_i32_s'
  | 'f64.convert_i32_s'
  | 'i32.trunc_sat_f32_s'
  | 'i32.trunc_sat_f64_s'
  | 'i32.reinterpret_f32'
  | 'f32.reinterpret_i32'
  | 'i64.reinterpret_f64'
  | 'f64.reinterpret_i64'
  | 'i64.extend_i32_s'
  | 'i64.extend_i32_u'
  | 'i32.wrap_i64';

/** A local variable (parameter or declared local) of a function under construction. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/** The instructions an opaque lowering builds with (compiler/codegen/module.ts's WasmModule). */
export interface WasmOps {
  const(type: Scalar, value: number | bigint): Expr;
  i32(v: number): Expr;
  f32(v: number): Expr;
  f64(v: number): Expr;
  block(label: string | null, children: readonly Expr[], result?: ResultType): Expr;
  if(cond: Expr, then: Expr, otherwise?: Expr): Expr;
  select(cond: Expr, ifTrue: Expr, ifFalse: Expr): Expr;
  call(name: string, args: readonly Expr[], result: ResultType): Expr;
  return(value?: Expr): Expr;
  /** A copy of an expression tree (an Expr is a tree node: a second use needs a copy). */
  copyExpr(e: Expr): Expr;
  /** for (i = start; i < end; i += step) body */
  forRange(i: Local, start: Expr, end: Expr | (() => Expr), step: number, body: readonly Expr[]): Expr;
  binary(op: BinaryOp, a: Expr, b: Expr): Expr;
  unary(op: UnaryOp, a: Expr): Expr;
  load(type: Scalar, ptr: Expr, offset?: number, align?: number): Expr;
  store(type: Scalar, ptr: Expr, value: Expr, offset?: number, align?: number): Expr;
  load8u(ptr: Expr, offset?: number): Expr;
  store8(ptr: Expr, value: Expr, offset?: number): Expr;
  memoryCopy(dst: Expr, src: Expr, bytes: Expr): Expr;
  memoryFill(dst: Expr, value: Expr, bytes: Expr): Expr;
}

/** The function an opaque lowering emits into (compiler/codegen/module.ts's FunctionBuilder). */
export interface FunctionOps {
  local(type: ValType): Local;
  get(l: Local): Expr;
  set(l: Local, value: Expr): Expr;
}

/** A value of a `ValueOps` builder: its dtype and the expression that reads it. */
export interface KValue extends LValue {
  get(): Expr;
}

/** The value builder of a kernel (codegen/expr.ts's ValueBuilder): LowerBuilder plus memory and failures. */
export interface ValueOps extends LowerBuilder {
  /** Manifest index of the node recorded with a failure. */
  node: number;
  /** Statements the builder has emitted (each value goes to a fresh local). */
  readonly stmts: Expr[];
  const(value: number, dtype: DType): KValue;
  /** A scalar builder sharing this builder's function and statement list. */
  scalar(): ValueOps;
  load(d: DType, ptr: () => Expr): KValue;
  loadSplat(d: DType, ptr: () => Expr): KValue;
  store(x: LValue, ptr: () => Expr): Expr;
  /**
   * Record a run-time failure (session/wasm/status.ts STATUS code, with up to two i32
   * arguments) when the scalar i32 `cond` is non-zero (any value, not only 1) and no earlier
   * failure is recorded.
   */
  fail(cond: Expr, code: number, arg0?: Expr, arg1?: Expr): void;
}

/** One buffer walked by a loop nest: element strides per iteration dim and an element offset. */
export interface NestAccess {
  dtype: DType;
  strides: Poly[];
  offset: Poly;
  /** Buffer base address (evaluated once at function entry). */
  base: () => Expr;
}

/** What a loop body sees: the builder and, per access, its element pointer and whether it is a splat. */
export interface BodyEnv {
  b: ValueOps;
  ptr(a: number): () => Expr;
  splat(a: number): boolean;
}

export interface NestOptions {
  /** Lanes for the innermost loop (1: scalar only). */
  lanes: 1 | 2 | 4;
  /** Dims [split, rank) are reduced: `enterReduce` runs before their loops, `leaveReduce` after. */
  split?: number;
  enterReduce?: (env: BodyEnv) => Expr[];
  leaveReduce?: (env: BodyEnv) => Expr[];
  body(env: BodyEnv): Expr[];
}

/** A sum over some dims of a materialised value, as the reduce kernels compute it. */
export interface SumReduce {
  input: Node;
  /** The input's (iterated) space. */
  space: Poly[];
  /** Reduced dims of `space`, sorted. */
  axes: number[];
  output: Node;
  outShape: Poly[];
}

/**
 * What an opaque lowering emits with: one kernel function `(B: i32) → i32` for one node, its
 * buffers, its symbolic shapes (every unknown dim is the batch B), loop nests and the value
 * builder. compiler/codegen/kernels.ts implements it.
 */
export interface OpaqueEmitter {
  readonly m: WasmOps;
  readonly f: FunctionOps;
  /** The batch parameter of the kernel function. */
  readonly B: Local;
  /** Vectorise loops (false: scalar loops only, for tests). */
  readonly simd: boolean;
  /** Fixed scratch for the runtime's matmul packing and inverse. */
  readonly runtimeScratch: number;
  /** The symbolic shape of a node. */
  shape(n: Node): Poly[];
  /** Base address of a materialised node's buffer. */
  addr(n: Node): Expr;
  /** The per-call scratch above the arena (`OpaqueLowering.scratch` bytes). */
  scratch(): Expr;
  /** An i32 expression of a symbolic size. */
  poly(p: Poly): Expr;
  /** Manifest index of a node (recorded with failures). */
  nodeIndex(n: Node): number;
  /** Constant bytes placed in the module; returns their address. */
  constData(bytes: Uint8Array): number;
  /** A scalar value builder whose failures name this kernel's node. */
  values(): ValueOps;
  /** A loop nest over `space` visiting dims in `order` (codegen/loops.ts). */
  nest(space: Poly[], order: number[], accesses: NestAccess[], opts: NestOptions): Expr[];
  /** A sum reduction kernel body (codegen's reduce lowering, f64 accumulation for floats). */
  sumReduce(r: SumReduce): Expr[];
}

// ---------------------------------------------------------------- the lowering of an op

export type Combiner = 'sum' | 'max' | 'min' | 'prod' | 'argmax' | 'argmin';

export interface OpaqueLowering {
  readonly fusion: 'opaque';
  /** The kernel body for node `n` (its status check is appended by codegen). */
  emit(e: OpaqueEmitter, n: Node): Expr[];
  /** Per-call scratch bytes the kernel needs above the arena (default none). */
  scratch?(n: Node, shape: (n: Node) => Poly[]): Poly;
}

export type OpLowering =
  | {
      readonly fusion: 'elementwise';
      readonly value: ElementwiseLowering;
      readonly view?: ViewRule;
      readonly expensive?: boolean;
      readonly sharesBuffer?: boolean;
    }
  | { readonly fusion: 'view'; readonly view: ViewRule; readonly sharesBuffer?: boolean }
  | { readonly fusion: 'alias' }
  | { readonly fusion: 'reduction'; readonly combiner: Combiner; readonly mean?: boolean; axes(n: Node, rank: number): number[] }
  | { readonly fusion: 'contraction'; operands(n: Node): { a: Node; b: Node; transposeA: boolean; transposeB: boolean } }
  | OpaqueLowering
  | { readonly fusion: 'stateful'; readonly update: 'add' | 'sub' | null }
  | { readonly fusion: 'leaf' }
  | { readonly fusion: 'control' }
  | { readonly fusion: 'unsupported'; readonly reason: string };

export type FusionClass = OpLowering['fusion'];

/** Elementwise lowering from a value rule (`expensive`: not recomputed in several kernels). */
export function elementwise(value: ElementwiseLowering, opts: { expensive?: boolean } = {}): OpLowering {
  return opts.expensive ? { fusion: 'elementwise', value, expensive: true } : { fusion: 'elementwise', value };
}

/** Thrown for a node codegen cannot lower (the caller turns it into a located diagnostic). */
export class LoweringError extends Error {
  constructor(
    message: string,
    readonly node: Node | null,
  ) {
    super(message);
  }
  override get name(): string {
    return 'LoweringError';
  }
}

/** Lanes a kernel whose values have these dtypes can run with (1: scalar). */
export function lanesFor(dtypes: Iterable<DType>): 1 | 2 | 4 {
  const s = new Set(dtypes);
  if ([...s].every((d) => d === 'f64')) return 2;
  if ([...s].every((d) => d === 'f32' || d === 'i32' || d === 'bool')) return 4;
  return 1;
}

/** The wasm scalar type of a dtype (bool is i32 in values, a byte in memory). */
export function scalarType(d: DType): 'i32' | 'f32' | 'f64' {
  return d === 'f32' ? 'f32' : d === 'f64' ? 'f64' : 'i32';
}
