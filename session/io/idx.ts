/**
 * @fileoverview The idx format of the MNIST files (yann.lecun.com/exdb/mnist): a 4-byte magic
 * `0 0 <type> <rank>`, `rank` big-endian uint32 dimensions, then big-endian data. Gzipped files
 * (`*.gz`) are inflated first. Browser-safe.
 */
import { gunzipSync } from 'fflate';
import { type DType, allocArray } from '../dtype.js';
import { Tensor, sizeOf } from '../tensor.js';
import { DataLossError } from '../errors.js';

/** idx type codes → element size and DataView getter. */
const IDX_TYPES: Record<number, { name: string; size: number; get: (dv: DataView, p: number) => number; float: boolean }> = {
  0x08: { name: 'ubyte', size: 1, get: (dv, p) => dv.getUint8(p), float: false },
  0x09: { name: 'byte', size: 1, get: (dv, p) => dv.getInt8(p), float: false },
  0x0b: { name: 'short', size: 2, get: (dv, p) => dv.getInt16(p, false), float: false },
  0x0c: { name: 'int', size: 4, get: (dv, p) => dv.getInt32(p, false), float: false },
  0x0d: { name: 'float', size: 4, get: (dv, p) => dv.getFloat32(p, false), float: true },
  0x0e: { name: 'double', size: 8, get: (dv, p) => dv.getFloat64(p, false), float: true },
};

export interface IdxOptions {
  /** Output dtype (default: i32 for integer data, f32 for float, f64 for double). */
  dtype?: DType;
  /** Multiply every value by this (e.g. 1/255 to scale ubyte pixels to [0, 1]); implies a float dtype. */
  scale?: number;
  /** Keep only the first `limit` items (along the first dimension). */
  limit?: number;
  /** Name used in error messages. */
  source?: string;
}

/** Read an idx file into a Tensor with the file's dimensions. */
export function readIdx(bytes: Uint8Array, opts: IdxOptions = {}): Tensor {
  const what = opts.source ?? 'idx';
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataLossError(`${what}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0)
    throw new DataLossError(`${what}: not an idx file (the magic number must start with two zero bytes)`);
  const type = IDX_TYPES[bytes[2]];
  if (!type) throw new DataLossError(`${what}: unknown idx data type code 0x${bytes[2].toString(16).padStart(2, '0')}`);
  const rank = bytes[3];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * rank) throw new DataLossError(`${what}: truncated idx header (${rank} dimensions need ${4 + 4 * rank} bytes)`);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(dv.getUint32(4 + 4 * i, false));
  const start = 4 + 4 * rank;
  const need = sizeOf(shape) * type.size;
  if (bytes.length - start < need)
    throw new DataLossError(`${what}: truncated idx data: shape [${shape.join(', ')}] of ${type.name} needs ${need} bytes, file has ${bytes.length - start}`);
  if (opts.limit !== undefined && rank > 0) shape[0] = Math.min(shape[0], Math.max(0, Math.floor(opts.limit)));
  const dtype: DType = opts.dtype ?? (opts.scale !== undefined || type.float ? (type.size === 8 ? 'f64' : 'f32') : 'i32');
  const n = sizeOf(shape);
  const out = allocArray(dtype, n);
  const scale = opts.scale ?? 1;
  if (type.size === 1 && type.name === 'ubyte') {
    const src = bytes.subarray(start, start + n);
    if (scale === 1) out.set(src);
    else for (let i = 0; i < n; i++) out[i] = src[i] * scale;
  } else {
    for (let i = 0; i < n; i++) out[i] = type.get(dv, start + i * type.size) * scale;
  }
  return new Tensor(dtype, shape, out);
}

/** MNIST images: f32 [n, rows*cols] (or [n, rows, cols] with `flatten: false`) scaled to [0, 1]. */
export function readIdxImages(bytes: Uint8Array, opts: { flatten?: boolean; scale?: boolean; limit?: number; source?: string } = {}): Tensor {
  const t = readIdx(bytes, { scale: opts.scale === false ? 1 : 1 / 255, dtype: 'f32', limit: opts.limit, source: opts.source });
  if (t.rank !== 3) throw new DataLossError(`${opts.source ?? 'idx'}: expected an image file with 3 dimensions, found ${t.rank}`);
  return opts.flatten === false ? t : new Tensor('f32', [t.shape[0], t.shape[1] * t.shape[2]], t.data);
}

/** MNIST labels: i32 [n]. */
export function readIdxLabels(bytes: Uint8Array, opts: { limit?: number; source?: string } = {}): Tensor {
  const t = readIdx(bytes, { dtype: 'i32', limit: opts.limit, source: opts.source });
  if (t.rank !== 1) throw new DataLossError(`${opts.source ?? 'idx'}: expected a label file with 1 dimension, found ${t.rank}`);
  return t;
}
