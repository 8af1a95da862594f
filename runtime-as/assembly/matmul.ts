/**
 * @fileoverview Matrix multiplication kernels: C[M,N] = op(A)·op(B) for f32 and f64, with
 * optional transposes, a batched form, and an f32 variant that accumulates in f64.
 *
 * Structure (GotoBLAS / XNNPACK style): for each block of NC columns (jc) and MB rows (mb) of C,
 * a padded accumulator Cacc[MBp][NCp] lives in the caller-given scratch; for each KC slice (pc)
 * of the reduction, op(B)[pc:pc+KC, jc:jc+NC] is packed once into 8-column panels laid out
 * [k][8] (zero padded), and for each MC rows (ic) op(A)[ic:ic+MC, pc:pc+KC] into 4-row panels
 * laid out [k][4]; then a
 * register-blocked micro-kernel (f32: 4×8 = 8 f32x4 accumulators, A values broadcast with
 * v128.load32_splat, one k per iteration; f64: 4×4 with f64x2) adds each panel pair into Cacc. Because
 * panels are zero padded and Cacc is padded to whole tiles, the micro-kernel never sees a tail:
 * M%4 and N%8 are handled by padding; any K works since k steps one at a time. Cacc is copied out once
 * per (jc, mb) block (memory.copy per row). (f64 keeps the simpler MC-row accumulator.)
 *
 * Small M (M ≤ 4, or ≤ 8 with transB; A's rows contiguous) skips packing: GEMV-like loops read
 * op(B) in place (B as stored: a[k] splat times 16 contiguous columns of row k into 4 f32x4
 * accumulators, rows of C in pairs; B transposed: dot products of 4 columns). Chosen inside
 * matmul_f32/matmul_f64 (and their batched forms), so callers do not change.
 *
 * No kernel allocates: the caller passes `scratch` (16-byte aligned) of at least
 * `matmul_*_scratch(M, N, K)` bytes. See docs/runtime.md for the ABI.
 */

// Block sizes (elements). KC×8 B panel (8 KiB f32) stays in L1 while the A panels stream.
const MC: i32 = 64;
const NC: i32 = 256;
const KC: i32 = 256;
// Rows of C accumulated against one packed B block (bounds the accumulator to MB×NC).
const MB: i32 = 512;
// f64 (and f32-accumulated-in-f64) blocks.
const MC64: i32 = 64;
const NC64: i32 = 128;
const KC64: i32 = 256;

// @ts-ignore: decorator
@inline function min(a: i32, b: i32): i32 { return a < b ? a : b; }
// @ts-ignore: decorator
@inline function roundUp(x: i32, m: i32): i32 { return (x + m - 1) / m * m; }
// @ts-ignore: decorator
@inline function align16(x: usize): usize { return (x + 15) & ~<usize>15; }

// ---------------------------------------------------------------------------------------------
// Small M (GEMV-like, no packing). With M ≤ SMALL_M rows the packed path would repack all of op(B)
// (K×N) for a handful of rows and run the 4×8 tile on padding rows; these loops read op(B) in
// place once per row of C instead. Used when M ≤ SMALL_M and A's rows are contiguous
// (!transA, or M == 1 where [K,1] is one contiguous row).

/**
 * Largest M that takes the no-packing path: B as stored (rows in pairs share each B load; at M = 4
 * 1.5× faster than packing for 4×784×300) and B transposed (dot products; the packed path's
 * strided B packing is slow, so the crossover is higher: 8 rows of 8×784×300 ≈ 2.5× faster).
 */
const SMALL_M: i32 = 4;
const SMALL_M_TRANSB: i32 = 8;

// @ts-ignore: decorator
@inline function useSmallPath(M: i32, ta: bool, tb: bool): bool { return M <= (tb ? SMALL_M_TRANSB : SMALL_M) && (M == 1 || !ta); }

/**
 * One row of C (f32): c[0..N) = a[0..K) · B, B stored [K][N] (row-major, not transposed).
 * Columns in blocks of 16 (4 f32x4 accumulators = one cache line of each B row per k), then
 * blocks of 4, then a scalar tail.
 */
