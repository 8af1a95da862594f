/**
 * @fileoverview Node-only access to the built runtime: where `npm run build:runtime` wrote
 * `runtime-as/build/runtime.wasm` (found from this file, in `runtime-as/` or `dist/runtime-as/`),
 * and reading it with a clear error when it was not built.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `simd`: plain WebAssembly SIMD (default, bit-exact everywhere); `relaxed`: f32x4.relaxed_madd. */
export type RuntimeVariant = 'simd' | 'relaxed';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('tfg: cannot find package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** Absolute path of the built runtime wasm. */
export function runtimeWasmPath(variant: RuntimeVariant = 'simd'): string {
  return join(packageRoot(), 'runtime-as', 'build', variant === 'relaxed' ? 'runtime-relaxed.wasm' : 'runtime.wasm');
}

const cache = new Map<RuntimeVariant, Uint8Array<ArrayBuffer>>();

/** The runtime's bytes (read once per process); throws a clear error when it has not been built. */
export function readRuntimeWasm(variant: RuntimeVariant = 'simd'): Uint8Array<ArrayBuffer> {
  const have = cache.get(variant);
  if (have) return have;
  const p = runtimeWasmPath(variant);
  if (!existsSync(p)) throw new Error(`tfg runtime not built: ${p} is missing (run \`npm run build\` or \`npm run build:runtime\`)`);
  const bytes = new Uint8Array(readFileSync(p));
  cache.set(variant, bytes);
  return bytes;
}
