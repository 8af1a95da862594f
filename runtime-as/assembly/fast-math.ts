/**
 * @fileoverview Fast-math f32 exp, sigmoid and tanh: what the relaxed runtime build (fast math,
 * `LoadOptions.fastMath`) computes for math_<fn>_f32x4, math_<fn>_f32 and the f32 matmul
 * epilogue, in place of the exact forms of math.ts (f64 evaluation, rounded once, the reference
 * interpreter's bits). Four f32 lanes at once, with no branch and no table:
 *
 * - exp: n = round(x·log₂e) by the 1.5·2²³ trick, r = x − n·ln2 (ln2 in two parts), e^r by a
 *   degree-5 polynomial (XNNPACK's rr2-p5 coefficients), scaled by 2^n as two exact powers of
 *   two (n/2 each: one rounding, also for subnormal results). x is clamped to [−104, 89] first,
 *   so ±∞ come out of the arithmetic (e^89 overflows, e^−104 rounds to 0) and NaN passes
 *   through. At most 2 ulp from the correctly rounded value (normal results).
 * - sigmoid: e = exp(−|x|), f = e/(1 + e); 1 − f for x ≥ 0 (XNNPACK's form: no cancellation
 *   for x < 0, so subnormal results too). At most 3 ulp.
 * - tanh: Eigen's and ONNX Runtime's (MLAS) rational form, x·P(x²)/Q(x²) (degrees 13/6) on x
 *   clamped to ±7.9053, x itself for |x| < 0.0004. At most 5 ulp (3.3e-7 relative).
 *
 * Plain f32x4 mul and add (no relaxed_madd): the same bits in every engine, with or without fused
 * multiply-add. The scalar forms use lane 0 of a splat, so an element's value never depends on
 * whether a loop reaches it as a vector lane or as a tail element, nor on a thread split. Error
 * bounds: test/runtime/fast-math.test.ts (and docs/runtime.md, "Fast math").
 */

/**
 * The constants, read into all four lanes with load32_splat (one instruction; V8 builds a splat
 * immediate in three at every use, which made exp 1.3× slower). Zero padding after them, as
 * math.ts EXP_K's (compiler/emit/sections.ts `dropUnreferencedData`). Inside a function, so that
 * only the build that compiles these forms (the relaxed one) has the segment: the exact build
 * stays byte for byte what it was. (Binaryen inlines the call to a constant.)
 */
function fastK(): usize {
  return memory.data<f32>([
  -104.0, 89.0, 12582912.0, 1.4426950216293335, 0.693145751953125, 1.428606765330187e-6,
  0.008289290592074394, 0.04189782217144966, 0.16667652130126953, 0.4999915063381195, 0.9999997019767761, 1.0,
  7.90531110763549805, -7.90531110763549805, 0.0004,
  -2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-8,
  1.48572235717979e-5, 6.37261928875436e-4, 4.89352455891786e-3,
  1.19825839466702e-6, 1.18534705686654e-4, 2.268434632439e-3, 4.89352518554385e-3,
  0.0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ], 16);
}
const LO = 0, HI = 1, MAGIC = 2, LOG2E = 3, LN2_HI = 4, LN2_LO = 5;
const E5 = 6, E4 = 7, E3 = 8, E2 = 9, E1 = 10, ONE = 11;
const TANH_CLAMP = 12, TANH_NCLAMP = 13, TANH_TINY = 14;
const A13 = 15, A11 = 16, A9 = 17, A7 = 18, A5 = 19, A3 = 20, A1 = 21;
const B6 = 22, B4 = 23, B2 = 24, B0 = 25, ZERO = 26;

// @ts-ignore: decorator
@inline function k(i: i32): v128 { return v128.load32_splat(fastK() + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 { return f32x4.add(f32x4.mul(a, b), c); }

/** e^x for x ≤ 89 (clamped below at −104): no overflow of 2^n's exponent fields. */
// @ts-ignore: decorator
@inline function expCore(x: v128): v128 {
  // pmax(x, lo) = x < lo ? lo : x: a NaN x stays NaN.
  const xc = f32x4.pmax(x, k(LO));
  const magic = k(MAGIC); // 1.5·2²³: adding it rounds to an integer, kept in the low bits
  const z = madd(xc, k(LOG2E), magic);
  const n = f32x4.sub(z, magic);
  let r = f32x4.sub(xc, f32x4.mul(n, k(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, k(LN2_LO)));
  let p = madd(k(E5), r, k(E4));
  p = madd(p, r, k(E3));
  p = madd(p, r, k(E2));
  p = madd(p, r, k(E1));
  const y = madd(p, r, k(ONE));
  // 2^n as 2^n1 · 2^n2 (n1 = n >> 1): each in [−75, 64], a normal f32 built in its exponent field.
  const ni = i32x4.sub(z, magic);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(y, s1), s2);
}

export function expFast32x4(x: v128): v128 {
  // pmin(x, hi) = hi < x ? hi : x: a NaN x stays NaN.
  return expCore(f32x4.pmin(x, k(HI)));
}

export function sigmoidFast32x4(x: v128): v128 {
  const e = expCore(v128.or(x, i32x4.splat(0x80000000))); // e^−|x| (a NaN stays NaN)
  const one = k(ONE);
  const f = f32x4.div(e, f32x4.add(e, one));
  return v128.bitselect(f32x4.sub(one, f), f, f32x4.ge(x, k(ZERO)));
}

export function tanhFast32x4(x: v128): v128 {
  const xc = f32x4.pmax(f32x4.pmin(x, k(TANH_CLAMP)), k(TANH_NCLAMP));
  const x2 = f32x4.mul(xc, xc);
  let p = madd(x2, k(A13), k(A11));
  p = madd(p, x2, k(A9));
  p = madd(p, x2, k(A7));
  p = madd(p, x2, k(A5));
  p = madd(p, x2, k(A3));
  p = madd(p, x2, k(A1));
  p = f32x4.mul(p, xc);
  let q = madd(x2, k(B6), k(B4));
  q = madd(q, x2, k(B2));
  q = madd(q, x2, k(B0));
  return v128.bitselect(x, f32x4.div(p, q), f32x4.lt(f32x4.abs(x), k(TANH_TINY)));
}
