/**
 * @fileoverview Matrix multiplication kernels: C[M,N] = op(A)·op(B) for f32 and f64, with
 * optional transposes, a batched form, an optional fused epilogue (bias row + activation), and an
 * f32 variant that accumulates every product in f64 (kept for the ABI; codegen no longer needs it).
 *
 * f32 (GotoBLAS / BLIS structure): for each block of ≤ NCP columns (jc, equal blocks: blockN) and
 * MB rows (mb) of C, and each KC slice (pc) of the reduction, op(B)[pc:pc+KC, jc block] is packed once into 8-column
 * panels [k][8] (zero padded) and reused by every MC-row block (ic) of the MB rows, whose
 * op(A)[ic:ic+MC, pc:pc+KC] is packed into 4-row panels [k][4]. A register-blocked 4×8
 * micro-kernel (8 f32x4 accumulators, A broadcast with v128.load32_splat, one k per iteration;
 * `f32x4.relaxed_madd` in the relaxed build) multiplies a panel pair.
 *
 * Accumulation (accurate and fast), three levels: the micro-kernel sums KF = 64 terms in f32
 * registers, then adds them into the f32 tile in memory (≤ KCL/KF = 16 such adds per slice: 24
 * loads/adds/stores per 64·32 multiply-adds, ~2%); across K slices (≤ KC = 512 long; a product of
 * more than KCL_ROWS = 128 rows with K ≤ KCL = 1024 is one slice: wideSlice) the tile partials are added in
 * f64 (a tile-major f64 accumulator in scratch, touched once per tile per slice), and C is rounded
 * to f32 once, after the last slice. Error ≲ (KF + KCL/KF)·2⁻²⁴·Σ|a||b| + 2⁻²⁴|c| for any K,
 * against K·2⁻²⁴·Σ|a||b| for one f32 running sum: a long dot product (XᵀX over 20,640 rows of
 * the normal equation) comes within 6e-6 of f64 accumulation, at the speed of the f32 kernel,
 * with no switch on K. When K fits one slice the tile goes straight to C.
 *
 * Epilogue: the last slice writes each finished tile to C; once an MC-row block of a column block
 * is finished (its ≤ 64 × 320 values still in L2) `bias[j]` (a row of N values added to every
 * row, or none) and an activation (ACT_* below) are applied to it, so a dense layer is one pass
 * over its output. Relu is f32x4.max(x, 0); sigmoid and tanh call sigmoid32x4Compact /
 * tanh32x4Compact (f64x2 forms for f64; a tail element as lane 0 of a splat): the values of the
 * runtime's math_sigmoid_f32x4 / math_tanh_f32x4, which generated code calls, from one smaller
 * copy of their code, so fused results are bit-identical to an unfused loop and a model with a
 * matmul grows by ~100 gzipped bytes rather than ~1.1 KB.
 *
 * Edge tiles (M%4, N%8) are computed whole on zero-padded panels into a 4×8 scratch tile and
 * their valid part copied to C; the micro-kernel never sees a tail; any K works. A last panel of
 * ≤ 4 valid columns runs micro32h (columns 0-3 only, the same sums).
 *
 * Small M (M ≤ 4, or ≤ 8 with transB; A's rows contiguous) skips packing: GEMV-like loops read
 * op(B) in place (B as stored: a[k] splat times 16 contiguous columns of row k into 4 f32x4
 * accumulators, rows of C in pairs; B transposed: dot products of 4 columns), with K in chunks
 * of KCS = 64 whose f32 partials are combined in f64 (the small path streams B from memory, so
 * the per-chunk f64 fold costs nothing measurable).
 *
 * f64: 4×4 tile of f64x2, f64 throughout (gemm64, also for matmul_f32_acc64).
 *
 * No kernel allocates: the caller passes `scratch` (16-byte aligned) of at least
 * `matmul_*_scratch(M, N, K)` bytes. See docs/runtime.md for the ABI.
 */

// Block sizes (elements). The KC×8 B micro-panel (16 KiB f32) stays in L1 while the A panels
// (MC×KC, 128 KiB) stream from L2; the packed B block (KC × ≤ NCP, ≤ 640 KiB) lives in L2 and the
// f64 accumulator (MB × ≤ NCP × 8, touched once per tile per slice) in L2/L3 (1 MiB L2 per core on
// the machine this was tuned on). KC = 512 over 256: 2-3% faster (half the f64 folds and packing
// passes). NCP = 320 and MB = 1024 over 256 / 256: A and B each packed once for 1000×300×784
// (docs/runtime.md, 2-4% faster). NC is the small-M path's column block.
const MC: i32 = 64;
const NC: i32 = 256;
const KC: i32 = 512;
// A product of more than KCL_ROWS rows with K ≤ KCL runs as one slice (wideSlice). Such a product
// is never split by K across threads (the host's K split is for ≤ 128 rows), and as two slices it
// would fold through an f64 accumulator of MB×NCP (2.5 MiB) that the second slice reads back from
// L3: K = 784 (the MNIST first layer at batch 1000) in one slice of 784 rather than two of 392 is
// 1.3-1.8% faster. One slice needs no accumulator, so its larger packed blocks (A 256 KiB, B
// 1.25 MiB) take its place and the scratch bound stays that of KC slices. The KCL×8 B micro-panel
// (≤ 32 KiB) and a 4-row A panel (≤ 16 KiB) still fit the 48 KiB L1.
const KCL: i32 = 1024;
const KCL_ROWS: i32 = 128;
// Widest column block of the packed path: N splits into equal blocks of at most NCP (blockN).
const NCP: i32 = 320;
// Sub-block of the micro-kernel: f32 register sums of KF terms, added into the f32 tile.
const KF: i32 = 64;
// Rows of C accumulated against one packed B block (bounds the f64 accumulator to MB×NCP).
const MB: i32 = 1024;
// K chunk of the small-M path (f32 partials of KCS terms, combined in f64).
const KCS: i32 = 64;
// f64 (and f32-accumulated-in-f64) blocks.
const MC64: i32 = 64;
const NC64: i32 = 128;
const KC64: i32 = 256;

/** Epilogue activations (the `act` argument of the `_ep` kernels). */
export const ACT_NONE: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_SIGMOID: i32 = 2;
export const ACT_TANH: i32 = 3;

// How a block of K finishes a tile: the only block (straight to C), first / middle of several
// (into the f64 accumulator), last (accumulator + block, rounded once, to C).
const SINGLE: i32 = 0;
const FIRST: i32 = 1;
const MID: i32 = 2;
const LAST: i32 = 3;

import { sigmoid32x4Compact, sigmoid64x2Compact, tanh32x4Compact, tanh64x2Compact } from './math';

// @ts-ignore: decorator
@inline function min(a: i32, b: i32): i32 { return a < b ? a : b; }
// @ts-ignore: decorator
@inline function roundUp(x: i32, m: i32): i32 { return (x + m - 1) / m * m; }
// @ts-ignore: decorator
@inline function align16(x: usize): usize { return (x + 15) & ~<usize>15; }
// @ts-ignore: decorator
@inline function blockMode(k0: i32, kc: i32, K: i32, block: i32): i32 {
  return K <= block ? SINGLE : k0 == 0 ? FIRST : k0 + kc >= K ? LAST : MID;
}

