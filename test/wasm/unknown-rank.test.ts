/**
 * @fileoverview A placeholder of unknown rank (TF1's `shape=None`) on the wasm generic path (issue
 * 13): the nodes that depend on it run through the run-time-shape kernels (compiler/codegen/
 * dynamic.ts, session/wasm/dynamic.ts) and must agree with the reference Session:
 * - every case of test/ops/fixtures.json with its inputs fed through placeholders of unknown rank
 *   (an op without a run-time-shape kernel must raise UnimplementedError naming the node);
 * - each supported op at ranks 0–4 with broadcasting both ways, successive runs of one session
 *   with feeds of different ranks, fused and unfused builds;
 * - nodes mixing the unknown-rank placeholder with planned ones (a variable, a `[None, 3]`
 *   placeholder and what is computed from it);
 * - run-time errors (class and message equal to the reference's);
 * - a sweep of random graphs over an unknown-rank placeholder.
 * Values are compared bit for bit, except where the reference's JS arithmetic is not the wasm
 * runtime's (transcendentals, matmul and softmax: the runtime's kernels, within the tolerance of
 * helpers.ts); those are also compared bit for bit against the planned kernels of the same graph
 * with the fed shapes known when it compiles.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { compileGraph } from '../../compiler/driver.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { type Attrs, Graph, type Node } from '../../compiler/ir/graph.js';
import { makeNode } from '../../compiler/ops/build.js';
import type { DType } from '../../session/dtype.js';
import { UnimplementedError } from '../../session/errors.js';
import { Tensor, fromNested } from '../../session/tensor.js';
import type { Model } from '../../session/wasm/model.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { repoPath } from '../helpers.js';
import { type FixtureTensor, fromFixture } from '../ops/harness.js';
import { compareTensors, rng } from './helpers.js';

/** Ops whose reference arithmetic is JS's and wasm's the runtime's: compared within tolerance (and bit for bit with the planned kernels). */
const RUNTIME_MATH = new Set(['exp', 'log', 'log1p', 'sin', 'cos', 'tanh', 'sigmoid', 'pow', 'softmax', 'log_softmax', 'matmul', 'floormod', 'expm1', 'rsqrt']);

/** Bit-exact comparison (NaN equals NaN; -0 is not 0). */
function sameBits(got: Tensor | null, want: Tensor | null): string | null {
  if (want === null || got === null) return got === want ? null : `got ${String(got)} want ${String(want)}`;
  if (got.dtype !== want.dtype) return `dtype ${got.dtype} vs ${want.dtype}`;
  if (got.shape.join(',') !== want.shape.join(',')) return `shape [${got.shape}] vs [${want.shape}]`;
  for (let i = 0; i < want.size; i++) {
    const a = got.data[i];
    const b = want.data[i];
    if (!(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)))) return `element ${i}: got ${a} want ${b}`;
  }
  return null;
}

function generic(g: Graph, fuse: boolean): Model {
  return loadModelSync(compileGraph(g, [], { fuse, generic: true, optimize: fuse }).wasm as Uint8Array<ArrayBuffer>);
}

function outcome<T>(fn: () => T): T | Error {
  try {
    return fn();
  } catch (e) {
    return e as Error;
  }
}

/** Null when wasm's outcome is the reference's: the same error class and message, or the same value (bit for bit unless `tolerant`). */
function agree(got: Tensor | null | Error, want: Tensor | null | Error, tolerant: boolean): string | null {
  if (want instanceof Error || got instanceof Error) {
    if (want instanceof Error && got instanceof Error)
      return want.constructor.name === got.constructor.name && want.message === got.message
        ? null
        : `error ${got.constructor.name}: ${got.message} vs ${want.constructor.name}: ${want.message}`;
    return `got ${got instanceof Error ? `error ${got.message}` : 'a value'}, reference ${want instanceof Error ? `error ${want.message}` : 'a value'}`;
  }
  return tolerant ? compareTensors(got, want) : sameBits(got, want);
}

function randomTensor(r: () => number, dtype: DType, shape: number[]): Tensor {
  const x = Tensor.zeros(dtype, shape);
  for (let i = 0; i < x.size; i++)
    x.data[i] =
      dtype === 'bool' ? (r() < 0.5 ? 1 : 0) : dtype === 'i32' ? Math.floor(r() * 20) - 10 : Math.round((r() * 6 - 3) * 64) / 64 + (r() < 0.5 ? 0 : 1 / 3);
  return x;
}

