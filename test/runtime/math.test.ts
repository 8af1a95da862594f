/**
 * @fileoverview runtime.wasm transcendentals (runtime-as/assembly/math.ts) against the host's
 * JavaScript Math: f64 forms within 2 ulp of Math's value over wide argument ranges (musl and V8
 * each claim < 1 ulp), special values (NaN, ±Infinity, ±0, JavaScript's pow rules) bit-equal,
 * f32 forms exactly fround(f64 form(x)), sigmoid exactly the reference's formula over the
 * runtime's exp, and everything callable as the generated modules call it (the import table).
 */
import t from 'tap';
import { RUNTIME_KERNELS } from '../../runtime-as/abi.js';
import { Harness, rng } from './harness.js';

const h = new Harness();
const rt = h.rt;
type F1 = (x: number) => number;

const f64 = new Float64Array(1);
const bits = new BigUint64Array(f64.buffer);
/** Distance in ulps between two finite doubles of the same sign (∞ when signs or classes differ). */
function ulps(a: number, b: number): number {
  if (Object.is(a, b)) return 0;
  if (Number.isNaN(a) || Number.isNaN(b) || !Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  if (Math.sign(a) !== Math.sign(b) && a !== 0 && b !== 0) return Infinity;
  f64[0] = Math.abs(a);
  const x = bits[0];
  f64[0] = Math.abs(b);
  const y = bits[0];
  return Number(x > y ? x - y : y - x);
}

const r = rng(2024);
const uniform = (lo: number, hi: number, n: number): number[] => Array.from({ length: n }, () => lo + (hi - lo) * r());
const logUniform = (lo: number, hi: number, n: number): number[] => uniform(Math.log(lo), Math.log(hi), n).map(Math.exp);
const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 2.2250738585072014e-308];

const UNARY: Array<{ name: string; f64: F1; f32: F1; js: F1; args: number[] }> = [
  { name: 'exp', f64: rt.math_exp_f64, f32: rt.math_exp_f32, js: Math.exp, args: [...uniform(-745, 710, 4000), ...uniform(-1, 1, 2000)] },
  {
    name: 'log',
    f64: rt.math_log_f64,
    f32: rt.math_log_f32,
    js: Math.log,
    args: [...logUniform(1e-300, 1e300, 4000), ...uniform(0.5, 2, 2000), ...uniform(-5, 0, 50)],
  },
  {
    name: 'sin',
    f64: rt.math_sin_f64,
    f32: rt.math_sin_f32,
    js: Math.sin,
    args: [...uniform(-10, 10, 3000), ...logUniform(1e-10, 1e20, 2000), ...uniform(-1e6, 1e6, 1000)],
  },
  {
    name: 'cos',
    f64: rt.math_cos_f64,
    f32: rt.math_cos_f32,
    js: Math.cos,
    args: [...uniform(-10, 10, 3000), ...logUniform(1e-10, 1e20, 2000), ...uniform(-1e6, 1e6, 1000)],
  },
  { name: 'tanh', f64: rt.math_tanh_f64, f32: rt.math_tanh_f32, js: Math.tanh, args: [...uniform(-25, 25, 4000), ...logUniform(1e-12, 1, 1000)] },
  { name: 'log1p', f64: rt.math_log1p_f64, f32: rt.math_log1p_f32, js: Math.log1p, args: [...uniform(-1, 10, 3000), ...logUniform(1e-15, 1e300, 2000)] },
];

for (const fn of UNARY) {
  t.test(`${fn.name}: f64 within 2 ulp of Math.${fn.name}, specials bit-equal, f32 = fround(f64(x))`, async (t) => {
    let worst = 0;
    const bad: string[] = [];
    for (const x of fn.args) {
      const d = ulps(fn.f64(x), fn.js(x));
      worst = Math.max(worst, d);
      if (d > 2) bad.push(`${fn.name}(${x}) = ${fn.f64(x)}, Math: ${fn.js(x)} (${d} ulp)`);
    }
    t.same(bad.slice(0, 5), [], `${fn.args.length} arguments, worst ${worst} ulp`);
    for (const x of SPECIAL) t.ok(Object.is(fn.f64(x), fn.js(x)) || ulps(fn.f64(x), fn.js(x)) <= 1, `${fn.name}(${x}) = ${fn.f64(x)} (Math: ${fn.js(x)})`);
    const f32bad = fn.args
      .concat(SPECIAL)
      .map(Math.fround)
      .filter((x) => !Object.is(fn.f32(x), Math.fround(fn.f64(x))));
    t.same(f32bad.slice(0, 5), [], 'f32 form rounds the f64 form once');
  });
}

