/**
 * @fileoverview An event-file decoder written independently of session/io/events.ts (no
 * protobufjs, no shared CRC code): bitwise CRC32C, TFRecord framing with both masked CRCs
 * checked, and hand-rolled protobuf wire parsing of Event / Summary / Summary.Value (scalars and
 * HistogramProto), and of the GraphDef in an Event's graph_def (NodeDef, AttrValue with its
 * ListValue, TensorShapeProto, TensorProto, VersionDef). Field numbers from TF's event.proto,
 * summary.proto, graph.proto, node_def.proto, attr_value.proto, tensor.proto, tensor_shape.proto.
 */

/** Bitwise (table-free) CRC32C, polynomial 0x82F63B78 reflected. */
export function crc32cBitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function masked(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 0x100000000;
}

export interface DecodedHistogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}
export interface DecodedValue {
  tag: string;
  simpleValue?: number;
  histo?: DecodedHistogram;
}
export interface DecodedShape {
  /** null: unknown rank. */
  dims: number[] | null;
}
export interface DecodedTensor {
  dtype: number;
  shape: DecodedShape;
  content?: Uint8Array;
  floatVal: number[];
  doubleVal: number[];
  intVal: number[];
  boolVal: boolean[];
  stringVal: string[];
}
export interface DecodedAttr {
  s?: string;
  i?: bigint;
  f?: number;
  b?: boolean;
  type?: number;
  shape?: DecodedShape;
  tensor?: DecodedTensor;
  list?: { s: string[]; i: bigint[]; f: number[]; b: boolean[]; type: number[]; shape: DecodedShape[]; tensor: DecodedTensor[] };
}
export interface DecodedNode {
  name: string;
  op: string;
  input: string[];
  device: string;
  attr: Map<string, DecodedAttr>;
}
export interface DecodedGraph {
  node: DecodedNode[];
  producer?: number;
}
export interface DecodedEvent {
  wallTime?: number;
  step?: bigint;
  fileVersion?: string;
  /** The raw graph_def bytes (decodeGraphDef parses them). */
  graphDef?: Uint8Array;
  summary?: DecodedValue[];
}

/** TF's DataType enum numbers (types.proto). */
export const DT = { FLOAT: 1, DOUBLE: 2, INT32: 3, STRING: 7, INT64: 9, BOOL: 10 } as const;

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  byte(): number {
    if (this.pos >= this.buf.length) throw new Error(`protobuf: unexpected end at ${this.pos}`);
    return this.buf[this.pos++];
  }
  varint(): bigint {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (shift > 63n) throw new Error('protobuf: varint too long');
      const b = this.byte();
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  }
  fixed(n: number): DataView {
    if (this.pos + n > this.buf.length) throw new Error('protobuf: truncated fixed field');
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, n);
    this.pos += n;
    return dv;
  }
  bytes(): Uint8Array {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new Error('protobuf: truncated length-delimited field');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** Each (field number, wire type) in order; the callback consumes the value or we skip it. */
  fields(cb: (field: number, wire: number) => boolean): void {
    while (!this.done) {
      const key = Number(this.varint());
      const field = key >>> 3;
      const wire = key & 7;
      if (cb(field, wire)) continue;
      if (wire === 0) this.varint();
      else if (wire === 1) this.fixed(8);
      else if (wire === 2) this.bytes();
      else if (wire === 5) this.fixed(4);
      else throw new Error(`protobuf: unsupported wire type ${wire}`);
    }
  }
}

const utf8 = (b: Uint8Array) => new TextDecoder('utf-8', { fatal: true }).decode(b);

/** A repeated numeric field, packed (wire 2) or one element per key. */
function repeated<T>(r: Reader, wire: number, elemWire: number, read: (x: Reader) => T, into: T[]): void {
  if (wire === 2) {
    const p = new Reader(r.bytes());
    while (!p.done) into.push(read(p));
  } else if (wire === elemWire) into.push(read(r));
  else throw new Error(`protobuf: wire type ${wire} for a repeated field of wire type ${elemWire}`);
}
const f64 = (x: Reader) => x.fixed(8).getFloat64(0, true);
const f32 = (x: Reader) => x.fixed(4).getFloat32(0, true);
const i32 = (x: Reader) => Number(BigInt.asIntN(32, x.varint()));
const i64 = (x: Reader) => BigInt.asIntN(64, x.varint());
const bool = (x: Reader) => x.varint() !== 0n;

