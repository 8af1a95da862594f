/**
 * @fileoverview The runtime's vector forms of exp, sigmoid and tanh (runtime-as/assembly/math.ts
 * `exp64x2`, `tanh64x2`: math_exp/math_sigmoid/math_tanh _f32x4 and _f64x2, which vector loops
 * call once per vector, and the matmul epilogue's compact copies) give, lane by lane, the scalar
 * forms' bits: the scalar forms are what the
 * reference interpreter's values are checked against (test/runtime/math.test.ts), so the vector
 * forms must not move a bit. JavaScript cannot pass a v128, so a small wasm module
 * (harness.ts `vectorMapper`) maps each vector form over a buffer. Arguments: fdlibm's special values and every branch boundary of
 * the scalar code (±40 ulps around each), the vector forms' own fast-path bounds (2⁻²⁸ and 704),
 * random bit patterns, dense ranges, and vectors that mix an edge lane with ordinary ones.
 * (Every one of the 2³² f32 arguments of exp, sigmoid and tanh was compared once, off the suite:
 * docs/runtime.md.)
 */
import t from 'tap';
import { Harness, rng, scalarMapper, vectorMapper } from './harness.js';

const FORMS = [
  { name: 'math_exp_f32x4', scalar: 'math_exp_f32', f32: true },
  { name: 'math_sigmoid_f32x4', scalar: 'math_sigmoid_f32', f32: true },
  { name: 'math_tanh_f32x4', scalar: 'math_tanh_f32', f32: true },
  { name: 'math_exp_f64x2', scalar: 'math_exp_f64', f32: false },
  { name: 'math_sigmoid_f64x2', scalar: 'math_sigmoid_f64', f32: false },
  { name: 'math_tanh_f64x2', scalar: 'math_tanh_f64', f32: false },
  // The matmul epilogue's smaller copies (runtime-as/assembly/matmul.ts act32/act64).
  { name: 'sigmoid32x4Compact', scalar: 'math_sigmoid_f32', f32: true },
  { name: 'tanh32x4Compact', scalar: 'math_tanh_f32', f32: true },
  { name: 'sigmoid64x2Compact', scalar: 'math_sigmoid_f64', f32: false },
  { name: 'tanh64x2Compact', scalar: 'math_tanh_f64', f32: false },
] as const;

const h = new Harness();

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const fromBits = (b: bigint): number => ((u64[0] = BigInt.asUintN(64, b)), f64[0]!);
const toBits = (x: number): bigint => ((f64[0] = x), u64[0]!);
const f32v = new Float32Array(1);
const u32 = new Uint32Array(f32v.buffer);
const fromBits32 = (b: number): number => ((u32[0] = b >>> 0), f32v[0]!);

const r = rng(77);
const uniform = (lo: number, hi: number, n: number): number[] => Array.from({ length: n }, () => lo + (hi - lo) * r());

/** Special values and the scalar code's branch points (thresholds, high-word bounds, k = −1021 / 1024), with the vector forms' fast-path bounds. */
const POINTS = [
  0,
  1,
  5e-324,
  2.2250738585072014e-308,
  Number.MAX_VALUE,
  709.782712893383973096,
  745.13321910194110842,
  708.3964185322641,
  704,
  3.725290298461914e-9,
  0.5 * Math.LN2,
  1.5 * Math.LN2,
  1021 * Math.LN2,
  1021.5 * Math.LN2,
  1022 * Math.LN2,
  1023.5 * Math.LN2,
  1024 * Math.LN2,
  20,
  40,
  88.72,
  103.97,
  // tanh: log(3)/2, log(5/3)/2, 2⁻⁵⁴, 2⁻⁵⁵; expm1 at 2|x| around k = 20 and 57, −0.25 after reduction
  0.5493061443340549,
  0.25541281188299536,
  5.551115123125783e-17,
  2.7755575615628914e-17,
  19.5 * Math.LN2 * 0.5,
  20.5 * Math.LN2 * 0.5,
  56.5 * Math.LN2 * 0.5,
  0.125,
  0.1733,
];
const HIGH_WORDS = [
  0x3fd62e42, 0x3fd62e43, 0x3ff0a2b1, 0x3ff0a2b2, 0x3e2fffff, 0x3e300000, 0x40862e41, 0x40862e42, 0x40862e43, 0x40860000, 0x407fffff,
  // tanh's and expm1's
  0x3fe193ea, 0x3fe193eb, 0x3fd058ae, 0x3fd058af, 0x40340000, 0x40340001, 0x000fffff, 0x00100000, 0x3c8fffff, 0x3c900000, 0x4043687a, 0x40436879,
];

