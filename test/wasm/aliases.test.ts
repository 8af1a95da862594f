/**
 * @fileoverview Differential family of alias and pass-through graphs (issue 13): chains of
 * `identity`, `stop_gradient`, `reshape`, `expand_dims` and `squeeze` over fed placeholders (static
 * and batch-shaped), variables (read and fed) and constants (read and fed), sometimes followed by a
 * computed op. Each case fetches the chain's end alone, with its source, with a middle link, or
 * with a computed consumer, and sometimes feeds a middle link too. Every case runs on the reference
 * Session, on the wasm generic path (a module without signatures) and through a signature of its
 * own (fused and unfused), and the results must be the same bits.
 *
 * An alias shares its input's buffer in the compiled plans; the bug this family was written for
 * (an `identity` of a fed placeholder read as zeros on the generic path) is a buffer-sharing
 * mistake, so the family crosses every kind of source with every kind of fetch and feed set.
 */
import t from 'tap';
import { type Attrs, Graph, type Node } from '../../compiler/ir/graph.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { makeNode } from '../../compiler/ops/build.js';
import { Tensor } from '../../session/tensor.js';
import type { DType } from '../../session/dtype.js';
import { compileAndLoad, rng, sig } from './helpers.js';

export interface AliasCase {
  seed: number;
  /** Fed nodes and their values. */
  feeds: [Node, Tensor][];
  fetches: Node[];
  /** Variables and the values both sessions start with. */
  variables: [Node, Tensor][];
}

const ALIAS_OPS = ['identity', 'stop_gradient', 'reshape', 'expand_dims', 'squeeze'] as const;

