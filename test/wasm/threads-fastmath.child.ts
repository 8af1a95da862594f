/**
 * @fileoverview Child process of threads.test.ts (run with --experimental-wasm-relaxed-simd):
 * dense layers and a 300×300 product compiled, loaded with fastMath (the relaxed runtime) at
 * 1 and 2 threads, every output checked against the reference Session within the f32 tolerance
 * of helpers.ts (|a − b| ≤ 2e-4·(1 + |b|): a fused multiply-add only changes roundings inside
 * the blocked sums, whose bound docs/runtime.md states). Then generated loops compiled with
 * `fastMath` (a·b + c chains and a sum of products as f32x4.relaxed_madd, split across 2 threads):
 * the module must contain relaxed_madd, 1 and 2 threads must give the same bits, and every
 * output must be within the same tolerance of the reference — for one relaxed_madd the
 * difference from mul-then-add is one rounding of a·b, |Δ| ≤ 2⁻²⁴·|a·b|, so the chains' values
 * stay within 2e-4·(1 + |ref|) and the sums (f64 totals of f32 block partials) too. The relaxed
 * runtime's f32 exp, sigmoid and tanh are approximations (runtime-as/assembly/fast-math.ts, at most
 * 7 ulp): a tanh epilogue and exp/sigmoid/tanh loops are in both parts, the loops' values the same
 * bits at 1 and 2 threads. Prints one JSON line.
 */
import { compileGraph } from '../../compiler/driver.js';
import { buildProgram } from '../../compiler/frontend/index.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import '../../session/node/threads.js';
import { Tensor } from '../../session/tensor.js';
import { relaxedSimdSupported } from '../../session/wasm/fast-math.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { readRuntimeWasm } from '../../runtime-as/node.js';
import { SPLIT } from '../../session/wasm/threads.js';
import { TOL, rng } from './helpers.js';

const SRC = `
x = placeholder(float32, shape=(None, 300), name="x")
w1 = placeholder(float32, shape=(300, 300), name="w1")
b1 = placeholder(float32, shape=(300), name="b1")
w2 = placeholder(float32, shape=(300, 10), name="w2")
h = relu(matmul(x, w1) + b1, name="h")
y = softmax(matmul(h, w2), name="y")
z = matmul(x, w1, transpose_b=True, name="z")
k = tanh(matmul(x, w1) + b1, name="k")
`;
const r = buildProgram(SRC, 'fm.tfg');
if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
const c = compileGraph(r.defaultGraph, []);
const ref = new ReferenceSession(r.defaultGraph);
const rnd = rng(3);
const feeds: Record<string, Tensor> = {};
for (const [name, shape] of [
  ['x', [300, 300]],
  ['w1', [300, 300]],
  ['b1', [300]],
  ['w2', [300, 10]],
] as const) {
  const v = Tensor.zeros('f32', [...shape]);
  for (let i = 0; i < v.size; i++) v.data[i] = rnd() * 2 - 1;
  feeds[`${name}:0`] = v;
}
const fetches = ['h:0', 'y:0', 'z:0', 'k:0'];
const want = ref.run(fetches, feeds) as Tensor[];
const failures: string[] = [];
const fastMath: boolean[] = [];
let checked = 0,
  maxRel = 0;
for (const threads of [1, 2]) {
  const m = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>, { threads, fastMath: true, relaxedRuntime: readRuntimeWasm('relaxed') });
  fastMath.push(m.loadedAs.fastMath);
  const s = m.createSession();
  const got = s.run(fetches, feeds) as Tensor[];
  got.forEach((g, k) => {
    for (let i = 0; i < g.size; i++) {
      const a = g.data[i],
        b = want[k].data[i];
      const d = Math.abs(a - b);
      maxRel = Math.max(maxRel, d / (1 + Math.abs(b)));
      checked++;
      if (!(d <= TOL.f32 * (1 + Math.abs(b)))) failures.push(`${threads} threads ${fetches[k]}[${i}]: ${a} vs ${b}`);
    }
  });
  s.close();
}
// Generated loops with relaxed_madd (CompileOptions.fastMath), split across threads: every loop,
// whether or not the worker slept before it (SPLIT.wakeElems).
SPLIT.minElems = 1;
SPLIT.wakeElems = 0;
SPLIT.wakeMacs = 0;
const LOOPS = `
a = placeholder(float32, shape=(None, 1027), name="a")
b = placeholder(float32, shape=(None, 1027), name="b")
c = placeholder(float32, shape=(None, 1027), name="c")
e = tanh(a * b + c, name="e")
g = sigmoid(a * b + c, name="g")
q = exp(a - c, name="q")
f = identity(c + (a * b) * 0.5 + b * c, name="f")
s = reduce_sum(a * b, axis=1, name="s")
t = reduce_sum(a * c, name="t")
signature fm(a, b, c) -> [e, f, s, t, g, q]
`;
const rl = buildProgram(LOOPS, 'fm-loops.tfg');
if (!rl.ok) throw new Error(rl.diagnostics.map((d) => d.message).join('; '));
const cl = compileGraph(rl.defaultGraph, rl.signatures, { fastMath: true });
const bytes = cl.wasm as Uint8Array;
let relaxedMadd = 0;
for (let i = 0; i + 2 < bytes.length; i++) if (bytes[i] === 0xfd && bytes[i + 1] === 0x85 && bytes[i + 2] === 0x02) relaxedMadd++;
const refL = new ReferenceSession(rl.defaultGraph);
const lfeeds: Record<string, Tensor> = {};
for (const name of ['a', 'b', 'c']) {
  const v = Tensor.zeros('f32', [40, 1027]);
  for (let i = 0; i < v.size; i++) v.data[i] = rnd() * 2 - 1;
  lfeeds[`${name}:0`] = v;
}
const lf = ['e:0', 'f:0', 's:0', 't:0', 'g:0', 'q:0'];
const wantL = refL.run(lf, lfeeds) as Tensor[];
const outs: Tensor[][] = [];
// Threads ready in the 2-thread session: its worker started and instantiated the relaxed runtime
// and module (a worker started without the flag's effect would fail and leave 1).
let ready = 0,
  loopSplits = 0;
for (const threads of [1, 2]) {
  const m = loadModelSync(cl.wasm as Uint8Array<ArrayBuffer>, { threads, fastMath: true, relaxedRuntime: readRuntimeWasm('relaxed') });
  const s = m.createSession();
  if (threads === 2) ready = await s.threadsReady();
  const split0 = s.splitCalls;
  const got = s.run(lf, lfeeds) as Tensor[];
  outs.push(got);
  if (threads === 2) loopSplits = s.splitCalls - split0;
  got.forEach((g, k) => {
    for (let i = 0; i < g.size; i++) {
      const a = g.data[i],
        b = wantL[k].data[i];
      const d = Math.abs(a - b);
      maxRel = Math.max(maxRel, d / (1 + Math.abs(b)));
      checked++;
      if (!(d <= TOL.f32 * (1 + Math.abs(b)))) failures.push(`loops, ${threads} threads ${lf[k]}[${i}]: ${a} vs ${b}`);
    }
  });
  s.close();
}
const loopsSameBits = outs[0].every((g, k) => g.data.every((v, i) => Object.is(v, outs[1][k].data[i])));
console.log(
  JSON.stringify({
    supported: relaxedSimdSupported(),
    fastMath,
    failures: failures.slice(0, 10),
    checked,
    maxRel,
    relaxedMadd,
    loopsSameBits,
    ready,
    loopSplits,
  }),
);
