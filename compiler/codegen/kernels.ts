/**
 * @fileoverview Lowering: one kernel of a SchedulePlan → one wasm function `(B: i32) → i32`
 * (0 = ok, 1 = failed with the status words set; see expr.ts).
 *
 * - loop: the fused expression DAG over the iteration space (loops.ts: merged dims, f32x4/f64x2/
 *   i32x4 inner loop with a scalar tail, splats for broadcast loads), op rules from `OpDef.lower`;
 * - reduce: the same body with the reduced dims innermost; sum/mean/prod accumulate floats in f64
 *   (as the reference does), max/min in the dtype; a SIMD accumulator when the reduced inner dim
 *   is contiguous (f32 sums: two f32x4 partials per block of 1024 elements, each block added into
 *   f64x2 totals), horizontal combine at the end, mean scaling;
 *   argmax/argmin keep value and index;
 * - matmul: the runtime's packed SIMD matmul (f32, f64; i32 by a generated loop) into the output;
 *   an epilogue of the dense-layer form act(acc + bias row) (act: none, relu, sigmoid, tanh) runs
 *   inside the runtime kernel (`matmul_*_ep`, applied to each tile as it is stored); any other
 *   epilogue gets the product in the per-call scratch and then its own loop;
 * - opaque: the op's own lowering (`OpDef.lower.emit` in compiler/ops/, written on the
 *   `OpaqueEmitter` this file implements): runtime calls (softmax, cross-entropies, inverse),
 *   host calls (random) or generated loops (gather, concat, one_hot, the gradient helper ops, ...);
 *   an op whose lowering is `unsupported` throws LoweringError with its reason.
 */
import { byteSize, type DType } from '../../session/dtype.js';
import type { Node } from '../ir/graph.js';
import { LoweringError, type OpaqueEmitter } from '../ops/lower-api.js';
import { getOp } from '../ops/registry.js';
import {
  MAX_REDUCE_SEGMENTS,
  type Body,
  type Kernel,
  type Load,
  type LoopKernel,
  type MatmulKernel,
  type OpaqueKernel,
  type ReduceKernel,
  type Store,
} from '../schedule/kernel.js';
import { MATMUL_ACT } from '../../runtime-as/abi.js';
import { Poly, contiguousStrides, numel } from '../ir/sym.js';
import { FAIL, STATUS_ADDR, ValueBuilder, lanesFor, scalarType, type BValue, type Lanes } from './expr.js';
import { emitNest, nestDims, nestOuter, polyExpr, type BodyEnv, type NestAccess, type NestOptions } from './loops.js';
import type { Expr, FunctionBuilder, Local, WasmModule } from './module.js';
import type { Scalar } from '../ops/lower-api.js';

export { LoweringError };

export interface KernelContext {
  m: WasmModule;
  shapes: Map<Node, Poly[]>;
  /** Base address of a materialised node's buffer (read from the plan's slot table). */
  addr(f: FunctionBuilder, n: Node): Expr;
  /** Per-call scratch above the arena (matmul products under an epilogue). */
  scratch(f: FunctionBuilder): Expr;
  /** Fixed scratch for the runtime's matmul packing and inverse. */
  runtimeScratch: number;
  /** Manifest index of a node (recorded with failures). */
  nodeIndex(n: Node): number;
  /** Constant bytes for a compile-time value (range); returns its address. */
  constData(bytes: Uint8Array): number;
  /** Vectorise loops (false: scalar loops only, for tests). */
  simd: boolean;
  /**
   * Let threads split large loop and reduce kernels (the host's `par` import, threads.ts): a
   * fresh id per split kernel, whose part function is exported as `tfg_part_<id>`. Absent: no split.
   */
  parId?: () => number;
  /**
   * Fast math (CompileOptions.fastMath): an f32 `add` of a `mul` in a vector loop becomes
   * `f32x4.relaxed_madd` (evalBody), and an f32 sum of a product accumulates with it.
   */
  fastMath?: boolean;
  /** Kernels of a constant size below this many elements are not split (default PAR_FLOOR). */
  splitFloor?: number;
}

/** The host import a split kernel calls: par(id, B, outer size, unit, total elements). */
export const PAR_IMPORT = 'host_par';
/** Export name of a split kernel's part function `(B, lo, hi) → i32`. */
export const partExport = (id: number): string => `tfg_part_${id}`;
/**
 * Kernels of a constant size below this many elements are never split (the host's measured
 * threshold, threads.ts SPLIT.minElems, is above it); sizes in B are left to the host.
 */
const PAR_FLOOR = 1 << 12;

/** Per-call scratch bytes an opaque kernel needs (above the arena): its lowering's `scratch`. */
export function opaqueScratchBytes(n: Node, shapes: Map<Node, Poly[]>): Poly {
  const low = getOp(n.op).lower;
  if (low.fusion !== 'opaque' || !low.scratch) return Poly.const(0);
  return low.scratch(n, (x) => shapes.get(x)!);
}

export function emitKernel(ctx: KernelContext, k: Kernel, name: string): void {
  if ((k.kind === 'loop' || k.kind === 'reduce') && ctx.parId && emitSplitKernel(ctx, k, name)) return;
  const f = ctx.m.func(name, ['i32'], 'i32');
  const B = f.param(0);
  let stmts: Expr[];
  switch (k.kind) {
    case 'loop':
      stmts = emitLoop(ctx, f, B, k);
      break;
    case 'reduce':
      stmts = emitReduce(ctx, f, B, k);
      break;
    case 'matmul':
      stmts = emitMatmul(ctx, f, B, k);
      break;
    case 'opaque':
      stmts = emitOpaque(ctx, f, B, k);
      break;
  }
  const m = ctx.m;
  f.finish([...stmts, m.binary('i32.ne', m.load('i32', m.i32(STATUS_ADDR)), m.i32(0))]);
}

