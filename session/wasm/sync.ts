/**
 * @fileoverview Loading a model synchronously from bytes (Node, workers, tests): the same as
 * model.ts's `loadModel`, with the generic path's code linked in statically.
 */
import { embeddedRuntime } from '../../runtime-as/abi.js';
import { runGeneric } from './generic.js';
import { type LoadOptions, Model, noRuntime, readModel } from './model.js';

/** Load a model synchronously from bytes; `opts.runtime` must be bytes here. */
export function loadModelSync(wasm: BufferSource, opts: LoadOptions = {}): Model {
  const mod = new WebAssembly.Module(wasm);
  const { manifest, consts } = readModel(mod, opts.manifest);
  const rt = embeddedRuntime(mod) ?? (opts.runtime as BufferSource | undefined) ?? noRuntime();
  return new Model(mod, new WebAssembly.Module(rt), manifest, consts, manifest.generic !== null ? runGeneric : null);
}
