/**
 * @fileoverview Neural-network ops with fused, numerically stable kernels: softmax and
 * log_softmax along an axis (max subtracted first), the three cross-entropies (sparse, dense,
 * sigmoid) and in_top_k. All float math runs in f64 and is rounded once to the output dtype.
 */
import { allocArray, byteSize, pyDTypeName } from '../../session/dtype.js';
import { InvalidArgumentError } from '../../session/errors.js';
import { Tensor } from '../../session/tensor.js';
import type { Attrs, Node } from '../ir/graph.js';
import { type Dim, type Shape, ShapeError, formatShapePy } from '../ir/shape.js';
import { normAxis } from '../ir/shape.js';
import { Poly, contiguousStrides, numel } from '../ir/sym.js';
import { NOT_DIFFERENTIABLE, type OpDef, OpTypeError, type TensorSig } from './def.js';
import { type Expr, scalarType } from './lower-api.js';
import { FAIL, splitSym } from './lowering.js';
import {
  FLOAT,
  INT,
  attrNum,
  axisOf,
  checkArity,
  checkDType,
  checkRank,
  checkRankAtLeast,
  dtypeList,
  fmt,
  mergeDim,
  mergeShapesStrict,
  splitAxis,
} from './kernels.js';
import { GRAD } from '../diagnostics/catalogue.js';

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
    symShape: (_n, ins) => ins[0],
    // the runtime's row kernel (runtime-as/assembly/softmax.ts) over outer × len × inner
    lower: {
      fusion: 'opaque',
      emit(e, n) {
        const s = e.shape(n.inputs[0]);
        const { outer, len, inner } = splitSym(s, normAxis((n.attrs.axis as number) ?? -1, s.length));
        return [e.m.call(`rt_${n.op}_${n.dtype!}`, [e.addr(n.inputs[0]), e.addr(n), e.poly(outer), e.poly(len), e.poly(inner)], 'none')];
      },
    },
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
    throw new OpTypeError(
      `Input 'labels' of '${tfType}' Op has type ${pyDTypeName(inputs[0].dtype)} that does not match type ${pyDTypeName(inputs[1].dtype)} of argument 'features'.`,
    );
  }
  checkDType('features', inputs[1].dtype, FLOAT);
}