/**
 * A loop or reduce kernel threads may split (threads.ts): `<name>_part(B, lo, hi)` runs indices
 * [lo, hi) of the nest's outermost loop (a reduction's outermost kept dim: each output keeps its
 * whole reduction, in its order), and `<name>(B)` hands the range to the host's `par`, which runs
 * the parts on the pool's threads or the whole range here. Bit-identical for any split: every
 * element is computed by the same code; a vector outer loop is split at multiples of its lanes.
 * Returns false (nothing emitted) for a kernel with no such loop or of a small constant size.
 */
function emitSplitKernel(ctx: KernelContext, k: LoopKernel | ReduceKernel, name: string): boolean {
  const m = ctx.m;
  const { space, order, strides, split, lanes } = nestShape(ctx, k);
  const outer = nestOuter(space, order, strides, split);
  const total = numel(space);
  if (total.isConst() && total.constValue() < (ctx.splitFloor ?? PAR_FLOOR)) return false;
  if (!outer) return k.kind === 'reduce' && emitSegmentedReduce(ctx, k, name, nestDims(space, order, strides, split).inner.length);
  const unit = outer.vector ? lanes : 1;
  const fails = m.failSites;
  const pf = m.func(`${name}_part`, ['i32', 'i32', 'i32'], 'i32');
  const range = { lo: pf.param(1), hi: pf.param(2) };
  const stmts = k.kind === 'loop' ? emitLoop(ctx, pf, pf.param(0), k, range) : emitReduce(ctx, pf, pf.param(0), k, range);
  pf.finish([...stmts, m.binary('i32.ne', m.load('i32', m.i32(STATUS_ADDR)), m.i32(0))]);
  const f = m.func(name, ['i32'], 'i32');
  const B = f.param(0);
  const S = polyExpr(m, f, outer.size, B);
  if (m.failSites !== fails) {
    // A failure check: which element fails first must not depend on the threads; run it whole.
    f.finish(m.call(`${name}_part`, [f.get(B), m.i32(0), S], 'i32'));
    return true;
  }
  const id = ctx.parId!();
  m.exportFunction(`${name}_part`, partExport(id));
  f.finish([
    m.call(PAR_IMPORT, [m.i32(id), f.get(B), S, m.i32(unit), polyExpr(m, f, total, B)], 'none'),
    m.binary('i32.ne', m.load('i32', m.i32(STATUS_ADDR)), m.i32(0)),
  ]);
  return true;
}

// A full reduction runs in at most MAX_REDUCE_SEGMENTS segments (schedule/kernel.ts), of at least 2^SEGMENT_LOG2 elements (fewer elements: one segment).
const SEGMENT_LOG2 = 14;

/**
 * A reduction to one value (no kept dim) over one merged contiguous dim, sum / mean / max / min:
 * its n elements are cut into nseg = clamp(n >> 14, 1, 64) segments of a multiple of 4 elements
 * — a function of n alone, never of the thread count —; `<name>_part(B, s0, s1)` reduces
 * segments [s0, s1), each with the kernel's own code, into its partial (the accumulator type, in
 * the runtime scratch: no matmul runs inside a reduce kernel), and `<name>(B)` has the host run
 * the segments (threads.ts `par`), then combines the partials in segment order, scales a mean and
 * stores. The same bits for any thread count; the order of a sum is segment by segment.
 */