function gemvRow32(a: usize, b: usize, c: usize, N: i32, K: i32): void {
  const ldb = <usize>N << 2;
  let j = 0;
  for (; j + 16 <= N; j += 16) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let pb = b + (<usize>j << 2), pa = a;
    for (let k = 0; k < K; k++) {
      const x = v128.load32_splat(pa);
      s0 = f32x4.add(s0, f32x4.mul(x, v128.load(pb)));
      s1 = f32x4.add(s1, f32x4.mul(x, v128.load(pb, 16)));
      s2 = f32x4.add(s2, f32x4.mul(x, v128.load(pb, 32)));
      s3 = f32x4.add(s3, f32x4.mul(x, v128.load(pb, 48)));
      pa += 4; pb += ldb;
    }
    const pc = c + (<usize>j << 2);
    v128.store(pc, s0); v128.store(pc, s1, 16); v128.store(pc, s2, 32); v128.store(pc, s3, 48);
  }
  if (j < N) gemvRow32Tail(a, b, c, N, K, j);
}

/** Columns [j, N) of one f32 GEMV row: blocks of 4 (one accumulator), then scalar. */
function gemvRow32Tail(a: usize, b: usize, c: usize, N: i32, K: i32, j: i32): void {
  const ldb = <usize>N << 2;
  for (; j + 4 <= N; j += 4) {
    let s0 = f32x4.splat(0);
    let pb = b + (<usize>j << 2), pa = a;
    for (let k = 0; k < K; k++) {
      s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(pa), v128.load(pb)));
      pa += 4; pb += ldb;
    }
    v128.store(c + (<usize>j << 2), s0);
  }
  for (; j < N; j++) {
    let s: f32 = 0;
    let pb = b + (<usize>j << 2), pa = a;
    for (let k = 0; k < K; k++) { s += load<f32>(pa) * load<f32>(pb); pa += 4; pb += ldb; }
    store<f32>(c + (<usize>j << 2), s);
  }
}

// @ts-ignore: decorator
@inline function hsum32(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * One row of C (f32) with B transposed: c[j] = a[0..K) · Bt[j][0..K) (both contiguous): dot
 * products of 4 columns at a time (4 f32x4 accumulators sharing each a vector), K tail scalar.
 */
function gemvRowT32(a: usize, b: usize, c: usize, N: i32, K: i32): void {
  const ldb = <usize>K << 2;
  const K4 = K & ~3;
  let j = 0;
  for (; j + 4 <= N; j += 4) {
    const b0 = b + <usize>j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let k = 0; k < K4; k += 4) {
      const o = <usize>k << 2;
      const x = v128.load(a + o);
      s0 = f32x4.add(s0, f32x4.mul(x, v128.load(b0 + o)));
      s1 = f32x4.add(s1, f32x4.mul(x, v128.load(b1 + o)));
      s2 = f32x4.add(s2, f32x4.mul(x, v128.load(b2 + o)));
      s3 = f32x4.add(s3, f32x4.mul(x, v128.load(b3 + o)));
    }
    let r0 = hsum32(s0), r1 = hsum32(s1), r2 = hsum32(s2), r3 = hsum32(s3);
    for (let k = K4; k < K; k++) {
      const o = <usize>k << 2;
      const x = load<f32>(a + o);
      r0 += x * load<f32>(b0 + o); r1 += x * load<f32>(b1 + o); r2 += x * load<f32>(b2 + o); r3 += x * load<f32>(b3 + o);
    }
    const pc = c + (<usize>j << 2);
    store<f32>(pc, r0); store<f32>(pc, r1, 4); store<f32>(pc, r2, 8); store<f32>(pc, r3, 12);
  }
  for (; j < N; j++) {
    const bj = b + <usize>j * ldb;
    let s0 = f32x4.splat(0);
    for (let k = 0; k < K4; k += 4) {
      const o = <usize>k << 2;
      s0 = f32x4.add(s0, f32x4.mul(v128.load(a + o), v128.load(bj + o)));
    }
    let r = hsum32(s0);
    for (let k = K4; k < K; k++) r += load<f32>(a + (<usize>k << 2)) * load<f32>(bj + (<usize>k << 2));
    store<f32>(c + (<usize>j << 2), r);
  }
}

