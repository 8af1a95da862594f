/**
 * @fileoverview matrix_inverse_f32/f64 (LU with partial pivoting in f64) against a JS
 * Gauss–Jordan inverse in f64, with adjoint and batches, and singular detection (status 1).
 * Tolerance: f64 1e-10, f32 1e-5 relative to max|inv| (well-conditioned diagonally dominant inputs).
 */
import t from 'tap';
import { matrixInverseScratchBytes } from '../../runtime-as/abi.js';
import { Harness, randomArray, rng } from './harness.js';

function jsInverse(a: readonly number[], n: number): number[] {
  const w = a.map((x) => x);
  const inv: number[] = Array.from({ length: n * n }, (_, i) => (Math.floor(i / n) === i % n ? 1 : 0));
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(w[i * n + k]!) > Math.abs(w[p * n + k]!)) p = i;
    for (let j = 0; j < n; j++) {
      [w[k * n + j], w[p * n + j]] = [w[p * n + j]!, w[k * n + j]!];
      [inv[k * n + j], inv[p * n + j]] = [inv[p * n + j]!, inv[k * n + j]!];
    }
    const d = w[k * n + k]!;
    for (let j = 0; j < n; j++) {
      w[k * n + j]! /= d;
      inv[k * n + j]! /= d;
    }
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const f = w[i * n + k]!;
      for (let j = 0; j < n; j++) {
        w[i * n + j]! -= f * w[k * n + j]!;
        inv[i * n + j]! -= f * inv[k * n + j]!;
      }
    }
  }
  return inv;
}
const transpose = (a: readonly number[], n: number) => a.map((_, i) => a[(i % n) * n + Math.floor(i / n)]!);

const h = new Harness();
for (const dt of ['f32', 'f64'] as const) {
  t.test(`matrix_inverse_${dt} vs JS`, async (t) => {
    const r = rng(dt === 'f32' ? 3 : 4);
    const round = dt === 'f32' ? Math.fround : (x: number) => x;
    for (const n of [0, 1, 2, 3, 5, 8, 17, 33]) {
      for (const adjoint of [false, true]) {
        h.reset();
        const batch = 2;
        const mats = Array.from({ length: batch }, () => randomArray(n * n, r).map((x, i) => round(Math.floor(i / n) === i % n ? x + n : x)));
        const px = h.put(dt, mats.flat()),
          pout = h.alloc(batch * n * n * 8),
          ps = h.alloc(h.rt.matrix_inverse_scratch(n));
        const status = (dt === 'f32' ? h.rt.matrix_inverse_f32 : h.rt.matrix_inverse_f64)(px, pout, batch, n, adjoint ? 1 : 0, ps);
        t.equal(status, 0, `n=${n} adjoint=${adjoint}: status ok`);
        const got = dt === 'f32' ? h.f32(pout, batch * n * n) : h.f64(pout, batch * n * n);
        let worst = 0;
        for (let b = 0; b < batch; b++) {
          const want = jsInverse(adjoint ? transpose(mats[b]!, n) : mats[b]!, n);
          const scale = Math.max(1e-300, ...want.map(Math.abs));
          for (let i = 0; i < n * n; i++) worst = Math.max(worst, Math.abs(got[b * n * n + i]! - want[i]!) / scale);
        }
        t.ok(worst <= (dt === 'f32' ? 1e-5 : 1e-10), `n=${n} adjoint=${adjoint}: max relative error ${worst}`);
      }
    }
  });
}

t.test('singular matrices give status 1', async (t) => {
  const cases: Array<[string, number[], number]> = [
    ['rank-1 2x2', [1, 2, 2, 4], 2],
    ['zero 3x3', new Array(9).fill(0), 3],
    ['zero 1x1', [0], 1],
    ['duplicate rows 3x3', [1, 2, 3, 4, 5, 6, 1, 2, 3], 3],
  ];
  for (const dt of ['f32', 'f64'] as const) {
    for (const [name, a, n] of cases) {
      h.reset();
      const px = h.put(dt, a),
        pout = h.alloc(n * n * 8),
        ps = h.alloc(h.rt.matrix_inverse_scratch(n));
      t.equal((dt === 'f32' ? h.rt.matrix_inverse_f32 : h.rt.matrix_inverse_f64)(px, pout, 1, n, 0, ps), 1, `${dt} ${name}`);
    }
    h.reset();
    // One good and one singular matrix in a batch.
    const px = h.put(dt, [2, 0, 0, 2, 1, 1, 1, 1]),
      pout = h.alloc(64),
      ps = h.alloc(h.rt.matrix_inverse_scratch(2));
    t.equal((dt === 'f32' ? h.rt.matrix_inverse_f32 : h.rt.matrix_inverse_f64)(px, pout, 2, 2, 0, ps), 1, `${dt}: singular second batch item`);
  }
});

t.test('matrix_inverse_scratch equals the abi.ts mirror', async (t) => {
  for (const n of [0, 1, 2, 3, 7, 100]) t.equal(h.rt.matrix_inverse_scratch(n), matrixInverseScratchBytes(n), `n=${n}`);
});