function emitSegmentedReduce(ctx: KernelContext, k: ReduceKernel, name: string, innerDims: number): boolean {
  const m = ctx.m;
  const comb = k.combiner;
  if (innerDims !== 1 || !(comb === 'sum' || comb === 'max' || comb === 'min')) return false;
  const total = numel(k.space);
  const segs = (f: FunctionBuilder, B: Local): { n: Local; nseg: Local; seg: Local; stmts: Expr[] } => {
    const n = f.local('i32'),
      nseg = f.local('i32'),
      seg = f.local('i32');
    const clamp = (e: Expr): Expr => {
      const t = f.local('i32');
      return m.block(
        null,
        [
          f.set(t, e),
          f.set(t, m.select(m.binary('i32.lt_s', f.get(t), m.i32(1)), m.i32(1), f.get(t))),
          m.select(m.binary('i32.gt_s', f.get(t), m.i32(MAX_REDUCE_SEGMENTS)), m.i32(MAX_REDUCE_SEGMENTS), f.get(t)),
        ],
        'i32',
      );
    };
    return {
      n,
      nseg,
      seg,
      stmts: [
        f.set(n, polyExpr(m, f, total, B)),
        f.set(nseg, clamp(m.binary('i32.shr_s', f.get(n), m.i32(SEGMENT_LOG2)))),
        // seg = ceil(n / nseg) rounded up to a multiple of 4 (the vector loop's lanes at most).
        f.set(
          seg,
          m.binary(
            'i32.and',
            m.binary('i32.add', m.binary('i32.div_u', m.binary('i32.add', f.get(n), m.binary('i32.sub', f.get(nseg), m.i32(1))), f.get(nseg)), m.i32(3)),
            m.i32(-4),
          ),
        ),
      ],
    };
  };
  const fails = m.failSites;
  const pf = m.func(`${name}_part`, ['i32', 'i32', 'i32'], 'i32');
  const pB = pf.param(0);
  const ps = segs(pf, pB);
  const s = pf.local('i32');
  const range = { lo: pf.local('i32'), hi: pf.local('i32') };
  let accType: Scalar = 'f64';
  const body = emitReduce(ctx, pf, pB, k, range, (acc, accT) => {
    accType = accT;
    return m.store(accT, m.binary('i32.add', m.i32(ctx.runtimeScratch), m.binary('i32.shl', pf.get(s), m.i32(3))), acc);
  });
  const hiEnd = m.binary('i32.add', pf.get(range.lo), pf.get(ps.seg));
  pf.finish([
    ...ps.stmts,
    m.forRange(s, pf.get(pf.param(1)), () => pf.get(pf.param(2)), 1, [
      pf.set(range.lo, m.binary('i32.mul', pf.get(s), pf.get(ps.seg))),
      pf.set(range.hi, m.select(m.binary('i32.lt_s', hiEnd, pf.get(ps.n)), m.copyExpr(hiEnd), pf.get(ps.n))),
      ...body,
    ]),
    m.binary('i32.ne', m.load('i32', m.i32(STATUS_ADDR)), m.i32(0)),
  ]);
  const f = m.func(name, ['i32'], 'i32');
  const B = f.param(0);
  const ws = segs(f, B);
  const stmts: Expr[] = [...ws.stmts];
  if (m.failSites !== fails) stmts.push(m.drop(m.call(`${name}_part`, [f.get(B), m.i32(0), f.get(ws.nseg)], 'i32')));
  else {
    const id = ctx.parId!();
    m.exportFunction(`${name}_part`, partExport(id));
    stmts.push(m.call(PAR_IMPORT, [m.i32(id), f.get(B), f.get(ws.nseg), m.i32(1), f.get(ws.n)], 'none'));
  }
  // Combine the partials in segment order.
  const t = accType as Scalar;
  const acc = f.local(t),
    v = f.local(t),
    i = f.local('i32');
  const init =
    comb === 'sum'
      ? m.const(t, 0)
      : comb === 'max'
        ? t === 'i32'
          ? m.i32(-2147483648)
          : m.const(t, -Infinity)
        : t === 'i32'
          ? m.i32(2147483647)
          : m.const(t, Infinity);
  const combine = (): Expr => {
    if (comb === 'sum') return m.binary(`${t}.add` as never, f.get(acc), f.get(v));
    if (t === 'i32') return m.select(m.binary(comb === 'max' ? 'i32.gt_s' : 'i32.lt_s', f.get(v), f.get(acc)), f.get(v), f.get(acc));
    return m.binary(`${t}.${comb}` as never, f.get(acc), f.get(v));
  };
  stmts.push(
    f.set(acc, init),
    m.forRange(i, m.i32(0), () => f.get(ws.nseg), 1, [
      f.set(v, m.load(t, m.binary('i32.add', m.i32(ctx.runtimeScratch), m.binary('i32.shl', f.get(i), m.i32(3))))),
      f.set(acc, combine()),
    ]),
  );
  let r: Expr = f.get(acc);
  const outDT = k.output.dtype!;
  if (k.mean) {
    if (t === 'i32')
      r = m.select(m.unary('i32.eqz', f.get(ws.n)), m.i32(0), m.binary('i32.div_s', r, m.select(m.unary('i32.eqz', f.get(ws.n)), m.i32(1), f.get(ws.n))));
    else r = m.binary('f64.div', r, m.unary('f64.convert_i32_s', f.get(ws.n)));
  }
  if (t === 'f64' && outDT === 'f32') r = m.unary('f32.demote_f64', r);
  const out = f.local(scalarType(outDT));
  stmts.push(
    f.set(out, r),
    new ValueBuilder(m, f, 1).store({ dtype: outDT, get: () => f.get(out) } as BValue, () => ctx.addr(f, k.output)),
  );
  f.finish([...stmts, m.binary('i32.ne', m.load('i32', m.i32(STATUS_ADDR)), m.i32(0))]);
  return true;
}

/** The nest a loop or reduce kernel runs (emitLoop / emitReduce build the same one). */
function nestShape(
  ctx: KernelContext,
  k: LoopKernel | ReduceKernel,
): { space: Poly[]; order: number[]; strides: { strides: Poly[] }[]; split?: number; lanes: Lanes } {
  const accs = [...k.body.loads, ...k.body.stores].map((a) => ({ strides: a.strides }));
  if (k.kind === 'loop') return { space: k.space, order: k.space.map((_, i) => i), strides: accs, lanes: lanesOf(ctx, bodyDTypes(k.body)) };
  const axes = new Set(k.axes);
  const kept = k.space.map((_, i) => i).filter((i) => !axes.has(i));
  const keptStrides = contiguousStrides(kept.map((i) => k.space[i]));
  accs.push({ strides: k.space.map((_, i) => (axes.has(i) ? Poly.const(0) : keptStrides[kept.indexOf(i)])) });
  return { space: k.space, order: [...kept, ...k.axes], strides: accs, split: kept.length, lanes: 1 };
}

// ---------------------------------------------------------------- bodies

function bodyDTypes(body: Body, extra: DType[] = []): DType[] {
  return [...body.loads.map((l) => l.dtype), ...body.exprs.map((e) => e.dtype), ...body.stores.map((s) => s.dtype), ...extra];
}

/**
 * Evaluate a body's expression DAG on `env`; loads use accesses [0, loads); `accAccess` is the
 * access index of the matmul product for `acc` exprs. Returns the value of every expr.
 */
function evalBody(
  ctx: KernelContext,
  env: BodyEnv,
  body: Body,
  accAccess = -1,
  hoisted?: Map<number, Local>,
  only?: { mask: boolean[]; upTo: number },
): BValue[] {
  const b = env.b;
  const vals: BValue[] = [];
  // Fast math: add(mul(x, y), z) in f32 vector code is one relaxed_madd(x, y, z). The mul is
  // still evaluated (other uses read it; binaryen drops it when unused).
  const madd = ctx.fastMath && b.vector ? maddOperands(body) : null;
  // With hoisted exprs, the ones only they read are not evaluated here (a load would stay: it may
  // trap); with `only`, just the masked exprs up to `upTo` (the loop-invariant ones, before the nest).
  const needed = only?.mask ?? (hoisted?.size ? neededExprs(body, hoisted) : null);
  const end = only ? only.upTo + 1 : body.exprs.length;
  for (let ei = 0; ei < end; ei++) {
    const e = body.exprs[ei];
    const h = hoisted?.get(ei);
    if (h) {
      vals.push(b.fromScalar(e.dtype, h));
      continue;
    }
    if (needed && !needed[ei]) {
      vals.push(undefined as unknown as BValue);
      continue;
    }
    const fm = madd?.get(ei);
    if (fm && fm.every((i) => vals[i] !== undefined)) {
      b.node = ctx.nodeIndex((e as { node: Node }).node);
      vals.push(b.maddRelaxed(vals[fm[0]], vals[fm[1]], vals[fm[2]]) as BValue);
      continue;
    }
    if (e.op === 'load') {
      const li = (e as { load: number }).load;
      vals.push(env.splat(li) ? b.loadSplat(e.dtype, env.ptr(li)) : b.load(e.dtype, env.ptr(li)));
    } else if (e.op === 'const') {
      vals.push(b.const((e as { value: number }).value, e.dtype));
    } else if (e.op === 'acc') {
      vals.push(env.splat(accAccess) ? b.loadSplat(e.dtype, env.ptr(accAccess)) : b.load(e.dtype, env.ptr(accAccess)));
    } else {
      const x = e as { op: string; args: number[]; attrs: Record<string, never>; node: Node; dtype: DType };
      const low = getOp(x.op).lower;
      if (low.fusion !== 'elementwise') throw new LoweringError(`op '${x.op}' is not elementwise`, x.node);
      b.node = ctx.nodeIndex(x.node);
      const v = low.value(
        b,
        x.args.map((a) => vals[a]),
        x.attrs,
      ) as BValue;
      vals.push(v.dtype === x.dtype ? v : (b.cast(v, x.dtype) as BValue));
    }
  }
  return vals;
}

