import t from 'tap';
import { makeUnit } from '../../compiler/passes/rewrite.js';
import { schedule, formatPlan, totalBytesMoved } from '../../compiler/schedule/schedule.js';
import type { LoopKernel, MatmulKernel, ReduceKernel } from '../../compiler/schedule/kernel.js';
import { golden } from '../helpers.js';
import { B } from '../passes/build.js';

/** s = reduce_mean(square(maximum(a*b + c, 0))) over [?, 3] with c a row. */
function lossGraph() {
  const b = new B();
  const a = b.ph('a', [null, 3]);
  const bb = b.ph('b', [null, 3]);
  const c = b.ph('c', [3]);
  const ab = b.op('mul', [a, bb], {}, 'mul');
  const abc = b.op('add', [ab, c], {}, 'add');
  const m = b.op('maximum', [abc, b.c(0)], {}, 'Maximum');
  const sq = b.op('square', [m], {}, 'Square');
  const s = b.op('reduce_mean', [sq], { axis: null, keepdims: false }, 'Mean');
  return { b, a, bb, c, ab, abc, m, sq, s, unit: makeUnit(b.g, [s], [a, bb, c]) };
}

t.test('elementwise chain + reduction: one kernel fused, one per node unfused', (t) => {
  const { unit, s, a, bb, c } = lossGraph();
  const fused = schedule(unit);
  t.equal(fused.kernels.length, 1);
  const k = fused.kernels[0] as ReduceKernel;
  t.equal(k.kind, 'reduce');
  t.same(k.inputs, [a, bb, c], 'reads each input once');
  t.same(k.outputs, [s], 'writes one number');
  t.equal(k.combiner, 'sum');
  t.ok(k.mean);
  t.same(k.axes, [0, 1]);
  t.same(
    k.body.loads.map((l) => l.pattern),
    ['contiguous', 'contiguous', 'row'],
  );
  t.same(
    k.body.exprs.map((e) => e.op),
    ['load', 'load', 'mul', 'load', 'add', 'const', 'maximum', 'square'],
  );
  const unfused = schedule(unit, { noFuse: true });
  t.equal(unfused.kernels.length, 5, 'mul, add, maximum, square, mean (the scalar 0 is an immediate)');
  const env = { B: 1000 };
  t.ok(totalBytesMoved(unfused).eval(env) > 3 * totalBytesMoved(fused).eval(env), 'fusion cuts bytes moved more than 3x');
  t.equal(totalBytesMoved(fused).toString(), '24*B + 16', 'a, b, c read once, one f32 written');
  const g = golden('test/schedule/golden/loss.plan.txt', formatPlan(fused, { env: { B: 32 } }) + '\n## unfused\n' + formatPlan(unfused, { env: { B: 32 } }));
  t.equal(g.actual, g.expected);
  t.end();
});

t.test('MLP layer relu(x @ W + b): a matmul kernel with the bias and relu as epilogue', (t) => {
  const b = new B();
  const x = b.ph('x', [null, 784]);
  const W = b.v('W', [784, 300]);
  const bias = b.v('b', [300]);
  const mm = b.op('matmul', [x, W], { transpose_a: false, transpose_b: false });
  const add = b.op('add', [mm, bias]);
  const h = b.op('relu', [add]);
  const plan = schedule(makeUnit(b.g, [h], [x]));
  t.equal(plan.kernels.length, 1);
  const k = plan.kernels[0] as MatmulKernel;
  t.equal(k.kind, 'matmul');
  t.ok(k.epilogue, 'has an epilogue');
  t.same(
    k.epilogue!.exprs.map((e) => e.op),
    ['acc', 'load', 'add', 'relu'],
  );
  t.same(
    k.epilogue!.loads.map((l) => [l.node.name, l.pattern]),
    [['b', 'row']],
  );
  t.same(k.outputs, [h]);
  t.notOk(plan.memory.bufferOf(mm), 'the product is never materialised');
  t.equal(schedule(makeUnit(b.g, [h], [x]), { noFuse: true }).kernels.length, 3);
  // Two layers: the hidden activation is materialised for the second matmul.
  const W2 = b.v('W2', [300, 10]);
  const mm2 = b.op('matmul', [h, W2], { transpose_a: false, transpose_b: false });
  const y = b.op('add', [mm2, b.v('b2', [10])]);
  const plan2 = schedule(makeUnit(b.g, [y], [x]));
  t.same(
    plan2.kernels.map((k) => [k.kind, (k as MatmulKernel).epilogue ? 'epilogue' : '-']),
    [
      ['matmul', 'epilogue'],
      ['matmul', 'epilogue'],
    ],
  );
  const gp = golden('test/schedule/golden/mlp.plan.txt', formatPlan(plan2, { env: { B: 1 } }));
  t.equal(gp.actual, gp.expected);
  t.end();
});

