/**
 * @fileoverview Lowering of the gradient helper's internal ops (compiler/grad/), which exist
 * for unknown (run-time) shapes: `fill_dims`, `broadcast_like`, `reshape_like`, `sum_to_like`, `slice_grad`,
 * `prod_except`, `strided_slice_grad`, `concat_slice`, `scatter_add`. Each is one opaque kernel
 * `(B) → status` over the node's symbolic shapes (every unknown dim is the batch B):
 *
 * - copies through `loops.ts` nests (SIMD where the strides allow): broadcast_like (stride 0 on
 *   broadcast dims), concat_slice (an offset window of dy), strided_slice_grad (zero fill, then
 *   dy stored through the slice's view of x), slice_grad (the same at a begin read at run
 *   time), fill_dims (a splat of the value);
 * - sum_to_like: a sum reduce kernel over g's space (kernels.ts `emitReduce`);
 * - prod_except: two nests — per-group product of the non-zero elements and zero count (f64, in
 *   the per-call scratch), then each element from its group's (the reference's zero-safe rule);
 * - scatter_add: zero fill, then each updates row added at its index (range-checked);
 * - reshape_like: a copy.
 *
 * Shape facts the symbolic shapes cannot prove are checked at run time and fail with
 * `FAIL.shapeCheck` (the loader words the reference's error from the node's op and the
 * run-time shapes of its inputs).
 */
import { byteSize, type DType } from '../../session/dtype.js';
import type { Node } from '../ir/graph.js';
import { normAxis } from '../ir/shape.js';
import { stridedSliceView } from '../schedule/fuse.js';
import type { OpaqueKernel, ReduceKernel } from '../schedule/kernel.js';
import { Poly, contiguousStrides, numel } from '../schedule/sym.js';
import { FAIL, STATUS_ADDR, ValueBuilder, lanesFor, scalarType } from './expr.js';
import { emitNest, polyExpr, type NestAccess } from './loops.js';
import type { KernelContext } from './kernels.js';
import { LoweringError, emitReduce } from './kernels.js';
import type { Expr, FunctionBuilder, Local } from './module.js';

/** Per-call scratch bytes a grad-op kernel needs (prod_except: two f64 per group). */
export function gradOpScratch(n: Node, shapes: Map<Node, Poly[]>): Poly {
  if (n.op !== 'prod_except') return Poly.const(0);
  const xs = shapes.get(n.inputs[0])!;
  const axes = reduceAxes(n, xs.length);
  return numel(xs.filter((_, i) => !axes.has(i))).scale(16).alignUp(16);
}

function reduceAxes(n: Node, rank: number): Set<number> {
  const a = n.attrs.axis;
  if (a === null || a === undefined) return new Set(Array.from({ length: rank }, (_, i) => i));
  return new Set((Array.isArray(a) ? (a as number[]) : [a as number]).map((x) => normAxis(x, rank)));
}

interface Env {
  ctx: KernelContext;
  f: FunctionBuilder;
  B: Local;
  vb: ValueBuilder;
}

export function emitGradOp(ctx: KernelContext, f: FunctionBuilder, B: Local, k: OpaqueKernel): Expr[] {
  const n = k.node;
  const vb = new ValueBuilder(ctx.m, f, 1);
  vb.node = ctx.nodeIndex(n);
  const e: Env = { ctx, f, B, vb };
  let body: Expr[];
  switch (n.op) {
    case 'fill_dims':
      body = fillDims(e, n);
      break;
    case 'broadcast_like':
      body = broadcastLike(e, n);
      break;
    case 'reshape_like':
      body = reshapeLike(e, n);
      break;
    case 'sum_to_like':
      body = sumToLike(e, n, k);
      break;
    case 'prod_except':
      body = prodExcept(e, n);
      break;
    case 'strided_slice_grad':
      body = stridedSliceGrad(e, n);
      break;
    case 'slice_grad':
      body = sliceGrad(e, n);
      break;
    case 'concat_slice':
      body = concatSlice(e, n);
      break;
    case 'scatter_add':
      body = scatterAdd(e, n);
      break;
    default:
      throw new LoweringError(`op '${n.op}' is not a gradient helper op`, n);
  }
  return [...vb.stmts, ...failed(e), ...body];
}

