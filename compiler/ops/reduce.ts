/**
 * @fileoverview Reductions (reduce_sum/mean/max/min/prod over a list of axes, keepdims) and
 * argmax/argmin. Sums, means and products accumulate in f64 and round once to the dtype;
 * int32 sums and products wrap, and the int32 mean truncates (TF's integer mean).
 */
import { type DType } from '../../session/dtype.js';
import { InvalidArgumentError } from '../../session/errors.js';
import { Tensor } from '../../session/tensor.js';
import type { Attrs } from '../ir/graph.js';
import { type Shape } from '../ir/shape.js';
import type { Node } from '../ir/graph.js';
import { normAxis } from '../ir/shape.js';
import { Poly, contiguousStrides, numel } from '../ir/sym.js';
import { NOT_DIFFERENTIABLE, type OpDef, type TensorSig } from './def.js';
import type { GradBuilder, GradRule } from './grad-api.js';
import { type Combiner, type Expr, LoweringError, type OpLowering, scalarType } from './lower-api.js';
import { access, checkEq, checkedKernel, reduceAxesSet } from './lowering.js';
import {
  NUMERIC,
  type Reducer,
  attrBool,
  attrNum,
  attrNums,
  axisOf,
  broadcastStrides,
  checkArity,
  checkDType,
  dtypeList,
  fmt,
  forEachStrided,
  reduceAxesKernel,
  reductionAxes,
  splitAxis,
} from './kernels.js';
import { allocArray, byteSize } from '../../session/dtype.js';

/** Static shape of a reduction. */
function reducedShape(s: Shape, axes: number[] | null, keepdims: boolean): Shape {
  if (s === null) return axes === null && !keepdims ? [] : null;
  const ax = new Set(reductionAxes(axes, s.length));
  if (keepdims) return s.map((d, i) => (ax.has(i) ? 1 : d));
  return s.filter((_, i) => !ax.has(i));
}

interface ReduceSpec {
  name: string;
  tfType: string;
  doc: string;
  /** Reducer for float dtypes (f64 accumulation) and for int32 (wrapping). */
  reducer(dtype: DType): Reducer;
  grad: GradRule;
  /** The reduce kernel's combiner (codegen accumulates sums and products of floats in f64). */
  combiner: Combiner;
}

/** The normalized, sorted reduced axes of a reduction node over an input of `rank`. */
function reducedAxes(n: Node, rank: number): number[] {
  return [...reduceAxesSet(n, rank)].sort((p, q) => p - q);
}

function reduction<S extends ReduceSpec>(spec: S): S & OpDef {
  return {
    kind: 'reduce',
    signature: '[x]; {axis: number[] | null, keepdims}',
    shapeRule: 'x without the reduced axes (kept as 1 with keepdims); axis null = all',
    dtypes: dtypeList(NUMERIC),
    ...spec,
    lower: { fusion: 'reduction', combiner: spec.combiner, mean: spec.name === 'reduce_mean', axes: reducedAxes },
    symShape(n, [x]) {
      const axes = reducedAxes(n, x.length);
      if (n.attrs.keepdims) return x.map((d, i) => (axes.includes(i) ? Poly.const(1) : d));
      return x.filter((_, i) => !axes.includes(i));
    },
    infer(inputs: readonly TensorSig[], attrs: Attrs) {
      checkArity(spec.tfType, inputs, 1);
      checkDType('input', inputs[0].dtype, NUMERIC);
      return { dtype: inputs[0].dtype, shape: reducedShape(inputs[0].shape, attrNums(attrs, 'axis'), attrBool(attrs, 'keepdims', false)) };
    },
    eval(inputs: (Tensor | null)[], attrs: Attrs) {
      const x = inputs[0]!;
      const axes = reductionAxes(attrNums(attrs, 'axis'), x.rank);
      return reduceAxesKernel(x, axes, attrBool(attrs, 'keepdims', false), x.dtype, spec.reducer(x.dtype));
    },
  };
}

const isInt = (d: DType): boolean => d === 'i32';

interface ArgSpec {
  name: string;
  tfType: string;
  doc: string;
  /** Does value a beat the best so far b? */
  better: (a: number, b: number) => boolean;
  grad: typeof NOT_DIFFERENTIABLE;
  combiner: 'argmax' | 'argmin';
}