t.test('a producer with two consumers: cheap is recomputed, expensive is materialised', (t) => {
  const b = new B();
  const x = b.ph('x', [8]);
  const cheap = b.op('mul', [x, x], {}, 'cheap');
  const s1 = b.op('reduce_sum', [cheap], { axis: null, keepdims: false }, 's1');
  const s2 = b.op('reduce_max', [cheap], { axis: null, keepdims: false }, 's2');
  const p = schedule(makeUnit(b.g, [s1, s2], [x]));
  t.equal(p.kernels.length, 2, 'x*x recomputed in both reductions');
  t.notOk(p.memory.bufferOf(cheap));
  const e = b.op('exp', [x], {}, 'e');
  const t1 = b.op('reduce_sum', [e], { axis: null, keepdims: false }, 't1');
  const t2 = b.op('reduce_max', [e], { axis: null, keepdims: false }, 't2');
  const q = schedule(makeUnit(b.g, [t1, t2], [x]));
  t.same(
    q.kernels.map((k) => k.kind),
    ['loop', 'reduce', 'reduce'],
    'exp is its own kernel',
  );
  t.ok(q.memory.bufferOf(e));
  t.same(q.kernels[1].inputs, [e]);
  // An expensive producer under a cheap one that is duplicated is materialised too.
  const e2 = b.op('exp', [x], {}, 'e2');
  const c2 = b.op('add', [e2, x], {}, 'c2');
  const u1 = b.op('reduce_sum', [c2], { axis: null, keepdims: false }, 'u1');
  const u2 = b.op('reduce_min', [c2], { axis: null, keepdims: false }, 'u2');
  const r = schedule(makeUnit(b.g, [u1, u2], [x]));
  t.same(
    r.kernels.map((k) => k.name),
    ['e2', 'u1', 'u2'],
  );
  t.end();
});

t.test('a fetched intermediate fused into its consumer is also stored by it', (t) => {
  const b = new B();
  const x = b.ph('x', [null, 4]);
  const y = b.ph('y', [null, 4]);
  const d = b.op('sub', [x, y], {}, 'd');
  const sq = b.op('square', [d], {}, 'sq');
  const loss = b.op('reduce_mean', [sq], { axis: null, keepdims: false }, 'loss');
  const p = schedule(makeUnit(b.g, [loss, sq], [x, y]));
  t.equal(p.kernels.length, 1);
  const k = p.kernels[0] as ReduceKernel;
  t.same(
    k.outputs.map((n) => n.name),
    ['sq', 'loss'],
  );
  t.equal(k.body.stores.length, 1);
  t.equal(k.body.stores[0].pattern, 'contiguous');
  const buf = p.memory.bufferOf(sq)!;
  t.ok(buf.fetched);
  t.equal(buf.size.toString(), '16*B');
  // Fetched but seen through a broadcast in its consumer: it gets a kernel of its own.
  const row = b.ph('row', [4]);
  const r2 = b.op('neg', [row], {}, 'r2');
  const z = b.op('add', [x, r2], {}, 'z');
  const q = schedule(makeUnit(b.g, [z, r2], [x, row]));
  t.same(
    q.kernels.map((k) => k.name),
    ['r2', 'z'],
  );
  t.end();
});

t.test('layout: transposes and slices are strided loads, reshape is a free alias', (t) => {
  const b = new B();
  const x = b.ph('x', [4, 6]);
  const tr = b.op('transpose', [x], { perm: [1, 0] });
  const y = b.op('add', [tr, b.c(1)], {}, 'y');
  const p = schedule(makeUnit(b.g, [y], [x]));
  t.equal(p.kernels.length, 1);
  const l = (p.kernels[0] as LoopKernel).body.loads[0];
  t.equal(l.pattern, 'strided');
  t.same(l.strides.map(String), ['1', '6']);
  const r = b.op('reshape', [x], { shape: [24] }, 'r');
  const e = b.op('exp', [r], {}, 'e');
  const q = schedule(makeUnit(b.g, [e, r], [x]));
  t.equal(q.kernels.length, 1);
  t.equal(q.memory.bufferOf(r), q.memory.bufferOf(x), 'reshape shares the buffer');
  const sl = b.op('strided_slice', [x], { index: [{ start: 1, stop: null, step: 2 }, 0] }, 'sl');
  const w = b.op('neg', [sl], {}, 'w');
  const s = schedule(makeUnit(b.g, [w], [x]));
  const ls = (s.kernels[0] as LoopKernel).body.loads[0];
  t.same([ls.strides.map(String), String(ls.offset)], [['12'], '6']);
  // reshape of a computed value: the value is materialised first.
  const m = b.op('mul', [x, x], {}, 'm');
  const rm = b.op('reshape', [m], { shape: [-1] }, 'rm');
  const o = b.op('neg', [rm], {}, 'o');
  const v = schedule(makeUnit(b.g, [o], [x]));
  t.same(
    v.kernels.map((k) => k.name),
    ['m', 'o'],
  );
  t.end();
});