// ---------------------------------------------------------------- fixtures with unknown ranks

interface FixtureCase {
  op: string;
  note: string;
  inputs: FixtureTensor[];
  attrs: Attrs;
  error?: string;
}

t.test('every fixture case with its inputs of unknown rank: the reference result, or UnimplementedError naming the node', (t) => {
  const fixtures = (JSON.parse(readFileSync(repoPath('test/ops/fixtures.json'), 'utf8')) as { cases: FixtureCase[] }).cases;
  const g = new Graph('fixtures');
  const built: { c: FixtureCase; feeds: Node[]; out: Node; values: Tensor[] }[] = [];
  fixtures.forEach((c, k) => {
    try {
      const values = c.inputs.map(fromFixture);
      const feeds = values.map((v, j) => makeNode(g, 'placeholder', [], { dtype: v.dtype, shape: null }, { name: `c${k}_in${j}` }));
      const out = makeNode(g, c.op, feeds, c.attrs, { name: `c${k}_out` });
      if (out.dtype !== null) built.push({ c, feeds, out, values });
    } catch {
      // an op whose static rule needs a known rank (its construction fails as TF1's would)
    }
  });
  const ran = new Map<string, number>();
  const refused = new Set<string>();
  for (const fuse of [true, false]) {
    const model = generic(g, fuse);
    const s = model.createSession({ seed: 3 });
    const ref = new ReferenceSession(g, { seed: 3 });
    let bad = 0;
    for (const b of built) {
      const feeds = Object.fromEntries(b.feeds.map((f, j) => [`${f.name}:0`, b.values[j]]));
      const fetch = `${b.out.name}:0`;
      const want = outcome(() => ref.run(fetch, feeds) as Tensor);
      const got = outcome(() => s.run(fetch, feeds) as Tensor);
      const mn = model.node(b.out.name)!;
      let msg: string | null;
      if (mn.dynamic || !mn.unsupported) {
        msg = agree(got, want, RUNTIME_MATH.has(b.c.op));
        if (msg === null) ran.set(b.c.op, (ran.get(b.c.op) ?? 0) + 1);
      } else {
        refused.add(b.c.op);
        msg =
          got instanceof UnimplementedError && got.message.startsWith(`'${b.out.name}' (op ${b.c.op}) cannot run on the WebAssembly backend`)
            ? null
            : `expected UnimplementedError naming ${b.out.name}, got ${got instanceof Error ? got.message : 'a value'}`;
      }
      if (msg !== null) {
        bad++;
        t.fail(`${b.c.op} ${b.c.note} (fuse=${fuse}): ${msg}`);
      }
    }
    t.equal(bad, 0, `fuse=${fuse}: ${built.length} cases`);
  }
  for (const op of [
    'add',
    'mul',
    'select',
    'cast',
    'add_n',
    'reduce_sum',
    'reduce_mean',
    'argmax',
    'matmul',
    'softmax',
    'transpose',
    'reshape',
    'squeeze',
    'slice',
    'strided_slice',
  ])
    t.ok(ran.get(op), `${op} runs with run-time shapes (${ran.get(op) ?? 0} cases)`);
  t.comment(`ran with run-time shapes: ${[...ran.keys()].sort().join(' ')}`);
  t.comment(
    `no run-time-shape kernel (UnimplementedError): ${[...refused]
      .filter((o) => !ran.has(o))
      .sort()
      .join(' ')}`,
  );
  t.end();
});

// ---------------------------------------------------------------- ops at ranks 0–4

/** A shape of rank r with dims from {1, 2, 3}. */
function randomShape(r: () => number, rank: number): number[] {
  return Array.from({ length: rank }, () => 1 + Math.floor(r() * 3));
}

/** A shape `q` broadcasting with `p` (either may have the higher rank, dims equal or 1 on either side). */
function broadcastPartner(r: () => number, p: number[]): number[] {
  const rank = Math.floor(r() * 5);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const j = p.length - rank + i;
    const pd = j >= 0 ? p[j] : null;
    out.push(pd === null ? 1 + Math.floor(r() * 3) : pd === 1 ? 1 + Math.floor(r() * 3) : r() < 0.3 ? 1 : pd);
  }
  return out;
}

