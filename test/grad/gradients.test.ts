/**
 * @fileoverview gradients() as TF1's gradients_impl: names under `gradients/`, spans and
 * forward tags, grad_ys, fan-out with AddN, stop_gradients and the stop_gradient op, integer
 * tensors as constants, unconnected xs, errors (no rule → LookupError 3001 at the forward node,
 * non-float x → 3002), unknown dims, reduce_max ties, second order, reverse-mode cost, and a
 * property test over 200 seeded random compositions checked by finite differences.
 */
import t from 'tap';
import { CompileError } from '../../compiler/diagnostics/diagnostic.js';
import { SourceFile, span } from '../../compiler/diagnostics/span.js';
import { gradients } from '../../compiler/grad/gradients.js';
import { Graph, type Node } from '../../compiler/ir/graph.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { makeNode } from '../../compiler/ops/build.js';
import type { OpDef, TensorSig } from '../../compiler/ops/def.js';
import { getOp } from '../../compiler/ops/registry.js';
import { type Tensor } from '../../session/tensor.js';
import { checkGrads, constNode, op, rng } from './check.js';

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return new Error('expected an error, none was thrown');
}

const ph = (g: Graph, name: string, shape: (number | null)[], dtype: 'f64' | 'f32' | 'i32' = 'f64'): Node =>
  makeNode(g, 'placeholder', [], { dtype, shape }, { name });
const values = (t0: Tensor | null): number[] => Array.from(t0!.data);

t.test('names: gradients/, <op>_grad scopes, TF1 grad_ys names, unique gradients_1; tags and spans', async (tt) => {
  const file = new SourceFile('m.tfg', 'x = placeholder()\nloss = reduce_mean(square(x - 1))\n');
  const sp = span(file, 18, 50);
  const g = new Graph();
  const x = ph(g, 'X', [2, 3]);
  const loss = g.withNameScope('loss', () => {
    const d = makeNode(g, 'sub', [x, constNode(g, 'f64', [], [1])], {}, { span: sp });
    const sq = makeNode(g, 'square', [d], {}, { span: sp });
    return makeNode(g, 'reduce_mean', [sq], { axis: null, keepdims: false }, { name: 'mse', span: sp });
  });
  tt.equal(loss.name, 'loss/mse');
  const before = g.nodes.length;
  const [gx] = gradients(g, [loss], [x]);
  const added = g.nodes.slice(before);
  tt.ok(
    added.every((n) => n.name.startsWith('gradients/')),
    'all under gradients/',
  );
  tt.same(
    added.slice(0, 3).map((n) => n.name),
    ['gradients/Shape', 'gradients/grad_ys_0', 'gradients/Fill'],
  );
  tt.ok(
    added.some((n) => n.name.startsWith('gradients/loss/mse_grad/')),
    'gradients/loss/mse_grad/...',
  );
  tt.ok(
    added.some((n) => n.name.startsWith('gradients/loss/Square_grad/')),
    'gradients/loss/Square_grad/...',
  );
  tt.ok(
    added.every((n) => n.forward !== null),
    'every gradient node is tagged with its forward node',
  );
  const fromMse = added.filter((n) => n.forward === loss);
  tt.ok(fromMse.length > 0 && fromMse.every((n) => n.span === sp), 'gradient nodes carry the forward span');
  const gx2 = gradients(g, [loss], [x])[0]!;
  tt.ok(gx2.name.startsWith('gradients_1/'), `second call under gradients_1/ (${gx2.name})`);
  const named = gradients(g, [loss], [x], { name: 'my_grads' })[0]!;
  tt.ok(named.name.startsWith('my_grads/'));
  const s = new ReferenceSession(g);
  const xv = [
    [1, 2, 3],
    [4, 5, 6],
  ];
  const expect = xv.flat().map((v) => (2 * (v - 1)) / 6);
  const close = (a: number[], b: number[]): boolean => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-12);
  tt.ok(close(values(s.run(gx!, { 'X:0': xv })), expect), 'd mse / dx = 2 (x - 1) / n');
  tt.ok(close(values(s.run(gx2, { 'X:0': xv })), expect));
});