t.test('assign updates in place with the update fused (an SGD step is one loop)', (t) => {
  const b = new B();
  const w = b.v('w', [10]);
  const g = b.ph('g', [10]);
  const lr = b.c(0.1, [], 'lr');
  const read = b.op('reduce_sum', [w], { axis: null, keepdims: false }, 'read');
  const step = b.op('assign_sub', [w, b.op('mul', [lr, g])], {}, 'step');
  const p = schedule(makeUnit(b.g, [step, read], [g]));
  t.same(
    p.kernels.map((k) => `${k.kind}:${k.name}`),
    ['reduce:read', 'loop:step'],
    'the old value is read before the update',
  );
  t.equal(p.memory.bufferOf(step), p.memory.bufferOf(w));
  t.equal(p.memory.bufferOf(w)!.role, 'variable');
  const k = p.kernels[1] as LoopKernel;
  t.same(
    k.body.exprs.map((e) => e.op),
    ['const', 'load', 'mul', 'load', 'sub'],
  );
  t.end();
});

t.test('noFuse gives one kernel per value node', (t) => {
  const { unit, b } = lossGraph();
  const p = schedule(unit, { noFuse: true });
  const computed = b.g.nodes.filter((n) => !['placeholder', 'const'].includes(n.op));
  t.equal(p.kernels.length, computed.length);
  t.end();
});

t.test('control dependencies order kernels; a fetched group runs its inputs', (t) => {
  const b = new B();
  const v = b.v('v', [4]);
  const x = b.ph('x', [4]);
  const upd = b.op('assign_add', [v, x], {}, 'upd');
  const grp = b.op('group', [], {}, 'grp', [upd]);
  const after = b.op('reduce_sum', [v], { axis: null, keepdims: false }, 'after', [grp]);
  const p = schedule(makeUnit(b.g, [after, grp], [x]));
  t.same(
    p.kernels.map((k) => k.name),
    ['upd', 'after'],
    'the read under control of the update sees the new value',
  );
  const q = schedule(makeUnit(b.g, [grp], [x]));
  t.same(
    q.kernels.map((k) => k.name),
    ['upd'],
  );
  t.end();
});

t.test('a fed consumer does not force its producer into a buffer', (t) => {
  const b = new B();
  const x = b.ph('x', [4]);
  const m = b.op('mul', [x, x], {}, 'm');
  const fedNode = b.op('exp', [m], {}, 'fedNode');
  const y = b.op('add', [m, fedNode], {}, 'y');
  const p = schedule(makeUnit(b.g, [y], [x, fedNode]));
  t.same(
    p.kernels.map((k) => k.name),
    ['y'],
  );
  t.same(
    p.kernels[0].inputs.map((n) => n.name),
    ['x', 'fedNode'],
  );
  t.end();
});

t.test("assigns read by one loop element for element are fused into it (Adam's m, v and parameter: one pass)", (t) => {
  const b = new B();
  const w = b.v('w', [7, 3]);
  const m = b.v('m', [7, 3]);
  const v = b.v('v', [7, 3]);
  const g = b.ph('g', [7, 3]);
  const m1 = b.op('assign_add', [m, b.op('mul', [b.op('sub', [g, m]), b.c(0.1)])], {}, 'm1');
  const v1 = b.op('assign_add', [v, b.op('mul', [b.op('sub', [b.op('square', [g]), v]), b.c(0.001)])], {}, 'v1');
  const step = b.op('assign_sub', [w, b.op('div', [b.op('mul', [m1, b.c(0.01)]), b.op('add', [b.op('sqrt', [v1]), b.c(1e-8)])])], {}, 'step');
  const p = schedule(makeUnit(b.g, [step], [g]));
  t.equal(p.kernels.length, 1, 'one kernel');
  const k = p.kernels[0] as LoopKernel;
  t.same(
    k.inputs.map((n) => n.name),
    ['g', 'm', 'v', 'w'],
    'reads the gradient, m, v and w',
  );
  t.same(
    k.outputs.map((n) => n.name),
    ['m1', 'v1', 'step'],
    'writes m, v and w',
  );
  for (const [a, x] of [
    [m1, m],
    [v1, v],
    [step, w],
  ])
    t.equal(p.memory.bufferOf(a), p.memory.bufferOf(x), `${a.name} is stored in place into ${x.name}`);
  // fetching the new m as well changes nothing; a second reader of m1 makes it a kernel of its own
  t.equal(schedule(makeUnit(b.g, [step, m1], [g])).kernels.length, 1);
  const other = b.op('reduce_sum', [m1], { axis: null, keepdims: false }, 'other');
  t.same(
    schedule(makeUnit(b.g, [step, other], [g])).kernels.map((x) => x.name),
    ['m1', 'step', 'other'],
  );
  t.end();
});