function decodeHistogram(buf: Uint8Array): DecodedHistogram {
  const r = new Reader(buf);
  const h: DecodedHistogram = { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] };
  const scalarKeys = ['', 'min', 'max', 'num', 'sum', 'sumSquares'] as const;
  r.fields((f, w) => {
    if (f >= 1 && f <= 5 && w === 1) (h as unknown as Record<string, number>)[scalarKeys[f]] = f64(r);
    else if (f === 6) repeated(r, w, 1, f64, h.bucketLimit);
    else if (f === 7) repeated(r, w, 1, f64, h.bucket);
    else return false;
    return true;
  });
  return h;
}

function decodeValue(buf: Uint8Array): DecodedValue {
  const r = new Reader(buf);
  const v: DecodedValue = { tag: '' };
  r.fields((f, w) => {
    if (f === 1 && w === 2) v.tag = utf8(r.bytes());
    else if (f === 2 && w === 5) v.simpleValue = r.fixed(4).getFloat32(0, true);
    else if (f === 5 && w === 2) v.histo = decodeHistogram(r.bytes());
    else return false;
    return true;
  });
  return v;
}

function decodeShape(buf: Uint8Array): DecodedShape {
  const r = new Reader(buf);
  const dims: number[] = [];
  let unknownRank = false;
  r.fields((f, w) => {
    if (f === 2 && w === 2) {
      const d = new Reader(r.bytes());
      let size = 0;
      d.fields((df, dw) => {
        if (df === 1 && dw === 0) size = Number(i64(d));
        else return false;
        return true;
      });
      dims.push(size);
    } else if (f === 3 && w === 0) unknownRank = bool(r);
    else return false;
    return true;
  });
  return { dims: unknownRank ? null : dims };
}

function decodeTensor(buf: Uint8Array): DecodedTensor {
  const r = new Reader(buf);
  const t: DecodedTensor = { dtype: 0, shape: { dims: [] }, floatVal: [], doubleVal: [], intVal: [], boolVal: [], stringVal: [] };
  r.fields((f, w) => {
    if (f === 1 && w === 0) t.dtype = i32(r);
    else if (f === 2 && w === 2) t.shape = decodeShape(r.bytes());
    else if (f === 4 && w === 2) t.content = r.bytes();
    else if (f === 5) repeated(r, w, 5, f32, t.floatVal);
    else if (f === 6) repeated(r, w, 1, f64, t.doubleVal);
    else if (f === 7) repeated(r, w, 0, i32, t.intVal);
    else if (f === 8 && w === 2) t.stringVal.push(utf8(r.bytes()));
    else if (f === 11) repeated(r, w, 0, bool, t.boolVal);
    else return false;
    return true;
  });
  return t;
}

function decodeAttr(buf: Uint8Array): DecodedAttr {
  const r = new Reader(buf);
  const a: DecodedAttr = {};
  r.fields((f, w) => {
    if (f === 2 && w === 2) a.s = utf8(r.bytes());
    else if (f === 3 && w === 0) a.i = i64(r);
    else if (f === 4 && w === 5) a.f = f32(r);
    else if (f === 5 && w === 0) a.b = bool(r);
    else if (f === 6 && w === 0) a.type = i32(r);
    else if (f === 7 && w === 2) a.shape = decodeShape(r.bytes());
    else if (f === 8 && w === 2) a.tensor = decodeTensor(r.bytes());
    else if (f === 1 && w === 2) {
      const l = new Reader(r.bytes());
      const list: NonNullable<DecodedAttr['list']> = { s: [], i: [], f: [], b: [], type: [], shape: [], tensor: [] };
      l.fields((lf, lw) => {
        if (lf === 2 && lw === 2) list.s.push(utf8(l.bytes()));
        else if (lf === 3) repeated(l, lw, 0, i64, list.i);
        else if (lf === 4) repeated(l, lw, 5, f32, list.f);
        else if (lf === 5) repeated(l, lw, 0, bool, list.b);
        else if (lf === 6) repeated(l, lw, 0, i32, list.type);
        else if (lf === 7 && lw === 2) list.shape.push(decodeShape(l.bytes()));
        else if (lf === 8 && lw === 2) list.tensor.push(decodeTensor(l.bytes()));
        else return false;
        return true;
      });
      a.list = list;
    } else return false;
    return true;
  });
  return a;
}

