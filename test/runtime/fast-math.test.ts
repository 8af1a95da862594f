/**
 * @fileoverview Fast math's f32 exp, sigmoid and tanh (runtime-as/assembly/fast-math.ts): what
 * the relaxed runtime build computes for math_<fn>_f32x4, math_<fn>_f32 and the matmul
 * epilogue's sigmoid32x4Compact / tanh32x4Compact. Not bit-exact with the reference, so checked
 * against stated error bounds: at most 2 (exp), 4 (sigmoid) and 7 (tanh) ulp from the f64 value
 * rounded to f32 (ulps counted through subnormals alike); ±∞ and 0 exactly where the exact value
 * is; no value outside the function's range (|tanh| ≤ 1, 0 ≤ sigmoid ≤ 1). The bounds are the
 * worst over all 2³² f32 arguments against the exact build's values (docs/runtime.md, "Fast
 * math"), and the three arguments that reach them are among these: special values, each clamp
 * and cut-over point ±64 ulps, a dense grid over [−110, 110] and random bit patterns. Also: NaN
 * in, NaN out; ±∞ and the clamps' limits as bits; the scalar forms are lane 0 of the vector forms
 * (so a loop's tail element and a thread split cannot change a value); the epilogue's forms are
 * the exported ones. The exact build's forms are test/runtime/vector-math.test.ts's.
 */
import { setFlagsFromString } from 'node:v8';
import t from 'tap';
import { Harness, rng, scalarMapper, vectorMapper } from './harness.js';
import { relaxedSimdSupported } from '../../session/wasm/fast-math.js';

// Node 20 compiles relaxed SIMD only with this flag; it must precede the first compile.
setFlagsFromString('--experimental-wasm-relaxed-simd');

const FNS = [
  { fn: 'exp', ulps: 2, exact: (x: number) => Math.exp(x), compact: null },
  { fn: 'sigmoid', ulps: 4, exact: (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))), compact: 'sigmoid32x4Compact' },
  { fn: 'tanh', ulps: 7, exact: (x: number) => Math.tanh(x), compact: 'tanh32x4Compact' },
] as const;

/** The functions' ranges: no value outside them, not even by an ulp. */
const RANGE: Record<string, [number, number]> = { exp: [0, Infinity], sigmoid: [0, 1], tanh: [-1, 1] };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (b: number): number => ((u32[0] = b >>> 0), f32[0]!);
const bitsOf = (x: number): number => ((f32[0] = x), u32[0]!);
/** f32 values in an order where adjacent floats differ by 1 (−0 and +0 both 0). */
const ordinal = (x: number): number => {
  const b = bitsOf(x);
  return b & 0x80000000 ? -(b & 0x7fffffff) : b;
};
/** The f32 `k` ulps from x (crossing zero and into ±∞ as ordinals do). */
const stepUlps = (x: number, k: number): number => {
  const o = ordinal(x) + k;
  return o < 0 ? fromBits(0x80000000 | -o) : fromBits(o);
};

/** How many elements differ (t.same on 300,000-element arrays takes seconds). */
const differing = (a: Uint32Array, b: Uint32Array): number => a.reduce((c, v, i) => c + (v === b[i] ? 0 : 1), 0);

function args(): Float32Array {
  const out: number[] = [];
  const points = [
    0,
    1,
    1e-45,
    1.1754942e-38,
    1.17549435e-38,
    3.4028235e38,
    Infinity,
    // exp: the clamps, where e^x overflows / underflows, where 2^n's halves change
    89,
    88.72283935546875,
    104,
    103.97207708,
    87.33654475,
    0.34657359,
    1.03972077,
    // tanh: the clamp and the small-|x| cut-over
    7.905311107635498,
    0.0004,
    // sigmoid's switch at 0 and where 1 − f rounds to 1
    16.635532333438686,
    17.328679513998633,
    // the worst arguments over all 2³² (exp, sigmoid, tanh): the bounds are reached here
    0.13186095654964447,
    -1.960984230041504,
    5.740292549133301,
  ];
  for (const p of points) for (const s of [1, -1]) for (let k = -64; k <= 64; k++) out.push(stepUlps(s * p, k));
  for (let x = -110; x <= 110; x += 1 / 512) out.push(x);
  const r = rng(25);
  for (let i = 0; i < 200_000; i++) out.push(fromBits(Math.floor(r() * 2 ** 32)));
  out.push(NaN, -NaN, -Infinity);
  while (out.length % 4) out.push(0);
  return Float32Array.from(out);
}

