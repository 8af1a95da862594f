/**
 * @fileoverview `ValueBuilder`: the `LowerBuilder` (lower-api.ts) that op lowering rules run on,
 * emitting binaryen expressions through module.ts for one function. In scalar mode a value is
 * one wasm scalar (bool as i32 0/1); in vector mode a v128 of 4 lanes (f32x4, i32x4, bool as an
 * i32x4 mask of -1/0) or 2 lanes (f64x2). Every result is stored in a fresh local, so values can
 * be used any number of times; binaryen's optimizer removes the copies. Operations without a
 * SIMD instruction run per lane through a scalar builder on the same function.
 *
 * Run-time failures (integer division by zero, ...) are recorded in the status words at
 * `STATUS_ADDR` (code, node index, two arguments; the first failure wins); the kernel returns
 * after its loops when the status is set, and the loader raises the typed error.
 */
import type { DType } from '../../session/dtype.js';
import { lanesFor, scalarType, type CmpOp, type LValue, type MathFn, type ValueOps } from '../ops/lower-api.js';
import type { BinaryOp, Expr, FunctionBuilder, Local, UnaryOp, ValType, WasmModule } from './module.js';

import { STATUS, STATUS_ADDR } from '../../session/wasm/status.js';

/** The status words and failure codes are the loader's contract (session/wasm/status.ts). */
export { STATUS_ADDR };
export const FAIL = STATUS;

/**
 * Functions the runtime also has in vector form (math_<fn>_f32x4 / _f64x2: each lane the scalar
 * form's bits), called once per vector in vector loops; the others run per lane.
 */
const VECTOR_MATH: ReadonlySet<MathFn> = new Set<MathFn>(['exp', 'sigmoid', 'tanh']);

/** Terms of a sum between optimisation barriers (sumF64): bounds the depth of binaryen's trees. */
const SUM_BARRIER = 256;

export interface BValue extends LValue {
  get(): Expr;
}

export type Lanes = 1 | 2 | 4;

/** Lanes and scalar types are the lowering interface's (compiler/ops/lower-api.ts). */
export { lanesFor, scalarType };

export class ValueBuilder implements ValueOps {
  readonly vector: boolean;
  /** Node index recorded with a failure (set by the kernel emitter per member node). */
  node = -1;

  constructor(
    readonly m: WasmModule,
    readonly f: FunctionBuilder,
    readonly lanes: Lanes,
    readonly stmts: Expr[] = [],
  ) {
    this.vector = lanes > 1;
  }

  /** A scalar builder sharing this builder's function and statement list. */
  scalar(): ValueBuilder {
    const s = new ValueBuilder(this.m, this.f, 1, this.stmts);
    s.node = this.node;
    return s;
  }

  valType(d: DType): ValType {
    return this.vector ? 'v128' : scalarType(d);
  }

  /** Store `e` in a fresh local and return the value. */
  val(dtype: DType, e: Expr): BValue {
    const l = this.f.local(this.valType(dtype));
    this.stmts.push(this.f.set(l, e));
    return this.fromLocal(dtype, l);
  }

  fromLocal(dtype: DType, l: Local): BValue {
    return { dtype, get: () => this.f.get(l) };
  }

  /** A scalar local (of `dtype`'s scalar type) as this builder's value: itself, or splat to every lane. */
  fromScalar(dtype: DType, l: Local): BValue {
    return this.vector ? this.val(dtype, this.m.splat(this.vt(dtype), this.f.get(l))) : this.fromLocal(dtype, l);
  }

  private g(x: LValue): Expr {
    return (x as BValue).get();
  }

  private vt(d: DType): 'f32x4' | 'f64x2' | 'i32x4' {
    return d === 'f32' ? 'f32x4' : d === 'f64' ? 'f64x2' : 'i32x4';
  }

  private bin(x: LValue, y: LValue, name: string, out: DType = x.dtype): BValue {
    const d = x.dtype;
    const ns = this.vector ? this.vt(d) : scalarType(d);
    return this.val(out, this.m.binary(`${ns}.${name}` as BinaryOp, this.g(x), this.g(y)));
  }

