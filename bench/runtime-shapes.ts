/**
 * @fileoverview Run-time shapes vs planned kernels on the wasm generic path (docs/limits.md,
 * "Unknown rank"): the same ops over `p` fed a [1000, 1000] f32 tensor, once with
 * `p = placeholder(float32)` (unknown rank: run-time-shape kernels) and once with
 * `shape=[1000, 1000]` (planned kernels). Per op, the best of 15 `Session.run` calls after five
 * warm-up calls (feed copy, kernel, result read included). A benchmark, not a test.
 *
 *   node dist/bench/runtime-shapes.js
 */
import { compileProgram } from '../compiler/driver.js';
import { buildProgram } from '../compiler/frontend/index.js';
import { Tensor } from '../session/tensor.js';
import { loadModelSync } from '../session/wasm/sync.js';

const x = new Tensor(
  'f32',
  [1000, 1000],
  Float32Array.from({ length: 1e6 }, (_, i) => (i % 97) / 97),
);
const OPS: [string, string][] = [
  ['add(p, p)', 'add(p, p, name="y")'],
  ['exp(p)', 'exp(p, name="y")'],
  ['reduce_sum(p, axis=[1])', 'reduce_sum(p, axis=[1], name="y")'],
  ['transpose(p)', 'transpose(p, name="y")'],
  ['matmul(p, p)', 'matmul(p, p, name="y")'],
];
for (const [label, expr] of OPS) {
  const row: string[] = [];
  for (const shape of ['None', '[1000, 1000]']) {
    const r = buildProgram(`p = placeholder(float32, shape=${shape}, name="p")\ny = ${expr}\n`, 'bench.tfg', { print: () => {} });
    if (!r.ok) throw new Error(`${label}: build failed`);
    const sess = loadModelSync(compileProgram({ ...r, signatures: [] }, {}).wasm as Uint8Array<ArrayBuffer>).createSession();
    for (let i = 0; i < 5; i++) sess.run('y:0', { 'p:0': x });
    let best = Infinity;
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      sess.run('y:0', { 'p:0': x });
      best = Math.min(best, performance.now() - t0);
    }
    row.push(`${shape === 'None' ? 'run-time shapes' : 'planned'} ${best.toFixed(1)} ms`);
  }
  console.log(`${label}: ${row.join(', ')}`);
}
