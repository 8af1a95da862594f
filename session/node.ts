/**
 * @fileoverview Node entry of the tfg loader: everything of the browser entry plus
 * `loadModelFile(path)` (reads `<path>`, and `<path minus .wasm>.manifest.json` when the module
 * carries no manifest section).
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadModelSync, type LoadOptions, type Model } from './wasm/model.js';
import { type Manifest, MANIFEST_SECTION } from './wasm/manifest.js';

export * from './index.js';

export function loadModelFile(path: string, opts: LoadOptions = {}): Model {
  const bytes = readFileSync(path);
  let manifest: Manifest | undefined;
  const mod = new WebAssembly.Module(bytes);
  if (WebAssembly.Module.customSections(mod, MANIFEST_SECTION).length === 0) {
    const side = path.replace(/\.wasm$/, '') + '.manifest.json';
    if (existsSync(side)) manifest = JSON.parse(readFileSync(side, 'utf8')) as Manifest;
  }
  return loadModelSync(bytes, manifest, opts);
}