  /**
   * x·y + z for f32 in vector mode as `f32x4.relaxed_madd` (fast math: one rounding where the
   * engine fuses); elsewhere, or for other dtypes, the exact mul then add.
   */
  maddRelaxed(x: LValue, y: LValue, z: LValue): LValue {
    if (!this.vector || x.dtype !== 'f32') return this.add(this.mul(x, y), z);
    return this.val('f32', this.m.relaxedMadd(this.g(x), this.g(y), this.g(z)));
  }

  const(value: number, dtype: DType): BValue {
    const t = scalarType(dtype);
    let v = value;
    if (dtype === 'bool') v = value ? (this.vector ? -1 : 1) : 0;
    const c = this.m.const(t, t === 'i32' ? v | 0 : v);
    return this.val(dtype, this.vector ? this.m.splat(this.vt(dtype), c) : c);
  }

  add(x: LValue, y: LValue): LValue {
    return this.bin(x, y, 'add');
  }
  sub(x: LValue, y: LValue): LValue {
    return this.bin(x, y, 'sub');
  }
  mul(x: LValue, y: LValue): LValue {
    return this.bin(x, y, 'mul');
  }
  div(x: LValue, y: LValue): LValue {
    return this.bin(x, y, 'div');
  }
  neg(x: LValue): LValue {
    if (this.vector) return this.val(x.dtype, this.m.unary(`${this.vt(x.dtype)}.neg` as UnaryOp, this.g(x)));
    if (x.dtype === 'i32') return this.val('i32', this.m.binary('i32.sub', this.m.i32(0), this.g(x)));
    return this.val(x.dtype, this.m.unary(`${scalarType(x.dtype)}.neg` as UnaryOp, this.g(x)));
  }
  abs(x: LValue): LValue {
    if (this.vector) return this.val(x.dtype, this.m.unary(`${this.vt(x.dtype)}.abs` as UnaryOp, this.g(x)));
    if (x.dtype === 'i32') return this.select(this.cmp('lt', x, this.const(0, 'i32')), this.neg(x), x);
    return this.val(x.dtype, this.m.unary(`${scalarType(x.dtype)}.abs` as UnaryOp, this.g(x)));
  }
  sqrt(x: LValue): LValue {
    return this.val(x.dtype, this.m.unary(`${this.vector ? this.vt(x.dtype) : scalarType(x.dtype)}.sqrt` as UnaryOp, this.g(x)));
  }
  floor(x: LValue): LValue {
    return this.val(x.dtype, this.m.unary(`${this.vector ? this.vt(x.dtype) : scalarType(x.dtype)}.floor` as UnaryOp, this.g(x)));
  }
  max(x: LValue, y: LValue): LValue {
    if (x.dtype === 'i32') return this.vector ? this.bin(x, y, 'max_s') : this.select(this.cmp('gt', x, y), x, y);
    return this.bin(x, y, 'max');
  }
  min(x: LValue, y: LValue): LValue {
    if (x.dtype === 'i32') return this.vector ? this.bin(x, y, 'min_s') : this.select(this.cmp('lt', x, y), x, y);
    return this.bin(x, y, 'min');
  }
  cmp(op: CmpOp, x: LValue, y: LValue): LValue {
    const int = x.dtype === 'i32' || x.dtype === 'bool';
    const name = int && op !== 'eq' && op !== 'ne' ? `${op}_s` : op;
    // f64x2 comparisons give 64-bit lane masks; bool never leaves a 2-lane loop (lanesFor), so
    // such masks only feed bitselect/and/or/not, which are lane-width agnostic.
    return this.bin(x, y, name, 'bool');
  }
  and(x: LValue, y: LValue): LValue {
    return this.val('bool', this.m.binary(this.vector ? 'v128.and' : 'i32.and', this.g(x), this.g(y)));
  }
  or(x: LValue, y: LValue): LValue {
    return this.val('bool', this.m.binary(this.vector ? 'v128.or' : 'i32.or', this.g(x), this.g(y)));
  }
  not(x: LValue): LValue {
    return this.val('bool', this.vector ? this.m.unary('v128.not', this.g(x)) : this.m.unary('i32.eqz', this.g(x)));
  }
  isNaN(x: LValue): LValue {
    return this.cmp('ne', x, x);
  }
  select(c: LValue, x: LValue, y: LValue): LValue {
    if (this.vector) return this.val(x.dtype, this.m.bitselect(this.g(x), this.g(y), this.g(c)));
    return this.val(x.dtype, this.m.select(this.g(c), this.g(x), this.g(y)));
  }

