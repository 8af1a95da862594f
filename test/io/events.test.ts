/**
 * @fileoverview Event files written by SummaryWriter, parsed back by the independent decoder
 * in event-decoder.ts (its own CRC and protobuf parsing), plus CRC32C check values.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c, maskCrc, unmaskCrc, readScalarEvents, frameRecord, readRecords } from '../../session/io/events.js';
import { SummaryWriter } from '../../session/node/summary-writer.js';
import { DataLossError, InvalidArgumentError } from '../../session/errors.js';
import { crc32cBitwise, decodeEventFile } from './event-decoder.js';

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
  t.same(pts.map((p) => [p.tag, p.step, p.value]), [...steps.map((s, i) => ['loss/mse', s, i === 0 ? 0 : Math.fround(1 / (i + 1))]), ['accuracy', 8, 0.875], ['loss/xent', 8, -2.5]]);

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
  t.same(readRecords(frameRecord(new Uint8Array(0))).map((r) => r.length), [0]);
  t.end();
});
