/**
 * @fileoverview The opt-in relaxed-SIMD runtime (`runtime-relaxed.wasm`, f32x4.relaxed_madd in
 * the f32 micro-kernel): same results as the plain build within the f32 dot-product bound
 * (a fused multiply-add may round differently). Node 20 needs V8's relaxed-SIMD flag, set here
 * before any module in this process compiles (tap runs each test file in its own process).
 */
import v8 from 'node:v8';
import t from 'tap';
import { RUNTIME_RESERVED_BYTES, createSharedMemory, instantiateRuntimeSync } from '../../runtime-as/abi.js';
import { readRuntimeWasm } from '../../runtime-as/node.js';
import { naiveMatmul, randomArray, rng } from './harness.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

t.test('relaxed build: matmul_f32 within 2·K·2^-24·Σ|a||b| of f64, all transposes', async (t) => {
  const memory = createSharedMemory(64);
  const rt = instantiateRuntimeSync(readRuntimeWasm('relaxed'), memory);
  const r = rng(5);
  for (const [M, N, K] of [[1, 1, 1], [5, 9, 7], [33, 17, 300], [70, 260, 33]] as const) {
    for (const ta of [0, 1]) for (const tb of [0, 1]) {
      const a = randomArray(M * K, r).map(Math.fround), b = randomArray(K * N, r).map(Math.fround);
      const pa = RUNTIME_RESERVED_BYTES, pb = pa + a.length * 4 + 16 - ((a.length * 4) % 16), pc = pb + b.length * 4 + 16 - ((b.length * 4) % 16), ps = pc + M * N * 4 + 16 - ((M * N * 4) % 16);
      new Float32Array(memory.buffer, pa, a.length).set(a);
      new Float32Array(memory.buffer, pb, b.length).set(b);
      rt.matmul_f32(pa, pb, pc, M, N, K, ta, tb, ps);
      const got = new Float32Array(memory.buffer, pc, M * N);
      const { c, mag } = naiveMatmul(a, b, M, N, K, ta === 1, tb === 1);
      let bad = -1;
      for (let i = 0; i < M * N; i++) if (!(Math.abs(got[i]! - c[i]!) <= 2 * K * 2 ** -24 * mag[i]! + 1e-30)) { bad = i; break; }
      t.equal(bad, -1, `${M}x${N}x${K} transA=${ta} transB=${tb}`);
    }
  }
});
