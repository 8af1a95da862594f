/**
 * @fileoverview Event files written by SummaryWriter, parsed back by the independent decoder
 * in event-decoder.ts (its own CRC and protobuf parsing), plus CRC32C check values; TF1's
 * histogram buckets and statistics against a brute-force reading of histogram.cc; graph and
 * histogram records beside scalars.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c, maskCrc, unmaskCrc, readScalarEvents, frameRecord, readRecords, encodeGraphDef, decodeEvent } from '../../session/io/events.js';
import { defaultBucketLimits, histogramOf } from '../../session/io/histogram.js';
import { SummaryWriter } from '../../session/node/summary-writer.js';
import { DataLossError, InvalidArgumentError } from '../../session/errors.js';
import { DT, crc32cBitwise, decodeEventFile, decodeGraphDef } from './event-decoder.js';
import { bruteHistogram, expectedLimits } from './histogram-reference.js';

const enc = (s: string) => new TextEncoder().encode(s);

t.test('CRC32C check values', (t) => {
  t.equal(crc32c(enc('123456789')), 0xe3069283, 'the standard check value');
  t.equal(crc32cBitwise(enc('123456789')), 0xe3069283, 'the test decoder agrees');
  // RFC 3720 (iSCSI) B.4 test vectors.
  t.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  t.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  t.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  t.equal(crc32c(new Uint8Array(0)), 0);
  t.equal(crc32c(enc('56789'), crc32c(enc('1234'))), 0xe3069283, 'incremental');
  for (const x of [0, 1, 0xe3069283, 0xffffffff]) t.equal(unmaskCrc(maskCrc(x)), x);
  t.end();
});

t.test('SummaryWriter output decodes independently', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfg-ev-'));
  let clock = 1700000000.25;
  const w = new SummaryWriter(dir, { now: () => clock, flushEvery: 3 });
  t.match(w.path, new RegExp(`events\\.out\\.tfevents\\.1700000000\\.${hostname().replace(/[.]/g, '\\.')}$`));
  const steps = [0, 1, 2, 2 ** 40, 7];
  steps.forEach((s, i) => {
    clock += 1;
    w.scalar('loss/mse', i === 0 ? 0 : 1 / (i + 1), s);
  });
  clock += 1;
  w.scalars({ accuracy: 0.875, 'loss/xent': -2.5 }, 8);
  w.close();
  t.throws(() => w.scalar('x', 1, 9), InvalidArgumentError);

  const files = readdirSync(dir).sort();
  t.same(files, [w.path.split('/').pop(), 'scalars.csv'].sort());
  const ev = decodeEventFile(new Uint8Array(readFileSync(w.path)));
  t.equal(ev.length, 7);
  t.same(ev[0], { wallTime: 1700000000.25, fileVersion: 'brain.Event:2' }, 'first record: file_version (step 0 is omitted by proto3)');
  steps.forEach((s, i) => {
    const e = ev[i + 1];
    t.equal(e.wallTime, 1700000000.25 + i + 1);
    t.equal(e.step ?? 0n, BigInt(s), `step ${s}`);
    t.same(e.summary, [{ tag: 'loss/mse', simpleValue: i === 0 ? 0 : Math.fround(1 / (i + 1)) }], 'a zero value is still written');
  });
  t.same(ev[6].summary, [
    { tag: 'accuracy', simpleValue: 0.875 },
    { tag: 'loss/xent', simpleValue: -2.5 },
  ]);
  // The library's own reader agrees.
  const pts = readScalarEvents(new Uint8Array(readFileSync(w.path)));
  t.same(
    pts.map((p) => [p.tag, p.step, p.value]),
    [...steps.map((s, i) => ['loss/mse', s, i === 0 ? 0 : Math.fround(1 / (i + 1))]), ['accuracy', 8, 0.875], ['loss/xent', 8, -2.5]],
  );

  const csv = readFileSync(join(dir, 'scalars.csv'), 'utf8').trim().split('\n');
  t.equal(csv[0], 'step,tag,value,wall_time');
  t.equal(csv[1], '0,loss/mse,0,1700000001.25');
  t.equal(csv[2], '1,loss/mse,0.5,1700000002.25');
  t.equal(csv[4], '1099511627776,loss/mse,0.25,1700000004.25', 'the CSV keeps the full double value');
  t.equal(csv[7], '8,loss/xent,-2.5,1700000006.25');
  t.equal(csv.length, 8);

  // A second writer (a resumed run) appends to the CSV without a second header.
  const w2 = new SummaryWriter(dir, { now: () => 1700000100, filenameSuffix: '.resumed' });
  w2.scalar('loss/mse', 0.1, 9);
  w2.close();
  const csv2 = readFileSync(join(dir, 'scalars.csv'), 'utf8').trim().split('\n');
  t.equal(csv2.filter((l) => l.startsWith('step,')).length, 1);
  t.equal(csv2[csv2.length - 1], '9,loss/mse,0.1,1700000100');
  t.end();
});

t.test('corruption is detected by both decoders', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfg-ev-'));
  const w = new SummaryWriter(dir, { now: () => 1 });
  w.scalar('a', 1, 1);
  w.close();
  const good = new Uint8Array(readFileSync(w.path));
  for (const at of [3, 9, 20, good.length - 2]) {
    const bad = good.slice();
    bad[at] ^= 0x10;
    t.throws(() => decodeEventFile(bad), `test decoder: flipped byte ${at}`);
    t.throws(() => readScalarEvents(bad, 'ev'), DataLossError, `library reader: flipped byte ${at}`);
  }
  t.throws(() => readScalarEvents(good.subarray(0, good.length - 1), 'ev'), { message: /ev: truncated record/ });
  t.same(
    readRecords(frameRecord(new Uint8Array(0))).map((r) => r.length),
    [0],
  );
  t.end();
});

// ---- histograms (TF1's histogram.cc), checked against a brute-force reading of its rules ----

t.test("default bucket limits are TF1's", (t) => {
  const got = Array.from(defaultBucketLimits());
  const want = expectedLimits();
  t.equal(got.length, want.length);
  t.equal(got.length, 1551, '775 on each side of 0');
  t.same(got, want);
  t.equal(got[775], 0);
  t.equal(got[776], 1e-12);
  t.equal(got[got.length - 1], Number.MAX_VALUE);
  t.equal(got[0], -Number.MAX_VALUE);
  t.ok(
    got.every((x, i) => i === 0 || x > got[i - 1]),
    'strictly increasing',
  );
  t.ok(got[got.length - 2] < 1e20 && got[got.length - 2] * 1.1 >= 1e20, 'the last finite limit is the last below 1e20');
  t.end();
});

t.test('histogramOf: statistics and merged empty buckets as TF1 encodes them', (t) => {
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const cases: Record<string, number[]> = {
    zeros: [0, 0, 0],
    'one value': [0.5],
    'exact limits': [1e-12, -1e-12, 1.1e-12],
    'mixed signs': Array.from({ length: 500 }, () => (rand() - 0.5) * 4),
    'f32 weights': Array.from(Float32Array.from({ length: 1000 }, () => (rand() - 0.5) * 0.2)),
    'wide range': [-1e19, -3, -1e-13, 0, 2e-12, 7, 1e15, 3e30],
  };
  for (const [name, values] of Object.entries(cases)) {
    const h = histogramOf(values, name);
    const b = bruteHistogram(values);
    t.strictSame({ min: h.min, max: h.max, num: h.num, sum: h.sum, sumSquares: h.sum_squares, bucketLimit: h.bucket_limit, bucket: h.bucket }, b, name);
    t.equal(
      h.bucket.reduce((a, c) => a + c, 0),
      values.length,
      `${name}: counts add up`,
    );
  }
  // 0 falls in the bucket (0, 1e-12]: upper_bound of 0 is the first limit above it.
  const z = histogramOf([0], 'z');
  t.same(z.bucket_limit, [0, 1e-12, Number.MAX_VALUE]);
  t.same(z.bucket, [0, 1, 0]);
  // An empty tensor: one bucket [DBL_MAX] = 0, min DBL_MAX, max -DBL_MAX (TF1's Clear state).
  t.same(histogramOf([], 'e'), {
    min: Number.MAX_VALUE,
    max: -Number.MAX_VALUE,
    num: 0,
    sum: 0,
    sum_squares: 0,
    bucket_limit: [Number.MAX_VALUE],
    bucket: [0],
  });
  t.throws(() => histogramOf([1, NaN], 'dnn/w'), { name: 'InvalidArgumentError', message: 'Nan in summary histogram for: dnn/w' });
  t.throws(() => histogramOf(Float32Array.of(1, -Infinity), 'b'), { name: 'InvalidArgumentError', message: 'Infinity in summary histogram for: b' });
  t.end();
});

t.test('SummaryWriter histograms and graph records decode independently; scalar readers skip them', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfg-ev-'));
  const w = new SummaryWriter(dir, { now: () => 1700000000 });
  const gd = encodeGraphDef({
    node: [
      { name: 'x', op: 'Placeholder', input: [], attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: -1 }, { size: 2 }] } } } },
      { name: 'scope/y', op: 'Relu', input: ['x', '^init'], device: '', attr: { T: { type: 'DT_FLOAT' } } },
    ],
    versions: { producer: 134 },
  });
  w.graph(gd);
  const wv = Float32Array.of(-0.5, 0.25, 0, 0.25, 3);
  w.histograms({ 'dnn/w': wv, b: Float64Array.of() }, 7);
  w.scalar('loss', 1.5, 7);
  t.throws(() => w.histograms({ bad: [NaN] }, 8), { message: 'Nan in summary histogram for: bad' });
  w.close();
  const bytes = new Uint8Array(readFileSync(w.path));
  const ev = decodeEventFile(bytes);
  t.equal(ev.length, 4, 'file_version, graph, histograms, scalar (the NaN histogram wrote nothing)');
  t.same(ev[1].graphDef, gd, 'the graph_def bytes as given');
  t.equal(ev[1].step ?? 0n, 0n);
  const g = decodeGraphDef(ev[1].graphDef!);
  t.equal(g.producer, 134);
  t.same(
    g.node.map((n) => [n.name, n.op, n.input]),
    [
      ['x', 'Placeholder', []],
      ['scope/y', 'Relu', ['x', '^init']],
    ],
  );
  t.same(g.node[0].attr.get('shape')!.shape, { dims: [-1, 2] });
  t.equal(g.node[0].attr.get('dtype')!.type, DT.FLOAT);
  t.equal(ev[2].step, 7n);
  const [hw, hb] = ev[2].summary!;
  t.equal(hw.tag, 'dnn/w');
  t.equal(hw.simpleValue, undefined);
  t.strictSame(hw.histo, bruteHistogram(Array.from(wv)));
  t.strictSame(hb.histo, bruteHistogram([]));
  // The library reader and readScalarEvents (tfg plot) read the same file.
  t.same(
    readScalarEvents(bytes).map((p) => [p.tag, p.step, p.value]),
    [['loss', 7, 1.5]],
  );
  const recs = readRecords(bytes).map((r) => decodeEvent(r));
  t.same(recs[1].graph_def, gd);
  t.same(recs[2].summary!.value[0].histo, histogramOf(wv, 'dnn/w'));
  t.end();
});
