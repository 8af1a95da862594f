/**
 * @fileoverview TensorBoard event files (TF's core/util/event.proto + TFRecord framing),
 * browser-safe: CRC32C (Castagnoli), the masked CRC, TFRecord records
 * `uint64 len | uint32 masked_crc(len) | data | uint32 masked_crc(data)`, and the `Event`,
 * `Summary`, `Summary.Value` (scalars and `HistogramProto` histograms) messages encoded and
 * decoded with protobufjs, and the `GraphDef` an Event's `graph_def` carries (NodeDef,
 * AttrValue, TensorProto, TensorShapeProto; built from the IR by compiler/emit/graphdef.ts). Records are read one
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
    if (dv.getUint32(8, true) !== maskCrc(crc32c(head.subarray(0, 8))))
      throw new DataLossError(`${what}: corrupted record at offset ${p}: length CRC mismatch`);
    if (len64 > BigInt(s.size - p - 16)) throw new DataLossError(`${what}: truncated record at offset ${p}: needs ${len64} bytes of data`);
    const len = Number(len64);
    const body = s.read(p + 12, len + 4);
    const data = body.subarray(0, len);
    if (new DataView(body.buffer, body.byteOffset + len, 4).getUint32(0, true) !== maskCrc(crc32c(data)))
      throw new DataLossError(`${what}: corrupted record at offset ${p}: data CRC mismatch`);
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
enum DataType {
  DT_INVALID = 0;
  DT_FLOAT = 1;
  DT_DOUBLE = 2;
  DT_INT32 = 3;
  DT_STRING = 7;
  DT_INT64 = 9;
  DT_BOOL = 10;
}
message TensorShapeProto {
  message Dim {
    int64 size = 1;
    string name = 2;
  }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}
message TensorProto {
  DataType dtype = 1;
  TensorShapeProto tensor_shape = 2;
  int32 version_number = 3;
  bytes tensor_content = 4;
  repeated float float_val = 5;
  repeated double double_val = 6;
  repeated int32 int_val = 7;
  repeated bytes string_val = 8;
  repeated bool bool_val = 11;
}
message AttrValue {
  message ListValue {
    repeated bytes s = 2;
    repeated int64 i = 3;
    repeated float f = 4;
    repeated bool b = 5;
    repeated DataType type = 6;
    repeated TensorShapeProto shape = 7;
    repeated TensorProto tensor = 8;
  }
  oneof value {
    bytes s = 2;
    int64 i = 3;
    float f = 4;
    bool b = 5;
    DataType type = 6;
    TensorShapeProto shape = 7;
    TensorProto tensor = 8;
    ListValue list = 1;
  }
}
message NodeDef {
  string name = 1;
  string op = 2;
  repeated string input = 3;
  string device = 4;
  map<string, AttrValue> attr = 5;
}
message VersionDef {
  int32 producer = 1;
  int32 min_consumer = 2;
  repeated int32 bad_consumers = 3;
}
message GraphDef {
  repeated NodeDef node = 1;
  VersionDef versions = 4;
}
message HistogramProto {
  double min = 1;
  double max = 2;
  double num = 3;
  double sum = 4;
  double sum_squares = 5;
  repeated double bucket_limit = 6;
  repeated double bucket = 7;
}
message Summary {
  message Value {
    string node_name = 7;
    string tag = 1;
    oneof value {
      float simple_value = 2;
      bytes obsolete_old_style_histogram = 3;
      HistogramProto histo = 5;
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
const GraphDefType = root.lookupType('tensorflow.GraphDef');

// ---- GraphDef (tensorflow/core/framework/graph.proto, node_def.proto, attr_value.proto, tensor.proto) ----

/** The TF DataType enum values tfg writes (types.proto). */
export type TfDataType = 'DT_FLOAT' | 'DT_DOUBLE' | 'DT_INT32' | 'DT_STRING' | 'DT_INT64' | 'DT_BOOL';

/** TensorShapeProto: a dim of size -1 is unknown; `unknown_rank` for a shape of unknown rank. */
export interface TensorShapeJson {
  dim?: { size: number; name?: string }[];
  unknown_rank?: boolean;
}

/** TensorProto: the values either as `tensor_content` (little-endian bytes) or in a typed `*_val` list (a short list repeats its last value). */
export interface TensorProtoJson {
  dtype: TfDataType;
  tensor_shape: TensorShapeJson;
  tensor_content?: Uint8Array;
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  bool_val?: boolean[];
  string_val?: (string | Uint8Array)[];
}

/** AttrValue: exactly one of its fields (`s` strings are written as UTF-8 bytes). */
export type AttrValueJson =
  | { s: string | Uint8Array }
  | { i: number }
  | { f: number }
  | { b: boolean }
  | { type: TfDataType }
  | { shape: TensorShapeJson }
  | { tensor: TensorProtoJson }
  | {
      list: {
        s?: (string | Uint8Array)[];
        i?: number[];
        f?: number[];
        b?: boolean[];
        type?: TfDataType[];
        shape?: TensorShapeJson[];
        tensor?: TensorProtoJson[];
      };
    };

/** NodeDef: inputs are `node` (output 0), `node:k`, or `^node` (a control input, after the data inputs). */
export interface NodeDefJson {
  name: string;
  op: string;
  input: string[];
  device?: string;
  attr: Record<string, AttrValueJson>;
}