  cast(x: LValue, to: DType): LValue {
    const from = x.dtype;
    if (from === to || (from === 'bool' && to === 'i32' && !this.vector)) return { ...(x as BValue), dtype: to } as BValue;
    if (this.vector) {
      if (from === 'i32' && to === 'f32') return this.val('f32', this.m.unary('f32x4.convert_i32x4_s', this.g(x)));
      return this.perLane(to, [x], (s, [a]) => s.cast(a, to));
    }
    const v = this.g(x);
    if (to === 'bool') {
      const z = from === 'f32' || from === 'f64' ? this.m.const(from, 0) : this.m.i32(0);
      return this.val('bool', this.m.binary(`${scalarType(from)}.ne` as BinaryOp, v, z));
    }
    if (to === 'f32' || to === 'f64') {
      if (from === 'f32') return this.val(to, this.m.unary('f64.promote_f32', v));
      if (from === 'f64') return this.val(to, this.m.unary('f32.demote_f64', v));
      return this.val(to, this.m.unary(to === 'f32' ? 'f32.convert_i32_s' : 'f64.convert_i32_s', v));
    }
    // float → i32: truncate toward zero; NaN and out of range give INT_MIN (the reference's toInt32).
    if (from === 'bool') return this.val('i32', v);
    const t = scalarType(from) as 'f32' | 'f64';
    const xv = x as BValue;
    const tr = this.val('i32', this.m.unary(t === 'f32' ? 'i32.trunc_sat_f32_s' : 'i32.trunc_sat_f64_s', v));
    const bad = this.m.binary(
      'i32.or',
      this.m.binary(`${t}.ne` as BinaryOp, xv.get(), xv.get()),
      this.m.binary(`${t}.ge` as BinaryOp, xv.get(), this.m.const(t, 2147483648)),
    );
    return this.val('i32', this.m.select(bad, this.m.i32(-2147483648), tr.get()));
  }

  /**
   * Record a failure when `cond` (scalar i32) is non-zero and no earlier failure is recorded.
   * `cond` may be any i32 (a kernel's status, r+1 for a bad row), not only 0/1: it is tested
   * with `i32.ne 0` before the `and` (a bare `and` made status 2 & 1 = 0, a missed failure).
   */
  fail(cond: Expr, code: number, arg0?: Expr, arg1?: Expr): void {
    const m = this.m;
    m.failSites++;
    cond = m.binary('i32.ne', cond, m.i32(0));
    const body = [
      m.store('i32', m.i32(STATUS_ADDR), m.i32(code)),
      m.store('i32', m.i32(STATUS_ADDR + 4), m.i32(this.node)),
      m.store('i32', m.i32(STATUS_ADDR + 8), arg0 ?? m.i32(0)),
      m.store('i32', m.i32(STATUS_ADDR + 12), arg1 ?? m.i32(0)),
    ];
    this.stmts.push(m.if(m.binary('i32.and', cond, m.unary('i32.eqz', m.load('i32', m.i32(STATUS_ADDR)))), m.block(null, body)));
  }

  idiv(x: LValue, y: LValue): LValue {
    if (this.vector) return this.perLane('i32', [x, y], (s, [a, b]) => s.idiv(a, b));
    const m = this.m;
    const yv = y as BValue;
    this.fail(m.unary('i32.eqz', yv.get()), FAIL.intDivZero);
    // INT_MIN / -1 wraps (as Math.trunc(x / y) | 0 does) instead of trapping: both arms of a
    // select run, so the divisor of div_s is 1 when y is 0 or -1 (the -1 arm is 0 - x).
    const safe = m.select(m.binary('i32.or', m.unary('i32.eqz', yv.get()), m.binary('i32.eq', yv.get(), m.i32(-1))), m.i32(1), yv.get());
    return this.val('i32', m.select(m.binary('i32.eq', yv.get(), m.i32(-1)), m.binary('i32.sub', m.i32(0), this.g(x)), m.binary('i32.div_s', this.g(x), safe)));
  }

