/**
 * @fileoverview numpy `.npz` archives (a zip of `.npy` members, as `numpy.savez` and
 * `numpy.savez_compressed` write them) read into and written from named Tensors, with fflate.
 * Browser-safe. Member names drop the `.npy` suffix, as `numpy.load(...)[name]` does.
 *
 * Reading never trusts the archive with memory (a 1.5 MB zip can inflate to 1.5 GB): the zip's
 * central directory is read first and the members' declared sizes are checked against a limit
 * (`maxBytes`, default 1 GiB); then each member's `.npy` header is inflated alone (a few KiB)
 * and must describe exactly the declared size; only then is the member inflated, in chunks, into
 * a buffer of that size, and a stream that runs past it is refused as soon as it does.
 */
import { Inflate, zipSync, type Zippable } from 'fflate';
import { type Tensor, sizeOf } from '../tensor.js';
import { DataLossError, InvalidArgumentError, ResourceExhaustedError } from '../errors.js';
import { elementBytes, readNpy, readNpyHeader, writeNpy } from './npy.js';

/** Default of `maxBytes`: the sum of the members' inflated sizes an archive may declare. */
export const DEFAULT_NPZ_MAX_BYTES = 2 ** 30;

/** The largest `.npy` header read before inflating a member (numpy itself reads 10000 bytes at most). */
const MAX_NPY_HEADER_BYTES = 1 << 20;

/** Compressed bytes given to the inflater at a time: at most ~1032× that comes out per step. */
const INFLATE_CHUNK = 1 << 16;

export interface ReadNpzOptions {
  /**
   * The most bytes the members may inflate to, together (default: the environment variable
   * `TFG_NPZ_MAX_BYTES` when set, else 1 GiB). A larger archive is a ResourceExhaustedError,
   * raised before anything is inflated.
   */
  maxBytes?: number;
}

/** One member of a zip archive, from its central directory entry and local header. */
interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  /** Compressed data (a view of the archive). */
  data: Uint8Array;
  /** Declared inflated size. */
  size: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

/** The members of a zip archive, from its central directory (zip64 included), without inflating anything. */
function zipEntries(bytes: Uint8Array, what: string): ZipEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (msg: string): never => {
    throw new DataLossError(`${what}: not a readable zip archive (${msg})`);
  };
  const u16 = (p: number): number => (p + 2 <= bytes.length ? dv.getUint16(p, true) : fail('truncated'));
  const u32 = (p: number): number => (p + 4 <= bytes.length ? dv.getUint32(p, true) : fail('truncated'));
  const u64 = (p: number): number => {
    if (p + 8 > bytes.length) return fail('truncated');
    const v = dv.getBigUint64(p, true);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? fail(`a size or offset of ${v}`) : Number(v);
  };
  // The end-of-central-directory record: the last 22 bytes, or before a comment of up to 64 KiB.
  let eocd = -1;
  for (let p = bytes.length - 22; p >= Math.max(0, bytes.length - 22 - 0xffff); p--) {
    if (dv.getUint32(p, true) === SIG_EOCD) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) return fail('no end of central directory record');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(loc) !== SIG_EOCD64_LOCATOR) return fail('a zip64 archive without its locator');
    const e64 = u64(loc + 8);
    if (u32(e64) !== SIG_EOCD64) return fail('no zip64 end of central directory record');
    count = u64(e64 + 32);
    cdSize = u64(e64 + 40);
    cdOffset = u64(e64 + 48);
  }
  if (cdOffset + cdSize > bytes.length) return fail('the central directory runs past the end of the file');
  const out: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (u32(p) !== SIG_CENTRAL) return fail(`central directory entry ${i} is damaged`);
    const flags = u16(p + 8);
    const method = u16(p + 10);
    let csize = u32(p + 20);
    let usize = u32(p + 24);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    let local = u32(p + 42);
    if (p + 46 + nameLen + extraLen > bytes.length) return fail('truncated');
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // The zip64 extra field holds, in order, the 64-bit values of the fields set to 0xffffffff.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; e += 4 + u16(e + 2)) {
      if (u16(e) !== 0x0001) continue;
      let q = e + 4;
      if (usize === 0xffffffff) {
        usize = u64(q);
        q += 8;
      }
      if (csize === 0xffffffff) {
        csize = u64(q);
        q += 8;
      }
      if (local === 0xffffffff) local = u64(q);
    }
    if (flags & 1) throw new InvalidArgumentError(`${what}: member ${name} is encrypted`);
    if (u32(local) !== SIG_LOCAL) return fail(`the local header of ${name} is damaged`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + csize > bytes.length) return fail(`member ${name} runs past the end of the file: the archive is truncated`);
    out.push({ name, method, data: bytes.subarray(start, start + csize), size: usize });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/**
 * Inflate a member into `out` (its declared size), in chunks; stops after `stopAfter` bytes when
 * given (the header). A stream longer than declared is refused as soon as it passes the size.
 */
