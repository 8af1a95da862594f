/**
 * @fileoverview .npy/.npz against files written by numpy (test/io/fixtures, made by
 * make_fixtures.py): values read back, and writeNpy output compared byte for byte.
 */
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { repoPath } from '../helpers.js';
import { readNpy, writeNpy, npyHeaderBytes } from '../../session/io/npy.js';
import { readNpz, writeNpz } from '../../session/io/npz.js';
import { Tensor } from '../../session/tensor.js';
import { DataLossError, InvalidArgumentError } from '../../session/errors.js';

type Expect = { dtype: string; shape: number[]; values: Array<number | string | null>; error?: string };
const expected = JSON.parse(readFileSync(repoPath('test/io/fixtures/expected.json'), 'utf8')) as Record<string, Expect & { members?: Record<string, Expect> }>;
const fixture = (name: string) => new Uint8Array(readFileSync(repoPath('test/io/fixtures', name)));
const num = (v: number | string | null) => (v === null ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));

function checkTensor(t_: Test, got: Tensor, e: Expect, name: string): void {
  t_.equal(got.dtype, e.dtype, `${name} dtype`);
  t_.same([...got.shape], e.shape, `${name} shape`);
  const want = e.values.map(num);
  const vals = Array.from(got.data);
  const f32 = e.dtype === 'f32';
  t_.same(vals, f32 ? want.map(Math.fround) : want, `${name} values`);
}

