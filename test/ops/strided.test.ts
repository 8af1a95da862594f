/**
 * @fileoverview The reference interpreter's strided loops (compiler/ops/kernels.ts
 * `forEachStrided`, `coalesce`, `mapBinary`'s broadcast path): they coalesce dimensions and run
 * the innermost as a tight loop, and must visit exactly the elements, in exactly the order, of a
 * plain row-major odometer over the original shape. Seeded random shapes of rank 0–5 with size-1
 * and size-0 dimensions, 1–3 inputs, zero (broadcast), negative and arbitrary strides; binary
 * maps over random broadcasting shape pairs against a naive broadcast. (Transposes and slices,
 * which gather through the same loop, are in fixtures.test.ts against TF's values.)
 */
import t from 'tap';
import { Tensor } from '../../session/tensor.js';
import { forEachStrided, mapBinary } from '../../compiler/ops/kernels.js';
import { mulberry32 } from '../../session/random.js';

const r = mulberry32(2025);
const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** The order forEachStrided must keep: a plain odometer over every dimension. */
function naiveVisits(shape: readonly number[], strides: readonly (readonly number[])[]): number[][] {
  const n = shape.reduce((a, b) => a * b, 1);
  const out: number[][] = [];
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < n; o++) {
    out.push([o, ...strides.map((s) => s.reduce((acc, st, d) => acc + st * idx[d]!, 0))]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

t.test('forEachStrided visits what a plain odometer visits, in the same order', (t) => {
  let cases = 0,
    wrong = 0;
  const first: string[] = [];
  for (let c = 0; c < 20_000; c++) {
    const rank = int(0, 5);
    const shape = Array.from({ length: rank }, () => (r() < 0.25 ? 1 : r() < 0.03 ? 0 : int(2, 5)));
    const strides = Array.from({ length: int(1, 3) }, () =>
      shape.map(() => {
        const k = r();
        return k < 0.25 ? 0 : k < 0.5 ? -int(1, 40) : int(1, 40);
      }),
    );
    // Some inputs contiguous (row-major), so that dimensions merge.
    if (r() < 0.5) {
      let acc = 1;
      for (let d = rank - 1; d >= 0; d--) {
        strides[0]![d] = acc;
        acc *= shape[d]!;
      }
    }
    const got: number[][] = [];
    forEachStrided(shape, strides, (o, offs) => got.push([o, ...Array.from(offs)]));
    const want = naiveVisits(shape, strides);
    cases++;
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      wrong++;
      if (first.length < 3) first.push(`shape ${JSON.stringify(shape)} strides ${JSON.stringify(strides)}`);
    }
  }
  t.equal(wrong, 0, `${cases} random shapes and strides${first.length ? `; first: ${first.join('; ')}` : ''}`);
  t.end();
});

t.test('mapBinary over broadcasting shapes equals a naive broadcast', (t) => {
  let wrong = 0;
  const cases = 3000;
  for (let c = 0; c < cases; c++) {
    const rank = int(0, 4);
    const out = Array.from({ length: rank }, () => (r() < 0.1 ? 0 : int(1, 4)));
    // Each operand: a suffix of the output's shape, some dimensions 1.
    const operand = (): number[] => out.slice(int(0, rank)).map((d) => (r() < 0.35 ? 1 : d));
    const [sa, sb] = [operand(), operand()];
    const mk = (shape: number[]): Tensor => {
      const tn = Tensor.zeros('f64', shape);
      for (let i = 0; i < tn.size; i++) tn.data[i] = int(-50, 50);
      return tn;
    };
    const [a, b] = [mk(sa), mk(sb)];
    const got = mapBinary(a, b, 'f64', (x, y) => x * 100 + y);
    // Naive: for each output index, the operand's index with broadcast dimensions at 0.
    const shape = got.shape;
    const at = (tn: Tensor, idx: number[]): number => {
      const off = shape.length - tn.shape.length;
      let k = 0;
      tn.shape.forEach((d, i) => (k = k * d + (d === 1 ? 0 : idx[i + off]!)));
      return tn.data[k]!;
    };
    const idx = new Array<number>(shape.length).fill(0);
    for (let o = 0; o < got.size; o++) {
      if (got.data[o] !== at(a, idx) * 100 + at(b, idx)) {
        wrong++;
        break;
      }
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++idx[d]! < shape[d]!) break;
        idx[d] = 0;
      }
    }
  }
  t.equal(wrong, 0, `${cases} random broadcasting pairs`);
  t.end();
});