/**
 * Two rows of C (f32) at once, B stored [K][N]: each B vector loaded serves both rows (16 columns
 * × 2 rows = 8 f32x4 accumulators, like the packed micro-kernel's register budget).
 */
function gemv2Rows32(a0: usize, a1: usize, b: usize, c0: usize, c1: usize, N: i32, K: i32): void {
  const ldb = <usize>N << 2;
  let j = 0;
  for (; j + 16 <= N; j += 16) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let t0 = f32x4.splat(0), t1 = f32x4.splat(0), t2 = f32x4.splat(0), t3 = f32x4.splat(0);
    let pb = b + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      const o = <usize>k << 2;
      const x = v128.load32_splat(a0 + o), y = v128.load32_splat(a1 + o);
      const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32), b3 = v128.load(pb, 48);
      s0 = f32x4.add(s0, f32x4.mul(x, b0)); t0 = f32x4.add(t0, f32x4.mul(y, b0));
      s1 = f32x4.add(s1, f32x4.mul(x, b1)); t1 = f32x4.add(t1, f32x4.mul(y, b1));
      s2 = f32x4.add(s2, f32x4.mul(x, b2)); t2 = f32x4.add(t2, f32x4.mul(y, b2));
      s3 = f32x4.add(s3, f32x4.mul(x, b3)); t3 = f32x4.add(t3, f32x4.mul(y, b3));
      pb += ldb;
    }
    const p0 = c0 + (<usize>j << 2), p1 = c1 + (<usize>j << 2);
    v128.store(p0, s0); v128.store(p0, s1, 16); v128.store(p0, s2, 32); v128.store(p0, s3, 48);
    v128.store(p1, t0); v128.store(p1, t1, 16); v128.store(p1, t2, 32); v128.store(p1, t3, 48);
  }
  if (j < N) {
    // The remaining < 16 columns, one row at a time (gemvRow32's 4-wide and scalar tails).
    gemvRow32Tail(a0, b, c0, N, K, j);
    gemvRow32Tail(a1, b, c1, N, K, j);
  }
}

/** Small-M f32 matmul without packing (see useSmallPath): rows of C in pairs, then one. */
function small32(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, tb: bool): void {
  const lda = <usize>K << 2, ldc = <usize>N << 2;
  let i = 0;
  if (!tb) {
    for (; i + 2 <= M; i += 2) {
      const a0 = a + <usize>i * lda, c0 = c + <usize>i * ldc;
      gemv2Rows32(a0, a0 + lda, b, c0, c0 + ldc, N, K);
    }
  }
  for (; i < M; i++) {
    if (tb) gemvRowT32(a + <usize>i * lda, b, c + <usize>i * ldc, N, K);
    else gemvRow32(a + <usize>i * lda, b, c + <usize>i * ldc, N, K);
  }
}

/** One row of C (f64), B stored [K][N]: 8-column blocks (4 f64x2 accumulators), then 2, then 1. */
function gemvRow64(a: usize, b: usize, c: usize, N: i32, K: i32): void {
  const ldb = <usize>N << 3;
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
    let pb = b + (<usize>j << 3), pa = a;
    for (let k = 0; k < K; k++) {
      const x = v128.load64_splat(pa);
      s0 = f64x2.add(s0, f64x2.mul(x, v128.load(pb)));
      s1 = f64x2.add(s1, f64x2.mul(x, v128.load(pb, 16)));
      s2 = f64x2.add(s2, f64x2.mul(x, v128.load(pb, 32)));
      s3 = f64x2.add(s3, f64x2.mul(x, v128.load(pb, 48)));
      pa += 8; pb += ldb;
    }
    const pc = c + (<usize>j << 3);
    v128.store(pc, s0); v128.store(pc, s1, 16); v128.store(pc, s2, 32); v128.store(pc, s3, 48);
  }
  for (; j + 2 <= N; j += 2) {
    let s0 = f64x2.splat(0);
    let pb = b + (<usize>j << 3), pa = a;
    for (let k = 0; k < K; k++) {
      s0 = f64x2.add(s0, f64x2.mul(v128.load64_splat(pa), v128.load(pb)));
      pa += 8; pb += ldb;
    }
    v128.store(c + (<usize>j << 3), s0);
  }
  for (; j < N; j++) {
    let s: f64 = 0;
    let pb = b + (<usize>j << 3), pa = a;
    for (let k = 0; k < K; k++) { s += load<f64>(pa) * load<f64>(pb); pa += 8; pb += ldb; }
    store<f64>(c + (<usize>j << 3), s);
  }
}