/** Exprs a loop body's stores read, not through a hoisted expr. */
function neededExprs(body: Body, hoisted: Map<number, Local>): boolean[] {
  const need = body.exprs.map(() => false);
  for (const s of body.stores) need[s.expr] = true;
  for (let i = body.exprs.length - 1; i >= 0; i--) {
    const e = body.exprs[i];
    if (!need[i] || hoisted.has(i) || !('args' in e)) continue;
    for (const a of e.args) need[a] = true;
  }
  return need;
}

/** For each f32 `add` expr with a `mul` operand (f32, same dtype, no cast between): [x, y, z] of x·y + z. */
function maddOperands(body: Body): Map<number, [number, number, number]> {
  const out = new Map<number, [number, number, number]>();
  body.exprs.forEach((e, i) => {
    if (e.op !== 'add' || e.dtype !== 'f32') return;
    const args = (e as { args: number[] }).args;
    for (const k of [0, 1]) {
      const m = body.exprs[args[k]];
      if (m.op === 'mul' && m.dtype === 'f32') {
        const [x, y] = (m as { args: number[] }).args;
        if (body.exprs[x].dtype !== 'f32' || body.exprs[y].dtype !== 'f32' || body.exprs[args[1 - k]].dtype !== 'f32') continue;
        out.set(i, [x, y, args[1 - k]]);
        return;
      }
    }
  });
  return out;
}

function accessOf(ctx: KernelContext, f: FunctionBuilder, a: { node: Node; dtype: DType; strides: Poly[]; offset: Poly }): NestAccess {
  return { dtype: a.dtype, strides: a.strides, offset: a.offset, base: () => ctx.addr(f, a.node) };
}

function lanesOf(ctx: KernelContext, dts: DType[]): Lanes {
  return ctx.simd ? lanesFor(dts) : 1;
}

/**
 * Float ops whose scalar and vector lowerings are the same IEEE operation per lane (so a value
 * computed once in scalar code and splat has the bits the vector code would compute).
 */
const HOISTABLE = new Set(['add', 'sub', 'mul', 'div', 'neg', 'abs', 'sqrt', 'square']);

/**
 * Loop-invariant exprs of a loop body: float HOISTABLE ops whose operands are constants, loads of
 * one element for the whole space (every stride 0) or other such ops — in a train step, Adam's
 * lr·√(1−β₂ᵗ)/(1−β₁ᵗ) from its scalar variables, otherwise two square roots and two divisions
 * per vector. The one statement of the rule: `invariant[i]` says expr i is such a value (loads and
 * constants included), and `hoisted` lists the op exprs to compute before the nest (only those
 * some non-invariant expr or a store uses), ascending.
 */
interface Invariants {
  invariant: boolean[];
  hoisted: number[];
}

function invariantExprs(body: Body): Invariants {
  const inv: boolean[] = [];
  body.exprs.forEach((e, i) => {
    if (e.op === 'load') inv[i] = body.loads[(e as { load: number }).load].strides.every((s) => s.equals(0));
    else if (e.op === 'const') inv[i] = true;
    else if (e.op === 'acc') inv[i] = false;
    else {
      const x = e as { op: string; args: number[] };
      inv[i] = HOISTABLE.has(x.op) && (e.dtype === 'f32' || e.dtype === 'f64') && x.args.every((a) => inv[a] && body.exprs[a].dtype === e.dtype);
    }
  });
  const isOp = (i: number): boolean => !['load', 'const', 'acc'].includes(body.exprs[i].op);
  const used = new Set<number>();
  body.exprs.forEach((e, i) => {
    if (inv[i] || !isOp(i)) return;
    for (const a of (e as { args: number[] }).args) if (inv[a] && isOp(a)) used.add(a);
  });
  for (const s of body.stores) if (inv[s.expr] && isOp(s.expr)) used.add(s.expr);
  return { invariant: inv, hoisted: [...used].sort((a, b) => a - b) };
}

/**
 * Loop-invariant scalar exprs of a loop body (or a matmul epilogue's) over a non-empty space:
 * computed once, in scalar code, by `pre`, into the locals of `hoisted` (for evalBody).
 */
function hoistInvariants(ctx: KernelContext, f: FunctionBuilder, B: Local, body: Body, accs: NestAccess[]): { pre: Expr[]; hoisted: Map<number, Local> } {
  const pre: Expr[] = [];
  const hoisted = new Map<number, Local>();
  const inv = invariantExprs(body);
  if (inv.hoisted.length > 0) {
    const sb = new ValueBuilder(ctx.m, f, 1, pre);
    const env: BodyEnv = {
      b: sb,
      splat: () => true,
      ptr: (li) => () => ctx.m.binary('i32.add', accs[li].base(), polyExpr(ctx.m, f, accs[li].offset.scale(byteSize(accs[li].dtype)), B)),
    };
    // Evaluate the invariant exprs up to the last hoisted one (the unused ones are dropped by binaryen).
    const vals = evalBody(ctx, env, body, -1, undefined, { mask: inv.invariant, upTo: inv.hoisted[inv.hoisted.length - 1]! });
    for (const i of inv.hoisted) {
      const l = f.local(scalarType(body.exprs[i].dtype));
      pre.push(f.set(l, vals[i]!.get()));
      hoisted.set(i, l);
    }
  }
  return { pre, hoisted };
}