t.test('pow: JavaScript semantics at the special cases, 2 ulp elsewhere, f32 form', async (t) => {
  const cases: Array<[number, number]> = [
    [1, NaN],
    [-1, Infinity],
    [1, Infinity],
    [-1, -Infinity],
    [NaN, 0],
    [NaN, -0],
    [0, -1],
    [-0, -1],
    [-0, -2],
    [0, 0.5],
    [-0, 0.5],
    [-Infinity, 0.5],
    [Infinity, -0.5],
    [-8, 1 / 3],
    [-2, 3],
    [-2, -3],
    [2, 1024],
    [2, -1075],
    [0.5, Infinity],
    [1.5, -Infinity],
    [-Infinity, 3],
    [-Infinity, -3],
    [-Infinity, 2],
    [NaN, 1],
    [3, 2],
    [3, -1],
    [3, 1],
    [-3, 0.5],
  ];
  for (const [x, y] of cases) t.ok(Object.is(rt.math_pow_f64(x, y), Math.pow(x, y)), `pow(${x}, ${y}) = ${rt.math_pow_f64(x, y)} (Math: ${Math.pow(x, y)})`);
  const xs = logUniform(1e-5, 1e5, 3000);
  const ys = uniform(-20, 20, 3000);
  let worst = 0;
  for (let i = 0; i < xs.length; i++) worst = Math.max(worst, ulps(rt.math_pow_f64(xs[i]!, ys[i]!), Math.pow(xs[i]!, ys[i]!)));
  t.ok(worst <= 2, `3000 random (x, y): worst ${worst} ulp`);
  const f32bad = xs.filter((x, i) => {
    const a = Math.fround(x),
      b = Math.fround(ys[i]!);
    return !Object.is(rt.math_pow_f32(a, b), Math.fround(rt.math_pow_f64(a, b)));
  });
  t.same(f32bad.slice(0, 5), [], 'f32 form rounds the f64 form once');
});

t.test("sigmoid: the reference's formula over the runtime's exp (both branches, saturation, NaN)", async (t) => {
  const ref = (x: number): number => (x >= 0 ? 1 / (1 + rt.math_exp_f64(-x)) : rt.math_exp_f64(x) / (1 + rt.math_exp_f64(x)));
  const xs = [...uniform(-40, 40, 3000), 0, -0, 800, -800, Infinity, -Infinity, NaN];
  const bad = xs.filter((x) => !Object.is(rt.math_sigmoid_f64(x), ref(x)));
  t.same(bad, [], `${xs.length} arguments bit-equal`);
  t.equal(rt.math_sigmoid_f64(-Infinity), 0);
  t.equal(rt.math_sigmoid_f64(Infinity), 1);
  const f32bad = xs.map(Math.fround).filter((x) => !Object.is(rt.math_sigmoid_f32(x), Math.fround(ref(x))));
  t.same(f32bad, [], 'f32 form');
});

t.test("fmod (floormod): exactly JavaScript's %, signs, zeros, infinities, NaN; f32 exact too", async (t) => {
  const special = [0, -0, 1, -1, 2.5, -2.5, 7.5, -7.5, 0.1, 1e300, -1e-300, 5e-324, Infinity, -Infinity, NaN];
  const bad: string[] = [];
  for (const x of special) for (const y of special) if (!Object.is(rt.math_fmod_f64(x, y), x % y)) bad.push(`${x} % ${y}`);
  const xs = uniform(-1e6, 1e6, 2000);
  const ys = logUniform(1e-6, 1e6, 2000);
  xs.forEach((x, i) => {
    const y = i % 2 ? ys[i]! : -ys[i]!;
    if (!Object.is(rt.math_fmod_f64(x, y), x % y)) bad.push(`${x} % ${y}`);
    const a = Math.fround(x),
      b = Math.fround(y);
    if (!Object.is(rt.math_fmod_f32(a, b), Math.fround(a % b)) || Math.fround(a % b) !== a % b) bad.push(`f32 ${a} % ${b}`);
  });
  t.same(bad.slice(0, 5), []);
});

t.test('every math_* import of RUNTIME_KERNELS is exported with its arity', async (t) => {
  const names = Object.keys(RUNTIME_KERNELS).filter((n) => n.startsWith('math_'));
  t.equal(names.length, 24, 'exp, log, sin, cos, tanh, log1p, sigmoid, pow, fmod × f32, f64; exp, sigmoid, tanh × f32x4, f64x2');
  for (const n of names) {
    const fn = (rt as unknown as Record<string, (...a: number[]) => number>)[n]!;
    t.equal(fn.length, RUNTIME_KERNELS[n as keyof typeof RUNTIME_KERNELS].params.length, n);
  }
});
