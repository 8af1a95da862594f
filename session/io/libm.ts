/**
 * @fileoverview `sin`, `cos` and `log` on f64 with a fixed algorithm, so generated data (the
 * `moons()` rows) has the same bits in every JS engine. `Math.sin`/`Math.cos`/`Math.log` are
 * "implementation-approximated" in ECMAScript: Node 20's V8 and a current Chromium's V8 round
 * some arguments differently in the last bit. These functions use only +, -, *, / on f64 and
 * integer operations on the words of a double (all exactly specified), following Sun's fdlibm
 * 5.3 (`k_sin.c`, `k_cos.c`, `e_rem_pio2.c`, `e_log.c`: the same polynomials, constants and
 * operation order), which is also what V8 used for these functions before it switched sin/cos
 * to glibc's. Errors are below 1 ulp. `Math.sqrt` needs no replacement: IEEE 754 square root
 * is correctly rounded and every engine uses it.
 *
 * The argument reduction is fdlibm's for |x| up to 2^19·π/2 (Cody–Waite with π/2 in three
 * pieces); larger arguments need the Payne–Hanek reduction, which nothing here uses, and throw.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Word order of a double in memory: little-endian everywhere JS runs today, but checked.
const HI = (() => {
  f64[0] = 1;
  return u32[1] === 0x3ff00000 ? 1 : 0;
})();
const LO = 1 - HI;

/** The high 32 bits of x's IEEE 754 representation, as a signed int (fdlibm's GET_HIGH_WORD). */
function highWord(x: number): number {
  f64[0] = x;
  return u32[HI] | 0;
}

function lowWord(x: number): number {
  f64[0] = x;
  return u32[LO];
}

function fromWords(hi: number, lo: number): number {
  u32[HI] = hi >>> 0;
  u32[LO] = lo >>> 0;
  return f64[0];
}

// k_sin.c: sin on [-π/4, π/4].
const S1 = -1.66666666666666324348e-1; // 0xBFC55555 55555549
const S2 = 8.33333333332248946124e-3; // 0x3F811111 1110F8A6
const S3 = -1.98412698298579493134e-4; // 0xBF2A01A0 19C161D5
const S4 = 2.75573137070700676789e-6; // 0x3EC71DE3 57B1FE7D
const S5 = -2.50507602534068634195e-8; // 0xBE5AE5E6 8A2B9CEB
const S6 = 1.58969099521155010221e-10; // 0x3DE5D93A 5ACFD57C

/** sin(x + y) for |x| <= π/4, y the tail of x (iy = 0: y is zero). */
function kernelSin(x: number, y: number, iy: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix < 0x3e400000 && Math.trunc(x) === 0) return x; // |x| < 2^-27
  const z = x * x;
  const v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  if (iy === 0) return x + v * (S1 + z * r);
  return x - (z * (0.5 * y - v * r) - y - v * S1);
}

// k_cos.c: cos on [-π/4, π/4].
const C1 = 4.16666666666666019037e-2; // 0x3FA55555 5555554C
const C2 = -1.38888888888741095749e-3; // 0xBF56C16C 16C15177
const C3 = 2.48015872894767294178e-5; // 0x3EFA01A0 19CB1590
const C4 = -2.75573143513906633035e-7; // 0xBE927E4F 809C52AD
const C5 = 2.0875723212981748279e-9; // 0x3E21EE9E BDB4B1C4
const C6 = -1.13596475577881948265e-11; // 0xBDA8FAE9 BE8838D4

/** cos(x + y) for |x| <= π/4, y the tail of x. */
function kernelCos(x: number, y: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix < 0x3e400000 && Math.trunc(x) === 0) return 1; // |x| < 2^-27
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  if (ix < 0x3fd33333) return 1 - (0.5 * z - (z * r - x * y)); // |x| < 0.3
  const qx = ix > 0x3fe90000 ? 0.28125 : fromWords(ix - 0x00200000, 0); // x/4, or 0.28125 above 0.78125
  const hz = 0.5 * z - qx;
  const a = 1 - qx;
  return a - (hz - (z * r - x * y));
}

// e_rem_pio2.c: x - n·π/2 as y0 + y1, for |x| <= 2^19·π/2.
const INVPIO2 = 6.36619772367581382433e-1; // 0x3FE45F30 6DC9C883
const PIO2_1 = 1.57079632673412561417; // 0x3FF921FB 54400000: the first 33 bits of π/2
const PIO2_1T = 6.07710050650619224932e-11; // 0x3DD0B461 1A626331: π/2 - PIO2_1
const PIO2_2 = 6.0771005063039659766e-11; // 0x3DD0B461 1A600000: the next 33 bits
const PIO2_2T = 2.02226624879595063154e-21; // 0x3BA3198A 2E037073
const PIO2_3 = 2.0222662487111664558e-21; // 0x3BA3198A 2E000000: the next 33 bits
const PIO2_3T = 8.47842766036889956997e-32; // 0x397B839A 252049C1

const rem: [number, number] = [0, 0];