const shp = (e: Env, n: Node): Poly[] => e.ctx.shapes.get(n)!;
const P = (e: Env, p: Poly): Expr => polyExpr(e.ctx.m, e.f, p, e.B);

/** Return 1 from the kernel when a check above failed. */
function failed(e: Env): Expr[] {
  const m = e.ctx.m;
  return [m.if(m.binary('i32.ne', m.load('i32', m.i32(STATUS_ADDR)), m.i32(0)), m.return(m.i32(1)))];
}

/** Fail (shapeCheck) unless `a == b` at run time; nothing when the polynomials are equal. */
function checkEq(e: Env, a: Poly, b: Poly): void {
  if (a.equals(b)) return;
  e.vb.fail(e.ctx.m.binary('i32.ne', P(e, a), P(e, b)), FAIL.shapeCheck);
}

function access(e: Env, node: Node, dtype: DType, strides: Poly[], offset: Poly = Poly.const(0), base?: () => Expr): NestAccess {
  return { dtype, strides, offset, base: base ?? (() => e.ctx.addr(e.f, node)) };
}

/** out[idx] = src[idx] over `space` (src strides may be 0: splats). */
function copyNest(e: Env, space: Poly[], src: NestAccess, dst: NestAccess): Expr[] {
  const dt = dst.dtype;
  return emitNest(e.ctx.m, e.f, e.B, space, space.map((_, i) => i), [src, dst], {
    lanes: e.ctx.simd ? lanesFor([dt]) : 1,
    body: (env) => [env.b.store(env.splat(0) ? env.b.loadSplat(dt, env.ptr(0)) : env.b.load(dt, env.ptr(0)), env.ptr(1))],
  });
}

function zeroFill(e: Env, n: Node): Expr {
  const m = e.ctx.m;
  return m.memoryFill(e.ctx.addr(e.f, n), m.i32(0), P(e, numel(shp(e, n)).scale(byteSize(n.dtype!))));
}

function fillDims(e: Env, n: Node): Expr[] {
  const m = e.ctx.m;
  const out = shp(e, n);
  const dims = n.inputs[0];
  const ds = shp(e, dims);
  if (ds.length !== 1 || !ds[0].equals(out.length)) throw new LoweringError(`fill_dims: dims must be a vector of ${out.length} values`, n);
  out.forEach((d, i) => e.vb.fail(m.binary('i32.ne', m.load('i32', e.ctx.addr(e.f, dims), i * 4), P(e, d)), FAIL.shapeCheck));
  const dt = n.dtype!;
  return copyNest(e, out, access(e, n.inputs[1], dt, out.map(() => Poly.const(0))), access(e, n, dt, contiguousStrides(out)));
}

function broadcastLike(e: Env, n: Node): Expr[] {
  const g = n.inputs[0];
  const gs = shp(e, g);
  const out = shp(e, n);
  const lead = out.length - gs.length;
  if (lead < 0) throw new LoweringError(`broadcast_like: rank ${gs.length} does not broadcast to rank ${out.length}`, n);
  const gst = contiguousStrides(gs);
  const strides = out.map((d, i) => {
    const j = i - lead;
    if (j < 0) return Poly.const(0);
    if (gs[j].equals(1) && !d.equals(1)) return Poly.const(0);
    checkEq(e, gs[j], d);
    return gst[j];
  });
  const dt = n.dtype!;
  return copyNest(e, out, access(e, g, dt, strides), access(e, n, dt, contiguousStrides(out)));
}

function reshapeLike(e: Env, n: Node): Expr[] {
  const m = e.ctx.m;
  const x = n.inputs[0];
  const size = numel(shp(e, x));
  const want = numel(shp(e, n));
  if (!size.equals(want)) e.vb.fail(m.binary('i32.ne', P(e, size), P(e, want)), FAIL.reshapeMismatch);
  return [m.memoryCopy(e.ctx.addr(e.f, n), e.ctx.addr(e.f, x), P(e, want.scale(byteSize(n.dtype!))))];
}

