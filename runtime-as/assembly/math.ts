/**
 * @fileoverview Transcendental functions for generated code, computed in wasm so results are the
 * same bits in every engine (the host's JavaScript `Math` differs between V8 versions in the last
 * ulp). Input: scalars (or an f32 array, in place); output: the function's value.
 *
 * exp (and sigmoid, and the f64 softmax in softmax.ts) is fdlibm 5.3's e_exp.c (`expFdlibm`
 * below): the algorithm of V8's Math.exp, so it gives the reference interpreter's bits in Node
 * (0 differences in 7M arguments; musl's table-driven exp differed in about 10% of them), and it
 * needs no table, so a module whose matmul epilogue may call sigmoid embeds no 2 KB exp table.
 * The rest go through AssemblyScript's `NativeMath` (a port of musl's log/pow with lookup tables,
 * sin/cos with full argument reduction, tanh, log1p), in f64. The f32 forms compute in f64 and
 * round once, exactly as the reference interpreter does (`Math.fround(Math.exp(x))`), so they
 * agree with it except where the runtime's and the host's f64 results straddle an f32 rounding boundary
 * (rare); `Mathf` (musl's expf/logf) would be faster but differs from the reference in the last
 * f32 bit far more often. Semantics follow JavaScript's `Math` where C's differ: pow(±1, ±∞) and
 * pow(x, NaN) are NaN (C gives 1). sigmoid is the reference's formula: x ≥ 0 ? 1/(1 + e^−x) :
 * e^x/(1 + e^x). (The random ops' normal samples do not come from here: both Sessions draw them
 * with fdlibm in JavaScript, session/random.ts `FDLIBM`.)
 *
 * exp, sigmoid and tanh also come in vector form (math_<fn>_f32x4 / _f64x2: v128 → v128, each
 * lane the scalar form's bits; exp64x2 and tanh64x2 below), which vector loops call once per
 * vector rather than once per lane across the module boundary. asconfig.json silences AS112
 * (exporting a v128 function), since only wasm modules call them.
 */

import { expFast32x4, sigmoidFast32x4, tanhFast32x4 } from './fast-math';

// @ts-ignore: decorator
@inline function pow64(x: f64, y: f64): f64 {
  // JavaScript: Math.pow(x, NaN) = NaN and Math.pow(±1, ±Infinity) = NaN; musl returns 1 for
  // pow(1, y) and pow(-1, ±inf). Everything else (pow(x, ±0) = 1 included) agrees.
  if (isNaN(y)) return NaN;
  if (Math.abs(x) == 1 && !isFinite(y)) return NaN;
  return NativeMath.pow(x, y);
}


/**
 * exp(x) by fdlibm 5.3's e_exp.c (the algorithm of V8's Math.exp and of the reference
 * interpreter in Node): argument reduction by ln2 in two parts, a degree-5 minimax rational
 * form, scaling by 2^k through the exponent word. Table-free, below 1 ulp.
 */
export function expFdlibm(x: f64): f64 {
  const ln2HI: f64 = 6.93147180369123816490e-01;
  const ln2LO: f64 = 1.90821492927058770002e-10;
  const invln2: f64 = 1.44269504088896338700e+00;
  const P1: f64 = 1.66666666666666019037e-01;
  const P2: f64 = -2.77777777770155933842e-03;
  const P3: f64 = 6.61375632143793436117e-05;
  const P4: f64 = -1.65339022054652515390e-06;
  const P5: f64 = 4.13813679705723846039e-08;
  const huge: f64 = 1.0e+300;
  const twom1000: f64 = 9.33263618503218878990e-302;
  const bits = reinterpret<u64>(x);
  let hx = <u32>(bits >> 32);
  const xsb = <i32>(hx >> 31);
  hx &= 0x7fffffff;
  if (hx >= 0x40862E42) {
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | <u32>bits) != 0) return x + x;
      return xsb == 0 ? x : 0.0;
    }
    if (x > 7.09782712893383973096e+02) return huge * huge;
    if (x < -7.45133219101941108420e+02) return twom1000 * twom1000;
  }
  let hi: f64 = 0, lo: f64 = 0, k: i32 = 0;
  if (hx > 0x3fd62e42) {
    if (hx < 0x3FF0A2B2) {
      hi = xsb == 0 ? x - ln2HI : x + ln2HI;
      lo = xsb == 0 ? ln2LO : -ln2LO;
      k = 1 - xsb - xsb;
    } else {
      k = <i32>(invln2 * x + (xsb == 0 ? 0.5 : -0.5));
      const t = <f64>k;
      hi = x - t * ln2HI;
      lo = t * ln2LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    if (huge + x > 1.0) return 1.0 + x;
  }
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * 8.98846567431158e307;
    return reinterpret<f64>(reinterpret<u64>(y) + (<u64>k << 52));
  }
  return reinterpret<f64>(reinterpret<u64>(y) + (<u64>(k + 1000) << 52)) * twom1000;
}

