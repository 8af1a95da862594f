/**
 * @fileoverview Philox4x32-10 counter-based random numbers, bit-compatible with TensorFlow's
 * `philox_random.h` / `random_distributions.h` and the CPU `FillPhiloxRandom` sharding, so a
 * seeded op produces TF's stream in Node and in browsers alike.
 *
 * State (24 bytes, 4-byte aligned, kept by the caller in linear memory across runs):
 *   u32 key[2]     = [seed lo32, seed hi32]
 *   u32 counter[4] = [block lo, block hi, seed2 lo32, seed2 hi32]   (a 128-bit block counter)
 * Element j of an output draws from block counter+j/4 (uniform f32 / normal f32: 4 per block) or
 * counter+j/2 (f64: 2 per block); truncated normal output group g (4 f32 or 2 f64 values) starts
 * at block counter + g*100 (f32) / g*50 (f64) and consumes words one by one, as TF does. After a
 * call the counter advances by 256·n blocks (TF's `ReserveRandomOutputs(n, 256)`), so the next
 * run continues TF's stream. `philox_fill_u32` advances by the blocks it used instead.
 */

const M0: u32 = 0xD2511F53;
const M1: u32 = 0xCD9E8D57;
const W0: u32 = 0x9E3779B9;
const W1: u32 = 0xBB67AE85;
const TWO_PI: f64 = 6.283185307179586; // 2 * M_PI as a double, as in TF
const EPS_F32: f32 = 1.0e-7;
const EPS_F64: f64 = 1.0e-7;

// The last generated block (x0..x3) and the working counter (c0..c3) and key.
let x0: u32 = 0, x1: u32 = 0, x2: u32 = 0, x3: u32 = 0;
let c0: u32 = 0, c1: u32 = 0, c2: u32 = 0, c3: u32 = 0;
let k0: u32 = 0, k1: u32 = 0;

// @ts-ignore: decorator
@inline function mulhi(a: u32, b: u32): u32 { return <u32>((<u64>a * <u64>b) >> 32); }

/** Compute the block for the working counter into x0..x3 (10 rounds, 9 key bumps). */
function block(): void {
  let a0 = c0, a1 = c1, a2 = c2, a3 = c3, kk0 = k0, kk1 = k1;
  for (let r = 0; r < 10; r++) {
    const lo0 = M0 * a0, hi0 = mulhi(M0, a0);
    const lo1 = M1 * a2, hi1 = mulhi(M1, a2);
    const n0 = hi1 ^ a1 ^ kk0, n2 = hi0 ^ a3 ^ kk1;
    a0 = n0; a1 = lo1; a2 = n2; a3 = lo0;
    kk0 += W0; kk1 += W1;
  }
  x0 = a0; x1 = a1; x2 = a2; x3 = a3;
}

/** Advance the working 128-bit counter by `n` (< 2^32) blocks. */
function skip(n: u32): void {
  const old = c0;
  c0 += n;
  if (c0 < old) { c1++; if (c1 == 0) { c2++; if (c2 == 0) c3++; } }
}
/** Advance by a 64-bit count (TF's `PhiloxRandom::Skip`). */
function skip64(n: u64): void {
  const lo = <u32>n;
  let hi = <u32>(n >> 32);
  c0 += lo;
  if (c0 < lo) hi++;
  c1 += hi;
  if (c1 < hi) { c2++; if (c2 == 0) c3++; }
}

function loadState(state: usize): void {
  k0 = load<u32>(state, 0); k1 = load<u32>(state, 4);
  c0 = load<u32>(state, 8); c1 = load<u32>(state, 12); c2 = load<u32>(state, 16); c3 = load<u32>(state, 20);
}
function saveCounter(state: usize): void {
  store<u32>(state, c0, 8); store<u32>(state, c1, 12); store<u32>(state, c2, 16); store<u32>(state, c3, 20);
}
/** Restore the counter of `state`, advance it by 256·n blocks and store it back. */
function reserve(state: usize, n: i32): void {
  c0 = load<u32>(state, 8); c1 = load<u32>(state, 12); c2 = load<u32>(state, 16); c3 = load<u32>(state, 20);
  skip64(<u64>n * 256);
  saveCounter(state);
}

