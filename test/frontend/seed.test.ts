/**
 * @fileoverview The seed chapter's examples as `.tfg` programs: the `f` graph, graph
 * management (`graph other { }`), node lifecycle names, the modular relu (with and without a
 * name scope), the shared threshold four ways (parameter, function attribute, variable_scope
 * + get_variable with reuse, AUTO_REUSE) — plus signatures, train recipes and lookup.
 */
import t from 'tap';
import { Operation } from '../../compiler/ir/graph.js';
import { build, buildOk, firstError, nodeNames, strs } from './helpers.js';

t.test('9.3 managing graphs', async (t) => {
  const r = buildOk(`
x1 = Variable(1)
a = x1.graph == get_default_graph()
graph other {
  x2 = Variable(2)
  b = x2.graph == get_default_graph()
  inner = get_default_graph().name
}
c = x2.graph == other
d = x2.graph == get_default_graph()
e = x2.graph == x1.graph
f = x2.graph.name
`);
  t.same(strs(r, ['a', 'b', 'c', 'd', 'e', 'f', 'inner']), { a: 'True', b: 'True', c: 'True', d: 'False', e: 'False', f: 'other', inner: 'other' });
  t.same(nodeNames(r), ['Variable/initial_value', 'Variable', 'Variable/Assign']);
  t.same(nodeNames(r, 'other'), ['Variable/initial_value', 'Variable', 'Variable/Assign']);
  t.match(firstError(build(`a = constant(1)\ngraph g2 { b = a + 1 }`)), /^2:16: ValueError: Tensor\("Const:0"\) must be from the same graph/);
});

t.test('9.4 node lifecycle names', async (t) => {
  const r = buildOk(`
w = constant(3)
x = w + 2
y = x + 5
z = x * 3
`);
  t.same(nodeNames(r), ['Const', 'add/y', 'add', 'add_1/y', 'add_1', 'mul/y', 'mul']);
});

t.test('9.10 name scope', async (t) => {
  const r = buildOk(`
X = placeholder(float32, shape=(None, 3), name="X")
y = placeholder(float32, shape=(None, 1), name="y")
theta = Variable(random_uniform([3, 1], -1.0, 1.0, seed=42), name="theta")
y_pred = matmul(X, theta, name="predictions")
with name_scope("loss") as scope {
  error = y_pred - y
  mse = reduce_mean(square(error), name="mse")
}
`);
  t.same(strs(r, ['scope']), { scope: 'loss/' });
  t.equal(r.lookup('mse')?.toString(), 'loss/mse');
  t.ok(nodeNames(r).includes('loss/sub') && nodeNames(r).includes('loss/Square'));
});

const reluNoScope = `
def relu(X) {
  w_shape = (int(X.get_shape()[1]), 1)
  w = Variable(random_normal(w_shape), name="weights")
  b = Variable(0.0, name="bias")
  z = add(matmul(X, w), b, name="z")
  return maximum(z, 0., name="relu")
}
n_features = 3
X = placeholder(float32, shape=(None, n_features), name="X")
relus = [relu(X) for i in range(5)]
output = add_n(relus, name="output")
`;

t.test('9.11 modular relu ×5 without a scope', async (t) => {
  const r = buildOk(`set_random_seed(1)\n${reluNoScope}`);
  const names = nodeNames(r);
  for (const n of ['weights', 'weights_1', 'weights_4', 'bias', 'bias_4', 'z', 'z_4', 'relu', 'relu_4', 'output']) t.ok(names.includes(n), n);
  t.same(names.slice(1, 12), [
    'random_normal',
    'weights',
    'weights/Assign',
    'bias/initial_value',
    'bias',
    'bias/Assign',
    'MatMul',
    'z',
    'relu/y',
    'relu',
    'random_normal_1',
  ]);
  t.equal(r.lookup('output:0')?.toString(), 'output');
  t.equal(r.defaultGraph.get('output')!.inputs.length, 5);
});

