/**
 * @fileoverview softmax / log_softmax over [outer, n, inner], the dense and sparse softmax
 * cross-entropy losses (with backprop) and argmax/argmin, against f64 JS references.
 * Tolerance: f32 |x − ref| ≤ 1e-6·max(1, |ref|)·4, f64 1e-13·max(1, |ref|). Also checks stability
 * with logits of ±1000 (no inf/NaN) and the invalid-label status of the sparse loss.
 */
import t from 'tap';
import { Harness, randomArray, rng } from './harness.js';

type DT = 'f32' | 'f64';
const tolOf = (dt: DT) => (dt === 'f32' ? 4e-6 : 1e-13);
function close(got: ArrayLike<number>, want: readonly number[], dt: DT): string | null {
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= tolOf(dt) * Math.max(1, Math.abs(want[i]!)))) return `[${i}] ${got[i]} vs ${want[i]}`;
  }
  return null;
}
function refSoftmax(x: readonly number[], outer: number, n: number, inner: number, log: boolean): number[] {
  const y = new Array<number>(x.length);
  for (let o = 0; o < outer; o++)
    for (let q = 0; q < inner; q++) {
      const idx = (j: number) => (o * n + j) * inner + q;
      let m = -Infinity;
      for (let j = 0; j < n; j++) m = Math.max(m, x[idx(j)]!);
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(x[idx(j)]! - m);
      for (let j = 0; j < n; j++) y[idx(j)] = log ? x[idx(j)]! - m - Math.log(s) : Math.exp(x[idx(j)]! - m) / s;
    }
  return y;
}

const h = new Harness();
const view = (dt: DT, p: number, n: number) => (dt === 'f32' ? h.f32(p, n) : h.f64(p, n));