  /** x / y rounded toward -∞ (TF's FloorDiv on int32: the truncated quotient less one when inexact and the signs differ). */
  ifloordiv(x: LValue, y: LValue): LValue {
    if (this.vector) return this.perLane('i32', [x, y], (s, [a, b]) => s.ifloordiv(a, b));
    const m = this.m;
    const z = this.idiv(x, y) as BValue;
    const inexact = m.binary('i32.ne', m.binary('i32.mul', z.get(), this.g(y)), this.g(x));
    const signs = m.binary('i32.ne', m.binary('i32.lt_s', this.g(x), m.i32(0)), m.binary('i32.lt_s', this.g(y), m.i32(0)));
    return this.val('i32', m.select(m.binary('i32.and', inexact, signs), m.binary('i32.sub', z.get(), m.i32(1)), z.get()));
  }

  /** The remainder with the divisor's sign (TF's FloorMod on int32); division by zero fails the run. */
  ifloormod(x: LValue, y: LValue): LValue {
    if (this.vector) return this.perLane('i32', [x, y], (s, [a, b]) => s.ifloormod(a, b));
    const m = this.m;
    const yv = y as BValue;
    this.fail(m.unary('i32.eqz', yv.get()), FAIL.intDivZero);
    // INT_MIN rem -1 is 0 in wasm (no trap), as the reference's wrapping remainder
    const r = this.val('i32', m.binary('i32.rem_s', this.g(x), m.select(m.unary('i32.eqz', yv.get()), m.i32(1), yv.get())));
    const adjust = m.binary(
      'i32.and',
      m.binary('i32.ne', r.get(), m.i32(0)),
      m.binary('i32.ne', m.binary('i32.lt_s', yv.get(), m.i32(0)), m.binary('i32.lt_s', r.get(), m.i32(0))),
    );
    return this.val('i32', m.select(adjust, m.binary('i32.add', r.get(), yv.get()), r.get()));
  }

  ipow(x: LValue, y: LValue): LValue {
    if (this.vector) return this.perLane('i32', [x, y], (s, [a, b]) => s.ipow(a, b));
    const m = this.m;
    this.fail(m.binary('i32.lt_s', this.g(y), m.i32(0)), FAIL.intPowNegative);
    return this.val('i32', m.call('tfg_ipow', [this.g(x), this.g(y)], 'i32'));
  }

  math(fn: MathFn, ...xs: LValue[]): LValue {
    const d = xs[0].dtype;
    if (this.vector && VECTOR_MATH.has(fn) && (d === 'f32' || d === 'f64'))
      return this.val(d, this.m.call(`rt_math_${fn}_${d === 'f32' ? 'f32x4' : 'f64x2'}`, [this.g(xs[0])], 'v128'));
    if (this.vector) return this.perLane(d, xs, (s, a) => s.math(fn, ...a));
    return this.val(
      d,
      this.callMath(
        fn,
        xs.map((x) => this.g(x)),
        d,
      ),
    );
  }

  /**
   * Call the runtime's `math_<fn>_<d>` on scalar values of dtype `d` (f32 or f64): computed in
   * wasm (runtime-as/assembly/math.ts, f32 forms in f64 rounded once), the same bits in every engine.
   */
  callMath(fn: string, args: Expr[], d: DType): Expr {
    const t = d === 'f32' ? 'f32' : 'f64';
    return this.m.call(`rt_math_${fn}_${t}`, args, t);
  }

  sumF64(xs: LValue[]): LValue {
    // One statement per term into an accumulator local, left to right as the reference sums,
    // through a barrier every SUM_BARRIER terms (module.ts `barrier`): the optimizer's trees stay
    // shallow however many inputs (add_n of 4,000 terms overflowed the stack inside binaryen).
    const d = xs[0].dtype;
    const m = this.m;
    if (d === 'i32' || d === 'f64') {
      const acc = this.f.local(this.valType(d));
      this.stmts.push(this.f.set(acc, this.g(xs[0])));
      for (let i = 1; i < xs.length; i++) {
        this.stmts.push(this.f.set(acc, this.g(this.add(this.fromLocal(d, acc), xs[i]))));
        if (i % SUM_BARRIER === 0) this.stmts.push(...m.barrier(acc));
      }
      return this.val(d, this.f.get(acc));
    }
    if (this.vector) return this.perLane(d, xs, (s, a) => s.sumF64(a));
    const acc = this.f.local('f64');
    this.stmts.push(this.f.set(acc, m.f64(0)));
    xs.forEach((x, i) => {
      this.stmts.push(this.f.set(acc, m.binary('f64.add', this.f.get(acc), m.unary('f64.promote_f32', this.g(x)))));
      if (i % SUM_BARRIER === SUM_BARRIER - 1) this.stmts.push(...m.barrier(acc));
    });
    return this.val('f32', m.unary('f32.demote_f64', this.f.get(acc)));
  }