function decodeNode(buf: Uint8Array): DecodedNode {
  const r = new Reader(buf);
  const n: DecodedNode = { name: '', op: '', input: [], device: '', attr: new Map() };
  r.fields((f, w) => {
    if (f === 1 && w === 2) n.name = utf8(r.bytes());
    else if (f === 2 && w === 2) n.op = utf8(r.bytes());
    else if (f === 3 && w === 2) n.input.push(utf8(r.bytes()));
    else if (f === 4 && w === 2) n.device = utf8(r.bytes());
    else if (f === 5 && w === 2) {
      // map<string, AttrValue>: an entry message {key = 1, value = 2}
      const e = new Reader(r.bytes());
      let key = '';
      let value: DecodedAttr = {};
      e.fields((ef, ew) => {
        if (ef === 1 && ew === 2) key = utf8(e.bytes());
        else if (ef === 2 && ew === 2) value = decodeAttr(e.bytes());
        else return false;
        return true;
      });
      if (n.attr.has(key)) throw new Error(`NodeDef ${n.name}: attr ${key} twice`);
      n.attr.set(key, value);
    } else return false;
    return true;
  });
  return n;
}

/** Parse a serialised GraphDef. */
export function decodeGraphDef(buf: Uint8Array): DecodedGraph {
  const r = new Reader(buf);
  const g: DecodedGraph = { node: [] };
  r.fields((f, w) => {
    if (f === 1 && w === 2) g.node.push(decodeNode(r.bytes()));
    else if (f === 4 && w === 2) {
      const v = new Reader(r.bytes());
      v.fields((vf, vw) => {
        if (vf === 1 && vw === 0) g.producer = i32(v);
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  return g;
}

export function decodeEventMessage(buf: Uint8Array): DecodedEvent {
  const r = new Reader(buf);
  const e: DecodedEvent = {};
  r.fields((f, w) => {
    if (f === 1 && w === 1) e.wallTime = r.fixed(8).getFloat64(0, true);
    else if (f === 2 && w === 0) e.step = BigInt.asIntN(64, r.varint());
    else if (f === 3 && w === 2) e.fileVersion = utf8(r.bytes());
    else if (f === 4 && w === 2) e.graphDef = r.bytes();
    else if (f === 5 && w === 2) {
      const s = new Reader(r.bytes());
      e.summary = [];
      s.fields((sf, sw) => {
        if (sf === 1 && sw === 2) e.summary!.push(decodeValue(s.bytes()));
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  return e;
}

/** Split and verify TFRecords, then decode each Event. Throws on any CRC or framing error. */
export function decodeEventFile(bytes: Uint8Array): DecodedEvent[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: DecodedEvent[] = [];
  let p = 0;
  while (p < bytes.length) {
    if (p + 12 > bytes.length) throw new Error(`record at ${p}: truncated header`);
    const len = Number(dv.getBigUint64(p, true));
    if (dv.getUint32(p + 8, true) !== masked(crc32cBitwise(bytes.subarray(p, p + 8)))) throw new Error(`record at ${p}: bad length crc`);
    if (p + 12 + len + 4 > bytes.length) throw new Error(`record at ${p}: truncated data`);
    const data = bytes.subarray(p + 12, p + 12 + len);
    if (dv.getUint32(p + 12 + len, true) !== masked(crc32cBitwise(data))) throw new Error(`record at ${p}: bad data crc`);
    out.push(decodeEventMessage(data));
    p += 16 + len;
  }
  return out;
}
