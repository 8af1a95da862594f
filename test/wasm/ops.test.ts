/**
 * @fileoverview Differential test per op: every op of the registry (`OPS`) runs compiled to
 * WebAssembly — fused and unfused — against the ReferenceSession, on
 * - every case of test/ops/fixtures.json (inputs fed through placeholders so nothing folds),
 *   plus its f64 twin for f32 cases and f32 twin for f64 cases (when the op takes the dtype),
 *   plus a batch twin whose leading dim is unknown (`None`, the batch B at run time);
 * - generated cases for every elementwise op: sizes 0, 1, SIMD tails (7, 2×9), broadcasting
 *   ([3,1] with [1,5], [2,9] with [9], a scalar), in every dtype the op takes;
 * - the state/control ops (placeholder, variable, assign*, no_op, group) in a small program.
 * Errors must agree too (class and message). An op without a case fails the test. Cases share
 * modules (one signature per case) so each module is compiled once. The fused modules go through
 * binaryen's -O3, the unfused ones are run as generated (what `tfg run` executes), so both the
 * optimizer's output and the raw code generator are checked. Tolerance: helpers.ts.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { Graph, type Attrs, type Node } from '../../compiler/ir/graph.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { makeNode } from '../../compiler/ops/build.js';
import { OPS } from '../../compiler/ops/registry.js';
import type { DType } from '../../session/dtype.js';
import { Tensor } from '../../session/tensor.js';
import { repoPath } from '../helpers.js';
import { type FixtureTensor, fromFixture } from '../ops/harness.js';
import { compareTensors, compileAndLoad, rng, sig } from './helpers.js';

interface FixtureCase {
  op: string;
  note: string;
  inputs: FixtureTensor[];
  attrs: Attrs;
  expected: FixtureTensor | null;
  variable?: FixtureTensor;
  error?: string;
}

/** One op application: inputs (value + static shape of its placeholder) and attrs. */
interface OpCase {
  op: string;
  label: string;
  inputs: Array<{ value: Tensor; static: (number | null)[] }>;
  attrs: Attrs;
}

const STATE_OPS = new Set(['placeholder', 'variable', 'assign', 'assign_add', 'assign_sub', 'no_op', 'group']);
const fixtures = (JSON.parse(readFileSync(repoPath('test/ops/fixtures.json'), 'utf8')) as { cases: FixtureCase[] }).cases;

function retype(x: Tensor, d: DType): Tensor {
  const out = Tensor.zeros(d, x.shape);
  for (let i = 0; i < x.size; i++) out.data[i] = d === 'f32' ? Math.fround(x.data[i]) : x.data[i];
  return out;
}

function retypeAttrs(a: Attrs, from: DType, to: DType): Attrs {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v === from ? to : v])) as Attrs;
}

function cases(): OpCase[] {
  const out: OpCase[] = [];
  for (const c of fixtures) {
    if (c.error || STATE_OPS.has(c.op)) continue;
    const ins = c.inputs.map((i) => ({ value: fromFixture(i), static: [...i.shape] as (number | null)[] }));
    out.push({ op: c.op, label: `${c.op} ${c.note}`, inputs: ins, attrs: c.attrs });
    // dtype twin: every float input (and dtype attr) in the other float type
    const floats = ins.map((i) => i.value.dtype).filter((d) => d === 'f32' || d === 'f64');
    const attrD = Object.values(c.attrs).find((v) => v === 'f32' || v === 'f64') as DType | undefined;
    const from = (floats[0] ?? attrD) as DType | undefined;
    if (from && floats.every((d) => d === from) && (attrD === undefined || attrD === from)) {
      const to: DType = from === 'f32' ? 'f64' : 'f32';
      out.push({
        op: c.op,
        label: `${c.op} ${c.note} as ${to}`,
        inputs: ins.map((i) => ({ value: i.value.dtype === from ? retype(i.value, to) : i.value, static: i.static })),
        attrs: retypeAttrs(c.attrs, from, to),
      });
    }
    // batch twin: the leading dim unknown when every input has it (same rank, same dim 0)
    const unknownRank = c.op === 'squeeze' && (c.attrs.axis === null || c.attrs.axis === undefined); // squeeze(x[?]) has no static rank
    if (
      !unknownRank &&
      ins.length > 0 &&
      ins.every((i) => i.value.rank > 0 && i.value.rank === ins[0].value.rank && i.value.shape[0] === ins[0].value.shape[0])
    ) {
      out.push({
        op: c.op,
        label: `${c.op} ${c.note} batch`,
        inputs: ins.map((i) => ({ value: i.value, static: [null, ...i.static.slice(1)] })),
        attrs: c.attrs,
      });
    }
  }
  // generated elementwise cases
  const arity = new Map<string, { n: number; attrs: Attrs }>();
  for (const c of fixtures)
    if (OPS[c.op as keyof typeof OPS]?.kind === 'elementwise' && !arity.has(c.op)) arity.set(c.op, { n: c.inputs.length, attrs: c.attrs });
  const SHAPES: number[][][] = [
    [[0]],
    [[1]],
    [[7]],
    [[2, 9], [9]],
    [
      [3, 1],
      [1, 5],
    ],
    [[5, 6], []],
    [[4, 4]],
  ];
  const r = rng(7);
  for (const [op, { n, attrs }] of arity) {
    for (const dt of ['f32', 'f64', 'i32', 'bool'] as DType[]) {
      for (const shapes of SHAPES) {
        const ins = Array.from({ length: n }, (_, k) => {
          const s = shapes[k % shapes.length];
          const v = Tensor.zeros(op === 'select' && k === 0 ? 'bool' : dt, s);
          for (let i = 0; i < v.size; i++) {
            const x = r() * 6 - 3;
            v.data[i] = v.dtype === 'bool' ? (x > 0 ? 1 : 0) : v.dtype === 'i32' ? Math.round(x) : x;
          }
          return { value: v, static: [...s] as (number | null)[] };
        });
        out.push({ op, label: `${op} ${dt} ${shapes.map((s) => `[${s}]`).join(' ')}`, inputs: ins, attrs });
      }
    }
  }
  return out;
}