t.test('9.11 modular relu ×5 inside name_scope("relu")', async (t) => {
  const r = buildOk(`set_random_seed(1)
def relu(X) {
  with name_scope("relu") {
    w_shape = (int(X.get_shape()[1]), 1)
    w = Variable(random_normal(w_shape), name="weights")
    b = Variable(0.0, name="bias")
    z = add(matmul(X, w), b, name="z")
    return maximum(z, 0., name="max")
  }
}
X = placeholder(float32, shape=(None, 3), name="X")
relus = [relu(X) for i in range(5)]
output = add_n(relus, name="output")
`);
  const names = nodeNames(r);
  for (const n of ['relu/weights', 'relu_1/weights', 'relu_4/weights', 'relu/bias', 'relu_4/z', 'relu/max', 'relu_4/max', 'output']) t.ok(names.includes(n), n);
});

t.test('9.12 sharing the threshold: passed as a parameter', async (t) => {
  const r = buildOk(`
def relu(X, threshold) {
  with name_scope("relu") {
    w = Variable(zeros([3, 1]), name="weights")
    z = add(matmul(X, w), 0.0, name="z")
    return maximum(z, threshold, name="max")
  }
}
threshold = Variable(0.0, name="threshold")
X = placeholder(float32, shape=(None, 3), name="X")
relus = [relu(X, threshold) for i in range(5)]
output = add_n(relus, name="output")
`);
  const names = nodeNames(r);
  t.equal(names.filter((n) => /threshold$/.test(n)).length, 1);
  t.same(
    r.defaultGraph.get('relu_3/max')!.inputs.map((n) => n.name),
    ['relu_3/z', 'threshold'],
  );
});

t.test('9.12 sharing the threshold: a function attribute (hasattr/setattr)', async (t) => {
  const r = buildOk(`
def relu(X) {
  with name_scope("relu") {
    if not hasattr(relu, "threshold") {
      setattr(relu, "threshold", Variable(0.0, name="threshold"))
    }
    w = Variable(zeros([3, 1]), name="weights")
    z = add(matmul(X, w), 0.0, name="z")
    return maximum(z, relu.threshold, name="max")
  }
}
X = placeholder(float32, shape=(None, 3), name="X")
relus = [relu(X) for i in range(5)]
output = add_n(relus, name="output")
`);
  t.same(
    nodeNames(r).filter((n) => /threshold$/.test(n)),
    ['relu/threshold'],
  );
  t.same(
    r.defaultGraph.get('relu_4/max')!.inputs.map((n) => n.name),
    ['relu_4/z', 'relu/threshold'],
  );
});

t.test('9.12 sharing the threshold: variable_scope + get_variable with reuse=True', async (t) => {
  const r = buildOk(`
def relu(X) {
  with variable_scope("relu", reuse=True) {
    threshold = get_variable("threshold")
    w = Variable(zeros([3, 1]), name="weights")
    z = add(matmul(X, w), 0.0, name="z")
    return maximum(z, threshold, name="max")
  }
}
X = placeholder(float32, shape=(None, 3), name="X")
with variable_scope("relu") {
  threshold = get_variable("threshold", shape=(), initializer=constant_initializer(0.0))
}
relus = [relu(X) for relu_index in range(5)]
output = add_n(relus, name="output")
`);
  const names = nodeNames(r);
  t.same(
    names.filter((n) => /threshold$/.test(n)),
    ['relu/threshold'],
  );
  for (const n of ['relu_1/max', 'relu_5/max', 'relu_1/weights', 'relu_5/weights']) t.ok(names.includes(n), n);
  t.same(
    r.defaultGraph.get('relu_1/max')!.inputs.map((n) => n.name),
    ['relu_1/z', 'relu/threshold'],
  );
});