/**
 * The length of the f32 kernels' K slices: K in equal slices of at most KC, a multiple of 4 (K =
 * 1028 runs as 5 × 208 rather than 4 × 256 + 4, whose last slice would pay a whole pass of
 * packing and f64 folding for 4 terms). A function of the whole product's M and K (kcMax), never of
 * a row range: gemm32Rows, matmul_f32_kslice and matmul_f32_kfold (and runtime-as/abi.ts
 * matmulF32KSlices) slice alike, so any split by rows or slices gives the whole call's bits.
 */
// @ts-ignore: decorator
@inline function sliceK(M: i32, K: i32): i32 {
  const kcm = kcMax(M, K);
  const slices = (K + kcm - 1) / kcm;
  return roundUp((K + slices - 1) / slices, 4);
}

/** Whether an f32 product runs as one slice of up to KCL (more than KCL_ROWS rows, K ≤ KCL), with no f64 accumulator. */
// @ts-ignore: decorator
@inline function wideSlice(M: i32, K: i32): bool { return M > KCL_ROWS && K <= KCL; }
/** The longest K slice of an f32 product: KCL for a wide slice, else KC. */
// @ts-ignore: decorator
@inline function kcMax(M: i32, K: i32): i32 { return wideSlice(M, K) ? KCL : KC; }

/**
 * The width of the packed f32 path's column blocks: N in equal blocks of at most NCP, a multiple
 * of 8. Each block repacks A, so N = 300 runs as one block of 304 rather than 256 + 44, whose
 * second block would pack all of A again for 6 panels. Also sizes the f64 tile accumulator, which
 * the small-M path reuses (it needs 12·min(N, NC) bytes: blockN(N) ≥ min(N, NC) for N ≤ NCP and
 * > NCP / 2 beyond, and the accumulator holds ≥ 4 rows of 8 bytes per column).
 */
// @ts-ignore: decorator
@inline function blockN(N: i32): i32 {
  if (N <= 0) return 0;
  const blocks = (N + NCP - 1) / NCP;
  return roundUp((N + blocks - 1) / blocks, 8);
}

// The packed f32 path's scratch (matmul_f32_scratch sizes it): the f64 tile accumulator (MB rows ×
// blockN) at cacc (none for a wide slice: A starts at cacc), then the packed A block (MC × the
// slice, ≤ KC or ≤ KCL for a wide slice), the packed B block (the slice × blockN), the 4×8 edge tile.
// @ts-ignore: decorator
@inline function scratchA32(cacc: usize, M: i32, N: i32, K: i32): usize { return wideSlice(M, K) ? cacc : cacc + align16(<usize>(roundUp(min(M, MB), 4) * blockN(N) * 8)); }
// @ts-ignore: decorator
@inline function scratchB32(pA: usize, M: i32, K: i32): usize { return pA + align16(<usize>(roundUp(min(M, MC), 4) * min(K, kcMax(M, K)) * 4)); }
// @ts-ignore: decorator
@inline function scratchEdge32(pB: usize, M: i32, N: i32, K: i32): usize { return pB + align16(<usize>(min(K, kcMax(M, K)) * blockN(N) * 4)); }

// f32x4 partial ↔ two f64x2 halves of the accumulator at p (p: cols 0-1, p+16: cols 2-3).
// @ts-ignore: decorator
@inline function lo64(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
// @ts-ignore: decorator
@inline function hi64(v: v128): v128 { return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)); }

/** Finish 4 columns of a block: to dst (SINGLE), into the f64 accumulator at p, or both (LAST). */
// @ts-ignore: decorator
@inline function fin4(mode: i32, v: v128, dst: usize, p: usize): void {
  if (mode == SINGLE) {
    v128.store(dst, v);
  } else if (mode == FIRST) {
    v128.store(p, lo64(v)); v128.store(p, hi64(v), 16);
  } else {
    const l = f64x2.add(lo64(v), v128.load(p)), h = f64x2.add(hi64(v), v128.load(p, 16));
    if (mode == MID) {
      v128.store(p, l); v128.store(p, h, 16);
    } else {
      v128.store(dst, v128.shuffle<f32>(f32x4.demote_f64x2_zero(l), f32x4.demote_f64x2_zero(h), 0, 1, 4, 5));
    }
  }
}

/** Finish one scalar column (f32 partial s) with its f64 accumulator at p. */
// @ts-ignore: decorator
@inline function fin1(mode: i32, s: f32, dst: usize, p: usize): void {
  if (mode == SINGLE) store<f32>(dst, s);
  else if (mode == FIRST) store<f64>(p, <f64>s);
  else if (mode == MID) store<f64>(p, load<f64>(p) + <f64>s);
  else store<f32>(dst, <f32>(load<f64>(p) + <f64>s));
}

// ---------------------------------------------------------------------------------------------
// Epilogues

// @ts-ignore: decorator
@inline function act32(x: f32, act: i32): f32 {
  if (act == ACT_RELU) return max<f32>(x, 0);
  // The vector form on a splat (lane 0 is the scalar's bits): the matmul then reaches no scalar exp.
  if (act == ACT_SIGMOID) return f32x4.extract_lane(sigmoid32x4Compact(f32x4.splat(x)), 0);
  if (act == ACT_TANH) return f32x4.extract_lane(tanh32x4Compact(f32x4.splat(x)), 0);
  return x;
}

/**
 * c[r][j] = act(c[r][j] + bias[j]) for rows × cols elements (row stride ldc bytes); bias 0 = no
 * bias. f32 adds and f32x4.max/f32.max for relu (as generated code does), sigmoid and tanh four
 * lanes at a time (each lane the scalar math_sigmoid_f32 / math_tanh_f32's bits).
 *
 * One loop per activation (epiRows32 inlined with a constant `act`). With `act` a run-time value
 * in the loop, binaryen turned act32's if-chain into speculative br_if's that compute the sigmoid,
 * then the tanh, before testing which one was asked for: every bias-only tail element paid both
 * calls and every tanh element a sigmoid (a 1000×10 dense layer's epilogue took 80 µs for 20 µs
 * of work).
 */
function epi32(c: usize, rows: i32, cols: i32, ldc: usize, bias: usize, act: i32): void {
  if (act == ACT_RELU) epiRows32(c, rows, cols, ldc, bias, ACT_RELU);
  else if (act == ACT_SIGMOID) epiRows32(c, rows, cols, ldc, bias, ACT_SIGMOID);
  else if (act == ACT_TANH) epiRows32(c, rows, cols, ldc, bias, ACT_TANH);
  else if (bias != 0) epiRows32(c, rows, cols, ldc, bias, ACT_NONE);
}

// @ts-ignore: decorator
@inline function epiRows32(c: usize, rows: i32, cols: i32, ldc: usize, bias: usize, act: i32): void {
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const p = c + <usize>r * ldc;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      let v = v128.load(p + o);
      if (bias != 0) v = f32x4.add(v, v128.load(bias + o));
      if (act == ACT_RELU) v = f32x4.max(v, zero);
      if (act == ACT_SIGMOID) v = sigmoid32x4Compact(v);
      if (act == ACT_TANH) v = tanh32x4Compact(v);
      v128.store(p + o, v);
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      let x = load<f32>(p + o);
      if (bias != 0) x += load<f32>(bias + o);
      store<f32>(p + o, act32(x, act));
    }
  }
}

// @ts-ignore: decorator
@inline function act64(x: f64, act: i32): f64 {
  if (act == ACT_RELU) return max<f64>(x, 0);
  if (act == ACT_SIGMOID) return f64x2.extract_lane(sigmoid64x2Compact(f64x2.splat(x)), 0);
  if (act == ACT_TANH) return f64x2.extract_lane(tanh64x2Compact(f64x2.splat(x)), 0);
  return x;
}

