/**
 * @fileoverview Neural-network ops with fused, numerically stable kernels: softmax and
 * log_softmax along an axis (max subtracted first), the three cross-entropies (sparse, dense,
 * sigmoid) and in_top_k. All float math runs in f64 and is rounded once to the output dtype.
 */
import { allocArray, pyDTypeName } from '../../session/dtype.js';
import { InvalidArgumentError } from '../../session/errors.js';
import { Tensor } from '../../session/tensor.js';
import type { Attrs } from '../ir/graph.js';
import { Dim, Shape, ShapeError, formatShapePy } from '../ir/shape.js';
import { NOT_DIFFERENTIABLE, OpDef, OpTypeError, TensorSig } from './def.js';
import { FLOAT, INT, attrNum, axisOf, checkArity, checkDType, checkRank, checkRankAtLeast, dtypeList, fmt, mergeDim, mergeShapesStrict, splitAxis } from './kernels.js';

/** log(sum(exp(x))) of a strided row, computed stably in f64. */
function logSumExp(d: ArrayLike<number>, base: number, n: number, stride: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = d[base + i * stride];
    if (v > m || Number.isNaN(v)) m = v;
  }
  if (!Number.isFinite(m)) return m;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(d[base + i * stride] - m);
  return m + Math.log(s);
}

interface SoftmaxSpec {
  name: string;
  tfType: string;
  doc: string;
  /** log_softmax (true) or softmax (false). */
  log: boolean;
}

function softmaxLike<S extends SoftmaxSpec>(spec: S): S & OpDef {
  const { tfType, log } = spec;
  return {
    kind: 'opaque',
    signature: '[logits]; {axis}',
    shapeRule: 'same as logits',
    dtypes: dtypeList(FLOAT),
    ...spec,
    infer(inputs: readonly TensorSig[], attrs: Attrs) {
      checkArity(tfType, inputs, 1);
      checkDType('logits', inputs[0].dtype, FLOAT);
      const s = inputs[0].shape;
      if (s !== null) {
        checkRankAtLeast(s, 1);
        axisOf(attrNum(attrs, 'axis', -1), s.length);
      }
      return { dtype: inputs[0].dtype, shape: s };
    },
    eval(inputs: (Tensor | null)[], attrs: Attrs) {
      const x = inputs[0]!;
      if (x.rank < 1) throw new InvalidArgumentError(`logits must have >= 1 dimension, got ${fmt(x.shape)}`);
      const axis = axisOf(attrNum(attrs, 'axis', -1), x.rank);
      const { outer, n, inner } = splitAxis(x.shape, axis);
      const out = allocArray(x.dtype, x.size);
      const d = x.data;
      for (let a = 0; a < outer; a++) {
        for (let c = 0; c < inner; c++) {
          const base = a * n * inner + c;
          const lse = logSumExp(d, base, n, inner);
          for (let i = 0; i < n; i++) {
            const k = base + i * inner;
            out[k] = log ? d[k] - lse : Math.exp(d[k] - lse);
          }
        }
      }
      return new Tensor(x.dtype, x.shape, out);
    },
    grad(b, n, dy) {
      const axis = attrNum(n.attrs, 'axis', -1);
      // softmax: (dy - sum(dy * y)) * y; log_softmax: dy - sum(dy) * exp(y)
      if (log) return [b.sub(dy, b.mul(b.reduceSum(dy, [axis], true), b.exp(n)))];
      return [b.mul(b.sub(dy, b.reduceSum(b.mul(dy, n), [axis], true)), n)];
    },
  };
}

/** Both float and the same dtype, TF1 wording with logits called `features`. */
function checkLabelsLogits(tfType: string, inputs: readonly TensorSig[]): void {
  checkArity(tfType, inputs, 2);
  if (inputs[0].dtype !== inputs[1].dtype) {
    throw new OpTypeError(`Input 'labels' of '${tfType}' Op has type ${pyDTypeName(inputs[0].dtype)} that does not match type ${pyDTypeName(inputs[1].dtype)} of argument 'features'.`);
  }
  checkDType('features', inputs[1].dtype, FLOAT);
}

