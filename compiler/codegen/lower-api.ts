/**
 * @fileoverview The small value builder an op's `lower` rule targets (compiler/ops/*.ts fill
 * `OpDef.lower`; compiler/codegen/expr.ts implements it). One rule serves both the scalar loop
 * and the SIMD loop: the builder knows whether it is emitting one element or a vector of lanes
 * (f32x4, f64x2, i32x4; bool is an i32x4 mask in vectors and 0/1 in scalars) and picks the
 * instruction. Ops with no SIMD instruction (exp, log, sin, cos, tanh, sigmoid, pow on floats)
 * call `math`, which the builder lowers to an imported host function per lane (the loader binds
 * JavaScript's Math, so results equal the reference interpreter's bit for bit).
 */
import type { DType } from '../../session/dtype.js';
import type { Attrs } from '../ir/graph.js';

/** A value under construction (scalar or vector), with its tfg dtype. */
export interface LValue {
  readonly dtype: DType;
}

export type CmpOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type MathFn = 'exp' | 'log' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'pow';

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
  /** int32 power by squaring; a negative exponent fails the run. */
  ipow(x: LValue, y: LValue): LValue;
  /** A transcendental function per lane (host Math in f64, rounded to the dtype). */
  math(fn: MathFn, ...xs: LValue[]): LValue;
  /** Sum accumulated in f64 and rounded once (add_n); wrapping for i32. */
  sumF64(xs: LValue[]): LValue;
}

/** An elementwise op's lowering: the output value from the input values and the attrs. */
export type ElementwiseLowering = (b: LowerBuilder, xs: LValue[], attrs: Attrs) => LValue;