// @ts-ignore: decorator
@inline function word(i: i32): u32 { return i == 0 ? x0 : i == 1 ? x1 : i == 2 ? x2 : x3; }

/** TF's Uint32ToFloat: a float in [0, 1). */
// @ts-ignore: decorator
@inline function u32ToF32(x: u32): f32 { return reinterpret<f32>((x & 0x7fffff) | 0x3f800000) - 1.0; }
/** TF's Uint64ToDouble(x0, x1): a double in [0, 1) from 52 mantissa bits. */
// @ts-ignore: decorator
@inline function u64ToF64(hi: u32, lo: u32): f64 {
  return reinterpret<f64>((<u64>0x3ff << 52) | (<u64>(hi & 0xfffff) << 32) | <u64>lo) - 1.0;
}

/** Write key/counter for (seed, seed2) at block 0. */
export function philox_init(state: usize, seedLo: u32, seedHi: u32, seed2Lo: u32, seed2Hi: u32): void {
  store<u32>(state, seedLo, 0); store<u32>(state, seedHi, 4);
  store<u32>(state, 0, 8); store<u32>(state, 0, 12);
  store<u32>(state, seed2Lo, 16); store<u32>(state, seed2Hi, 20);
}

/** Raw words: out[j] = word j%4 of block counter+j/4; the counter advances by ceil(n/4). */
export function philox_fill_u32(state: usize, out: usize, n: i32): void {
  loadState(state);
  let j = 0;
  while (j < n) {
    block();
    for (let w = 0; w < 4 && j < n; w++, j++) store<u32>(out + (<usize>j << 2), word(w));
    skip(1);
  }
  saveCounter(state);
}

/** TF RandomUniform (float) scaled like tf.random_uniform: u·(maxval−minval) + minval in f32. */
export function random_uniform_f32(state: usize, out: usize, n: i32, minval: f32, maxval: f32): void {
  loadState(state);
  const range: f32 = maxval - minval;
  let j = 0;
  while (j < n) {
    block();
    for (let w = 0; w < 4 && j < n; w++, j++) store<f32>(out + (<usize>j << 2), u32ToF32(word(w)) * range + minval);
    skip(1);
  }
  reserve(state, n);
}

/** TF RandomUniform (double): 2 values per block from words (0,1) and (2,3). */
export function random_uniform_f64(state: usize, out: usize, n: i32, minval: f64, maxval: f64): void {
  loadState(state);
  const range: f64 = maxval - minval;
  let j = 0;
  while (j < n) {
    block();
    store<f64>(out + (<usize>j << 3), u64ToF64(x0, x1) * range + minval); j++;
    if (j < n) { store<f64>(out + (<usize>j << 3), u64ToF64(x2, x3) * range + minval); j++; }
    skip(1);
  }
  reserve(state, n);
}

// Box–Muller outputs.
let bm0: f64 = 0, bm1: f64 = 0;

/** TF's BoxMullerFloat (u1 clamped at 1e-7; log/sin/cos evaluated in f64 then rounded). */
function boxMullerF32(a: u32, b: u32): void {
  let u1 = u32ToF32(a);
  if (u1 < EPS_F32) u1 = EPS_F32;
  const v1 = <f32>(TWO_PI * <f64>u32ToF32(b));
  const r = <f32>Math.sqrt(<f64>(<f32>-2.0 * <f32>Math.log(<f64>u1)));
  bm0 = <f64>(<f32>Math.sin(<f64>v1) * r);
  bm1 = <f64>(<f32>Math.cos(<f64>v1) * r);
}
/** TF's BoxMullerDouble. */
function boxMullerF64(a: u32, b: u32, c: u32, d: u32): void {
  let u1 = u64ToF64(a, b);
  if (u1 < EPS_F64) u1 = EPS_F64;
  const v1 = TWO_PI * u64ToF64(c, d);
  const r = Math.sqrt(-2.0 * Math.log(u1));
  bm0 = Math.sin(v1) * r;
  bm1 = Math.cos(v1) * r;
}