/**
 * The constants of exp64x2 (tanh64x2 reads them too), read into both lanes of a v128 with
 * load64_splat (one instruction; V8 builds a 64-bit v128 immediate in three at every use). The
 * 80 zero bytes after them keep the next static table (musl's log/pow tables) beyond the 64-byte
 * margin within which compiler/emit/sections.ts `dropUnreferencedData` keeps a segment near a
 * constant of the code, so a model that calls exp or sigmoid does not embed those tables.
 */
const EXP_K = memory.data<u64>([
  0x8000000000000000,
  0x3fd62e42ffffffff,
  0x3ff0a2b200000000,
  0x3e30000000000000,
  0x3ff71547652b82fe,
  0x3fe0000000000000,
  0x3ff0000000000000,
  0x4000000000000000,
  0x3fe62e42fee00000,
  0x3dea39ef35793c76,
  0x3fc555555555553e,
  0xbf66c16c16bebd93,
  0x3f11566aaf25de2c,
  0xbebbbd41c5d26bf1,
  0x3e66376972bea4d0,
  0x4338000000000000,
  0xc08fe80000000000,
  0x3e80000000000000,
  0x0170000000000000,
  0x4090000000000000,
  0x7fe0000000000000,
  0x40862e42fefa39ef,
  0xc0874910d52d3051,
  0x7ff0000000000000,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0
], 16);
const X_SIGN: i32 = 0; // the sign bit
const X_HX_REDUCE: i32 = 1; // |x| above this: reduce (high word > 0x3fd62e42, |x| > ln2/2)
const X_HX_NEAR: i32 = 2; // |x| below this: k = ±1 (high word < 0x3ff0a2b2, |x| < 1.5·ln2)
const X_HX_TINY: i32 = 3; // |x| below this: 1 + x (high word < 0x3e300000, |x| < 2⁻²⁸)
const X_INVLN2: i32 = 4; // invln2
const X_HALF: i32 = 5; // 0.5
const X_ONE: i32 = 6; // 1
const X_TWO: i32 = 7; // 2
const X_LN2HI: i32 = 8; // ln2HI
const X_LN2LO: i32 = 9; // ln2LO
const X_P1: i32 = 10; // P1
const X_P2: i32 = 11; // P2
const X_P3: i32 = 12; // P3
const X_P4: i32 = 13; // P4
const X_P5: i32 = 14; // P5
const X_MAGIC: i32 = 15; // 1.5·2⁵²: bits(k + MAGIC) − bits(MAGIC) = k for an integral |k| < 2⁵¹
const X_KMIN: i32 = 16; // k below this: scale by 2^(k+1000), then 2⁻¹⁰⁰⁰
const X_E1000: i32 = 17; // 1000 in the exponent field
const X_TWOM1000: i32 = 18; // 2⁻¹⁰⁰⁰
const X_K1024: i32 = 19; // k = 1024: y·2·2¹⁰²³
const X_TWO1023: i32 = 20; // 2¹⁰²³
const X_OTHRESH: i32 = 21; // overflow threshold
const X_UTHRESH: i32 = 22; // underflow threshold
const X_INF: i32 = 23; // +∞
/** tanh64x2's own constants (as EXP_K, followed by 80 zero bytes). */
const TANH_K = memory.data<u64>([
  0x7fffffffffffffff,
  0xbfa11111111110f4,
  0x3f5a01a019fe5585,
  0xbf14ce199eaadbb7,
  0x3ed0cfca86e65239,
  0xbe8afdb76e09c32d,
  0x4008000000000000,
  0x4018000000000000,
  0xc000000000000000,
  0xbff0000000000000,
  0xbfd0000000000000,
  0x4034000000000000,
  0x404c000000000000,
  0x00000000000003ff,
  0x3fd058aeffffffff,
  0x3fe193eaffffffff,
  0x40340000ffffffff,
  0x0010000000000000,
  0x3c90000000000000,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0
], 16);
const T_ABS: i32 = 0; // all but the sign bit
const T_Q1: i32 = 1; // expm1 Q1
const T_Q2: i32 = 2; // expm1 Q2
const T_Q3: i32 = 3; // expm1 Q3
const T_Q4: i32 = 4; // expm1 Q4
const T_Q5: i32 = 5; // expm1 Q5
const T_THREE: i32 = 6; // 3
const T_SIX: i32 = 7; // 6
const T_MTWO: i32 = 8; // −2
const T_MONE: i32 = 9; // −1
const T_MQUARTER: i32 = 10; // −0.25
const T_K20: i32 = 11; // expm1: k < 20 or not
const T_K56: i32 = 12; // expm1: k > 56 as k < 0
const T_BIAS: i32 = 13; // the exponent bias (i64 lanes)
const T_TH_MID: i32 = 14; // tanh: |x| above this (high word > 0x3fd058ae, log(5/3)/2): expm1(2|x|)
const T_TH_BIG: i32 = 15; // tanh: |x| above this (high word > 0x3fe193ea, log(3)/2): 1 − 2/(expm1(2|x|) + 2)
const T_TH_HUGE: i32 = 16; // tanh: |x| above this (high word > 0x40340000, 20): 1 − 0/|x|
const T_MIN_NORMAL: i32 = 17; // tanh: |x| below this (high word < 0x00100000): |x|
const T_EM1_TINY: i32 = 18; // expm1: |x| below this (high word < 0x3c900000, 2⁻⁵⁴): x
// @ts-ignore: decorator
@inline function K(i: i32): v128 { return v128.load64_splat(EXP_K + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline function KT(i: i32): v128 { return v128.load64_splat(TANH_K + (<usize>i << 3)); }

/**
 * expFdlibm on both lanes of an f64x2, the same bits as the scalar function lane by lane, with no
 * per-lane branch: every lane takes the general path; with `edges` (some lane of the vector
 * needs it: edges64/edges32), the lanes that fdlibm returns early (NaN, overflow, underflow,
 * |x| < 2⁻²⁸) and those scaled outside the normal range (k < −1021, k = 1024) are selected in.
 * fdlibm's k = ±1 branch is the general formula with k forced to ±1.
 * Where fdlibm does not reduce (|x| ≤ ln2/2) k = +0, so hi = x − 0 = x and lo = 0, and
 * 1 − ((lo − q) − hi) is the scalar's 1 − ((x·c)/(c − 2) − x), since c − 2 = −(2 − c) and
 * a/−b = −(a/b) exactly. k stays in f64 (integral, |k| ≤ 1075 where it matters): trunc is the
 * scalar's i32 conversion, and bits(k + 1.5·2⁵²) − bits(1.5·2⁵²) is k as an i64.
 */
// @ts-ignore: decorator
@inline function exp64x2(x: v128, edges: bool): v128 {
  const sx = v128.and(x, K(X_SIGN));
  const ax = v128.xor(x, sx);
  const reduce = i64x2.gt_s(ax, K(X_HX_REDUCE));
  const near = i64x2.lt_s(ax, K(X_HX_NEAR));
  // k = ±1 near ln2, else trunc(invln2·x ± 0.5); +0 where fdlibm does not reduce.
  let k = f64x2.trunc(f64x2.add(f64x2.mul(K(X_INVLN2), x), v128.or(K(X_HALF), sx)));
  k = v128.and(v128.bitselect(v128.or(K(X_ONE), sx), k, near), reduce);
  const hi = f64x2.sub(x, f64x2.mul(k, K(X_LN2HI)));
  const lo = f64x2.mul(k, K(X_LN2LO));
  const r = f64x2.sub(hi, lo);
  const t = f64x2.mul(r, r);
  let p = f64x2.mul(t, K(X_P5));
  p = f64x2.mul(t, f64x2.add(K(X_P4), p));
  p = f64x2.mul(t, f64x2.add(K(X_P3), p));
  p = f64x2.mul(t, f64x2.add(K(X_P2), p));
  p = f64x2.mul(t, f64x2.add(K(X_P1), p));
  const c = f64x2.sub(r, p);
  const q = f64x2.div(f64x2.mul(r, c), f64x2.sub(K(X_TWO), c));
  const y = f64x2.sub(K(X_ONE), f64x2.sub(f64x2.sub(lo, q), hi));
  // y·2^k through the exponent field; k < −1021: 2^(k+1000), then ·2⁻¹⁰⁰⁰; k = 1024: y·2·2¹⁰²³.
  const kbits = i64x2.shl(i64x2.sub(f64x2.add(k, K(X_MAGIC)), K(X_MAGIC)), 52);
  if (!edges) return i64x2.add(y, kbits);
  const small = f64x2.lt(k, K(X_KMIN));
  let res = i64x2.add(i64x2.add(y, kbits), v128.and(small, K(X_E1000)));
  res = v128.bitselect(f64x2.mul(res, K(X_TWOM1000)), res, small);
  res = v128.bitselect(f64x2.mul(f64x2.mul(y, K(X_TWO)), K(X_TWO1023)), res, f64x2.eq(k, K(X_K1024)));
  // fdlibm's early returns: |x| < 2⁻²⁸ → 1 + x; x > 709.78… → +∞; x < −745.13… → +0; NaN → x + x.
  res = v128.bitselect(f64x2.add(K(X_ONE), x), res, i64x2.lt_s(ax, K(X_HX_TINY)));
  res = v128.bitselect(K(X_INF), res, f64x2.gt(x, K(X_OTHRESH)));
  res = v128.andnot(res, f64x2.lt(x, K(X_UTHRESH)));
  return v128.bitselect(f64x2.add(x, x), res, f64x2.ne(x, x));
}

/**
 * sigmoid64 on both lanes (the same bits lane by lane): x ≥ 0 ? 1/(1 + e^−x) : e^x/(1 + e^x),
 * both from e = e^−|x|, with one division of the chosen numerator (1 or e) by 1 + e. A NaN keeps
 * its sign (the scalar takes e^x of it; −|x| would flip a positive NaN's sign bit), which only
 * a vector with edges (a NaN makes it one) needs to check.
 */
// @ts-ignore: decorator
@inline function sigmoid64x2(x: v128, edges: bool): v128 {
  let m = v128.or(x, K(X_SIGN));
  if (edges) m = v128.bitselect(x, m, f64x2.ne(x, x));
  const e = exp64x2(m, edges);
  return f64x2.div(v128.bitselect(K(X_ONE), e, f64x2.ge(x, f64x2.splat(0))), f64x2.add(K(X_ONE), e));
}

/**
 * NativeMath.tanh (musl's tanh over its expm1) on both lanes of an f64x2, the same bits as the
 * scalar lane by lane. tanh calls expm1 at v = 2|x| (|x| > log(5/3)/2) or −2|x|, so v lies in
 * [−0.52, 40.1] or is tiny; there expm1 has no early return but v itself for |v| < 2⁻⁵⁴, and its
 * reduction is exp64x2's (the same constants and k; for k = 0, hi = v, lo = 0 and c = (v − v) − 0
 * = 0, as the scalar's unreduced path). Every lane computes each of expm1's finishes (k = 0, −1,
 * 1, k < 0 or > 56, k < 20, the rest) and its own is selected; tanh's three forms share one
 * division ((−a)/b = −(a/b) exactly). With `edges`: tiny (|x| < 2⁻¹⁰²² → |x|; |v| < 2⁻⁵⁴ → v) and
 * huge or NaN lanes (|x| > 20 → 1 − 0/|x|).
 */
// @ts-ignore: decorator
@inline function tanh64x2(x: v128, edges: bool): v128 {
  const sx = v128.and(x, K(X_SIGN));
  const ax = v128.xor(x, sx);
  const mid = i64x2.gt_s(ax, KT(T_TH_MID));
  const big = i64x2.gt_s(ax, KT(T_TH_BIG));
  const two = f64x2.add(ax, ax);
  const v = v128.bitselect(two, f64x2.neg(two), mid);
  // expm1(v)
  const sv = v128.and(v, K(X_SIGN));
  const av = v128.xor(v, sv);
  let k = f64x2.trunc(f64x2.add(f64x2.mul(K(X_INVLN2), v), v128.or(K(X_HALF), sv)));
  k = v128.and(v128.bitselect(v128.or(K(X_ONE), sv), k, i64x2.lt_s(av, K(X_HX_NEAR))), i64x2.gt_s(av, K(X_HX_REDUCE)));
  const hi = f64x2.sub(v, f64x2.mul(k, K(X_LN2HI)));
  const lo = f64x2.mul(k, K(X_LN2LO));
  const r = f64x2.sub(hi, lo);
  const c = f64x2.sub(f64x2.sub(hi, r), lo);
  const hfx = f64x2.mul(K(X_HALF), r);
  const hxs = f64x2.mul(r, hfx);
  const hxq = f64x2.mul(hxs, hxs);
  const r1 = f64x2.add(
    f64x2.add(K(X_ONE), f64x2.mul(hxs, KT(T_Q1))),
    f64x2.mul(hxq, f64x2.add(f64x2.add(KT(T_Q2), f64x2.mul(hxs, KT(T_Q3))), f64x2.mul(hxq, f64x2.add(KT(T_Q4), f64x2.mul(hxs, KT(T_Q5)))))),
  );
  const t3 = f64x2.sub(KT(T_THREE), f64x2.mul(r1, hfx));
  const e0 = f64x2.mul(hxs, f64x2.div(f64x2.sub(r1, t3), f64x2.sub(KT(T_SIX), f64x2.mul(r, t3))));
  const e = f64x2.sub(f64x2.sub(f64x2.mul(r, f64x2.sub(e0, c)), c), hxs);
  const ki = i64x2.sub(f64x2.add(k, K(X_MAGIC)), K(X_MAGIC));
  const twopk = i64x2.shl(i64x2.add(ki, KT(T_BIAS)), 52);
  const twomk = i64x2.shl(i64x2.sub(KT(T_BIAS), ki), 52);
  let em = v128.bitselect(
    f64x2.mul(f64x2.add(r, f64x2.sub(f64x2.sub(K(X_ONE), twomk), e)), twopk),
    f64x2.mul(f64x2.add(r, f64x2.sub(K(X_ONE), f64x2.add(e, twomk))), twopk),
    f64x2.lt(k, KT(T_K20)),
  );
  const far = v128.or(f64x2.lt(k, f64x2.splat(0)), f64x2.gt(k, KT(T_K56)));
  em = v128.bitselect(f64x2.sub(f64x2.mul(f64x2.add(f64x2.sub(r, e), K(X_ONE)), twopk), K(X_ONE)), em, far);
  const one = v128.bitselect(
    f64x2.mul(KT(T_MTWO), f64x2.sub(e, f64x2.add(r, K(X_HALF)))),
    f64x2.add(K(X_ONE), f64x2.mul(K(X_TWO), f64x2.sub(r, e))),
    f64x2.lt(r, KT(T_MQUARTER)),
  );
  em = v128.bitselect(one, em, f64x2.eq(k, K(X_ONE)));
  em = v128.bitselect(f64x2.sub(f64x2.mul(K(X_HALF), f64x2.sub(r, e)), K(X_HALF)), em, f64x2.eq(k, KT(T_MONE)));
  em = v128.bitselect(f64x2.sub(r, f64x2.sub(f64x2.mul(r, e0), hxs)), em, f64x2.eq(k, f64x2.splat(0)));
  if (edges) em = v128.bitselect(v, em, i64x2.lt_s(av, KT(T_EM1_TINY)));
  // tanh: big 1 − 2/(em + 2), mid em/(em + 2), small −em/(em + 2)
  const q = f64x2.div(v128.bitselect(K(X_TWO), em, big), f64x2.add(em, K(X_TWO)));
  let t = v128.bitselect(f64x2.sub(K(X_ONE), q), v128.bitselect(q, f64x2.neg(q), mid), big);
  if (edges) {
    t = v128.bitselect(ax, t, i64x2.lt_s(ax, KT(T_MIN_NORMAL)));
    t = v128.bitselect(f64x2.sub(K(X_ONE), f64x2.div(f64x2.splat(0), ax)), t, i64x2.gt_s(ax, KT(T_TH_HUGE)));
  }
  return v128.or(v128.and(t, KT(T_ABS)), sx);
}

/** Whether a lane needs tanh64x2's edge cases: |x| < 2⁻⁵⁴, |x| > 20 or NaN. */
// @ts-ignore: decorator
@inline function tanhEdges64(x: v128): bool {
  const ax = f64x2.abs(x);
  return v128.any_true(v128.or(f64x2.lt(ax, f64x2.splat(5.551115123125783e-17)), v128.not(f64x2.le(ax, f64x2.splat(20.0)))));
}
// @ts-ignore: decorator
@inline function tanhEdges32(x: v128): bool {
  const ax = f32x4.abs(x);
  return v128.any_true(v128.or(f32x4.lt(ax, f32x4.splat(5.551115123125783e-17)), v128.not(f32x4.le(ax, f32x4.splat(20.0)))));
}

/**
 * Whether a lane needs exp64x2's edge cases: |x| < 2⁻²⁸ (fdlibm's 1 + x), |x| ≥ 704 (where
 * k < −1021 or k = 1024 need other scaling, and overflow, underflow, ±∞) or NaN. Elsewhere
 * y·2^k is the exponent-field add alone (the edge cases' selects cost a third of the function).
 */
// @ts-ignore: decorator
@inline function edges64(x: v128): bool {
  const ax = f64x2.abs(x);
  return v128.any_true(v128.or(f64x2.lt(ax, f64x2.splat(3.725290298461914e-9)), v128.not(f64x2.lt(ax, f64x2.splat(704.0)))));
}
// @ts-ignore: decorator
@inline function edges32(x: v128): bool {
  const ax = f32x4.abs(x);
  return v128.any_true(v128.or(f32x4.lt(ax, f32x4.splat(3.725290298461914e-9)), v128.not(f32x4.lt(ax, f32x4.splat(704.0)))));
}

// @ts-ignore: decorator
@inline function lowF64(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
// @ts-ignore: decorator
@inline function highF64(v: v128): v128 { return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3)); }
// @ts-ignore: decorator
@inline function joinF32(lo: v128, hi: v128): v128 { return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5); }

