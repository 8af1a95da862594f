/**
 * @fileoverview The IR printer (one node per line, like a jaxpr), the DOT writer (name scopes
 * as nested clusters) and the verifier (order, cycles, names, types re-inferred).
 */
import t from 'tap';
import { SourceFile, span } from '../../compiler/diagnostics/span.js';
import { graphToDot } from '../../compiler/ir/dot.js';
import { Graph, type Node } from '../../compiler/ir/graph.js';
import { printGraph, printNode } from '../../compiler/ir/printer.js';
import { broadcastShapes } from '../../compiler/ir/shape.js';
import { findCycle, verifyGraph } from '../../compiler/ir/verify.js';
import { NOT_DIFFERENTIABLE, type OpDef } from '../../compiler/ops/def.js';

/** The gradient and lowering of the printer's test ops (never used). */
const unused = { grad: NOT_DIFFERENTIABLE, lower: { fusion: 'unsupported', reason: 'a test op of the printer tests' } } as const;

const src = new SourceFile('p.tfg', 'X = placeholder(f32, shape=[None, 3], name="X")\nwith name_scope("loss") { mse = X + X }\n');

const ops: Record<string, OpDef> = {
  placeholder: {
    name: 'placeholder',
    tfType: 'Placeholder',
    doc: '',
    kind: 'source',
    ...unused,
    infer: (_i, a) => ({ dtype: a.dtype as 'f32', shape: a.shape as (number | null)[] }),
    eval: () => null,
  },
  add: {
    name: 'add',
    tfType: 'Add',
    doc: '',
    kind: 'elementwise',
    ...unused,
    infer: ([a, b]) => ({ dtype: a.dtype, shape: broadcastShapes(a.shape, b.shape) }),
    eval: () => null,
  },
  group: { name: 'group', tfType: 'NoOp', doc: '', kind: 'control', ...unused, infer: () => null, eval: () => null },
};
const lookup = (n: string): OpDef | null => ops[n] ?? null;

function build() {
  const g = new Graph();
  const X = g.addNode('placeholder', g.opName('X'), [], { dtype: 'f32', shape: [null, 3] }, 'f32', [null, 3], { span: span(src, 4, 47) });
  let mse!: Node;
  g.withNameScope('loss', () => {
    mse = g.addNode('add', g.opName('mse'), [X, X], {}, 'f32', [null, 3], { span: span(src, 80, 85) });
  });
  const init = g.addNode('group', g.opName('init'), [], {}, null, null, { controlInputs: [mse] });
  return { g, X, mse, init };
}

t.test('printer: one node per line with type, inputs, attrs, control inputs and location', (t) => {
  const { g, mse, init } = build();
  t.equal(printNode(mse), '%loss/mse: f32[?,3] = add(%X, %X) @ p.tfg:2:33');
  t.equal(printNode(init), '%init = group() ^[%loss/mse]');
  t.equal(
    printGraph(g),
    [
      'graph default {  # 3 nodes',
      '  %X: f32[?,3] = placeholder() {dtype=f32, shape=[?,3]} @ p.tfg:1:5',
      '  %loss/mse: f32[?,3] = add(%X, %X) @ p.tfg:2:33',
      '  %init = group() ^[%loss/mse]',
      '}',
      '',
    ].join('\n'),
  );
  t.equal(printNode(mse, { locations: false }), '%loss/mse: f32[?,3] = add(%X, %X)');
  const big = g.addNode('placeholder', 'big', [], { value: Array.from({ length: 20 }, (_, i) => i) }, 'f32', null);
  t.equal(printNode(big), '%big: f32[*] = placeholder() {value=[0, 1, 2, 3, 4, 5, 6, 7, ... (20 values)]}');
  t.end();
});

t.test('dot: name scopes are nested clusters, control edges dashed', (t) => {
  const { g } = build();
  g.withNameScope('loss', () => g.withNameScope('inner', () => g.addNode('group', g.opName('z'), [], {}, null, null)));
  const dot = graphToDot(g);
  t.match(dot, /^digraph default \{/);
  t.match(dot, /subgraph cluster_loss \{/);
  t.match(dot, /subgraph "cluster_loss_1\/inner" \{|subgraph "cluster_loss\/inner" \{/);
  t.match(dot, /"X" -> "loss\/mse" \[label="f32\[\?,3\]"\];/);
  t.match(dot, /"loss\/mse" -> "init" \[style=dashed/);
  t.end();
});

t.test('verifier: a valid graph has no problems; broken ones are named', (t) => {
  const { g, X, mse, init } = build();
  t.same(verifyGraph(g, { ops: lookup }), []);
  mse.shape = [null, 4];
  t.same(verifyGraph(g, { ops: lookup }), ['%loss/mse: shape is f32[?,4] but add infers f32[?,3]']);
  mse.shape = [null, 3];
  mse.dtype = 'i32';
  t.same(verifyGraph(g, { ops: lookup }), ['%loss/mse: dtype is i32 but add infers f32']);
  mse.dtype = 'f32';
  X.controlInputs = [init];
  const p = verifyGraph(g, { ops: lookup });
  t.ok(p.includes('%X: control input %init does not precede its user'));
  t.ok(p.includes('cycle: %X -> %init -> %loss/mse -> %X'), p.join('\n'));
  t.ok(findCycle(g));
  X.controlInputs = [];
  mse.inputs = [X, init];
  t.ok(verifyGraph(g, { ops: lookup }).includes('%loss/mse: input 1 %init has no output'));
  t.end();
});

t.test('verifier: unknown ops, foreign inputs and duplicate names', (t) => {
  const { g, X } = build();
  const other = new Graph();
  const Y = other.addNode('placeholder', 'Y', [], { dtype: 'f32', shape: [] }, 'f32', []);
  g.addNode('mystery', 'm', [], {}, 'f32', []);
  const bad = g.addNode('add', 'bad', [X, X], {}, 'f32', [null, 3]);
  bad.inputs = [X, Y];
  g.nodes.push(g.nodes[0]);
  const p = verifyGraph(g, { ops: lookup });
  t.ok(p.includes("%m: unknown op 'mystery'"), p.join('\n'));
  t.ok(p.includes('%bad: input 1 %Y is not in the graph'), p.join('\n'));
  t.ok(p.includes('%X: listed twice in the graph'), p.join('\n'));
  t.end();
});