/** n with x = n·π/2 + rem[0] + rem[1], |rem| <= π/4. */
function remPio2(x: number): number {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix < 0x4002d97c) {
    // |x| < 3π/4: n = ±1.
    if (hx > 0) {
      let z = x - PIO2_1;
      if (ix !== 0x3ff921fb) {
        rem[0] = z - PIO2_1T;
        rem[1] = z - rem[0] - PIO2_1T;
      } else {
        // Near π/2: 33 + 33 + 53 bits of π/2.
        z -= PIO2_2;
        rem[0] = z - PIO2_2T;
        rem[1] = z - rem[0] - PIO2_2T;
      }
      return 1;
    }
    let z = x + PIO2_1;
    if (ix !== 0x3ff921fb) {
      rem[0] = z + PIO2_1T;
      rem[1] = z - rem[0] + PIO2_1T;
    } else {
      z += PIO2_2;
      rem[0] = z + PIO2_2T;
      rem[1] = z - rem[0] + PIO2_2T;
    }
    return -1;
  }
  if (ix > 0x413921fb) throw new RangeError(`libm: |x| = ${Math.abs(x)} is beyond 2^19·π/2 (the large-argument reduction is not implemented)`);
  const t0 = Math.abs(x);
  const n = Math.trunc(t0 * INVPIO2 + 0.5);
  const fn = n;
  let r = t0 - fn * PIO2_1;
  let w = fn * PIO2_1T; // good to 85 bits
  const j = ix >> 20;
  rem[0] = r - w;
  // fdlibm skips this exponent check for n < 32 when x is not next to n·π/2 (no cancellation
  // is possible there, so the check would not fire); the result is the same.
  if (j - ((highWord(rem[0]) >> 20) & 0x7ff) > 16) {
    // A second round, good to 118 bits.
    let t = r;
    w = fn * PIO2_2;
    r = t - w;
    w = fn * PIO2_2T - (t - r - w);
    rem[0] = r - w;
    if (j - ((highWord(rem[0]) >> 20) & 0x7ff) > 49) {
      // A third round, 151 bits.
      t = r;
      w = fn * PIO2_3;
      r = t - w;
      w = fn * PIO2_3T - (t - r - w);
      rem[0] = r - w;
    }
  }
  rem[1] = r - rem[0] - w;
  if (hx < 0) {
    rem[0] = -rem[0];
    rem[1] = -rem[1];
    return -n;
  }
  return n;
}

/** sin(x), the same bits in every engine (|x| <= 2^19·π/2). */
export function sin(x: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelSin(x, 0, 0); // |x| ~<= π/4
  if (ix >= 0x7ff00000) return NaN; // ±Infinity or NaN
  const n = remPio2(x);
  switch (n & 3) {
    case 0:
      return kernelSin(rem[0], rem[1], 1);
    case 1:
      return kernelCos(rem[0], rem[1]);
    case 2:
      return -kernelSin(rem[0], rem[1], 1);
    default:
      return -kernelCos(rem[0], rem[1]);
  }
}

/** cos(x), the same bits in every engine (|x| <= 2^19·π/2). */
export function cos(x: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelCos(x, 0);
  if (ix >= 0x7ff00000) return NaN;
  const n = remPio2(x);
  switch (n & 3) {
    case 0:
      return kernelCos(rem[0], rem[1]);
    case 1:
      return -kernelSin(rem[0], rem[1], 1);
    case 2:
      return -kernelCos(rem[0], rem[1]);
    default:
      return kernelSin(rem[0], rem[1], 1);
  }
}

// e_log.c
const LN2_HI = 6.9314718036912381649e-1; // 0x3FE62E42 FEE00000
const LN2_LO = 1.90821492927058770002e-10; // 0x3DEA39EF 35793C76
const TWO54 = 1.8014398509481984e16; // 2^54
const LG1 = 6.66666666666673513e-1; // 0x3FE55555 55555593
const LG2 = 3.999999999940941908e-1; // 0x3FD99999 9997FA04
const LG3 = 2.857142874366239149e-1; // 0x3FD24924 94229359
const LG4 = 2.222219843214978396e-1; // 0x3FCC71C5 1D8E78AF
const LG5 = 1.818357216161805012e-1; // 0x3FC74664 96CB03DE
const LG6 = 1.531383769920937332e-1; // 0x3FC39A09 D078C69F
const LG7 = 1.479819860511658591e-1; // 0x3FC2F112 DF3E5244

/** The natural logarithm, the same bits in every engine. */
export function log(x: number): number {
  let hx = highWord(x);
  const lx = lowWord(x);
  let k = 0;
  if (hx < 0x00100000) {
    // x < 2^-1022
    if (((hx & 0x7fffffff) | lx) === 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54; // subnormal: scale up
    x *= TWO54;
    hx = highWord(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  let i = (hx + 0x95f64) & 0x100000;
  x = fromWords(hx | (i ^ 0x3ff00000), lowWord(x)); // x or x/2 normalized into [sqrt(2)/2, sqrt(2))
  k += i >> 20;
  const f = x - 1;
  if ((0x000fffff & (2 + hx)) < 3) {
    // -2^-20 <= f < 2^-20
    if (f === 0) return k === 0 ? 0 : k * LN2_HI + k * LN2_LO;
    const R = f * f * (0.5 - 0.3333333333333333 * f);
    return k === 0 ? f - R : k * LN2_HI - (R - k * LN2_LO - f);
  }
  const s = f / (2 + f);
  const dk = k;
  const z = s * s;
  i = hx - 0x6147a;
  const w = z * z;
  const j = 0x6b851 - hx;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  i |= j;
  const R = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    return k === 0 ? f - (hfsq - s * (hfsq + R)) : dk * LN2_HI - (hfsq - (s * (hfsq + R) + dk * LN2_LO) - f);
  }
  return k === 0 ? f - s * (f - R) : dk * LN2_HI - (s * (f - R) - dk * LN2_LO - f);
}