/**
 * Vector forms for generated loops (one call per vector rather than one per lane) and the matmul
 * epilogue: each lane the scalar function's bits (f32 lanes computed in f64 and rounded once).
 */
export function math_exp_f64x2(x: v128): v128 { return edges64(x) ? exp64x2(x, true) : exp64x2(x, false); }
export function math_sigmoid_f64x2(x: v128): v128 { return edges64(x) ? sigmoid64x2(x, true) : sigmoid64x2(x, false); }
export function math_exp_f32x4(x: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return expFast32x4(x);
  const lo = lowF64(x), hi = highF64(x);
  return edges32(x) ? joinF32(exp64x2(lo, true), exp64x2(hi, true)) : joinF32(exp64x2(lo, false), exp64x2(hi, false));
}
export function math_sigmoid_f32x4(x: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return sigmoidFast32x4(x);
  const lo = lowF64(x), hi = highF64(x);
  return edges32(x) ? joinF32(sigmoid64x2(lo, true), sigmoid64x2(hi, true)) : joinF32(sigmoid64x2(lo, false), sigmoid64x2(hi, false));
}
/** sigmoid64x2 as one function of its own, for the matmul epilogue (as tanh64x2Call below). */
function sigmoid64x2Call(x: v128, edges: bool): v128 { return sigmoid64x2(x, edges); }
/** math_sigmoid_f32x4's values through sigmoid64x2Call (the matmul epilogue's form). */
export function sigmoid32x4Compact(x: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return sigmoidFast32x4(x);
  const edges = edges32(x);
  return joinF32(sigmoid64x2Call(lowF64(x), edges), sigmoid64x2Call(highF64(x), edges));
}
/** math_sigmoid_f64x2's values through sigmoid64x2Call (the f64 matmul epilogue's form). */
export function sigmoid64x2Compact(x: v128): v128 { return sigmoid64x2Call(x, edges64(x)); }

