/**
 * @fileoverview Philox4x32-10 counter-based random numbers and the conversions to uniform,
 * normal and truncated-normal samples, exactly as TensorFlow's `philox_random.h` and
 * `random_distributions.h`. Pure 32-bit arithmetic (Math.imul, 16-bit splits for the high
 * word of products), so the wasm backend can reproduce every word and every sample.
 *
 * Stream layout (TF's PhiloxRandom(seed, seed2)): key = [seed lo32, seed hi32],
 * counter = [block lo32, block hi32, seed2 lo32, seed2 hi32]; each block gives 4 words.
 */
import { cos, log, sin } from './io/libm.js';

/** Philox multipliers and Weyl key increments (philox_random.h). */
export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;

/** High 32 bits of the unsigned 64-bit product a*b, from 16-bit halves. */
export function mulhi32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

/** One Philox4x32-10 block: 10 rounds over the counter with the key bumped between rounds. */
export function philoxBlock(key0: number, key1: number, c0: number, c1: number, c2: number, c3: number): [number, number, number, number] {
  const out = new Uint32Array(4);
  philoxBlockInto(key0 >>> 0, key1 >>> 0, c0 >>> 0, c1 >>> 0, c2 >>> 0, c3 >>> 0, out, 0);
  return [out[0], out[1], out[2], out[3]];
}

/** Same as philoxBlock, writing the 4 words to out[off..off+3] (no allocation). */
export function philoxBlockInto(k0: number, k1: number, c0: number, c1: number, c2: number, c3: number, out: Uint32Array, off: number): void {
  for (let round = 0; round < 10; round++) {
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi0 = mulhi32(PHILOX_M0, c0);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, c2);
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  out[off] = c0;
  out[off + 1] = c1;
  out[off + 2] = c2;
  out[off + 3] = c3;
}

/** Split a (possibly negative) int64 seed given as a JS number into [lo32, hi32] (two's complement). */
export function splitSeed(seed: number): [number, number] {
  const v = BigInt.asUintN(64, BigInt(Math.trunc(seed)));
  return [Number(v & 0xffffffffn), Number(v >> 32n)];
}

/**
 * A Philox stream for one (seed, seed2): `next(count)` returns the next `count` words and
 * continues across calls. Each call consumes whole 4-word blocks (the unused tail of the last
 * block is dropped), as TF's generators hand out whole blocks.
 */
export class PhiloxStream {
  readonly key0: number;
  readonly key1: number;
  readonly c2: number;
  readonly c3: number;
  /** Position, in blocks, as a 64-bit counter split in two words. */
  private blockLo = 0;
  private blockHi = 0;

  constructor(seed: number, seed2: number) {
    [this.key0, this.key1] = splitSeed(seed);
    [this.c2, this.c3] = splitSeed(seed2);
  }

  /** Current position in blocks (exact below 2^53). */
  get position(): number {
    return this.blockHi * 0x100000000 + this.blockLo;
  }

  /** Skip `blocks` 4-word blocks (TF's PhiloxRandom::Skip). */
  skip(blocks: number): void {
    const lo = this.blockLo + (blocks % 0x100000000);
    this.blockHi = (this.blockHi + Math.floor(blocks / 0x100000000) + (lo >= 0x100000000 ? 1 : 0)) >>> 0;
    this.blockLo = lo >>> 0;
  }

  next(count: number): Uint32Array {
    const blocks = Math.ceil(count / 4);
    const buf = new Uint32Array(blocks * 4);
    for (let b = 0; b < blocks; b++) {
      philoxBlockInto(this.key0, this.key1, this.blockLo, this.blockHi, this.c2, this.c3, buf, b * 4);
      this.blockLo = (this.blockLo + 1) >>> 0;
      if (this.blockLo === 0) this.blockHi = (this.blockHi + 1) >>> 0;
    }
    return count === buf.length ? buf : buf.subarray(0, count);
  }
}

// ---- conversions (random_distributions.h) ----