/** The f64 epilogue (as epi32, one loop per activation; scalar: f64 kernels are not the hot path). */
function epi64(c: usize, rows: i32, cols: i32, ldc: usize, bias: usize, act: i32): void {
  if (act == ACT_RELU) epiRows64(c, rows, cols, ldc, bias, ACT_RELU);
  else if (act == ACT_SIGMOID) epiRows64(c, rows, cols, ldc, bias, ACT_SIGMOID);
  else if (act == ACT_TANH) epiRows64(c, rows, cols, ldc, bias, ACT_TANH);
  else if (bias != 0) epiRows64(c, rows, cols, ldc, bias, ACT_NONE);
}

// @ts-ignore: decorator
@inline function epiRows64(c: usize, rows: i32, cols: i32, ldc: usize, bias: usize, act: i32): void {
  for (let r = 0; r < rows; r++) {
    const p = c + <usize>r * ldc;
    let j = 0;
    if (act == ACT_SIGMOID || act == ACT_TANH) {
      for (; j + 2 <= cols; j += 2) {
        const o = <usize>j << 3;
        let v = v128.load(p + o);
        if (bias != 0) v = f64x2.add(v, v128.load(bias + o));
        v128.store(p + o, act == ACT_SIGMOID ? sigmoid64x2Compact(v) : tanh64x2Compact(v));
      }
    }
    for (; j < cols; j++) {
      const o = <usize>j << 3;
      let x = load<f64>(p + o);
      if (bias != 0) x += load<f64>(bias + o);
      store<f64>(p + o, act64(x, act));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Small M (GEMV-like, no packing). With M ≤ SMALL_M rows the packed path would repack all of op(B)
// (K×N) for a handful of rows and run the 4×8 tile on padding rows; these loops read op(B) in
// place once per row of C instead. Used when M ≤ SMALL_M and A's rows are contiguous
// (!transA, or M == 1 where [K,1] is one contiguous row). K runs in chunks of KCS whose f32
// partials are combined in f64 (`acc`: 256 bytes of scratch, two rows × 16 columns).

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
function gemvRow32(a: usize, b: usize, c: usize, N: i32, K: i32, acc: usize): void {
  const ldb = <usize>N << 2;
  let j = 0;
  for (; j + 16 <= N; j += 16) {
    const pc = c + (<usize>j << 2);
    for (let k0 = 0; k0 < K; k0 += KCS) {
      const kc = min(KCS, K - k0);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let pb = b + <usize>k0 * ldb + (<usize>j << 2), pa = a + (<usize>k0 << 2);
      for (let k = 0; k < kc; k++) {
        const x = v128.load32_splat(pa);
        s0 = f32x4.add(s0, f32x4.mul(x, v128.load(pb)));
        s1 = f32x4.add(s1, f32x4.mul(x, v128.load(pb, 16)));
        s2 = f32x4.add(s2, f32x4.mul(x, v128.load(pb, 32)));
        s3 = f32x4.add(s3, f32x4.mul(x, v128.load(pb, 48)));
        pa += 4; pb += ldb;
      }
      const mode = blockMode(k0, kc, K, KCS);
      fin4(mode, s0, pc, acc); fin4(mode, s1, pc + 16, acc + 32);
      fin4(mode, s2, pc + 32, acc + 64); fin4(mode, s3, pc + 48, acc + 96);
    }
  }
  if (j < N) gemvRow32Tail(a, b, c, N, K, j, acc);
}

/**
 * One row of C (f32), B stored [K][N], for M = 1: B streamed once, row after row. Columns in
 * blocks of NC (the f32 row partial `tmp` and its f64 accumulator stay in L1); per chunk of KCS
 * rows of B, 8 rows at a time: a[k..k+7] broadcast into 8 registers, then for every 4 columns
 * c += a[k]·B[k] + … + a[k+7]·B[k+7] (8 sequential row streams, each B line read once; the
 * column-block loop of gemvRow32 re-reads B's misaligned lines once per 16 columns and strides
 * through it: 1×784×300 took ~2× as long). The 8 rows are reached through one pointer stepped
 * by ldb: with eight row pointers V8 ran short of registers and reloaded three from the stack
 * every iteration; one pointer is 11–15% faster (bench/kernel-ab, 1×300×784 and 1×100×300).
 * Same summation order per element (k ascending), chunks folded in f64 as everywhere. `ldb` is
 * B's row stride in bytes (4·N for the whole product; a column range of a wider B,
 * matmul_f32_cols, passes the whole row's). Each column's sum is computed alone, so any column
 * range has the bits of the whole call.
 */
function gemv1Row32(a: usize, b: usize, c: usize, N: i32, K: i32, acc: usize, ldb: usize): void {
  const tmp = acc;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc), n4 = nc & ~3;
    // 12·nc bytes of the f64 accumulator area (≥ 32·roundUp(nc, 8) bytes for M ≤ 4).
    const acc64 = acc + align16(<usize>nc << 2);
    const bj = b + (<usize>jc << 2), cj = c + (<usize>jc << 2);
    for (let k0 = 0; k0 < K; k0 += KCS) {
      const kc = min(KCS, K - k0), kend = k0 + kc;
      const mode = blockMode(k0, kc, K, KCS);
      const dst = mode == SINGLE ? cj : tmp;
      memory.fill(dst, 0, <usize>nc << 2);
      let k = k0;
      for (; k + 8 <= kend; k += 8) {
        const pa = a + (<usize>k << 2);
        const x0 = v128.load32_splat(pa), x1 = v128.load32_splat(pa, 4), x2 = v128.load32_splat(pa, 8), x3 = v128.load32_splat(pa, 12);
        const x4 = v128.load32_splat(pa, 16), x5 = v128.load32_splat(pa, 20), x6 = v128.load32_splat(pa, 24), x7 = v128.load32_splat(pa, 28);
        const r0 = bj + <usize>k * ldb;
        let j = 0;
        for (; j < n4; j += 4) {
          const o = <usize>j << 2;
          let p = r0 + o;
          let v = v128.load(dst + o);
          v = f32x4.add(v, f32x4.mul(x0, v128.load(p))); p += ldb;
          v = f32x4.add(v, f32x4.mul(x1, v128.load(p))); p += ldb;
          v = f32x4.add(v, f32x4.mul(x2, v128.load(p))); p += ldb;
          v = f32x4.add(v, f32x4.mul(x3, v128.load(p))); p += ldb;
          v = f32x4.add(v, f32x4.mul(x4, v128.load(p))); p += ldb;
          v = f32x4.add(v, f32x4.mul(x5, v128.load(p))); p += ldb;
          v = f32x4.add(v, f32x4.mul(x6, v128.load(p))); p += ldb;
          v = f32x4.add(v, f32x4.mul(x7, v128.load(p)));
          v128.store(dst + o, v);
        }
        for (; j < nc; j++) {
          const o = <usize>j << 2;
          let s = load<f32>(dst + o);
          for (let q = 0; q < 8; q++) s += load<f32>(pa + (<usize>q << 2)) * load<f32>(r0 + <usize>q * ldb + o);
          store<f32>(dst + o, s);
        }
      }
      for (; k < kend; k++) {
        const x = v128.load32_splat(a + (<usize>k << 2)), xs = load<f32>(a + (<usize>k << 2));
        const r0 = bj + <usize>k * ldb;
        let j = 0;
        for (; j < n4; j += 4) {
          const o = <usize>j << 2;
          v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(x, v128.load(r0 + o))));
        }
        for (; j < nc; j++) {
          const o = <usize>j << 2;
          store<f32>(dst + o, load<f32>(dst + o) + xs * load<f32>(r0 + o));
        }
      }
      if (mode != SINGLE) {
        let j = 0;
        for (; j < n4; j += 4) fin4(mode, v128.load(tmp + (<usize>j << 2)), cj + (<usize>j << 2), acc64 + (<usize>j << 3));
        for (; j < nc; j++) fin1(mode, load<f32>(tmp + (<usize>j << 2)), cj + (<usize>j << 2), acc64 + (<usize>j << 3));
      }
    }
  }
}

