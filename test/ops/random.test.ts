/**
 * @fileoverview Philox4x32-10 against the Random123 known-answer vectors, stream continuation,
 * and the distribution helpers (moments of 100k samples, the truncation bound, int ranges).
 */
import t from 'tap';
import {
  PhiloxStream,
  mulhi32,
  normalFromBits,
  philoxBlock,
  truncatedNormalFrom,
  uint32ToFloat,
  uint64ToDouble,
  uniformFromBits,
  uniformIntFromBits,
  wordsFor,
} from '../../session/random.js';

t.test('Random123 known-answer vectors for Philox4x32-10', (t) => {
  t.same(philoxBlock(0, 0, 0, 0, 0, 0), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
  t.same(philoxBlock(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
  t.same(philoxBlock(0xa4093822, 0x299f31d0, 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
  t.end();
});

t.test('mulhi32 matches BigInt products', (t) => {
  const vals = [0, 1, 0xffff, 0x10000, 0xd2511f53, 0xcd9e8d57, 0xffffffff, 0x80000000, 0x12345678];
  for (const a of vals) for (const b of vals) t.equal(mulhi32(a, b), Number((BigInt(a) * BigInt(b)) >> 32n), `${a}*${b}`);
  t.end();
});

t.test('PhiloxStream: key from seed, counter high words from seed2, continues across calls', (t) => {
  const s = new PhiloxStream(0x100000002, 0x300000004);
  const first = Array.from(s.next(4));
  t.same(first, philoxBlock(2, 1, 0, 0, 4, 3));
  t.same(Array.from(s.next(4)), philoxBlock(2, 1, 1, 0, 4, 3));
  // a call consumes whole blocks: 3 words then 4 more start at block 3
  s.next(3);
  t.same(Array.from(s.next(4)), philoxBlock(2, 1, 3, 0, 4, 3));
  t.equal(s.position, 4);
  const a = new PhiloxStream(5, 6).next(12);
  const b = new PhiloxStream(5, 6);
  t.same([...b.next(4), ...b.next(8)], Array.from(a), 'same words however the calls split the blocks');
  const c = new PhiloxStream(5, 6);
  c.skip(2);
  t.same(Array.from(c.next(4)), Array.from(a.subarray(8, 12)), 'skip');
  const neg = new PhiloxStream(-1, 0);
  t.equal(neg.key0, 0xffffffff);
  t.equal(neg.key1, 0xffffffff);
  t.end();
});

t.test('uniform conversions', (t) => {
  t.equal(uint32ToFloat(0), 0);
  t.equal(uint32ToFloat(0xffffffff), Math.fround(1 - 2 ** -23));
  t.equal(uint32ToFloat(0x00400000), 0.5);
  t.equal(uint64ToDouble(0, 0), 0);
  t.equal(uint64ToDouble(0x00080000, 0), 0.5);
  t.equal(uint64ToDouble(0xffffffff, 0xffffffff), 1 - 2 ** -52);
  t.end();
});

function moments(xs: ArrayLike<number>): { mean: number; variance: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i];
    min = Math.min(min, xs[i]);
    max = Math.max(max, xs[i]);
  }
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return { mean, variance: v / xs.length, min, max };
}

const N = 100_000;

t.test('uniform samples: mean 1/2, variance 1/12, in [0, 1)', (t) => {
  for (const dt of ['f32', 'f64'] as const) {
    const s = new PhiloxStream(1234, 0);
    const m = moments(uniformFromBits(s.next(wordsFor('uniform', dt, N)), dt, N));
    t.ok(Math.abs(m.mean - 0.5) < 0.005, `${dt} mean ${m.mean}`);
    t.ok(Math.abs(m.variance - 1 / 12) < 0.002, `${dt} variance ${m.variance}`);
    t.ok(m.min >= 0 && m.max < 1, `${dt} range`);
  }
  t.end();
});

t.test('normal samples: mean 0, variance 1', (t) => {
  for (const dt of ['f32', 'f64'] as const) {
    const s = new PhiloxStream(99, 7);
    const m = moments(normalFromBits(s.next(wordsFor('normal', dt, N)), dt, N));
    t.ok(Math.abs(m.mean) < 0.02, `${dt} mean ${m.mean}`);
    t.ok(Math.abs(m.variance - 1) < 0.02, `${dt} variance ${m.variance}`);
  }
  t.end();
});

t.test('truncated normal: |x| < 2, variance of the 2-sigma truncated normal', (t) => {
  // Var of N(0,1) truncated to (-2, 2): 1 - 2·2·φ(2)/(Φ(2) - Φ(-2)) ≈ 0.7737413
  for (const dt of ['f32', 'f64'] as const) {
    const s = new PhiloxStream(5, 5);
    const xs = truncatedNormalFrom((c) => s.next(c), dt, N);
    const m = moments(xs);
    t.ok(m.max < 2 && m.min > -2, `${dt} bound`);
    t.ok(Math.abs(m.mean) < 0.02, `${dt} mean ${m.mean}`);
    t.ok(Math.abs(m.variance - 0.7737413) < 0.02, `${dt} variance ${m.variance}`);
  }
  t.end();
});

t.test('int32 uniform: lo + x mod (hi - lo)', (t) => {
  const bits = new Uint32Array([0, 1, 11, 12, 0xffffffff]);
  t.same(Array.from(uniformIntFromBits(bits, -5, 7, 5)), [-5, -4, 6, -5, -5 + (0xffffffff % 12)]);
  const s = new PhiloxStream(3, 4);
  const xs = uniformIntFromBits(s.next(N), 0, 10, N);
  const m = moments(xs);
  t.ok(m.min === 0 && m.max === 9, 'range');
  t.ok(Math.abs(m.mean - 4.5) < 0.05, `mean ${m.mean}`);
  t.end();
});
