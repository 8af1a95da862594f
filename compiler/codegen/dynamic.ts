/**
 * @fileoverview Dynamic kernels: the generic plan's kernels for nodes whose shapes are known only
 * at run time (a placeholder of unknown rank and what depends on it; compiler/schedule/symshape.ts
 * leaves them out of the planned kernels). Input: one such node. Output: its `DynamicPlan` (how
 * the loader runs it) and, for a kernel, one exported function `(desc: i32) → i32` (0 = ok, 1 =
 * failed with the status words set, as every kernel) that reads rank, dims, buffer addresses and
 * byte strides from a descriptor the loader writes in memory (session/wasm/dynamic.ts computes
 * the shapes with TF1's run-time rules and lays the descriptor out):
 *
 * ```
 * map     [r, base_0 … base_{A-1}, dims[r], strides[r][A], counters[r]]   A = inputs + 1 (output last; views,
 *         concat and stack: one input, a strided copy)
 * reduce  [ro, ri, count, in, out, dims[ro], strides[ro][2], counters[ro], dims[ri], strides[ri][1], counters[ri]]
 * matmul  [a, b, c, batch, M, N, K]
 * rows    [in, out, outer, len, inner]                                     softmax, log_softmax
 * ```
 * Elementwise values come from the op's own lowering (`OpDef.lower.value` on a scalar
 * `ValueBuilder`), so a dynamic `add` is the same arithmetic as a planned one; reductions keep the
 * planned kernels' scalar accumulation (f64 for float sums, means and products; the dtype for
 * max/min; first index wins for argmax/argmin); matmul and softmax call the same runtime kernels.
 * The loops are an odometer over the descriptor's dims: the innermost dim is a counted loop, the
 * outer dims advance per-access pointers and carry.
 */
import type { DType } from '../../session/dtype.js';
import type { ManifestDynamic } from '../../session/wasm/manifest.js';
import type { Node } from '../ir/graph.js';
import { LoweringError } from '../ops/lower-api.js';
import { getOp } from '../ops/registry.js';
import { FAIL, STATUS_ADDR, ValueBuilder, scalarType, type BValue } from './expr.js';
import type { Expr, FunctionBuilder, Local, WasmModule } from './module.js';

export interface DynamicContext {
  m: WasmModule;
  /** Manifest index of a node (recorded with failures). */
  nodeIndex(n: Node): number;
  /** Fixed scratch for the runtime's matmul packing. */
  runtimeScratch: number;
}

/** Ops that share their input's buffer under another shape (no code). */
const ALIAS_OPS = new Set(['identity', 'stop_gradient', 'reshape', 'expand_dims', 'squeeze']);
/** Views run as a strided copy of input 0 (the loader computes its offset and strides). */
const STRIDED_VIEWS = new Set(['transpose', 'strided_slice', 'slice']);
/** Ops whose value the loader writes itself (shape facts, constant fills, gather's row copies). */
const HOST_OPS = new Set(['shape', 'size', 'rank', 'zeros_like', 'ones_like', 'gather']);

/**
 * How the loader runs node `n` with run-time shapes, or why it cannot (the reason becomes the
 * node's UnimplementedError when a run needs it).
 */
export function dynamicPlan(n: Node): Omit<ManifestDynamic, 'export'> | string {
  if (ALIAS_OPS.has(n.op)) return { kind: 'alias' };
  if (HOST_OPS.has(n.op)) return { kind: 'host' };
  const low = getOp(n.op).lower;
  const dts = [n.dtype, ...n.inputs.map((x) => x.dtype)];
  switch (low.fusion) {
    case 'elementwise':
      return { kind: 'map' };
    case 'reduction':
      return { kind: 'reduce' };
    case 'contraction':
      return n.dtype === 'f32' || n.dtype === 'f64' ? { kind: 'matmul' } : `op ${n.op} of ${n.dtype} has no kernel for run-time shapes`;
    case 'view':
      return STRIDED_VIEWS.has(n.op) ? { kind: 'map' } : `op ${n.op} has no kernel for run-time shapes`;
    case 'opaque':
      // concat, stack: the loader calls the copy once per input, into its place in the output
      if (n.op === 'concat' || n.op === 'stack') return { kind: 'map' };
      if ((n.op === 'softmax' || n.op === 'log_softmax') && dts.every((d) => d === 'f32' || d === 'f64')) return { kind: 'rows' };
      return `op ${n.op} has no kernel for run-time shapes`;
    default:
      return `op ${n.op} has no kernel for run-time shapes`;
  }
}