t.test('stop_gradients: a + 2a gives [1, 1] with stop_gradients=[a, b], [3, 1] without (tf1-semantics.md)', async (tt) => {
  const g = new Graph();
  const a = constNode(g, 'f32', [], [0], 'a');
  const b = makeNode(g, 'mul', [constNode(g, 'f32', [], [2]), a]);
  const y = makeNode(g, 'add', [a, b]);
  const stopped = gradients(g, [y], [a, b], { stopGradients: [a, b] });
  const plain = gradients(g, [y], [a, b]);
  const s = new ReferenceSession(g);
  tt.same(
    stopped.map((n) => values(s.runOne(n!))[0]),
    [1, 1],
  );
  tt.same(
    plain.map((n) => values(s.runOne(n!))[0]),
    [3, 1],
  );
});

t.test('the stop_gradient op blocks flow; integer tensors are constants; unconnected x is null', async (tt) => {
  const g = new Graph();
  const x = ph(g, 'x', [3]);
  const z = ph(g, 'z', [3]);
  const y1 = makeNode(g, 'mul', [x, makeNode(g, 'stop_gradient', [x])]);
  const asInt = makeNode(g, 'cast', [makeNode(g, 'cast', [x], { dtype: 'i32' })], { dtype: 'f64' });
  const y2 = makeNode(g, 'mul', [x, asInt]);
  const [g1, gz] = gradients(g, [y1], [x, z]);
  const [g2] = gradients(g, [y2], [x]);
  tt.equal(gz, null, 'x that no y depends on → null');
  const s = new ReferenceSession(g);
  const feeds = { 'x:0': [1.5, -2.5, 3], 'z:0': [0, 0, 0] };
  tt.same(values(s.run(g1!, feeds)), [1.5, -2.5, 3], 'd(x * stop_gradient(x))/dx = x');
  tt.same(values(s.run(g2!, feeds)), [1, -2, 3], 'd(x * float(int(x)))/dx = float(int(x))');
});

t.test('fan-out is summed with AddN at gradients/; several ys are summed; grad_ys seeds', async (tt) => {
  const g = new Graph();
  const x = ph(g, 'x', [2]);
  const y = makeNode(g, 'add', [makeNode(g, 'mul', [x, x]), x]);
  const [gx] = gradients(g, [y], [x]);
  tt.ok(
    g.nodes.some((n) => n.name === 'gradients/AddN' && n.op === 'add_n'),
    'gradients/AddN',
  );
  const y2 = makeNode(g, 'exp', [x]);
  const [gsum] = gradients(g, [y, y2], [x]);
  const seed = constNode(g, 'f64', [2], [10, 100]);
  const [gseed] = gradients(g, [y], [x], { gradYs: [seed] });
  const s = new ReferenceSession(g);
  const xv = [1, 2];
  tt.same(values(s.run(gx!, { 'x:0': xv })), [3, 5]);
  const sum = values(s.run(gsum!, { 'x:0': xv }));
  tt.ok(Math.abs(sum[0] - (3 + Math.E)) < 1e-12 && Math.abs(sum[1] - (5 + Math.exp(2))) < 1e-12, 'sum over ys');
  tt.same(values(s.run(gseed!, { 'x:0': xv })), [30, 500]);
});

t.test('errors: no rule → LookupError 3001 at the forward node; non-float x → 3002; bad grad_ys', async (tt) => {
  const file = new SourceFile('e.tfg', 'y = mystery(x)\n');
  const sp = span(file, 4, 14);
  const g = new Graph();
  const x = ph(g, 'x', [2]);
  const m = g.addNode('mystery', 'weird', [x], {}, 'f64', [2], { span: sp });
  const y = makeNode(g, 'reduce_sum', [m], { axis: null, keepdims: false });
  // A definition with no rule: the typed table cannot hold one (grad is required), an op table
  // handed to gradients() from outside can.
  const mystery = {
    name: 'mystery',
    tfType: 'Mystery',
    doc: '',
    kind: 'opaque',
    lower: { fusion: 'unsupported', reason: 'test op' },
    infer: (s: readonly TensorSig[]) => s[0],
    eval: (i: (Tensor | null)[]) => i[0],
  } as unknown as OpDef;
  const lookup = (n: string): OpDef => (n === 'mystery' ? mystery : getOp(n));
  const e = catchErr(() => gradients(g, [y], [x], { ops: lookup })) as CompileError;
  tt.ok(e instanceof CompileError);
  tt.equal(e.diagnostics[0].code, 3001);
  tt.equal(e.diagnostics[0].message, "LookupError: No gradient defined for operation 'weird' (op type: Mystery)");
  tt.equal(e.diagnostics[0].span, sp, 'located at the forward node');
  const i = ph(g, 'i', [2], 'i32');
  const yi = makeNode(g, 'cast', [i], { dtype: 'f64' });
  const e2 = catchErr(() => gradients(g, [yi], [i])) as CompileError;
  tt.equal(e2.diagnostics?.[0].code, 3002);
  tt.match(e2.diagnostics[0].message, /dtype int32; gradients are defined only with respect to float tensors/);
  const e3 = catchErr(() => gradients(g, [yi], [x], { gradYs: [constNode(g, 'f32', [2], [1, 1])] })) as CompileError;
  tt.equal(e3.diagnostics?.[0].code, 3004);
});

