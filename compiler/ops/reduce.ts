/**
 * @fileoverview Reductions (reduce_sum/mean/max/min/prod over a list of axes, keepdims) and
 * argmax/argmin. Sums, means and products accumulate in f64 and round once to the dtype;
 * int32 sums and products wrap, and the int32 mean truncates (TF's integer mean).
 */
import { DType } from '../../session/dtype.js';
import { InvalidArgumentError } from '../../session/errors.js';
import { Tensor } from '../../session/tensor.js';
import type { Attrs } from '../ir/graph.js';
import { Shape } from '../ir/shape.js';
import type { GradBuilder, GradRule } from '../grad/builder.js';
import type { Node } from '../ir/graph.js';
import { NOT_DIFFERENTIABLE, OpDef, TensorSig } from './def.js';
import {
  NUMERIC,
  Reducer,
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
import { allocArray } from '../../session/dtype.js';

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
}

function reduction<S extends ReduceSpec>(spec: S): S & OpDef {
  return {
    kind: 'reduce',
    signature: '[x]; {axis: number[] | null, keepdims}',
    shapeRule: 'x without the reduced axes (kept as 1 with keepdims); axis null = all',
    dtypes: dtypeList(NUMERIC),
    ...spec,
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
}

function argReduce<S extends ArgSpec>(spec: S): S & OpDef {
  const { tfType, better } = spec;
  return {
    kind: 'reduce',
    signature: '[x]; {axis}',
    shapeRule: 'x without axis',
    dtypes: `${dtypeList(NUMERIC)} → i32`,
    ...spec,
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
      const out = Tensor.zeros('i32', x.shape.filter((_, i) => i !== axis));
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
    tfType: 'Sum',
    doc: 'Sum over axes.',
    reducer: (d) => (isInt(d) ? { init: 0, step: (a, x) => (a + x) | 0 } : { init: 0, step: (a, x) => a + x }),
    grad: reduceGrad((b, x, _y, g) => b.broadcastTo(g, x)),
  }),
  reduce_mean: reduction({
    name: 'reduce_mean',
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
    tfType: 'Max',
    doc: 'Maximum over axes (NaN propagates; empty gives the lowest value).',
    reducer: (d) => ({ init: isInt(d) ? -2147483648 : -Infinity, step: (a, x) => (Number.isNaN(a) ? a : x > a || Number.isNaN(x) ? x : a) }),
    grad: minMaxGrad,
  }),
  reduce_min: reduction({
    name: 'reduce_min',
    tfType: 'Min',
    doc: 'Minimum over axes (NaN propagates; empty gives the highest value).',
    reducer: (d) => ({ init: isInt(d) ? 2147483647 : Infinity, step: (a, x) => (Number.isNaN(a) ? a : x < a || Number.isNaN(x) ? x : a) }),
    grad: minMaxGrad,
  }),
  reduce_prod: reduction({
    name: 'reduce_prod',
    tfType: 'Prod',
    doc: 'Product over axes.',
    reducer: (d) => (isInt(d) ? { init: 1, step: (a, x) => Math.imul(a, x) } : { init: 1, step: (a, x) => a * x }),
    // the product of the other elements of each group, computed without dividing (zero-safe)
    grad: reduceGrad((b, x, _y, g, axes) => b.mul(g, b.op('prod_except', [x], { axis: axes }))),
  }),
  argmax: argReduce({ name: 'argmax', tfType: 'ArgMax', doc: 'Index of the largest value along axis as int32 (first on ties; a NaN wins).', better: (a, b) => a > b, grad: NOT_DIFFERENTIABLE }),
  argmin: argReduce({ name: 'argmin', tfType: 'ArgMin', doc: 'Index of the smallest value along axis as int32 (first on ties; a NaN wins).', better: (a, b) => a < b, grad: NOT_DIFFERENTIABLE }),
  // ---- internal ops made by gradients (compiler/grad/) ----
  sum_to_like: {
    name: 'sum_to_like',
    tfType: 'Sum',
    doc: 'Internal (gradients): g summed over the axes along which like\'s run-time shape broadcasts to g\'s, reshaped to like\'s shape.',
    kind: 'reduce',
    signature: '[g, like]',
    shapeRule: 'like.shape',
    dtypes: `g ${dtypeList(NUMERIC)}; like any`,
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