/** Emit node `n`'s dynamic kernel as function and export `name` (plan kinds map, reduce, matmul, rows). */
export function emitDynamicKernel(ctx: DynamicContext, n: Node, kind: ManifestDynamic['kind'], name: string): void {
  const m = ctx.m;
  const f = m.func(name, ['i32'], 'i32');
  const desc = f.param(0);
  let body: Expr[];
  switch (kind) {
    case 'map':
      body = emitMap(ctx, f, desc, n);
      break;
    case 'reduce':
      body = emitReduce(ctx, f, desc, n);
      break;
    case 'matmul':
      body = emitMatmul(ctx, f, desc, n);
      break;
    case 'rows':
      body = [
        m.call(
          `rt_${n.op}_${n.dtype!}`,
          [0, 1, 2, 3, 4].map((i) => word(m, f, desc, i)),
          'none',
        ),
      ];
      break;
    default:
      throw new LoweringError(`internal: a ${kind} node has no dynamic kernel`, n);
  }
  f.finish([...body, m.binary('i32.ne', m.load('i32', m.i32(STATUS_ADDR)), m.i32(0))]);
  m.exportFunction(name, name);
  m.markCold(name);
}

/** Descriptor word i (at a constant index). */
function word(m: WasmModule, f: FunctionBuilder, desc: Local, i: number): Expr {
  return m.load('i32', f.get(desc), 4 * i);
}

/** `base + 4·index` as an address expression. */
function wordAt(m: WasmModule, base: Expr, index: Expr): Expr {
  return m.binary('i32.add', base, m.binary('i32.shl', index, m.i32(2)));
}

/**
 * An odometer over a nest of `rank` dims described at `nest` (i32 words: dims[rank],
 * strides[rank][A] in bytes, counters[rank]), advancing the A pointer locals `ptrs` (in place).
 * `body` gets the innermost pointers, one element per call. Rank ≥ 1 (the loader writes a
 * rank-0 nest as [1], an empty one as [0]).
 */
function odometer(m: WasmModule, f: FunctionBuilder, rank: Local, nest: Local, ptrs: Local[], body: (q: Local[]) => Expr[]): Expr[] {
  const A = ptrs.length;
  const i32 = (v: number): Expr => m.i32(v);
  const add = (a: Expr, b: Expr): Expr => m.binary('i32.add', a, b);
  const sub = (a: Expr, b: Expr): Expr => m.binary('i32.sub', a, b);
  const mul = (a: Expr, b: Expr): Expr => m.binary('i32.mul', a, b);
  const R = (): Expr => f.get(rank);
  const dimAddr = (d: Expr): Expr => wordAt(m, f.get(nest), d);
  // strides[d][a] is word rank + d·A + a; counters[d] is word rank + rank·A + d.
  const strideAddr = (d: Expr, a: number): Expr => wordAt(m, f.get(nest), add(add(R(), mul(d, i32(A))), i32(a)));
  const counterAddr = (d: Expr): Expr => wordAt(m, f.get(nest), add(add(R(), mul(R(), i32(A))), d));
  const nLast = f.local('i32');
  const last = f.local('i32');
  const d = f.local('i32');
  const c = f.local('i32');
  const j = f.local('i32');
  const sLast = ptrs.map(() => f.local('i32'));
  const q = ptrs.map(() => f.local('i32'));
  const done = m.label('odo_done');
  const outer = m.label('odo_outer');
  const carry = m.label('odo_carry');
  const stride = (a: number): Expr => m.load('i32', strideAddr(f.get(d), a));
  return [
    f.set(last, sub(R(), i32(1))),
    f.set(nLast, m.load('i32', dimAddr(f.get(last)))),
    ...sLast.map((l, a) => f.set(l, m.load('i32', strideAddr(f.get(last), a)))),
    m.memoryFill(counterAddr(i32(0)), i32(0), m.binary('i32.shl', R(), i32(2))),
    m.block(done, [
      m.loop(
        outer,
        m.block(null, [
          ...q.map((l, a) => f.set(l, f.get(ptrs[a]))),
          m.forRange(j, i32(0), () => f.get(nLast), 1, [...body(q), ...q.map((l, a) => f.set(l, add(f.get(l), f.get(sLast[a]))))]),
          f.set(d, sub(f.get(last), i32(1))),
          m.loop(
            carry,
            m.block(null, [
              m.br(done, m.binary('i32.lt_s', f.get(d), i32(0))),
              ...ptrs.map((p, a) => f.set(p, add(f.get(p), stride(a)))),
              f.set(c, add(m.load('i32', counterAddr(f.get(d))), i32(1))),
              m.if(
                m.binary('i32.lt_s', f.get(c), m.load('i32', dimAddr(f.get(d)))),
                m.block(null, [m.store('i32', counterAddr(f.get(d)), f.get(c)), m.br(outer)]),
              ),
              m.store('i32', counterAddr(f.get(d)), i32(0)),
              ...ptrs.map((p, a) => f.set(p, sub(f.get(p), mul(stride(a), m.load('i32', dimAddr(f.get(d))))))),
              f.set(d, sub(f.get(d), i32(1))),
              m.br(carry),
            ]),
          ),
        ]),
      ),
    ]),
  ];
}

