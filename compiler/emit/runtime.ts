/**
 * @fileoverview The runtime a model embeds: only what it calls. The AssemblyScript runtime
 * (runtime-as/build/runtime.wasm) exports every kernel; a model imports a few. Its `tfg.runtime`
 * section holds the runtime with the other exports removed and what they alone reached dropped
 * (codegen/module.ts `keepExports`: binaryen's remove-unused-module-elements, no optimisation, so
 * each kept kernel is the same code), and the static data segments no kept code points into
 * (the math tables, for a model calling only matmuls: sections.ts `dropUnreferencedData`) are
 * left out. What is kept is `runtimeExportsFor` (runtime-as/abi.ts):
 * the imported kernels, `ABI_VERSION` for the loader's check, and the part kernels threads split
 * matmuls with. (The loader's random ops draw normals with fdlibm in JavaScript, session/random.ts,
 * so a module with a random initializer carries no log/sin/cos or their tables.)
 *
 * Input: the runtime's bytes and the kernels the model imports. Output: the runtime to embed.
 */
import { runtimeExportsFor } from '../../runtime-as/abi.js';
import { keepExports } from '../codegen/module.js';
import { dropUnreferencedData } from './sections.js';

/** Subsets made so far, per runtime (the host hands out one bytes object) and kernel set. */
const made = new WeakMap<Uint8Array, Map<string, Uint8Array>>();

/** The part of `runtime` a model importing `kernels` calls (see the file comment). */
export function runtimeFor(runtime: Uint8Array, kernels: readonly string[]): Uint8Array {
  const keep = runtimeExportsFor(kernels);
  const key = [...keep].sort().join(',');
  let byKeep = made.get(runtime);
  if (!byKeep) made.set(runtime, (byKeep = new Map()));
  let out = byKeep.get(key);
  if (!out) {
    const sub = keepExports(runtime, keep);
    byKeep.set(key, (out = dropUnreferencedData(sub.bytes, sub.constants)));
  }
  return out;
}
