/**
 * @fileoverview The graph in an event file (compiler/emit/graphdef.ts → session/io/events.ts →
 * SummaryWriter.graph), read back by the independent decoder (test/io/event-decoder.ts): node
 * names with their scopes, TF1 op types, data and `^control` inputs, attrs (T, dtype, shape,
 * Const values as TensorProtos, keep_dims, _output_shapes), the ScalarSummary of `scalar()`;
 * every IR op of the registry has a TF1 op type; samples/mnist_mlp.tfg's whole graph.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { graphToGraphDef, tfOpType } from '../../compiler/emit/graphdef.js';
import { buildProgram } from '../../compiler/frontend/index.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { OPS } from '../../compiler/ops/registry.js';
import { encodeGraphDef } from '../../session/io/events.js';
import { SummaryWriter } from '../../session/node/summary-writer.js';
import { repoPath } from '../helpers.js';
import { DT, type DecodedGraph, type DecodedNode, decodeEventFile, decodeGraphDef } from './event-decoder.js';

function build(src: string, file = 'g.tfg'): Graph {
  const r = buildProgram(src, file);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.defaultGraph;
}

/** Write the graph through a SummaryWriter and decode the event file independently. */
function roundTrip(g: Graph): DecodedGraph {
  const dir = mkdtempSync(join(tmpdir(), 'tfg-gd-'));
  const w = new SummaryWriter(dir, { now: () => 1700000000 });
  w.graph(encodeGraphDef(graphToGraphDef(g)));
  w.close();
  const ev = decodeEventFile(new Uint8Array(readFileSync(w.path)));
  if (ev.length !== 2 || !ev[1].graphDef) throw new Error('expected file_version then the graph');
  return decodeGraphDef(ev[1].graphDef);
}

const SRC = `x = placeholder(float32, shape=(None, 3), name="x")
with name_scope("layer") {
  W = Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], name="W")
  b = Variable(zeros([2]), name="b")
  z = relu(matmul(x, W) + b)
}
with name_scope("loss") {
  m = reduce_mean(z, axis=1, keepdims=True)
  loss = reduce_sum(cast(m > 0.5, float32), name="loss")
  s = scalar("count", loss)
}
init = global_variables_initializer()
with control_dependencies([init]) {
  after = identity(x / 2.0, name="after")
}
k = constant([1, 2, 3], dtype=int32, name="k")
u = placeholder(float64, name="u")
`;