/** Words of a nest of rank `r` with `A` accesses (dims, strides, counters). */
function nestWords(m: WasmModule, r: Expr, A: number): Expr {
  return m.binary('i32.mul', r, m.i32(A + 2));
}

// ---------------------------------------------------------------- map

function emitMap(ctx: DynamicContext, f: FunctionBuilder, desc: Local, n: Node): Expr[] {
  const m = ctx.m;
  const low = getOp(n.op).lower;
  // a view reads input 0 only (slice's begin and size inputs are read by the loader); concat
  // and stack copy one input per call
  const ins = low.fusion === 'elementwise' ? n.inputs : n.inputs.slice(0, 1);
  const A = ins.length + 1;
  const rank = f.local('i32');
  const nest = f.local('i32');
  const ptrs = Array.from({ length: A }, () => f.local('i32'));
  const out: DType = n.dtype!;
  const body = (q: Local[]): Expr[] => {
    const b = new ValueBuilder(m, f, 1);
    b.node = ctx.nodeIndex(n);
    const xs = ins.map((x, i) => b.load(x.dtype!, () => f.get(q[i])));
    let v: BValue;
    if (low.fusion === 'elementwise') {
      v = low.value(b, xs, n.attrs) as BValue;
      if (v.dtype !== out) v = b.cast(v, out) as BValue;
    } else v = xs[0]; // a view: a strided copy
    return [...b.stmts, b.store(v, () => f.get(q[A - 1]))];
  };
  return [
    f.set(rank, word(m, f, desc, 0)),
    ...ptrs.map((p, a) => f.set(p, word(m, f, desc, 1 + a))),
    f.set(nest, m.binary('i32.add', f.get(desc), m.i32(4 * (1 + A)))),
    ...odometer(m, f, rank, nest, ptrs, body),
  ];
}

// ---------------------------------------------------------------- reduce

