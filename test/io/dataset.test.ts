/**
 * @fileoverview Datasets: seeded permutations, mini-batches (partial last batch kept or
 * dropped), views vs one copy into a caller's buffer, exact resume from a saved iterator state,
 * seeded splits and standard scaling fitted on the training split only.
 */
import t from 'tap';
import { BatchIterator, Dataset, StandardScaler, seededPermutation, splitDataset, standardizeSplits } from '../../session/io/dataset.js';
import { Tensor } from '../../session/tensor.js';
import { InvalidArgumentError } from '../../session/errors.js';

/** 10 rows: x[i] = [i, 10 i, 100 i] (f32), y[i] = i (i32). */
function rows(n = 10): Dataset {
  const x = Float32Array.from({ length: n * 3 }, (_, k) => Math.floor(k / 3) * 10 ** (k % 3));
  const y = Int32Array.from({ length: n }, (_, i) => i);
  return new Dataset({ x: new Tensor('f32', [n, 3], x), y: new Tensor('i32', [n], y) });
}

t.test('seeded permutations', (t) => {
  const p = seededPermutation(1000, 42);
  t.same(
    [...p].sort((a, b) => a - b),
    Array.from({ length: 1000 }, (_, i) => i),
    'is a permutation',
  );
  t.same(Array.from(seededPermutation(1000, 42)), Array.from(p), 'same seed, same order');
  t.notSame(Array.from(seededPermutation(1000, 43)), Array.from(p), 'other seed, other order');
  t.same(Array.from(seededPermutation(1, 5)), [0]);
  t.same(Array.from(seededPermutation(0, 5)), []);
  // Every position takes every value about equally often (Fisher–Yates without modulo bias).
  const counts = new Array(5).fill(0);
  for (let s = 0; s < 5000; s++) counts[seededPermutation(5, s)[0]]++;
  t.ok(
    counts.every((c) => c > 850 && c < 1150),
    `first element roughly uniform: ${counts}`,
  );
  t.end();
});