interface RankGraph {
  g: Graph;
  /** Fetched nodes whose values come from the runtime's math (compared within tolerance). */
  outs: { node: Node; tolerant: boolean }[];
}

/** Every supported op over p (f32, unknown rank) and q (f32, unknown rank), fetched together. */
function rankGraph(rankSeed: number): RankGraph {
  const g = new Graph('ranks');
  const p = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: null }, { name: 'p' });
  const q = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: null }, { name: 'q' });
  const outs: RankGraph['outs'] = [];
  const add = (op: string, ins: Node[], attrs: Attrs = {}): Node => {
    const n = makeNode(g, op, ins, attrs, { name: `${op}_${outs.length}` });
    outs.push({ node: n, tolerant: RUNTIME_MATH.has(op) });
    return n;
  };
  for (const op of ['neg', 'square', 'abs', 'relu', 'exp', 'sigmoid', 'tanh', 'sqrt', 'sign', 'identity', 'stop_gradient']) add(op, [p]);
  add('cast', [p], { dtype: 'i32' });
  add('cast', [p], { dtype: 'f64' });
  add('leaky_relu', [p], { alpha: 0.2 });
  for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'less', 'equal', 'pow']) add(op, [p, q]);
  add('select', [add('greater', [p, q]), p, q]);
  add('add_n', [p, p, p]);
  const r = rng(rankSeed);
  for (const op of ['reduce_sum', 'reduce_mean', 'reduce_max', 'reduce_min', 'reduce_prod']) {
    add(op, [p], { axis: null, keepdims: false });
    add(op, [p], { axis: null, keepdims: true });
    add(op, [q], { axis: [0], keepdims: r() < 0.5 });
    add(op, [q], { axis: [-1], keepdims: true });
  }
  add('argmax', [q], { axis: 0 });
  add('argmin', [q], { axis: -1 });
  add('reshape', [p], { shape: [-1] });
  add('expand_dims', [p], { axis: 0 });
  add('expand_dims', [p], { axis: -1 });
  add('squeeze', [p], { axis: null });
  add('transpose', [p], { perm: null });
  add('strided_slice', [q], { index: [{ start: null, stop: null, step: -1 }] });
  add('strided_slice', [q], { index: ['newaxis', { start: 1, stop: null, step: null }] });
  add('strided_slice', [q], { index: [0] });
  const idx = makeNode(g, 'const', [], { dtype: 'i32', shape: [2], value: [1, 0] }, { name: 'idx' });
  add('gather', [q, idx], { axis: 0 });
  add('gather', [q, idx], { axis: -1 });
  add('concat', [p, p, p], { axis: 0 });
  add('concat', [q, q], { axis: -1 });
  add('stack', [p, p], { axis: 0 });
  add('stack', [q, q, q], { axis: -1 });
  add('softmax', [q], { axis: -1 });
  add('log_softmax', [q], { axis: -1 });
  add('shape', [p]);
  add('size', [p]);
  add('rank', [p]);
  add('zeros_like', [p]);
  add('ones_like', [q]);
  return { g, outs };
}

t.test('each op at ranks 0-4, broadcasting both ways, successive runs of one session (fused and unfused builds)', (t) => {
  const { g, outs } = rankGraph(11);
  for (const fuse of [true, false]) {
    const s = generic(g, fuse).createSession();
    const ref = new ReferenceSession(g);
    const r = rng(fuse ? 1 : 2);
    let bad = 0;
    let runs = 0;
    for (let run = 0; run < 40; run++) {
      const rank = run % 5;
      const ps = randomShape(r, rank);
      const qs = broadcastPartner(r, ps);
      const feeds = { 'p:0': randomTensor(r, 'f32', ps), 'q:0': randomTensor(r, 'f32', qs) };
      for (const o of outs) {
        const fetch = `${o.node.name}:0`;
        const msg = agree(
          outcome(() => s.run(fetch, feeds) as Tensor),
          outcome(() => ref.run(fetch, feeds) as Tensor),
          o.tolerant,
        );
        runs++;
        if (msg !== null) {
          bad++;
          t.fail(`${o.node.name} with p ${JSON.stringify(ps)}, q ${JSON.stringify(qs)} (fuse=${fuse}): ${msg}`);
        }
      }
    }
    t.equal(bad, 0, `fuse=${fuse}: ${runs} fetches over 40 runs of ranks 0-4 agree`);
  }
  t.end();
});