/** One row of C (f64) with B transposed: dot products of 2 columns at a time (f64x2 over k). */
function gemvRowT64(a: usize, b: usize, c: usize, N: i32, K: i32): void {
  const ldb = <usize>K << 3;
  const K2 = K & ~1;
  let j = 0;
  for (; j + 2 <= N; j += 2) {
    const b0 = b + <usize>j * ldb, b1 = b0 + ldb;
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
    for (let k = 0; k < K2; k += 2) {
      const o = <usize>k << 3;
      const x = v128.load(a + o);
      s0 = f64x2.add(s0, f64x2.mul(x, v128.load(b0 + o)));
      s1 = f64x2.add(s1, f64x2.mul(x, v128.load(b1 + o)));
    }
    let r0 = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
    let r1 = f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
    if (K2 < K) {
      const o = <usize>K2 << 3;
      const x = load<f64>(a + o);
      r0 += x * load<f64>(b0 + o); r1 += x * load<f64>(b1 + o);
    }
    const pc = c + (<usize>j << 3);
    store<f64>(pc, r0); store<f64>(pc, r1, 8);
  }
  if (j < N) {
    const bj = b + <usize>j * ldb;
    let r: f64 = 0;
    for (let k = 0; k < K; k++) r += load<f64>(a + (<usize>k << 3)) * load<f64>(bj + (<usize>k << 3));
    store<f64>(c + (<usize>j << 3), r);
  }
}

/** Small-M f64 matmul without packing. */
function small64(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, tb: bool): void {
  const lda = <usize>K << 3, ldc = <usize>N << 3;
  for (let i = 0; i < M; i++) {
    if (tb) gemvRowT64(a + <usize>i * lda, b, c + <usize>i * ldc, N, K);
    else gemvRow64(a + <usize>i * lda, b, c + <usize>i * ldc, N, K);
  }
}

// ---------------------------------------------------------------------------------------------
// f32

/** Scratch bytes needed by matmul_f32 / matmul_f32_batched for these sizes. */
export function matmul_f32_scratch(M: i32, N: i32, K: i32): i32 {
  const mb = roundUp(min(M, MB), 4), mc = roundUp(min(M, MC), 4), nc = roundUp(min(N, NC), 8), kc = min(K, KC);
  return <i32>(align16(<usize>(mb * nc * 4)) + align16(<usize>(mc * kc * 4)) + align16(<usize>(kc * nc * 4)));
}

