/**
 * @fileoverview Training graphs with an unknown batch dim on the wasm backend: the gradient
 * helper's internal ops (fill_dims, broadcast_like, sum_to_like, ...) lowered, so an MLP with
 * `X: [None, 784]`, `y: [None]` (and TF1's unknown-rank `shape=(None)` labels) compiles
 * `gradients` + GradientDescent/Adam `minimize` into one signature `train_step(X, y) ->
 * [train_op, loss]`, and a few steps run as ONE call each give the reference Session's losses and
 * weights (f32 tolerance of helpers.ts). Fused and unfused; the generic path too.
 */
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { Tensor } from '../../session/tensor.js';
import { compareTensors, rng } from './helpers.js';

function mlp(optimizer: string, labelShape: string): string {
  return `set_random_seed(42)
X = placeholder(float32, shape=(None, 784), name="X")
y = placeholder(int32, shape=${labelShape}, name="y")
def layer(X, n, name, act=None) {
  with name_scope(name) {
    k = int(X.get_shape()[1])
    W = Variable(truncated_normal((k, n), stddev=2 / sqrt(float(k))), name="kernel")
    b = Variable(zeros([n]), name="bias")
    Z = matmul(X, W) + b
    if act != None { return act(Z) }
    return Z
  }
}
h = layer(X, 20, "hidden1", act=relu)
logits = layer(h, 10, "outputs")
loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits), name="loss")
train_op = ${optimizer}.minimize(loss)
init = global_variables_initializer()
signature train_step(X, y) -> [train_op, loss]
`;
}

function data(seed: number, rows: number): { X: Tensor; y: Tensor } {
  const r = rng(seed);
  const x = new Float32Array(rows * 784);
  for (let i = 0; i < x.length; i++) x[i] = r();
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) y[i] = Math.floor(r() * 10);
  return { X: new Tensor('f32', [rows, 784], x), y: new Tensor('i32', [rows], y) };
}

const CASES: Array<[string, string]> = [
  ['AdamOptimizer(learning_rate=0.01)', '(None)'],
  ['GradientDescentOptimizer(learning_rate=0.1)', '[None]'],
];

for (const [opt, yShape] of CASES) {
  t.test(`${opt}, y shape=${yShape}: train_step is one call and matches the reference`, (t) => {
    const res = buildProgram(mlp(opt, yShape), 'mlp.tfg');
    if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
    for (const fuse of [true, false]) {
      const c = compileProgram(res, { fuse });
      t.equal(c.manifest.signatures[0].name, 'train_step');
      const [opF, lossF] = c.manifest.signatures[0].fetches as [{ op: string }, string];
      const fetches = [opF.op, lossF];
      const model = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>);
      const s = model.createSession({ seed: 1 });
      const ref = new ReferenceSession(res.defaultGraph, { seed: 1 });
      ref.run('init');
      s.run('init');
      // same initial weights on both sides (the random streams agree; copied to be independent of it)
      for (const v of s.variableNames()) s.writeVariable(v, ref.run(`${v}:0`) as Tensor);
      for (let step = 0; step < 3; step++) {
        const { X, y } = data(100 + step, 5 + step * 4);
        const feeds = { 'X:0': X, 'y:0': y };
        const calls = s.stats.signatureCalls;
        const got = s.run(fetches, feeds) as [null, Tensor];
        const want = ref.run(fetches, feeds) as [null, Tensor];
        t.equal(got[0], null);
        t.equal(compareTensors(got[1], want[1]), null, `fuse=${fuse} step ${step}: loss ${got[1].data[0]} vs ${want[1].data[0]}`);
        t.equal(s.stats.signatureCalls, calls + 1, 'one signature call');
      }
      for (const v of s.variableNames()) {
        const m = compareTensors(s.readVariable(v), ref.run(`${v}:0`) as Tensor);
        t.equal(m, null, `fuse=${fuse} variable ${v}`);
      }
      // the generic path (another fetch combination) agrees too
      const { X, y } = data(7, 3);
      const g = s.run({ loss: 'loss:0', logits: 'outputs/add:0' }, { 'X:0': X, 'y:0': y }) as Record<string, Tensor>;
      const r = ref.run({ loss: 'loss:0', logits: 'outputs/add:0' }, { 'X:0': X, 'y:0': y }) as Record<string, Tensor>;
      t.equal(compareTensors(g.loss, r.loss), null, 'generic loss');
      t.equal(compareTensors(g.logits, r.logits), null, 'generic logits');
    }
    t.end();
  });
}
