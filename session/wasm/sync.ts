/**
 * @fileoverview Loading a model synchronously from bytes (Node, workers, tests): the same as
 * model.ts's `loadModel`, with the generic path's, the thread pool's and the random ops' code
 * linked in statically.
 */
import { embeddedRuntime, shareMemoryImport } from '../../runtime-as/abi.js';
import { chooseFastMath } from './fast-math.js';
import { runGeneric } from './generic.js';
import { type LoadOptions, Model, noRuntime, readModel } from './model.js';
import { RandomHost } from './random-host.js';
import * as threads from './threads.js';

const bytesOf = (b: BufferSource): Uint8Array<ArrayBuffer> =>
  b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);

/** Load a model synchronously from bytes; `opts.runtime` and `opts.relaxedRuntime` must be bytes here. */
export function loadModelSync(wasm: BufferSource, opts: LoadOptions = {}): Model {
  let mod = new WebAssembly.Module(wasm);
  const { manifest, consts } = readModel(mod, opts.manifest);
  const exact = embeddedRuntime(mod) ?? (opts.runtime as BufferSource | undefined) ?? noRuntime();
  const fm = chooseFastMath(opts.fastMath, (opts.relaxedRuntime as BufferSource | undefined) ?? null);
  const rtBytes = bytesOf(fm.runtime ?? exact);
  let runtime = new WebAssembly.Module(rtBytes);
  const choice = threads.chooseThreads(opts.threads, runtime);
  if (choice.threads > 1) {
    // Both modules import the memory shared (the code is the same; see threads.ts).
    mod = new WebAssembly.Module(shareMemoryImport(bytesOf(wasm)) as Uint8Array<ArrayBuffer>);
    runtime = new WebAssembly.Module(shareMemoryImport(rtBytes) as Uint8Array<ArrayBuffer>);
  }
  return new Model(
    mod,
    runtime,
    manifest,
    consts,
    manifest.generic !== null ? runGeneric : null,
    {
      threads: choice.threads,
      threadNote: choice.note,
      fastMath: fm.fastMath,
      fastMathNote: fm.note,
    },
    { threads, random: RandomHost },
  );
}