function sumToLike(e: Env, n: Node, k: OpaqueKernel): Expr[] {
  const g = n.inputs[0];
  const gs = shp(e, g);
  const ls = shp(e, n);
  const lead = gs.length - ls.length;
  if (lead < 0) throw new LoweringError(`sum_to_like: cannot sum rank ${gs.length} down to rank ${ls.length}`, n);
  const axes: number[] = [];
  for (let i = 0; i < lead; i++) axes.push(i);
  ls.forEach((d, j) => {
    const gd = gs[lead + j];
    if (d.equals(gd)) return;
    if (d.equals(1)) axes.push(lead + j);
    else checkEq(e, d, gd);
  });
  const dt = n.dtype!;
  if (axes.length === 0) return [e.ctx.m.memoryCopy(e.ctx.addr(e.f, n), e.ctx.addr(e.f, g), P(e, numel(ls).scale(byteSize(dt))))];
  const rk: ReduceKernel = {
    id: k.id,
    name: k.name,
    kind: 'reduce',
    space: gs,
    body: { loads: [{ node: g, dtype: dt, strides: contiguousStrides(gs), offset: Poly.const(0), pattern: 'contiguous' }], exprs: [{ op: 'load', load: 0, dtype: dt }], stores: [] },
    value: 0,
    axes,
    combiner: 'sum',
    mean: false,
    keepdims: false,
    output: n,
    outShape: ls,
    nodes: [n],
    inputs: [g],
    outputs: [n],
  };
  return emitReduce(e.ctx, e.f, e.B, rk);
}

function prodExcept(e: Env, n: Node): Expr[] {
  const { ctx, f } = e;
  const m = ctx.m;
  const x = n.inputs[0];
  const xs = shp(e, x);
  const dt = n.dtype!;
  const t = scalarType(dt);
  const axes = reduceAxes(n, xs.length);
  const kept = xs.map((_, i) => i).filter((i) => !axes.has(i));
  const red = xs.map((_, i) => i).filter((i) => axes.has(i));
  const groups = numel(kept.map((i) => xs[i]));
  const ks = contiguousStrides(kept.map((i) => xs[i]));
  const gStrides = xs.map((_, i) => (axes.has(i) ? Poly.const(0) : ks[kept.indexOf(i)]));
  const prodBase = (): Expr => ctx.scratch(f);
  const zeroBase = (): Expr => m.binary('i32.add', ctx.scratch(f), m.binary('i32.shl', P(e, groups), m.i32(3)));
  const xAcc = access(e, x, dt, contiguousStrides(xs));
  const prodAcc = access(e, n, 'f64', gStrides, Poly.const(0), prodBase);
  const zeroAcc = access(e, n, 'f64', gStrides, Poly.const(0), zeroBase);
  const toF64 = (v: Expr): Expr => (t === 'f64' ? v : t === 'f32' ? m.unary('f64.promote_f32', v) : m.unary('f64.convert_i32_s', v));
  const prod = f.local('f64');
  const zeros = f.local('f64');
  const xv = f.local('f64');
  const ld = (p: () => Expr): Expr => m.load(t, p());
  // Pass 1: per group, the product of the non-zero elements and the number of zeros.
  const pass1 = emitNest(m, f, e.B, xs, [...kept, ...red], [xAcc, prodAcc, zeroAcc], {
    lanes: 1,
    split: kept.length,
    enterReduce: () => [f.set(prod, m.f64(1)), f.set(zeros, m.f64(0))],
    body: (env) => [
      f.set(xv, toF64(ld(env.ptr(0)))),
      m.if(
        m.binary('f64.eq', f.get(xv), m.f64(0)),
        f.set(zeros, m.binary('f64.add', f.get(zeros), m.f64(1))),
        f.set(prod, m.binary('f64.mul', f.get(prod), f.get(xv))),
      ),
    ],
    leaveReduce: (env) => [m.store('f64', env.ptr(1)(), f.get(prod)), m.store('f64', env.ptr(2)(), f.get(zeros))],
  });
  // Pass 2: zeros = 0 → prod / x; one zero → prod at the zero, 0 elsewhere; more → 0.
  const r = f.local('f64');
  const outAcc = access(e, n, dt, contiguousStrides(xs));
  const store = (p: () => Expr): Expr => {
    if (t === 'f64') return m.store('f64', p(), f.get(r));
    if (t === 'f32') return m.store('f32', p(), m.unary('f32.demote_f64', f.get(r)));
    return m.store('i32', p(), m.unary('i32.trunc_sat_f64_s', f.get(r)));
  };
  const pass2 = emitNest(m, f, e.B, xs, xs.map((_, i) => i), [xAcc, prodAcc, zeroAcc, outAcc], {
    lanes: 1,
    body: (env) => [
      f.set(xv, toF64(ld(env.ptr(0)))),
      f.set(prod, m.load('f64', env.ptr(1)())),
      f.set(zeros, m.load('f64', env.ptr(2)())),
      f.set(
        r,
        m.select(
          m.binary('f64.eq', f.get(zeros), m.f64(0)),
          m.binary('f64.div', f.get(prod), f.get(xv)),
          m.select(m.binary('i32.and', m.binary('f64.eq', f.get(zeros), m.f64(1)), m.binary('f64.eq', f.get(xv), m.f64(0))), f.get(prod), m.f64(0)),
        ),
      ),
      store(env.ptr(3)),
    ],
  });
  return [...pass1, ...pass2];
}