t.test('the runtime-math ops and matmul: the same bits as the planned kernels for the same shapes', (t) => {
  const r = rng(7);
  for (const [ps, qs] of [
    [
      [2, 3],
      [3, 4],
    ],
    [[5], [5]],
    [
      [2, 2, 3],
      [2, 3, 2],
    ],
    [
      [4, 1, 3],
      [4, 3, 5],
    ],
  ] as [number[], number[]][]) {
    const vals = { p: randomTensor(r, 'f32', ps), q: randomTensor(r, 'f32', qs) };
    const got: Tensor[][] = [];
    for (const known of [false, true]) {
      const g = new Graph('twin');
      const p = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: known ? ps : null }, { name: 'p' });
      const q = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: known ? qs : null }, { name: 'q' });
      const nodes = [
        ...['exp', 'sigmoid', 'tanh', 'log'].map((op) => makeNode(g, op, [p], {}, { name: op })),
        makeNode(g, 'softmax', [p], { axis: -1 }, { name: 'sm' }),
        makeNode(g, 'log_softmax', [q], { axis: -1 }, { name: 'lsm' }),
      ];
      if (ps.length > 1) nodes.push(makeNode(g, 'matmul', [p, q], {}, { name: 'mm' }));
      const s = generic(g, false).createSession();
      got.push(nodes.map((n) => s.run(`${n.name}:0`, { 'p:0': vals.p, 'q:0': vals.q }) as Tensor));
    }
    got[0].forEach((x, i) => t.equal(sameBits(x, got[1][i]), null, `${JSON.stringify(ps)} × ${JSON.stringify(qs)}: output ${i}`));
  }
  t.end();
});

// ---------------------------------------------------------------- mixed with planned nodes

t.test('mixed with planned nodes: a variable, a [None, 3] placeholder and what is computed from it', (t) => {
  const g = new Graph('mixed');
  const p = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: null }, { name: 'p' });
  const x = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: [null, 3] }, { name: 'x' });
  const v = makeNode(g, 'variable', [], { dtype: 'f32', shape: [3], trainable: true }, { name: 'v' });
  const x2 = makeNode(g, 'mul', [x, makeNode(g, 'const', [], { dtype: 'f32', shape: [], value: [2] }, { name: 'two' })], {}, { name: 'x2' });
  const a = makeNode(g, 'add', [p, v], {}, { name: 'a' });
  const b = makeNode(g, 'sub', [x2, p], {}, { name: 'b' });
  const c = makeNode(g, 'reduce_sum', [b], { axis: [-1], keepdims: false }, { name: 'c' });
  const d = makeNode(g, 'matmul', [x, makeNode(g, 'reshape', [a], { shape: [3, -1] }, { name: 'a3' })], {}, { name: 'd' });
  const vv = fromNested('f32', [0.5, -1, 2]);
  for (const fuse of [true, false]) {
    const s = generic(g, fuse).createSession();
    s.writeVariable('v', vv);
    const ref = new ReferenceSession(g);
    ref.writeVariable('v', vv);
    const r = rng(fuse ? 3 : 4);
    for (const [ps, rows] of [
      [[3], 2],
      [[2, 3], 2],
      [[], 4],
      [[1, 1, 3], 1],
      [[4, 2, 3], 4],
      [[2, 1], 2],
    ] as [number[], number][]) {
      const feeds = { 'p:0': randomTensor(r, 'f32', ps), 'x:0': randomTensor(r, 'f32', [rows, 3]) };
      for (const n of [a, b, c, d, x2]) {
        const msg = agree(
          outcome(() => s.run(`${n.name}:0`, feeds) as Tensor),
          outcome(() => ref.run(`${n.name}:0`, feeds) as Tensor),
          n === d,
        );
        t.equal(msg, null, `${n.name} with p ${JSON.stringify(ps)}, x [${rows},3] (fuse=${fuse})`);
      }
      // all at once, and with a planned node fed
      const all = [a, b, c, x2].map((n) => `${n.name}:0`);
      const [gotAll, wantAll] = [outcome(() => s.run(all, feeds) as Tensor[]), outcome(() => ref.run(all, feeds) as Tensor[])];
      if (gotAll instanceof Error || wantAll instanceof Error)
        t.equal(agree(gotAll as Error, wantAll as Error, false), null, 'fetched together: the same error');
      else
        t.same(
          gotAll.map((x, i) => sameBits(x, wantAll[i])),
          [null, null, null, null],
          'fetched together',
        );
      const fedX2 = { ...feeds, 'x2:0': randomTensor(r, 'f32', [rows, 3]) };
      t.equal(
        agree(
          outcome(() => s.run('b:0', fedX2) as Tensor),
          outcome(() => ref.run('b:0', fedX2) as Tensor),
          false,
        ),
        null,
        'a planned input fed',
      );
    }
  }
  t.end();
});

