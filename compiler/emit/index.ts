/**
 * @fileoverview Stage `emit`: the lowered module → one self-contained `.wasm`. The module is
 * validated, optimised (binaryen -O3 unless turned off) and validated again; custom sections
 * carry the manifest (`tfg.manifest`, UTF-8 JSON), the constant bytes (`tfg.consts`) and the
 * AssemblyScript runtime (`tfg.runtime`). The manifest itself is built in `manifest.ts`.
 * `writeCompiled` (compiler/emit/write.ts, Node) writes `<name>.wasm` and `<name>.manifest.json`.
 */
import { host } from '../host.js';
import { CONSTS_SECTION, MANIFEST_SECTION, type Manifest } from '../../session/wasm/manifest.js';
import { RUNTIME_SECTION } from '../../runtime-as/abi.js';
import type { WasmModule } from '../codegen/module.js';

export interface EmitOptions {
  /** Run binaryen's -O3 (default true). */
  optimize?: boolean;
  /** Embed the runtime in `tfg.runtime` (default true). */
  embedRuntime?: boolean;
  /** The runtime's bytes (default: the host's, in Node the built runtime read from disk). */
  runtime?: Uint8Array;
  /** Also return the module's text. */
  text?: boolean;
}

export interface CompiledProgram {
  wasm: Uint8Array;
  manifest: Manifest;
  /** Kernels per plan (signatures in order, then the generic plan). */
  kernelCounts: number[];
  /** Text of the module (binaryen's printer), only when asked for. */
  text?: string;
}

/** Validate, optimise and serialise `m` with its sections; `m` is disposed. */
export function emitModule(m: WasmModule, manifest: Manifest, consts: Uint8Array, kernelCounts: number[], opts: EmitOptions = {}): CompiledProgram {
  try {
    m.validate();
    if (opts.optimize !== false) {
      m.optimize();
      m.validate();
    }
    if (opts.embedRuntime !== false) {
      m.addCustomSection(RUNTIME_SECTION, opts.runtime ?? host().runtimeWasm());
      manifest.runtimeEmbedded = true;
    }
    m.addCustomSection(CONSTS_SECTION, consts);
    m.addCustomSection(MANIFEST_SECTION, new TextEncoder().encode(JSON.stringify(manifest)));
    const wasm = m.emitBinary();
    return { wasm, manifest, kernelCounts, ...(opts.text ? { text: m.emitText() } : {}) };
  } finally {
    m.dispose();
  }
}
