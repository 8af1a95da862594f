/**
 * @fileoverview The optimizers' first three steps against values computed independently with
 * numpy (float64 variables; Python-number hyper-parameters rounded to float32 as TF1's
 * `_prepare` does), TF1's names for slots, beta powers and update ops, global_step, var_list,
 * trainable=False variables, a placeholder learning rate, and the errors.
 *
 * Expected values (numpy, w0 = [0.5, -0.25], loss = sum((X·w - y)²) / 2):
 *   lr = float64(float32(0.05)); GD: w -= lr * g; Momentum 0.9: a = a*m + g; w -= a*lr;
 *   Nesterov: w -= g*lr + a*m*lr; Adam(0.1): TF1's ApplyAdam with f32 beta powers.
 */
import t, { type Test } from 'tap';
import { CompileError } from '../../compiler/diagnostics/diagnostic.js';
import { AdamOptimizer, GradientDescentOptimizer, MomentumOptimizer, type Optimizer, getOrCreateGlobalStep } from '../../compiler/grad/optimizers.js';
import { GLOBAL_VARIABLES, Graph, TRAINABLE_VARIABLES, type Node, type VariableInfo } from '../../compiler/ir/graph.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { makeNode } from '../../compiler/ops/build.js';
import { constNode } from './check.js';

function variable(g: Graph, name: string, shape: number[], value: number[], trainable = true): VariableInfo {
  return g.withNameScope(name, (scope) => {
    const init = constNode(g, 'f64', shape, value, 'initial_value');
    const v = makeNode(g, 'variable', [], { dtype: 'f64', shape, trainable }, { name: scope });
    const a = makeNode(g, 'assign', [v, init], {}, { name: 'Assign' });
    const info: VariableInfo = { node: v, initializer: a, initialValue: init, trainable, fromGetVariable: false };
    g.variables.set(v.name, info);
    g.addToCollection(GLOBAL_VARIABLES, v);
    if (trainable) g.addToCollection(TRAINABLE_VARIABLES, v);
    return info;
  });
}

function problem(): { g: Graph; w: VariableInfo; loss: Node } {
  const g = new Graph();
  const X = constNode(g, 'f64', [3, 2], [1, 2, 3, -1, 0.5, 0.25], 'X');
  const y = constNode(g, 'f64', [3, 1], [1, -2, 0.5], 'y');
  const w = variable(g, 'w', [2, 1], [0.5, -0.25]);
  const err = makeNode(g, 'sub', [makeNode(g, 'matmul', [X, w.node]), y]);
  const loss = makeNode(
    g,
    'mul',
    [constNode(g, 'f64', [], [0.5]), makeNode(g, 'reduce_sum', [makeNode(g, 'square', [err])], { axis: null, keepdims: false })],
    {},
    { name: 'loss' },
  );
  return { g, w, loss };
}

function initAll(s: ReferenceSession, g: Graph): void {
  for (const v of g.globalVariables()) s.runOne(v.initializer);
}

function threeSteps(opt: Optimizer): number[][] {
  const { g, w, loss } = problem();
  const train = opt.minimize(g, loss);
  const s = new ReferenceSession(g);
  initAll(s, g);
  const out: number[][] = [];
  for (let i = 0; i < 3; i++) {
    s.runOne(train);
    out.push(Array.from(s.readVariable(w.node.name).data));
  }
  return out;
}

const EXPECTED: Record<string, number[][]> = {
  gd: [
    [-0.00468750752042979, 0.041406254342291504],
    [-0.2379736397649685, 0.23697022067201032],
    [-0.3431447037981927, 0.372825788849096],
  ],
  momentum: [
    [-0.00468750752042979, 0.041406254342291504],
    [-0.6921923845006674, 0.49923584263240617],
    [-1.171856590147123, 0.9608799724288297],
  ],
  nesterov: [
    [-0.4589062522561287, 0.3036718763026873],
    [-0.8468504237877104, 0.7473921550746649],
    [-0.7703801837063928, 1.010396723385362],
  ],
  adam: [
    [0.40000000164281063, -0.15000000393581053],
    [0.3004735291801602, -0.05042348478051828],
    [0.2018330096658355, 0.04836897432632077],
  ],
};

function near(tt: Test, got: number[][], want: number[][], what: string): void {
  got.forEach((row, i) =>
    row.forEach((v, j) =>
      tt.ok(Math.abs(v - want[i][j]) <= 1e-12 * Math.max(1, Math.abs(want[i][j])), `${what} step ${i + 1} w[${j}] = ${v} (numpy ${want[i][j]})`),
    ),
  );
}

t.test('first three steps match numpy', async (tt) => {
  near(tt, threeSteps(new GradientDescentOptimizer(0.05)), EXPECTED.gd, 'GradientDescent');
  near(tt, threeSteps(new MomentumOptimizer(0.05, 0.9)), EXPECTED.momentum, 'Momentum');
  near(tt, threeSteps(new MomentumOptimizer(0.05, 0.9, true)), EXPECTED.nesterov, 'Momentum (Nesterov)');
  near(tt, threeSteps(new AdamOptimizer(0.1)), EXPECTED.adam, 'Adam');
});