function inflateMember(e: ZipEntry, out: Uint8Array, what: string, stopAfter = Infinity): number {
  if (e.method === 0) {
    if (e.data.length !== e.size) throw new DataLossError(`${what}: stored member of ${e.data.length} bytes declares ${e.size}`);
    const n = Math.min(out.length, e.data.length);
    out.set(e.data.subarray(0, n));
    return n;
  }
  if (e.method !== 8) throw new InvalidArgumentError(`${what}: unsupported zip compression method ${e.method} (numpy writes stored or deflated members)`);
  let got = 0;
  let ended = false;
  const inf = new Inflate((chunk, final) => {
    // (While only the header is read, its check against the size comes first.)
    if (got + chunk.length > e.size && stopAfter === Infinity) throw new DataLossError(`${what}: the member inflates past its declared ${e.size} bytes`);
    const room = out.length - got;
    if (room > 0) out.set(room < chunk.length ? chunk.subarray(0, room) : chunk, got);
    got += chunk.length;
    if (final) ended = true;
  });
  try {
    // Small steps while only the header is wanted (1 KiB inflates to at most ~1 MiB).
    const step = stopAfter === Infinity ? INFLATE_CHUNK : 1024;
    for (let p = 0; p < e.data.length && got < stopAfter && !ended; p += step) {
      const end = Math.min(e.data.length, p + step);
      inf.push(e.data.subarray(p, end), end === e.data.length);
    }
  } catch (err) {
    if (err instanceof DataLossError) throw err;
    throw new DataLossError(`${what}: the compressed data is damaged (${(err as Error).message})`);
  }
  if (stopAfter === Infinity && (!ended || got !== e.size))
    throw new DataLossError(`${what}: the member inflates to ${got} bytes, its declared size is ${e.size}`);
  return got;
}

function defaultMaxBytes(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TFG_NPZ_MAX_BYTES;
  const v = env === undefined ? NaN : Number(env);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_NPZ_MAX_BYTES;
}

/** Read every `.npy` member of an `.npz` archive (stored or deflated), within `maxBytes`. */
export function readNpz(bytes: Uint8Array, what = '.npz', opts: ReadNpzOptions = {}): Map<string, Tensor> {
  const maxBytes = opts.maxBytes ?? defaultMaxBytes();
  const members = zipEntries(bytes, what).filter((e) => !e.name.endsWith('/'));
  const declared = members.reduce((a, e) => a + e.size, 0);
  if (declared > maxBytes) {
    throw new ResourceExhaustedError(
      `${what}: the archive's members inflate to ${declared} bytes, more than the limit of ${maxBytes} bytes (readNpz maxBytes, or the environment variable TFG_NPZ_MAX_BYTES)`,
    );
  }
  const out = new Map<string, Tensor>();
  for (const e of [...members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const key = e.name.endsWith('.npy') ? e.name.slice(0, -4) : e.name;
    const where = `${what}[${key}]`;
    // The .npy header first, inflated alone: it must describe exactly the declared size.
    const head = new Uint8Array(Math.min(e.size, MAX_NPY_HEADER_BYTES));
    const got = inflateMember(e, head, where, head.length);
    const h = readNpyHeader(head.subarray(0, Math.min(got, head.length)), where);
    const need = h.dataOffset + sizeOf(h.shape) * elementBytes(h.kind);
    if (need !== e.size)
      throw new DataLossError(
        `${where}: the zip entry declares ${e.size} bytes, but its .npy header (shape (${h.shape.join(', ')}) of ${h.descr}) makes ${need}`,
      );
    const member = new Uint8Array(e.size);
    inflateMember(e, member, where);
    out.set(key, readNpy(member, where));
  }
  return out;
}

export interface WriteNpzOptions {
  /** Deflate members like `numpy.savez_compressed` (default false: stored, like `numpy.savez`). */
  compressed?: boolean;
}

/** Write named Tensors as an `.npz` archive readable by `numpy.load`. */
export function writeNpz(tensors: Map<string, Tensor> | Record<string, Tensor>, opts: WriteNpzOptions = {}): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const zip: Zippable = {};
  for (const [name, t] of entries) {
    if (name === '' || name.includes('\0')) throw new InvalidArgumentError(`writeNpz: invalid member name ${JSON.stringify(name)}`);
    const file = `${name}.npy`;
    if (file in zip) throw new InvalidArgumentError(`writeNpz: duplicate member name ${JSON.stringify(name)}`);
    zip[file] = [writeNpy(t), { level: opts.compressed ? 6 : 0 }];
  }
  // A fixed timestamp keeps the archive bytes reproducible.
  return zipSync(zip, { mtime: new Date(1980, 0, 1) });
}