// ---------------------------------------------------------------- errors

t.test("run-time errors: the reference's class and message, at the node", (t) => {
  const g = new Graph('errors');
  const p = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: null }, { name: 'p' });
  const q = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: null }, { name: 'q' });
  const i = makeNode(g, 'placeholder', [], { dtype: 'i32', shape: null }, { name: 'i' });
  const nodes = [
    makeNode(g, 'add', [p, q], {}, { name: 'sum' }),
    makeNode(g, 'reshape', [p], { shape: [2, -1] }, { name: 'r1' }),
    makeNode(g, 'reshape', [p], { shape: [5] }, { name: 'r2' }),
    makeNode(g, 'reshape', [p, i], {}, { name: 'r3' }),
    makeNode(g, 'reduce_sum', [p], { axis: [2], keepdims: false }, { name: 'rs' }),
    makeNode(g, 'argmax', [p], { axis: 0 }, { name: 'am' }),
    makeNode(g, 'matmul', [p, q], {}, { name: 'mm' }),
    makeNode(g, 'softmax', [p], { axis: -1 }, { name: 'sm' }),
    makeNode(g, 'squeeze', [p], { axis: [0] }, { name: 'sq' }),
    makeNode(g, 'expand_dims', [p], { axis: 3 }, { name: 'ed' }),
    makeNode(g, 'transpose', [p], { perm: [0, 0] }, { name: 'tr' }),
    makeNode(g, 'add_n', [p, q], {}, { name: 'an' }),
    makeNode(g, 'floordiv', [i, makeNode(g, 'identity', [i], {}, { name: 'i2' })], {}, { name: 'fd' }),
  ];
  const s = generic(g, true).createSession();
  const ref = new ReferenceSession(g);
  const cases: Record<string, number | number[] | number[][]>[] = [
    { 'p:0': [1, 2, 3], 'q:0': [1, 2], 'i:0': [0, 1] },
    { 'p:0': [[1, 2]], 'q:0': [[1], [2], [3]], 'i:0': [3, 7] },
    { 'p:0': 1, 'q:0': [[1, 2]], 'i:0': [1] },
    { 'p:0': [[]], 'q:0': [[1, 2]], 'i:0': [1, 0] },
    {
      'p:0': [
        [1, 2],
        [3, 4],
      ],
      'q:0': [[1, 2, 3]],
      'i:0': [4],
    },
  ];
  let n = 0;
  for (const feeds of cases)
    for (const node of nodes) {
      const fetch = `${node.name}:0`;
      const want = outcome(() => ref.run(fetch, feeds) as Tensor);
      const got = outcome(() => s.run(fetch, feeds) as Tensor);
      if (want instanceof Error) n++;
      t.equal(agree(got, want, false), null, `${node.name} with ${JSON.stringify(feeds)}${want instanceof Error ? `: ${want.message.split('\n')[0]}` : ''}`);
      if (want instanceof Error && got instanceof Error)
        t.same([(got as { nodeName?: string }).nodeName, got.message], [(want as { nodeName?: string }).nodeName, want.message], 'node and location');
    }
  t.ok(n >= 20, `${n} of the runs fail in the reference, each the same way on wasm`);
  t.end();
});