/** Columns [j, N) of one f32 GEMV row: blocks of 4 (one accumulator), then scalar. */
function gemvRow32Tail(a: usize, b: usize, c: usize, N: i32, K: i32, j: i32, acc: usize): void {
  const ldb = <usize>N << 2;
  for (; j + 4 <= N; j += 4) {
    for (let k0 = 0; k0 < K; k0 += KCS) {
      const kc = min(KCS, K - k0);
      let s0 = f32x4.splat(0);
      let pb = b + <usize>k0 * ldb + (<usize>j << 2), pa = a + (<usize>k0 << 2);
      for (let k = 0; k < kc; k++) {
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(pa), v128.load(pb)));
        pa += 4; pb += ldb;
      }
      fin4(blockMode(k0, kc, K, KCS), s0, c + (<usize>j << 2), acc);
    }
  }
  for (; j < N; j++) {
    for (let k0 = 0; k0 < K; k0 += KCS) {
      const kc = min(KCS, K - k0);
      let s: f32 = 0;
      let pb = b + <usize>k0 * ldb + (<usize>j << 2), pa = a + (<usize>k0 << 2);
      for (let k = 0; k < kc; k++) { s += load<f32>(pa) * load<f32>(pb); pa += 4; pb += ldb; }
      fin1(blockMode(k0, kc, K, KCS), s, c + (<usize>j << 2), acc);
    }
  }
}

// @ts-ignore: decorator
@inline function hsum32(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * One row of C (f32) with B transposed: c[j] = a[0..K) · Bt[j][0..K) (both contiguous): dot
 * products of 4 columns at a time (4 f32x4 accumulators sharing each a vector), per K chunk a
 * horizontal sum plus the chunk's scalar tail, chunks added in f64.
 */
function gemvRowT32(a: usize, b: usize, c: usize, N: i32, K: i32): void {
  const ldb = <usize>K << 2;
  let j = 0;
  for (; j + 4 <= N; j += 4) {
    const b0 = b + <usize>j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
    let t0: f64 = 0, t1: f64 = 0, t2: f64 = 0, t3: f64 = 0;
    let r0: f32 = 0, r1: f32 = 0, r2: f32 = 0, r3: f32 = 0;
    for (let k0 = 0; k0 < K; k0 += KCS) {
      const kend = k0 + min(KCS, K - k0), k4 = k0 + ((kend - k0) & ~3);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      for (let k = k0; k < k4; k += 4) {
        const o = <usize>k << 2;
        const x = v128.load(a + o);
        s0 = f32x4.add(s0, f32x4.mul(x, v128.load(b0 + o)));
        s1 = f32x4.add(s1, f32x4.mul(x, v128.load(b1 + o)));
        s2 = f32x4.add(s2, f32x4.mul(x, v128.load(b2 + o)));
        s3 = f32x4.add(s3, f32x4.mul(x, v128.load(b3 + o)));
      }
      r0 = hsum32(s0); r1 = hsum32(s1); r2 = hsum32(s2); r3 = hsum32(s3);
      for (let k = k4; k < kend; k++) {
        const o = <usize>k << 2;
        const x = load<f32>(a + o);
        r0 += x * load<f32>(b0 + o); r1 += x * load<f32>(b1 + o); r2 += x * load<f32>(b2 + o); r3 += x * load<f32>(b3 + o);
      }
      t0 += <f64>r0; t1 += <f64>r1; t2 += <f64>r2; t3 += <f64>r3;
    }
    const pc = c + (<usize>j << 2);
    // One chunk: the f32 partial itself (t = r exactly); several: rounded once from f64.
    store<f32>(pc, <f32>t0); store<f32>(pc, <f32>t1, 4); store<f32>(pc, <f32>t2, 8); store<f32>(pc, <f32>t3, 12);
  }
  for (; j < N; j++) {
    const bj = b + <usize>j * ldb;
    let t: f64 = 0;
    for (let k0 = 0; k0 < K; k0 += KCS) {
      const kend = k0 + min(KCS, K - k0), k4 = k0 + ((kend - k0) & ~3);
      let s0 = f32x4.splat(0);
      for (let k = k0; k < k4; k += 4) {
        const o = <usize>k << 2;
        s0 = f32x4.add(s0, f32x4.mul(v128.load(a + o), v128.load(bj + o)));
      }
      let r = hsum32(s0);
      for (let k = k4; k < kend; k++) r += load<f32>(a + (<usize>k << 2)) * load<f32>(bj + (<usize>k << 2));
      t += <f64>r;
    }
    store<f32>(c + (<usize>j << 2), <f32>t);
  }
}

/**
 * Two rows of C (f32) at once, B stored [K][N]: each B vector loaded serves both rows (16 columns
 * × 2 rows = 8 f32x4 accumulators, like the packed micro-kernel's register budget).
 */
function gemv2Rows32(a0: usize, a1: usize, b: usize, c0: usize, c1: usize, N: i32, K: i32, acc: usize): void {
  const ldb = <usize>N << 2;
  let j = 0;
  for (; j + 16 <= N; j += 16) {
    const p0 = c0 + (<usize>j << 2), p1 = c1 + (<usize>j << 2);
    for (let k0 = 0; k0 < K; k0 += KCS) {
      const kc = min(KCS, K - k0);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let t0 = f32x4.splat(0), t1 = f32x4.splat(0), t2 = f32x4.splat(0), t3 = f32x4.splat(0);
      let pb = b + <usize>k0 * ldb + (<usize>j << 2);
      for (let k = k0; k < k0 + kc; k++) {
        const o = <usize>k << 2;
        const x = v128.load32_splat(a0 + o), y = v128.load32_splat(a1 + o);
        const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32), b3 = v128.load(pb, 48);
        s0 = f32x4.add(s0, f32x4.mul(x, b0)); t0 = f32x4.add(t0, f32x4.mul(y, b0));
        s1 = f32x4.add(s1, f32x4.mul(x, b1)); t1 = f32x4.add(t1, f32x4.mul(y, b1));
        s2 = f32x4.add(s2, f32x4.mul(x, b2)); t2 = f32x4.add(t2, f32x4.mul(y, b2));
        s3 = f32x4.add(s3, f32x4.mul(x, b3)); t3 = f32x4.add(t3, f32x4.mul(y, b3));
        pb += ldb;
      }
      const mode = blockMode(k0, kc, K, KCS);
      fin4(mode, s0, p0, acc); fin4(mode, s1, p0 + 16, acc + 32); fin4(mode, s2, p0 + 32, acc + 64); fin4(mode, s3, p0 + 48, acc + 96);
      fin4(mode, t0, p1, acc + 128); fin4(mode, t1, p1 + 16, acc + 160); fin4(mode, t2, p1 + 32, acc + 192); fin4(mode, t3, p1 + 48, acc + 224);
    }
  }
  if (j < N) {
    // The remaining < 16 columns, one row at a time (gemvRow32's 4-wide and scalar tails).
    gemvRow32Tail(a0, b, c0, N, K, j, acc);
    gemvRow32Tail(a1, b, c1, N, K, j, acc);
  }
}