interface Built {
  /** The case as run (fill_dims: its dims made a run-time shape) and as given. */
  c: OpCase;
  orig: OpCase;
  feeds: Node[];
  out: Node;
}

/** Nodes for a case in graph g, or null when the op does not take these dtypes/shapes. */
function build(g: Graph, orig: OpCase, k: number): Built | null {
  let c = orig;
  try {
    const feeds = c.inputs.map((i, j) => makeNode(g, 'placeholder', [], { dtype: i.value.dtype, shape: i.static }, { name: `c${k}_in${j}` }));
    let ins: Node[] = feeds;
    if (c.op === 'fill_dims') {
      // dims as the run-time shape of a fed tensor (how gradients make it)
      const dims = Array.from(c.inputs[0].value.data);
      const like = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: dims.map((d, i) => (i === 0 ? null : d)) }, { name: `c${k}_like` });
      feeds[0] = like;
      ins = [makeNode(g, 'shape', [like], {}, { name: `c${k}_dims` }), feeds[1]];
      c = { ...c, inputs: [{ value: Tensor.zeros('f32', dims), static: dims }, c.inputs[1]] };
    }
    const si = OPS[c.op as keyof typeof OPS]?.shapeInputs;
    if (si && ins.length === si.arity && c.op !== 'slice_grad' && c.op !== 'fill_dims') {
      // reshape's shape, slice's begin and size as inputs: signatures compile them only as
      // constants (their values when the module is built); slice_grad reads its begin at run time
      ins = [...ins];
      for (const { index } of si.inputs) {
        const v = c.inputs[index].value;
        ins[index] = makeNode(g, 'const', [], { dtype: v.dtype, shape: [...v.shape], value: Array.from(v.data) }, { name: `c${k}_const${index}` });
      }
    }
    const out = makeNode(g, c.op, ins, c.attrs, { name: `c${k}_out` });
    if (out.dtype === null) return null;
    return { c, orig, feeds, out };
  } catch {
    return null;
  }
}

function outcome(fn: () => Tensor): Tensor | Error {
  try {
    return fn();
  } catch (e) {
    return e as Error;
  }
}

const all = cases();
const PER_MODULE = 160;
const tested = new Map<string, number>();

