/**
 * @fileoverview Browser entry of the tfg loader: load a compiled model and run sessions on it.
 * No Node built-ins; never imports compiler/. (`session/node.ts` adds file loading.)
 *
 * ```ts
 * const model = await loadModel(wasmBytes);          // manifest and runtime embedded
 * const sess = model.createSession();
 * sess.run(['init'], {});
 * const y = sess.run('y:0', { 'x:0': [[1, 2, 3]] }); // a Tensor
 * ```
 */
export { Model, WasmSession, loadModel, loadModelSync, type LoadOptions, type WasmFeedValue, type WasmFeeds, type WasmSessionOptions } from './wasm/model.js';
export { MANIFEST_VERSION, type Manifest, validateManifest, ManifestError } from './wasm/manifest.js';
export { Tensor, type NestedValue, fromNested } from './tensor.js';
export type { DType } from './dtype.js';
export * from './errors.js';
