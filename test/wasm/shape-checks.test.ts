/**
 * @fileoverview Run-time shape errors on the wasm backend equal the reference Session's (class,
 * TF1 message, node name, .tfg location), on the signature path and the generic path:
 * a reshape whose size depends on the batch B, fed values that do not broadcast, matmul inner
 * dims that differ at run time, and feeds whose unknown dims disagree (no single B: the loader
 * follows the fed shapes to the first failing node). Valid feeds of the same graphs still agree.
 */
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { OpError } from '../../session/errors.js';
import { Tensor } from '../../session/tensor.js';
import { compareTensors } from './helpers.js';

const SRC = `x = placeholder(f32, shape=[None, 3], name="x")
flat = reshape(x, [6], name="flat")
rows4 = reshape(x, [-1, 4], name="rows4")
a = placeholder(f32, shape=[None], name="a")
b = placeholder(f32, shape=[3], name="b")
ab = add(a, b, name="ab")
p = placeholder(f32, shape=[None, 3], name="p")
q = placeholder(f32, shape=[None, 3], name="q")
pq = multiply(p, q, name="pq")
m1 = placeholder(f32, shape=[2, None], name="m1")
m2 = placeholder(f32, shape=[None, 3], name="m2")
mm = matmul(m1, m2, name="mm")
u = placeholder(f32, shape=[None, None], name="u")
W = constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], name="W")
uw = matmul(u, W, name="uw")
signature flatten(x) -> flat
signature rows(x) -> rows4
signature add_ab(a, b) -> ab
signature mul_pq(p, q) -> pq
signature matmul_m(m1, m2) -> mm
signature matmul_u(u) -> uw
`;

const ones = (r: number, c: number): number[][] => Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => i * c + j + 1));

type Case = [string, unknown, Record<string, unknown>];
const CASES: Case[] = [
  ['reshape [?,3] -> [6], 9 values', 'flat:0', { 'x:0': ones(3, 3) }],
  ['reshape [?,3] -> [6], 6 values', 'flat:0', { 'x:0': ones(2, 3) }],
  ['reshape [?,3] -> [-1,4], 9 values', 'rows4:0', { 'x:0': ones(3, 3) }],
  ['reshape [?,3] -> [-1,4], 0 values', 'rows4:0', { 'x:0': new Tensor('f32', [0, 3], new Float32Array(0)) }],
  ['broadcast [5] + [3]', 'ab:0', { 'a:0': [1, 2, 3, 4, 5], 'b:0': [1, 2, 3] }],
  ['broadcast [3] + [3]', 'ab:0', { 'a:0': [1, 2, 3], 'b:0': [1, 2, 3] }],
  ['unknown dims disagree: [2,3] * [4,3]', 'pq:0', { 'p:0': ones(2, 3), 'q:0': ones(4, 3) }],
  ['unknown dims agree: [2,3] * [2,3]', 'pq:0', { 'p:0': ones(2, 3), 'q:0': ones(2, 3) }],
  ['matmul inner dims disagree (two feeds)', 'mm:0', { 'm1:0': ones(2, 5), 'm2:0': ones(4, 3) }],
  ['matmul inner dims agree', 'mm:0', { 'm1:0': ones(2, 4), 'm2:0': ones(4, 3) }],
  ['matmul inner dim of a feed against a constant', 'uw:0', { 'u:0': ones(2, 2) }],
  ['matmul [3,3] x [3,2]', 'uw:0', { 'u:0': ones(3, 3) }],
];

function outcome(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    return e;
  }
}

t.test('run-time shape errors equal the reference, signature and generic paths', (t) => {
  const res = buildProgram(SRC, 'shapes.tfg');
  if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  for (const fuse of [true, false]) {
    const model = loadModelSync(compileProgram(res, { fuse }).wasm as Uint8Array<ArrayBuffer>);
    const ref = new ReferenceSession(res.defaultGraph);
    for (const generic of [false, true]) {
      const s = model.createSession();
      for (const [label, fetch, feeds] of CASES) {
        // the generic path: the same fetch in a list with a fed value of its own
        const f = generic ? [fetch, fetch] : fetch;
        const want = outcome(() => ref.run(f as never, feeds as never));
        const got = outcome(() => s.run(f, feeds as never));
        const what = `${label} (fuse=${fuse}, ${generic ? 'generic' : 'signature'})`;
        if (want instanceof OpError) {
          t.ok(got instanceof OpError, `${what}: an OpError (${String(got)})`);
          const g = got as OpError;
          t.equal(g.name, want.name, `${what}: class`);
          t.equal(g.tfMessage, want.tfMessage, `${what}: message`);
          t.equal(g.nodeName, want.nodeName, `${what}: node`);
          t.same(g.location, want.location, `${what}: location`);
        } else if (want instanceof Error) {
          t.equal(String(got), String(want), `${what}: the same error`);
        } else {
          const w = (generic ? (want as Tensor[])[0] : want) as Tensor;
          const g = (generic ? (got as Tensor[])[0] : got) as Tensor;
          t.equal(compareTensors(g, w), null, `${what}: values`);
        }
      }
      if (!generic) t.equal(s.stats.genericRuns, 2, 'only the two runs whose unknown dims disagree (no single B) leave the signature path');
    }
  }
  t.end();
});