t.test('fast-math exp, sigmoid, tanh: within their ulp bounds, NaN and ±∞ right, scalar = vector = epilogue', async (t) => {
  t.equal(relaxedSimdSupported(), true, 'this engine compiles relaxed SIMD (the relaxed runtime build)');
  const h = new Harness('relaxed');
  const xs = args();
  const n = xs.length;
  const src = h.put('f32', xs);
  const dst = h.alloc(n * 4);
  const dst2 = h.alloc(n * 4);
  // The NaN arguments with their sign bits and payloads, written as bits.
  const srcBits = h.u32(src, n);
  srcBits[n - 4] = 0x7fc00001;
  srcBits[n - 3] = 0xffc00000;
  const vector = await vectorMapper(h.memory, h.rt, [...FNS.map((f) => `math_${f.fn}_f32x4`), 'sigmoid32x4Compact', 'tanh32x4Compact']);
  const scalar = await scalarMapper(
    h.memory,
    h.rt,
    FNS.map((f) => ({ name: `math_${f.fn}_f32`, type: 'f32' as const })),
  );
  for (const [i, { fn, ulps, exact, compact }] of FNS.entries()) {
    vector(i, src, dst, n / 4);
    const x = h.f32(src, n);
    const got = h.f32(dst, n);
    let worst = 0,
      at = 0,
      nanWrong = 0,
      finiteWrong = 0,
      outOfRange = 0;
    const [lo, hi] = RANGE[fn];
    for (let k = 0; k < n; k++) {
      const want = Math.fround(exact(x[k]!));
      const g = got[k]!;
      if (Number.isNaN(want) || Number.isNaN(g)) {
        if (Number.isNaN(want) !== Number.isNaN(g)) nanWrong++;
        continue;
      }
      // ∞ and 0 only where the exact value is (the ulp count alone would take FLT_MAX → ∞ as 1 ulp).
      if (Number.isFinite(g) !== Number.isFinite(want) || (g === 0) !== (want === 0)) finiteWrong++;
      if (!(g >= lo && g <= hi)) outOfRange++;
      const d = Math.abs(ordinal(g) - ordinal(want));
      if (d > worst) [worst, at] = [d, x[k]!];
    }
    t.ok(worst <= ulps, `${fn}: at most ${ulps} ulp over ${n} arguments (worst ${worst} at ${at})`);
    t.equal(nanWrong, 0, `${fn}: NaN exactly where the exact function gives NaN`);
    t.equal(finiteWrong, 0, `${fn}: ±∞ and 0 exactly where the exact function gives them`);
    t.equal(outOfRange, 0, `${fn}: every value within [${lo}, ${hi}]`);
    scalar(i, src, dst2, n);
    t.equal(differing(h.u32(dst2, n), h.u32(dst, n)), 0, `${fn}: the scalar form is lane 0 of the vector form (same bits)`);
    if (compact) {
      vector(compact === 'sigmoid32x4Compact' ? 3 : 4, src, dst2, n / 4);
      t.equal(differing(h.u32(dst2, n), h.u32(dst, n)), 0, `${fn}: the matmul epilogue's form gives the exported form's bits`);
    }
  }
  // Limits: as bits where the value is exact (±∞, 0, ±1, ½, x itself), else within the bound.
  const cases: [fn: string, x: number, want: number, exactBits: boolean][] = [
    ['exp', Infinity, Infinity, true],
    ['exp', -Infinity, 0, true],
    ['exp', 89, Infinity, true],
    ['exp', -104, 0, true],
    ['exp', 0, 1, true],
    ['exp', -0, 1, true],
    // e^88.72283935546875 is beyond FLT_MAX + ½ ulp: ∞ in f32, exactly; the f32 below is finite
    ['exp', 88.72283935546875, Infinity, true],
    ['exp', 88.72283172607422, Math.exp(88.72283172607422), false],
    ['exp', -100, Math.exp(-100), false],
    ['sigmoid', Infinity, 1, true],
    ['sigmoid', -Infinity, 0, true],
    ['sigmoid', 0, 0.5, true],
    ['sigmoid', -0, 0.5, true],
    ['sigmoid', 40, 1, true],
    ['sigmoid', -100, Math.exp(-100), false],
    ['tanh', -0, -0, true],
    ['tanh', 1e-30, 1e-30, true],
    ['tanh', Infinity, 1, true],
    ['tanh', -Infinity, -1, true],
    ['tanh', 20, 1, true],
    ['tanh', -20, -1, true],
  ];
  for (const [fn, x, want, exactBits] of cases) {
    const i = FNS.findIndex((f) => f.fn === fn);
    h.f32(src, 4).fill(x);
    vector(i, src, dst, 1);
    const got = h.f32(dst, 1)[0]!;
    const w = Math.fround(want);
    const ok = exactBits ? Object.is(got, w) : Math.abs(ordinal(got) - ordinal(w)) <= FNS[i]!.ulps;
    t.ok(ok, `${fn}(${Object.is(x, -0) ? '-0' : x}) = ${got} (want ${w}${exactBits ? '' : ` within ${FNS[i]!.ulps} ulp`})`);
  }
});