function emitReduce(ctx: DynamicContext, f: FunctionBuilder, desc: Local, n: Node): Expr[] {
  const m = ctx.m;
  const low = getOp(n.op).lower;
  if (low.fusion !== 'reduction') throw new LoweringError(`internal: op ${n.op} is not a reduction`, n);
  const comb = low.combiner;
  const valDT = n.inputs[0].dtype!;
  const outDT = n.dtype!;
  const isArg = comb === 'argmax' || comb === 'argmin';
  const floatAcc = (valDT === 'f32' || valDT === 'f64') && (comb === 'sum' || comb === 'prod');
  const accT = floatAcc ? 'f64' : scalarType(valDT);
  const [ro, ri, count] = [0, 1, 2].map(() => f.local('i32'));
  const [outerNest, innerNest] = [f.local('i32'), f.local('i32')];
  const [inP, outP, innerP] = [f.local('i32'), f.local('i32'), f.local('i32')];
  const acc = f.local(accT);
  const xv = f.local(accT);
  const idx = f.local('i32');
  const best = f.local('i32');
  const init = (): Expr => {
    if (comb === 'sum' || isArg) return m.const(accT, 0);
    if (comb === 'prod') return m.const(accT, 1);
    if (comb === 'max') return accT === 'i32' ? m.i32(-2147483648) : m.const(accT, -Infinity);
    return accT === 'i32' ? m.i32(2147483647) : m.const(accT, Infinity);
  };
  // The planned reduce kernel's scalar combine (compiler/codegen/kernels.ts emitReduce).
  const combine = (): Expr => {
    const a = f.get(acc);
    const v = f.get(xv);
    switch (comb) {
      case 'sum':
        return m.binary(`${accT}.add` as never, a, v);
      case 'prod':
        return accT === 'i32' ? m.binary('i32.mul', a, v) : m.binary('f64.mul', a, v);
      case 'max':
        return accT === 'i32' ? m.select(m.binary('i32.gt_s', v, f.get(acc)), f.get(xv), a) : m.binary(`${accT}.max` as never, a, v);
      default:
        return accT === 'i32' ? m.select(m.binary('i32.lt_s', v, f.get(acc)), f.get(xv), a) : m.binary(`${accT}.min` as never, a, v);
    }
  };
  const element = (q: Local[]): Expr[] => {
    const b = new ValueBuilder(m, f, 1);
    const x = b.load(valDT, () => f.get(q[0]));
    let e = x.get();
    if (accT === 'f64' && valDT === 'f32') e = m.unary('f64.promote_f32', e);
    const stmts = [...b.stmts, f.set(xv, e)];
    if (!isArg) return [...stmts, f.set(acc, combine())];
    // First index wins ties; a NaN wins and then sticks (the reference's rule).
    const isNan = (l: Local): Expr => (accT === 'i32' ? m.i32(0) : m.binary(`${accT}.ne` as never, f.get(l), f.get(l)));
    const better = m.binary(`${accT}.${comb === 'argmax' ? (accT === 'i32' ? 'gt_s' : 'gt') : accT === 'i32' ? 'lt_s' : 'lt'}` as never, f.get(xv), f.get(acc));
    const take = m.binary('i32.or', m.unary('i32.eqz', f.get(idx)), m.binary('i32.and', m.unary('i32.eqz', isNan(acc)), m.binary('i32.or', isNan(xv), better)));
    return [...stmts, m.if(take, m.block(null, [f.set(acc, f.get(xv)), f.set(best, f.get(idx))])), f.set(idx, m.binary('i32.add', f.get(idx), m.i32(1)))];
  };
  const perOutput = (q: Local[]): Expr[] => {
    let r: Expr = isArg ? f.get(best) : f.get(acc);
    if (low.mean) {
      if (accT === 'i32')
        r = m.select(m.unary('i32.eqz', f.get(count)), m.i32(0), m.binary('i32.div_s', r, m.select(m.unary('i32.eqz', f.get(count)), m.i32(1), f.get(count))));
      else r = m.binary('f64.div', r, m.unary('f64.convert_i32_s', f.get(count)));
    }
    if (!isArg && accT === 'f64' && outDT === 'f32') r = m.unary('f32.demote_f64', r);
    const res = f.local(scalarType(outDT));
    return [
      f.set(acc, init()),
      f.set(idx, m.i32(0)),
      f.set(best, m.i32(0)),
      f.set(innerP, f.get(q[0])),
      ...odometer(m, f, ri, innerNest, [innerP], element),
      f.set(res, r),
      new ValueBuilder(m, f, 1).store({ dtype: outDT, get: () => f.get(res) } as BValue, () => f.get(q[1])),
    ];
  };
  const pre: Expr[] = [
    f.set(ro, word(m, f, desc, 0)),
    f.set(ri, word(m, f, desc, 1)),
    f.set(count, word(m, f, desc, 2)),
    f.set(inP, word(m, f, desc, 3)),
    f.set(outP, word(m, f, desc, 4)),
    f.set(outerNest, m.binary('i32.add', f.get(desc), m.i32(4 * 5))),
    f.set(innerNest, m.binary('i32.add', f.get(outerNest), m.binary('i32.shl', nestWords(m, f.get(ro), 2), m.i32(2)))),
  ];
  if (isArg) {
    const vb = new ValueBuilder(m, f, 1);
    vb.node = ctx.nodeIndex(n);
    vb.fail(m.unary('i32.eqz', f.get(count)), FAIL.emptyReduction);
    pre.push(...vb.stmts, m.if(m.unary('i32.eqz', f.get(count)), m.return(m.i32(1))));
  }
  return [...pre, ...odometer(m, f, ro, outerNest, [inP, outP], perOutput)];
}

// ---------------------------------------------------------------- matmul

function emitMatmul(ctx: DynamicContext, f: FunctionBuilder, desc: Local, n: Node): Expr[] {
  const m = ctx.m;
  const low = getOp(n.op).lower;
  if (low.fusion !== 'contraction') throw new LoweringError(`internal: op ${n.op} is not a contraction`, n);
  const { transposeA, transposeB } = low.operands(n);
  const dt = n.dtype!;
  const w = (i: number): Expr => word(m, f, desc, i);
  const flags = [m.i32(transposeA ? 1 : 0), m.i32(transposeB ? 1 : 0), m.i32(ctx.runtimeScratch)];
  const mul = (a: Expr, b: Expr): Expr => m.binary('i32.mul', a, b);
  // [a, b, c, batch, M, N, K]: one product, or `batch` of them (strides M·K and K·N elements).
  return [
    m.if(
      m.binary('i32.eq', w(3), m.i32(1)),
      m.call(`rt_matmul_${dt}`, [w(0), w(1), w(2), w(4), w(5), w(6), ...flags], 'none'),
      m.call(
        `rt_matmul_${dt}_batched`,
        [w(0), w(1), w(2), w(3), w(4), w(5), w(6), ...flags.map((x) => m.copyExpr(x)), mul(w(4), w(6)), mul(w(6), w(5))],
        'none',
      ),
    ),
  ];
}