function argReduce<S extends ArgSpec>(spec: S): S & OpDef {
  const { tfType, better } = spec;
  return {
    kind: 'reduce',
    signature: '[x]; {axis}',
    shapeRule: 'x without axis',
    dtypes: `${dtypeList(NUMERIC)} → i32`,
    ...spec,
    lower: { fusion: 'reduction', combiner: spec.combiner, axes: (n, rank) => [normAxis(n.attrs.axis as number, rank)] },
    symShape(n, [x]) {
      const ax = normAxis(n.attrs.axis as number, x.length);
      return x.filter((_, i) => i !== ax);
    },
    infer(inputs: readonly TensorSig[], attrs: Attrs) {
      checkArity(tfType, inputs, 1);
      checkDType('input', inputs[0].dtype, NUMERIC);
      const s = inputs[0].shape;
      if (s === null) return { dtype: 'i32', shape: null };
      const axis = axisOf(attrNum(attrs, 'axis', 0), s.length);
      return { dtype: 'i32', shape: s.filter((_, i) => i !== axis) };
    },
    eval(inputs: (Tensor | null)[], attrs: Attrs) {
      const x = inputs[0]!;
      const axis = axisOf(attrNum(attrs, 'axis', 0), x.rank);
      const { outer, n, inner } = splitAxis(x.shape, axis);
      if (n === 0) throw new InvalidArgumentError(`Reduction axis ${axis} is empty in shape ${fmt(x.shape)}`);
      const out = Tensor.zeros(
        'i32',
        x.shape.filter((_, i) => i !== axis),
      );
      const d = x.data;
      for (let a = 0; a < outer; a++) {
        for (let c = 0; c < inner; c++) {
          let best = 0;
          let bv = d[a * n * inner + c];
          for (let i = 1; i < n && !Number.isNaN(bv); i++) {
            const v = d[(a * n + i) * inner + c];
            if (Number.isNaN(v) || better(v, bv)) {
              best = i;
              bv = v;
            }
          }
          out.data[a * inner + c] = best;
        }
      }
      return out;
    },
  };
}

/** A reduction's rule from (builder, x, y, dy reshaped to keepdims, axes) → dx. */
function reduceGrad(f: (b: GradBuilder, x: Node, y: Node, g: Node, axes: number[] | null, keepdims: boolean) => Node): GradRule {
  return (b, n, dy) => {
    const x = n.inputs[0];
    const axes = attrNums(n.attrs, 'axis');
    const keepdims = attrBool(n.attrs, 'keepdims', false);
    return [f(b, x, n, b.keepDims(dy, x, axes, keepdims), axes, keepdims)];
  };
}

/** reduce_max/min (TF1's _MinOrMaxGrad): to the positions equal to the result, ties split equally. */
const minMaxGrad = reduceGrad((b, x, y, g, axes, keepdims) => {
  const yk = b.keepDims(y, x, axes, keepdims);
  const ind = b.cast(b.compare('equal', yk, x), g.dtype!);
  const num = b.reduceSum(ind, axes, true);
  return b.mul(b.div(ind, num), g);
});

