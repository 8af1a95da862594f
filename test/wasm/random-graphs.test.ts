/**
 * @fileoverview Differential test: generated random graphs (elementwise chains with
 * broadcasting, reductions over random axes with and without keepdims, matmul with transposes
 * and a bias/relu epilogue; dims including 0, 1 and sizes leaving SIMD tails; f32 and f64;
 * aliases — identity, stop_gradient, reshape, expand_dims/squeeze — inside the chains), compiled
 * fused and unfused, against the reference Session. Fetch sets may include a feed, an alias or an
 * inner node besides the result, and an inner node is sometimes fed too. Every graph runs through
 * its own signature (fused and unfused) and on the generic path (a module without signatures).
 * 16 graphs per module, so each module is compiled once. Seeds are fixed; a failure prints its
 * seed. 320 graphs in the suite; `TFG_GRAPHS=1000 npx tap dist/test/wasm/random-graphs.test.js`
 * (npm run test:graphs) runs more.
 */
import t from 'tap';
import { Graph, type Node } from '../../compiler/ir/graph.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { makeNode } from '../../compiler/ops/build.js';
import { Tensor } from '../../session/tensor.js';
import type { DType } from '../../session/dtype.js';
import { compareTensors, compileAndLoad, rng, sig } from './helpers.js';

const GRAPHS = Number(process.env.TFG_GRAPHS ?? 320);
const PER_MODULE = 16;
const DIMS = [0, 1, 1, 2, 3, 4, 5, 7, 8, 9, 13, 17];

interface Case {
  seed: number;
  feeds: Node[];
  values: Tensor[];
  fetches: Node[];
  /** An inner node also fed in the run, or null. */
  fedInner?: Node | null;
}

export function genCase(g: Graph, seed: number): Case {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const dtype: DType = r() < 0.5 ? 'f32' : 'f64';
  const p = `g${seed}`;
  const feeds: Node[] = [];
  const values: Tensor[] = [];
  const input = (shape: number[], batch: boolean): Node => {
    const n = makeNode(g, 'placeholder', [], { dtype, shape: shape.map((d, i) => (batch && i === 0 ? null : d)) }, { name: `${p}_in${feeds.length}` });
    const size = shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'f32' ? new Float32Array(size) : new Float64Array(size);
    for (let i = 0; i < size; i++) data[i] = Math.round((r() * 4 - 2) * 64) / 64;
    feeds.push(n);
    values.push(new Tensor(dtype, shape, data));
    return n;
  };
  const kind = r();
  if (kind < 0.25) {
    // matmul with transposes, bias and relu (an epilogue when fused)
    const [m, k, n] = [pick(DIMS.filter((d) => d > 0)), pick(DIMS), pick(DIMS.filter((d) => d > 0))];
    const ta = r() < 0.5;
    const tb = r() < 0.5;
    const a = input(ta ? [k, m] : [m, k], !ta);
    const b = input(tb ? [n, k] : [k, n], false);
    const bias = input([n], false);
    const mm = makeNode(g, 'matmul', [a, b], { transpose_a: ta, transpose_b: tb }, { name: `${p}_mm` });
    const y = makeNode(g, 'relu', [makeNode(g, 'add', [mm, bias], {}, { name: `${p}_add` })], {}, { name: `${p}_relu` });
    const fetches = r() < 0.5 ? [y] : [y, makeNode(g, 'reduce_sum', [y], { axis: null, keepdims: false }, { name: `${p}_sum` })];
    return { seed, feeds, values, fetches, fedInner: null };
  }
  const rank = Math.floor(r() * 4);
  const base = Array.from({ length: rank }, () => pick(DIMS));
  const variant = (): number[] => {
    const drop = Math.floor(r() * (rank + 1));
    return base.slice(drop).map((d) => (r() < 0.3 ? 1 : d));
  };
  const leaves = [input(base, rank > 0 && r() < 0.5), input(variant(), false)];
  if (r() < 0.5) leaves.push(input(variant(), false));
  let cnt = 0;
  const nm = (): string => `${p}_n${cnt++}`;
  /** identity / stop_gradient / a reshape that keeps the shape / expand_dims followed by squeeze. */
  const alias = (x: Node): Node => {
    const k = r();
    if (k < 0.3) return makeNode(g, 'identity', [x], {}, { name: nm() });
    if (k < 0.5) return makeNode(g, 'stop_gradient', [x], {}, { name: nm() });
    const s = x.shape!;
    if (k < 0.75 && s.every((d) => d !== null)) return makeNode(g, 'reshape', [x], { shape: s as number[] }, { name: nm() });
    const ax = Math.floor(r() * (s.length + 1));
    return makeNode(g, 'squeeze', [makeNode(g, 'expand_dims', [x], { axis: ax }, { name: nm() })], { axis: [ax] }, { name: nm() });
  };
  let expr: (depth: number) => Node;
  const expr0 = (depth: number): Node => {
    if (depth === 0 || r() < 0.2) return pick(leaves);
    const u = r();
    if (u < 0.35) {
      const x = expr(depth - 1);
      const op = pick(['neg', 'square', 'abs', 'relu', 'tanh', 'sigmoid', 'exp_small', 'sqrt_abs', 'sign']);
      if (op === 'exp_small') return makeNode(g, 'exp', [makeNode(g, 'tanh', [x], {}, { name: nm() })], {}, { name: nm() });
      if (op === 'sqrt_abs') return makeNode(g, 'sqrt', [makeNode(g, 'abs', [x], {}, { name: nm() })], {}, { name: nm() });
      return makeNode(g, op, [x], {}, { name: nm() });
    }
    const x = expr(depth - 1);
    const y = expr(depth - 1);
    const op = pick(['add', 'sub', 'mul', 'maximum', 'minimum', 'div_safe', 'select']);
    if (op === 'div_safe') {
      const one = makeNode(g, 'const', [], { dtype, shape: [], value: [1] }, { name: nm() });
      return makeNode(g, 'div', [x, makeNode(g, 'add', [makeNode(g, 'abs', [y], {}, { name: nm() }), one], {}, { name: nm() })], {}, { name: nm() });
    }
    if (op === 'select') return makeNode(g, 'select', [makeNode(g, 'greater', [x, y], {}, { name: nm() }), x, y], {}, { name: nm() });
    return makeNode(g, op, [x, y], {}, { name: nm() });
  };
  const inner: Node[] = [];
  const expr1 = (depth: number): Node => {
    const x = expr0(depth);
    if (x.op !== 'placeholder') inner.push(x);
    return r() < 0.15 ? alias(x) : x;
  };
  expr = expr1;
  let e = expr(3);
  if (e.op === 'placeholder') e = makeNode(g, 'mul', [e, leaves[1]], {}, { name: nm() });
  if (r() < 0.2) e = alias(e);
  const fetches = [e];
  const er = e.shape!.length;
  if (er > 0 && r() < 0.6) {
    const axes = r() < 0.3 ? null : [...new Set(Array.from({ length: 1 + Math.floor(r() * er) }, () => Math.floor(r() * er) - (r() < 0.3 ? er : 0)))];
    const op = pick(['reduce_sum', 'reduce_mean', 'reduce_max', 'reduce_min', 'reduce_sum']);
    fetches.push(makeNode(g, op, [e], { axis: axes, keepdims: r() < 0.5 }, { name: nm() }));
    if (r() < 0.5) fetches.shift(); // sometimes only the reduction: pure input fusion
  }
  // Wider fetch sets: a feed, or an inner node (often an alias), besides the result.
  const extra = r();
  if (extra < 0.15) fetches.push(pick(feeds));
  else if (extra < 0.35 && inner.length) fetches.push(pick(inner));
  // Sometimes an inner node is fed as well (with a value of the shape it has in this run).
  let fedInner: Node | null = null;
  if (r() < 0.2 && inner.length) {
    const cand = pick(inner);
    if (!fetches.includes(cand) || r() < 0.5) fedInner = cand;
  }
  return { seed, feeds, values, fetches: [...new Set(fetches)], fedInner };
}

