/**
 * @fileoverview Matrix inverse by LU decomposition with partial pivoting, computed in f64 for
 * f32 and f64 inputs (TF's MatrixInverse: Eigen PartialPivLU, singular when a pivot is exactly
 * zero). Batched over a leading dimension; `adjoint` inverts the transpose (real matrices).
 * Returns 0 when every matrix was inverted, 1 when some matrix is singular (the loader raises
 * InvalidArgumentError('Input is not invertible.')); outputs are then unspecified.
 */

/** Scratch bytes for matrix_inverse_*: the f64 LU factors, one f64 column and the pivots. */
export function matrix_inverse_scratch(n: i32): i32 {
  return ((n * n * 8 + 15) & ~15) + ((n * 8 + 15) & ~15) + ((n * 4 + 15) & ~15);
}

function invert<T>(src: usize, dst: usize, n: i32, adjoint: bool, scratch: usize): i32 {
  const es = <usize>sizeof<T>();
  const nn = <usize>n;
  const lu = (scratch + 15) & ~<usize>15;
  const col = lu + ((nn * nn * 8 + 15) & ~<usize>15);
  const perm = col + ((nn * 8 + 15) & ~<usize>15);
  // Load (transposed when adjoint) into f64.
  for (let i: usize = 0; i < nn; i++) {
    for (let j: usize = 0; j < nn; j++) {
      const s = adjoint ? j * nn + i : i * nn + j;
      store<f64>(lu + ((i * nn + j) << 3), <f64>load<T>(src + s * es));
    }
    store<i32>(perm + (i << 2), <i32>i);
  }
  // Doolittle LU with row pivoting: P·A = L·U, L unit lower, both stored in lu.
  for (let k: usize = 0; k < nn; k++) {
    let p = k;
    let best = Math.abs(load<f64>(lu + ((k * nn + k) << 3)));
    for (let i = k + 1; i < nn; i++) {
      const v = Math.abs(load<f64>(lu + ((i * nn + k) << 3)));
      if (v > best) { best = v; p = i; }
    }
    if (!(best > 0)) return 1;
    if (p != k) {
      for (let j: usize = 0; j < nn; j++) {
        const x = lu + ((k * nn + j) << 3), y = lu + ((p * nn + j) << 3);
        const t = load<f64>(x); store<f64>(x, load<f64>(y)); store<f64>(y, t);
      }
      const t = load<i32>(perm + (k << 2));
      store<i32>(perm + (k << 2), load<i32>(perm + (p << 2)));
      store<i32>(perm + (p << 2), t);
    }
    const pivot = load<f64>(lu + ((k * nn + k) << 3));
    const rowK = lu + ((k * nn) << 3);
    for (let i = k + 1; i < nn; i++) {
      const rowI = lu + ((i * nn) << 3);
      const l = load<f64>(rowI + (k << 3)) / pivot;
      store<f64>(rowI + (k << 3), l);
      if (l != 0) {
        let j = k + 1;
        const vl = f64x2.splat(l);
        for (; j + 2 <= nn; j += 2) {
          v128.store(rowI + (j << 3), f64x2.sub(v128.load(rowI + (j << 3)), f64x2.mul(vl, v128.load(rowK + (j << 3)))));
        }
        for (; j < nn; j++) store<f64>(rowI + (j << 3), load<f64>(rowI + (j << 3)) - l * load<f64>(rowK + (j << 3)));
      }
    }
  }
  // Column j of the inverse solves L·U·x = P·e_j.
  for (let j: usize = 0; j < nn; j++) {
    for (let i: usize = 0; i < nn; i++) {
      let s: f64 = load<i32>(perm + (i << 2)) == <i32>j ? 1.0 : 0.0;
      const row = lu + ((i * nn) << 3);
      for (let k: usize = 0; k < i; k++) s -= load<f64>(row + (k << 3)) * load<f64>(col + (k << 3));
      store<f64>(col + (i << 3), s);
    }
    for (let ii = <isize>nn - 1; ii >= 0; ii--) {
      const i = <usize>ii;
      const row = lu + ((i * nn) << 3);
      let s = load<f64>(col + (i << 3));
      for (let k = i + 1; k < nn; k++) s -= load<f64>(row + (k << 3)) * load<f64>(col + (k << 3));
      store<f64>(col + (i << 3), s / load<f64>(row + (i << 3)));
    }
    for (let i: usize = 0; i < nn; i++) store<T>(dst + (i * nn + j) * es, <T>load<f64>(col + (i << 3)));
  }
  return 0;
}

/** out[b] = inverse(x[b]) (or of its transpose when adjoint) for b < batch; n×n f32 matrices. */
export function matrix_inverse_f32(x: usize, out: usize, batch: i32, n: i32, adjoint: bool, scratch: usize): i32 {
  let status = 0;
  const bytes = <usize>n * n * 4;
  for (let b = 0; b < batch; b++) status |= invert<f32>(x + <usize>b * bytes, out + <usize>b * bytes, n, adjoint, scratch);
  return status;
}

/** f64 version of matrix_inverse_f32. */
export function matrix_inverse_f64(x: usize, out: usize, batch: i32, n: i32, adjoint: bool, scratch: usize): i32 {
  let status = 0;
  const bytes = <usize>n * n * 8;
  for (let b = 0; b < batch; b++) status |= invert<f64>(x + <usize>b * bytes, out + <usize>b * bytes, n, adjoint, scratch);
  return status;
}
