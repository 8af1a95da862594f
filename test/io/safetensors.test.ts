/**
 * @fileoverview safetensors: a file built by hand from the format's spec must equal the writer's
 * bytes (layout order, compact JSON, space padding) and read back; each validation rule of the
 * reference reader is exercised with a damaged file.
 */
import t from 'tap';
import { readSafetensors, writeSafetensors } from '../../session/io/safetensors.js';
import { Tensor } from '../../session/tensor.js';
import { DataLossError, InvalidArgumentError } from '../../session/errors.js';

/** Build a safetensors file from a header string and data chunks exactly as the spec describes. */
function build(headerJson: string, chunks: Uint8Array[], pad = true): Uint8Array {
  let h = headerJson;
  if (pad) while (h.length % 8 !== 0) h += ' ';
  const hb = new TextEncoder().encode(h);
  const dataLen = chunks.reduce((a, c) => a + c.length, 0);
  const out = new Uint8Array(8 + hb.length + dataLen);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, hb.length, true); // u64 LE: low word
  dv.setUint32(4, 0, true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

const le = (kind: 'f32' | 'f64' | 'i32', vals: number[]): Uint8Array => {
  const size = kind === 'f64' ? 8 : 4;
  const b = new Uint8Array(vals.length * size);
  const dv = new DataView(b.buffer);
  vals.forEach((v, i) => (kind === 'f32' ? dv.setFloat32(i * 4, v, true) : kind === 'f64' ? dv.setFloat64(i * 8, v, true) : dv.setInt32(i * 4, v, true)));
  return b;
};

const vars = new Map<string, Tensor>([
  ['weight', new Tensor('f32', [2, 2], Float32Array.from([1, 2, 3, 4]))],
  ['mask', new Tensor('bool', [3], Uint8Array.from([1, 0, 1]))],
  ['count', new Tensor('i32', [], Int32Array.from([7]))],
  ['bias', new Tensor('f64', [2], Float64Array.from([0.5, -1]))],
  ['alpha', new Tensor('f32', [1], Float32Array.from([9]))],
]);

// Spec order: dtype alignment descending (F64, F32, I32, BOOL), then name.
const HAND_HEADER =
  '{"__metadata__":{"format":"pt","step":"3"},' +
  '"bias":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},' +
  '"alpha":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},' +
  '"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[20,36]},' +
  '"count":{"dtype":"I32","shape":[],"data_offsets":[36,40]},' +
  '"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[40,43]}}';
const HAND = build(HAND_HEADER, [le('f64', [0.5, -1]), le('f32', [9]), le('f32', [1, 2, 3, 4]), le('i32', [7]), Uint8Array.from([1, 0, 1])]);

t.test('the writer produces the hand-built file byte for byte', (t) => {
  const bytes = writeSafetensors(vars, { step: '3', format: 'pt' });
  t.same(Buffer.from(bytes).toString('hex'), Buffer.from(HAND).toString('hex'));
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  t.equal(n % 8, 0, 'header padded to 8 bytes');
  t.equal(new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd(), HAND_HEADER, 'padding is spaces');
  t.end();
});

t.test('the reader reads the hand-built file', (t) => {
  const { tensors, metadata } = readSafetensors(HAND, 'hand.safetensors');
  t.same(metadata, { format: 'pt', step: '3' });
  t.same([...tensors.keys()], ['bias', 'alpha', 'weight', 'count', 'mask']);
  for (const [name, x] of vars) {
    const y = tensors.get(name)!;
    t.equal(y.dtype, x.dtype, name);
    t.same([...y.shape], [...x.shape], name);
    t.same(Array.from(y.data), Array.from(x.data), name);
  }
  t.end();
});

t.test('other reference dtypes are converted on read', (t) => {
  const f16 = Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]); // 1.0, -2.0
  const bf16 = Uint8Array.from([0x80, 0x3f, 0x40, 0xc0]); // 1.0, -3.0
  const i64 = new Uint8Array(16);
  new DataView(i64.buffer).setBigInt64(0, -5n, true);
  new DataView(i64.buffer).setBigInt64(8, 2147483647n, true);
  const u8 = Uint8Array.from([255]);
  const f = build(
    '{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"c":{"dtype":"I64","shape":[2],"data_offsets":[8,24]},"d":{"dtype":"U8","shape":[1],"data_offsets":[24,25]}}',
    [f16, bf16, i64, u8],
  );
  const m = readSafetensors(f).tensors;
  t.same(Array.from(m.get('a')!.data), [1, -2]);
  t.same(Array.from(m.get('b')!.data), [1, -3]);
  t.same([m.get('c')!.dtype, ...Array.from(m.get('c')!.data)], ['i32', -5, 2147483647]);
  t.same(Array.from(m.get('d')!.data), [255]);
  const big = new Uint8Array(8);
  new DataView(big.buffer).setBigInt64(0, 1n << 40n, true);
  t.throws(() => readSafetensors(build('{"c":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', [big])), { message: /does not fit in int32/ });
  t.end();
});