export const NN_OPS = {
  softmax: softmaxLike({ name: 'softmax', tfType: 'Softmax', doc: 'exp(x) / sum(exp(x)) along axis (default -1), max subtracted first.', log: false }),
  log_softmax: softmaxLike({ name: 'log_softmax', tfType: 'LogSoftmax', doc: 'x - log(sum(exp(x))) along axis (default -1), max subtracted first.', log: true }),
  sparse_softmax_cross_entropy_with_logits: {
    name: 'sparse_softmax_cross_entropy_with_logits',
    tfType: 'SparseSoftmaxCrossEntropyWithLogits',
    doc: 'Per-row loss logsumexp(logits) - logits[label] for int32 class labels.',
    kind: 'opaque',
    signature: '[labels, logits]',
    shapeRule: 'labels.shape (= logits.shape[:-1])',
    dtypes: 'labels i32; logits f32, f64',
    infer(inputs) {
      checkArity('SparseSoftmaxCrossEntropyWithLogits', inputs, 2);
      checkDType('labels', inputs[0].dtype, INT);
      checkDType('features', inputs[1].dtype, FLOAT);
      const ls = inputs[0].shape;
      const xs = inputs[1].shape;
      if (xs !== null) checkRankAtLeast(xs, 1);
      if (ls === null || xs === null) return { dtype: inputs[1].dtype, shape: ls ?? (xs === null ? null : xs.slice(0, -1)) };
      if (ls.length !== xs.length - 1) throw new ShapeError(`Rank mismatch: Rank of labels (received ${ls.length}) should equal rank of logits minus 1 (received ${xs.length}).`);
      const out: Dim[] = ls.map((d, i) => {
        const e = xs[i];
        if (d !== null && e !== null && d !== e) {
          throw new ShapeError(`Shape mismatch: The shape of labels (received ${formatShapePy(ls)}) should equal the shape of logits except for the last dimension (received ${formatShapePy(xs)}).`);
        }
        return d ?? e;
      });
      return { dtype: inputs[1].dtype, shape: out };
    },
    eval(inputs) {
      const labels = inputs[0]!;
      const x = inputs[1]!;
      if (x.rank < 1 || labels.rank !== x.rank - 1 || labels.shape.some((d, i) => d !== x.shape[i])) {
        throw new InvalidArgumentError(`logits and labels must have the same first dimension, got logits shape ${fmt(x.shape)} and labels shape ${fmt(labels.shape)}`);
      }
      const n = x.shape[x.rank - 1];
      for (let r = 0; r < labels.size; r++) {
        const l = labels.data[r];
        if (l < 0 || l >= n) {
          throw new InvalidArgumentError(`Received a label value of ${l} which is outside the valid range of [0, ${n}).  Label values: ${Array.from(labels.data).join(' ')}`);
        }
      }
      const out = allocArray(x.dtype, labels.size);
      for (let r = 0; r < labels.size; r++) out[r] = logSumExp(x.data, r * n, n, 1) - x.data[r * n + labels.data[r]];
      return new Tensor(x.dtype, labels.shape, out);
    },
    grad(b, n, dy) {
      // TF1's fused backprop: softmax(logits) - one_hot(labels), scaled by the row's dy
      const [labels, logits] = n.inputs;
      const depth = logits.shape === null ? null : logits.shape[logits.shape.length - 1];
      if (depth === null) return b.fail(3003, `the gradient of ${n.name} needs the number of classes (the last dim of the logits) to be known when the graph is built`);
      const onehot = b.op('one_hot', [labels], { depth, on_value: 1, off_value: 0, axis: -1, dtype: logits.dtype! });
      return [null, b.mul(b.expandDims(dy, -1), b.sub(b.softmax(logits, -1), onehot))];
    },
  },
  softmax_cross_entropy_with_logits: {
    name: 'softmax_cross_entropy_with_logits',
    tfType: 'SoftmaxCrossEntropyWithLogits',
    doc: 'Per-row loss -sum(labels * log_softmax(logits)) along axis (default -1); labels a distribution.',
    kind: 'opaque',
    signature: '[labels, logits]; {axis}',
    shapeRule: 'logits.shape without axis (labels same shape as logits)',
    dtypes: dtypeList(FLOAT),
    infer(inputs, attrs) {
      checkLabelsLogits('SoftmaxCrossEntropyWithLogits', inputs);
      let s: Shape;
      try {
        s = mergeShapesStrict(inputs[1].shape, inputs[0].shape);
      } catch {
        throw new ShapeError(`logits and labels must be the same size: logits_size=${formatShapePy(inputs[1].shape)} labels_size=${formatShapePy(inputs[0].shape)}`);
      }
      if (s === null) return { dtype: inputs[1].dtype, shape: null };
      checkRankAtLeast(s, 1);
      const axis = axisOf(attrNum(attrs, 'axis', -1), s.length);
      return { dtype: inputs[1].dtype, shape: s.filter((_, i) => i !== axis) };
    },
    eval(inputs, attrs) {
      const labels = inputs[0]!;
      const x = inputs[1]!;
      if (x.rank < 1 || labels.rank !== x.rank || labels.shape.some((d, i) => d !== x.shape[i])) {
        throw new InvalidArgumentError(`logits and labels must be same size: logits_size=${fmt(x.shape)} labels_size=${fmt(labels.shape)}`);
      }
      const axis = axisOf(attrNum(attrs, 'axis', -1), x.rank);
      const { outer, n, inner } = splitAxis(x.shape, axis);
      const out = allocArray(x.dtype, outer * inner);
      for (let a = 0; a < outer; a++) {
        for (let c = 0; c < inner; c++) {
          const base = a * n * inner + c;
          const lse = logSumExp(x.data, base, n, inner);
          let s = 0;
          for (let i = 0; i < n; i++) {
            const k = base + i * inner;
            const l = labels.data[k];
            if (l !== 0) s += l * (lse - x.data[k]);
          }
          out[a * inner + c] = s;
        }
      }
      return new Tensor(x.dtype, x.shape.filter((_, i) => i !== axis), out);
    },
    grad(b, n, dy) {
      // TF1's fused backprop is softmax(logits) - labels, exact when each row of labels sums to
      // 1; sum(labels) * softmax(logits) - labels is exact for any labels. -log_softmax for labels.
      const [labels, logits] = n.inputs;
      const rank = logits.shape?.length ?? labels.shape?.length;
      if (rank === undefined) return b.fail(3003, `the gradient of ${n.name} needs the rank of the logits to be known when the graph is built`);
      const axis = axisOf(attrNum(n.attrs, 'axis', -1), rank);
      const g = b.expandDims(dy, axis);
      const total = b.reduceSum(labels, [axis], true);
      return [b.mul(g, b.neg(b.logSoftmax(logits, axis))), b.mul(g, b.sub(b.mul(total, b.softmax(logits, axis)), labels))];
    },
  },
  sigmoid_cross_entropy_with_logits: {
    name: 'sigmoid_cross_entropy_with_logits',
    tfType: 'logistic_loss',
    doc: 'Elementwise max(x, 0) - x*z + log(1 + exp(-|x|)) for logits x and labels z.',
    kind: 'opaque',
    signature: '[labels, logits]',
    shapeRule: 'same as logits (labels same shape)',
    dtypes: dtypeList(FLOAT),
    infer(inputs) {
      checkLabelsLogits('logistic_loss', inputs);
      let s: Shape;
      try {
        s = mergeShapesStrict(inputs[1].shape, inputs[0].shape);
      } catch {
        throw new ShapeError(`logits and labels must have the same shape (${formatShapePy(inputs[1].shape)} vs ${formatShapePy(inputs[0].shape)})`);
      }
      return { dtype: inputs[1].dtype, shape: s };
    },
    eval(inputs) {
      const z = inputs[0]!;
      const x = inputs[1]!;
      if (z.rank !== x.rank || z.shape.some((d, i) => d !== x.shape[i])) throw new InvalidArgumentError(`Incompatible shapes: ${fmt(x.shape)} vs. ${fmt(z.shape)}`);
      const out = allocArray(x.dtype, x.size);
      for (let i = 0; i < x.size; i++) {
        const v = x.data[i];
        out[i] = Math.max(v, 0) - v * z.data[i] + Math.log1p(Math.exp(-Math.abs(v)));
      }
      return new Tensor(x.dtype, x.shape, out);
    },
    grad(b, n, dy) {
      // d/dlogits = sigmoid(x) - z; d/dlabels = -x
      const [z, x] = n.inputs;
      return [b.mul(dy, b.neg(x)), b.mul(dy, b.sub(b.sigmoid(x), z))];
    },
  },
  in_top_k: {
    name: 'in_top_k',
    tfType: 'InTopK',
    doc: 'Whether each target class is among the k largest predictions of its row (ties count in; non-finite rows give false).',
    kind: 'opaque',
    signature: '[predictions, targets]; {k}',
    shapeRule: '[batch] from predictions [batch, classes] and targets [batch]',
    dtypes: 'predictions f32, f64; targets i32 → bool',
    infer(inputs, attrs) {
      checkArity('InTopK', inputs, 2);
      checkDType('predictions', inputs[0].dtype, FLOAT);
      checkDType('targets', inputs[1].dtype, INT);
      attrNum(attrs, 'k');
      const p = inputs[0].shape;
      const t = inputs[1].shape;
      checkRank(p, 2);
      checkRank(t, 1);
      return { dtype: 'bool', shape: [mergeDim(p === null ? null : p[0], t === null ? null : t[0])] };
    },
    eval(inputs, attrs) {
      const p = inputs[0]!;
      const t = inputs[1]!;
      const k = attrNum(attrs, 'k');
      if (p.rank !== 2) throw new InvalidArgumentError(`predictions must be 2-dimensional`);
      if (t.rank !== 1) throw new InvalidArgumentError(`targets must be 1-dimensional`);
      const [batch, classes] = p.shape;
      if (t.shape[0] !== batch) throw new InvalidArgumentError(`First dimension of predictions ${batch} must match length of targets ${t.shape[0]}`);
      const out = Tensor.zeros('bool', [batch]);
      for (let b = 0; b < batch; b++) {
        const target = t.data[b];
        let cannotSay = !(target >= 0 && target < classes) || !Number.isFinite(p.data[b * classes + target]);
        let more = 0;
        if (!cannotSay) {
          const tp = p.data[b * classes + target];
          for (let i = 0; i < classes; i++) {
            const v = p.data[b * classes + i];
            if (!Number.isFinite(v)) {
              cannotSay = true;
              break;
            } else if (v > tp) {
              more++;
              if (more > k) break;
            }
          }
        }
        out.data[b] = cannotSay ? 0 : more < k ? 1 : 0;
      }
      return out;
    },
    grad: NOT_DIFFERENTIABLE,
  },
} satisfies Record<string, OpDef>;