t.test('a node without a run-time-shape kernel: UnimplementedError naming it; the session stays usable', (t) => {
  const g = new Graph('unsupported');
  const p = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: null }, { name: 'p' });
  makeNode(
    g,
    'one_hot',
    [makeNode(g, 'cast', [p], { dtype: 'i32' }, { name: 'pi' })],
    { depth: 3, on_value: 1, off_value: 0, axis: -1, dtype: 'f32' },
    { name: 'first' },
  );
  makeNode(g, 'neg', [p], {}, { name: 'n' });
  const model = generic(g, true);
  const s = model.createSession();
  const e = outcome(() => s.run('first:0', { 'p:0': [1, 2, 3] }));
  t.ok(e instanceof UnimplementedError, String(e));
  t.match((e as Error).message, /^'first' \(op one_hot\) cannot run on the WebAssembly backend: op one_hot has no kernel for run-time shapes/);
  t.same(Array.from((s.run('n:0', { 'p:0': [1, 2, 3] }) as Tensor).data), [-1, -2, -3]);
  t.match(outcome(() => s.run('n:0')) as Error, { name: 'InvalidArgumentError', message: /You must feed a value for placeholder tensor 'p' with dtype float/ });
  t.end();
});

// ---------------------------------------------------------------- random graphs

const UNARY = ['neg', 'square', 'abs', 'relu', 'identity', 'sign', 'exp', 'tanh'];
const BINARY = ['add', 'sub', 'mul', 'maximum', 'minimum', 'div'];

/** A random graph over p (unknown rank), a constant [3] and a variable [3]; every node fetched. */
function randomGraph(seed: number): { g: Graph; nodes: Node[]; vv: Tensor } {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const g = new Graph(`rg${seed}`);
  const p = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: null }, { name: 'p' });
  const c = makeNode(g, 'const', [], { dtype: 'f32', shape: [3], value: [0.5, -2, 3] }, { name: 'c' });
  const v = makeNode(g, 'variable', [], { dtype: 'f32', shape: [3], trainable: true }, { name: 'v' });
  const pool: Node[] = [p, c, v];
  const nodes: Node[] = [];
  for (let i = 0; i < 10; i++) {
    const k = r();
    const x = pool[pool.length - 1 - Math.floor(r() * Math.min(4, pool.length))];
    let n: Node;
    try {
      if (k < 0.35) n = makeNode(g, pick(UNARY), [x], {}, { name: `n${i}` });
      else if (k < 0.7) n = makeNode(g, pick(BINARY), [x, pick(pool)], {}, { name: `n${i}` });
      else if (k < 0.8)
        n = makeNode(g, pick(['reduce_sum', 'reduce_max', 'reduce_mean']), [x], { axis: r() < 0.5 ? null : [-1], keepdims: true }, { name: `n${i}` });
      else if (k < 0.9) n = makeNode(g, pick(['expand_dims', 'squeeze', 'reshape']), [x], { axis: 0, shape: [-1] }, { name: `n${i}` });
      else n = makeNode(g, 'softmax', [x], { axis: -1 }, { name: `n${i}` });
    } catch {
      continue;
    }
    pool.push(n);
    nodes.push(n);
  }
  return { g, nodes, vv: fromNested('f32', [1.5, -0.25, 2]) };
}

t.test('random graphs over an unknown-rank placeholder, fed ranks 0-4 on successive runs', (t) => {
  let bad = 0;
  let checked = 0;
  for (let seed = 1; seed <= 24; seed++) {
    const { g, nodes, vv } = randomGraph(seed);
    const s = generic(g, seed % 2 === 0).createSession();
    s.writeVariable('v', vv);
    const ref = new ReferenceSession(g);
    ref.writeVariable('v', vv);
    const r = rng(seed * 31);
    for (let run = 0; run < 5; run++) {
      const rank = Math.floor(r() * 5);
      const shape = randomShape(r, rank).map((d, i) => (i === rank - 1 ? (r() < 0.7 ? 3 : 1) : d));
      const feeds = { 'p:0': randomTensor(r, 'f32', shape) };
      for (const n of nodes) {
        const tolerant = n.op === 'exp' || n.op === 'tanh' || n.op === 'softmax' || nodes.some((m) => RUNTIME_MATH.has(m.op) && m.id < n.id);
        const msg = agree(
          outcome(() => s.run(`${n.name}:0`, feeds) as Tensor),
          outcome(() => ref.run(`${n.name}:0`, feeds) as Tensor),
          tolerant,
        );
        checked++;
        if (msg !== null) {
          bad++;
          t.fail(`seed ${seed}, p ${JSON.stringify(shape)}, ${n.name} (${n.op}): ${msg}`);
        }
      }
    }
  }
  t.equal(bad, 0, `${checked} fetches over 24 graphs agree`);
  t.end();
});