t.test('9.12 sharing the threshold: reuse=(relu_index >= 1) in a loop, and AUTO_REUSE', async (t) => {
  const loop = buildOk(`
def relu(X) {
  threshold = get_variable("threshold", shape=(), initializer=constant_initializer(0.0))
  return maximum(X, threshold, name="max")
}
X = placeholder(float32, shape=(None, 3), name="X")
relus = []
for relu_index in range(5) {
  with variable_scope("relu", reuse=(relu_index >= 1)) as scope { relus.append(relu(X)) }
}
output = add_n(relus, name="output")
`);
  t.same(
    nodeNames(loop).filter((n) => /threshold$/.test(n)),
    ['relu/threshold'],
  );
  t.ok(['relu/max', 'relu_1/max', 'relu_4/max'].every((n) => nodeNames(loop).includes(n)));
  const auto = buildOk(`
def relu(X) {
  with variable_scope("relu", reuse=AUTO_REUSE) {
    threshold = get_variable("threshold", shape=(), initializer=constant_initializer(0.0))
    return maximum(X, threshold, name="max")
  }
}
X = placeholder(float32, shape=(None, 3), name="X")
output = add_n([relu(X) for i in range(5)], name="output")
`);
  t.same(
    nodeNames(auto).filter((n) => /threshold$/.test(n)),
    ['relu/threshold'],
  );
  t.equal(auto.defaultGraph.globalVariables().length, 1);
});

t.test('signatures: feeds, fetch structures, graphs, duplicates', async (t) => {
  const r = buildOk(`
X = placeholder(f32, shape=[None, 3], name="X")
w = Variable(ones([3, 1]), name="w")
out = matmul(X, w, name="out")
init = global_variables_initializer()
signature predict(X) -> out
signature both(X) -> {"out": out, "parts": [out, init]}
graph other {
  a = placeholder(f32, name="a")
  b = a * 2.0
}
signature double(a) -> b
`);
  t.same(
    r.signatures.map((s) => [s.name, s.graph.name, s.feeds.map((n) => n.name)]),
    [
      ['predict', 'default', ['X']],
      ['both', 'default', ['X']],
      ['double', 'other', ['a']],
    ],
  );
  const both = r.signatures[1].fetches as { out: unknown; parts: unknown[] };
  t.equal((both.out as { name: string }).name, 'out');
  t.ok(both.parts[1] instanceof Operation);
  const dup = build(`X = placeholder(f32)\nsignature p(X) -> X\nsignature p(X) -> X`);
  t.equal(firstError(dup), "3:11: duplicate signature 'p'");
  t.equal(dup.diagnostics[0].related?.[0].message, "signature 'p' was first defined here");
  t.match(firstError(build(`signature p(3) -> 4`)), /^1:13: TypeError: signature feeds must be tensors/);
  t.match(firstError(build(`X = placeholder(f32)\ngraph g { Y = placeholder(f32) }\nsignature p(X) -> Y`)), /^3:19: ValueError: signature 'p' mixes graphs/);
});

t.test('train recipes are kept as evaluated values', async (t) => {
  const r = buildOk(`
x = Variable(1.0, name="x")
loss = square(x)
train fit {
  loss = loss
  steps = 10
  optimizer { lr = 0.1 }
}
`);
  t.equal(r.trainRecipes.length, 1);
  const rec = r.trainRecipes[0];
  t.equal(rec.name, 'fit');
  t.same(
    rec.entries.map((e) => e.key),
    ['loss', 'steps', 'optimizer'],
  );
  t.equal(rec.entries[0].value?.kind, 'tensor');
  t.equal(rec.entries[2].entries?.[0].key, 'lr');
});

t.test('lookup: bindings first, then node names; ":0" means the tensor', async (t) => {
  const r = buildOk(`
x = Variable(2.0, name="x")
with name_scope("loss") { mse = reduce_mean(square(x), name="mse") }
init = global_variables_initializer()
graph other { x2 = Variable(2) }
`);
  t.equal((r.lookup('mse') as { name: string }).name, 'loss/mse');
  t.ok(r.lookup('init') instanceof Operation);
  t.ok(r.lookup('loss/mse') instanceof Operation);
  t.equal((r.lookup('loss/mse:0') as { name: string }).name, 'loss/mse');
  t.equal((r.lookup('x') as { name: string }).name, 'x');
  t.equal(r.lookup('nope'), null);
  t.equal(r.lookup('x2'), null, 'x2 is in another graph');
  t.equal((r.lookup('x2', 'other') as { name: string }).name, 'Variable');
  t.equal(r.lookup('x', 'missing'), null);
});
