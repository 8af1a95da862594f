/**
 * @fileoverview Row-wise softmax, log-softmax, the two softmax cross-entropy losses and
 * argmax/argmin, for f32 and f64, numerically stable (max subtracted first), following TF's
 * CPU functors (softmax = exp(x − max) · (1 / Σ); log_softmax = (x − max) − log Σ;
 * xent loss = Σ labels·(log Σ − (x − max)), backprop = softmax − labels).
 *
 * Softmax and argmax take the tensor viewed as [outer, n, inner] and work along the middle axis
 * (inner = 1 for the last axis, the SIMD fast path). The losses take [rows, cols] (class axis
 * last). A `backprop` pointer of 0 means "do not write the gradient".
 */

import { expFdlibm } from './math';

// @ts-ignore: decorator
@inline function expT<T>(x: T): T {
  if (sizeof<T>() == 4) return <T>Mathf.exp(<f32>x);
  return <T>expFdlibm(<f64>x);
}
// @ts-ignore: decorator
@inline function logT<T>(x: T): T {
  if (sizeof<T>() == 4) return <T>Mathf.log(<f32>x);
  return <T>Math.log(<f64>x);
}

/** Max of a contiguous row of n ≥ 1 values (SIMD for f32 and f64). */
function rowMax<T>(p: usize, n: i32): T {
  const es = <usize>sizeof<T>();
  const lanes = 16 / <i32>es;
  let m: T = load<T>(p);
  let j = 0;
  if (n >= lanes * 2) {
    let v = v128.load(p);
    for (j = lanes; j + lanes <= n; j += lanes) v = v128.max<T>(v, v128.load(p + <usize>j * es));
    for (let l = 0; l < lanes; l++) {
      const x: T = sizeof<T>() == 4 ? <T>f32x4.extract_lane(v, 0) : <T>f64x2.extract_lane(v, 0);
      if (x > m || x != x) m = x;
      v = sizeof<T>() == 4 ? v128.shuffle<i32>(v, v, 1, 2, 3, 0) : v128.shuffle<i64>(v, v, 1, 0);
    }
  }
  for (; j < n; j++) { const x = load<T>(p + <usize>j * es); if (x > m || x != x) m = x; }
  return m;
}

/** Multiply a contiguous row by s (SIMD). */
function rowScale<T>(p: usize, n: i32, s: T): void {
  const es = <usize>sizeof<T>();
  const lanes = 16 / <i32>es;
  const vs = v128.splat<T>(s);
  let j = 0;
  for (; j + lanes <= n; j += lanes) v128.store(p + <usize>j * es, v128.mul<T>(v128.load(p + <usize>j * es), vs));
  for (; j < n; j++) store<T>(p + <usize>j * es, load<T>(p + <usize>j * es) * s);
}

function softmaxGeneric<T>(x: usize, y: usize, outer: i32, n: i32, inner: i32, logSoftmax: bool): void {
  if (n <= 0) return;
  const es = <usize>sizeof<T>();
  const step = <usize>inner * es;
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const xs = x + (<usize>o * n * inner + q) * es;
      const ys = y + (<usize>o * n * inner + q) * es;
      let m: T;
      if (inner == 1) m = rowMax<T>(xs, n);
      else {
        m = load<T>(xs);
        for (let j = 1; j < n; j++) { const v = load<T>(xs + <usize>j * step); if (v > m || v != v) m = v; }
      }
      let sum: T = 0;
      if (logSoftmax) {
        for (let j = 0; j < n; j++) sum += expT<T>(load<T>(xs + <usize>j * step) - m);
        const ls = logT<T>(sum);
        for (let j = 0; j < n; j++) store<T>(ys + <usize>j * step, (load<T>(xs + <usize>j * step) - m) - ls);
      } else {
        for (let j = 0; j < n; j++) {
          const e = expT<T>(load<T>(xs + <usize>j * step) - m);
          store<T>(ys + <usize>j * step, e);
          sum += e;
        }
        const r: T = <T>1 / sum;
        if (inner == 1) rowScale<T>(ys, n, r);
        else for (let j = 0; j < n; j++) store<T>(ys + <usize>j * step, load<T>(ys + <usize>j * step) * r);
      }
    }
  }
}

/** y = softmax(x) along the middle axis of [outer, n, inner]; y may alias x. */
export function softmax_f32(x: usize, y: usize, outer: i32, n: i32, inner: i32): void { softmaxGeneric<f32>(x, y, outer, n, inner, false); }
export function softmax_f64(x: usize, y: usize, outer: i32, n: i32, inner: i32): void { softmaxGeneric<f64>(x, y, outer, n, inner, false); }
/** y = log_softmax(x) along the middle axis of [outer, n, inner]; y may alias x. */
export function log_softmax_f32(x: usize, y: usize, outer: i32, n: i32, inner: i32): void { softmaxGeneric<f32>(x, y, outer, n, inner, true); }
export function log_softmax_f64(x: usize, y: usize, outer: i32, n: i32, inner: i32): void { softmaxGeneric<f64>(x, y, outer, n, inner, true); }