for (const dt of ['f32', 'f64'] as const) {
  const round = dt === 'f32' ? Math.fround : (x: number) => x;
  t.test(`softmax / log_softmax ${dt}`, async (t) => {
    const r = rng(dt === 'f32' ? 11 : 12);
    for (const [outer, n, inner] of [
      [1, 1, 1],
      [3, 5, 1],
      [2, 17, 1],
      [4, 33, 1],
      [2, 7, 3],
      [1, 9, 5],
      [0, 4, 1],
    ] as const) {
      for (const log of [false, true]) {
        h.reset();
        const x = randomArray(outer * n * inner, r, -5, 5).map(round);
        const px = h.put(dt, x),
          py = h.alloc(x.length * 8);
        const fn = log ? (dt === 'f32' ? h.rt.log_softmax_f32 : h.rt.log_softmax_f64) : dt === 'f32' ? h.rt.softmax_f32 : h.rt.softmax_f64;
        fn(px, py, outer, n, inner);
        t.equal(close(view(dt, py, x.length), refSoftmax(x, outer, n, inner, log), dt), null, `${log ? 'log_' : ''}softmax [${outer},${n},${inner}]`);
      }
    }
  });

  t.test(`softmax ${dt} is stable for large logits and works in place`, async (t) => {
    h.reset();
    const x = [1000, -1000, 999, 0, 1000, 1000];
    const px = h.put(dt, x);
    (dt === 'f32' ? h.rt.softmax_f32 : h.rt.softmax_f64)(px, px, 1, 6, 1);
    const y = [...view(dt, px, 6)];
    t.ok(y.every(Number.isFinite), 'finite');
    t.equal(close(y, refSoftmax(x, 1, 6, 1, false), dt), null);
  });

  t.test(`softmax_xent ${dt} (dense labels) with backprop`, async (t) => {
    const r = rng(21);
    for (const [rows, cols] of [
      [1, 1],
      [3, 5],
      [4, 10],
      [2, 33],
      [0, 3],
    ] as const) {
      h.reset();
      const logits = randomArray(rows * cols, r, -3, 3).map(round);
      const labels: number[] = [];
      for (let i = 0; i < rows; i++) {
        const row = randomArray(cols, r, 0, 1);
        const s = row.reduce((a, b) => a + b, 0);
        labels.push(...row.map((v) => round(v / s)));
      }
      const pl = h.put(dt, labels),
        pz = h.put(dt, logits),
        ploss = h.alloc(rows * 8),
        pbp = h.alloc(rows * cols * 8);
      (dt === 'f32' ? h.rt.softmax_xent_f32 : h.rt.softmax_xent_f64)(pl, pz, ploss, pbp, rows, cols);
      const logp = refSoftmax(logits, rows, cols, 1, true);
      const loss = Array.from({ length: rows }, (_, i) => -labels.slice(i * cols, (i + 1) * cols).reduce((s, l, j) => s + l * logp[i * cols + j]!, 0));
      const bp = logp.map((lp, i) => Math.exp(lp) - labels[i]!);
      t.equal(close(view(dt, ploss, rows), loss, dt), null, `loss [${rows},${cols}]`);
      t.equal(close(view(dt, pbp, rows * cols), bp, dt), null, `backprop [${rows},${cols}]`);
    }
  });

  t.test(`sparse_softmax_xent ${dt}`, async (t) => {
    const r = rng(31);
    for (const [rows, cols] of [
      [1, 1],
      [3, 5],
      [5, 10],
      [2, 33],
    ] as const) {
      h.reset();
      const logits = randomArray(rows * cols, r, -3, 3).map(round);
      const labels = Array.from({ length: rows }, () => Math.floor(r() * cols));
      const pl = h.put('i32', labels),
        pz = h.put(dt, logits),
        ploss = h.alloc(rows * 8),
        pbp = h.alloc(rows * cols * 8);
      const status = (dt === 'f32' ? h.rt.sparse_softmax_xent_f32 : h.rt.sparse_softmax_xent_f64)(pl, pz, ploss, pbp, rows, cols);
      t.equal(status, 0);
      const logp = refSoftmax(logits, rows, cols, 1, true);
      t.equal(
        close(
          view(dt, ploss, rows),
          labels.map((l, i) => -logp[i * cols + l]!),
          dt,
        ),
        null,
        `loss [${rows},${cols}]`,
      );
      const bp = logp.map((lp, i) => Math.exp(lp) - (labels[Math.floor(i / cols)] === i % cols ? 1 : 0));
      t.equal(close(view(dt, pbp, rows * cols), bp, dt), null, `backprop [${rows},${cols}]`);
      // No backprop requested (pointer 0): loss only.
      t.equal((dt === 'f32' ? h.rt.sparse_softmax_xent_f32 : h.rt.sparse_softmax_xent_f64)(pl, pz, ploss, 0, rows, cols), 0);
    }
    h.reset();
    const pl = h.put('i32', [0, 3, -1]),
      pz = h.put(dt, new Array(9).fill(0)),
      ploss = h.alloc(24);
    t.equal(
      (dt === 'f32' ? h.rt.sparse_softmax_xent_f32 : h.rt.sparse_softmax_xent_f64)(pl, pz, ploss, 0, 3, 3),
      2,
      'first bad label is in row 1 (status row+1)',
    );
  });

  t.test(`argmax / argmin ${dt}`, async (t) => {
    h.reset();
    // [outer=2, n=4, inner=2] with ties: first index wins.
    const x = [1, 5, 3, 5, 3, 0, 2, 5, /**/ -1, 2, -1, 2, -3, 2, 0, 2].map(round);
    const px = h.put(dt, x),
      pout = h.alloc(16);
    (dt === 'f32' ? h.rt.argmax_f32 : h.rt.argmax_f64)(px, pout, 2, 4, 2);
    t.same([...h.i32(pout, 4)], [1, 0, 3, 0], 'argmax along the middle axis');
    (dt === 'f32' ? h.rt.argmin_f32 : h.rt.argmin_f64)(px, pout, 2, 4, 2);
    t.same([...h.i32(pout, 4)], [0, 2, 2, 0], 'argmin along the middle axis');
    const r = rng(41);
    const rows = 7,
      cols = 13;
    const y = randomArray(rows * cols, r).map(round);
    const py = h.put(dt, y),
      po = h.alloc(rows * 4);
    (dt === 'f32' ? h.rt.argmax_f32 : h.rt.argmax_f64)(py, po, rows, cols, 1);
    const want = Array.from({ length: rows }, (_, i) => {
      const row = y.slice(i * cols, (i + 1) * cols);
      return row.indexOf(Math.max(...row));
    });
    t.same([...h.i32(po, rows)], want, 'row-wise argmax');
  });
}