/** The feeds of a case: its placeholders, and a fed inner node's value (the reference's value plus one, in its run shape). */
function caseFeeds(c: Case, ref: ReferenceSession): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  c.feeds.forEach((n, i) => (feeds[`${n.name}:0`] = c.values[i]));
  if (c.fedInner) {
    const now = ref.run(`${c.fedInner.name}:0`, feeds) as Tensor;
    const data = now.data.slice();
    for (let i = 0; i < data.length; i++) data[i] = now.dtype === 'bool' ? 1 - data[i] : data[i] + 1;
    feeds[`${c.fedInner.name}:0`] = new Tensor(now.dtype, [...now.shape], data);
  }
  return feeds;
}

for (let start = 0; start < (process.env.TFG_NO_RUN ? 0 : GRAPHS); start += PER_MODULE) {
  t.test(`random graphs ${start}..${start + PER_MODULE - 1}`, (t) => {
    const g = new Graph();
    const cases: Case[] = [];
    for (let s = start; s < start + PER_MODULE; s++) cases.push(genCase(g, 1000 + s));
    const ref = new ReferenceSession(g);
    const feedsOf = cases.map((c) => caseFeeds(c, ref));
    const sigs = cases.map((c, i) =>
      sig(
        g,
        `c${c.seed}`,
        Object.keys(feedsOf[i]).map((k) => g.get(k.slice(0, -2))!),
        c.fetches,
      ),
    );
    const check = (sess: { run(f: unknown, d: Record<string, Tensor>): unknown }, mode: string): void => {
      cases.forEach((c, ci) => {
        const names = c.fetches.map((n) => `${n.name}:0`);
        const want = ref.run(names, feedsOf[ci]) as Tensor[];
        const got = sess.run(names, feedsOf[ci]) as Tensor[];
        for (let i = 0; i < names.length; i++) {
          const d = compareTensors(got[i], want[i]);
          if (d) t.fail(`seed ${c.seed} (${mode}) ${names[i]}${c.fedInner ? ` [fed ${c.fedInner.name}]` : ''}: ${d}`);
        }
      });
    };
    for (const fuse of [true, false]) {
      const { model } = compileAndLoad(g, sigs, fuse);
      const sess = model.createSession();
      check(sess, fuse ? 'fused' : 'unfused');
      if (sess.stats.signatureCalls !== cases.length) t.fail(`only ${sess.stats.signatureCalls} of ${cases.length} runs took their signature`);
      sess.close();
    }
    const { model } = compileAndLoad(g, [], false, true);
    const sess = model.createSession();
    check(sess, 'generic');
    if (sess.stats.genericRuns !== cases.length) t.fail(`only ${sess.stats.genericRuns} of ${cases.length} runs took the generic path`);
    sess.close();
    t.pass(`${cases.length} graphs agree fused, unfused and on the generic path`);
    t.end();
  });
}