/** Bit-exact comparison (aliases move bytes; the computed ops used here are exact too). */
export function sameBits(got: Tensor | null, want: Tensor | null): string | null {
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

function randomTensor(r: () => number, dtype: DType, shape: number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'f32' ? new Float32Array(size) : dtype === 'f64' ? new Float64Array(size) : new Int32Array(size);
  for (let i = 0; i < size; i++) data[i] = dtype === 'i32' ? Math.floor(r() * 200) - 100 : Math.round((r() * 8 - 4) * 256) / 256;
  return new Tensor(dtype, shape, data);
}

/** One alias case in graph `g` (node names prefixed by the seed). */
export function genAliasCase(g: Graph, seed: number): AliasCase {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const p = `a${seed}`;
  let cnt = 0;
  const nm = (what: string): string => `${p}_${what}${cnt++}`;
  const dtype: DType = pick(['f32', 'f64', 'i32'] as const);
  const shape = pick([[], [3], [2, 3], [4, 1], [1, 5], [2, 2, 2], [0, 3]] as number[][]);
  const feeds: [Node, Tensor][] = [];
  const variables: [Node, Tensor][] = [];
  const srcKind = pick(['placeholder', 'placeholder_batch', 'variable', 'variable_fed', 'const', 'const_fed'] as const);
  const value = randomTensor(r, dtype, shape);
  let src: Node;
  if (srcKind === 'placeholder' || srcKind === 'placeholder_batch') {
    const batch = srcKind === 'placeholder_batch' && shape.length > 0;
    src = makeNode(g, 'placeholder', [], { dtype, shape: shape.map((d, i) => (batch && i === 0 ? null : d)) }, { name: nm('in') });
    feeds.push([src, value]);
  } else if (srcKind === 'variable' || srcKind === 'variable_fed') {
    src = makeNode(g, 'variable', [], { dtype, shape, trainable: true }, { name: nm('v') });
    variables.push([src, value]);
    if (srcKind === 'variable_fed') feeds.push([src, randomTensor(r, dtype, shape)]);
  } else {
    src = makeNode(g, 'const', [], { dtype, shape, value: Array.from(value.data) }, { name: nm('c') });
    if (srcKind === 'const_fed') feeds.push([src, randomTensor(r, dtype, shape)]);
  }
  // The chain: 1-4 aliases.
  const chain: Node[] = [];
  let x = src;
  const len = 1 + Math.floor(r() * 4);
  for (let i = 0; i < len; i++) {
    const s = x.shape!;
    let op: (typeof ALIAS_OPS)[number] = pick(ALIAS_OPS);
    if (op === 'squeeze' && !s.some((d) => d === 1)) op = 'expand_dims';
    let attrs: Attrs = {};
    if (op === 'reshape') {
      const n = s.every((d) => d !== null) ? (s as number[]).reduce((a, b) => a * b, 1) : null;
      const choices: number[][] = [[-1]];
      if (n !== null && n > 0 && n % 2 === 0) choices.push([2, -1], [n / 2, 2]);
      if (n !== null) choices.push([n], [1, n]);
      if (s.length > 0 && s[0] === null) choices.push([-1, ...s.slice(1).map((d) => d!)]);
      attrs = { shape: pick(choices) };
    } else if (op === 'expand_dims') attrs = { axis: Math.floor(r() * (s.length + 1)) - (r() < 0.3 ? s.length + 1 : 0) };
    else if (op === 'squeeze') {
      const ones = s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
      attrs = { axis: r() < 0.5 ? null : [pick(ones)] };
      if (attrs.axis === null && s.some((d) => d === null)) attrs = { axis: [pick(ones)] };
    }
    x = makeNode(g, op, [x], attrs, { name: nm(op) });
    chain.push(x);
  }
  const end = chain[chain.length - 1];
  const mid = chain[Math.floor(r() * chain.length)];
  // Sometimes a computed consumer: a * 2 (exact), or the end plus a reshaped source.
  let computed: Node | null = null;
  const two = (): Node => makeNode(g, 'const', [], { dtype, shape: [], value: [2] }, { name: nm('two') });
  if (r() < 0.4) computed = makeNode(g, 'mul', [end, two()], {}, { name: nm('mul') });
  const fetchKind = pick(['end', 'src+end', 'mid+end', 'end+computed', 'computed', 'src+mid+end'] as const);
  let fetches: Node[];
  switch (fetchKind) {
    case 'end':
      fetches = [end];
      break;
    case 'src+end':
      fetches = r() < 0.5 ? [src, end] : [end, src];
      break;
    case 'mid+end':
      fetches = [mid, end];
      break;
    case 'end+computed':
      fetches = computed ? [end, computed] : [end];
      break;
    case 'computed':
      fetches = [computed ?? makeNode(g, 'mul', [end, two()], {}, { name: nm('mul') })];
      break;
    case 'src+mid+end':
      fetches = [src, mid, end];
      break;
  }
  // Sometimes a middle link is fed as well (it and what follows see the fed value).
  // Its value has the shape the link has in this run (the reference tells, from the other feeds).
  if (r() < 0.25 && mid !== end) {
    const sess = new ReferenceSession(g);
    for (const [v, val] of variables) sess.writeVariable(v.name, val);
    const now = sess.run(`${mid.name}:0`, Object.fromEntries(feeds.map(([n, v]) => [`${n.name}:0`, v]))) as Tensor;
    feeds.push([mid, randomTensor(r, dtype, [...now.shape])]);
  }
  return { seed, feeds, fetches: [...new Set(fetches)], variables };
}

/** Run every case on the reference, the wasm generic path and wasm signatures (fused and unfused); report mismatches through `fail`. */
export function checkAliasCases(seeds: number[], fail: (msg: string) => void): { runs: number } {
  const g = new Graph();
  const cases = seeds.map((s) => genAliasCase(g, s));
  const feedDict = (c: AliasCase): Record<string, Tensor> => Object.fromEntries(c.feeds.map(([n, v]) => [`${n.name}:0`, v]));
  const names = (c: AliasCase): string[] => c.fetches.map((n) => `${n.name}:0`);
  const ref = new ReferenceSession(g);
  for (const c of cases) for (const [v, val] of c.variables) ref.writeVariable(v.name, val);
  const want = cases.map((c) => ref.run(names(c), feedDict(c)) as Tensor[]);
  let runs = 0;
  const compare = (c: AliasCase, got: Tensor[], mode: string): void => {
    runs++;
    names(c).forEach((n, i) => {
      const d = sameBits(got[i], want[cases.indexOf(c)][i]);
      if (d) fail(`seed ${c.seed} ${mode} ${n} (feeds ${c.feeds.map(([f]) => f.name).join(',') || '-'}): ${d}`);
    });
  };
  // The generic path: no signatures.
  {
    const { model } = compileAndLoad(g, [], false, true);
    const sess = model.createSession();
    for (const c of cases) for (const [v, val] of c.variables) sess.writeVariable(v.name, val);
    for (const c of cases) compare(c, sess.run(names(c), feedDict(c)) as Tensor[], 'generic');
    if (sess.stats.genericRuns !== cases.length) fail(`generic runs ${sess.stats.genericRuns} != ${cases.length}`);
  }
  // Signatures, fused and unfused: one per case (its feeds, its fetches).
  const sigs = cases.map((c) =>
    sig(
      g,
      `s${c.seed}`,
      c.feeds.map(([n]) => n),
      c.fetches,
    ),
  );
  for (const fuse of [true, false]) {
    const { model } = compileAndLoad(g, sigs, fuse, false);
    const sess = model.createSession();
    for (const c of cases) for (const [v, val] of c.variables) sess.writeVariable(v.name, val);
    for (const c of cases) compare(c, sess.run(names(c), feedDict(c)) as Tensor[], fuse ? 'signature fused' : 'signature unfused');
    if (sess.stats.signatureCalls !== cases.length) fail(`signature calls ${sess.stats.signatureCalls} != ${cases.length} (${fuse ? 'fused' : 'unfused'})`);
  }
  return { runs };
}

const CASES = 240;
const PER_MODULE = 40;

if (!process.env.TFG_NO_RUN) {
  t.test('the issue 13 program: identity of a fed placeholder on the generic path', (t) => {
    const g = new Graph();
    const p = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: [3] }, { name: 'p' });
    makeNode(g, 'identity', [p], {}, { name: 'o' });
    const { model } = compileAndLoad(g, [], false, true);
    const got = model.createSession().run('o:0', { 'p:0': [1, 2, 3] }) as Tensor;
    t.same(Array.from(got.data), [1, 2, 3]);
    t.end();
  });
  for (let start = 0; start < CASES; start += PER_MODULE) {
    t.test(`alias cases ${start}..${start + PER_MODULE - 1}`, (t) => {
      const seeds = Array.from({ length: PER_MODULE }, (_, i) => 5000 + start + i);
      const { runs } = checkAliasCases(seeds, (m) => t.fail(m));
      t.pass(`${runs} runs agree bit for bit (reference, generic, signatures fused and unfused)`);
      t.end();
    });
  }
}