function stridedSliceGrad(e: Env, n: Node): Expr[] {
  const dy = n.inputs[0];
  const ds = shp(e, dy);
  const xs = shp(e, n);
  const cols = ds.length;
  const ident = { m: ds.map((_, i) => ds.map((__, j) => (i === j ? 1 : 0))), o: ds.map(() => Poly.const(0)) };
  const v = stridedSliceView(n, ident, xs, cols);
  const xst = contiguousStrides(xs);
  const strides = ds.map((_, j) => v.m.reduce((s, row, d) => s.add(xst[d].scale(row[j])), Poly.const(0)));
  const offset = v.o.reduce((s, o, d) => s.add(o.mul(xst[d])), Poly.const(0));
  const dt = n.dtype!;
  return [zeroFill(e, n), ...copyNest(e, ds, access(e, dy, dt, contiguousStrides(ds)), access(e, n, dt, strides, offset))];
}

/**
 * slice_grad: zeros of x's shape, then dy stored at the run-time `begin` (read from its buffer;
 * each begin[i] must lie in [0, x[i] - dy[i]], else FAIL.shapeCheck).
 */
function sliceGrad(e: Env, n: Node): Expr[] {
  const m = e.ctx.m;
  const [dy, , begin] = n.inputs;
  const ds = shp(e, dy);
  const xs = shp(e, n);
  const bs = shp(e, begin);
  if (ds.length !== xs.length || bs.length !== 1 || !bs[0].equals(xs.length)) throw new LoweringError(`slice_grad: begin must be a vector of ${xs.length} values for dy of rank ${ds.length}`, n);
  const dt = n.dtype!;
  const xst = contiguousStrides(xs);
  const beginAt = (i: number): Expr => m.load('i32', e.ctx.addr(e.f, begin), i * 4);
  const off = e.f.local('i32');
  const body: Expr[] = [e.f.set(off, m.i32(0))];
  xs.forEach((d, i) => {
    e.vb.fail(m.binary('i32.lt_s', beginAt(i), m.i32(0)), FAIL.shapeCheck);
    e.vb.fail(m.binary('i32.gt_s', m.binary('i32.add', beginAt(i), P(e, ds[i])), P(e, d)), FAIL.shapeCheck);
    body.push(e.f.set(off, m.binary('i32.add', e.f.get(off), m.binary('i32.mul', beginAt(i), P(e, xst[i].scale(byteSize(dt)))))));
  });
  const dst = access(e, n, dt, xst, Poly.const(0), () => m.binary('i32.add', e.ctx.addr(e.f, n), e.f.get(off)));
  return [...body, zeroFill(e, n), ...copyNest(e, ds, access(e, dy, dt, contiguousStrides(ds)), dst)];
}

