/**
 * @fileoverview Stage `emit`: the lowered module → one self-contained `.wasm`. The module is
 * validated and optimised (per function by default: codegen/module.ts
 * `optimizeFunctions`; binaryen's whole -O3 with `optimize: 'full'`, validated again after it); custom sections
 * carry the manifest (`tfg.manifest`, UTF-8 JSON), the constant bytes (`tfg.consts`) and the
 * part of the AssemblyScript runtime the module calls (`tfg.runtime`, runtime.ts), appended to binaryen's bytes by `sections.ts`. The
 * manifest itself is built in `manifest.ts`.
 * `writeCompiled` (compiler/emit/write.ts, Node) writes `<name>.wasm` and `<name>.manifest.json`.
 */
import { host } from '../host.js';
import { CONSTS_SECTION, MANIFEST_SECTION, type Manifest } from '../../session/wasm/manifest.js';
import { RUNTIME_IMPORT_MODULE, RUNTIME_SECTION } from '../../runtime-as/abi.js';
import { runtimeFor } from './runtime.js';
import type { WasmModule } from '../codegen/module.js';
import { CompileError, error } from '../diagnostics/diagnostic.js';
import { BACKEND } from '../diagnostics/catalogue.js';
import { type CustomSection, ModuleSizeError, appendCustomSections } from './sections.js';

/**
 * Binaryen optimisation of a compile: `true`/`'functions'` (default) each function by its shape
 * (codegen/module.ts FUNCTION_PASSES), `'full'` the whole -O3 pipeline over the module (smaller
 * code, far longer), `false` none.
 */
export type OptimizeMode = boolean | 'functions' | 'full';

export interface EmitOptions {
  /** Binaryen optimisation (default `'functions'`). */
  optimize?: OptimizeMode;
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

/** `wasm` with the sections; a module too large to load is compile error 4005. */
function withSections(wasm: Uint8Array, sections: readonly CustomSection[]): Uint8Array<ArrayBuffer> {
  try {
    return appendCustomSections(wasm, sections);
  } catch (e) {
    if (e instanceof ModuleSizeError) throw new CompileError(error(BACKEND.MODULE_TOO_LARGE, e.message, null));
    throw e;
  }
}

/** Validate, optimise and serialise `m` with its sections; `m` is disposed. */
export function emitModule(m: WasmModule, manifest: Manifest, consts: Uint8Array, kernelCounts: number[], opts: EmitOptions = {}): CompiledProgram {
  try {
    m.validate();
    if (opts.optimize === 'full') {
      m.optimize();
      m.validate();
    } else if (opts.optimize !== false) {
      m.optimizeFunctions();
    }
    // The runtime kernels no entry calls are dropped from the imports (and from an embedded runtime).
    m.removeUnusedElements();
    const sections: CustomSection[] = [];
    if (opts.embedRuntime !== false) {
      const runtime = opts.runtime ?? host().runtimeWasm();
      sections.push({
        name: RUNTIME_SECTION,
        payload: runtimeFor(runtime, m.importedFunctions(RUNTIME_IMPORT_MODULE)),
      });
      manifest.runtimeEmbedded = true;
    }
    sections.push({ name: CONSTS_SECTION, payload: consts });
    sections.push({ name: MANIFEST_SECTION, payload: new TextEncoder().encode(JSON.stringify(manifest)) });
    // appended to binaryen's bytes, not through addCustomSection (its copy is stack-bound: sections.ts)
    const wasm = withSections(m.emitBinary(), sections);
    return { wasm, manifest, kernelCounts, ...(opts.text ? { text: m.emitText() } : {}) };
  } finally {
    m.dispose();
  }
}
