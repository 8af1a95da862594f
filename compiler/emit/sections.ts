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
