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
 */

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

export function math_exp_f32(x: f32): f32 { return <f32>expFdlibm(<f64>x); }
export function math_log_f32(x: f32): f32 { return <f32>NativeMath.log(<f64>x); }
export function math_sin_f32(x: f32): f32 { return <f32>NativeMath.sin(<f64>x); }
export function math_cos_f32(x: f32): f32 { return <f32>NativeMath.cos(<f64>x); }
export function math_tanh_f32(x: f32): f32 { return <f32>NativeMath.tanh(<f64>x); }
export function math_log1p_f32(x: f32): f32 { return <f32>NativeMath.log1p(<f64>x); }
export function math_sigmoid_f32(x: f32): f32 { return <f32>sigmoid64(<f64>x); }
export function math_pow_f32(x: f32, y: f32): f32 { return <f32>pow64(<f64>x, <f64>y); }
// fmod of two f32 values is exact in f64 and representable in f32
export function math_fmod_f32(x: f32, y: f32): f32 { return <f32>NativeMath.mod(<f64>x, <f64>y); }