function concatSlice(e: Env, n: Node): Expr[] {
  const m = e.ctx.m;
  const dy = n.inputs[0];
  const ds = shp(e, dy);
  const xs = n.inputs.slice(1);
  const axis = normAxis(n.attrs.axis as number, ds.length);
  const index = n.attrs.index as number;
  let offset = Poly.const(0);
  for (let j = 0; j < index; j++) offset = offset.add(shp(e, xs[j])[axis]);
  const out = shp(e, n);
  if (out.length !== ds.length) throw new LoweringError(`concat_slice: rank ${out.length} input of a rank ${ds.length} concat`, n);
  const end = offset.add(out[axis]);
  if (!end.le(ds[axis])) e.vb.fail(m.binary('i32.gt_s', P(e, end), P(e, ds[axis])), FAIL.shapeCheck);
  const st = contiguousStrides(ds);
  const dt = n.dtype!;
  return copyNest(e, out, access(e, dy, dt, st, offset.mul(st[axis])), access(e, n, dt, contiguousStrides(out)));
}

function scatterAdd(e: Env, n: Node): Expr[] {
  const { ctx, f } = e;
  const m = ctx.m;
  const [params, indices, updates] = n.inputs;
  const ps = shp(e, params);
  const is = shp(e, indices);
  const us = shp(e, updates);
  const axis = normAxis((n.attrs.axis as number) ?? 0, ps.length);
  const want = [...ps.slice(0, axis), ...is, ...ps.slice(axis + 1)];
  if (want.length !== us.length) throw new LoweringError(`scatter_add: updates of rank ${us.length}, expected rank ${want.length}`, n);
  want.forEach((d, i) => checkEq(e, d, us[i]));
  const outer = numel(ps.slice(0, axis));
  const len = ps[axis];
  const inner = numel(ps.slice(axis + 1));
  const kk = numel(is);
  const dt = n.dtype!;
  const t = scalarType(dt);
  const es = byteSize(dt);
  const [a, i, c, ix, no, nk, nlen, ninner, dst, src] = Array.from({ length: 10 }, () => f.local('i32'));
  const vb = new ValueBuilder(m, f, 1);
  vb.node = ctx.nodeIndex(n);
  vb.fail(m.binary('i32.or', m.binary('i32.lt_s', f.get(ix), m.i32(0)), m.binary('i32.ge_s', f.get(ix), f.get(nlen))), FAIL.indexOutOfRange, f.get(i), f.get(ix));
  const ldIx = (): Expr => m.load('i32', m.binary('i32.add', ctx.addr(f, indices), m.binary('i32.shl', f.get(i), m.i32(2))));
  const at = (base: Local): Expr => m.binary('i32.add', f.get(base), m.binary('i32.mul', f.get(c), m.i32(es)));
  const load = (p: Expr): Expr => (dt === 'bool' ? m.load8u(p) : m.load(t, p));
  const store = (p: Expr, v: Expr): Expr => (dt === 'bool' ? m.store8(p, v) : m.store(t, p, v));
  const add = (x: Expr, y: Expr): Expr => m.binary(`${t}.add` as never, x, y);
  return [
    f.set(no, P(e, outer)), f.set(nk, P(e, kk)), f.set(nlen, P(e, len)), f.set(ninner, P(e, inner)),
    // every index is checked before anything is written (as the reference does)
    m.forRange(i, m.i32(0), () => f.get(nk), 1, [f.set(ix, ldIx()), ...vb.stmts, m.if(m.binary('i32.ne', m.load('i32', m.i32(STATUS_ADDR)), m.i32(0)), m.return(m.i32(1)))]),
    zeroFill(e, n),
    m.forRange(a, m.i32(0), () => f.get(no), 1, [
      m.forRange(i, m.i32(0), () => f.get(nk), 1, [
        f.set(ix, ldIx()),
        f.set(dst, m.binary('i32.add', ctx.addr(f, n), m.binary('i32.mul', m.binary('i32.mul', m.binary('i32.add', m.binary('i32.mul', f.get(a), f.get(nlen)), f.get(ix)), f.get(ninner)), m.i32(es)))),
        f.set(src, m.binary('i32.add', ctx.addr(f, updates), m.binary('i32.mul', m.binary('i32.mul', m.binary('i32.add', m.binary('i32.mul', f.get(a), f.get(nk)), f.get(i)), f.get(ninner)), m.i32(es)))),
        m.forRange(c, m.i32(0), () => f.get(ninner), 1, [store(at(dst), add(load(at(dst)), load(at(src))))]),
      ]),
    ]),
  ];
}