/** Pack op(A)[ic:ic+mc, pc:pc+kc] into 4-row panels [k][4] (rows past mc are zero). */
function packA32(a: usize, ta: bool, M: i32, K: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  for (let ip = 0; ip < mc; ip += 4) {
    const rows = min(4, mc - ip);
    const i0 = ic + ip;
    if (ta) {
      // A stored [K][M]: the 4 rows of one k are contiguous.
      let src = a + ((<usize>pc * M + i0) << 2);
      const stride = <usize>M << 2;
      if (rows == 4) {
        for (let k = 0; k < kc; k++) { v128.store(dst, v128.load(src)); dst += 16; src += stride; }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let r = 0; r < 4; r++) store<f32>(dst + (<usize>r << 2), r < rows ? load<f32>(src + (<usize>r << 2)) : 0);
          dst += 16; src += stride;
        }
      }
    } else {
      // A stored [M][K]: walk 4 rows side by side.
      const stride = <usize>K << 2;
      const r0 = a + ((<usize>i0 * K + pc) << 2);
      if (rows == 4) {
        const r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          // 4×4 transpose of A[i0..i0+3][k..k+3] into [k][4].
          const o = <usize>k << 2;
          const x0 = v128.load(r0 + o), x1 = v128.load(r1 + o), x2 = v128.load(r2 + o), x3 = v128.load(r3 + o);
          const t0 = v128.shuffle<i32>(x0, x1, 0, 4, 1, 5); // a0 b0 a1 b1
          const t1 = v128.shuffle<i32>(x2, x3, 0, 4, 1, 5); // c0 d0 c1 d1
          const t2 = v128.shuffle<i32>(x0, x1, 2, 6, 3, 7); // a2 b2 a3 b3
          const t3 = v128.shuffle<i32>(x2, x3, 2, 6, 3, 7); // c2 d2 c3 d3
          v128.store(dst, v128.shuffle<i64>(t0, t1, 0, 2));
          v128.store(dst, v128.shuffle<i64>(t0, t1, 1, 3), 16);
          v128.store(dst, v128.shuffle<i64>(t2, t3, 0, 2), 32);
          v128.store(dst, v128.shuffle<i64>(t2, t3, 1, 3), 48);
          dst += 64;
        }
        for (; k < kc; k++) {
          const o = <usize>k << 2;
          store<f32>(dst, load<f32>(r0 + o)); store<f32>(dst, load<f32>(r1 + o), 4);
          store<f32>(dst, load<f32>(r2 + o), 8); store<f32>(dst, load<f32>(r3 + o), 12);
          dst += 16;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const o = <usize>k << 2;
          for (let r = 0; r < 4; r++) store<f32>(dst + (<usize>r << 2), r < rows ? load<f32>(r0 + <usize>r * stride + o) : 0);
          dst += 16;
        }
      }
    }
  }
}

/** Pack op(B)[pc:pc+kc, jc:jc+nc] into 8-column panels [k][8] (columns past nc are zero). */
function packB32(b: usize, tb: bool, N: i32, K: i32, jc: i32, pc: i32, nc: i32, kc: i32, dst: usize): void {
  for (let jp = 0; jp < nc; jp += 8) {
    const cols = min(8, nc - jp);
    const j0 = jc + jp;
    if (!tb) {
      // B stored [K][N]: 8 columns of one k are contiguous.
      let src = b + ((<usize>pc * N + j0) << 2);
      const stride = <usize>N << 2;
      if (cols == 8) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst, v128.load(src)); v128.store(dst, v128.load(src, 16), 16);
          dst += 32; src += stride;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let c = 0; c < 8; c++) store<f32>(dst + (<usize>c << 2), c < cols ? load<f32>(src + (<usize>c << 2)) : 0);
          dst += 32; src += stride;
        }
      }
    } else {
      // B stored [N][K]: column n of op(B) is row n of B.
      const stride = <usize>K << 2;
      const base = b + ((<usize>j0 * K + pc) << 2);
      for (let k = 0; k < kc; k++) {
        const o = base + (<usize>k << 2);
        for (let c = 0; c < 8; c++) store<f32>(dst + (<usize>c << 2), c < cols ? load<f32>(o + <usize>c * stride) : 0);
        dst += 32;
      }
    }
  }
}

/**
 * 4×8 micro-kernel: Cacc[4][8] (row stride ldc bytes) (+)= Apanel[kc][4] · Bpanel[kc][8].
 * The k loop is deliberately NOT unrolled: binaryen's optimizer interleaves unrolled steps so
 * that the B vectors of all steps are live at once (8 accumulators + 8 B + 4 A > 15 xmm), and
 * V8 then spills; one step per iteration keeps 14 v128 values live (measured 30 → 48 GFLOP/s
 * at n = 256 on the project's machine, see docs/runtime.md).
 */