t.test('every numpy fixture reads back with its values or its error', (t) => {
  for (const [name, e] of Object.entries(expected)) {
    if (!name.endsWith('.npy')) continue;
    if (e.error) {
      t.throws(() => readNpy(fixture(name), name), { message: new RegExp(e.error.replace(/[[\]()'<>]/g, '.')) }, `${name} rejected`);
      continue;
    }
    checkTensor(t, readNpy(fixture(name), name), e, name);
  }
  t.end();
});

t.test('writeNpy reproduces numpy.save byte for byte', (t) => {
  const names = Object.keys(expected).filter((n) => n.startsWith('w_'));
  t.ok(names.length >= 7);
  for (const name of names) {
    const bytes = fixture(name);
    const back = writeNpy(readNpy(bytes));
    t.same(Buffer.from(back).toString('hex'), Buffer.from(bytes).toString('hex'), name);
  }
  t.end();
});

t.test('headers are 64-byte aligned and switch to version 2.0 when too long', (t) => {
  for (const shape of [[], [1], [10, 20], [1, 2, 3, 4, 5, 6, 7]]) t.equal(npyHeaderBytes('f32', shape).length % 64, 0, `shape [${shape}]`);
  const longShape = Array.from({ length: 30000 }, () => 1);
  const h = npyHeaderBytes('f64', longShape);
  t.equal(h[6], 2, 'version 2.0');
  t.equal(h.length % 64, 0);
  const x = readNpy(writeNpy(Tensor.zeros('f64', longShape)));
  t.equal(x.rank, 30000);
  t.end();
});

t.test('round trip of every dtype', (t) => {
  const ts = [
    new Tensor('f32', [2, 2], Float32Array.from([1, -2.5, NaN, Infinity])),
    new Tensor('f64', [3], Float64Array.from([Math.PI, -0, 1e-300])),
    new Tensor('i32', [1, 1, 2], Int32Array.from([-2147483648, 2147483647])),
    new Tensor('bool', [0], new Uint8Array(0)),
  ];
  for (const x of ts) {
    const y = readNpy(writeNpy(x));
    t.equal(y.dtype, x.dtype);
    t.same([...y.shape], [...x.shape]);
    t.same(Array.from(y.data), Array.from(x.data));
  }
  t.end();
});

t.test('damaged .npy files give located DataLossErrors', (t) => {
  const good = fixture('w_f32_2x3.npy');
  t.throws(() => readNpy(good.subarray(0, good.length - 3), 'x.npy'), DataLossError);
  t.throws(() => readNpy(good.subarray(0, good.length - 3), 'x.npy'), { message: /x\.npy: truncated \.npy data.*needs 24 bytes, file has 21/ });
  t.throws(() => readNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'y.npy'), { message: /y\.npy: not a \.npy file/ });
  t.throws(() => readNpy(good.subarray(0, 40), 'z.npy'), { message: /truncated \.npy header/ });
  const bad = good.slice();
  bad[10] = '#'.charCodeAt(0); // the opening brace of the header dict
  t.throws(() => readNpy(bad, 'b.npy'), { message: /b\.npy: bad \.npy header at character/ });
  const v9 = good.slice();
  v9[6] = 9;
  t.throws(() => readNpy(v9), { message: /unsupported \.npy format version 9\.0/ });
  t.end();
});

t.test('numpy .npz archives: stored and compressed', (t) => {
  for (const name of ['stored.npz', 'compressed.npz']) {
    const m = readNpz(fixture(name), name);
    const members = expected[name].members!;
    t.same([...m.keys()].sort(), Object.keys(members).sort(), `${name} members`);
    for (const [k, e] of Object.entries(members)) checkTensor(t, m.get(k)!, e, `${name}[${k}]`);
  }
  t.end();
});

t.test('writeNpz round trips, stored or deflated, and rejects bad input', (t) => {
  const a = new Tensor('f32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
  const b = new Tensor('bool', [3], Uint8Array.from([1, 0, 1]));
  for (const compressed of [false, true]) {
    const m = readNpz(writeNpz({ a, b }, { compressed }));
    t.same(Array.from(m.get('a')!.data), [1, 2, 3, 4, 5, 6]);
    t.same(Array.from(m.get('b')!.data), [1, 0, 1]);
  }
  // A stored member is the .npy bytes verbatim, as numpy.savez writes them.
  const stored = writeNpz({ a });
  const npy = writeNpy(a);
  t.ok(Buffer.from(stored).indexOf(Buffer.from(npy)) > 0, 'stored member holds the exact .npy bytes');
  t.throws(() => readNpz(new Uint8Array([1, 2, 3]), 'bad.npz'), { message: /bad\.npz: not a readable zip archive/ });
  t.throws(() => writeNpz({ '': a }), InvalidArgumentError);
  t.end();
});

/** A raw DEFLATE stream (one fixed-Huffman block): `prefix` as literals, then `zeros` zero bytes. */
function deflateZeros(prefix: Uint8Array, zeros: number): Uint8Array {
  // Zeros go as one literal 0 and then <length 258, distance 1> pairs (13 bits per 258 bytes),
  // so a 1.5 GB member takes a few MB and no compressor time.
  const reps = Math.floor((zeros - 1) / 258);
  const tail = zeros - 1 - reps * 258;
  const out = new Uint8Array(Math.ceil((3 + 9 * (prefix.length + 1 + tail) + 13 * reps + 7) / 8) + 1);
  let bit = 0;
  const put = (v: number, n: number): void => {
    for (let i = 0; i < n; i++, bit++) if ((v >>> i) & 1) out[bit >> 3] |= 1 << (bit & 7);
  };
  const huff = (code: number, n: number): void => {
    for (let i = n - 1; i >= 0; i--, bit++) if ((code >>> i) & 1) out[bit >> 3] |= 1 << (bit & 7);
  };
  const literal = (b: number): void => (b < 144 ? huff(0x30 + b, 8) : huff(0x190 + b - 144, 9));
  put(1, 1); // BFINAL
  put(1, 2); // BTYPE 01: fixed Huffman codes
  for (const b of prefix) literal(b);
  if (zeros > 0) literal(0);
  for (let i = 0; i < reps; i++) {
    huff(0xc5, 8); // length code 285: 258 bytes
    huff(0, 5); // distance code 0: distance 1
  }
  for (let i = 0; i < tail; i++) literal(0);
  huff(0, 7); // end of block
  return out.subarray(0, Math.ceil(bit / 8));
}

/** A zip archive of deflated members given as raw streams with their declared sizes. */
function zipOf(members: { name: string; deflated: Uint8Array; size: number }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = new TextEncoder().encode(m.name);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, 8, true);
    lv.setUint32(18, m.deflated.length, true);
    lv.setUint32(22, m.size, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const c = new Uint8Array(46 + name.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, 8, true);
    cv.setUint32(20, m.deflated.length, true);
    cv.setUint32(24, m.size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    c.set(name, 46);
    parts.push(local, m.deflated);
    central.push(c);
    offset += local.length + m.deflated.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, members.length, true);
  ev.setUint16(10, members.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, eocd];
  const out = new Uint8Array(all.reduce((a, p) => a + p.length, 0));
  let p = 0;
  for (const x of all) {
    out.set(x, p);
    p += x.length;
  }
  return out;
}

t.test('zip bombs: declared sizes and the .npy header are checked before inflating', (t) => {
  const GB15 = 1_500_000_000;
  const header = npyHeaderBytes('f32', [(GB15 - 128) / 4]);
  t.equal(header.length, 128);
  // The reported case: a few MB that inflate to 1.5 GB of a valid float32 array.
  const bomb = zipOf([{ name: 'x.npy', deflated: deflateZeros(header, GB15 - 128), size: GB15 }]);
  t.ok(bomb.length < 12e6, `${bomb.length} bytes`);
  const rss0 = process.memoryUsage().rss;
  t.throws(() => readNpz(bomb, 'bomb.npz'), {
    name: 'ResourceExhaustedError',
    message:
      "bomb.npz: the archive's members inflate to 1500000000 bytes, more than the limit of 1073741824 bytes (readNpz maxBytes, or the environment variable TFG_NPZ_MAX_BYTES)",
  });
  // Allowed 2 GB, a member that is no .npy is refused from its first bytes, without inflating it.
  const raw = zipOf([{ name: 'x.npy', deflated: deflateZeros(new Uint8Array(0), GB15), size: GB15 }]);
  t.throws(() => readNpz(raw, 'raw.npz', { maxBytes: 2e9 }), {
    name: 'DataLossError',
    message: 'raw.npz[x]: not a .npy file (missing the \\x93NUMPY magic string)',
  });
  // A zip entry whose declared size disagrees with its .npy header.
  const small = npyHeaderBytes('f32', [4]);
  const lying = zipOf([{ name: 'y.npy', deflated: deflateZeros(header, GB15 - 128), size: 128 + 16 }]);
  t.throws(() => readNpz(lying, 'lying.npz', { maxBytes: 2e9 }), {
    name: 'DataLossError',
    message: /lying\.npz\[y\]: the zip entry declares 144 bytes, but its \.npy header \(shape \(374999968\) of <f4\) makes 1500000000/,
  });
  // A header that agrees with the declared size, over a stream that goes on: stopped past the size.
  const longer = zipOf([{ name: 'z.npy', deflated: deflateZeros(small, 1e9), size: small.length + 16 }]);
  t.throws(() => readNpz(longer, 'longer.npz'), { name: 'DataLossError', message: /longer\.npz\[z\]: the member inflates past its declared 144 bytes/ });
  const shorter = zipOf([{ name: 'z.npy', deflated: deflateZeros(small, 8), size: small.length + 16 }]);
  t.throws(() => readNpz(shorter, 'shorter.npz'), {
    name: 'DataLossError',
    message: /shorter\.npz\[z\]: the member inflates to 136 bytes, its declared size is 144/,
  });
  t.ok(process.memoryUsage().rss - rss0 < 256 * 2 ** 20, `nothing large was inflated (rss +${Math.round((process.memoryUsage().rss - rss0) / 2 ** 20)} MB)`);
  // Within the limit, the same construction reads back as the array it is.
  const ok = zipOf([{ name: 'z.npy', deflated: deflateZeros(small, 16), size: small.length + 16 }]);
  t.same(Array.from(readNpz(ok, 'ok.npz').get('z')!.data), [0, 0, 0, 0]);
  const mid = zipOf([{ name: 'm.npy', deflated: deflateZeros(npyHeaderBytes('f32', [1 << 20]), 4 << 20), size: 128 + (4 << 20) }]);
  t.equal(readNpz(mid, 'mid.npz').get('m')!.size, 1 << 20, 'a 4 MiB member inflates in 64 KiB steps');
  t.throws(() => readNpz(mid, 'mid.npz', { maxBytes: 1 << 20 }), { name: 'ResourceExhaustedError' });
  t.end();
});
