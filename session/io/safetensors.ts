/**
 * @fileoverview The safetensors format (huggingface/safetensors), read and written on
 * `Uint8Array`s. Browser-safe.
 *
 * Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * `{"__metadata__": {str: str}?, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}`
 * padded with spaces to a multiple of 8, then the byte buffer. As the reference writer does,
 * tensors are laid out sorted by dtype alignment (largest first) then by name, and the header
 * lists `__metadata__` first, then the tensors in layout order, as compact JSON.
 *
 * Reading validates everything the reference reader does (header length in range, header starts
 * with `{`, valid UTF-8 JSON without duplicate keys, known dtypes, offsets contiguous from 0 with
 * no holes or overlaps, each size = product(shape) × dtype size, the buffer fully used) and
 * throws `DataLossError` with the tensor name and the rule broken.
 */
import { type DType } from '../dtype.js';
import { Tensor, sizeOf } from '../tensor.js';
import { DataLossError, InvalidArgumentError } from '../errors.js';
import { type ElementKind, decodeElements, elementBytes, kindToDType, tensorBytesLE } from './npy.js';

/** The reference implementation's limit on the header size. */
export const MAX_HEADER_SIZE = 100_000_000;

const WRITE_DTYPE: Record<DType, string> = { f32: 'F32', f64: 'F64', i32: 'I32', bool: 'BOOL' };
/** safetensors dtypes tfg reads, and the element kind each one is decoded as. */
const READ_DTYPE: Record<string, ElementKind | 'bf16'> = {
  F32: 'f4',
  F64: 'f8',
  I32: 'i4',
  BOOL: 'b1',
  F16: 'f2',
  BF16: 'bf16',
  I8: 'i1',
  U8: 'u1',
  I16: 'i2',
  U16: 'u2',
  U32: 'u4',
  I64: 'i8',
  U64: 'u8',
};
/** Rank of each dtype in the reference `Dtype` enum; the writer lays out larger ranks first. */
const DTYPE_ORDER: Record<DType, number> = { bool: 0, i32: 13, f32: 15, f64: 17 };

export interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string> | null;
}

function utf8Compare(a: string, b: string): number {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) if (ea[i] !== eb[i]) return ea[i] - eb[i];
  return ea.length - eb.length;
}