function micro32(pa: usize, pb: usize, kc: i32, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let a: v128, b0: v128, b1: v128;
  let k = kc;
  if (ASC_FEATURE_RELAXED_SIMD) {
    while (k > 0) {
    b0 = v128.load(pb, 0); b1 = v128.load(pb, 16);
    a = v128.load32_splat(pa, 0);
    c00 = f32x4.relaxed_madd(a, b0, c00); c01 = f32x4.relaxed_madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = f32x4.relaxed_madd(a, b0, c10); c11 = f32x4.relaxed_madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = f32x4.relaxed_madd(a, b0, c20); c21 = f32x4.relaxed_madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = f32x4.relaxed_madd(a, b0, c30); c31 = f32x4.relaxed_madd(a, b1, c31);
      pa += 16; pb += 32; k--;
    }
  } else {
    while (k > 0) {
    b0 = v128.load(pb, 0); b1 = v128.load(pb, 16);
    a = v128.load32_splat(pa, 0);
    c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
      pa += 16; pb += 32; k--;
    }
  }
  const p1 = c + ldc, p2 = p1 + ldc, p3 = p2 + ldc;
  if (accumulate) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(p1)); c11 = f32x4.add(c11, v128.load(p1, 16));
    c20 = f32x4.add(c20, v128.load(p2)); c21 = f32x4.add(c21, v128.load(p2, 16));
    c30 = f32x4.add(c30, v128.load(p3)); c31 = f32x4.add(c31, v128.load(p3, 16));
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(p1, c10); v128.store(p1, c11, 16);
  v128.store(p2, c20); v128.store(p2, c21, 16);
  v128.store(p3, c30); v128.store(p3, c31, 16);
}

function gemm32(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, ta: bool, tb: bool, scratch: usize): void {
  if (M <= 0 || N <= 0) return;
  if (useSmallPath(M, ta, tb)) { small32(a, b, c, M, N, K, tb); return; }
  const mbMax = roundUp(min(M, MB), 4), mcMax = roundUp(min(M, MC), 4), ncMax = roundUp(min(N, NC), 8), kcMax = min(K, KC);
  const cacc = align16(scratch);
  const pA = cacc + align16(<usize>(mbMax * ncMax * 4));
  const pB = pA + align16(<usize>(mcMax * kcMax * 4));
  const dstStride = <usize>N << 2;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc), ncp = roundUp(nc, 8);
    const ldc = <usize>ncp << 2;
    for (let mb = 0; mb < M; mb += MB) {
      const mbn = min(MB, M - mb);
      if (K <= 0) memory.fill(cacc, 0, <usize>(roundUp(mbn, 4) * ncp * 4));
      for (let pc = 0; pc < K; pc += KC) {
        const kc = min(KC, K - pc);
        // One packed B block serves every row of the chunk.
        packB32(b, tb, N, K, jc, pc, nc, kc, pB);
        const first = pc == 0;
        for (let ic = mb; ic < mb + mbn; ic += MC) {
          const mc = min(MC, mb + mbn - ic), mcp = roundUp(mc, 4);
          packA32(a, ta, M, K, ic, pc, mc, kc, pA);
          const crow = cacc + <usize>(ic - mb) * ldc;
          for (let jr = 0; jr < ncp; jr += 8) {
            const pb = pB + <usize>(jr * kc * 4);
            for (let ir = 0; ir < mcp; ir += 4) {
              micro32(pA + <usize>(ir * kc * 4), pb, kc, crow + <usize>ir * ldc + (<usize>jr << 2), ldc, !first);
            }
          }
        }
      }
      // Copy the valid rows × nc part of the accumulator out to C.
      const rowBytes = <usize>nc << 2;
      let dstRow = c + ((<usize>mb * N + jc) << 2);
      let srcRow = cacc;
      for (let i = 0; i < mbn; i++) { memory.copy(dstRow, srcRow, rowBytes); dstRow += dstStride; srcRow += ldc; }
    }
  }
}

/**
 * C[M,N] = op(A)·op(B) in f32. A is [M,K] ([K,M] when transA), B is [K,N] ([N,K] when transB),
 * C is [M,N]; all row-major. C must not overlap A, B or scratch.
 */
export function matmul_f32(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize): void {
  gemm32(a, b, c, M, N, K, transA, transB, scratch);
}

/**
 * Batched matmul: for i in [0, batch): C_i = op(A_i)·op(B_i) with A_i = a + i*strideA elements,
 * B_i = b + i*strideB elements (a stride of 0 broadcasts one matrix), C_i = c + i*M*N.
 */
export function matmul_f32_batched(a: usize, b: usize, c: usize, batch: i32, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize, strideA: i32, strideB: i32): void {
  for (let i = 0; i < batch; i++) {
    gemm32(a + (<usize>i * strideA << 2), b + (<usize>i * strideB << 2), c + (<usize>i * M * N << 2), M, N, K, transA, transB, scratch);
  }
}