function emitLoop(ctx: KernelContext, f: FunctionBuilder, B: Local, k: LoopKernel, range?: NestOptions['range']): Expr[] {
  const accs = [...k.body.loads, ...k.body.stores].map((a) => accessOf(ctx, f, a));
  const nl = k.body.loads.length;
  const { pre, hoisted } = k.space.length > 0 ? hoistInvariants(ctx, f, B, k.body, accs) : { pre: [], hoisted: new Map<number, Local>() };
  return [
    ...pre,
    ...emitNest(
      ctx.m,
      f,
      B,
      k.space,
      k.space.map((_, i) => i),
      accs,
      {
        lanes: lanesOf(ctx, bodyDTypes(k.body)),
        range,
        body: (env) => {
          const vals = evalBody(ctx, env, k.body, -1, hoisted);
          return k.body.stores.map((s, i) => env.b.store(vals[s.expr], env.ptr(nl + i)));
        },
      },
    ),
  ];
}

// ---------------------------------------------------------------- reduce

/** f32 sums: vectors per f32x4 block partial before it is added into the f64 total. */
const F32_BLOCK = 256;

/**
 * `range`: the part of the outer loop to run (emitSplitKernel). `partial`: a segment of a full
 * reduction (emitSegmentedReduce): `range` is then a range of the reduced elements, and the
 * combined accumulator (before mean scaling and the output's dtype) goes to `partial` instead of
 * the output.
 */