// ---------------------------------------------------------------- unknown dims no single B describes

t.test('fed unknown dims that no single batch size describes ([None, None] fed [2, 3]; two [None, k] feeds of different lengths)', (t) => {
  const g = new Graph('dims');
  const p = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: [null, null] }, { name: 'p' });
  const x = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: [null, 3] }, { name: 'x' });
  const y = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: [null, 1] }, { name: 'y' });
  const w = makeNode(g, 'const', [], { dtype: 'f32', shape: [3, 1], value: [1, -2, 0.5] }, { name: 'w' });
  const two = makeNode(g, 'const', [], { dtype: 'f32', shape: [], value: [2] }, { name: 'two' });
  const nodes = [
    makeNode(g, 'mul', [p, two], {}, { name: 'p2' }),
    makeNode(g, 'reduce_sum', [p], { axis: [1], keepdims: false }, { name: 'rows' }),
    makeNode(g, 'transpose', [p], { perm: null }, { name: 'pt' }),
    makeNode(g, 'matmul', [x, w], {}, { name: 'pred' }),
  ];
  const err = makeNode(g, 'sub', [nodes[3], y], {}, { name: 'err' });
  nodes.push(err, makeNode(g, 'reduce_mean', [makeNode(g, 'square', [err], {}, { name: 'sq' })], { axis: null, keepdims: false }, { name: 'loss' }));
  nodes.push(makeNode(g, 'gather', [p, makeNode(g, 'const', [], { dtype: 'i32', shape: [1], value: [0] }, { name: 'i0' })], { axis: 0 }, { name: 'g0' }));
  const pi = makeNode(g, 'cast', [p], { dtype: 'i32' }, { name: 'pi' });
  nodes.push(makeNode(g, 'one_hot', [pi], { depth: 3, on_value: 1, off_value: 0, axis: -1, dtype: 'f32' }, { name: 'oh' }));
  const r = rng(5);
  for (const fuse of [true, false]) {
    const s = generic(g, fuse).createSession();
    const ref = new ReferenceSession(g);
    for (const feeds of [
      { 'p:0': randomTensor(r, 'f32', [2, 3]) },
      { 'p:0': randomTensor(r, 'f32', [3, 3]) },
      { 'p:0': randomTensor(r, 'f32', [1, 4]) },
      { 'x:0': randomTensor(r, 'f32', [4, 3]), 'y:0': randomTensor(r, 'f32', [2, 1]) },
      { 'x:0': randomTensor(r, 'f32', [4, 3]), 'y:0': randomTensor(r, 'f32', [1, 1]) },
      { 'x:0': randomTensor(r, 'f32', [2, 3]), 'y:0': randomTensor(r, 'f32', [2, 1]) },
      { 'p:0': randomTensor(r, 'f32', [2, 5]), 'x:0': randomTensor(r, 'f32', [3, 3]), 'y:0': randomTensor(r, 'f32', [3, 1]) },
    ] as Record<string, Tensor>[]) {
      const shapes = JSON.stringify(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, v.shape])));
      for (const n of nodes) {
        const got = outcome(() => s.run(`${n.name}:0`, feeds) as Tensor);
        const want = outcome(() => ref.run(`${n.name}:0`, feeds) as Tensor);
        if (n.op === 'one_hot' && got instanceof UnimplementedError && !(want instanceof Error)) {
          t.match(
            got.message,
            /^'oh' \(op one_hot\) cannot run on the WebAssembly backend with these feeds: their unknown dimensions disagree/,
            `${shapes}: oh names itself`,
          );
          continue;
        }
        t.equal(agree(got, want, ['pred', 'err', 'loss'].includes(n.name)), null, `${n.name} with ${shapes} (fuse=${fuse})`);
      }
    }
  }
  t.end();
});
