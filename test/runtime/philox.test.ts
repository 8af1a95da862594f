/**
 * @fileoverview Philox4x32-10 in runtime.wasm: Random123 known answers, and every distribution
 * against a plain-JS transcription of TF's formulas (philox_random.h, random_distributions.h,
 * FillPhiloxRandom's grouping and ReserveRandomOutputs(n, 256)): uniform f32/f64 bit for bit,
 * normal and truncated normal within 1e-6 (f32) / 1e-12 (f64) since log/sin/cos implementations
 * may differ in the last bit.
 */
import t from 'tap';
import { PHILOX_STATE_BYTES } from '../../runtime-as/abi.js';
import { Harness } from './harness.js';

// ---- JS reference -------------------------------------------------------------------------

const M0 = 0xd2511f53n,
  M1 = 0xcd9e8d57n,
  W0 = 0x9e3779b9,
  W1 = 0xbb67ae85;
function philox(key: readonly number[], ctr: readonly number[]): number[] {
  let [c0, c1, c2, c3] = ctr.map((x) => x >>> 0) as [number, number, number, number];
  let [k0, k1] = key.map((x) => x >>> 0) as [number, number];
  for (let r = 0; r < 10; r++) {
    const p0 = M0 * BigInt(c0),
      p1 = M1 * BigInt(c2);
    const hi0 = Number(p0 >> 32n),
      lo0 = Number(p0 & 0xffffffffn);
    const hi1 = Number(p1 >> 32n),
      lo1 = Number(p1 & 0xffffffffn);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}
/** 128-bit counter + n. */
function addCounter(ctr: readonly number[], n: bigint): number[] {
  let v = BigInt(ctr[0]!) | (BigInt(ctr[1]!) << 32n) | (BigInt(ctr[2]!) << 64n) | (BigInt(ctr[3]!) << 96n);
  v = (v + n) & ((1n << 128n) - 1n);
  return [0, 1, 2, 3].map((i) => Number((v >> BigInt(32 * i)) & 0xffffffffn));
}
const f32buf = new Float32Array(1),
  u32view = new Uint32Array(f32buf.buffer);
function u32ToF32(x: number): number {
  u32view[0] = ((x & 0x7fffff) | 0x3f800000) >>> 0;
  return Math.fround(f32buf[0]! - 1);
}
const f64buf = new Float64Array(1),
  u32x2 = new Uint32Array(f64buf.buffer);
function u64ToF64(hi: number, lo: number): number {
  u32x2[0] = lo >>> 0;
  u32x2[1] = ((hi & 0xfffff) | 0x3ff00000) >>> 0;
  return f64buf[0]! - 1;
}
function boxMullerF32(a: number, b: number): [number, number] {
  let u1 = u32ToF32(a);
  if (u1 < Math.fround(1e-7)) u1 = Math.fround(1e-7);
  const v1 = Math.fround(2 * Math.PI * u32ToF32(b));
  const r = Math.fround(Math.sqrt(Math.fround(-2 * Math.fround(Math.log(u1)))));
  return [Math.fround(Math.fround(Math.sin(v1)) * r), Math.fround(Math.fround(Math.cos(v1)) * r)];
}
function boxMullerF64(a: number, b: number, c: number, d: number): [number, number] {
  let u1 = u64ToF64(a, b);
  if (u1 < 1e-7) u1 = 1e-7;
  const v1 = 2 * Math.PI * u64ToF64(c, d);
  const r = Math.sqrt(-2 * Math.log(u1));
  return [Math.sin(v1) * r, Math.cos(v1) * r];
}
type Dist = 'uniform_f32' | 'uniform_f64' | 'normal_f32' | 'normal_f64' | 'truncated_f32' | 'truncated_f64';
function reference(dist: Dist, key: number[], ctr: number[], n: number, p: number, q: number): number[] {
  const f = dist.endsWith('f32') ? Math.fround : (x: number) => x;
  const out: number[] = [];
  if (dist.startsWith('truncated')) {
    const group = dist.endsWith('f32') ? 4 : 2,
      skip = dist.endsWith('f32') ? 100n : 50n;
    for (let g = 0; g * group < n; g++) {
      let blockCtr = addCounter(ctr, BigInt(g) * skip);
      const words: number[] = [];
      const next = () => {
        if (words.length === 0) {
          words.push(...philox(key, blockCtr));
          blockCtr = addCounter(blockCtr, 1n);
        }
        return words.shift()!;
      };
      let got = 0;
      while (got < group) {
        const pair = group === 4 ? boxMullerF32(next(), next()) : boxMullerF64(next(), next(), next(), next());
        for (const x of pair) {
          if (got < group && Math.abs(x) < 2) {
            if (g * group + got < n) out.push(f(f(x * q) + p));
            got++;
          }
        }
      }
    }
    return out;
  }
  for (let blk = 0; out.length < n; blk++) {
    const w = philox(key, addCounter(ctr, BigInt(blk)));
    let vals: number[];
    if (dist === 'uniform_f32') {
      const range = Math.fround(q - p);
      vals = w.map((x) => Math.fround(Math.fround(u32ToF32(x) * range) + p));
    } else if (dist === 'uniform_f64') vals = [u64ToF64(w[0]!, w[1]!), u64ToF64(w[2]!, w[3]!)].map((u) => u * (q - p) + p);
    else if (dist === 'normal_f32') vals = [...boxMullerF32(w[0]!, w[1]!), ...boxMullerF32(w[2]!, w[3]!)].map((x) => f(f(x * q) + p));
    else vals = boxMullerF64(w[0]!, w[1]!, w[2]!, w[3]!).map((x) => x * q + p);
    for (const v of vals) if (out.length < n) out.push(v);
  }
  return out;
}

// ---- tests --------------------------------------------------------------------------------

const h = new Harness();
function setState(p: number, key: number[], ctr: number[]): void {
  h.u32(p, 6).set([...key, ...ctr].map((x) => x >>> 0));
}

t.test('Philox4x32-10 known answers (Random123 kat_vectors)', async (t) => {
  const cases: Array<[number[], number[], number[]]> = [
    [
      [0, 0],
      [0, 0, 0, 0],
      [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
    ],
    [
      [0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
    ],
    [
      [0xa4093822, 0x299f31d0],
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ],
  ];
  const st = h.alloc(PHILOX_STATE_BYTES),
    out = h.alloc(16);
  for (const [key, ctr, expected] of cases) {
    setState(st, key, ctr);
    h.rt.philox_fill_u32(st, out, 4);
    t.same([...h.u32(out, 4)], expected, `key=${key.map((x) => x.toString(16))}`);
    t.same(philox(key, ctr), expected, 'JS reference agrees');
    t.same([...h.u32(st + 8, 4)], addCounter(ctr, 1n), 'counter advanced by one block (with carry)');
  }
});

t.test('philox_init lays out key = seed, counter = [0, 0, seed2]', async (t) => {
  const st = h.alloc(PHILOX_STATE_BYTES);
  h.rt.philox_init(st, 87654321, 1, 42, 2);
  t.same([...h.u32(st, 6)], [87654321, 1, 0, 0, 42, 2]);
});

const DISTS: Array<[Dist, number, number]> = [
  ['uniform_f32', -2, 3],
  ['uniform_f64', -2, 3],
  ['normal_f32', 1.5, 0.5],
  ['normal_f64', 1.5, 0.5],
  ['truncated_f32', 0, 1],
  ['truncated_f64', -1, 2],
];
for (const [dist, p, q] of DISTS) {
  t.test(`${dist} matches the JS transcription of TF`, async (t) => {
    const isF32 = dist.endsWith('f32');
    const fn = {
      uniform_f32: h.rt.random_uniform_f32,
      uniform_f64: h.rt.random_uniform_f64,
      normal_f32: h.rt.random_normal_f32,
      normal_f64: h.rt.random_normal_f64,
      truncated_f32: h.rt.truncated_normal_f32,
      truncated_f64: h.rt.truncated_normal_f64,
    }[dist];
    for (const [n, key, ctr] of [
      [0, [1, 0], [0, 0, 0, 0]],
      [1, [87654321, 0], [0, 0, 7, 0]],
      [7, [5, 6], [3, 0, 9, 1]],
      [1001, [0xdeadbeef, 0x1234], [0xffffff00, 0xffffffff, 0xffffffff, 0]],
    ] as Array<[number, number[], number[]]>) {
      h.reset();
      const st = h.alloc(PHILOX_STATE_BYTES),
        out = h.alloc(n * 8 + 16);
      setState(st, key, ctr);
      const pf = isF32 ? Math.fround(p) : p,
        qf = isF32 ? Math.fround(q) : q;
      fn(st, out, n, pf, qf);
      const got = [...(isF32 ? h.f32(out, n) : h.f64(out, n))];
      const want = reference(dist, key, ctr, n, pf, qf);
      if (dist.startsWith('uniform')) {
        t.same(got, want, `n=${n}: bit-identical`);
      } else {
        const tol = isF32 ? 1e-6 : 1e-12;
        const bad = got.findIndex((x, i) => !(Math.abs(x - want[i]!) <= tol * Math.max(1, Math.abs(want[i]!))));
        t.equal(bad, -1, `n=${n}: within ${tol}${bad >= 0 ? ` (first difference at ${bad}: ${got[bad]} vs ${want[bad]})` : ''}`);
      }
      if (dist.startsWith('truncated'))
        t.ok(
          got.every((x) => Math.abs((x - pf) / qf) < 2 + 1e-6),
          'all within 2 stddev',
        );
      t.same([...h.u32(st + 8, 4)], addCounter(ctr, BigInt(n) * 256n), 'counter advanced by 256·n (ReserveRandomOutputs)');
    }
  });
}

t.test('a second call continues the stream from the advanced counter', async (t) => {
  h.reset();
  const st = h.alloc(PHILOX_STATE_BYTES),
    out = h.alloc(64);
  h.rt.philox_init(st, 1, 0, 2, 0);
  h.rt.random_uniform_f32(st, out, 4, 0, 1);
  const first = [...h.f32(out, 4)];
  h.rt.random_uniform_f32(st, out, 4, 0, 1);
  const second = [...h.f32(out, 4)];
  t.same(second, reference('uniform_f32', [1, 0], [1024, 0, 2, 0], 4, 0, 1));
  t.not(first[0], second[0]);
  t.ok(
    [...first, ...second].every((x) => x >= 0 && x < 1),
    'uniform in [0, 1)',
  );
});