export interface GraphDefJson {
  node: NodeDefJson[];
  versions?: { producer: number; min_consumer?: number };
}

const utf8 = new TextEncoder();
const toBytes = (s: string | Uint8Array): Uint8Array => (typeof s === 'string' ? utf8.encode(s) : s);

function tensorForProto(t: TensorProtoJson): Record<string, unknown> {
  return t.string_val ? { ...t, string_val: t.string_val.map(toBytes) } : { ...t };
}

function attrForProto(a: AttrValueJson): Record<string, unknown> {
  if ('s' in a) return { s: toBytes(a.s) };
  if ('tensor' in a) return { tensor: tensorForProto(a.tensor) };
  if ('list' in a) {
    const l = a.list;
    return { list: { ...l, ...(l.s ? { s: l.s.map(toBytes) } : {}), ...(l.tensor ? { tensor: l.tensor.map(tensorForProto) } : {}) } };
  }
  return a;
}

/**
 * Serialise a GraphDef. Attributes are written in key order (as TF's deterministic serialisation
 * does), so the same graph gives the same bytes.
 */
export function encodeGraphDef(g: GraphDefJson): Uint8Array {
  const node = g.node.map((n) => ({
    name: n.name,
    op: n.op,
    input: n.input,
    device: n.device ?? '',
    attr: Object.fromEntries(
      Object.keys(n.attr)
        .sort()
        .map((k) => [k, attrForProto(n.attr[k])]),
    ),
  }));
  return GraphDefType.encode(GraphDefType.fromObject({ node, ...(g.versions ? { versions: g.versions } : {}) })).finish();
}

// ---- histograms (tensorflow/core/lib/histogram/histogram.cc, the HistogramSummary kernel) ----

/** HistogramProto: min, max, num, sum, sum_squares and the parallel bucket_limit / bucket arrays. */
export interface HistogramData {
  min: number;
  max: number;
  num: number;
  sum: number;
  sum_squares: number;
  /** Right edges of the buckets (bucket i covers [bucket_limit[i-1], bucket_limit[i]), bucket 0 from -DBL_MAX). */
  bucket_limit: number[];
  /** Counts. */
  bucket: number[];
}

/** A decoded Event, limited to what tfg writes and reads. */
export interface EventRecord {
  wall_time: number;
  step: number;
  file_version?: string;
  /** A serialised GraphDef (TF1's FileWriter(graph=...) / add_graph). */
  graph_def?: Uint8Array;
  summary?: { value: Array<{ tag: string; simple_value?: number; histo?: HistogramData }> };
}

/** Serialise an Event message (no framing). */
export function encodeEvent(e: EventRecord): Uint8Array {
  const msg = EventType.fromObject({ ...e, step: e.step });
  return EventType.encode(msg).finish();
}

const HISTO_KEYS = ['min', 'max', 'num', 'sum', 'sum_squares'] as const;

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
  const raw = m as unknown as Record<string, unknown>;
  // Oneof members are own properties of a decoded message only when present.
  const has = (x: object, k: string): boolean => Object.prototype.hasOwnProperty.call(x, k);
  if (has(raw, 'file_version')) out.file_version = o.file_version as string;
  if (has(raw, 'graph_def')) out.graph_def = raw.graph_def as Uint8Array;
  type RawValue = { tag: string; simple_value?: number | null; histo?: Record<string, unknown> | null };
  const summary = raw.summary as { value: RawValue[] } | undefined;
  if (summary) {
    out.summary = {
      value: summary.value.map((v) => {
        if (has(v, 'simple_value') && v.simple_value != null) return { tag: v.tag, simple_value: v.simple_value };
        if (has(v, 'histo') && v.histo != null) {
          const h = v.histo;
          const histo = Object.fromEntries(HISTO_KEYS.map((k) => [k, (h[k] as number | undefined) ?? 0])) as unknown as HistogramData;
          histo.bucket_limit = [...((h.bucket_limit as number[] | undefined) ?? [])];
          histo.bucket = [...((h.bucket as number[] | undefined) ?? [])];
          return { tag: v.tag, histo };
        }
        return { tag: v.tag };
      }),
    };
  }
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

/** A framed Event holding histogram summaries (one Summary.Value with `histo` per tag). */
export function histogramEvent(values: Array<{ tag: string; histo: HistogramData }>, step: number, wallTime: number): Uint8Array {
  return frameRecord(encodeEvent({ wall_time: wallTime, step, summary: { value: values.map((v) => ({ tag: v.tag, histo: v.histo })) } }));
}

/** A framed Event holding a serialised GraphDef, as TF1's FileWriter writes its `graph` (step 0). */
export function graphEvent(graphDef: Uint8Array, wallTime: number): Uint8Array {
  return frameRecord(encodeEvent({ wall_time: wallTime, step: 0, graph_def: graphDef }));
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
      for (const v of e.summary?.value ?? [])
        if (v.simple_value !== undefined) out.push({ tag: v.tag, step: e.step, value: v.simple_value, wallTime: e.wall_time });
    }
  } catch (e) {
    if (!(e instanceof DataLossError) || !opts.onDamage) throw e;
    opts.onDamage(e, out.length);
  }
  return out;
}
