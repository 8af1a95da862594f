/**
 * @fileoverview TensorBoard event files (TF's core/util/event.proto + TFRecord framing),
 * browser-safe: CRC32C (Castagnoli), the masked CRC, TFRecord records
 * `uint64 len | uint32 masked_crc(len) | data | uint32 masked_crc(data)`, and the `Event`,
 * `Summary`, `Summary.Value` messages encoded and decoded with protobufjs. Records are read one
 * at a time from a `RecordSource`, so readers can stop at a damaged record and keep what came
 * before it (as TensorBoard does with a truncated event file).
 */
import protobuf from 'protobufjs';
import { DataLossError } from '../errors.js';

// ---- CRC32C (Castagnoli), reflected polynomial 0x82F63B78, table-driven ----

const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC32C of `data` (check value: crc32c("123456789") = 0xe3069283). */
export function crc32c(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

const MASK_DELTA = 0xa282ead8;

/** TF's crc32c::Mask: rotate right by 15 and add a constant (mod 2^32). */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

/** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(data.length), true);
  dv.setUint32(8, maskCrc(crc32c(out.subarray(0, 8))), true);
  out.set(data, 12);
  dv.setUint32(12 + data.length, maskCrc(crc32c(data)), true);
  return out;
}

/** Random access to the bytes of a record file: a buffer, or (session/node/files.ts) a file read piece by piece. */
export interface RecordSource {
  readonly size: number;
  /** `length` bytes from `offset` (within `size`). */
  read(offset: number, length: number): Uint8Array;
}

/** A RecordSource over bytes in memory. */
export function bytesSource(bytes: Uint8Array): RecordSource {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/**
 * The records of a TFRecord file in order, both CRCs of each checked, read one at a time (a file
 * of any size costs the memory of its largest record); a DataLossError at the first damage.
 */
export function* iterateRecords(src: RecordSource | Uint8Array, what = 'TFRecord file'): Generator<Uint8Array> {
  const s = src instanceof Uint8Array ? bytesSource(src) : src;
  let p = 0;
  while (p < s.size) {
    if (s.size - p < 12) throw new DataLossError(`${what}: truncated record header at offset ${p}`);
    const head = s.read(p, 12);
    const dv = new DataView(head.buffer, head.byteOffset, 12);
    const len64 = dv.getBigUint64(0, true);
    if (dv.getUint32(8, true) !== maskCrc(crc32c(head.subarray(0, 8)))) throw new DataLossError(`${what}: corrupted record at offset ${p}: length CRC mismatch`);
    if (len64 > BigInt(s.size - p - 16)) throw new DataLossError(`${what}: truncated record at offset ${p}: needs ${len64} bytes of data`);
    const len = Number(len64);
    const body = s.read(p + 12, len + 4);
    const data = body.subarray(0, len);
    if (new DataView(body.buffer, body.byteOffset + len, 4).getUint32(0, true) !== maskCrc(crc32c(data))) throw new DataLossError(`${what}: corrupted record at offset ${p}: data CRC mismatch`);
    yield data;
    p += 16 + len;
  }
}

/** Split a TFRecord file into its records, checking both CRCs of each. */
export function readRecords(bytes: Uint8Array, what = 'TFRecord file'): Uint8Array[] {
  return [...iterateRecords(bytes, what)];
}

// ---- messages (field numbers from tensorflow/core/framework/summary.proto and core/util/event.proto) ----

const PROTO = `
syntax = "proto3";
package tensorflow;
message Summary {
  message Value {
    string node_name = 7;
    string tag = 1;
    oneof value {
      float simple_value = 2;
      bytes obsolete_old_style_histogram = 3;
    }
  }
  repeated Value value = 1;
}
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
  }
}
`;

const root = protobuf.parse(PROTO, { keepCase: true }).root;
const EventType = root.lookupType('tensorflow.Event');

/** A decoded Event, limited to what tfg writes and reads. */
export interface EventRecord {
  wall_time: number;
  step: number;
  file_version?: string;
  summary?: { value: Array<{ tag: string; simple_value?: number }> };
}

/** Serialise an Event message (no framing). */
export function encodeEvent(e: EventRecord): Uint8Array {
  const msg = EventType.fromObject({ ...e, step: e.step });
  return EventType.encode(msg).finish();
}

/** Decode an Event message. int64 steps beyond 2^53 lose precision. */
export function decodeEvent(bytes: Uint8Array, what = 'event'): EventRecord {
  let m: protobuf.Message;
  try {
    m = EventType.decode(bytes);
  } catch (e) {
    throw new DataLossError(`${what}: malformed Event message (${(e as Error).message})`);
  }
  const o = EventType.toObject(m, { longs: Number, defaults: true, oneofs: false }) as Record<string, unknown>;
  const out: EventRecord = { wall_time: o.wall_time as number, step: o.step as number };
  if ((m as unknown as Record<string, unknown>).file_version != null) out.file_version = o.file_version as string;
  const summary = (m as unknown as { summary?: { value: Array<{ tag: string; simple_value?: number | null }> } }).summary;
  if (summary) out.summary = { value: summary.value.map((v) => (v.simple_value != null ? { tag: v.tag, simple_value: v.simple_value } : { tag: v.tag })) };
  return out;
}

/** The first record of every event file. */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return frameRecord(encodeEvent({ wall_time: wallTime, step: 0, file_version: 'brain.Event:2' }));
}

/** A framed Event holding scalar summaries. */
export function scalarEvent(values: Array<{ tag: string; value: number }>, step: number, wallTime: number): Uint8Array {
  return frameRecord(encodeEvent({ wall_time: wallTime, step, summary: { value: values.map((v) => ({ tag: v.tag, simple_value: v.value })) } }));
}

/** A scalar read back from an event file. */
export interface ScalarPoint {
  tag: string;
  step: number;
  value: number;
  wallTime: number;
}

export interface ReadEventsOptions {
  /**
   * Called with the damage (a truncated or corrupted record, a malformed Event) when the file has
   * some: the scalars before it are returned, as TensorBoard reads a file up to its damage.
   * Without it the damage is thrown.
   */
  onDamage?: (error: DataLossError, scalarsRead: number) => void;
}

/** Every simple_value in an event file, in file order (CRCs checked). */
export function readScalarEvents(src: RecordSource | Uint8Array, what = 'event file', opts: ReadEventsOptions = {}): ScalarPoint[] {
  const out: ScalarPoint[] = [];
  let i = 0;
  try {
    for (const rec of iterateRecords(src, what)) {
      const e = decodeEvent(rec, `${what}: record ${i++}`);
      for (const v of e.summary?.value ?? []) if (v.simple_value !== undefined) out.push({ tag: v.tag, step: e.step, value: v.simple_value, wallTime: e.wall_time });
    }
  } catch (e) {
    if (!(e instanceof DataLossError) || !opts.onDamage) throw e;
    opts.onDamage(e, out.length);
  }
  return out;
}