/** Small-M f32 matmul without packing (see useSmallPath): rows of C in pairs, then one; epilogue per finished row. */
function small32(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, tb: bool, acc: usize, bias: usize, act: i32): void {
  const lda = <usize>K << 2, ldc = <usize>N << 2;
  let i = 0;
  if (!tb) {
    for (; i + 2 <= M; i += 2) {
      const a0 = a + <usize>i * lda, c0 = c + <usize>i * ldc;
      gemv2Rows32(a0, a0 + lda, b, c0, c0 + ldc, N, K, acc);
      epi32(c0, 2, N, ldc, bias, act);
    }
  }
  for (; i < M; i++) {
    const ci = c + <usize>i * ldc;
    if (tb) gemvRowT32(a + <usize>i * lda, b, ci, N, K);
    else if (M == 1) gemv1Row32(a, b, ci, N, K, acc, <usize>N << 2);
    else gemvRow32(a + <usize>i * lda, b, ci, N, K, acc);
    epi32(ci, 1, N, ldc, bias, act);
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

/** Small-M f64 matmul without packing; epilogue per finished row. */
function small64(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, tb: bool, bias: usize, act: i32): void {
  const lda = <usize>K << 3, ldc = <usize>N << 3;
  for (let i = 0; i < M; i++) {
    const ci = c + <usize>i * ldc;
    if (tb) gemvRowT64(a + <usize>i * lda, b, ci, N, K);
    else gemvRow64(a + <usize>i * lda, b, ci, N, K);
    epi64(ci, 1, N, ldc, bias, act);
  }
}


// ---------------------------------------------------------------------------------------------
// f32, packed

/** Scratch bytes needed by matmul_f32(_ep) / matmul_f32_batched(_ep) for these sizes. */
export function matmul_f32_scratch(M: i32, N: i32, K: i32): i32 {
  const mb = wideSlice(M, K) ? 0 : roundUp(min(M, MB), 4), mc = roundUp(min(M, MC), 4), nc = blockN(N), kc = min(K, kcMax(M, K));
  // f64 tile accumulator (≥ 256 bytes: the small path's two f64 rows of 16; none for a wide slice), A block, B block,
  // edge tile and block tile (128 bytes each).
  return <i32>(align16(<usize>(mb * nc * 8)) + align16(<usize>(mc * kc * 4)) + align16(<usize>(kc * nc * 4)) + 256);
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
      // B stored [N][K]: column n of op(B) is row n of B; 8 rows × 4 k at a time, two 4×4
      // SIMD transposes into 4 packed rows of 8.
      const stride = <usize>K << 2;
      const base = b + ((<usize>j0 * K + pc) << 2);
      let k = 0;
      if (cols == 8) {
        const r0 = base, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
        const r4 = r3 + stride, r5 = r4 + stride, r6 = r5 + stride, r7 = r6 + stride;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k << 2;
          transpose4(v128.load(r0 + o), v128.load(r1 + o), v128.load(r2 + o), v128.load(r3 + o), dst, 32);
          transpose4(v128.load(r4 + o), v128.load(r5 + o), v128.load(r6 + o), v128.load(r7 + o), dst + 16, 32);
          dst += 128;
        }
      }
      for (; k < kc; k++) {
        const o = base + (<usize>k << 2);
        for (let c = 0; c < 8; c++) store<f32>(dst + (<usize>c << 2), c < cols ? load<f32>(o + <usize>c * stride) : 0);
        dst += 32;
      }
    }
  }
}

/** Store the transpose of the 4×4 block with rows x0..x3 as 4 rows of 4 at dst, dst+step, ... */
// @ts-ignore: decorator
@inline function transpose4(x0: v128, x1: v128, x2: v128, x3: v128, dst: usize, step: usize): void {
  const t0 = v128.shuffle<i32>(x0, x1, 0, 4, 1, 5); // a0 b0 a1 b1
  const t1 = v128.shuffle<i32>(x2, x3, 0, 4, 1, 5); // c0 d0 c1 d1
  const t2 = v128.shuffle<i32>(x0, x1, 2, 6, 3, 7); // a2 b2 a3 b3
  const t3 = v128.shuffle<i32>(x2, x3, 2, 6, 3, 7); // c2 d2 c3 d3
  v128.store(dst, v128.shuffle<i64>(t0, t1, 0, 2));
  v128.store(dst + step, v128.shuffle<i64>(t0, t1, 1, 3));
  v128.store(dst + 2 * step, v128.shuffle<i64>(t2, t3, 0, 2));
  v128.store(dst + 3 * step, v128.shuffle<i64>(t2, t3, 1, 3));
}

/**
 * 4×8 micro-kernel: the tile Apanel[kc][4] · Bpanel[kc][8] in f32 registers, stored to the 4 rows
 * of dst (row stride ldd bytes): C itself when K is one block, else a 128-byte tile in scratch
 * that tileFirst/tileMid/tileLast fold into the f64 accumulator (finishing inside this function, with the mode
 * branches, made V8 compile the k loop 20% slower). Inlined into gemm32 (one call site): as a
 * function of its own it ran 15-20% slower.
 * The k loop is deliberately NOT unrolled: binaryen's optimizer interleaves unrolled steps so
 * that the B vectors of all steps are live at once (8 accumulators + 8 B + 4 A > 15 xmm), and
 * V8 then spills; one step per iteration keeps 11-12 v128 values live.
 */
// @ts-ignore: decorator
@inline function micro32(pa: usize, pb: usize, kc: i32, dst: usize, ldd: usize): void {
  const p1 = dst + ldd, p2 = p1 + ldd, p3 = p2 + ldd;
  let a: v128, b0: v128, b1: v128;
  for (let k0 = 0; k0 < kc; k0 += KF) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let k = min(KF, kc - k0);
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
    if (k0 == 0) {
      v128.store(dst, c00); v128.store(dst, c01, 16);
      v128.store(p1, c10); v128.store(p1, c11, 16);
      v128.store(p2, c20); v128.store(p2, c21, 16);
      v128.store(p3, c30); v128.store(p3, c31, 16);
    } else {
      v128.store(dst, f32x4.add(v128.load(dst), c00)); v128.store(dst, f32x4.add(v128.load(dst, 16), c01), 16);
      v128.store(p1, f32x4.add(v128.load(p1), c10)); v128.store(p1, f32x4.add(v128.load(p1, 16), c11), 16);
      v128.store(p2, f32x4.add(v128.load(p2), c20)); v128.store(p2, f32x4.add(v128.load(p2, 16), c21), 16);
      v128.store(p3, f32x4.add(v128.load(p3), c30)); v128.store(p3, f32x4.add(v128.load(p3, 16), c31), 16);
    }
  }
}

/**
 * The valid part of an edge tile ([4][8] at `edge`, `cols` ≤ 8 columns of `rows` ≤ 4 rows) to C:
 * vector and scalar stores (memory.copy calls out of the wasm code per row: a 1000×10 product
 * spent ~1000 such calls on its last panel).
 */
