/**
 * @fileoverview `tfg/loader`: the browser-safe loader. Load a compiled model and run sessions on
 * it. No Node built-ins, no dependencies; never imports compiler/. (`tfg/node` adds file
 * loading and synchronous loading; `tfg` is the compiler.)
 *
 * ```ts
 * import { loadModel } from 'tfg/loader';
 * const model = await loadModel('/models/mnist_mlp.wasm');   // streams; manifest and runtime embedded
 * const sess = model.createSession();
 * await sess.restore('/models/mnist_mlp.safetensors');       // weights apart (or baked in)
 * const probs = sess.run('dnn/outputs/probs:0', { 'X:0': pixels }); // a Tensor
 * ```
 */
export { Model, WasmSession, loadModel, type LoadOptions, type WasmFeedValue, type WasmFeeds, type WasmSessionOptions, type ByteSource } from './wasm/model.js';
export { MANIFEST_VERSION, type Manifest, validateManifest, ManifestError } from './wasm/manifest.js';
export { Tensor, type NestedValue, fromNested } from './tensor.js';
export type { Session, SessionFeeds, Backend } from './session.js';
export type { DType } from './dtype.js';
export * from './errors.js';
