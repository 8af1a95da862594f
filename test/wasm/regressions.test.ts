/**
 * Regressions found by running training graphs on the wasm backend.
 */
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { compileProgram } from '../../compiler/driver.js';
import { loadModelSync } from '../../session/node.js';

const SRC = `
X = placeholder(f32, shape=[None, 2], name="X")
y = placeholder(f32, shape=[None, 1], name="y")
w = variable(zeros([2, 1]), name="w")
gs = get_or_create_global_step()
loss = reduce_mean(square(matmul(X, w) - y), name="loss")
train_op = GradientDescentOptimizer(0.1).minimize(loss, global_step=gs)
signature train(X, y) -> [train_op, loss]
`;

function setup() {
  const r = buildProgram(SRC, 'gs.tfg');
  if (!r.ok) throw new Error('does not build');
  const { wasm, manifest } = compileProgram(r, {});
  const ws = loadModelSync(wasm as Uint8Array<ArrayBuffer>, { manifest }).createSession();
  const rs = new ReferenceSession(r.defaultGraph);
  const init = [...r.defaultGraph.variables.values()].map((v) => v.initializer.name);
  ws.run(init);
  rs.run(init);
  return { ws, rs };
}

const feeds = {
  'X:0': [
    [1, 2],
    [3, 4],
    [5, 6],
  ],
  'y:0': [[1], [2], [3]],
};

t.test('minimize with a scalar global_step compiles into the signature and counts steps', (t) => {
  const { ws, rs } = setup();
  for (let i = 0; i < 3; i++) {
    ws.run(['GradientDescent', 'loss:0'], feeds);
    rs.run(['GradientDescent', 'loss:0'], feeds);
  }
  t.equal(ws.readVariable('global_step').data[0], 3);
  const a = ws.readVariable('w').data;
  const b = rs.readVariable('w').data;
  for (let i = 0; i < b.length; i++) t.ok(Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(b[i])), `w[${i}] ${a[i]} vs ${b[i]}`);
  t.end();
});

t.test("fetching a signature's loss alone does not run its train op", (t) => {
  const { ws, rs } = setup();
  for (const s of [ws, rs]) {
    const l = s.run('loss:0', feeds) as { data: ArrayLike<number> };
    t.equal(l.data[0], Math.fround(14 / 3), 'loss at w = 0');
    t.equal(s.readVariable('global_step').data[0], 0, 'no step taken');
    s.run('GradientDescent', feeds);
    t.equal(s.readVariable('global_step').data[0], 1, 'one step taken');
  }
  const a = ws.readVariable('w').data;
  const b = rs.readVariable('w').data;
  for (let i = 0; i < b.length; i++) t.ok(Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(b[i])), `w[${i}] ${a[i]} vs ${b[i]}`);
  t.end();
});
