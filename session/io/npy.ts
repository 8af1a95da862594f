/**
 * @fileoverview numpy `.npy` files (format versions 1.0, 2.0 and 3.0) read into and written from
 * `Tensor`s, byte-compatible with `numpy.save`. Browser-safe: works on `Uint8Array`/`DataView`.
 *
 * Reading accepts `<f4 <f8 <i4 |b1` (the four tfg dtypes) in either byte order, converts
 * `f2` to f32 and `i1 u1 i2 u2 u4 i8 u8` to i32 (with a range check), and transposes
 * `fortran_order: True` data to C order. Writing produces exactly the bytes numpy 2.x writes:
 * the header dict with sorted keys, numpy's 21-digit growth padding, and the header padded with
 * spaces and a newline so the data starts on a 64-byte boundary.
 */
import { type AnyTypedArray, type DType, allocArray, byteSize } from '../dtype.js';
import { Tensor, sizeOf } from '../tensor.js';
import { DataLossError, InvalidArgumentError } from '../errors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ARRAY_ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;

/** True when this machine stores typed arrays little-endian (all current browsers and Node hosts). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The element kinds a file may hold, before conversion to a tfg dtype. */
export type ElementKind = 'f2' | 'f4' | 'f8' | 'i1' | 'u1' | 'i2' | 'u2' | 'i4' | 'u4' | 'i8' | 'u8' | 'b1';

const KIND_BYTES: Record<ElementKind, number> = { f2: 2, f4: 4, f8: 8, i1: 1, u1: 1, i2: 2, u2: 2, i4: 4, u4: 4, i8: 8, u8: 8, b1: 1 };

/** The tfg dtype an element kind is read as. */
export function kindToDType(k: ElementKind): DType {
  switch (k) {
    case 'f4':
    case 'f2':
      return 'f32';
    case 'f8':
      return 'f64';
    case 'b1':
      return 'bool';
    default:
      return 'i32';
  }
}

export function elementBytes(k: ElementKind): number {
  return KIND_BYTES[k];
}

/** IEEE half → number. */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * Decode `count` elements of `kind` from `bytes` (at `offset`) into a fresh typed array of the
 * matching tfg dtype. Integer kinds wider than int32 are range-checked; `what` names the source
 * in the error message.
 */
export function decodeElements(bytes: Uint8Array, offset: number, count: number, kind: ElementKind, littleEndian: boolean, what: string): AnyTypedArray {
  const dtype = kindToDType(kind);
  const nb = KIND_BYTES[kind];
  const out = allocArray(dtype, count);
  const native = littleEndian === HOST_LITTLE_ENDIAN || nb === 1;
  // Fast path: same layout as the output array → one byte copy.
  if (native && nb === byteSize(dtype) && kind !== 'b1') {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + count * nb));
    return out;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, count * nb);
  const le = littleEndian;
  const rangeCheck = (v: number | bigint, i: number): number => {
    if (v < -2147483648 || v > 2147483647) {
      throw new InvalidArgumentError(`${what}: element ${i} = ${v} does not fit in int32 (tfg reads ${kind} as int32)`);
    }
    return Number(v);
  };
  for (let i = 0; i < count; i++) {
    const p = i * nb;
    switch (kind) {
      case 'b1':
        out[i] = dv.getUint8(p) !== 0 ? 1 : 0;
        break;
      case 'i1':
        out[i] = dv.getInt8(p);
        break;
      case 'u1':
        out[i] = dv.getUint8(p);
        break;
      case 'i2':
        out[i] = dv.getInt16(p, le);
        break;
      case 'u2':
        out[i] = dv.getUint16(p, le);
        break;
      case 'i4':
        out[i] = dv.getInt32(p, le);
        break;
      case 'u4':
        out[i] = rangeCheck(dv.getUint32(p, le), i);
        break;
      case 'i8':
        out[i] = rangeCheck(dv.getBigInt64(p, le), i);
        break;
      case 'u8':
        out[i] = rangeCheck(dv.getBigUint64(p, le), i);
        break;
      case 'f2':
        out[i] = halfToNumber(dv.getUint16(p, le));
        break;
      case 'f4':
        out[i] = dv.getFloat32(p, le);
        break;
      case 'f8':
        out[i] = dv.getFloat64(p, le);
        break;
    }
  }
  return out;
}

