/**
 * @fileoverview TF1's tensorflow/python/training/learning_rate_decay_test.py (LRDecayTest:
 * testContinuous, testStaircase, testVariables) ported to `.tfg`, on every backend, plus the node
 * names exponential_decay makes (TF ≤ 1.12's learning_rate_decay.py), Floor's missing gradient,
 * the step a training op reads the decayed rate at (before minimize's global-step increment), and
 * TF1's math_ops.cast rules the decay relies on (a Python number of the dtype is the constant
 * `Cast/x`, with no Cast node). Not ported: testPiecewiseConstant (no piecewise_constant).
 */
import t, { type Test } from 'tap';
import { backends, build, values } from './helpers.js';
import { buildProgram } from '../../compiler/frontend/index.js';

function close(t: Test, got: number[], want: number[], what: string, tol = 1e-6): void {
  t.ok(
    got.length === want.length && got.every((g, i) => Math.abs(g - want[i]) <= tol * (1 + Math.abs(want[i]))),
    `${what}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`,
  );
}

function buildError(src: string): string {
  const r = buildProgram(src, 'tf1.tfg', { print: () => {} });
  const d = r.diagnostics.find((x) => x.severity === 'error');
  return d ? d.message : '<no error>';
}

t.test('testContinuous: exponential_decay(0.05, 5, 10, 0.96) = 0.05 · 0.96^(5/10)', async (t) => {
  const src = `decayed_lr = exponential_decay(0.05, 5, 10, 0.96)\n`;
  for (const [name, make] of backends(src)) {
    close(t, values(make().run('ExponentialDecay:0')), [0.05 * 0.96 ** (5 / 10)], name);
  }
});

for (const [what, decl, assign] of [
  ['testStaircase (a variable op)', 'step = Variable(0, name="step")', (n: number) => `assign(step, ${n})`],
  ['testVariables (Variable.assign)', 'step = Variable(1, name="step")', (n: number) => `step.assign(${n})`],
] as const) {
  t.test(`${what}: staircase decays at multiples of decay_steps`, async (t) => {
    const src = `${decl}
assign_100 = ${assign(100)}
assign_1 = ${assign(1)}
assign_2 = ${assign(2)}
decayed_lr = exponential_decay(.1, step, 3, 0.96, staircase=True)
init = global_variables_initializer()
`;
    for (const [name, make] of backends(src)) {
      const s = make();
      s.run('init');
      s.run('Assign_1');
      close(t, values(s.run('ExponentialDecay:0')), [0.1], `${name}: step 1`);
      s.run('Assign_2');
      close(t, values(s.run('ExponentialDecay:0')), [0.1], `${name}: step 2`);
      s.run('Assign');
      close(t, values(s.run('ExponentialDecay:0')), [0.1 * 0.96 ** Math.floor(100 / 3)], `${name}: step 100`);
    }
  });
}

t.test('the nodes exponential_decay makes, as TF1 names them', async (t) => {
  const r = build(`global_step = Variable(0, trainable=False, name="global_step")
lr = exponential_decay(0.1, global_step, 10000, 1/10)
lr2 = exponential_decay(0.1, global_step, 100, 0.96, staircase=True, name="lr2")
lr3 = exponential_decay(constant(0.5, dtype=float64), global_step, 7, 0.5)
`);
  const names = r.defaultGraph.nodes.map((n) => `${n.name}=${n.op}`);
  t.same(names, [
    'global_step/initial_value=const',
    'global_step=variable',
    'global_step/Assign=assign',
    'ExponentialDecay/learning_rate=const',
    'ExponentialDecay/Cast=cast',
    'ExponentialDecay/Cast_1/x=const',
    'ExponentialDecay/Cast_1=cast',
    'ExponentialDecay/Cast_2/x=const',
    'ExponentialDecay/truediv=div',
    'ExponentialDecay/Pow=pow',
    'ExponentialDecay=mul',
    'lr2/learning_rate=const',
    'lr2/Cast=cast',
    'lr2/Cast_1/x=const',
    'lr2/Cast_1=cast',
    'lr2/Cast_2/x=const',
    'lr2/truediv=div',
    'lr2/Floor=floor',
    'lr2/Pow=pow',
    'lr2=mul',
    'Const=const',
    'ExponentialDecay_1/Cast=cast',
    'ExponentialDecay_1/Cast_1/x=const',
    'ExponentialDecay_1/Cast_1=cast',
    'ExponentialDecay_1/Cast_2/x=const',
    'ExponentialDecay_1/Cast_2=cast',
    'ExponentialDecay_1/truediv=div',
    'ExponentialDecay_1/Pow=pow',
    'ExponentialDecay_1=mul',
  ]);
  const lr3 = r.bindings.get('lr3');
  t.equal(lr3?.kind === 'tensor' && lr3.node.dtype, 'f64', 'the dtype of learning_rate');
  t.equal(buildError('lr = exponential_decay(0.1, None, 10, 0.5)'), 'ValueError: global_step is required for exponential_decay.');
});

t.test('cast: a Python number of the dtype is the constant Cast/x; a tensor of the dtype is itself', async (t) => {
  const r = build(`a = cast(0.5, float32)
b = cast(3, float32)
c = constant(1.0)
d = cast(c, float32)
v = Variable(2.0, name="v")
e = cast(v, float32)
f = cast(v, int32)
`);
  t.same(
    r.defaultGraph.nodes.map((n) => n.name),
    ['Cast/x', 'Cast_1/x', 'Cast_1', 'Const', 'v/initial_value', 'v', 'v/Assign', 'Cast_3'],
    'cast of a variable opens its scope (Cast_2) even when no Cast node is needed, as TF1',
  );
  t.equal(r.bindings.get('d'), r.bindings.get('c'));
});

t.test('Floor has no gradient (TF1 _FloorGrad)', async (t) => {
  const r = build(`x = constant([1.5, -2.5])
y = floor(x)
g = gradients(y, [x])
`);
  const g = r.bindings.get('g');
  t.ok(g?.kind === 'list' && g.items.length === 1 && g.items[0].kind === 'none', 'gradients(floor(x), x) is [None]');
  for (const [name, make] of backends(`x = constant([1.5, -2.5, 3.0, -0.0])\ny = floor(x)\n`)) {
    t.same(values(make().run('Floor:0')), [1, -3, 3, -0], name);
  }
});

t.test('a training step reads the rate of the step before minimize increments global_step', async (t) => {
  // lr = 0.1 · 0.5^step; loss = x (gradient 1): x = 1 - 0.1 - 0.05 - 0.025 after three steps.
  const src = `x = Variable(1.0, name="x")
global_step = Variable(0, trainable=False, name="global_step")
lr = exponential_decay(0.1, global_step, 1, 0.5)
train_op = GradientDescentOptimizer(lr).minimize(x, global_step=global_step)
init = global_variables_initializer()
`;
  for (const [name, make] of backends(src)) {
    const s = make();
    s.run('init');
    const xs: number[] = [];
    for (let i = 0; i < 3; i++) {
      s.run('GradientDescent');
      xs.push(values(s.readVariable('x'))[0]);
    }
    close(t, xs, [0.9, 0.85, 0.825], name);
    t.same(values(s.readVariable('global_step')), [3], `${name}: global_step`);
  }
});