function f64Arguments(): number[] {
  const xs: number[] = [NaN, Infinity, -Infinity, -0];
  for (const p of POINTS)
    for (const s of [1, -1]) {
      const b = toBits(s * p);
      for (let d = -40n; d <= 40n; d++) xs.push(fromBits(b + d));
    }
  for (const hw of HIGH_WORDS)
    for (const s of [0n, 1n]) for (let i = 0; i < 64; i++) xs.push(fromBits((s << 63n) | (BigInt(hw) << 32n) | BigInt(Math.floor(r() * 2 ** 32))));
  for (let i = 0; i < 60000; i++) xs.push(fromBits((BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32))));
  xs.push(...uniform(-760, 760, 60000), ...uniform(-2, 2, 30000), ...uniform(-40, 40, 30000));
  return xs;
}

function f32Arguments(): number[] {
  const xs = f64Arguments().map(Math.fround);
  for (let b = 0; b < 2 ** 32; b += 65521) xs.push(fromBits32(b)); // every 65521st bit pattern
  return xs;
}

/** Vectors whose lanes mix edge arguments (NaN, ±∞, tiny, huge) with ordinary ones, at every lane position. */
function mixed(lanes: number): number[] {
  const edge = [NaN, Infinity, -Infinity, 0, -0, 1e-10, -1e-10, 1e-17, -1e-17, 1e-310, 800, -800, 709.9, -745.2, 705, -706, 20.5, -21, 30];
  const xs: number[] = [];
  for (const e of edge) for (let pos = 0; pos < lanes; pos++) for (let v = 0; v < lanes; v++) xs.push(v === pos ? e : uniform(-20, 20, 1)[0]!);
  return xs;
}

/** NaNs of both signs, quiet and signalling, with payloads: written as raw bits (a JavaScript number may not keep them). */
const NAN32 = [0x7fc00000, 0xffc00000, 0x7f800001, 0xffa00123, 0x7fc12345];
const NAN64 = [0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff0000000000001n, 0xfff4000000000123n, 0x7ff8000123456789n];

t.test('vector exp, sigmoid and tanh: each lane the scalar form’s bits, NaNs included', async (t) => {
  const map = await vectorMapper(
    h.memory,
    h.rt,
    FORMS.map((f) => f.name),
  );
  const smap = await scalarMapper(
    h.memory,
    h.rt,
    FORMS.map((f) => ({ name: f.scalar, type: f.f32 ? 'f32' : 'f64' })),
  );
  const args64 = [...f64Arguments(), ...mixed(2)];
  const args32 = [...f32Arguments(), ...mixed(4)];
  FORMS.forEach((form, fi) => {
    const xs = form.f32 ? args32 : args64;
    const lanes = form.f32 ? 4 : 2;
    const n = Math.ceil(xs.length / lanes) * lanes;
    h.reset();
    const src = form.f32 ? h.put('f32', xs) : h.put('f64', xs);
    // NaN bit patterns at the front, each alone among ordinary lanes and in every lane position.
    const nans = form.f32 ? NAN32.length : NAN64.length;
    for (let i = 0; i < nans; i++) {
      const at = i * lanes + (i % lanes);
      if (form.f32) h.u32(src + 4 * at, 1)[0] = NAN32[i]!;
      else new BigUint64Array(h.memory.buffer, src + 8 * at, 1)[0] = NAN64[i]!;
    }
    const dst = h.alloc(n * (form.f32 ? 4 : 8));
    const want = h.alloc(n * (form.f32 ? 4 : 8));
    map(fi, src, dst, n / lanes);
    smap(fi, src, want, n);
    const words = form.f32 ? 1 : 2;
    const got32 = h.u32(dst, n * words);
    const want32 = h.u32(want, n * words);
    const ins = form.f32 ? h.f32(src, n) : h.f64(src, n);
    const bad: string[] = [];
    for (let i = 0; i < xs.length; i++) {
      let same = true;
      for (let w = 0; w < words; w++) if (got32[i * words + w] !== want32[i * words + w]) same = false;
      if (!same)
        bad.push(
          `${form.name}(${ins[i]}) = ${form.f32 ? h.f32(dst, n)[i] : h.f64(dst, n)[i]}, scalar ${form.f32 ? h.f32(want, n)[i] : h.f64(want, n)[i]} (raw bits differ)`,
        );
    }
    t.same(bad.slice(0, 5), [], `${form.name}: ${xs.length} arguments, raw bits`);
  });
});
