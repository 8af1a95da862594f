/**
 * @fileoverview Differential test: 320 generated random graphs (elementwise chains with
 * broadcasting, reductions over random axes with and without keepdims, matmul with transposes
 * and a bias/relu epilogue; dims including 0, 1 and sizes leaving SIMD tails; f32 and f64),
 * compiled fused and unfused, against the reference Session. 16 graphs per module (one
 * signature each), so each module is compiled once. Seeds are fixed; a failure prints its seed.
 */
import t from 'tap';
import { Graph, type Node } from '../../compiler/ir/graph.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { makeNode } from '../../compiler/ops/build.js';
import { Tensor } from '../../session/tensor.js';
import type { DType } from '../../session/dtype.js';
import { compareTensors, compileAndLoad, rng, sig } from './helpers.js';

const GRAPHS = 320;
const PER_MODULE = 16;
const DIMS = [0, 1, 1, 2, 3, 4, 5, 7, 8, 9, 13, 17];

interface Case {
  seed: number;
  feeds: Node[];
  values: Tensor[];
  fetches: Node[];
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
    return { seed, feeds, values, fetches };
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
  const expr = (depth: number): Node => {
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
  let e = expr(3);
  if (e.op === 'placeholder') e = makeNode(g, 'mul', [e, leaves[1]], {}, { name: nm() });
  const fetches = [e];
  const er = e.shape!.length;
  if (er > 0 && r() < 0.6) {
    const axes = r() < 0.3 ? null : [...new Set(Array.from({ length: 1 + Math.floor(r() * er) }, () => Math.floor(r() * er) - (r() < 0.3 ? er : 0)))];
    const op = pick(['reduce_sum', 'reduce_mean', 'reduce_max', 'reduce_min', 'reduce_sum']);
    fetches.push(makeNode(g, op, [e], { axis: axes, keepdims: r() < 0.5 }, { name: nm() }));
    if (r() < 0.5) fetches.shift(); // sometimes only the reduction: pure input fusion
  }
  return { seed, feeds, values, fetches };
}

for (let start = 0; start < (process.env.TFG_NO_RUN ? 0 : GRAPHS); start += PER_MODULE) {
  t.test(`random graphs ${start}..${start + PER_MODULE - 1}`, (t) => {
    const g = new Graph();
    const cases: Case[] = [];
    for (let s = start; s < start + PER_MODULE; s++) cases.push(genCase(g, 1000 + s));
    const sigs = cases.map((c) => sig(g, `c${c.seed}`, c.feeds, c.fetches));
    const ref = new ReferenceSession(g);
    for (const fuse of [true, false]) {
      const { model } = compileAndLoad(g, sigs, fuse);
      const sess = model.createSession();
      for (const c of cases) {
        const feeds: Record<string, Tensor> = {};
        c.feeds.forEach((n, i) => (feeds[`${n.name}:0`] = c.values[i]));
        const names = c.fetches.map((n) => `${n.name}:0`);
        const want = ref.run(names, feeds) as Tensor[];
        const got = sess.run(names, feeds) as Tensor[];
        for (let i = 0; i < names.length; i++) {
          const d = compareTensors(got[i], want[i]);
          if (d) t.fail(`seed ${c.seed} (${fuse ? 'fused' : 'unfused'}) ${names[i]}: ${d}`);
        }
      }
      sess.close();
    }
    t.pass(`${cases.length} graphs agree fused and unfused`);
    t.end();
  });
}