/** TF RandomStandardNormal (float) · stddev + mean: 4 values per block. */
export function random_normal_f32(state: usize, out: usize, n: i32, mean: f32, stddev: f32): void {
  loadState(state);
  let j = 0;
  while (j < n) {
    block();
    boxMullerF32(x0, x1);
    store<f32>(out + (<usize>j << 2), <f32>bm0 * stddev + mean); j++;
    if (j < n) { store<f32>(out + (<usize>j << 2), <f32>bm1 * stddev + mean); j++; }
    if (j < n) {
      boxMullerF32(x2, x3);
      store<f32>(out + (<usize>j << 2), <f32>bm0 * stddev + mean); j++;
      if (j < n) { store<f32>(out + (<usize>j << 2), <f32>bm1 * stddev + mean); j++; }
    }
    skip(1);
  }
  reserve(state, n);
}

/** TF RandomStandardNormal (double) · stddev + mean: 2 values per block. */
export function random_normal_f64(state: usize, out: usize, n: i32, mean: f64, stddev: f64): void {
  loadState(state);
  let j = 0;
  while (j < n) {
    block();
    boxMullerF64(x0, x1, x2, x3);
    store<f64>(out + (<usize>j << 3), bm0 * stddev + mean); j++;
    if (j < n) { store<f64>(out + (<usize>j << 3), bm1 * stddev + mean); j++; }
    skip(1);
  }
  reserve(state, n);
}

// Single-sample adapter over the working generator: serves words of successive blocks.
let used: i32 = 4;
function nextWord(): u32 {
  if (used == 4) { block(); skip(1); used = 0; }
  const w = word(used);
  used++;
  return w;
}

/**
 * TF TruncatedNormal (float) · stddev + mean: group g of 4 outputs restarts the generator at
 * block base + 100·g and keeps Box–Muller values with |x| < 2.
 */
export function truncated_normal_f32(state: usize, out: usize, n: i32, mean: f32, stddev: f32): void {
  loadState(state);
  const b0 = c0, b1 = c1, b2 = c2, b3 = c3;
  for (let g = 0; g * 4 < n; g++) {
    c0 = b0; c1 = b1; c2 = b2; c3 = b3;
    skip64(<u64>g * 100);
    used = 4;
    let idx = 0;
    while (idx < 4) {
      const a = nextWord(), b = nextWord();
      boxMullerF32(a, b);
      for (let h = 0; h < 2 && idx < 4; h++) {
        const f = <f32>(h == 0 ? bm0 : bm1);
        if (Mathf.abs(f) < 2.0) {
          const j = g * 4 + idx;
          if (j < n) store<f32>(out + (<usize>j << 2), f * stddev + mean);
          idx++;
        }
      }
    }
  }
  c0 = b0; c1 = b1; c2 = b2; c3 = b3;
  reserve(state, n);
}

/** TF TruncatedNormal (double): groups of 2 outputs, restart at block base + 50·g. */
export function truncated_normal_f64(state: usize, out: usize, n: i32, mean: f64, stddev: f64): void {
  loadState(state);
  const b0 = c0, b1 = c1, b2 = c2, b3 = c3;
  for (let g = 0; g * 2 < n; g++) {
    c0 = b0; c1 = b1; c2 = b2; c3 = b3;
    skip64(<u64>g * 50);
    used = 4;
    let idx = 0;
    while (idx < 2) {
      const a = nextWord(), b = nextWord(), c = nextWord(), d = nextWord();
      boxMullerF64(a, b, c, d);
      for (let h = 0; h < 2 && idx < 2; h++) {
        const f = h == 0 ? bm0 : bm1;
        if (Math.abs(f) < 2.0) {
          const j = g * 2 + idx;
          if (j < n) store<f64>(out + (<usize>j << 3), f * stddev + mean);
          idx++;
        }
      }
    }
  }
  c0 = b0; c1 = b1; c2 = b2; c3 = b3;
  reserve(state, n);
}