t.test('batches cover each epoch once; the last partial batch is kept or dropped', (t) => {
  const ds = rows();
  const it = new BatchIterator(ds, { batchSize: 4, seed: 1 });
  t.equal(it.batchesPerEpoch, 3);
  const seen: number[][] = [];
  for (let e = 0; e < 3; e++) {
    const sizes: number[] = [];
    const ys: number[] = [];
    for (const b of it.epochBatches()) {
      t.equal(b.epoch, e);
      sizes.push(b.size);
      ys.push(...Array.from(b.tensors.y.data));
      t.same([...b.tensors.x.shape], [b.size, 3]);
      for (let r = 0; r < b.size; r++) t.equal(b.tensors.x.data[r * 3 + 2], 100 * b.tensors.y.data[r], 'rows stay aligned across columns');
    }
    t.same(sizes, [4, 4, 2]);
    t.same(
      [...ys].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    seen.push(ys);
  }
  t.notSame(seen[0], seen[1], 'a new order each epoch');
  const drop = new BatchIterator(ds, { batchSize: 4, seed: 1, dropRemainder: true });
  t.same(
    [...drop.epochBatches()].map((b) => b.size),
    [4, 4],
  );
  t.same(
    [...drop.epochBatches()].map((b) => b.index),
    [0, 1],
  );
  t.end();
});

t.test('no copy without shuffle, one copy into a destination buffer', (t) => {
  const ds = rows();
  const plain = new BatchIterator(ds, { batchSize: 4, shuffle: false });
  const b = plain.next();
  t.equal(b.tensors.x.data.buffer, ds.columns.x.data.buffer, 'a view of the dataset');
  t.same(Array.from(b.tensors.y.data), [0, 1, 2, 3]);
  const memory = new ArrayBuffer(1024); // stands in for wasm memory
  const xDest = new Float32Array(memory, 0, 12);
  const yDest = new Int32Array(memory, 48, 4);
  const sh = new BatchIterator(ds, { batchSize: 4, seed: 3 });
  const ref = new BatchIterator(ds, { batchSize: 4, seed: 3 });
  for (let i = 0; i < 5; i++) {
    const got = sh.next({ x: xDest, y: yDest });
    const want = ref.next();
    t.equal(got.tensors.x.data.buffer, memory, 'written into the caller buffer');
    t.equal(got.tensors.x.data.byteOffset, 0);
    t.same(Array.from(got.tensors.x.data), Array.from(want.tensors.x.data));
    t.same(Array.from(got.tensors.y.data), Array.from(want.tensors.y.data));
  }
  const c = new BatchIterator(ds, { batchSize: 4, shuffle: false }).next({ y: yDest });
  t.equal(c.tensors.y.data.buffer, memory);
  t.throws(() => sh.next({ x: new Float64Array(12) }), { message: /destination for "x" is a Float64Array/ });
  t.throws(() => sh.next({ x: new Float32Array(11) }), { message: /holds 11 values, a batch needs 12/ });
  t.throws(() => sh.next({ z: new Float32Array(11) }), { message: /unknown column "z"/ });
  const before = JSON.stringify(sh.state());
  t.throws(() => sh.next({ x: xDest, y: new Int32Array(1) }));
  t.equal(JSON.stringify(sh.state()), before, 'a rejected call does not advance the iterator');
  t.end();
});

t.test('a restored iterator continues exactly', (t) => {
  const ds = rows(23);
  for (const cut of [0, 1, 5, 6, 7, 13]) {
    const a = new BatchIterator(ds, { batchSize: 4, seed: 9 });
    for (let i = 0; i < cut; i++) a.next();
    const saved = JSON.parse(JSON.stringify(a.state()));
    const b = new BatchIterator(ds, { batchSize: 4, seed: 9 });
    b.next(); // a different position, overwritten by restore
    b.restore(saved);
    for (let i = 0; i < 20; i++) {
      const x = a.next();
      const y = b.next();
      t.same([y.epoch, y.index, ...Array.from(y.tensors.y.data)], [x.epoch, x.index, ...Array.from(x.tensors.y.data)], `cut ${cut}, batch ${i}`);
    }
  }
  const a = new BatchIterator(ds, { batchSize: 4, seed: 9 });
  t.throws(() => new BatchIterator(ds, { batchSize: 5, seed: 9 }).restore(a.state()), {
    message: /saved state has batchSize=4 but this iterator has batchSize=5/,
  });
  t.throws(() => new BatchIterator(rows(10), { batchSize: 4, seed: 9 }).restore(a.state()), { message: /size=23/ });
  t.throws(() => a.restore({ ...a.state(), position: 99 }), InvalidArgumentError);
  t.throws(() => new BatchIterator(ds, { batchSize: 0 }), { message: /batch size must be a positive integer/ });
  t.end();
});

t.test('seeded splits are disjoint and complete', (t) => {
  const ds = rows(100);
  const s = splitDataset(ds, { train: 0.7, validation: 0.2, test: 0.1 }, 5);
  t.same([s.train.size, s.validation!.size, s.test!.size], [70, 20, 10]);
  const ids = [s.train, s.validation!, s.test!].flatMap((d) => Array.from(d.columns.y.data));
  t.same(
    ids.sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
  );
  const again = splitDataset(ds, { train: 0.7, validation: 0.2, test: 0.1 }, 5);
  t.same(Array.from(again.test!.columns.y.data), Array.from(s.test!.columns.y.data), 'same seed, same split');
  t.notSame(Array.from(splitDataset(ds, { train: 0.7, test: 0.3 }, 6).test!.columns.y.data), Array.from(s.test!.columns.y.data));
  const ordered = splitDataset(ds, { train: 0.8, test: 0.2 }, 0, { shuffle: false });
  t.same(
    Array.from(ordered.test!.columns.y.data),
    Array.from({ length: 20 }, (_, i) => 80 + i),
  );
  t.equal(splitDataset(ds, { train: 0.5 }, 1).train.size, 50);
  t.throws(() => splitDataset(ds, { train: 0.8, test: 0.3 }, 1), { message: /fractions sum to 1\.1/ });
  t.throws(() => splitDataset(ds, { train: -1 }, 1), { message: /train=-1 is not in \[0, 1\]/ });
  t.end();
});

t.test('standard scaling is fitted on the training split only', (t) => {
  const x = new Tensor('f64', [4, 2], Float64Array.from([1, 5, 3, 5, 5, 5, 100, 5]));
  const ds = new Dataset({ x, y: new Tensor('i32', [4], Int32Array.from([0, 1, 2, 3])) });
  const s = splitDataset(ds, { train: 0.75, test: 0.25 }, 0, { shuffle: false });
  const { splits, scalers } = standardizeSplits(s, ['x']);
  t.same(Array.from(scalers.x.mean), [3, 5], 'mean of the 3 training rows');
  t.same(Array.from(scalers.x.std), [Math.sqrt(8 / 3), 1], 'population std; a constant column gets 1');
  t.same(Array.from(splits.train.columns.x.data), [-Math.sqrt(1.5), 0, 0, 0, Math.sqrt(1.5), 0]);
  t.same(Array.from(splits.test!.columns.x.data), [97 / Math.sqrt(8 / 3), 0], 'test uses the training statistics');
  t.same(Array.from(splits.train.columns.y.data), [0, 1, 2], 'other columns untouched');
  const back = StandardScaler.fromJSON(JSON.parse(JSON.stringify(scalers.x)));
  t.same(Array.from(back.transform(x).data), Array.from(scalers.x.transform(x).data));
  t.throws(() => StandardScaler.fit(new Tensor('i32', [1], Int32Array.from([1]))), { message: /needs a float tensor/ });
  t.throws(() => scalers.x.transform(new Tensor('f64', [1, 3], new Float64Array(3))), { message: /rows have 3 values, the scaler was fitted on 2/ });
  t.throws(() => new Dataset({ a: Tensor.zeros('f32', [2]), b: Tensor.zeros('f32', [3]) }), { message: /column "b" has 3 rows but column "a" has 2/ });
  t.end();
});