/** Shared by both losses: returns log Σ exp(row − max) and leaves max in `rowMaxOut`. */
let lastMax: f64 = 0;
function logSumExp<T>(row: usize, cols: i32): T {
  const es = <usize>sizeof<T>();
  const m = rowMax<T>(row, cols);
  lastMax = <f64>m;
  let sum: T = 0;
  for (let j = 0; j < cols; j++) sum += expT<T>(load<T>(row + <usize>j * es) - m);
  return logT<T>(sum);
}

function xentDense<T>(labels: usize, logits: usize, loss: usize, backprop: usize, rows: i32, cols: i32): void {
  const es = <usize>sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const row = logits + <usize>r * cols * es, lab = labels + <usize>r * cols * es;
    let l: T = 0;
    if (cols > 0) {
      const ls = logSumExp<T>(row, cols);
      const m = <T>lastMax;
      for (let j = 0; j < cols; j++) l += load<T>(lab + <usize>j * es) * (ls - (load<T>(row + <usize>j * es) - m));
      if (backprop) {
        const bp = backprop + <usize>r * cols * es;
        for (let j = 0; j < cols; j++) {
          store<T>(bp + <usize>j * es, expT<T>((load<T>(row + <usize>j * es) - m) - ls) - load<T>(lab + <usize>j * es));
        }
      }
    }
    store<T>(loss + <usize>r * es, l);
  }
}

/**
 * loss[r] = Σ_j labels[r,j]·(logΣexp(logits[r]) − logits[r,j]) over [rows, cols];
 * backprop (if non-zero) = softmax(logits) − labels.
 */
export function softmax_xent_f32(labels: usize, logits: usize, loss: usize, backprop: usize, rows: i32, cols: i32): void { xentDense<f32>(labels, logits, loss, backprop, rows, cols); }
export function softmax_xent_f64(labels: usize, logits: usize, loss: usize, backprop: usize, rows: i32, cols: i32): void { xentDense<f64>(labels, logits, loss, backprop, rows, cols); }

function xentSparse<T>(labels: usize, logits: usize, loss: usize, backprop: usize, rows: i32, cols: i32): i32 {
  const es = <usize>sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const label = load<i32>(labels + (<usize>r << 2));
    if (label < 0 || label >= cols) return r + 1;
  }
  for (let r = 0; r < rows; r++) {
    const row = logits + <usize>r * cols * es;
    const label = load<i32>(labels + (<usize>r << 2));
    const ls = logSumExp<T>(row, cols);
    const m = <T>lastMax;
    store<T>(loss + <usize>r * es, ls - (load<T>(row + <usize>label * es) - m));
    if (backprop) {
      const bp = backprop + <usize>r * cols * es;
      for (let j = 0; j < cols; j++) {
        const p = expT<T>((load<T>(row + <usize>j * es) - m) - ls);
        store<T>(bp + <usize>j * es, j == label ? p - <T>1 : p);
      }
    }
  }
  return 0;
}

/**
 * Sparse labels (i32 class ids): loss[r] = logΣexp(logits[r]) − logits[r, labels[r]].
 * Returns 0, or r+1 for the first row whose label is outside [0, cols) (nothing is written then).
 */
export function sparse_softmax_xent_f32(labels: usize, logits: usize, loss: usize, backprop: usize, rows: i32, cols: i32): i32 { return xentSparse<f32>(labels, logits, loss, backprop, rows, cols); }
export function sparse_softmax_xent_f64(labels: usize, logits: usize, loss: usize, backprop: usize, rows: i32, cols: i32): i32 { return xentSparse<f64>(labels, logits, loss, backprop, rows, cols); }

function argReduce<T>(x: usize, out: usize, outer: i32, n: i32, inner: i32, isMax: bool): void {
  const es = <usize>sizeof<T>();
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = x + (<usize>o * n * inner + q) * es;
      let best: T = load<T>(base);
      let bi = 0;
      for (let j = 1; j < n; j++) {
        const v = load<T>(base + <usize>j * inner * es);
        if (isMax ? v > best : v < best) { best = v; bi = j; }
      }
      store<i32>(out + ((<usize>o * inner + q) << 2), bi);
    }
  }
}

/** out[o, q] = first index of the max along the middle axis of [outer, n, inner] (n ≥ 1). */
export function argmax_f32(x: usize, out: usize, outer: i32, n: i32, inner: i32): void { argReduce<f32>(x, out, outer, n, inner, true); }
export function argmax_f64(x: usize, out: usize, outer: i32, n: i32, inner: i32): void { argReduce<f64>(x, out, outer, n, inner, true); }
export function argmin_f32(x: usize, out: usize, outer: i32, n: i32, inner: i32): void { argReduce<f32>(x, out, outer, n, inner, false); }
export function argmin_f64(x: usize, out: usize, outer: i32, n: i32, inner: i32): void { argReduce<f64>(x, out, outer, n, inner, false); }