/**
 * tanh64x2 as one function of its own (the exported forms inline it four times, which is faster
 * but ~700 bytes larger gzipped): what the matmul epilogue calls, so that every model with a
 * matmul stays small. The same source, hence the same bits.
 */
function tanh64x2Call(x: v128, edges: bool): v128 { return tanh64x2(x, edges); }
/** math_tanh_f32x4's values through tanh64x2Call (the matmul epilogue's form). */
export function tanh32x4Compact(x: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return tanhFast32x4(x);
  const edges = tanhEdges32(x);
  return joinF32(tanh64x2Call(lowF64(x), edges), tanh64x2Call(highF64(x), edges));
}
/** math_tanh_f64x2's values through tanh64x2Call (the f64 matmul epilogue's form). */
export function tanh64x2Compact(x: v128): v128 { return tanh64x2Call(x, tanhEdges64(x)); }

export function math_tanh_f64x2(x: v128): v128 { return tanhEdges64(x) ? tanh64x2(x, true) : tanh64x2(x, false); }
export function math_tanh_f32x4(x: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return tanhFast32x4(x);
  const lo = lowF64(x), hi = highF64(x);
  return tanhEdges32(x) ? joinF32(tanh64x2(lo, true), tanh64x2(hi, true)) : joinF32(tanh64x2(lo, false), tanh64x2(hi, false));
}