export const REDUCE_OPS = {
  reduce_sum: reduction({
    name: 'reduce_sum',
    combiner: 'sum',
    tfType: 'Sum',
    doc: 'Sum over axes.',
    reducer: (d) => (isInt(d) ? { init: 0, step: (a, x) => (a + x) | 0 } : { init: 0, step: (a, x) => a + x }),
    grad: reduceGrad((b, x, _y, g) => b.broadcastTo(g, x)),
  }),
  reduce_mean: reduction({
    name: 'reduce_mean',
    combiner: 'sum',
    tfType: 'Mean',
    doc: 'Mean over axes (int32: truncating integer mean).',
    reducer: (d) =>
      isInt(d)
        ? { init: 0, step: (a, x) => (a + x) | 0, done: (a, n) => (n === 0 ? 0 : Math.trunc(a / n)) }
        : { init: 0, step: (a, x) => a + x, done: (a, n) => a / n },
    grad: reduceGrad((b, x, y, g, axes) => b.div(b.broadcastTo(g, x), b.reducedCount(x, y, axes, g.dtype!))),
  }),
  reduce_max: reduction({
    name: 'reduce_max',
    combiner: 'max',
    tfType: 'Max',
    doc: 'Maximum over axes (IEEE maximum: NaN propagates, +0 beats -0; empty gives the lowest value).',
    reducer: (d) => ({ init: isInt(d) ? -2147483648 : -Infinity, step: Math.max }),
    grad: minMaxGrad,
  }),
  reduce_min: reduction({
    name: 'reduce_min',
    combiner: 'min',
    tfType: 'Min',
    doc: 'Minimum over axes (IEEE minimum: NaN propagates, -0 beats +0; empty gives the highest value).',
    reducer: (d) => ({ init: isInt(d) ? 2147483647 : Infinity, step: Math.min }),
    grad: minMaxGrad,
  }),
  reduce_prod: reduction({
    name: 'reduce_prod',
    combiner: 'prod',
    tfType: 'Prod',
    doc: 'Product over axes.',
    reducer: (d) => (isInt(d) ? { init: 1, step: (a, x) => Math.imul(a, x) } : { init: 1, step: (a, x) => a * x }),
    // the product of the other elements of each group, computed without dividing (zero-safe)
    grad: reduceGrad((b, x, _y, g, axes) => b.mul(g, b.op('prod_except', [x], { axis: axes }))),
  }),
  argmax: argReduce({
    name: 'argmax',
    tfType: 'ArgMax',
    doc: 'Index of the largest value along axis as int32 (first on ties; a NaN wins).',
    better: (a, b) => a > b,
    combiner: 'argmax',
    grad: NOT_DIFFERENTIABLE,
  }),
  argmin: argReduce({
    name: 'argmin',
    tfType: 'ArgMin',
    doc: 'Index of the smallest value along axis as int32 (first on ties; a NaN wins).',
    better: (a, b) => a < b,
    combiner: 'argmin',
    grad: NOT_DIFFERENTIABLE,
  }),
  // ---- internal ops made by gradients (compiler/grad/) ----
  sum_to_like: {
    name: 'sum_to_like',
    tfType: 'Sum',
    doc: "Internal (gradients): g summed over the axes along which like's run-time shape broadcasts to g's, reshaped to like's shape.",
    kind: 'reduce',
    signature: '[g, like]',
    shapeRule: 'like.shape',
    dtypes: `g ${dtypeList(NUMERIC)}; like any`,
    // the run-time shape of `like` (checked by the kernel)
    symShape: (_n, ins) => ins[1],
    // a sum reduce kernel over g's space
    lower: checkedKernel((e, vb, n) => {
      const g = n.inputs[0];
      const gs = e.shape(g);
      const ls = e.shape(n);
      const lead = gs.length - ls.length;
      if (lead < 0) throw new LoweringError(`sum_to_like: cannot sum rank ${gs.length} down to rank ${ls.length}`, n);
      const axes: number[] = [];
      for (let i = 0; i < lead; i++) axes.push(i);
      ls.forEach((d, j) => {
        const gd = gs[lead + j];
        if (d.equals(gd)) return;
        if (d.equals(1)) axes.push(lead + j);
        else checkEq(e, vb, d, gd);
      });
      const dt = n.dtype!;
      if (axes.length === 0) return [e.m.memoryCopy(e.addr(n), e.addr(g), e.poly(numel(ls).scale(byteSize(dt))))];
      return e.sumReduce({ input: g, space: gs, axes, output: n, outShape: ls });
    }),
    infer(inputs) {
      checkArity('Sum', inputs, 2);
      checkDType('input', inputs[0].dtype, NUMERIC);
      return { dtype: inputs[0].dtype, shape: inputs[1].shape };
    },
    eval(inputs) {
      const g = inputs[0]!;
      const like = inputs[1]!;
      const n = g.rank;
      const lead = n - like.rank;
      const bad = (): never => {
        throw new InvalidArgumentError(`Incompatible shapes: cannot sum ${fmt(g.shape)} down to ${fmt(like.shape)}`);
      };
      if (lead < 0) bad();
      const axes: number[] = [];
      for (let i = 0; i < lead; i++) axes.push(i);
      like.shape.forEach((d, j) => {
        if (d === g.shape[lead + j]) return;
        if (d === 1) axes.push(lead + j);
        else bad();
      });
      const r = reduceAxesKernel(g, axes, false, g.dtype, REDUCE_SUM(g.dtype));
      return new Tensor(g.dtype, like.shape, r.data);
    },
    grad(b, n, dy) {
      return [b.broadcastTo(dy, n.inputs[0]), null];
    },
  },
  prod_except: {
    name: 'prod_except',
    tfType: 'ProdExcept',
    doc: 'Internal (gradient of reduce_prod): each element replaced by the product of the other elements of its reduction group (zero-safe).',
    kind: 'reduce',
    signature: '[x]; {axis: number[] | null}',
    shapeRule: 'same as x',
    dtypes: dtypeList(NUMERIC),
    symShape: (_n, ins) => ins[0],
    lower: prodExceptLowering(),
    infer(inputs) {
      checkArity('ProdExcept', inputs, 1);
      checkDType('input', inputs[0].dtype, NUMERIC);
      return { dtype: inputs[0].dtype, shape: inputs[0].shape };
    },
    eval(inputs, attrs) {
      const x = inputs[0]!;
      const axes = new Set(reductionAxes(attrNums(attrs, 'axis'), x.rank));
      const kept = x.shape.map((d, i) => (axes.has(i) ? 1 : d));
      const nGroups = kept.reduce((a, d) => a * d, 1);
      const gst = broadcastStrides(kept, x.shape);
      const zeros = new Float64Array(nGroups);
      const prod = new Float64Array(nGroups).fill(1);
      const d = x.data;
      forEachStrided(x.shape, [gst], (i, offs) => {
        if (d[i] === 0) zeros[offs[0]]++;
        else prod[offs[0]] *= d[i];
      });
      const out = allocArray(x.dtype, x.size);
      forEachStrided(x.shape, [gst], (i, offs) => {
        const k = offs[0];
        const z = zeros[k];
        out[i] = z === 0 ? prod[k] / d[i] : z === 1 && d[i] === 0 ? prod[k] : 0;
      });
      return new Tensor(x.dtype, x.shape, out);
    },
    grad(b, n, dy) {
      // d out_i / d x_j = out_i / x_j (i != j): dx = (sum(dy * y) - dy * y) / x (not zero-safe, as TF1's cumprod grad)
      const x = n.inputs[0];
      const dyy = b.mul(dy, n);
      return [b.div(b.sub(b.reduceSum(dyy, attrNums(n.attrs, 'axis'), true), dyy), x)];
    },
  },
} satisfies Record<string, OpDef>;