t.test('unknown dims: placeholders [?, 3] and [?] broadcasting at run time', async (tt) => {
  const g = new Graph();
  const X = ph(g, 'X', [null, 3]);
  const yv = ph(g, 'y', [null, 1]);
  const w = ph(g, 'w', [3, 1]);
  const bias = ph(g, 'b', [3]);
  const err = makeNode(g, 'sub', [makeNode(g, 'matmul', [makeNode(g, 'add', [X, bias]), w]), yv]);
  const mse = makeNode(g, 'reduce_mean', [makeNode(g, 'square', [err])], { axis: null, keepdims: false });
  const [gw, gb] = gradients(g, [mse], [w, bias]);
  const s = new ReferenceSession(g);
  const Xv = [
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 10],
    [0, 1, 0],
  ];
  const Yv = [[1], [2], [3], [4]];
  const wv = [[0.1], [-0.2], [0.3]];
  const bv = [0.5, 0, -0.5];
  const [gwv, gbv] = s.run([gw!, gb!], { 'X:0': Xv, 'y:0': Yv, 'w:0': wv, 'b:0': bv });
  const m = Xv.length;
  const Z = Xv.map((r) => r.map((v, j) => v + bv[j]));
  const e = Z.map((r, i) => r.reduce((a, v, j) => a + v * wv[j][0], 0) - Yv[i][0]);
  const expW = [0, 1, 2].map((j) => (2 / m) * Z.reduce((a, r, i) => a + r[j] * e[i], 0));
  const expB = [0, 1, 2].map((j) => (2 / m) * e.reduce((a, ei) => a + ei * wv[j][0], 0));
  values(gwv).forEach((v, j) => tt.ok(Math.abs(v - expW[j]) < 1e-12, `dw[${j}]`));
  values(gbv).forEach((v, j) => tt.ok(Math.abs(v - expB[j]) < 1e-12, `db[${j}]`));
  // [?] + [?]: which side broadcasts is known only at run time (sum_to_like)
  const g2 = new Graph();
  const p = ph(g2, 'p', [null]);
  const q = ph(g2, 'q', [null]);
  const [gp, gq] = gradients(g2, [makeNode(g2, 'reduce_sum', [makeNode(g2, 'mul', [p, q])], { axis: null, keepdims: false })], [p, q]);
  const s2 = new ReferenceSession(g2);
  const [a, b] = s2.run([gp!, gq!], { 'p:0': [2], 'q:0': [1, 2, 3] });
  tt.same([a.shape, values(a)], [[1], [6]]);
  tt.same([b.shape, values(b)], [[3], [2, 2, 2]]);
});

t.test('reduce_max splits ties equally (TF1); maximum gives ties to x', async (tt) => {
  const g = new Graph();
  const x = ph(g, 'x', [4]);
  const [gx] = gradients(g, [makeNode(g, 'reduce_max', [x], { axis: null, keepdims: false })], [x]);
  const y = ph(g, 'y', [4]);
  const [mx, my] = gradients(g, [makeNode(g, 'maximum', [x, y])], [x, y]);
  const s = new ReferenceSession(g);
  tt.same(values(s.run(gx!, { 'x:0': [1, 3, 3, 2] })), [0, 0.5, 0.5, 0]);
  const [a, b] = s.run([mx!, my!], { 'x:0': [1, 2, 3, 4], 'y:0': [2, 2, 2, 5] });
  tt.same(values(a), [0, 1, 1, 0]);
  tt.same(values(b), [1, 0, 0, 1]);
});