export function emitReduce(
  ctx: KernelContext,
  f: FunctionBuilder,
  B: Local,
  k: ReduceKernel,
  range?: NestOptions['range'],
  partial?: (acc: Expr, accT: Scalar) => Expr,
): Expr[] {
  const m = ctx.m;
  const space = k.space;
  const axes = new Set(k.axes);
  const kept = space.map((_, i) => i).filter((i) => !axes.has(i));
  const order = [...kept, ...k.axes];
  // Output strides over the space: contiguous over kept dims, 0 on reduced ones.
  const keptStrides = contiguousStrides(kept.map((i) => space[i]));
  const outStrides = space.map((_, i) => (axes.has(i) ? Poly.const(0) : keptStrides[kept.indexOf(i)]));
  const outDT = k.output.dtype!;
  const valDT = k.body.exprs[k.value].dtype;
  const accs = [...k.body.loads, ...k.body.stores].map((a) => accessOf(ctx, f, a));
  const outIdx = accs.length;
  accs.push({ dtype: outDT, strides: outStrides, offset: Poly.const(0), base: () => ctx.addr(f, k.output) });
  const nl = k.body.loads.length;
  const comb = k.combiner;
  const isArg = comb === 'argmax' || comb === 'argmin';
  const floatAcc = (valDT === 'f32' || valDT === 'f64') && (comb === 'sum' || comb === 'prod');
  const accT = floatAcc ? 'f64' : scalarType(valDT);
  const acc = f.local(accT);
  const idx = f.local('i32');
  const best = f.local('i32');
  const count = f.local('i32');
  const pre: Expr[] = [];
  // Number of reduced elements, and the empty-axis check of argmax/argmin.
  pre.push(f.set(count, polyExpr(m, f, numel(k.axes.map((i) => space[i])), B)));
  if (isArg) {
    const vb = new ValueBuilder(m, f, 1);
    vb.node = ctx.nodeIndex(k.output);
    vb.fail(m.unary('i32.eqz', f.get(count)), FAIL.emptyReduction);
    pre.push(...vb.stmts);
  }
  const init = (): Expr => {
    if (comb === 'sum') return m.const(accT, 0);
    if (comb === 'prod') return m.const(accT, 1);
    if (comb === 'max') return accT === 'i32' ? m.i32(-2147483648) : m.const(accT, -Infinity);
    if (comb === 'min') return accT === 'i32' ? m.i32(2147483647) : m.const(accT, Infinity);
    return m.const(accT, 0);
  };
  // Vector accumulation: sum/max/min with no extra stores, reduced inner dim contiguous or splat.
  const lanes = k.body.stores.length === 0 && !isArg && comb !== 'prod' ? lanesOf(ctx, bodyDTypes(k.body)) : 1;
  const vacc = [f.local('v128'), f.local('v128')];
  const combineScalar = (a: Expr, v: Expr): Expr => {
    const t = accT;
    switch (comb) {
      case 'sum':
        return m.binary(`${t}.add` as never, a, v);
      case 'prod':
        return t === 'i32' ? m.binary('i32.mul', a, v) : m.binary('f64.mul', a, v);
      // (an Expr is a tree node: a second use needs a copy)
      case 'max':
        return t === 'i32' ? m.select(m.binary('i32.gt_s', v, f.get(acc)), m.copyExpr(v), a) : m.binary(`${t}.max` as never, a, v);
      case 'min':
        return t === 'i32' ? m.select(m.binary('i32.lt_s', v, f.get(acc)), m.copyExpr(v), a) : m.binary(`${t}.min` as never, a, v);
      default:
        return a;
    }
  };
  const vt = valDT === 'f32' ? 'f32x4' : valDT === 'f64' ? 'f64x2' : 'i32x4';
  // f32 sums (vector path): f32x4 partial sums over blocks of F32_BLOCK vectors (4·F32_BLOCK
  // elements), each block's partials promoted and added into two f64x2 totals (vacc). A block
  // partial of 256 terms per lane errs by ≤ 256·2⁻²⁴ of its Σ|x|, far inside f32 tolerance;
  // the total stays in f64 like the reference's.
  const facc = [f.local('v128'), f.local('v128')];
  const ftmp = f.local('v128');
  const fcount = f.local('i32');
  const flushF32 = (): Expr[] => {
    const s = m.binary('f32x4.add', f.get(facc[0]), f.get(facc[1]));
    const sum = f.local('v128');
    return [
      f.set(sum, s),
      f.set(vacc[0], m.binary('f64x2.add', f.get(vacc[0]), m.unary('f64x2.promote_low_f32x4', f.get(sum)))),
      f.set(
        vacc[1],
        m.binary(
          'f64x2.add',
          f.get(vacc[1]),
          m.unary('f64x2.promote_low_f32x4', m.shuffle(f.get(sum), f.get(sum), [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7])),
        ),
      ),
      f.set(facc[0], m.splat('f32x4', m.f32(0))),
      f.set(facc[1], m.splat('f32x4', m.f32(0))),
    ];
  };
  const body = (env: BodyEnv): Expr[] => {
    const vals = evalBody(ctx, env, k.body);
    const stores = k.body.stores.map((s, i) => env.b.store(vals[s.expr], env.ptr(nl + i)));
    const v = vals[k.value];
    if (env.b.vector) {
      const x = v.get();
      if (comb === 'sum' && valDT === 'f32') {
        // Two f32x4 accumulators taking turns (acc0, acc1 = acc1, acc0 + x: two independent add
        // chains without unrolling); every F32_BLOCK vectors both are flushed into the f64 total.
        // Fast math: a sum of products (x·y) accumulates with relaxed_madd(x, y, acc).
        const ve = k.body.exprs[k.value] as { op: string; args?: number[]; dtype: DType };
        const fm = ctx.fastMath && ve.op === 'mul' && ve.dtype === 'f32' ? ve.args! : null;
        return [
          ...stores,
          f.set(ftmp, f.get(facc[1])),
          f.set(facc[1], fm ? m.relaxedMadd(vals[fm[0]].get(), vals[fm[1]].get(), f.get(facc[0])) : m.binary('f32x4.add', f.get(facc[0]), x)),
          f.set(facc[0], f.get(ftmp)),
          f.set(fcount, m.binary('i32.sub', f.get(fcount), m.i32(1))),
          m.if(m.unary('i32.eqz', f.get(fcount)), m.block(null, [...flushF32(), f.set(fcount, m.i32(F32_BLOCK))])),
        ];
      }
      const op = comb === 'sum' ? 'add' : comb === 'max' ? (valDT === 'i32' ? 'max_s' : 'max') : valDT === 'i32' ? 'min_s' : 'min';
      return [...stores, f.set(vacc[0], m.binary(`${vt}.${op}` as never, f.get(vacc[0]), x))];
    }
    let x = v.get();
    if (accT === 'f64' && valDT === 'f32') x = m.unary('f64.promote_f32', x);
    if (isArg) {
      // First index wins ties; a NaN wins and then sticks (the reference's rule).
      const xv = f.local(accT);
      const better = m.binary(
        `${accT}.${comb === 'argmax' ? (accT === 'i32' ? 'gt_s' : 'gt') : accT === 'i32' ? 'lt_s' : 'lt'}` as never,
        f.get(xv),
        f.get(acc),
      );
      const isNan = (e: Expr): Expr => (accT === 'i32' ? m.i32(0) : m.binary(`${accT}.ne` as never, e, m.copyExpr(e)));
      const take = m.binary(
        'i32.or',
        m.unary('i32.eqz', f.get(idx)),
        m.binary('i32.and', m.unary('i32.eqz', isNan(f.get(acc))), m.binary('i32.or', isNan(f.get(xv)), better)),
      );
      return [
        ...stores,
        f.set(xv, x),
        m.if(take, m.block(null, [f.set(acc, f.get(xv)), f.set(best, f.get(idx))])),
        f.set(idx, m.binary('i32.add', f.get(idx), m.i32(1))),
      ];
    }
    return [...stores, f.set(acc, combineScalar(f.get(acc), x))];
  };
  const enter = (): Expr[] => {
    const out = [f.set(acc, init()), f.set(idx, m.i32(0)), f.set(best, m.i32(0))];
    if (lanes > 1) {
      const vinit =
        comb === 'sum' && valDT === 'f32'
          ? m.splat('f64x2', m.f64(0))
          : m.splat(
              vt,
              m.const(
                scalarType(valDT),
                comb === 'sum' ? 0 : valDT === 'i32' ? (comb === 'max' ? -2147483648 : 2147483647) : comb === 'max' ? -Infinity : Infinity,
              ),
            );
      out.push(f.set(vacc[0], vinit), f.set(vacc[1], m.copyExpr(vinit)));
      if (comb === 'sum' && valDT === 'f32') {
        out.push(f.set(facc[0], m.splat('f32x4', m.f32(0))), f.set(facc[1], m.splat('f32x4', m.f32(0))), f.set(fcount, m.i32(F32_BLOCK)));
      }
    }
    return out;
  };
  const leave = (env: BodyEnv): Expr[] => {
    const out: Expr[] = [];
    if (lanes > 1) {
      if (comb === 'sum' && valDT === 'f32') {
        out.push(...flushF32());
        for (const va of vacc) for (let i = 0; i < 2; i++) out.push(f.set(acc, m.binary('f64.add', f.get(acc), m.extractLane('f64x2', f.get(va), i))));
      } else {
        for (let i = 0; i < lanes; i++) out.push(f.set(acc, combineScalar(f.get(acc), m.extractLane(vt, f.get(vacc[0]), i))));
      }
    }
    if (partial) return [...out, partial(f.get(acc), accT)];
    let r: Expr = isArg ? f.get(best) : f.get(acc);
    if (k.mean) {
      if (accT === 'i32')
        r = m.select(m.unary('i32.eqz', f.get(count)), m.i32(0), m.binary('i32.div_s', r, m.select(m.unary('i32.eqz', f.get(count)), m.i32(1), f.get(count))));
      else r = m.binary('f64.div', r, m.unary('f64.convert_i32_s', f.get(count)));
    }
    if (!isArg && accT === 'f64' && outDT === 'f32') r = m.unary('f32.demote_f64', r);
    const l = f.local(scalarType(outDT));
    out.push(f.set(l, r));
    out.push(new ValueBuilder(m, f, 1).store({ dtype: outDT, get: () => f.get(l) } as BValue, env.ptr(outIdx)));
    return out;
  };
  return [...pre, ...emitNest(m, f, B, space, order, accs, { lanes, split: kept.length, enterReduce: enter, leaveReduce: leave, body, range })];
}