// @ts-ignore: decorator
@inline function sigmoid64(x: f64): f64 {
  if (x >= 0) return 1 / (1 + expFdlibm(-x));
  const e = expFdlibm(x);
  return e / (1 + e);
}

export function math_exp_f64(x: f64): f64 { return expFdlibm(x); }
export function math_log_f64(x: f64): f64 { return NativeMath.log(x); }
export function math_sin_f64(x: f64): f64 { return NativeMath.sin(x); }
export function math_cos_f64(x: f64): f64 { return NativeMath.cos(x); }
export function math_tanh_f64(x: f64): f64 { return NativeMath.tanh(x); }
export function math_log1p_f64(x: f64): f64 { return NativeMath.log1p(x); }
export function math_sigmoid_f64(x: f64): f64 { return sigmoid64(x); }
export function math_pow_f64(x: f64, y: f64): f64 { return pow64(x, y); }
/** C's fmod: x - trunc(x / y)·y exactly (the sign of x); floormod adjusts it to the divisor's sign. */
export function math_fmod_f64(x: f64, y: f64): f64 { return NativeMath.mod(x, y); }

// The relaxed build (fast math) computes f32 exp, sigmoid and tanh by fast-math.ts, a scalar as
// lane 0 of a splat: the vector forms' bits, wherever a loop meets the element.
export function math_exp_f32(x: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(expFast32x4(f32x4.splat(x)), 0);
  return <f32>expFdlibm(<f64>x);
}
export function math_log_f32(x: f32): f32 { return <f32>NativeMath.log(<f64>x); }
export function math_sin_f32(x: f32): f32 { return <f32>NativeMath.sin(<f64>x); }
export function math_cos_f32(x: f32): f32 { return <f32>NativeMath.cos(<f64>x); }
export function math_tanh_f32(x: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(tanhFast32x4(f32x4.splat(x)), 0);
  return <f32>NativeMath.tanh(<f64>x);
}
export function math_log1p_f32(x: f32): f32 { return <f32>NativeMath.log1p(<f64>x); }
export function math_sigmoid_f32(x: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(sigmoidFast32x4(f32x4.splat(x)), 0);
  return <f32>sigmoid64(<f64>x);
}
export function math_pow_f32(x: f32, y: f32): f32 { return <f32>pow64(<f64>x, <f64>y); }
// fmod of two f32 values is exact in f64 and representable in f32
export function math_fmod_f32(x: f32, y: f32): f32 { return <f32>NativeMath.mod(<f64>x, <f64>y); }