function copyEdge(dst: usize, ldd: usize, edge: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const d = dst + <usize>r * ldd, e = edge + (<usize>r << 5);
    let j = 0;
    if (cols >= 4) { v128.store(d, v128.load(e)); j = 4; }
    for (; j < cols; j++) store<f32>(d + (<usize>j << 2), load<f32>(e + (<usize>j << 2)));
  }
}

/**
 * micro32 for a panel of at most 4 valid columns (N % 8 in 1..4, the last panel): columns 0-3 of
 * the [4][8] tile only, with the same sums in the same order (so the same bits), at half the
 * multiply-adds. Columns 4-7 of dst are left as they were; the caller copies only valid columns.
 * N = 300 and 100 (the MNIST layers) end in such a panel: 1/38 and 1/13 of their products.
 */
function micro32h(pa: usize, pb: usize, kc: i32, dst: usize, ldd: usize): void {
  const p1 = dst + ldd, p2 = p1 + ldd, p3 = p2 + ldd;
  let b0: v128;
  for (let k0 = 0; k0 < kc; k0 += KF) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let k = min(KF, kc - k0);
    if (ASC_FEATURE_RELAXED_SIMD) {
      while (k > 0) {
        b0 = v128.load(pb);
        c0 = f32x4.relaxed_madd(v128.load32_splat(pa, 0), b0, c0); c1 = f32x4.relaxed_madd(v128.load32_splat(pa, 4), b0, c1);
        c2 = f32x4.relaxed_madd(v128.load32_splat(pa, 8), b0, c2); c3 = f32x4.relaxed_madd(v128.load32_splat(pa, 12), b0, c3);
        pa += 16; pb += 32; k--;
      }
    } else {
      while (k > 0) {
        b0 = v128.load(pb);
        c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(pa, 0), b0)); c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(pa, 4), b0));
        c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(pa, 8), b0)); c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(pa, 12), b0));
        pa += 16; pb += 32; k--;
      }
    }
    if (k0 == 0) {
      v128.store(dst, c0); v128.store(p1, c1); v128.store(p2, c2); v128.store(p3, c3);
    } else {
      v128.store(dst, f32x4.add(v128.load(dst), c0)); v128.store(p1, f32x4.add(v128.load(p1), c1));
      v128.store(p2, f32x4.add(v128.load(p2), c2)); v128.store(p3, f32x4.add(v128.load(p3), c3));
    }
  }
}

/**
 * Fold the f32 tile [4][8] at `tile` into the f64 accumulator tile `acc` ([4][8] f64) by `mode`
 * (FIRST: store, MID: add, LAST: add and round to the 4 rows of dst, row stride ldd bytes).
 * Unrolled with a constant mode per caller (tileFirst/tileMid/tileLast), so no branch is left.
 */
// @ts-ignore: decorator
@inline function foldTile(mode: i32, tile: usize, acc: usize, dst: usize, ldd: usize): void {
  const d1 = dst + ldd, d2 = d1 + ldd, d3 = d2 + ldd;
  fin4(mode, v128.load(tile), dst, acc); fin4(mode, v128.load(tile, 16), dst + 16, acc + 32);
  fin4(mode, v128.load(tile, 32), d1, acc + 64); fin4(mode, v128.load(tile, 48), d1 + 16, acc + 96);
  fin4(mode, v128.load(tile, 64), d2, acc + 128); fin4(mode, v128.load(tile, 80), d2 + 16, acc + 160);
  fin4(mode, v128.load(tile, 96), d3, acc + 192); fin4(mode, v128.load(tile, 112), d3 + 16, acc + 224);
}
function tileFirst(tile: usize, acc: usize): void { foldTile(FIRST, tile, acc, 0, 0); }
function tileMid(tile: usize, acc: usize): void { foldTile(MID, tile, acc, 0, 0); }
function tileLast(tile: usize, acc: usize, dst: usize, ldd: usize): void { foldTile(LAST, tile, acc, dst, ldd); }

function gemm32(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, ta: bool, tb: bool, scratch: usize, bias: usize, act: i32): void {
  gemm32Rows(a, b, c, M, N, K, ta, tb, scratch, bias, act, 0, M);
}

/**
 * Rows [m0, m1) of gemm32's C (m0 a multiple of 4, as the thread split makes them): the same
 * blocks, K slices and tiles for every element as the whole product, so a split by rows gives
 * the whole product's bits. The small-M path is chosen by the whole M (the caller never splits it).
 */
function gemm32Rows(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, ta: bool, tb: bool, scratch: usize, bias: usize, act: i32, m0: i32, m1: i32): void {
  if (M <= 0 || N <= 0 || m1 <= m0) return;
  const ldc = <usize>N << 2;
  if (K <= 0) {
    memory.fill(c + <usize>m0 * ldc, 0, <usize>(m1 - m0) * ldc);
    epi32(c + <usize>m0 * ldc, m1 - m0, N, ldc, bias, act);
    return;
  }
  const cacc = align16(scratch);
  if (useSmallPath(M, ta, tb)) { small32(a, b, c, M, N, K, tb, cacc, bias, act); return; }
  const pA = scratchA32(cacc, M, N, K), pB = scratchB32(pA, M, K), edge = scratchEdge32(pB, M, N, K), tile = edge + 128;
  const kcb = sliceK(M, K), ncb = blockN(N);
  for (let jc = 0; jc < N; jc += ncb) {
    const nc = min(ncb, N - jc), ncp = roundUp(nc, 8);
    const tilesN = <usize>(ncp >> 3);
    for (let mb = m0; mb < m1; mb += MB) {
      const mbn = min(MB, m1 - mb);
      for (let pc = 0; pc < K; pc += kcb) {
        const kc = min(kcb, K - pc);
        const mode = blockMode(pc, kc, K, kcMax(M, K));
        // One packed B block serves every row block of the chunk.
        packB32(b, tb, N, K, jc, pc, nc, kc, pB);
        for (let ic = mb; ic < mb + mbn; ic += MC) {
          const mc = min(MC, mb + mbn - ic), mcp = roundUp(mc, 4);
          packA32(a, ta, M, K, ic, pc, mc, kc, pA);
          for (let jr = 0; jr < ncp; jr += 8) {
            const pb = pB + <usize>(jr * kc * 4);
            const j0 = jc + jr, cols = min(8, N - j0);
            const tacc0 = cacc + ((<usize>((ic - mb) >> 2) * tilesN + <usize>(jr >> 3)) << 8);
            for (let ir = 0; ir < mcp; ir += 4) {
              const pa = pA + <usize>(ir * kc * 4);
              const tacc = tacc0 + ((<usize>(ir >> 2) * tilesN) << 8);
              const i0 = ic + ir, rows = min(4, m1 - i0);
              const pc0 = c + ((<usize>i0 * <usize>N + <usize>j0) << 2);
              const full = rows == 4 && cols == 8;
              // One call site, so that binaryen inlines the micro-kernel (measured 20% faster).
              const direct = mode == SINGLE && full;
              if (cols <= 4) micro32h(pa, pb, kc, mode == SINGLE ? edge : tile, 32);
              else micro32(pa, pb, kc, direct ? pc0 : mode == SINGLE ? edge : tile, direct ? ldc : 32);
              if (mode == FIRST) { tileFirst(tile, tacc); continue; }
              if (mode == MID) { tileMid(tile, tacc); continue; }
              if (mode == LAST) tileLast(tile, tacc, full ? pc0 : edge, full ? ldc : 32);
              if (!full) {
                copyEdge(pc0, ldc, edge, rows, cols);
              }
            }
          }
          // The block's rows of C are final (in L2): the epilogue once per block, not per tile
          // (a call per 4×8 tile cost ~2% of a 1000×300×784 product).
          if (mode == SINGLE || mode == LAST) epi32(c + ((<usize>ic * <usize>N + <usize>jc) << 2), mc, nc, ldc, bias != 0 ? bias + (<usize>jc << 2) : 0, act);
        }
      }
    }
  }
}

