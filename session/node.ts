/**
 * @fileoverview `tfg/node`: the loader for Node — everything of `tfg/loader`, plus synchronous
 * loading (`loadModelSync`), `loadModelFile(path)` (reads `<path>`, and `<path minus
 * .wasm>.manifest.json` when the module carries no manifest section), and the file formats
 * (`.npy`, `.npz`, safetensors, CSV) and checkpoint helpers.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { LoadOptions, Model } from './wasm/model.js';
import { loadModelSync as loadSync } from './wasm/sync.js';
import { readRuntimeWasm } from '../runtime-as/node.js';
import { type Manifest, MANIFEST_SECTION } from './wasm/manifest.js';
import './node/threads.js';

export * from './index.js';
export { readNpy, writeNpy } from './io/npy.js';
export { readNpz, writeNpz } from './io/npz.js';
export { readSafetensors, writeSafetensors } from './io/safetensors.js';
export { Saver } from './node/saver.js';
export { CheckpointManager } from './node/checkpoint.js';

/** `loadModelSync` that takes the package's runtime for a model compiled without it. */
export function loadModelSync(wasm: BufferSource, opts: LoadOptions = {}): Model {
  return loadSync(wasm, {
    ...opts,
    runtime: opts.runtime ?? readRuntimeWasm(),
    ...(opts.fastMath ? { relaxedRuntime: opts.relaxedRuntime ?? readRuntimeWasm('relaxed') } : {}),
  });
}

/** Load `<path>.wasm` (and its `.manifest.json` beside it when the module has no manifest section). */
export function loadModelFile(path: string, opts: LoadOptions = {}): Model {
  const bytes = readFileSync(path);
  let manifest: Manifest | undefined;
  const mod = new WebAssembly.Module(bytes);
  if (WebAssembly.Module.customSections(mod, MANIFEST_SECTION).length === 0) {
    const side = path.replace(/\.wasm$/, '') + '.manifest.json';
    if (existsSync(side)) manifest = JSON.parse(readFileSync(side, 'utf8')) as Manifest;
  }
  return loadModelSync(bytes, { ...opts, ...(manifest ? { manifest } : {}) });
}
export { formatTensor } from './format.js';