// ---------------------------------------------------------------- matmul

/**
 * An epilogue the runtime's `matmul_*_ep` kernels compute in their store: one store, contiguous
 * over the output space, of act(acc + bias) / act(acc) / acc + bias, act ∈ {relu, sigmoid, tanh},
 * bias a load of the matmul's dtype broadcast over every dim but the last (stride 1 there): a
 * dense layer's `matmul(x, W) + b` then relu. Same operations as the epilogue loop (f32/f64 add,
 * max(x, 0), the runtime's math_sigmoid/math_tanh), so the results are the same bits.
 */
interface RuntimeEpilogue {
  store: Store;
  bias: Load | null;
  act: number;
}

const EPILOGUE_ACTS: Readonly<Record<string, number>> = { relu: MATMUL_ACT.relu, sigmoid: MATMUL_ACT.sigmoid, tanh: MATMUL_ACT.tanh };

export function runtimeEpilogue(k: MatmulKernel): RuntimeEpilogue | null {
  const ep = k.epilogue;
  const dt = k.node.dtype!;
  if (!ep || ep.stores.length !== 1 || (dt !== 'f32' && dt !== 'f64')) return null;
  const store = ep.stores[0]!;
  const space = k.space;
  const rowMajor = contiguousStrides(space);
  if (store.dtype !== dt || !store.offset.equals(0) || store.strides.length !== space.length || !store.strides.every((s, i) => s.equals(rowMajor[i]!)))
    return null;
  let e = ep.exprs[store.expr]!;
  let act: number = MATMUL_ACT.none;
  if ('args' in e && e.op in EPILOGUE_ACTS && e.args.length === 1 && e.dtype === dt) {
    act = EPILOGUE_ACTS[e.op]!;
    e = ep.exprs[e.args[0]!]!;
  }
  if (e.op === 'acc') return e.dtype === dt ? { store, bias: null, act } : null;
  if (!('args' in e) || e.op !== 'add' || e.args.length !== 2 || e.dtype !== dt) return null;
  const [x, y] = e.args.map((i) => ep.exprs[i]!);
  const other = x!.op === 'acc' ? y! : y!.op === 'acc' ? x! : null;
  if (!other || other.op !== 'load' || other.dtype !== dt) return null;
  const bias = ep.loads[(other as { load: number }).load]!;
  const r = space.length;
  const rowBroadcast =
    bias.dtype === dt && bias.strides.length === r && bias.strides.every((s, i) => (i < r - 1 ? s.equals(0) : s.equals(1) || space[r - 1]!.equals(1)));
  // The kernel reads the bias while it writes C: never the same buffer (inputs and outputs of one
  // kernel never share bytes in the memory plan; this guards a bias that is the stored node).
  const distinct = bias.node !== store.node && store.node !== k.a && store.node !== k.b;
  return rowBroadcast && distinct ? { store, bias, act } : null;
}

function emitMatmul(ctx: KernelContext, f: FunctionBuilder, B: Local, k: MatmulKernel): Expr[] {
  const m = ctx.m;
  const as = ctx.shapes.get(k.a)!;
  const space = k.space;
  const r = space.length;
  const M = space[r - 2];
  const N = space[r - 1];
  const K = k.transposeA ? as[as.length - 2] : as[as.length - 1];
  const batch = numel(space.slice(0, r - 2));
  const dt = k.node.dtype!;
  const P = (p: Poly): Expr => polyExpr(m, f, p, B);
  const out: Expr[] = [];
  const c = f.local('i32');
  const rtEp = runtimeEpilogue(k);
  out.push(f.set(c, rtEp ? ctx.addr(f, rtEp.store.node) : k.epilogue ? ctx.scratch(f) : ctx.addr(f, k.node)));
  if (dt === 'f32' || dt === 'f64') {
    // f32 sums 64 terms at a time in f32 and combines K slices in f64 (runtime-as/assembly/
    // matmul.ts), so long dot products (XᵀX over 20,640 rows) need no separate f64 kernel.
    const args = [ctx.addr(f, k.a), ctx.addr(f, k.b), f.get(c)];
    const flags = [m.i32(k.transposeA ? 1 : 0), m.i32(k.transposeB ? 1 : 0), m.i32(ctx.runtimeScratch)];
    const epArgs = rtEp
      ? [rtEp.bias ? m.binary('i32.add', ctx.addr(f, rtEp.bias.node), P(rtEp.bias.offset.scale(byteSize(dt)))) : m.i32(0), m.i32(rtEp.act)]
      : [];
    const ep = rtEp ? '_ep' : '';
    if (r > 2) {
      out.push(m.call(`rt_matmul_${dt}_batched${ep}`, [...args, P(batch), P(M), P(N), P(K), ...flags, P(M.mul(K)), P(K.mul(N)), ...epArgs], 'none'));
    } else {
      out.push(m.call(`rt_matmul_${dt}${ep}`, [...args, P(M), P(N), P(K), ...flags, ...epArgs], 'none'));
    }
    if (rtEp) return out;
  } else {
    out.push(...intMatmul(ctx, f, B, k, c, batch, M, N, K));
  }
  if (k.epilogue) {
    const ep = k.epilogue;
    const accs = [...ep.loads, ...ep.stores].map((a) => accessOf(ctx, f, a));
    const accIdx = accs.length;
    accs.push({ dtype: dt, strides: contiguousStrides(space), offset: Poly.const(0), base: () => f.get(c) });
    const nl = ep.loads.length;
    const { pre, hoisted } = hoistInvariants(ctx, f, B, ep, accs);
    out.push(
      ...pre,
      ...emitNest(
        m,
        f,
        B,
        space,
        space.map((_, i) => i),
        accs,
        {
          lanes: lanesOf(ctx, bodyDTypes(ep, [dt])),
          body: (env) => {
            const vals = evalBody(ctx, env, ep, accIdx, hoisted);
            return ep.stores.map((s, i) => env.b.store(vals[s.expr], env.ptr(nl + i)));
          },
        },
      ),
    );
  }
  return out;
}

