/**
 * @fileoverview The language bindings of issue 3 through buildProgram: gradients() with lists
 * and None, stop_gradients, names; optimizers' minimize/compute_gradients/apply_gradients,
 * slot names, global_variables_initializer made after minimize, global step; errors (None used
 * as a tensor, non-float x, no variables).
 */
import t from 'tap';
import { formatDiagnostics } from '../../compiler/diagnostics/diagnostic.js';
import { type BuildResult, buildProgram } from '../../compiler/frontend/index.js';
import { Operation } from '../../compiler/ir/graph.js';
import { ReferenceSession } from '../../compiler/interp/session.js';

function build(src: string): BuildResult {
  return buildProgram(src, 'train.tfg');
}
function buildOk(src: string): BuildResult {
  const r = build(src);
  if (!r.ok) throw new Error(formatDiagnostics(r.diagnostics));
  return r;
}
function firstError(r: BuildResult): string {
  const d = r.diagnostics.find((x) => x.severity === 'error');
  if (!d) return '<no error>';
  const lc = d.span ? d.span.file.lineCol(d.span.start) : { line: 0, col: 0 };
  return `${lc.line}:${lc.col}: TFG${d.code} ${d.message}`;
}

t.test('gradients(): lists, None for unconnected xs, stop_gradients, names', async (tt) => {
  const r = buildOk(`
a = constant(0.)
b = 2 * a
g1 = gradients(a + b, [a, b], stop_gradients=[a, b])
g2 = gradients(a + b, [a, b])
z = constant(1.)
g3 = gradients(a * 3., [a, z])
g4 = gradients([a + b, b], a)
n = g2[0].name
none = g3[1] == None
`);
  const s = new ReferenceSession(r.defaultGraph);
  const get = (name: string, i: number): number => {
    const v = r.bindings.get(name)!;
    if (v.kind !== 'list') throw new Error('not a list');
    const x = v.items[i];
    if (x.kind !== 'tensor') throw new Error('not a tensor');
    return s.runOne(x.node)!.data[0];
  };
  tt.same([get('g1', 0), get('g1', 1)], [1, 1]);
  tt.same([get('g2', 0), get('g2', 1)], [3, 1]);
  tt.same(get('g4', 0), 5);
  tt.same(r.bindings.get('none'), { kind: 'bool', value: true });
  const n = r.bindings.get('n');
  tt.ok(n?.kind === 'str' && n.value.startsWith('gradients_1/'), `second gradients() call under gradients_1/ (${n?.kind === 'str' ? n.value : ''})`);
});

t.test('errors: None used as a tensor, non-float x, no gradient for any variable', async (tt) => {
  tt.match(
    firstError(
      build(`
x = constant(1.)
z = constant(2.)
g = gradients(x * 2., [z])[0]
w = g + 1.
`),
    ),
    /^5:5: TFG2004 TypeError: unsupported operand type\(s\) for \+: 'NoneType' and 'float'/,
  );
  tt.match(
    firstError(
      build(`
x = constant(1.)
z = constant(2.)
g = gradients(x * 2., [z])[0]
w = square(g)
`),
    ),
    /^5:5: TFG2005 ValueError: None values not supported\./,
  );
  tt.match(
    firstError(
      build(`
i = constant(3)
g = gradients(cast(i, float32), [i])
`),
    ),
    /^3:5: TFG3002 TypeError: gradients\(\): xs\[0\] .* has dtype int32/,
  );
  tt.match(
    firstError(
      build(`
v = Variable(1.0, name="v")
c = constant(2.0)
op = GradientDescentOptimizer(0.1).minimize(c * 2., var_list=[v])
`),
    ),
    /^4:6: TFG3004 ValueError: No gradients provided for any variable/,
  );
});

t.test('optimizers: minimize with global step, slots initialized by an initializer made after', async (tt) => {
  const r = buildOk(`
x = constant([[1., 2.], [3., 4.]])
theta = Variable([[0.5], [-0.5]], name="theta")
frozen = Variable(1.0, trainable=False, name="frozen")
with name_scope("loss") {
  mse = reduce_mean(square(matmul(x, theta) * frozen - 1.), name="mse")
}
step = get_or_create_global_step()
adam = AdamOptimizer(learning_rate=0.01)
train_op = adam.minimize(mse, global_step=step)
slots = adam.get_slot_names()
m = adam.get_slot(theta, "m").name
mom = MomentumOptimizer(0.01, 0.9, use_nesterov=True)
gv = mom.compute_gradients(mse)
train_op2 = mom.apply_gradients(gv, name="mom_step")
lr = placeholder(float32, shape=[], name="lr")
train_op3 = GradientDescentOptimizer(lr).minimize(mse)
init = global_variables_initializer()
`);
  const g = r.defaultGraph;
  for (const n of [
    'theta/Adam',
    'theta/Adam_1',
    'beta1_power',
    'beta2_power',
    'theta/Momentum',
    'Adam/update_theta/ApplyAdam',
    'mom_step/update_theta/ApplyMomentum',
    'GradientDescent/update_theta/ApplyGradientDescent',
    'global_step',
    'gradients/loss/mse_grad/BroadcastTo',
  ]) {
    tt.ok(g.get(n), `node ${n}`);
  }
  tt.notOk(g.get('frozen/Adam'), 'trainable=False variables get no slots');
  const s = new ReferenceSession(g);
  s.runOne(new Operation(g.get('init')!));
  const l0 = s.runOne(g.get('loss/mse')!)!.data[0];
  for (let i = 0; i < 5; i++) s.runOne(new Operation(g.get('Adam')!));
  s.run(new Operation(g.get('mom_step')!));
  s.run(new Operation(g.get('GradientDescent')!), { 'lr:0': 0.01 });
  tt.equal(s.readVariable('global_step').data[0], 5);
  tt.ok(s.runOne(g.get('loss/mse')!)!.data[0] < l0, 'loss decreases');
  tt.same(r.bindings.get('slots'), {
    kind: 'list',
    items: [
      { kind: 'str', value: 'm' },
      { kind: 'str', value: 'v' },
    ],
  });
  tt.same(r.bindings.get('m'), { kind: 'str', value: 'theta/Adam:0' });
});
