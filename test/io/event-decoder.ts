/**
 * @fileoverview An event-file decoder written independently of session/io/events.ts (no
 * protobufjs, no shared CRC code): bitwise CRC32C, TFRecord framing with both masked CRCs
 * checked, and hand-rolled protobuf wire parsing of Event / Summary / Summary.Value.
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

export interface DecodedValue {
  tag: string;
  simpleValue?: number;
}
export interface DecodedEvent {
  wallTime?: number;
  step?: bigint;
  fileVersion?: string;
  summary?: DecodedValue[];
}

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

function decodeValue(buf: Uint8Array): DecodedValue {
  const r = new Reader(buf);
  const v: DecodedValue = { tag: '' };
  r.fields((f, w) => {
    if (f === 1 && w === 2) v.tag = utf8(r.bytes());
    else if (f === 2 && w === 5) v.simpleValue = r.fixed(4).getFloat32(0, true);
    else return false;
    return true;
  });
  return v;
}

export function decodeEventMessage(buf: Uint8Array): DecodedEvent {
  const r = new Reader(buf);
  const e: DecodedEvent = {};
  r.fields((f, w) => {
    if (f === 1 && w === 1) e.wallTime = r.fixed(8).getFloat64(0, true);
    else if (f === 2 && w === 0) e.step = BigInt.asIntN(64, r.varint());
    else if (f === 3 && w === 2) e.fileVersion = utf8(r.bytes());
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