for (let start = 0; start < all.length; start += PER_MODULE) {
  const chunk = all.slice(start, start + PER_MODULE);
  t.test(`cases ${start}..${start + chunk.length - 1}`, (t) => {
    const g = new Graph('ops');
    const built: Built[] = [];
    chunk.forEach((c, i) => {
      const b = build(g, c, start + i);
      if (b) built.push(b);
    });
    // A batch twin the compiler refuses with a located diagnostic (a slice whose length over B
    // depends on clamping, a strided step over B) is dropped; any other compile failure fails.
    const compileOrName = (fuse: boolean) => {
      const sigs = built.map((b, i) => sig(g, `c${i}`, b.feeds, [b.out]));
      try {
        return compileAndLoad(g, sigs, fuse, false, fuse).model;
      } catch (e) {
        const keep: Built[] = [];
        for (const [i, b] of built.entries()) {
          const g1 = new Graph('one');
          const b1 = build(g1, b.orig, 0);
          try {
            if (b1) compileAndLoad(g1, [sig(g1, 'c', b1.feeds, [b1.out])], fuse, false, fuse);
            keep.push(b);
          } catch (e1) {
            const msg = (e1 as Error).message;
            if (b.c.label.endsWith(' batch') && /cannot be compiled: Cannot compile/.test(msg))
              t.pass(`${b.c.label}: refused at compile time (${msg.split('\n')[0]})`);
            else t.fail(`${b.c.label} (case ${start + i}, fuse=${fuse}) does not compile: ${msg}`);
          }
        }
        if (keep.length === built.length) throw e;
        built.splice(0, built.length, ...keep);
        return compileAndLoad(
          g,
          built.map((b, i) => sig(g, `c${i}`, b.feeds, [b.out])),
          fuse,
          false,
          fuse,
        ).model;
      }
    };
    for (const fuse of [true, false]) {
      const model = compileOrName(fuse);
      const s = model.createSession({ seed: 5 });
      const ref = new ReferenceSession(g, { seed: 5 });
      let bad = 0;
      for (const b of built) {
        const feeds: Record<string, Tensor> = {};
        b.feeds.forEach((f, j) => (feeds[`${f.name}:0`] = b.c.inputs[j].value));
        const fetch = `${b.out.name}:0`;
        const want = outcome(() => ref.run(fetch, feeds) as Tensor);
        const calls = s.stats.signatureCalls;
        const got = outcome(() => s.run(fetch, feeds) as Tensor);
        let msg: string | null;
        if (want instanceof Error || got instanceof Error) {
          msg =
            want instanceof Error && got instanceof Error
              ? want.constructor.name === got.constructor.name && want.message === got.message
                ? null
                : `error ${got.constructor.name}: ${got.message} vs ${want.constructor.name}: ${want.message}`
              : `got ${got instanceof Error ? `error ${got.message}` : 'a value'}, reference ${want instanceof Error ? `error ${want.message}` : 'a value'}`;
        } else {
          msg = compareTensors(got, want);
          if (msg === null && s.stats.signatureCalls !== calls + 1) msg = 'did not run as its signature';
        }
        if (msg !== null) {
          bad++;
          t.fail(`${b.c.label} (fuse=${fuse}): ${msg}`);
        } else tested.set(b.c.op, (tested.get(b.c.op) ?? 0) + 1);
      }
      t.equal(bad, 0, `fuse=${fuse}: ${built.length} cases agree`);
    }
    t.end();
  });
}

t.test('state and control ops', (t) => {
  const g = new Graph('state');
  const p = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: [null, 3] }, { name: 'p' });
  const v = makeNode(g, 'variable', [], { dtype: 'f32', shape: [3], trainable: true }, { name: 'v' });
  const q = makeNode(g, 'placeholder', [], { dtype: 'f32', shape: [3] }, { name: 'q' });
  const init = makeNode(g, 'assign', [v, q], {}, { name: 'init' });
  const add = makeNode(g, 'assign_add', [v, q], {}, { name: 'add' });
  const sub = makeNode(g, 'assign_sub', [v, makeNode(g, 'mul', [q, q], {}, { name: 'qq' })], {}, { name: 'sub' });
  const noop = makeNode(g, 'no_op', [], {}, { name: 'noop', controlInputs: [add] });
  const grp = makeNode(g, 'group', [], {}, { name: 'grp', controlInputs: [sub, noop] });
  const y = makeNode(g, 'add', [p, v], {}, { name: 'y' });
  const sigs = [sig(g, 'init', [q], [init]), sig(g, 'step', [q], [grp]), sig(g, 'pred', [p], [y, p])];
  for (const fuse of [true, false]) {
    const { model } = compileAndLoad(g, sigs, fuse, true);
    const s = model.createSession();
    const ref = new ReferenceSession(g);
    const qv = new Tensor('f32', [3], new Float32Array([0.5, -1, 2]));
    const pv = new Tensor('f32', [2, 3], new Float32Array([1, 2, 3, 4, 5, 6]));
    const steps: Array<[unknown, Record<string, Tensor>]> = [
      ['init:0', { 'q:0': qv }],
      ['grp', { 'q:0': qv }],
      [['y:0', 'p:0'], { 'p:0': pv }],
      ['add:0', { 'q:0': qv }],
      ['noop', { 'q:0': qv }],
      ['v:0', {}],
    ];
    for (const [fetch, feeds] of steps) {
      const got = s.run(fetch, feeds);
      const want = ref.run(fetch as never, feeds);
      const flat = (x: unknown): (Tensor | null)[] => (Array.isArray(x) ? x : [x]) as (Tensor | null)[];
      flat(want).forEach((w, i) => t.equal(compareTensors(flat(got)[i], w), null, `fuse=${fuse} ${JSON.stringify(fetch)}`));
    }
    for (const op of ['placeholder', 'variable', 'assign', 'assign_add', 'assign_sub', 'no_op', 'group']) tested.set(op, (tested.get(op) ?? 0) + 1);
  }
  t.end();
});

t.test('every registry op ran compiled and agreed', (t) => {
  const missing = Object.keys(OPS).filter((op) => !tested.has(op));
  t.same(missing, [], `ops without an agreeing wasm case: ${missing.join(', ')}`);
  t.end();
});