/**
 * C[M,N] = op(A)·op(B) in f32. A is [M,K] ([K,M] when transA), B is [K,N] ([N,K] when transB),
 * C is [M,N]; all row-major. C must not overlap A, B or scratch.
 */
export function matmul_f32(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize): void {
  gemm32(a, b, c, M, N, K, transA, transB, scratch, 0, ACT_NONE);
}

/**
 * matmul_f32 with a fused epilogue: C = act(op(A)·op(B) + bias), bias a row of N f32 added to
 * every row (0 = none), act one of ACT_NONE/RELU/SIGMOID/TANH (0..3).
 */
export function matmul_f32_ep(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize, bias: usize, act: i32): void {
  gemm32(a, b, c, M, N, K, transA, transB, scratch, bias, act);
}

/**
 * Batched matmul: for i in [0, batch): C_i = op(A_i)·op(B_i) with A_i = a + i*strideA elements,
 * B_i = b + i*strideB elements (a stride of 0 broadcasts one matrix), C_i = c + i*M*N.
 */
export function matmul_f32_batched(a: usize, b: usize, c: usize, batch: i32, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize, strideA: i32, strideB: i32): void {
  for (let i = 0; i < batch; i++) {
    gemm32(a + (<usize>i * strideA << 2), b + (<usize>i * strideB << 2), c + (<usize>i * M * N << 2), M, N, K, transA, transB, scratch, 0, ACT_NONE);
  }
}