t.test('a small graph: names, ops, inputs and attrs as TF1 writes them', (t) => {
  const ir = build(SRC);
  const g = roundTrip(ir);
  const by = new Map<string, DecodedNode>(g.node.map((n) => [n.name, n]));
  t.equal(by.size, g.node.length, 'node names are unique');
  t.equal(g.producer, 134, 'versions.producer of TF 1.15');
  // Every IR node is there, in creation order, plus the summary's tags Const before it.
  t.same(
    g.node.map((n) => n.name).filter((n) => n !== 'loss/count/tags'),
    ir.nodes.map((n) => n.name),
  );
  t.same(
    g.node.map((n) => [n.name, n.op, n.input.join(' ')]),
    [
      ['x', 'Placeholder', ''],
      ['layer/W/initial_value', 'Const', ''],
      ['layer/W', 'VariableV2', ''],
      ['layer/W/Assign', 'Assign', 'layer/W layer/W/initial_value'],
      ['layer/zeros', 'Const', ''],
      ['layer/b', 'VariableV2', ''],
      ['layer/b/Assign', 'Assign', 'layer/b layer/zeros'],
      ['layer/MatMul', 'MatMul', 'x layer/W'],
      ['layer/add', 'Add', 'layer/MatMul layer/b'],
      ['layer/Relu', 'Relu', 'layer/add'],
      ['loss/Mean', 'Mean', 'layer/Relu'],
      ['loss/Greater/y', 'Const', ''],
      ['loss/Greater', 'Greater', 'loss/Mean loss/Greater/y'],
      ['loss/Cast', 'Cast', 'loss/Greater'],
      ['loss/loss', 'Sum', 'loss/Cast'],
      ['loss/count/tags', 'Const', ''],
      ['loss/count', 'ScalarSummary', 'loss/count/tags loss/loss'],
      ['init', 'NoOp', '^layer/W/Assign ^layer/b/Assign'],
      // TF1's pruning: the block's first node gets the control edge; later ones read it as data.
      ['truediv/y', 'Const', '^init'],
      ['truediv', 'RealDiv', 'x truediv/y'],
      ['after', 'Identity', 'truediv'],
      ['k', 'Const', ''],
      ['u', 'Placeholder', ''],
    ],
    'ops, data inputs, then ^control inputs',
  );
  t.ok(
    g.node.every((n) => n.device === ''),
    'no devices',
  );

  const x = by.get('x')!;
  t.equal(x.attr.get('dtype')!.type, DT.FLOAT);
  t.same(x.attr.get('shape')!.shape, { dims: [-1, 3] }, 'None is -1');
  t.same(by.get('u')!.attr.get('shape')!.shape, { dims: null }, 'unknown rank');
  t.equal(by.get('u')!.attr.get('dtype')!.type, DT.DOUBLE);
  t.same(x.attr.get('_output_shapes')!.list!.shape, [{ dims: [-1, 3] }], 'add_shapes=True');
  t.same(by.get('init')!.attr.get('_output_shapes')!.list!.shape, [], 'an op without outputs has no shapes');

  const W = by.get('layer/W')!;
  t.same([...W.attr.keys()].sort(), ['_output_shapes', 'container', 'dtype', 'shape', 'shared_name']);
  t.same(W.attr.get('shape')!.shape, { dims: [3, 2] });
  t.equal(W.attr.get('container')!.s, '');
  const init = by.get('layer/W/initial_value')!.attr.get('value')!.tensor!;
  t.equal(init.dtype, DT.FLOAT);
  t.same(init.shape, { dims: [3, 2] });
  t.same(Array.from(new Float32Array(init.content!.slice().buffer)), [1, 2, 3, 4, 5, 6], 'a non-splat constant as tensor_content');
  const zeros = by.get('layer/zeros')!.attr.get('value')!.tensor!;
  t.same([zeros.content, zeros.floatVal], [undefined, [0]], 'a splat as one float_val');
  const k = by.get('k')!.attr.get('value')!.tensor!;
  t.equal(k.dtype, DT.INT32);
  t.same(Array.from(new Int32Array(k.content!.slice().buffer)), [1, 2, 3]);

  const assign = by.get('layer/W/Assign')!;
  t.same([assign.attr.get('T')!.type, assign.attr.get('use_locking')!.b, assign.attr.get('validate_shape')!.b], [DT.FLOAT, false, true]);
  const mm = by.get('layer/MatMul')!;
  t.same([mm.attr.get('T')!.type, mm.attr.get('transpose_a')!.b, mm.attr.get('transpose_b')!.b], [DT.FLOAT, false, false]);
  t.same(mm.attr.get('_output_shapes')!.list!.shape, [{ dims: [-1, 2] }]);
  const mean = by.get('loss/Mean')!;
  t.equal(mean.attr.get('keep_dims')!.b, true, "keepdims is TF1's keep_dims");
  t.same(mean.attr.get('axis')!.list!.i, [1n]);
  const cast = by.get('loss/Cast')!;
  t.same([cast.attr.get('SrcT')!.type, cast.attr.get('DstT')!.type, cast.attr.get('Truncate')!.b], [DT.BOOL, DT.FLOAT, false]);
  t.notOk(cast.attr.has('T'));
  t.equal(by.get('loss/Greater')!.attr.get('T')!.type, DT.FLOAT, 'T is the input type, not the bool output');
  const tags = by.get('loss/count/tags')!.attr.get('value')!.tensor!;
  t.same([tags.dtype, tags.shape, tags.stringVal], [DT.STRING, { dims: [] }, ['loss/count']], 'the tag is the scoped name');
  t.equal(by.get('loss/count')!.attr.get('T')!.type, DT.FLOAT);
  t.end();
});

t.test('large constants keep their dtype and shape, not their bytes', (t) => {
  const ir = build('c = constant(range(10), dtype=float64, name="c")\n');
  const gd = graphToGraphDef(ir, { maxConstBytes: 40 });
  const v = (gd.node[0].attr.value as { tensor: { tensor_content?: Uint8Array; double_val?: number[]; tensor_shape: unknown } }).tensor;
  t.same([v.tensor_content, v.double_val, v.tensor_shape], [undefined, undefined, { dim: [{ size: 10 }] }]);
  t.ok(
    (graphToGraphDef(ir).node[0].attr.value as { tensor: { tensor_content?: Uint8Array } }).tensor.tensor_content?.length === 80,
    'within the limit: 10 doubles',
  );
  t.end();
});