// ---------------------------------------------------------------------------------------------
// f64 (also used for f32 inputs accumulated in f64: S = source element type, O = output type)

/** Scratch bytes needed by matmul_f64 / matmul_f32_acc64 (and their batched forms). */
export function matmul_f64_scratch(M: i32, N: i32, K: i32): i32 {
  const mc = roundUp(min(M, MC64), 4), nc = roundUp(min(N, NC64), 4), kc = min(K, KC64);
  return <i32>(align16(<usize>(mc * nc * 8)) + align16(<usize>(mc * kc * 8)) + align16(<usize>(kc * nc * 8)));
}
export function matmul_f32_acc64_scratch(M: i32, N: i32, K: i32): i32 {
  return matmul_f64_scratch(M, N, K);
}

/** Pack op(A) rows into 4-row f64 panels [k][4]. */
function packA64<S>(a: usize, ta: bool, M: i32, K: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  const es = <usize>sizeof<S>();
  for (let ip = 0; ip < mc; ip += 4) {
    const rows = min(4, mc - ip);
    const i0 = ic + ip;
    for (let k = 0; k < kc; k++) {
      for (let r = 0; r < 4; r++) {
        let v: f64 = 0;
        if (r < rows) {
          const i = <usize>(i0 + r), kk = <usize>(pc + k);
          v = <f64>load<S>(a + (ta ? kk * M + i : i * K + kk) * es);
        }
        store<f64>(dst + (<usize>r << 3), v);
      }
      dst += 32;
    }
  }
}

/** Pack op(B) columns into 4-column f64 panels [k][4]. */
function packB64<S>(b: usize, tb: bool, N: i32, K: i32, jc: i32, pc: i32, nc: i32, kc: i32, dst: usize): void {
  const es = <usize>sizeof<S>();
  for (let jp = 0; jp < nc; jp += 4) {
    const cols = min(4, nc - jp);
    const j0 = jc + jp;
    if (!tb && cols == 4 && sizeof<S>() == 8) {
      let src = b + (<usize>pc * N + j0) * es;
      const stride = <usize>N * es;
      for (let k = 0; k < kc; k++) {
        v128.store(dst, v128.load(src)); v128.store(dst, v128.load(src, 16), 16);
        dst += 32; src += stride;
      }
      continue;
    }
    for (let k = 0; k < kc; k++) {
      for (let cc = 0; cc < 4; cc++) {
        let v: f64 = 0;
        if (cc < cols) {
          const j = <usize>(j0 + cc), kk = <usize>(pc + k);
          v = <f64>load<S>(b + (tb ? j * K + kk : kk * N + j) * es);
        }
        store<f64>(dst + (<usize>cc << 3), v);
      }
      dst += 32;
    }
  }
}

/** 4×4 f64 micro-kernel: Cacc[4][4] (+)= Apanel[kc][4] · Bpanel[kc][4] (f64x2, 8 accumulators). */
function micro64(pa: usize, pb: usize, kc: i32, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0), c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0), c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  let a: v128, b0: v128, b1: v128;
  let k = kc;
  while (k > 0) {
    b0 = v128.load(pb, 0); b1 = v128.load(pb, 16);
    a = v128.load64_splat(pa, 0);
    c00 = f64x2.add(c00, f64x2.mul(a, b0)); c01 = f64x2.add(c01, f64x2.mul(a, b1));
    a = v128.load64_splat(pa, 8);
    c10 = f64x2.add(c10, f64x2.mul(a, b0)); c11 = f64x2.add(c11, f64x2.mul(a, b1));
    a = v128.load64_splat(pa, 16);
    c20 = f64x2.add(c20, f64x2.mul(a, b0)); c21 = f64x2.add(c21, f64x2.mul(a, b1));
    a = v128.load64_splat(pa, 24);
    c30 = f64x2.add(c30, f64x2.mul(a, b0)); c31 = f64x2.add(c31, f64x2.mul(a, b1));
    pa += 32; pb += 32; k--;
  }
  const p1 = c + ldc, p2 = p1 + ldc, p3 = p2 + ldc;
  if (accumulate) {
    c00 = f64x2.add(c00, v128.load(c)); c01 = f64x2.add(c01, v128.load(c, 16));
    c10 = f64x2.add(c10, v128.load(p1)); c11 = f64x2.add(c11, v128.load(p1, 16));
    c20 = f64x2.add(c20, v128.load(p2)); c21 = f64x2.add(c21, v128.load(p2, 16));
    c30 = f64x2.add(c30, v128.load(p3)); c31 = f64x2.add(c31, v128.load(p3, 16));
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(p1, c10); v128.store(p1, c11, 16);
  v128.store(p2, c20); v128.store(p2, c21, 16);
  v128.store(p3, c30); v128.store(p3, c31, 16);
}

