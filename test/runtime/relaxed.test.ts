/**
 * @fileoverview The opt-in relaxed-SIMD runtime (`runtime-relaxed.wasm`, the fast-math build:
 * f32x4.relaxed_madd in the f32 micro-kernel, which the engine may compute fused or as mul+add).
 * Tolerance vs an f64 reference: the exact build's blocked bound, |c − ref| ≤ 80·2⁻²⁴·Σ|a||b| +
 * 2⁻²⁴·|ref| (+ K·2⁻⁵³·Σ|a||b|) — a fused multiply-add rounds once instead of twice, so it can
 * only tighten each term's error. Shapes cover every transpose, tile tails, K around the blocks
 * (KF = 64, KC = 512) and the small-M path; the fused epilogue is checked bit for bit against the
 * same build's product followed by the epilogue. Node 20 needs V8's relaxed-SIMD flag, set here
 * before any module in this process compiles (tap runs each test file in its own process).
 */
import v8 from 'node:v8';
import t from 'tap';
import { MATMUL_ACT, RUNTIME_RESERVED_BYTES, createSharedMemory, instantiateRuntimeSync } from '../../runtime-as/abi.js';
import { readRuntimeWasm } from '../../runtime-as/node.js';
import { naiveMatmul, randomArray, rng } from './harness.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const memory = createSharedMemory(256);
const rt = instantiateRuntimeSync(readRuntimeWasm('relaxed'), memory);
const a16 = (x: number): number => Math.ceil(x / 16) * 16;

function place(arrays: number[][], extraBytes: number[]): number[] {
  const sizes = [...arrays.map((a) => a.length * 4), ...extraBytes];
  const out: number[] = [];
  let p = RUNTIME_RESERVED_BYTES;
  for (const n of sizes) {
    out.push(p);
    p = a16(p + n);
  }
  const need = p - memory.buffer.byteLength;
  if (need > 0) memory.grow(Math.ceil(need / 65536));
  arrays.forEach((a, i) => new Float32Array(memory.buffer, out[i]!, a.length).set(a));
  return out;
}

t.test('relaxed build: matmul_f32 within the blocked bound of an f64 reference, all transposes, tails, K blocks, small M', async (t) => {
  const r = rng(5);
  const failures: string[] = [];
  let n = 0;
  for (const [M, N, K] of [
    [1, 1, 1],
    [5, 9, 7],
    [33, 17, 300],
    [70, 260, 33],
    [1, 37, 1000],
    [3, 40, 129],
    [8, 9, 257],
    [64, 72, 1030],
    [130, 9, 2049],
  ] as const) {
    for (const ta of [0, 1])
      for (const tb of [0, 1]) {
        const a = randomArray(M * K, r).map(Math.fround),
          b = randomArray(K * N, r).map(Math.fround);
        const [pa, pb, pc, ps] = place([a, b], [M * N * 4, rt.matmul_f32_scratch(M, N, K)]);
        rt.matmul_f32(pa!, pb!, pc!, M, N, K, ta, tb, ps!);
        const got = new Float32Array(memory.buffer, pc!, M * N);
        const { c, mag } = naiveMatmul(a, b, M, N, K, ta === 1, tb === 1);
        n++;
        for (let i = 0; i < M * N; i++) {
          const tol = (80 * 2 ** -24 + K * 2 ** -53) * mag[i]! + 2 ** -24 * Math.abs(c[i]!) + 1e-30;
          if (!(Math.abs(got[i]! - c[i]!) <= tol)) {
            failures.push(`${M}x${N}x${K} transA=${ta} transB=${tb}: C[${i}] = ${got[i]} vs ${c[i]} (tol ${tol})`);
            break;
          }
        }
      }
  }
  t.same(failures, [], `${n} cases`);
});

t.test('relaxed build: matmul_f32_ep equals its own product then the epilogue, bit for bit', async (t) => {
  const r = rng(9);
  const failures: string[] = [];
  for (const [M, N, K] of [
    [1, 19, 70],
    [37, 21, 300],
    [64, 16, 64],
  ] as const) {
    for (const [act, code] of Object.entries(MATMUL_ACT)) {
      const a = randomArray(M * K, r).map(Math.fround),
        b = randomArray(K * N, r).map(Math.fround),
        bias = randomArray(N, r).map(Math.fround);
      const [pa, pb, pbias, pc, pref, ps] = place([a, b, bias], [M * N * 4, M * N * 4, rt.matmul_f32_scratch(M, N, K)]);
      rt.matmul_f32_ep(pa!, pb!, pc!, M, N, K, 0, 0, ps!, pbias!, code);
      rt.matmul_f32(pa!, pb!, pref!, M, N, K, 0, 0, ps!);
      const got = new Float32Array(memory.buffer, pc!, M * N),
        prod = new Float32Array(memory.buffer, pref!, M * N);
      for (let i = 0; i < M * N; i++) {
        let v = Math.fround(prod[i]! + bias[i % N]!);
        if (act === 'relu') v = v > 0 ? v : 0;
        else if (act === 'sigmoid') v = rt.math_sigmoid_f32(v);
        else if (act === 'tanh') v = rt.math_tanh_f32(v);
        if (!Object.is(got[i], v)) {
          failures.push(`${M}x${N}x${K} ${act}: C[${i}] = ${got[i]} vs ${v}`);
          break;
        }
      }
    }
  }
  t.same(failures, []);
});
