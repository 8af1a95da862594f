/**
 * @fileoverview `openSession` (compiler/session.ts): the one way to open a Session on a built
 * program — wasm by default, the reference on request, the reference with a reason when the graph
 * does not compile and fallback is allowed, an error when it is not; and the learning-rate
 * override by role (optimizers record their learning-rate tensors in a collection, whatever they
 * are named), fed every step on both backends with the same bits.
 */
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { checkProgramRecipe, ensureInit, overrideLearningRate, recipeSignatures } from '../../compiler/frontend/recipe.js';
import { HYPERPARAMETERS } from '../../compiler/grad/optimizers.js';
import { openSession } from '../../compiler/session.js';
import { CompileError } from '../../compiler/diagnostics/diagnostic.js';
import { TRAIN_SIGNATURES } from '../../session/train/plan.js';
import type { Tensor } from '../../session/tensor.js';
import { WasmSession } from '../../session/wasm/model.js';

const PROG = `X = placeholder(f32, shape=[None, 2], name="X")
y = placeholder(f32, shape=[None, 1], name="y")
w = Variable(constant([[0.5], [-0.25]]), name="w")
loss = reduce_mean(square(matmul(X, w) - y), name="loss")
with name_scope("opt") {
  step = MomentumOptimizer(learning_rate=0.05, momentum=0.9, name="Mom").minimize(loss)
}
train {
  data { train = moons(n_samples=20, seed=1) }
  feed { X = "features"; y = "labels" }
  op = step
  loss = loss
  epochs = 1
  batch_size = 4
}
`;

t.test('wasm by default, reference on request', (t) => {
  const r = buildProgram(PROG, 'p.tfg');
  const w = openSession(r);
  t.equal(w.backend, 'wasm');
  t.ok(w.session instanceof WasmSession);
  t.ok(w.compiled && w.compiled.wasm.length > 0);
  const ref = openSession(r, { backend: 'reference' });
  t.equal(ref.backend, 'reference');
  for (const s of [w.session, ref.session]) {
    s.run(['w/Assign']);
    t.same(Array.from(s.readVariable('w').data), [0.5, -0.25]);
    s.close();
    t.ok(s.isClosed);
  }
  t.end();
});

t.test('fallback to the reference with the reason, or the compile error', (t) => {
  // An unknown-rank placeholder whose rank nothing fixes, in a signature: does not compile.
  const r = buildProgram('p = placeholder(f32, name="p")\nq = multiply(p, 2.0, name="q")\nsignature s(p) -> q\n', 'u.tfg');
  const o = openSession(r);
  t.equal(o.backend, 'reference');
  t.match(o.fallbackReason, /TFG\d{4}: .*rank/);
  t.same(Array.from((o.session.run('q:0', { 'p:0': [[1, 2]] }) as Tensor).data), [2, 4]);
  t.throws(() => openSession(r, { fallback: false }), CompileError);
  t.end();
});

t.test('the learning rate is found by role, not by name, and fed on both backends alike', (t) => {
  const r = buildProgram(PROG, 'p.tfg');
  const lrNodes = r.defaultGraph.getCollection(HYPERPARAMETERS.learningRate);
  t.same(
    lrNodes.map((n) => n.name),
    ['opt/Mom/learning_rate'],
  );
  t.same(
    r.defaultGraph.getCollection(HYPERPARAMETERS.momentum).map((n) => n.name),
    ['opt/Mom/momentum'],
  );
  const c = checkProgramRecipe(r);
  const plan = c.plan!;
  ensureInit(r.defaultGraph, plan);
  t.same(overrideLearningRate(r.defaultGraph, plan, 0.5), ['opt/Mom/learning_rate']);
  t.same(plan.constant_feeds, { 'opt/Mom/learning_rate': 0.5 });
  const sigs = recipeSignatures(r.defaultGraph, plan);
  t.same(
    sigs.map((s) => s.name),
    [TRAIN_SIGNATURES.step, TRAIN_SIGNATURES.eval],
  );
  t.same(
    sigs[0].feeds.map((n) => n.name),
    ['X', 'y', 'opt/Mom/learning_rate'],
  );
  const feeds = {
    'X:0': [
      [1, 2],
      [3, -1],
    ],
    'y:0': [[1], [0]],
    'opt/Mom/learning_rate:0': 0.5,
  };
  const results: number[][] = [];
  for (const backend of ['wasm', 'reference'] as const) {
    const o = openSession(r, { backend, signatures: sigs });
    o.session.run(plan.init!);
    for (let i = 0; i < 3; i++) o.session.run([plan.op, `${plan.loss}:0`], feeds);
    results.push(Array.from(o.session.readVariable('w').data));
    if (o.session instanceof WasmSession) t.equal(o.session.stats.signatureCalls, 3, 'each step is one call of the train-step entry');
    o.session.close();
  }
  t.same(results[0], results[1], 'same bits');
  // With the rate fed as 0 nothing moves.
  const o = openSession(r, { signatures: sigs });
  o.session.run(plan.init!);
  o.session.run([plan.op, `${plan.loss}:0`], { ...feeds, 'opt/Mom/learning_rate:0': 0 });
  t.same(Array.from(o.session.readVariable('w').data), [0.5, -0.25]);
  t.end();
});

t.test('--lr without an optimizer is a clear error', (t) => {
  const r = buildProgram('X = placeholder(f32, shape=[None, 2], name="X")\nw = Variable(zeros([2, 1]))\nl = reduce_sum(matmul(X, w))\n', 'n.tfg');
  const plan = { constant_feeds: {}, placeholders: {} } as never;
  t.throws(() => overrideLearningRate(r.defaultGraph, plan, 0.1), /has no optimizer/);
  t.end();
});