/** Op types of TF1's op registry that the mapping may produce (tensorflow/core/ops/*.cc REGISTER_OP names). */
const TF1_OPS = new Set(
  (
    'Const Placeholder Fill ZerosLike OnesLike Range RandomUniform RandomStandardNormal TruncatedNormal VariableV2 Assign AssignAdd AssignSub ' +
    'NoOp Identity StopGradient Neg Square Sqrt Rsqrt Exp Log Abs Sign Floor Sin Cos Relu Sigmoid Tanh LogicalNot Add Sub Mul Div RealDiv Pow FloorDiv FloorMod ' +
    'Maximum Minimum Equal NotEqual Less LessEqual Greater GreaterEqual LogicalAnd LogicalOr LeakyRelu Cast Select AddN Sum Mean Max Min Prod ArgMax ArgMin ' +
    'MatMul BatchMatMulV2 MatrixInverse Transpose Reshape ExpandDims Squeeze ConcatV2 Pack Slice StridedSlice GatherV2 Shape Size Rank OneHot BroadcastTo ' +
    'StridedSliceGrad Pad UnsortedSegmentSum Softmax LogSoftmax SparseSoftmaxCrossEntropyWithLogits SoftmaxCrossEntropyWithLogits InTopKV2 ScalarSummary'
  ).split(' '),
);
/** IR ops with no single TF1 kernel (docs/formats.md says so). */
const TFG_ONLY = new Set(['ProdExcept', 'logistic_loss']);

t.test('every IR op has a TF1 op type (or is one of the documented tfg-only ones)', (t) => {
  for (const name of Object.keys(OPS)) {
    const op = tfOpType({ op: name, dtype: 'i32', inputs: [] });
    t.ok(TF1_OPS.has(op) || TFG_ONLY.has(op), `${name} → ${op}`);
  }
  t.equal(tfOpType({ op: 'div', dtype: 'f32', inputs: [] }), 'RealDiv');
  t.equal(tfOpType({ op: 'div', dtype: 'i32', inputs: [] }), 'Div');
  const b = build('a = placeholder(float32, shape=(2, 3, 4))\nc = matmul(a, a, transpose_b=True)\n');
  t.equal(tfOpType(b.nodes[1]), 'BatchMatMulV2');
  t.end();
});

t.test('samples/mnist_mlp.tfg: the whole graph with its scopes', (t) => {
  const ir = build(readFileSync(repoPath('samples', 'mnist_mlp.tfg'), 'utf8'), 'mnist_mlp.tfg');
  const g = roundTrip(ir);
  const by = new Map(g.node.map((n) => [n.name, n]));
  t.equal(g.node.length, ir.nodes.length + 1, 'every node, and the summary tag');
  for (const n of ir.nodes) {
    const d = by.get(n.name);
    if (!d) {
      t.fail(`missing ${n.name}`);
      continue;
    }
    const data = d.op === 'ScalarSummary' ? d.input.slice(1) : d.input;
    t.same(data, [...n.inputs.map((i) => i.name), ...n.controlInputs.map((c) => `^${c.name}`)], `${n.name}: inputs`);
  }
  const op = (name: string) => by.get(name)?.op;
  t.equal(op('X'), 'Placeholder');
  t.equal(op('dnn/hidden1/kernel'), 'VariableV2');
  t.equal(op('dnn/hidden1/MatMul'), 'MatMul');
  t.equal(op('dnn/hidden1/Relu'), 'Relu');
  t.equal(op('dnn/hidden1/truncated_normal'), 'TruncatedNormal');
  t.equal(op('loss/SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits'), 'SparseSoftmaxCrossEntropyWithLogits');
  t.equal(op('loss/loss'), 'Mean');
  t.equal(op('loss/xentropy'), 'ScalarSummary');
  t.equal(op('predict/probabilities'), 'Softmax');
  t.equal(op('eval/in_top_k/InTopKV2'), 'InTopKV2');
  // Adam's update of a variable is the AssignSub TF1's ApplyAdam kernel does, under TF1's names.
  t.equal(op('train/Adam/update_dnn/hidden1/kernel/ApplyAdam'), 'AssignSub');
  t.same(by.get('train/Adam/update_dnn/hidden1/kernel/ApplyAdam')!.input[0], 'dnn/hidden1/kernel');
  const tn = by.get('dnn/hidden1/truncated_normal')!;
  t.same(
    [tn.attr.get('mean')!.f, tn.attr.get('mean')!.i, tn.attr.get('seed')!.i, tn.attr.get('dtype')!.type],
    [0, undefined, 42n, DT.FLOAT],
    'a mean of 0 is a float attr; seeds are ints',
  );
  t.equal(tn.attr.get('stddev')!.f, Math.fround(2 / Math.sqrt(784)));
  const sx = by.get('loss/SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits')!;
  t.same([sx.attr.get('T')!.type, sx.attr.get('Tlabels')!.type], [DT.FLOAT, DT.INT32]);
  const scopes = new Set(g.node.map((n) => n.name.split('/')[0]));
  for (const s of ['dnn', 'loss', 'train', 'eval', 'predict']) t.ok(scopes.has(s), `scope ${s}`);
  t.ok(
    g.node.some((n) => n.name.startsWith('train/gradients/dnn/hidden1/MatMul_grad/')),
    'gradients under train/gradients',
  );
  t.end();
});
