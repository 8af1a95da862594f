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
import { OpDef, TensorSig } from './def.js';
import { NUMERIC, Reducer, attrBool, attrNum, attrNums, axisOf, checkArity, checkDType, dtypeList, fmt, reduceAxesKernel, reductionAxes, splitAxis } from './kernels.js';

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

export const REDUCE_OPS = {
  reduce_sum: reduction({
    name: 'reduce_sum',
    tfType: 'Sum',
    doc: 'Sum over axes.',
    reducer: (d) => (isInt(d) ? { init: 0, step: (a, x) => (a + x) | 0 } : { init: 0, step: (a, x) => a + x }),
  }),
  reduce_mean: reduction({
    name: 'reduce_mean',
    tfType: 'Mean',
    doc: 'Mean over axes (int32: truncating integer mean).',
    reducer: (d) =>
      isInt(d)
        ? { init: 0, step: (a, x) => (a + x) | 0, done: (a, n) => (n === 0 ? 0 : Math.trunc(a / n)) }
        : { init: 0, step: (a, x) => a + x, done: (a, n) => a / n },
  }),
  reduce_max: reduction({
    name: 'reduce_max',
    tfType: 'Max',
    doc: 'Maximum over axes (NaN propagates; empty gives the lowest value).',
    reducer: (d) => ({ init: isInt(d) ? -2147483648 : -Infinity, step: (a, x) => (Number.isNaN(a) ? a : x > a || Number.isNaN(x) ? x : a) }),
  }),
  reduce_min: reduction({
    name: 'reduce_min',
    tfType: 'Min',
    doc: 'Minimum over axes (NaN propagates; empty gives the highest value).',
    reducer: (d) => ({ init: isInt(d) ? 2147483647 : Infinity, step: (a, x) => (Number.isNaN(a) ? a : x < a || Number.isNaN(x) ? x : a) }),
  }),
  reduce_prod: reduction({
    name: 'reduce_prod',
    tfType: 'Prod',
    doc: 'Product over axes.',
    reducer: (d) => (isInt(d) ? { init: 1, step: (a, x) => Math.imul(a, x) } : { init: 1, step: (a, x) => a * x }),
  }),
  argmax: argReduce({ name: 'argmax', tfType: 'ArgMax', doc: 'Index of the largest value along axis as int32 (first on ties; a NaN wins).', better: (a, b) => a > b }),
  argmin: argReduce({ name: 'argmin', tfType: 'ArgMin', doc: 'Index of the smallest value along axis as int32 (first on ties; a NaN wins).', better: (a, b) => a < b }),
} satisfies Record<string, OpDef>;