/** matmul_f32_batched with the epilogue of matmul_f32_ep (the same bias row for every batch entry). */
export function matmul_f32_batched_ep(a: usize, b: usize, c: usize, batch: i32, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize, strideA: i32, strideB: i32, bias: usize, act: i32): void {
  for (let i = 0; i < batch; i++) {
    gemm32(a + (<usize>i * strideA << 2), b + (<usize>i * strideB << 2), c + (<usize>i * M * N << 2), M, N, K, transA, transB, scratch, bias, act);
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

function gemm64<S, O>(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, ta: bool, tb: bool, scratch: usize, bias: usize, act: i32): void {
  gemm64Rows<S, O>(a, b, c, M, N, K, ta, tb, scratch, bias, act, 0, M);
}

/** Rows [m0, m1) of gemm64's C (m0 a multiple of 4): every element computed as in the whole product. */
function gemm64Rows<S, O>(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, ta: bool, tb: bool, scratch: usize, bias: usize, act: i32, m0: i32, m1: i32): void {
  if (M <= 0 || N <= 0 || m1 <= m0) return;
  if (sizeof<S>() == 8 && sizeof<O>() == 8 && useSmallPath(M, ta, tb)) { small64(a, b, c, M, N, K, tb, bias, act); return; }
  const mcMax = roundUp(min(M, MC64), 4), ncMax = roundUp(min(N, NC64), 4), kcMax = min(K, KC64);
  const cacc = align16(scratch);
  const pA = cacc + align16(<usize>(mcMax * ncMax * 8));
  const pB = pA + align16(<usize>(mcMax * kcMax * 8));
  for (let jc = 0; jc < N; jc += NC64) {
    const nc = min(NC64, N - jc), ncp = roundUp(nc, 4);
    const ldc = <usize>ncp << 3;
    for (let ic = m0; ic < m1; ic += MC64) {
      const mc = min(MC64, m1 - ic), mcp = roundUp(mc, 4);
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
      const c0 = c + (<usize>ic * N + jc) * os, b0 = bias != 0 ? bias + <usize>jc * os : 0;
      if (sizeof<O>() == 8) epi64(c0, mc, nc, <usize>N * os, b0, act);
      else epi32(c0, mc, nc, <usize>N * os, b0, act);
    }
  }
}

/** C[M,N] = op(A)·op(B) in f64 (same layout rules as matmul_f32). */
export function matmul_f64(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize): void {
  gemm64<f64, f64>(a, b, c, M, N, K, transA, transB, scratch, 0, ACT_NONE);
}

export function matmul_f64_batched(a: usize, b: usize, c: usize, batch: i32, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize, strideA: i32, strideB: i32): void {
  for (let i = 0; i < batch; i++) {
    gemm64<f64, f64>(a + (<usize>i * strideA << 3), b + (<usize>i * strideB << 3), c + (<usize>i * M * N << 3), M, N, K, transA, transB, scratch, 0, ACT_NONE);
  }
}

/**
 * f32 inputs and output, products and sums in f64 with one rounding per output element
 * (every K slice accumulates into the f64 tile). Slower; for ill-conditioned graphs.
 */
export function matmul_f32_acc64(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize): void {
  gemm64<f32, f32>(a, b, c, M, N, K, transA, transB, scratch, 0, ACT_NONE);
}

export function matmul_f32_acc64_batched(a: usize, b: usize, c: usize, batch: i32, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize, strideA: i32, strideB: i32): void {
  for (let i = 0; i < batch; i++) {
    gemm64<f32, f32>(a + (<usize>i * strideA << 2), b + (<usize>i * strideB << 2), c + (<usize>i * M * N << 2), M, N, K, transA, transB, scratch, 0, ACT_NONE);
  }
}

/** matmul_f64 with a fused epilogue (bias row of N f64, 0 = none; act as matmul_f32_ep). */
export function matmul_f64_ep(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize, bias: usize, act: i32): void {
  gemm64<f64, f64>(a, b, c, M, N, K, transA, transB, scratch, bias, act);
}

export function matmul_f64_batched_ep(a: usize, b: usize, c: usize, batch: i32, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize, strideA: i32, strideB: i32, bias: usize, act: i32): void {
  for (let i = 0; i < batch; i++) {
    gemm64<f64, f64>(a + (<usize>i * strideA << 3), b + (<usize>i * strideB << 3), c + (<usize>i * M * N << 3), M, N, K, transA, transB, scratch, bias, act);
  }
}

// ---------------------------------------------------------------------------------------------
// Parts, for threads (session/wasm/threads.ts): the rows [r0, r1) of a (batched) product, rows
// counted over batch × M (row r is row r % M of entry r / M). Each thread runs one part with its
// own scratch; every element is computed exactly as by the whole call, so the result has the
// same bits for any split. The caller never splits a product that takes the small-M path.

/** Rows [r0, r1) of matmul_f32_batched_ep (batch 1 and strides 0: matmul_f32_ep). */
export function matmul_f32_part(a: usize, b: usize, c: usize, batch: i32, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize, strideA: i32, strideB: i32, bias: usize, act: i32, r0: i32, r1: i32): void {
  if (M <= 0) return;
  for (let i = r0 / M; i < batch && i * M < r1; i++) {
    const lo = r0 > i * M ? r0 - i * M : 0, hi = r1 - i * M < M ? r1 - i * M : M;
    gemm32Rows(a + (<usize>i * strideA << 2), b + (<usize>i * strideB << 2), c + (<usize>i * M * N << 2), M, N, K, transA, transB, scratch, bias, act, lo, hi);
  }
}

/**
 * Columns [j0, j1) of a one-row product C[1,N] = op(A)·op(B) with the epilogue of matmul_f32_ep
 * (M = 1, the small-M path's gemv1Row32 or, B transposed, gemvRowT32; A's one row is contiguous
 * either way): what threads split a batch-1 dense layer by, since it has no rows to split. Every
 * column is computed alone by the same code as in the whole call (k ascending, the same KCS
 * chunks folded in f64, the same epilogue), so any column split gives the whole call's bits.
 * `scratch` as for matmul_f32(1, N, K), one per concurrent part.
 */
export function matmul_f32_cols(a: usize, b: usize, c: usize, N: i32, K: i32, transB: bool, scratch: usize, bias: usize, act: i32, j0: i32, j1: i32): void {
  if (j1 > N) j1 = N;
  if (j0 < 0) j0 = 0;
  const nc = j1 - j0;
  if (nc <= 0) return;
  const cj = c + (<usize>j0 << 2), bj: usize = bias == 0 ? 0 : bias + (<usize>j0 << 2);
  if (K <= 0) memory.fill(cj, 0, <usize>nc << 2);
  else if (transB) gemvRowT32(a, b + <usize>j0 * (<usize>K << 2), cj, nc, K);
  else gemv1Row32(a, b + (<usize>j0 << 2), cj, nc, K, align16(scratch), <usize>N << 2);
  epi32(cj, 1, nc, <usize>N << 2, bj, act);
}

/**
 * K slices [s0, s1) of rows [r0, r1) of a product C[M,N] = op(A)·op(B) with K > kcMax(M, K) (several
 * slices: gemm32Rows' `kcb` slicing, sliceK(M, K)): slice s's f32 partial of each
 * element, exactly as the whole call computes it before folding it into its f64 accumulator, to
 * p + s·M·N·4 (row-major M×N). With matmul_f32_kfold this splits a product with few rows and a
 * long K across threads by K (and, with more threads than slices, each slice by rows): each
 * thread reads only its rows of B (a layer's weights: the rows its share of the optimizer update
 * writes), where a split by rows has every thread read and pack all of B. Not for the small-M
 * path (the caller checks). `scratch` as for matmul_f32(M, N, K).
 */
export function matmul_f32_kslice(a: usize, b: usize, p: usize, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize, s0: i32, s1: i32, r0: i32, r1: i32): void {
  if (r1 > M) r1 = M;
  if (r0 < 0) r0 = 0;
  if (r1 <= r0 || N <= 0 || K <= kcMax(M, K)) return;
  const ldp = <usize>N << 2;
  // The layout of gemm32Rows' scratch (its f64 accumulator left unused), so the same size serves.
  const pA = scratchA32(align16(scratch), M, N, K), pB = scratchB32(pA, M, K), edge = scratchEdge32(pB, M, N, K);
  const kcb = sliceK(M, K), ncb = blockN(N);
  for (let s = s0; s < s1; s++) {
    const pc = s * kcb;
    if (pc >= K) break;
    const kc = min(kcb, K - pc);
    const ps = p + <usize>s * <usize>M * ldp;
    for (let jc = 0; jc < N; jc += ncb) {
      const nc = min(ncb, N - jc), ncp = roundUp(nc, 8);
      packB32(b, transB, N, K, jc, pc, nc, kc, pB);
      for (let ic = r0; ic < r1; ic += MC) {
        const mc = min(MC, r1 - ic), mcp = roundUp(mc, 4);
        packA32(a, transA, M, K, ic, pc, mc, kc, pA);
        for (let jr = 0; jr < ncp; jr += 8) {
          const pb = pB + <usize>(jr * kc * 4);
          const j0 = jc + jr, cols = min(8, N - j0);
          for (let ir = 0; ir < mcp; ir += 4) {
            const i0 = ic + ir, rows = min(4, r1 - i0);
            const pp = ps + ((<usize>i0 * <usize>N + <usize>j0) << 2);
            const full = rows == 4 && cols == 8;
            if (cols <= 4) micro32h(pA + <usize>(ir * kc * 4), pb, kc, edge, 32);
            else micro32(pA + <usize>(ir * kc * 4), pb, kc, full ? pp : edge, full ? ldp : 32);
            if (!full) {
              copyEdge(pp, ldp, edge, rows, cols);
            }
          }
        }
      }
    }
  }
}

/**
 * Rows [r0, r1) of C from matmul_f32_kslice's partials at p (every slice of K): each element's
 * slices folded in f64 in slice order and rounded once, as gemm32Rows' FIRST / MID / LAST tile
 * folds do, then the epilogue of matmul_f32_ep (bias row, activation): the whole call's bits.
 */
export function matmul_f32_kfold(p: usize, c: usize, M: i32, N: i32, K: i32, bias: usize, act: i32, r0: i32, r1: i32): void {
  if (r1 > M) r1 = M;
  if (r0 < 0) r0 = 0;
  if (N <= 0 || r1 <= r0 || K <= kcMax(M, K)) return;
  const kcb = sliceK(M, K), S = (K + kcb - 1) / kcb;
  const plane = <usize>M * <usize>N << 2;
  const e0 = <usize>r0 * <usize>N << 2, e1 = <usize>r1 * <usize>N << 2;
  let e = e0;
  for (; e + 16 <= e1; e += 16) {
    let q = p + e;
    let v = v128.load(q);
    let l = lo64(v), h = hi64(v);
    // (operands in fin4's order: the slice's partial, then the accumulator)
    for (let s = 1; s < S - 1; s++) {
      q += plane;
      v = v128.load(q);
      l = f64x2.add(lo64(v), l); h = f64x2.add(hi64(v), h);
    }
    v = v128.load(q + plane);
    l = f64x2.add(lo64(v), l); h = f64x2.add(hi64(v), h);
    v128.store(c + e, v128.shuffle<f32>(f32x4.demote_f64x2_zero(l), f32x4.demote_f64x2_zero(h), 0, 1, 4, 5));
  }
  for (; e < e1; e += 4) {
    let q = p + e;
    let x = <f64>load<f32>(q);
    for (let s = 1; s < S - 1; s++) {
      q += plane;
      x = <f64>load<f32>(q) + x;
    }
    store<f32>(c + e, <f32>(<f64>load<f32>(q + plane) + x));
  }
  epi32(c + e0, r1 - r0, N, <usize>N << 2, bias, act);
}

/** Rows [r0, r1) of matmul_f64_batched_ep (batch 1 and strides 0: matmul_f64_ep). */
export function matmul_f64_part(a: usize, b: usize, c: usize, batch: i32, M: i32, N: i32, K: i32, transA: bool, transB: bool, scratch: usize, strideA: i32, strideB: i32, bias: usize, act: i32, r0: i32, r1: i32): void {
  if (M <= 0) return;
  for (let i = r0 / M; i < batch && i * M < r1; i++) {
    const lo = r0 > i * M ? r0 - i * M : 0, hi = r1 - i * M < M ? r1 - i * M : M;
    gemm64Rows<f64, f64>(a + (<usize>i * strideA << 3), b + (<usize>i * strideB << 3), c + (<usize>i * M * N << 3), M, N, K, transA, transB, scratch, bias, act, lo, hi);
  }
}