t.test('second order: gradients(gradients(f, x)[0], x) for elementwise ops and matmul', async (tt) => {
  const g = new Graph();
  const x = ph(g, 'x', [3]);
  const cube = makeNode(g, 'mul', [makeNode(g, 'square', [x]), x]);
  const [d1] = gradients(g, [cube], [x]);
  const [d2] = gradients(g, [d1!], [x]);
  const A = ph(g, 'A', [2, 2]);
  const f = makeNode(g, 'reduce_sum', [makeNode(g, 'square', [makeNode(g, 'matmul', [A, A])])], { axis: null, keepdims: false });
  const [dA] = gradients(g, [f], [A]);
  const [ddA] = gradients(g, [makeNode(g, 'reduce_sum', [dA!], { axis: null, keepdims: false })], [A]);
  const s = new ReferenceSession(g);
  tt.same(values(s.run(d2!, { 'x:0': [1, -2, 0.5] })), [6, -12, 3], 'd²(x³)/dx² = 6x');
  tt.ok(ddA !== null, 'second-order gradient through matmul exists');
  const res = checkGrads(
    (gg, [a]) => {
      const h = makeNode(gg, 'matmul', [a, a]);
      return gradients(gg, [makeNode(gg, 'reduce_sum', [makeNode(gg, 'square', [h])], { axis: null, keepdims: false })], [a])[0]!;
    },
    [{ shape: [2, 2] }],
  );
  tt.ok(res.ok, `Hessian-vector products of sum((A·A)²) match finite differences ${res.worst}`);
});

t.test('reverse mode: gradients for 10 variables cost about as much IR as for 1', async (tt) => {
  const build = (): { g: Graph; loss: Node; vs: Node[] } => {
    const g = new Graph();
    const vs = Array.from({ length: 10 }, (_, i) => ph(g, `v${i}`, [4]));
    let h = ph(g, 'x', [4]);
    for (const v of vs) h = makeNode(g, 'tanh', [makeNode(g, 'add', [makeNode(g, 'mul', [h, v]), v])]);
    const loss = makeNode(g, 'reduce_sum', [makeNode(g, 'square', [h])], { axis: null, keepdims: false });
    return { g, loss, vs };
  };
  const one = build();
  const n0 = one.g.nodes.length;
  gradients(one.g, [one.loss], [one.vs[0]]);
  const cost1 = one.g.nodes.length - n0;
  const ten = build();
  const m0 = ten.g.nodes.length;
  gradients(ten.g, [ten.loss], ten.vs);
  const cost10 = ten.g.nodes.length - m0;
  tt.ok(cost10 < 2 * cost1, `10 xs add ${cost10} nodes, 1 x adds ${cost1} (not 10-fold)`);
});

t.test('property: 200 random compositions of ops match finite differences', async (tt) => {
  const unary = ['tanh', 'sigmoid', 'sin', 'cos', 'square', 'neg', 'identity'];
  const binary = ['add', 'sub', 'mul', 'safe_div'];
  let failures = 0;
  for (let k = 0; k < 200; k++) {
    const r = rng(9000 + k);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
    const res = checkGrads(
      (g, [a, b]) => {
        const pool: Node[] = [a, b];
        const steps = 3 + Math.floor(r() * 5);
        for (let s = 0; s < steps; s++) {
          const u = pick(pool);
          const kind = r();
          let out: Node;
          if (kind < 0.35) out = op(g, pick(unary), [u]);
          else if (kind < 0.7) {
            const v = pick(pool);
            const bo = pick(binary);
            out = bo === 'safe_div' ? op(g, 'div', [u, op(g, 'add', [op(g, 'square', [v]), constNode(g, 'f64', [], [1])])]) : op(g, bo, [u, v]);
          } else if (kind < 0.78 && u.shape!.length === 2) out = op(g, 'reduce_sum', [u], { axis: [Math.floor(r() * 2)], keepdims: true });
          else if (kind < 0.84 && u.shape!.length >= 1) out = op(g, 'softmax', [u], { axis: -1 });
          else if (kind < 0.9 && u.shape!.length === 2 && u.shape![1] === 3)
            out = op(g, 'matmul', [u, constNode(g, 'f64', [3, 3], [0.5, -1, 0.2, 0.3, 0.8, -0.4, 1.1, 0.1, 0.7])]);
          else if (kind < 0.95 && u.shape!.length === 2 && u.shape![0] === 2) out = op(g, 'strided_slice', [u], { index: [Math.floor(r() * 2)] });
          else out = op(g, 'reduce_mean', [u], { axis: null, keepdims: false });
          pool.push(out);
        }
        return pool[pool.length - 1];
      },
      [{ shape: [2, 3] }, { shape: [3] }],
      { seed: k, rtol: 1e-4, atol: 1e-6 },
    );
    if (!res.ok) {
      failures++;
      tt.fail(`composition ${k}: ${res.worst}`);
    }
  }
  tt.equal(failures, 0, '200 compositions');
});