const f32buf = new Float32Array(1);
const u32view = new Uint32Array(f32buf.buffer);
const f64buf = new Float64Array(1);
const u32pair = new Uint32Array(f64buf.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** TF's Uint32ToFloat: 23 mantissa bits with exponent 0 → [1, 2), minus 1 → [0, 1). */
export function uint32ToFloat(x: number): number {
  u32view[0] = ((x & 0x7fffff) | 0x3f800000) >>> 0;
  return Math.fround(f32buf[0] - 1);
}

/** TF's Uint64ToDouble(x0, x1): mantissa = (x0 & 0xfffff) << 32 | x1, exponent 1023, minus 1. */
export function uint64ToDouble(hi: number, lo: number): number {
  const h = ((hi & 0xfffff) | 0x3ff00000) >>> 0;
  if (LITTLE_ENDIAN) {
    u32pair[0] = lo >>> 0;
    u32pair[1] = h;
  } else {
    u32pair[0] = h;
    u32pair[1] = lo >>> 0;
  }
  return f64buf[0] - 1;
}

const TWO_PI = 2 * Math.PI;

/**
 * The f64 log/sin/cos the normal conversions use. sqrt is correctly rounded everywhere and stays
 * `Math.sqrt`.
 */
export interface NormalMath {
  log(x: number): number;
  sin(x: number): number;
  cos(x: number): number;
}

/**
 * What every Session draws its normals with: fdlibm's log/sin/cos in plain f64 arithmetic
 * (session/io/libm.ts), the same bits in every JavaScript engine. The reference interpreter and
 * the wasm loader both use it, so their normal samples are equal bit for bit. (The reference
 * used the host's `Math` and the loader the runtime's musl-derived math_*_f64: their f64 normals
 * differed in the last bit in about 4% of samples. Node 20's Math.log/sin/cos equal fdlibm's.)
 */
export const FDLIBM: NormalMath = { log, sin, cos };

/** TF's BoxMullerFloat(x0, x1) → [r·sin(v), r·cos(v)] in float32 arithmetic. */
export function boxMullerFloat(x0: number, x1: number, math: NormalMath = FDLIBM): [number, number] {
  const fr = Math.fround;
  let u1 = uint32ToFloat(x0);
  if (u1 < fr(1e-7)) u1 = fr(1e-7);
  const v1 = fr(TWO_PI * uint32ToFloat(x1));
  const u2 = fr(Math.sqrt(fr(-2 * fr(math.log(u1)))));
  return [fr(fr(math.sin(v1)) * u2), fr(fr(math.cos(v1)) * u2)];
}

/** TF's BoxMullerDouble(x0, x1, x2, x3) → two float64 normals. */
export function boxMullerDouble(x0: number, x1: number, x2: number, x3: number, math: NormalMath = FDLIBM): [number, number] {
  let u1 = uint64ToDouble(x0, x1);
  if (u1 < 1e-20) u1 = 1e-20;
  const v1 = TWO_PI * uint64ToDouble(x2, x3);
  const u2 = Math.sqrt(-2 * math.log(u1));
  return [math.sin(v1) * u2, math.cos(v1) * u2];
}

/** Words needed for n samples of a float distribution (uniform/normal) of the given width. */
export function wordsFor(kind: 'uniform' | 'normal', dtype: 'f32' | 'f64' | 'i32', n: number): number {
  if (dtype === 'f64') return kind === 'uniform' ? 2 * n : 4 * Math.ceil(n / 2);
  if (kind === 'normal') return 2 * Math.ceil(n / 2);
  return n;
}

/** n uniform [0,1) samples from raw words: one word per f32 sample, two (hi, lo) per f64. */
export function uniformFromBits(bits: Uint32Array, dtype: 'f32' | 'f64', n: number): Float64Array {
  const out = new Float64Array(n);
  if (dtype === 'f32') for (let i = 0; i < n; i++) out[i] = uint32ToFloat(bits[i]);
  else for (let i = 0; i < n; i++) out[i] = uint64ToDouble(bits[2 * i], bits[2 * i + 1]);
  return out;
}

/** n standard normal samples: Box–Muller on word pairs (f32) or quadruples (f64). */
export function normalFromBits(bits: Uint32Array, dtype: 'f32' | 'f64', n: number, math: NormalMath = FDLIBM): Float64Array {
  const out = new Float64Array(n);
  if (dtype === 'f32') {
    for (let i = 0; i < n; i += 2) {
      const [a, b] = boxMullerFloat(bits[i], bits[i + 1], math);
      out[i] = a;
      if (i + 1 < n) out[i + 1] = b;
    }
  } else {
    for (let i = 0, w = 0; i < n; i += 2, w += 4) {
      const [a, b] = boxMullerDouble(bits[w], bits[w + 1], bits[w + 2], bits[w + 3], math);
      out[i] = a;
      if (i + 1 < n) out[i + 1] = b;
    }
  }
  return out;
}

/**
 * n truncated standard normals (|x| < 2): draw normals in batches from `draw(words)` and keep
 * those inside the bound, in order, drawing more from the continuing stream until n are kept.
 */
export function truncatedNormalFrom(draw: (count: number) => Uint32Array, dtype: 'f32' | 'f64', n: number, math: NormalMath = FDLIBM): Float64Array {
  const out = new Float64Array(n);
  let have = 0;
  let want = n;
  while (have < n) {
    const batch = Math.max(want, 4);
    const normals = normalFromBits(draw(wordsFor('normal', dtype, batch)), dtype, batch, math);
    for (let i = 0; i < batch && have < n; i++) if (Math.abs(normals[i]) < 2) out[have++] = normals[i];
    want = n - have;
  }
  return out;
}

/** TF's UniformDistribution<int32>: lo + (x mod (hi - lo)) with an unsigned 32-bit range. */
export function uniformIntFromBits(bits: Uint32Array, lo: number, hi: number, n: number): Int32Array {
  const range = (hi - lo) >>> 0;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = (lo + ((bits[i] >>> 0) % range)) | 0;
  return out;
}

/**
 * mulberry32: a small seeded generator of floats in [0, 1), for data that must be the same on
 * every run (make_moons, test inputs). Not TF's stream: the random ops use Philox above.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
