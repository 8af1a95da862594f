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
 *   through. At most 2 ulp from the exact build's value.
 * - sigmoid: e = exp(−|x|), f = e/(1 + e); 1 − f for x ≥ 0 (XNNPACK's form: no cancellation
 *   for x < 0, so subnormal results too). At most 4 ulp.
 * - tanh: Eigen's rational form x·P(x²)/Q(x²) (degrees 13/6; ONNX Runtime's MLAS has the same,
 *   clamped at ±9) on x clamped to ±7.9053 (Eigen's clamp, where the value is exactly ±1), x
 *   itself for |x| < 0.0004. At most 7 ulp (4.2e-7 relative).
 *
 * The bounds are the worst over all 2³² f32 arguments against the exact build's values. Plain
 * f32x4 mul and add (no relaxed_madd): the same bits in every engine, with or without fused
 * multiply-add. The scalar forms use lane 0 of a splat, so an element's value never depends on
 * whether a loop reaches it as a vector lane or as a tail element, nor on a thread split. Tests:
 * test/runtime/fast-math.test.ts (and docs/runtime.md, "Fast math").
 */

// Constants as f32x4.splat of immediates: V8 builds each in three ALU instructions at every use.
// Reading them from a static table with load32_splat instead measured the same overall (exp
// 1.25× slower, sigmoid 1.12× faster, tanh equal; interleaved A/B), so the simpler form stays.
// @ts-ignore: decorator
@inline function splat(x: f32): v128 { return f32x4.splat(x); }
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 { return f32x4.add(f32x4.mul(a, b), c); }

/** e^x for x ≤ 89 (clamped below at −104): no overflow of 2^n's exponent fields. */
// @ts-ignore: decorator
@inline function expCore(x: v128): v128 {
  // pmax(x, lo) = x < lo ? lo : x: a NaN x stays NaN.
  const xc = f32x4.pmax(x, splat(-104.0));
  const magic = splat(12582912.0); // 1.5·2²³: adding it rounds to an integer, kept in the low bits
  const z = madd(xc, splat(1.4426950216293335), magic);
  const n = f32x4.sub(z, magic);
  let r = f32x4.sub(xc, f32x4.mul(n, splat(0.693145751953125)));
  r = f32x4.sub(r, f32x4.mul(n, splat(1.428606765330187e-6)));
  let p = madd(splat(0.008289290592074394), r, splat(0.04189782217144966));
  p = madd(p, r, splat(0.16667652130126953));
  p = madd(p, r, splat(0.4999915063381195));
  p = madd(p, r, splat(0.9999997019767761));
  const y = madd(p, r, splat(1.0));
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
  return expCore(f32x4.pmin(x, splat(89.0)));
}

export function sigmoidFast32x4(x: v128): v128 {
  const e = expCore(v128.or(x, i32x4.splat(0x80000000))); // e^−|x| (a NaN stays NaN)
  const f = f32x4.div(e, f32x4.add(e, splat(1.0)));
  return v128.bitselect(f32x4.sub(splat(1.0), f), f, f32x4.ge(x, splat(0.0)));
}

export function tanhFast32x4(x: v128): v128 {
  const clamp: f32 = 7.90531110763549805;
  const xc = f32x4.pmax(f32x4.pmin(x, splat(clamp)), splat(-clamp));
  const x2 = f32x4.mul(xc, xc);
  let p = madd(x2, splat(-2.76076847742355e-16), splat(2.00018790482477e-13));
  p = madd(p, x2, splat(-8.60467152213735e-11));
  p = madd(p, x2, splat(5.12229709037114e-8));
  p = madd(p, x2, splat(1.48572235717979e-5));
  p = madd(p, x2, splat(6.37261928875436e-4));
  p = madd(p, x2, splat(4.89352455891786e-3));
  p = f32x4.mul(p, xc);
  let q = madd(x2, splat(1.19825839466702e-6), splat(1.18534705686654e-4));
  q = madd(q, x2, splat(2.268434632439e-3));
  q = madd(q, x2, splat(4.89352518554385e-3));
  return v128.bitselect(x, f32x4.div(p, q), f32x4.lt(f32x4.abs(x), splat(0.0004)));
}