/** int32 matmul (wrapping), a plain triple loop per batch entry. */
function intMatmul(ctx: KernelContext, f: FunctionBuilder, B: Local, k: MatmulKernel, c: Local, batch: Poly, M: Poly, N: Poly, K: Poly): Expr[] {
  const m = ctx.m;
  const P = (p: Poly): Expr => polyExpr(m, f, p, B);
  const [bi, i, j, p, acc, a0, b0, c0] = [0, 0, 0, 0, 0, 0, 0, 0].map(() => f.local('i32'));
  const [nb, nm, nn, nk] = [batch, M, N, K].map(() => f.local('i32'));
  // A element (i, p): transA ? p*M + i : i*K + p. B element (p, j): transB ? j*K + p : p*N + j.
  const aIdx = k.transposeA
    ? m.binary('i32.add', m.binary('i32.mul', f.get(p), f.get(nm)), f.get(i))
    : m.binary('i32.add', m.binary('i32.mul', f.get(i), f.get(nk)), f.get(p));
  const bIdx = k.transposeB
    ? m.binary('i32.add', m.binary('i32.mul', f.get(j), f.get(nk)), f.get(p))
    : m.binary('i32.add', m.binary('i32.mul', f.get(p), f.get(nn)), f.get(j));
  const ld = (base: Local, ix: Expr): Expr => m.load('i32', m.binary('i32.add', f.get(base), m.binary('i32.shl', ix, m.i32(2))));
  return [
    f.set(nb, P(batch)),
    f.set(nm, P(M)),
    f.set(nn, P(N)),
    f.set(nk, P(K)),
    m.forRange(bi, m.i32(0), () => f.get(nb), 1, [
      f.set(
        a0,
        m.binary('i32.add', ctx.addr(f, k.a), m.binary('i32.mul', f.get(bi), m.binary('i32.shl', m.binary('i32.mul', f.get(nm), f.get(nk)), m.i32(2)))),
      ),
      f.set(
        b0,
        m.binary('i32.add', ctx.addr(f, k.b), m.binary('i32.mul', f.get(bi), m.binary('i32.shl', m.binary('i32.mul', f.get(nk), f.get(nn)), m.i32(2)))),
      ),
      f.set(c0, m.binary('i32.add', f.get(c), m.binary('i32.mul', f.get(bi), m.binary('i32.shl', m.binary('i32.mul', f.get(nm), f.get(nn)), m.i32(2))))),
      m.forRange(i, m.i32(0), () => f.get(nm), 1, [
        m.forRange(j, m.i32(0), () => f.get(nn), 1, [
          f.set(acc, m.i32(0)),
          m.forRange(p, m.i32(0), () => f.get(nk), 1, [f.set(acc, m.binary('i32.add', f.get(acc), m.binary('i32.mul', ld(a0, aIdx), ld(b0, bIdx))))]),
          m.store(
            'i32',
            m.binary('i32.add', f.get(c0), m.binary('i32.shl', m.binary('i32.add', m.binary('i32.mul', f.get(i), f.get(nn)), f.get(j)), m.i32(2))),
            f.get(acc),
          ),
        ]),
      ]),
    ]),
  ];
}

// ---------------------------------------------------------------- opaque

/** The op's own lowering (compiler/ops/), on an emitter over this kernel's function. */
function emitOpaque(ctx: KernelContext, f: FunctionBuilder, B: Local, k: OpaqueKernel): Expr[] {
  const n = k.node;
  const low = getOp(n.op).lower;
  if (low.fusion === 'unsupported') throw new LoweringError(`op '${n.op}' cannot be lowered to WebAssembly: ${low.reason}`, n);
  if (low.fusion !== 'opaque') throw new LoweringError(`internal: op '${n.op}' (fusion class ${low.fusion}) is not an opaque kernel`, n);
  const m = ctx.m;
  const emitter: OpaqueEmitter = {
    m,
    f,
    B,
    simd: ctx.simd,
    runtimeScratch: ctx.runtimeScratch,
    shape: (x) => ctx.shapes.get(x)!,
    addr: (x) => ctx.addr(f, x),
    scratch: () => ctx.scratch(f),
    poly: (p) => polyExpr(m, f, p, B),
    nodeIndex: (x) => ctx.nodeIndex(x),
    constData: (bytes) => ctx.constData(bytes),
    values: () => {
      const vb = new ValueBuilder(m, f, 1);
      vb.node = ctx.nodeIndex(n);
      return vb;
    },
    nest: (space, order, accesses, opts) => emitNest(m, f, B, space, order, accesses, opts),
    sumReduce: (r) =>
      emitReduce(ctx, f, B, {
        id: k.id,
        name: k.name,
        kind: 'reduce',
        space: r.space,
        body: {
          loads: [{ node: r.input, dtype: r.input.dtype!, strides: contiguousStrides(r.space), offset: Poly.const(0), pattern: 'contiguous' }],
          exprs: [{ op: 'load', load: 0, dtype: r.input.dtype! }],
          stores: [],
        },
        value: 0,
        axes: r.axes,
        combiner: 'sum',
        mean: false,
        keepdims: false,
        output: r.output,
        outShape: r.outShape,
        nodes: [n],
        inputs: [r.input],
        outputs: [n],
      }),
  };
  return low.emit(emitter, n);
}