t.test('TF1 names: slots, beta powers, update ops, groups; slots are non-trainable globals', async (tt) => {
  const { g, w, loss } = problem();
  const adam = new AdamOptimizer(0.1);
  const train = adam.minimize(g, loss);
  tt.equal(train.name, 'Adam');
  tt.equal(train.op, 'group');
  for (const n of [
    'beta1_power',
    'beta2_power',
    'w/Adam',
    'w/Adam_1',
    'Adam/learning_rate',
    'Adam/beta1',
    'Adam/beta2',
    'Adam/epsilon',
    'Adam/update_w/ApplyAdam',
    'Adam/mul',
    'Adam/Assign',
    'Adam/Assign_1',
  ]) {
    tt.ok(g.get(n), `node ${n}`);
  }
  tt.equal(adam.getSlot(w, 'm')?.node.name, 'w/Adam');
  tt.equal(adam.getSlot(w, 'v')?.node.name, 'w/Adam_1');
  tt.same(adam.getSlotNames(), ['m', 'v']);
  tt.same(
    g.globalVariables().map((v) => v.node.name),
    ['w', 'beta1_power', 'beta2_power', 'w/Adam', 'w/Adam_1'],
  );
  tt.same(
    g.trainableVariables().map((v) => v.node.name),
    ['w'],
  );
  tt.ok(
    g.nodes.some((n) => n.name.startsWith('gradients/')),
    'gradients under gradients/',
  );
  const s = new ReferenceSession(g);
  initAll(s, g);
  s.runOne(train);
  s.runOne(train);
  tt.ok(Math.abs(s.readVariable('beta1_power').data[0] - Math.fround(Math.fround(0.9 * 0.9) * 0.9)) < 1e-7, 'beta1_power advanced after each update');
  // a second minimize reuses the beta powers of this optimizer and graph
  adam.minimize(g, loss);
  tt.notOk(g.get('beta1_power_1'), 'beta powers made once per graph');
  tt.ok(g.get('Adam_1'), 'second minimize under Adam_1');

  const p = problem();
  const mom = new MomentumOptimizer(0.1, 0.9);
  mom.minimize(p.g, p.loss);
  tt.ok(p.g.get('w/Momentum') && p.g.get('w/Momentum/Initializer/zeros') && p.g.get('w/Momentum/Assign'), 'w/Momentum slot with its initializer');
  tt.ok(p.g.get('Momentum/update_w/ApplyMomentum'));
  const q = problem();
  const gd = new GradientDescentOptimizer(0.1).minimize(q.g, q.loss, { name: 'train' });
  tt.equal(gd.name, 'train');
  tt.ok(q.g.get('train/update_w/ApplyGradientDescent') && q.g.get('train/learning_rate'));
});

t.test('global_step is incremented after the updates', async (tt) => {
  const { g, w, loss } = problem();
  const gs = getOrCreateGlobalStep(g, null);
  tt.equal(gs.node.name, 'global_step');
  tt.equal(gs.node.dtype, 'i32');
  tt.equal(getOrCreateGlobalStep(g, null), gs, 'get_or_create returns the same variable');
  const train = new GradientDescentOptimizer(0.05).minimize(g, loss, { globalStep: gs });
  tt.equal(train.name, 'GradientDescent');
  tt.equal(train.op, 'assign_add');
  tt.ok(g.get('GradientDescent/update'), 'group GradientDescent/update');
  const s = new ReferenceSession(g);
  initAll(s, g);
  for (let i = 0; i < 3; i++) s.runOne(train);
  tt.equal(s.readVariable('global_step').data[0], 3);
  near(tt, [Array.from(s.readVariable(w.node.name).data)], [EXPECTED.gd[2]], 'with global step');
});

t.test('var_list, trainable=False, placeholder learning rate, errors', async (tt) => {
  const { g, w, loss } = problem();
  const frozen = variable(g, 'frozen', [1], [2], false);
  const loss2 = makeNode(g, 'add', [loss, makeNode(g, 'reduce_sum', [frozen.node], { axis: null, keepdims: false })]);
  const lr = makeNode(g, 'placeholder', [], { dtype: 'f64', shape: [] }, { name: 'lr' });
  const opt = new GradientDescentOptimizer(lr);
  const gv = opt.computeGradients(g, loss2);
  tt.same(
    gv.map(([, v]) => (v as VariableInfo).node.name),
    ['w'],
    'trainable=False variables are skipped',
  );
  const train = opt.applyGradients(g, gv);
  const s = new ReferenceSession(g);
  initAll(s, g);
  s.run(train.name, { 'lr:0': 0.05 });
  tt.ok(Math.abs(s.readVariable('w').data[0] - -0.004687500000000011) < 1e-12, 'placeholder learning rate fed (no float32 rounding)');
  tt.equal(s.readVariable('frozen').data[0], 2);
  const other = variable(g, 'other', [1], [0]);
  const e = (() => {
    try {
      opt.minimize(g, loss, { varList: [other] });
    } catch (err) {
      return err as CompileError;
    }
    return null;
  })();
  tt.ok(e instanceof CompileError);
  tt.match(
    e!.diagnostics[0].message,
    /^ValueError: No gradients provided for any variable, check your graph for ops that do not support gradients, between variables/,
  );
  void w;
});