/** Serialise named tensors (plus optional string metadata) as a safetensors file. */
export function writeSafetensors(tensors: Map<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const seen = new Set<string>();
  for (const [name] of entries) {
    if (name === '__metadata__') throw new InvalidArgumentError('writeSafetensors: "__metadata__" is reserved and cannot name a tensor');
    if (seen.has(name)) throw new InvalidArgumentError(`writeSafetensors: duplicate tensor name ${JSON.stringify(name)}`);
    seen.add(name);
  }
  entries.sort(([na, a], [nb, b]) => DTYPE_ORDER[b.dtype] - DTYPE_ORDER[a.dtype] || utf8Compare(na, nb));
  // JSON.stringify keeps insertion order except for integer-like keys, which it would move first;
  // build the text by hand so the order is exactly the layout order.
  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new InvalidArgumentError(`writeSafetensors: metadata value for ${JSON.stringify(k)} must be a string`);
    const md = Object.keys(metadata)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`);
    parts.push(`"__metadata__":{${md.join(',')}}`);
  }
  let offset = 0;
  const datas: Uint8Array[] = [];
  for (const [name, t] of entries) {
    const bytes = tensorBytesLE(t);
    const info = { dtype: WRITE_DTYPE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    datas.push(bytes);
    offset += bytes.length;
  }
  let json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const extra = (8 - (json.length % 8)) % 8;
  if (extra) {
    const padded = new Uint8Array(json.length + extra).fill(0x20);
    padded.set(json, 0);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const d of datas) {
    out.set(d, p);
    p += d.length;
  }
  return out;
}

/** Keys of every JSON object in `text` must be unique (JSON.parse would silently keep the last). */
function checkDuplicateKeys(text: string, what: string): void {
  const stack: Array<Set<string> | null> = [];
  let i = 0;
  let expectKey = false;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = JSON.parse(text.slice(i, j + 1)) as string;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        if (top.has(s)) throw new DataLossError(`${what}: invalid safetensors header: duplicate key ${JSON.stringify(s)}`);
        top.add(s);
      }
      expectKey = false;
      i = j + 1;
      continue;
    }
    if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] != null;
    }
    i++;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse and validate the header; returns the infos in file order and the data start. */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  what = 'safetensors',
): { infos: Array<[string, TensorInfo]>; metadata: Record<string, string> | null; dataStart: number } {
  if (bytes.length < 8) throw new DataLossError(`${what}: file too short (${bytes.length} bytes) to hold the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_SIZE)) throw new DataLossError(`${what}: header length ${n64} is larger than the limit ${MAX_HEADER_SIZE}`);
  const n = Number(n64);
  if (8 + n > bytes.length) throw new DataLossError(`${what}: header length ${n} runs past the end of the file (${bytes.length} bytes): the file is truncated`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new DataLossError(`${what}: header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) throw new DataLossError(`${what}: header does not start with '{'`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new DataLossError(`${what}: header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(header)) throw new DataLossError(`${what}: header is not a JSON object`);
  checkDuplicateKeys(text, what);
  let metadata: Record<string, string> | null = null;
  const infos: Array<[string, TensorInfo]> = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(v) || Object.values(v).some((x) => typeof x !== 'string'))
        throw new DataLossError(`${what}: __metadata__ must map strings to strings`);
      metadata = v as Record<string, string>;
      continue;
    }
    const bad = (msg: string): never => {
      throw new DataLossError(`${what}: tensor ${JSON.stringify(name)}: ${msg}`);
    };
    if (!isPlainObject(v)) bad('entry is not an object');
    const info = v as Record<string, unknown>;
    const extraKeys = Object.keys(info).filter((k) => !['dtype', 'shape', 'data_offsets'].includes(k));
    if (extraKeys.length) bad(`unknown field(s) ${extraKeys.join(', ')}`);
    if (typeof info.dtype !== 'string' || !(info.dtype in READ_DTYPE))
      bad(`unsupported dtype ${JSON.stringify(info.dtype)} (tfg reads ${Object.keys(READ_DTYPE).join(', ')})`);
    if (!Array.isArray(info.shape) || info.shape.some((d) => !Number.isSafeInteger(d) || d < 0))
      bad(`shape ${JSON.stringify(info.shape)} is not a list of non-negative integers`);
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || off.some((d) => !Number.isSafeInteger(d) || d < 0))
      bad(`data_offsets ${JSON.stringify(off)} is not a pair of non-negative integers`);
    infos.push([name, { dtype: info.dtype as string, shape: info.shape as number[], data_offsets: off as [number, number] }]);
  }
  // Offsets, taken in order, must tile [0, buffer length) exactly.
  const sorted = [...infos].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  let pos = 0;
  for (const [name, info] of sorted) {
    const [b, e] = info.data_offsets;
    if (b !== pos || e < b) {
      const why =
        e < b ? 'end before begin' : b < pos ? `overlaps the previous tensor (which ends at ${pos})` : `leaves a hole (the previous tensor ends at ${pos})`;
      throw new DataLossError(`${what}: tensor ${JSON.stringify(name)}: invalid data_offsets [${b}, ${e}]: ${why}`);
    }
    const kind = READ_DTYPE[info.dtype];
    const esize = kind === 'bf16' ? 2 : elementBytes(kind);
    const need = sizeOf(info.shape) * esize;
    if (e - b !== need)
      throw new DataLossError(
        `${what}: tensor ${JSON.stringify(name)}: data_offsets [${b}, ${e}] span ${e - b} bytes but ${info.dtype}[${info.shape.join(', ')}] needs ${need}`,
      );
    pos = e;
  }
  const dataLen = bytes.length - 8 - n;
  if (pos !== dataLen) {
    throw new DataLossError(
      pos > dataLen
        ? `${what}: the tensors need ${pos} bytes of data but the file has ${dataLen}: the file is truncated`
        : `${what}: ${dataLen - pos} bytes after the last tensor are not covered by any tensor`,
    );
  }
  return { infos, metadata, dataStart: 8 + n };
}

/** Read a safetensors file; tensors keep the order of the header. */
export function readSafetensors(bytes: Uint8Array, what = 'safetensors'): SafetensorsFile {
  const { infos, metadata, dataStart } = readSafetensorsHeader(bytes, what);
  const tensors = new Map<string, Tensor>();
  for (const [name, info] of infos) {
    const kind = READ_DTYPE[info.dtype];
    const count = sizeOf(info.shape);
    const off = dataStart + info.data_offsets[0];
    if (kind === 'bf16') {
      const dv = new DataView(bytes.buffer, bytes.byteOffset + off, count * 2);
      const out = new Float32Array(count);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = dv.getUint16(i * 2, true) << 16;
      tensors.set(name, new Tensor('f32', info.shape, out));
    } else {
      tensors.set(name, new Tensor(kindToDType(kind), info.shape, decodeElements(bytes, off, count, kind, true, `${what}: tensor ${JSON.stringify(name)}`)));
    }
  }
  return { tensors, metadata };
}