/** The little-endian bytes of a tensor's data (a view when the host is little-endian). */
export function tensorBytesLE(t: Tensor): Uint8Array {
  const d = t.data;
  if (HOST_LITTLE_ENDIAN) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const out = new Uint8Array(d.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < d.length; i++) {
    if (t.dtype === 'f32') dv.setFloat32(i * 4, d[i], true);
    else if (t.dtype === 'f64') dv.setFloat64(i * 8, d[i], true);
    else if (t.dtype === 'i32') dv.setInt32(i * 4, d[i], true);
    else out[i] = d[i];
  }
  return out;
}

// ---- header dict (a Python literal) ----

type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

/** Parse the small subset of Python literal syntax numpy writes: dict, tuple, list, str, int, bool, None. */
function parsePyLiteral(src: string, what: string): PyValue {
  let i = 0;
  const fail = (msg: string): never => {
    throw new DataLossError(`${what}: bad .npy header at character ${i}: ${msg} in ${JSON.stringify(src.trim())}`);
  };
  const ws = () => {
    while (i < src.length && /\s/.test(src[i])) i++;
  };
  const value = (): PyValue => {
    ws();
    const c = src[i];
    if (c === '{') {
      i++;
      const obj: { [k: string]: PyValue } = {};
      for (;;) {
        ws();
        if (src[i] === '}') {
          i++;
          return obj;
        }
        const k = value();
        if (typeof k !== 'string') fail('dict key is not a string');
        ws();
        if (src[i] !== ':') fail("expected ':'");
        i++;
        obj[k as string] = value();
        ws();
        if (src[i] === ',') i++;
        else if (src[i] !== '}') fail("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const arr: PyValue[] = [];
      for (;;) {
        ws();
        if (src[i] === close) {
          i++;
          return arr;
        }
        arr.push(value());
        ws();
        if (src[i] === ',') i++;
        else if (src[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = src.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(src.slice(i));
    if (!m) return fail('unexpected text');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return parseInt(m[0], 10);
  };
  const v = value();
  ws();
  if (i !== src.length) fail('trailing text');
  return v;
}

/** Parse a numpy dtype descr like `<f4` into kind + byte order. */
export function parseDescr(descr: string, what: string): { kind: ElementKind; littleEndian: boolean } {
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
  const kind = m ? (`${m[2]}${m[3]}` as ElementKind) : null;
  if (!m || !kind || !(kind in KIND_BYTES)) {
    throw new InvalidArgumentError(`${what}: unsupported numpy dtype '${descr}' (tfg reads <f4 <f8 <i4 |b1, and converts f2, i1, u1, i2, u2, u4, i8, u8)`);
  }
  return { kind, littleEndian: m[1] !== '>' };
}

export interface NpyHeader {
  version: [number, number];
  descr: string;
  kind: ElementKind;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
}

/** Parse and validate the header of a `.npy` file. */
export function readNpyHeader(bytes: Uint8Array, what = '.npy'): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new DataLossError(`${what}: not a .npy file (missing the \\x93NUMPY magic string)`);
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (![1, 2, 3].includes(major) || minor !== 0) throw new DataLossError(`${what}: unsupported .npy format version ${major}.${minor} (known: 1.0, 2.0, 3.0)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let hlen: number;
  let start: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    start = 10;
  } else {
    if (bytes.length < 12) throw new DataLossError(`${what}: truncated .npy header`);
    hlen = dv.getUint32(8, true);
    start = 12;
  }
  if (start + hlen > bytes.length) throw new DataLossError(`${what}: truncated .npy header (needs ${hlen} bytes, file has ${bytes.length - start})`);
  const headerBytes = bytes.subarray(start, start + hlen);
  const text = major === 3 ? new TextDecoder('utf-8', { fatal: true }).decode(headerBytes) : Array.from(headerBytes, (b) => String.fromCharCode(b)).join('');
  const d = parsePyLiteral(text, what);
  if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new DataLossError(`${what}: .npy header is not a dict`);
  const keys = Object.keys(d).sort().join(',');
  if (keys !== 'descr,fortran_order,shape') throw new DataLossError(`${what}: .npy header keys are {${keys}}, expected {descr, fortran_order, shape}`);
  if (typeof d.descr !== 'string')
    throw new InvalidArgumentError(`${what}: unsupported numpy dtype ${JSON.stringify(d.descr)} (structured arrays are not supported)`);
  if (typeof d.fortran_order !== 'boolean') throw new DataLossError(`${what}: fortran_order is not a bool`);
  const shape = d.shape;
  if (!Array.isArray(shape) || shape.some((s) => typeof s !== 'number' || !Number.isInteger(s) || s < 0)) {
    throw new DataLossError(`${what}: shape ${JSON.stringify(shape)} is not a tuple of non-negative ints`);
  }
  const { kind, littleEndian } = parseDescr(d.descr, what);
  return { version: [major, minor], descr: d.descr, kind, littleEndian, fortranOrder: d.fortran_order, shape: shape as number[], dataOffset: start + hlen };
}

/** Reorder column-major data of `shape` into row-major order. */
function fortranToC<T extends AnyTypedArray>(data: T, shape: readonly number[]): T {
  const n = data.length;
  const rank = shape.length;
  if (rank < 2 || n === 0) return data;
  const out = new (data.constructor as { new (n: number): T })(n);
  const fstrides: number[] = [];
  let acc = 1;
  for (let k = 0; k < rank; k++) {
    fstrides.push(acc);
    acc *= shape[k];
  }
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    out[i] = data[src];
    // advance the C-order multi-index, keeping the Fortran offset in step
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      src += fstrides[k];
      if (idx[k] < shape[k]) break;
      src -= fstrides[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

/** Read a `.npy` file into a Tensor. `what` (e.g. the file name) prefixes error messages. */
export function readNpy(bytes: Uint8Array, what = '.npy'): Tensor {
  const h = readNpyHeader(bytes, what);
  const count = sizeOf(h.shape);
  const need = count * KIND_BYTES[h.kind];
  const have = bytes.length - h.dataOffset;
  if (have < need) throw new DataLossError(`${what}: truncated .npy data: shape (${h.shape.join(', ')}) of ${h.descr} needs ${need} bytes, file has ${have}`);
  let data = decodeElements(bytes, h.dataOffset, count, h.kind, h.littleEndian, what);
  if (h.fortranOrder) data = fortranToC(data, h.shape);
  return new Tensor(kindToDType(h.kind), h.shape, data);
}

const DESCR: Record<DType, string> = { f32: '<f4', f64: '<f8', i32: '<i4', bool: '|b1' };

function pyTupleRepr(shape: readonly number[]): string {
  if (shape.length === 0) return '()';
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** The header bytes numpy 2.x writes for this dtype and shape (C order). */
export function npyHeaderBytes(dtype: DType, shape: readonly number[]): Uint8Array {
  let header = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${pyTupleRepr(shape)}, }`;
  if (shape.length > 0) header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const hlen = header.length + 1;
  let major = 1;
  let prefixLen = MAGIC.length + 2 + 2;
  let padlen = ARRAY_ALIGN - ((prefixLen + hlen) % ARRAY_ALIGN);
  if (hlen + padlen > 0xffff) {
    major = 2;
    prefixLen = MAGIC.length + 2 + 4;
    padlen = ARRAY_ALIGN - ((prefixLen + hlen) % ARRAY_ALIGN);
  }
  const out = new Uint8Array(prefixLen + hlen + padlen);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, hlen + padlen, true);
  else dv.setUint32(8, hlen + padlen, true);
  for (let i = 0; i < header.length; i++) out[prefixLen + i] = header.charCodeAt(i);
  out.fill(0x20, prefixLen + header.length, out.length - 1);
  out[out.length - 1] = 0x0a;
  return out;
}

/** Serialise a Tensor as a `.npy` file, byte-identical to `numpy.save` of the same array. */
export function writeNpy(t: Tensor): Uint8Array {
  const header = npyHeaderBytes(t.dtype, t.shape);
  const data = tensorBytesLE(t);
  const out = new Uint8Array(header.length + data.length);
  out.set(header, 0);
  out.set(data, header.length);
  return out;
}
