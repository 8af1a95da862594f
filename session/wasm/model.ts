/**
 * @fileoverview Loading a compiled model: the `.wasm` (with its manifest, constants and runtime
 * embedded, or given) compiled once into a `Model`, from which sessions are created. From a
 * URL or a fetch Response the module compiles while it streams in
 * (`WebAssembly.compileStreaming`); bytes compile at once. Browser-safe; never imports compiler/.
 * The Session itself is session.ts.
 */
import { RUNTIME_ABI_VERSION, RuntimeLinkError, embeddedRuntime } from '../../runtime-as/abi.js';
import { CONSTS_SECTION, MANIFEST_SECTION, type Manifest, type ManifestNode, expandConsts, validateManifest } from './manifest.js';
import { type GenericRun, WasmSession, type WasmSessionOptions } from './session.js';
import { type ByteSource, fetchUrl, isResponse, isUrlSource } from './source.js';

export { WasmSession, type WasmFeedValue, type WasmFeeds, type WasmSessionOptions } from './session.js';
export type { ByteSource } from './source.js';

export interface LoadOptions {
  /**
   * The tfg runtime, for a model compiled without it (`tfg compile --no-embed-runtime`): its
   * bytes, or (loadModel) a URL or Response — the loader bundle ships it as tfg-runtime.wasm.
   */
  runtime?: ByteSource;
  /** The manifest, when the module does not embed it (or to override it). */
  manifest?: Manifest;
}

/** A loaded model: compiled modules and the manifest; sessions are created from it. */
export class Model {
  private readonly nodeIndex: Map<string, number>;
  constructor(
    readonly module: WebAssembly.Module,
    readonly runtime: WebAssembly.Module,
    readonly manifest: Manifest,
    readonly consts: Uint8Array,
    /** The generic path's code, for a model that has a generic plan (loaded with it). */
    readonly generic: GenericRun | null = null,
  ) {
    this.nodeIndex = new Map(manifest.nodes.map((n, i) => [n.name, i]));
  }

  node(name: string): ManifestNode | undefined {
    const i = this.nodeIndex.get(name);
    return i === undefined ? undefined : this.manifest.nodes[i];
  }

  createSession(opts: WasmSessionOptions = {}): WasmSession {
    return new WasmSession(this, opts);
  }

  variableNames(): string[] {
    return this.manifest.variables.map((v) => v.name);
  }

  /** Variables whose values the module carries (compiled with a checkpoint): each session starts with them. */
  bakedVariables(): { name: string; address: number; bytes: Uint8Array }[] {
    const base = this.manifest.memory.constBase;
    return (this.manifest.bakedVariables ?? []).map((b) => {
      const v = this.manifest.variables.find((x) => x.name === b.variable)!;
      return { name: v.name, address: v.address, bytes: this.consts.subarray(b.constAddress - base, b.constAddress - base + v.bytes) };
    });
  }
}

function readSection(mod: WebAssembly.Module, name: string): Uint8Array | null {
  const s = WebAssembly.Module.customSections(mod, name);
  return s.length ? new Uint8Array(s[0]) : null;
}

/** Read, check and validate what a compiled module carries. */
export function readModel(mod: WebAssembly.Module, manifest: Manifest | undefined): { manifest: Manifest; consts: Uint8Array } {
  let man = manifest;
  if (!man) {
    const bytes = readSection(mod, MANIFEST_SECTION);
    if (!bytes) throw new RuntimeLinkError(`the module has no '${MANIFEST_SECTION}' section; pass the manifest`);
    man = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
  }
  const section = readSection(mod, CONSTS_SECTION) ?? new Uint8Array(0);
  const m = validateManifest(man, section.length);
  if (m.runtimeAbiVersion !== RUNTIME_ABI_VERSION) throw new RuntimeLinkError(`model built for runtime ABI ${m.runtimeAbiVersion}, loader has ${RUNTIME_ABI_VERSION}`);
  return { manifest: m, consts: expandConsts(m, section) };
}

export function noRuntime(): never {
  throw new RuntimeLinkError('the model was compiled without the tfg runtime (tfg compile --no-embed-runtime); pass it as options.runtime (the loader bundle ships it as tfg-runtime.wasm)');
}

/** Compile a module from any source; a URL or Response streams (falling back to bytes when the server's type is not application/wasm). */
async function compileSource(source: ByteSource): Promise<WebAssembly.Module> {
  if (isUrlSource(source) || isResponse(source)) {
    const r = isResponse(source) ? source : await fetchUrl(source, 'model');
    if (typeof WebAssembly.compileStreaming === 'function' && (r.headers.get('content-type') ?? '').split(';')[0].trim() === 'application/wasm') {
      return WebAssembly.compileStreaming(r);
    }
    return WebAssembly.compile(await r.arrayBuffer());
  }
  return WebAssembly.compile(source as BufferSource);
}

/**
 * Load a model from a URL, a fetch Response, an ArrayBuffer or a Uint8Array (async compile, fine
 * on a browser's main thread; from a URL or Response the module compiles while it streams in).
 * The generic path's code is fetched only for a model that has a generic plan.
 */
export async function loadModel(source: ByteSource, opts: LoadOptions = {}): Promise<Model> {
  const mod = await compileSource(source);
  const { manifest, consts } = readModel(mod, opts.manifest);
  const embedded = embeddedRuntime(mod);
  const runtime = embedded ? await WebAssembly.compile(embedded) : opts.runtime !== undefined ? await compileSource(opts.runtime) : noRuntime();
  const generic = manifest.generic !== null ? (await import('./generic.js')).runGeneric : null;
  return new Model(mod, runtime, manifest, consts, generic);
}
