/**
 * @fileoverview Loading a compiled model: the `.wasm` (with its manifest, constants and runtime
 * embedded, or given) compiled once into a `Model`, from which sessions are created. From a
 * URL or a fetch Response the module compiles while it streams in
 * (`WebAssembly.compileStreaming`); bytes compile at once. Browser-safe; never imports compiler/.
 * The Session itself is session.ts.
 */
import { RUNTIME_ABI_VERSION, RuntimeLinkError, embeddedRuntime, shareMemoryImport } from '../../runtime-as/abi.js';
import { CONSTS_SECTION, MANIFEST_SECTION, type Manifest, type ManifestNode, expandConsts, validateManifest } from './manifest.js';
import { type GenericRun, WasmSession, type WasmSessionOptions } from './session.js';
import { type ByteSource, fetchBytes, fetchUrl, isResponse, isUrlSource } from './source.js';
import type { RandomHost } from './random-host.js';
import type { ThreadPool, chooseThreads, parKernel, threadHost, threadedKernels } from './threads.js';

/** The thread pool's code (threads.ts) that loading and sessions use: in the loader bundle a chunk fetched only where threads may run. */
export interface ThreadCode {
  chooseThreads: typeof chooseThreads;
  threadHost: typeof threadHost;
  ThreadPool: typeof ThreadPool;
  threadedKernels: typeof threadedKernels;
  parKernel: typeof parKernel;
}

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
  /**
   * Threads each session runs on (session/wasm/threads.ts): default the available cores, at
   * most 4. More than 1 needs a worker host (tfg/node's worker_threads, or Web Workers on a
   * cross-origin isolated page); elsewhere the sessions run on one thread and
   * `session.threadNote` says why. Results are the same bits for any count.
   */
  threads?: number;
  /**
   * Fast math (default false, bit-exact): where the engine has relaxed SIMD, the runtime's
   * relaxed build (`f32x4.relaxed_madd` in the matmul micro-kernel: fused or unfused, as the
   * engine chooses; f32 exp, sigmoid and tanh as f32 approximations within 2, 4 and 7 ulp;
   * results within the stated tolerance, not bit-exact with the reference or across engines).
   * Elsewhere the exact runtime runs and `model.fastMathNote` says why.
   */
  fastMath?: boolean;
  /** The relaxed runtime build (tfg-runtime-relaxed.wasm) for `fastMath`; tfg/node supplies it. */
  relaxedRuntime?: ByteSource;
}

/** What a model was loaded for: its thread count (and why it is 1 if asked for more), fast math. */
export interface LoadedAs {
  threads: number;
  threadNote?: string;
  fastMath: boolean;
  fastMathNote?: string;
}

/**
 * Code a model's sessions need only for some models, loaded with the model (the loader bundle
 * fetches each as a chunk of its own only when the model needs it).
 */
export interface ModelCode {
  /** The thread pool: set when the model was loaded for threads > 1, or when the choice needed it. */
  threads?: ThreadCode;
  /** The random ops' host side: set for a model with random ops (manifest.randoms). */
  random?: typeof RandomHost;
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
    /** Threads and fast math; with threads > 1, `module` and `runtime` import their memory shared. */
    readonly loadedAs: LoadedAs = { threads: 1, fastMath: false },
    /** The optional code its sessions use (threads, random ops). */
    readonly code: ModelCode = {},
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
  if (m.runtimeAbiVersion !== RUNTIME_ABI_VERSION)
    throw new RuntimeLinkError(`model built for runtime ABI ${m.runtimeAbiVersion}, loader has ${RUNTIME_ABI_VERSION}`);
  return { manifest: m, consts: expandConsts(m, section) };
}

export function noRuntime(): never {
  throw new RuntimeLinkError(
    'the model was compiled without the tfg runtime (tfg compile --no-embed-runtime); pass it as options.runtime (the loader bundle ships it as tfg-runtime.wasm)',
  );
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

/** `p`, marked handled: a load that fails before awaiting it does not leave an unhandled rejection. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/**
 * Load a model from a URL, a fetch Response, an ArrayBuffer or a Uint8Array (async compile, fine
 * on a browser's main thread; from a URL or Response the module compiles while it streams in).
 * Optional code comes with the model only when it needs it (the loader bundle fetches each as a
 * chunk): the generic path for a model with a generic plan, the random ops' host side for one
 * with random ops, the thread pool where threads may run, the fast-math probe for `fastMath`.
 */
export async function loadModel(source: ByteSource, opts: LoadOptions = {}): Promise<Model> {
  // The thread pool's code is fetched only where threads may run: where SharedArrayBuffer is
  // missing (a page without cross-origin isolation) the default is one thread with no note, as
  // chooseThreads says there (no worker host: the available cores count as 1); an explicit
  // threads > 1 still loads it, for its note and warning.
  const pool = opts.threads === 1 || (opts.threads === undefined && typeof SharedArrayBuffer !== 'function') ? null : handled(import('./threads.js'));
  // While the pool's chunk loads, the model's request goes out (a URL becomes its Response).
  const src = pool && isUrlSource(source) ? await fetchUrl(source, 'model') : source;
  const threads = pool ? await pool : undefined;
  // Threads need the bytes (the memory import is rewritten shared), so the module does not stream then.
  const threaded = threads !== undefined && threads.chooseThreads(opts.threads, null).threads > 1;
  const ab = (b: Uint8Array): Uint8Array<ArrayBuffer> => b as Uint8Array<ArrayBuffer>;
  const bytes = threaded ? ab(await fetchBytes(src, 'model')) : null;
  let mod = bytes ? await WebAssembly.compile(bytes) : await compileSource(src);
  const { manifest, consts } = readModel(mod, opts.manifest);
  // The chunks this model needs are fetched while the runtime compiles.
  const generic = manifest.generic !== null ? handled(import('./generic.js')) : null;
  const random = manifest.randoms.length > 0 ? handled(import('./random-host.js')) : null;
  const embedded = embeddedRuntime(mod);
  const exact = embedded ? new Uint8Array(embedded) : opts.runtime !== undefined ? ab(await fetchBytes(opts.runtime, 'runtime')) : noRuntime();
  // Fast math off (the default) needs neither the probe nor the relaxed runtime.
  const fm = opts.fastMath
    ? (await import('./fast-math.js')).chooseFastMath(
        true,
        opts.relaxedRuntime === undefined ? null : ab(await fetchBytes(opts.relaxedRuntime, 'relaxed runtime')),
      )
    : { fastMath: false, runtime: undefined, note: undefined };
  const rtBytes = fm.runtime ? ab(fm.runtime as Uint8Array) : exact;
  const choice = threads ? threads.chooseThreads(opts.threads, await WebAssembly.compile(rtBytes)) : { threads: 1, note: undefined };
  if (bytes && choice.threads > 1) mod = await WebAssembly.compile(ab(shareMemoryImport(bytes)));
  const runtime = await WebAssembly.compile(choice.threads > 1 ? ab(shareMemoryImport(rtBytes)) : rtBytes);
  return new Model(
    mod,
    runtime,
    manifest,
    consts,
    generic ? (await generic).runGeneric : null,
    {
      threads: bytes ? choice.threads : 1,
      threadNote: choice.note,
      fastMath: fm.fastMath,
      fastMathNote: fm.note,
    },
    { threads, random: random ? (await random).RandomHost : undefined },
  );
}