function REDUCE_SUM(d: DType): Reducer {
  return d === 'i32' ? { init: 0, step: (a, x) => (a + x) | 0 } : { init: 0, step: (a, x) => a + x };
}

/**
 * prod_except's kernel: two nests — per group the product of the non-zero elements and the
 * number of zeros (f64, in the per-call scratch: two f64 per group), then each element from its
 * group's (the reference's zero-safe rule).
 */
function prodExceptLowering(): OpLowering {
  return checkedKernel(
    (e, _vb, n) => {
      const { f } = e;
      const m = e.m;
      const x = n.inputs[0];
      const xs = e.shape(x);
      const dt = n.dtype!;
      const t = scalarType(dt);
      const axes = reduceAxesSet(n, xs.length);
      const kept = xs.map((_, i) => i).filter((i) => !axes.has(i));
      const red = xs.map((_, i) => i).filter((i) => axes.has(i));
      const groups = numel(kept.map((i) => xs[i]));
      const ks = contiguousStrides(kept.map((i) => xs[i]));
      const gStrides = xs.map((_, i) => (axes.has(i) ? Poly.const(0) : ks[kept.indexOf(i)]));
      const prodBase = (): Expr => e.scratch();
      const zeroBase = (): Expr => m.binary('i32.add', e.scratch(), m.binary('i32.shl', e.poly(groups), m.i32(3)));
      const xAcc = access(e, x, dt, contiguousStrides(xs));
      const prodAcc = access(e, n, 'f64', gStrides, Poly.const(0), prodBase);
      const zeroAcc = access(e, n, 'f64', gStrides, Poly.const(0), zeroBase);
      const toF64 = (v: Expr): Expr => (t === 'f64' ? v : t === 'f32' ? m.unary('f64.promote_f32', v) : m.unary('f64.convert_i32_s', v));
      const prod = f.local('f64');
      const zeros = f.local('f64');
      const xv = f.local('f64');
      const ld = (p: () => Expr): Expr => m.load(t, p());
      // Pass 1: per group, the product of the non-zero elements and the number of zeros.
      const pass1 = e.nest(xs, [...kept, ...red], [xAcc, prodAcc, zeroAcc], {
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
      const pass2 = e.nest(
        xs,
        xs.map((_, i) => i),
        [xAcc, prodAcc, zeroAcc, outAcc],
        {
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
        },
      );
      return [...pass1, ...pass2];
    },
    (n, shape) => {
      const xs = shape(n.inputs[0]);
      const axes = reduceAxesSet(n, xs.length);
      return numel(xs.filter((_, i) => !axes.has(i)))
        .scale(16)
        .alignUp(16);
    },
  );
}