function gemm64<S, O>(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, ta: bool, tb: bool, scratch: usize): void {
  if (M <= 0 || N <= 0) return;
  if (sizeof<S>() == 8 && sizeof<O>() == 8 && useSmallPath(M, ta, tb)) { small64(a, b, c, M, N, K, tb); return; }
  const mcMax = roundUp(min(M, MC64), 4), ncMax = roundUp(min(N, NC64), 4), kcMax = min(K, KC64);
  const cacc = align16(scratch);
  const pA = cacc + align16(<usize>(mcMax * ncMax * 8));
  const pB = pA + align16(<usize>(mcMax * kcMax * 8));
  for (let jc = 0; jc < N; jc += NC64) {
    const nc = min(NC64, N - jc), ncp = roundUp(nc, 4);
    const ldc = <usize>ncp << 3;
    for (let ic = 0; ic < M; ic += MC64) {
      const mc = min(MC64, M - ic), mcp = roundUp(mc, 4);
      if (K <= 0) memory.fill(cacc, 0, <usize>(mcp * ncp * 8));
      for (let pc = 0; pc < K; pc += KC64) {
        const kc = min(KC64, K - pc);
        packA64<S>(a, ta, M, K, ic, pc, mc, kc, pA);
        packB64<S>(b, tb, N, K, jc, pc, nc, kc, pB);
        const first = pc == 0;
        for (let jr = 0; jr < ncp; jr += 4) {
          const pb = pB + <usize>(jr * kc * 8);
          for (let ir = 0; ir < mcp; ir += 4) {
            micro64(pA + <usize>(ir * kc * 8), pb, kc, cacc + <usize>ir * ldc + (<usize>jr << 3), ldc, !first);
          }
        }
      }
      const os = <usize>sizeof<O>();
      for (let i = 0; i < mc; i++) {
        const src = cacc + <usize>i * ldc;
        const dst = c + (<usize>(ic + i) * N + jc) * os;
        if (sizeof<O>() == 8) {
          memory.copy(dst, src, <usize>nc << 3);
        } else {
          for (let j = 0; j < nc; j++) store<O>(dst + <usize>j * os, <O>load<f64>(src + (<usize>j << 3)));
        }
      }
    }
  }
}

/** C[M,N] = op(A)·op(B) in f64 (same layout rules as matmul_f32). */
export function matmul_f64(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize): void {
  gemm64<f64, f64>(a, b, c, M, N, K, transA, transB, scratch);
}

export function matmul_f64_batched(a: usize, b: usize, c: usize, batch: i32, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize, strideA: i32, strideB: i32): void {
  for (let i = 0; i < batch; i++) {
    gemm64<f64, f64>(a + (<usize>i * strideA << 3), b + (<usize>i * strideB << 3), c + (<usize>i * M * N << 3), M, N, K, transA, transB, scratch);
  }
}

/**
 * f32 inputs and output, products and sums in f64 with one rounding per output element
 * (every K slice accumulates into the f64 tile). Slower; for ill-conditioned graphs.
 */
export function matmul_f32_acc64(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize): void {
  gemm64<f32, f32>(a, b, c, M, N, K, transA, transB, scratch);
}

export function matmul_f32_acc64_batched(a: usize, b: usize, c: usize, batch: i32, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize, strideA: i32, strideB: i32): void {
  for (let i = 0; i < batch; i++) {
    gemm64<f32, f32>(a + (<usize>i * strideA << 2), b + (<usize>i * strideB << 2), c + (<usize>i * M * N << 2), M, N, K, transA, transB, scratch);
  }
}
