/**
 * @fileoverview Child process of threads.test.ts (run with --experimental-wasm-relaxed-simd):
 * dense layers and a 300×300 product compiled, loaded with fastMath (the relaxed runtime) at
 * 1 and 2 threads, every output checked against the reference Session within the f32 tolerance
 * of helpers.ts (|a − b| ≤ 2e-4·(1 + |b|): a fused multiply-add only changes roundings inside
 * the blocked sums, whose bound docs/runtime.md states). Prints one JSON line.
 */
import { compileGraph } from '../../compiler/driver.js';
import { buildProgram } from '../../compiler/frontend/index.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import '../../session/node/threads.js';
import { Tensor } from '../../session/tensor.js';
import { relaxedSimdSupported } from '../../session/wasm/fast-math.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { readRuntimeWasm } from '../../runtime-as/node.js';
import { TOL, rng } from './helpers.js';

const SRC = `
x = placeholder(float32, shape=(None, 300), name="x")
w1 = placeholder(float32, shape=(300, 300), name="w1")
b1 = placeholder(float32, shape=(300), name="b1")
w2 = placeholder(float32, shape=(300, 10), name="w2")
h = relu(matmul(x, w1) + b1, name="h")
y = softmax(matmul(h, w2), name="y")
z = matmul(x, w1, transpose_b=True, name="z")
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
const fetches = ['h:0', 'y:0', 'z:0'];
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
console.log(JSON.stringify({ supported: relaxedSimdSupported(), fastMath, failures: failures.slice(0, 10), checked, maxRel }));