export const NN_OPS = {
  softmax: softmaxLike({ name: 'softmax', tfType: 'Softmax', doc: 'exp(x) / sum(exp(x)) along axis (default -1), max subtracted first.', log: false }),
  log_softmax: softmaxLike({
    name: 'log_softmax',
    tfType: 'LogSoftmax',
    doc: 'x - log(sum(exp(x))) along axis (default -1), max subtracted first.',
    log: true,
  }),
  sparse_softmax_cross_entropy_with_logits: {
    name: 'sparse_softmax_cross_entropy_with_logits',
    tfType: 'SparseSoftmaxCrossEntropyWithLogits',
    doc: 'Per-row loss logsumexp(logits) - logits[label] for int32 class labels.',
    kind: 'opaque',
    signature: '[labels, logits]',
    shapeRule: 'labels.shape (= logits.shape[:-1])',
    dtypes: 'labels i32; logits f32, f64',
    symShape: (_n, ins) => ins[1].slice(0, -1),
    // labels of unknown rank are the logits' shape without the last dim
    refinesInputs: (n) => [{ index: 0, shape: n.inputs[1].shape === null ? null : n.inputs[1].shape.slice(0, -1) }],
    // the runtime's row kernel; a label out of range fails the run with the row
    lower: {
      fusion: 'opaque',
      emit(e, n) {
        const { m, f } = e;
        const vb = e.values();
        const s = e.shape(n.inputs[1]);
        const st = f.local('i32');
        const out = [
          f.set(
            st,
            m.call(
              `rt_sparse_softmax_xent_${n.dtype!}`,
              [e.addr(n.inputs[0]), e.addr(n.inputs[1]), e.addr(n), m.i32(0), e.poly(numel(s.slice(0, -1))), e.poly(s[s.length - 1])],
              'i32',
            ),
          ),
        ];
        vb.fail(f.get(st), FAIL.labelOutOfRange, m.binary('i32.sub', f.get(st), m.i32(1)));
        return [...out, ...vb.stmts];
      },
    },
    infer(inputs) {
      checkArity('SparseSoftmaxCrossEntropyWithLogits', inputs, 2);
      checkDType('labels', inputs[0].dtype, INT);
      checkDType('features', inputs[1].dtype, FLOAT);
      const ls = inputs[0].shape;
      const xs = inputs[1].shape;
      if (xs !== null) checkRankAtLeast(xs, 1);
      if (ls === null || xs === null) return { dtype: inputs[1].dtype, shape: ls ?? (xs === null ? null : xs.slice(0, -1)) };
      if (ls.length !== xs.length - 1)
        throw new ShapeError(`Rank mismatch: Rank of labels (received ${ls.length}) should equal rank of logits minus 1 (received ${xs.length}).`);
      const out: Dim[] = ls.map((d, i) => {
        const e = xs[i];
        if (d !== null && e !== null && d !== e) {
          throw new ShapeError(
            `Shape mismatch: The shape of labels (received ${formatShapePy(ls)}) should equal the shape of logits except for the last dimension (received ${formatShapePy(xs)}).`,
          );
        }
        return d ?? e;
      });
      return { dtype: inputs[1].dtype, shape: out };
    },
    eval(inputs) {
      const labels = inputs[0]!;
      const x = inputs[1]!;
      if (x.rank < 1 || labels.rank !== x.rank - 1 || labels.shape.some((d, i) => d !== x.shape[i])) {
        throw new InvalidArgumentError(
          `logits and labels must have the same first dimension, got logits shape ${fmt(x.shape)} and labels shape ${fmt(labels.shape)}`,
        );
      }
      const n = x.shape[x.rank - 1];
      for (let r = 0; r < labels.size; r++) {
        const l = labels.data[r];
        if (l < 0 || l >= n) {
          throw new InvalidArgumentError(
            `Received a label value of ${l} which is outside the valid range of [0, ${n}).  Label values: ${Array.from(labels.data).join(' ')}`,
          );
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
      if (depth === null)
        return b.fail(
          GRAD.NEEDS_STATIC,
          `the gradient of ${n.name} needs the number of classes (the last dim of the logits) to be known when the graph is built`,
        );
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
    symShape: (_n, ins) => ins[1].slice(0, -1),
    lower: {
      fusion: 'opaque',
      emit(e, n) {
        const m = e.m;
        const dt = n.dtype!;
        const es = byteSize(dt);
        const P = (p: Poly): Expr => e.poly(p);
        const A = (x: Node): Expr => e.addr(x);
        const s = e.shape(n.inputs[1]);
        const axis = normAxis((n.attrs.axis as number) ?? -1, s.length);
        if (axis === s.length - 1)
          return [m.call(`rt_softmax_xent_${dt}`, [A(n.inputs[0]), A(n.inputs[1]), A(n), m.i32(0), P(numel(s.slice(0, -1))), P(s[s.length - 1])], 'none')];
        // Another axis: labels and logits copied to [outer, inner, n] in the per-call scratch
        // (rows in the loss's row-major order), then the row kernel.
        const { outer, len, inner } = splitSym(s, axis);
        const total = numel(s);
        const oSt = contiguousStrides(s.slice(0, axis));
        const iSt = contiguousStrides(s.slice(axis + 1));
        const dst = s.map((_, d) => (d < axis ? oSt[d].mul(inner).mul(len) : d === axis ? Poly.const(1) : iSt[d - axis - 1].mul(len)));
        const half = (): Expr => m.binary('i32.add', e.scratch(), P(total.scale(es).alignUp(16)));
        const copy = (x: Node, base: () => Expr): Expr[] =>
          e.nest(
            s,
            s.map((_, i) => i),
            [
              { dtype: dt, strides: contiguousStrides(s), offset: Poly.const(0), base: () => A(x) },
              { dtype: dt, strides: dst, offset: Poly.const(0), base },
            ],
            { lanes: 1, body: (env) => [env.b.store(env.b.load(dt, env.ptr(0)), env.ptr(1))] },
          );
        return [
          ...copy(n.inputs[0], () => e.scratch()),
          ...copy(n.inputs[1], half),
          m.call(`rt_softmax_xent_${dt}`, [e.scratch(), half(), A(n), m.i32(0), P(outer.mul(inner)), P(len)], 'none'),
        ];
      },
      // another axis than the last: labels and logits copied in the scratch
      scratch(n, shape) {
        const s = shape(n.inputs[1]);
        if (normAxis((n.attrs.axis as number) ?? -1, s.length) === s.length - 1) return Poly.const(0);
        return numel(s).scale(byteSize(n.dtype!)).alignUp(16).scale(2);
      },
    },
    infer(inputs, attrs) {
      checkLabelsLogits('SoftmaxCrossEntropyWithLogits', inputs);
      let s: Shape;
      try {
        s = mergeShapesStrict(inputs[1].shape, inputs[0].shape);
      } catch {
        throw new ShapeError(
          `logits and labels must be the same size: logits_size=${formatShapePy(inputs[1].shape)} labels_size=${formatShapePy(inputs[0].shape)}`,
        );
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
      return new Tensor(
        x.dtype,
        x.shape.filter((_, i) => i !== axis),
        out,
      );
    },
    grad(b, n, dy) {
      // TF1's fused backprop is softmax(logits) - labels, exact when each row of labels sums to
      // 1; sum(labels) * softmax(logits) - labels is exact for any labels. -log_softmax for labels.
      const [labels, logits] = n.inputs;
      const rank = logits.shape?.length ?? labels.shape?.length;
      if (rank === undefined) return b.fail(GRAD.NEEDS_STATIC, `the gradient of ${n.name} needs the rank of the logits to be known when the graph is built`);
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
    symShape: (_n, ins) => ins[1],
    // a generated loop in f64: max(x, 0) - x·z + log1p(exp(-|x|)) with the runtime's exp and log1p
    lower: {
      fusion: 'opaque',
      emit(e, n) {
        const { m, f } = e;
        const dt = n.dtype!;
        const es = byteSize(dt);
        const total = numel(e.shape(n));
        const t = scalarType(dt) as 'f32' | 'f64';
        const [i] = [f.local('i32')];
        const [x, z] = [f.local('f64'), f.local('f64')];
        const ld = (node: Node): Expr => {
          const v = m.load(t, m.binary('i32.add', e.addr(node), m.binary('i32.mul', f.get(i), m.i32(es))));
          return t === 'f32' ? m.unary('f64.promote_f32', v) : v;
        };
        const lossE = m.binary(
          'f64.add',
          m.binary('f64.sub', m.binary('f64.max', f.get(x), m.f64(0)), m.binary('f64.mul', f.get(x), f.get(z))),
          m.call('rt_math_log1p_f64', [m.call('rt_math_exp_f64', [m.unary('f64.neg', m.unary('f64.abs', f.get(x)))], 'f64')], 'f64'),
        );
        return [
          m.forRange(i, m.i32(0), () => e.poly(total), 1, [
            f.set(z, ld(n.inputs[0])),
            f.set(x, ld(n.inputs[1])),
            m.store(t, m.binary('i32.add', e.addr(n), m.binary('i32.mul', f.get(i), m.i32(es))), t === 'f32' ? m.unary('f32.demote_f64', lossE) : lossE),
          ]),
        ];
      },
    },
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
      if (z.rank !== x.rank || z.shape.some((d, i) => d !== x.shape[i]))
        throw new InvalidArgumentError(`Incompatible shapes: ${fmt(x.shape)} vs. ${fmt(z.shape)}`);
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
    symShape: (_n, [x]) => [x[0]],
    // targets of unknown rank are [batch]
    refinesInputs: (n) => [{ index: 1, shape: n.inputs[0].shape === null ? null : n.inputs[0].shape.slice(0, 1) }],
    // a generated loop: count the predictions above the target's (non-finite: false)
    lower: {
      fusion: 'opaque',
      emit(e, n) {
        const { m, f } = e;
        const A = (x: Node): Expr => e.addr(x);
        const ps = e.shape(n.inputs[0]);
        const pdt = n.inputs[0].dtype!;
        const t = scalarType(pdt) as 'f32' | 'f64';
        const pes = byteSize(pdt);
        const kk = n.attrs.k as number;
        const [b, i, tg, more, bad, nb, nc] = [0, 0, 0, 0, 0, 0, 0].map(() => f.local('i32'));
        const tp = f.local(t);
        const v = f.local(t);
        const pAt = (ix: Expr): Expr =>
          m.load(t, m.binary('i32.add', A(n.inputs[0]), m.binary('i32.mul', m.binary('i32.add', m.binary('i32.mul', f.get(b), f.get(nc)), ix), m.i32(pes))));
        const finite = (x: () => Expr): Expr => m.binary(`${t}.lt`, m.unary(`${t}.abs`, x()), m.const(t, Infinity));
        return [
          f.set(nb, e.poly(ps[0])),
          f.set(nc, e.poly(ps[1])),
          m.forRange(b, m.i32(0), () => f.get(nb), 1, [
            f.set(tg, m.load('i32', m.binary('i32.add', A(n.inputs[1]), m.binary('i32.shl', f.get(b), m.i32(2))))),
            f.set(more, m.i32(0)),
            f.set(bad, m.binary('i32.or', m.binary('i32.lt_s', f.get(tg), m.i32(0)), m.binary('i32.ge_s', f.get(tg), f.get(nc)))),
            m.if(
              m.unary('i32.eqz', f.get(bad)),
              m.block(null, [
                f.set(tp, pAt(f.get(tg))),
                f.set(
                  bad,
                  m.unary(
                    'i32.eqz',
                    finite(() => f.get(tp)),
                  ),
                ),
                m.forRange(i, m.i32(0), () => f.get(nc), 1, [
                  f.set(v, pAt(f.get(i))),
                  f.set(
                    bad,
                    m.binary(
                      'i32.or',
                      f.get(bad),
                      m.unary(
                        'i32.eqz',
                        finite(() => f.get(v)),
                      ),
                    ),
                  ),
                  m.if(m.binary(`${t}.gt`, f.get(v), f.get(tp)), f.set(more, m.binary('i32.add', f.get(more), m.i32(1)))),
                ]),
              ]),
            ),
            m.store8(m.binary('i32.add', A(n), f.get(b)), m.binary('i32.and', m.unary('i32.eqz', f.get(bad)), m.binary('i32.lt_s', f.get(more), m.i32(kk)))),
          ]),
        ];
      },
    },
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
