/**
 * @fileoverview Transcendental functions for generated code, computed in wasm so results are the
 * same bits in every engine (the host's JavaScript `Math` differs between V8 versions in the last
 * ulp). Input: scalars (or an f32 array, in place); output: the function's value.
 *
 * All go through AssemblyScript's `NativeMath` (a port of musl's exp/log/pow with lookup tables,
 * sin/cos with full argument reduction, tanh, log1p), in f64. The f32 forms compute in f64 and
 * round once, exactly as the reference interpreter does (`Math.fround(Math.exp(x))`), so they
 * agree with it except where musl and the host's f64 results straddle an f32 rounding boundary
 * (rare); `Mathf` (musl's expf/logf) would be faster but differs from the reference in the last
 * f32 bit far more often. Semantics follow JavaScript's `Math` where C's differ: pow(±1, ±∞) and
 * pow(x, NaN) are NaN (C gives 1). sigmoid is the reference's formula: x ≥ 0 ? 1/(1 + e^−x) :
 * e^x/(1 + e^x). The loader also draws its normal samples through math_log_f64/math_sin_f64/
 * math_cos_f64 (session/random.ts `NormalMath`), so random streams are engine-independent too.
 */

// @ts-ignore: decorator
@inline function pow64(x: f64, y: f64): f64 {
  // JavaScript: Math.pow(x, NaN) = NaN and Math.pow(±1, ±Infinity) = NaN; musl returns 1 for
  // pow(1, y) and pow(-1, ±inf). Everything else (pow(x, ±0) = 1 included) agrees.
  if (isNaN(y)) return NaN;
  if (Math.abs(x) == 1 && !isFinite(y)) return NaN;
  return NativeMath.pow(x, y);
}

// @ts-ignore: decorator
@inline function sigmoid64(x: f64): f64 {
  if (x >= 0) return 1 / (1 + NativeMath.exp(-x));
  const e = NativeMath.exp(x);
  return e / (1 + e);
}

export function math_exp_f64(x: f64): f64 { return NativeMath.exp(x); }
export function math_log_f64(x: f64): f64 { return NativeMath.log(x); }
export function math_sin_f64(x: f64): f64 { return NativeMath.sin(x); }
export function math_cos_f64(x: f64): f64 { return NativeMath.cos(x); }
export function math_tanh_f64(x: f64): f64 { return NativeMath.tanh(x); }
export function math_log1p_f64(x: f64): f64 { return NativeMath.log1p(x); }
export function math_sigmoid_f64(x: f64): f64 { return sigmoid64(x); }
export function math_pow_f64(x: f64, y: f64): f64 { return pow64(x, y); }
/** C's fmod: x - trunc(x / y)·y exactly (the sign of x); floormod adjusts it to the divisor's sign. */
export function math_fmod_f64(x: f64, y: f64): f64 { return NativeMath.mod(x, y); }

export function math_exp_f32(x: f32): f32 { return <f32>NativeMath.exp(<f64>x); }
export function math_log_f32(x: f32): f32 { return <f32>NativeMath.log(<f64>x); }
export function math_sin_f32(x: f32): f32 { return <f32>NativeMath.sin(<f64>x); }
export function math_cos_f32(x: f32): f32 { return <f32>NativeMath.cos(<f64>x); }
export function math_tanh_f32(x: f32): f32 { return <f32>NativeMath.tanh(<f64>x); }
export function math_log1p_f32(x: f32): f32 { return <f32>NativeMath.log1p(<f64>x); }
export function math_sigmoid_f32(x: f32): f32 { return <f32>sigmoid64(<f64>x); }
export function math_pow_f32(x: f32, y: f32): f32 { return <f32>pow64(<f64>x, <f64>y); }
// fmod of two f32 values is exact in f64 and representable in f32
export function math_fmod_f32(x: f32, y: f32): f32 { return <f32>NativeMath.mod(<f64>x, <f64>y); }
