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