  /** Vector op computed lane by lane with a scalar builder. */
  perLane(out: DType, xs: LValue[], fn: (s: ValueBuilder, lanes: LValue[]) => LValue): LValue {
    const s = this.scalar();
    const results: BValue[] = [];
    for (let i = 0; i < this.lanes; i++) {
      const args = xs.map((x) => s.val(x.dtype, this.extract(x, i)));
      results.push(fn(s, args) as BValue);
    }
    return this.val(
      out,
      this.build(
        out,
        results.map((r) => r.get()),
      ),
    );
  }

  /** Lane i of a vector value as a scalar expression (bool lanes as 0/1). */
  extract(x: LValue, i: number): Expr {
    const e = this.m.extractLane(this.vt(x.dtype), this.g(x), i);
    return x.dtype === 'bool' ? this.m.binary('i32.and', e, this.m.i32(1)) : e;
  }

  /** A vector from scalar lane expressions (bool 0/1 become masks). */
  build(d: DType, lanes: Expr[]): Expr {
    const m = this.m;
    const fix = (e: Expr): Expr => (d === 'bool' ? m.binary('i32.sub', m.i32(0), e) : e);
    let v = m.splat(this.vt(d), fix(lanes[0]));
    for (let i = 1; i < lanes.length; i++) v = m.replaceLane(this.vt(d), v, i, fix(lanes[i]));
    return v;
  }

  // ---- memory --------------------------------------------------------------------------

  /** Load an element (scalar) or `lanes` consecutive elements (vector) at `ptr`. */
  load(d: DType, ptr: () => Expr): BValue {
    const m = this.m;
    if (!this.vector) {
      if (d === 'bool') return this.val(d, m.load8u(ptr()));
      return this.val(d, m.load(scalarType(d), ptr()));
    }
    if (d === 'bool')
      return this.val(
        d,
        this.build(
          'bool',
          [0, 1, 2, 3].map((i) => m.load8u(ptr(), i)),
        ),
      );
    return this.val(d, m.v128Load(ptr(), 0, d === 'f64' ? 8 : 4));
  }

  /** Load one element and broadcast it (vector) — a stride-0 access. */
  loadSplat(d: DType, ptr: () => Expr): BValue {
    if (!this.vector) return this.load(d, ptr);
    const s = this.scalar().load(d, ptr);
    return this.val(
      d,
      this.build(
        d,
        [0, 1, 2, 3].slice(0, this.lanes).map(() => s.get()),
      ),
    );
  }

  store(x: LValue, ptr: () => Expr): Expr {
    const m = this.m;
    const d = x.dtype;
    if (!this.vector) {
      if (d === 'bool') return m.store8(ptr(), this.g(x));
      return m.store(scalarType(d), ptr(), this.g(x));
    }
    if (d === 'bool')
      return m.block(
        null,
        [0, 1, 2, 3].map((i) => m.store8(ptr(), this.extract(x, i), i)),
      );
    return m.v128Store(ptr(), this.g(x), 0, d === 'f64' ? 8 : 4);
  }
}

/** Add the module-level helpers lowering rules call (`tfg_ipow`). */
export function addHelpers(m: WasmModule): void {
  const f = m.func('tfg_ipow', ['i32', 'i32'], 'i32');
  const [x, e] = [f.param(0), f.param(1)];
  const r = f.local('i32');
  const brk = m.label('pow_end');
  const lp = m.label('pow_loop');
  f.finish([
    f.set(r, m.i32(1)),
    m.block(brk, [
      m.loop(
        lp,
        m.block(null, [
          m.br(brk, m.binary('i32.le_s', f.get(e), m.i32(0))),
          m.if(m.binary('i32.and', f.get(e), m.i32(1)), f.set(r, m.binary('i32.mul', f.get(r), f.get(x)))),
          f.set(x, m.binary('i32.mul', f.get(x), f.get(x))),
          f.set(e, m.binary('i32.shr_u', f.get(e), m.i32(1))),
          m.br(lp),
        ]),
      ),
    ]),
    f.get(r),
  ]);
}
