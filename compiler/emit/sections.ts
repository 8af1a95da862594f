/**
 * @fileoverview Custom sections appended to a module's bytes in JavaScript.
 *
 * binaryen.js's `addCustomSection` copies the contents onto emscripten's stack (about 5 MiB), so a
 * large manifest or constant region overflowed it (`RuntimeError: memory access out of bounds`,
 * `RangeError: offset is out of bounds`). binaryen emits the module without them; the sections
 * are appended here. A custom section may follow any section (the loader reads them with
 * `WebAssembly.Module.customSections`):
 *
 * ```
 * section  = 0x00 (id) · u32 LEB128 size · name · payload
 * name     = u32 LEB128 length · UTF-8 bytes
 * ```
 * Input: module bytes and named payloads. Output: new module bytes.
 */

/** The most bytes one module may have: V8's limit on a module it compiles (1 GiB, `kV8MaxWasmModuleSize`). */
export const MAX_MODULE_BYTES = 1024 * 1024 * 1024;

/** A module would exceed `MAX_MODULE_BYTES`. */
export class ModuleSizeError extends RangeError {
  override get name(): string {
    return 'ModuleSizeError';
  }
}

export interface CustomSection {
  name: string;
  payload: Uint8Array;
}

/** Bytes of `n` (an unsigned 32-bit integer) as unsigned LEB128. */
export function uleb128(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`LEB128 u32 out of range: ${n}`);
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** The encoded bytes of one custom section (id, size, name, payload). */
function header(s: CustomSection): { head: Uint8Array; size: number } {
  const name = new TextEncoder().encode(s.name);
  const nameLen = uleb128(name.length);
  const content = nameLen.length + name.length + s.payload.length;
  const head = new Uint8Array([0, ...uleb128(content), ...nameLen, ...name]);
  return { head, size: head.length + s.payload.length };
}

/**
 * `wasm` with `sections` appended, in order. Throws `ModuleSizeError` (naming the sizes) when the
 * result would be larger than a WebAssembly engine compiles.
 */
export function appendCustomSections(wasm: Uint8Array, sections: readonly CustomSection[]): Uint8Array<ArrayBuffer> {
  const parts = sections.map((s) => ({ s, ...header(s) }));
  const total = parts.reduce((a, p) => a + p.size, wasm.length);
  if (total > MAX_MODULE_BYTES) {
    const what = parts.map((p) => `'${p.s.name}' ${p.s.payload.length} bytes`).join(', ');
    throw new ModuleSizeError(
      `the module would have ${total} bytes (code ${wasm.length} bytes; sections ${what}), more than the ${MAX_MODULE_BYTES} bytes a WebAssembly engine compiles`,
    );
  }
  const out = new Uint8Array(total);
  out.set(wasm, 0);
  let off = wasm.length;
  for (const p of parts) {
    out.set(p.head, off);
    off += p.head.length;
    out.set(p.s.payload, off);
    off += p.s.payload.length;
  }
  return out;
}

function readU32(b: Uint8Array, at: number): [value: number, next: number] {
  let v = 0;
  let shift = 0;
  for (let i = at; i < b.length; i++) {
    const x = b[i]!;
    v += (x & 0x7f) * 2 ** shift;
    shift += 7;
    if ((x & 0x80) === 0) return [v, i + 1];
  }
  throw new RangeError('truncated wasm module (LEB128)');
}

/** A signed LEB128 (an i32.const's immediate) at `at`: its value and the next position. */
function readS32(b: Uint8Array, at: number): [value: number, next: number] {
  let v = 0;
  let shift = 0;
  for (let i = at; i < b.length; i++) {
    const x = b[i]!;
    v |= (x & 0x7f) << shift;
    shift += 7;
    if ((x & 0x80) === 0) return [shift < 32 && x & 0x40 ? v | (~0 << shift) : v, i + 1];
  }
  throw new RangeError('truncated wasm module (LEB128)');
}

/**
 * The module without the active data segments at a constant address that no constant of its
 * code points into or just below (`margin` bytes: a base address minus a small offset; a
 * constant at a segment's end is the next one's start): static tables only the removed
 * functions read (the runtime's math tables, for a model that calls its matmul alone). A segment
 * of another form (passive, or at a computed address) is kept; so is any segment a constant
 * comes near, so a doubt keeps the data. The data-count section follows the new count.
 */
export function dropUnreferencedData(wasm: Uint8Array, constants: ReadonlySet<number>, margin = 64): Uint8Array<ArrayBuffer> {
  const near = (start: number, end: number): boolean => {
    for (const c of constants) if (c >= start - margin && c < end) return true;
    return false;
  };
  let at = 8;
  let dataAt = -1;
  let countAt = -1;
  while (at < wasm.length) {
    const id = wasm[at]!;
    const [size, body] = readU32(wasm, at + 1);
    if (id === 11) dataAt = at;
    if (id === 12) countAt = at;
    at = body + size;
  }
  if (dataAt < 0) return wasm.slice();
  const [size, body] = readU32(wasm, dataAt + 1);
  const [count, first] = readU32(wasm, body);
  const kept: Uint8Array[] = [];
  let p = first;
  for (let k = 0; k < count; k++) {
    const start = p;
    const flag = wasm[p]!;
    let keep = true;
    if (flag === 0 && wasm[p + 1] === 0x41) {
      const [offset, q] = readS32(wasm, p + 2);
      if (wasm[q] !== 0x0b) throw new RangeError('unexpected data segment offset expression');
      const [len, d] = readU32(wasm, q + 1);
      p = d + len;
      keep = near(offset, offset + len);
    } else {
      // passive (1) or with a memory index / computed offset (2): skip it whole, keep it
      let q = p + 1;
      if (flag === 2) q = readU32(wasm, q)[1];
      if (flag !== 1) {
        while (wasm[q] !== 0x0b) q++;
        q++;
      }
      const [len, d] = readU32(wasm, q);
      p = d + len;
    }
    if (keep) kept.push(wasm.subarray(start, p));
  }
  if (kept.length === count) return wasm.slice();
  const payload = [...uleb128(kept.length)];
  const bodyLen = payload.length + kept.reduce((a, s) => a + s.length, 0);
  const section = [11, ...uleb128(bodyLen)];
  const parts: Uint8Array[] = [];
  let from = 0;
  const cut = (start: number, end: number, replacement: Uint8Array | null): void => {
    parts.push(wasm.subarray(from, start));
    if (replacement) parts.push(replacement);
    from = end;
  };
  const ends = (s: number): number => {
    const [n, b] = readU32(wasm, s + 1);
    return b + n;
  };
  // Sections in order: the data count (12) comes before the code and the data section.
  if (countAt >= 0) cut(countAt, ends(countAt), new Uint8Array([12, ...uleb128(uleb128(kept.length).length), ...uleb128(kept.length)]));
  const data = new Uint8Array(section.length + bodyLen);
  data.set(section, 0);
  data.set(payload, section.length);
  let o = section.length + payload.length;
  for (const s of kept) {
    data.set(s, o);
    o += s.length;
  }
  cut(dataAt, body + size, data);
  parts.push(wasm.subarray(from));
  const out = new Uint8Array(parts.reduce((a, x) => a + x.length, 0));
  let w = 0;
  for (const x of parts) {
    out.set(x, w);
    w += x.length;
  }
  return out;
}