t.test('validation follows the reference reader', (t) => {
  const four = le('f32', [1]);
  const bad = (header: string, chunks: Uint8Array[], re: RegExp, why: string) => {
    t.throws(() => readSafetensors(build(header, chunks), 'f.safetensors'), { name: 'DataLossError', message: re }, why);
  };
  bad('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', [four, four], /tensor "a": invalid data_offsets \[4, 8\]: leaves a hole/, 'hole at the start');
  bad(
    '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}',
    [four, four],
    /tensor "b": invalid data_offsets \[2, 6\]: overlaps/,
    'overlap',
  );
  bad('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [four], /tensor "a": data_offsets \[0, 4\] span 4 bytes but F32\[2\] needs 8/, 'size vs shape');
  bad('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [four, four], /4 bytes after the last tensor are not covered/, 'trailing bytes');
  bad('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', [four], /need 8 bytes of data but the file has 4: the file is truncated/, 'truncated data');
  bad('{"a":{"dtype":"Q8","shape":[1],"data_offsets":[0,1]}}', [Uint8Array.from([0])], /unsupported dtype "Q8"/, 'unknown dtype');
  bad('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', [four], /shape \[-1\] is not a list of non-negative integers/, 'negative dim');
  bad(
    '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
    [four, four],
    /duplicate key "a"/,
    'duplicate names',
  );
  bad('{"__metadata__":{"k":1}}', [], /__metadata__ must map strings to strings/, 'metadata values');
  bad(' {}', [], /does not start with '\{'/, 'header start');
  bad('{"a":', [], /not valid JSON/, 'bad JSON');
  bad('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}', [four], /unknown field\(s\) x/, 'extra field');
  const trunc = HAND.subarray(0, 20);
  t.throws(() => readSafetensors(trunc, 'g'), { message: /g: header length \d+ runs past the end of the file.*truncated/ });
  t.throws(() => readSafetensors(new Uint8Array(5), 'g'), { message: /too short/ });
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
  t.throws(() => readSafetensors(huge), DataLossError);
  t.throws(() => readSafetensors(huge), { message: /larger than the limit/ });
  const notUtf8 = build('{"a":"\xff"}', []);
  notUtf8[8 + 6] = 0xff;
  t.throws(() => readSafetensors(notUtf8), { message: /not valid UTF-8/ });
  t.end();
});

t.test('empty tensors, empty files and writer errors', (t) => {
  const e = writeSafetensors({ z: Tensor.zeros('f32', [0, 3]), w: Tensor.zeros('f32', [1]) });
  const m = readSafetensors(e).tensors;
  t.same([...m.get('z')!.shape], [0, 3]);
  t.same(Array.from(m.get('w')!.data), [0]);
  const none = writeSafetensors({});
  t.same(readSafetensors(none).tensors.size, 0);
  t.equal(new TextDecoder().decode(none.subarray(8)), '{}      ');
  t.throws(() => writeSafetensors({ __metadata__: Tensor.zeros('f32', [1]) }), InvalidArgumentError);
  t.end();
});
