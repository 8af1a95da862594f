/**
 * @fileoverview The WebAssembly Session: TF1's `Session.run` on a loaded model (model.ts) — the
 * reference Session's fetch structures, feed conversion and checks, error classes and messages,
 * node names and `.tfg` locations — plus variables by name and checkpoints as safetensors.
 * Browser-safe; never imports compiler/.
 *
 * A run takes the fast path when a signature covers it (plans.ts): one call of its exported
 * entry `sig_<name>(B)`. Any other run takes the generic path (generic.ts). Memory per call:
 * buffers are laid out for the batch size B solved from the feeds; memory grows as needed, and
 * a run needing more than `maxMemoryBytes` (default 1 GiB) raises ResourceExhaustedError
 * (memory.ts). Variables live in wasm memory across runs; each session has its own instance and
 * memory. Failures are decoded by errors.ts; random ops draw from random-host.ts.
 */
import { type DType, allocArray } from '../dtype.js';
import { InternalError, InvalidArgumentError, RuntimeError, UnimplementedError, ValueError } from '../errors.js';
import {
  type FetchMapper,
  ElementError,
  buildFetchResult,
  checkFedShape,
  convertFeedValue,
  elementByName,
  formatShape,
  isCompatible,
  locateFeedError,
  mapFetches,
  pyRepr,
  pyTypeName,
  resolveFeedKey,
  resolveFetch,
  sameElement,
} from '../run-common.js';
import type { Session } from '../session.js';
import { type NestedValue, Tensor } from '../tensor.js';
import { RuntimeLinkError, createSharedMemory, instantiateRuntimeSync, modelImports } from '../../runtime-as/abi.js';
import { type FailureContext, placeholderError, statusError, uninitializedError, checkPlanFact } from './errors.js';
import type { runGeneric } from './generic.js';
import { INIT_SIGNATURE, type Manifest, type ManifestNode, type ManifestPlan, checkExports } from './manifest.js';
import { evalPoly } from './manifest.js';
import { ModelMemory, PAGE } from './memory.js';
import type { Model } from './model.js';
import { coveringSignature, nodeShape, slotShape, slotsByName, solveB } from './plans.js';
import type { RandomHost } from './random-host.js';
import { fetchBytes, type ByteSource } from './source.js';
import type { ThreadPool } from './threads.js';

/** A fed value: a Tensor, nested arrays, a number/boolean, or a typed array (flat, shaped by the tensor's static shape). `.npy` bytes: decode them with `readNpy` (tfg/io). */
export type WasmFeedValue = Tensor | NestedValue | number | boolean | Float32Array | Float64Array | Int32Array | Uint8Array;
export type WasmFeeds = Map<string, WasmFeedValue> | Record<string, WasmFeedValue>;

export interface WasmSessionOptions {
  /** Session seed for random ops whose seeds are both 0 (as the reference Session's). */
  seed?: number;
  /** Largest memory a run may use (default: the manifest's, 1 GiB). */
  maxMemoryBytes?: number;
  /** Threads of this session, at most the model's (LoadOptions.threads); default the model's. */
  threads?: number;
}

/** Stops a session's workers when the session is collected without close(). */
const poolReaper = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<ThreadPool>((p) => p.terminate()) : null;

interface Element {
  node: ManifestNode;
  asOp: boolean;
}

type Exports = Record<string, (B: number) => number>;

/** The generic path's runner (generic.ts), loaded with a model that has a generic plan. */
export type GenericRun = typeof runGeneric;

function inferFlatShape(shape: (number | null)[] | null, n: number): number[] | null {
  if (shape === null) return null;
  const known = shape.reduce<number>((a, d) => a * (d ?? 1), 1);
  const unknown = shape.filter((d) => d === null).length;
  if (unknown === 0) return shape as number[];
  if (unknown === 1 && known > 0 && n % known === 0) return shape.map((d) => d ?? n / known);
  return null;
}

export class WasmSession implements Session {
  readonly manifest: Manifest;
  readonly mem: ModelMemory;
  readonly initialized = new Set<string>();
  /** How runs were executed: signature entry calls (the fast path) and generic-path runs. */
  readonly stats = { signatureCalls: 0, genericRuns: 0 };
  private readonly exports: Exports;
  /** The random ops' host side (null: the model has no random ops). */
  private readonly random: RandomHost | null = null;
  /** The covering signature by fed + fetched names. */
  private readonly fastPathMemo = new Map<string, number | null>();
  private readonly varByName: Map<string, Manifest['variables'][number]>;
  /** Names already resolved to graph elements (index 0: tensors only, feeds; 1: tensors or operations, fetches); errors are never cached. */
  private readonly elementMemo = [new Map<string, Element>(), new Map<string, Element>()];
  private closed = false;
  /** Threads this session's large kernels run on (1: the single-thread path, no workers). */
  readonly threads: number;
  /** Why the session runs on fewer threads than asked, if it does. */
  readonly threadNote?: string;
  private readonly pool: ThreadPool | null = null;

  constructor(
    readonly model: Model,
    readonly options: WasmSessionOptions = {},
  ) {
    const m = model.manifest;
    this.manifest = m;
    const maxBytes = options.maxMemoryBytes ?? m.memory.maxMemoryBytes;
    const initial = Math.ceil((m.memory.arenaBase + PAGE) / PAGE);
    // A model loaded for threads has its modules importing a shared memory (threads.ts).
    const shared = model.loadedAs.threads > 1;
    const want = options.threads ?? model.loadedAs.threads;
    if (want > model.loadedAs.threads)
      this.threadNote =
        model.loadedAs.threadNote ??
        `running on ${model.loadedAs.threads} thread(s): the model was loaded with threads: ${model.loadedAs.threads} (LoadOptions.threads)`;
    else this.threadNote = model.loadedAs.threadNote;
    this.threads = Math.max(1, Math.min(want, model.loadedAs.threads));
    const memory = createSharedMemory(initial, Math.max(initial, Math.ceil(maxBytes / PAGE)), shared);
    this.mem = new ModelMemory(memory, maxBytes, m.memory.arenaBase);
    const runtime = instantiateRuntimeSync(model.runtime, memory);
    const imports = modelImports(memory, runtime);
    // Threads > 1 only on a model loaded for them, which carries the pool's code (model.ts).
    const tc = this.threads > 1 ? model.code.threads : undefined;
    const host = tc?.threadHost() ?? null;
    if (tc && host) {
      const { ThreadPool, threadedKernels } = tc;
      const pool = new ThreadPool(host, model.runtime, memory, this.threads - 1, model.module);
      this.pool = pool;
      const mem = this.mem;
      imports.tfg_rt = threadedKernels(
        runtime,
        pool,
        (bytes) => mem.scratchAbove(bytes),
        () => mem.i32(),
      ) as WebAssembly.ModuleImports;
      poolReaper?.register(this, pool, this);
    }
    // Transcendentals are the runtime's (tfg_rt.math_*), so they are the same bits in every
    // engine; the host's normal samples use fdlibm's in plain f64 arithmetic (session/random.ts).
    if (m.randoms.length > 0) {
      const Random = model.code.random;
      if (!Random) throw new InternalError('the model has random ops but was loaded without their host code (ModelCode.random)');
      this.random = new Random(m.nodes, this.mem, new Map(m.randoms.map((r) => [r.node, r.stateAddr])), options.seed);
    }
    const parts: ((B: number, lo: number, hi: number) => number)[] = [];
    const part = (id: number) => (parts[id] ??= (this.exports as unknown as Record<string, (B: number, lo: number, hi: number) => number>)[`tfg_part_${id}`]);
    const random = this.random;
    imports.tfg_host = {
      random: random
        ? (node: number, out: number, n: number) => random.fill(node, out, n)
        : () => {
            throw new InternalError('a random op ran in a model whose manifest lists no random ops');
          },
      // Without a pool a split kernel runs whole, as threads.ts parKernel does with no pool.
      par: tc ? tc.parKernel(this.pool, part) : (id: number, B: number, size: number) => void part(id)(B, 0, size),
    };
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(model.module, imports);
    } catch (e) {
      if (e instanceof WebAssembly.LinkError) throw new RuntimeLinkError(`the model does not link with this tfg runtime: ${e.message}`);
      throw e;
    }
    checkExports(m, instance.exports);
    this.exports = instance.exports as unknown as Exports;
    this.mem.copyIn(model.consts, m.memory.constBase);
    this.varByName = new Map(m.variables.map((v) => [v.name, v]));
    for (const v of model.bakedVariables()) {
      this.mem.copyIn(v.bytes, v.address);
      this.initialized.add(v.name);
    }
  }

  // ---------------------------------------------------------------- public API

  /** TF1's `Session.run(fetches, feed_dict)`; fetches are names (`"x:0"`, `"x"` = operation) in lists/dicts. */
  run(fetches: unknown, feeds?: WasmFeeds): unknown {
    this.checkOpen();
    if (this.manifest.nodes.length === 0) throw new RuntimeError('The Session graph is empty.  Add operations to the graph before calling run().');
    const fed = this.convertFeeds(feeds);
    const unique: Element[] = [];
    const mapper = mapFetches(fetches, (x) => this.fetchElement(x), sameElement, unique);
    if (unique.length === 0) return buildFetchResult(mapper, []);
    return buildFetchResult(mapper as FetchMapper, this.execute(unique, fed));
  }

  /** Run one fetch (a name): its tensor, or null for an operation. */
  runOne(fetch: string, feeds?: WasmFeeds): Tensor | null {
    return this.run(fetch, feeds) as Tensor | null;
  }

  readVariable(name: string): Tensor {
    this.checkOpen();
    const v = this.variable(name);
    if (!this.initialized.has(v.name)) throw uninitializedError(this.node(v.name));
    return this.mem.read(v.dtype, v.shape, v.address);
  }

  writeVariable(name: string, value: WasmFeedValue): void {
    this.checkOpen();
    const v = this.variable(name);
    const node = this.node(v.name);
    let t: Tensor;
    try {
      t = this.toTensor(value, v.dtype, node);
    } catch (e) {
      throw locateFeedError(e, v.name, node.location);
    }
    if (!isCompatible(t.shape, v.shape)) {
      throw new InvalidArgumentError(
        `Assign requires shapes of both tensors to match. lhs shape= ${formatShape(v.shape)} rhs shape= ${formatShape(t.shape)}`,
        v.name,
        node.location,
      );
    }
    this.mem.write(t, v.address, v.bytes);
    this.initialized.add(v.name);
  }

  variableNames(): string[] {
    return this.manifest.variables.map((v) => v.name);
  }

  /**
   * Run every variable's initializer (TF1's `sess.run(tf.global_variables_initializer())`): one
   * call of the module's `tfg_init` entry when it was compiled without the generic path.
   */
  initialize(): void {
    const entry = this.manifest.signatures.find((x) => x.name === INIT_SIGNATURE);
    const inits = entry
      ? (entry.fetches as { op: string }[]).map((f) => f.op)
      : this.manifest.variables.map((v) => v.initializer).filter((n): n is string => n !== null);
    if (inits.length) this.run(inits);
  }

  isInitialized(name: string): boolean {
    this.checkOpen();
    return this.initialized.has(this.variable(name).name);
  }

  /**
   * The variables as a safetensors file (TF1's Saver keys: the variable names), with the graph
   * in its metadata. Every variable must be initialized. (The safetensors code is loaded when
   * first needed: a page that never saves or restores does not fetch it.)
   */
  async save(metadata: Record<string, string> = {}): Promise<Uint8Array> {
    this.checkOpen();
    const vars = new Map<string, Tensor>();
    for (const v of this.manifest.variables) vars.set(v.name, this.readVariable(v.name));
    const { writeSafetensors } = await import('../io/safetensors.js');
    return writeSafetensors(vars, { format: 'tfg', graph: this.manifest.graph, ...metadata });
  }

  /**
   * Restore the variables from a safetensors file (bytes, or a URL/Response to fetch): names,
   * dtypes and shapes are checked against every variable before any is assigned, with the Node
   * Saver's errors (NotFoundError: Key x not found in checkpoint, ...); on any error the
   * variables keep their values.
   */
  async restore(source: ByteSource): Promise<void> {
    const bytes = await fetchBytes(source, 'checkpoint');
    const [{ readSafetensors }, { matchCheckpoint }] = await Promise.all([import('../io/safetensors.js'), import('../train/saver.js')]);
    this.checkOpen();
    const file = readSafetensors(bytes, 'checkpoint');
    const expected = new Map(this.manifest.variables.map((v) => [v.name, { dtype: v.dtype, shape: v.shape }]));
    const tensors = matchCheckpoint(file.tensors, expected);
    for (const v of this.manifest.variables) this.mem.write(tensors.get(v.name)!, v.address, v.bytes);
    for (const v of this.manifest.variables) this.initialized.add(v.name);
  }

  /** Runtime calls this session has split across threads so far. */
  get splitCalls(): number {
    return this.pool?.splitCalls ?? 0;
  }

  /**
   * Parts of those split calls that this (the calling) thread ran itself because no worker had
   * started them when its own part was done (a worker asleep, waking or descheduled).
   */
  get takenBack(): number {
    return this.pool?.takenBack ?? 0;
  }

  /**
   * Small calls (SPLIT.wakeMacs, wakeElems) that ran on the awake threads alone, leaving the
   * workers that slept asleep: waking one costs about as much as such a call (threads.ts
   * ThreadPool.participants).
   */
  get leftAsleep(): number {
    return this.pool?.leftAsleep ?? 0;
  }

  /** Resolves when this session's worker threads are up, with the number of threads a large kernel runs on. */
  async threadsReady(): Promise<number> {
    return this.pool ? this.pool.whenReady() : 1;
  }

  close(): void {
    if (this.pool) {
      this.pool.terminate();
      poolReaper?.unregister(this);
    }
    this.closed = true;
    this.initialized.clear();
    this.random?.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes of wasm memory this session holds now. */
  get memoryBytes(): number {
    return this.mem.bytes;
  }

  // ---------------------------------------------------------------- elements and feeds

  private checkOpen(): void {
    if (this.closed) throw new RuntimeError('Attempted to use a closed Session.');
  }

  node(name: string): ManifestNode {
    const n = this.model.node(name);
    if (!n) throw new InternalError(`no node '${name}' in the manifest`);
    return n;
  }

  private variable(name: string): Manifest['variables'][number] {
    const v = this.varByName.get(name);
    if (!v) throw new ValueError(`${pyRepr(name)} is not a variable of this graph.`);
    return v;
  }

  /** TF1's as_graph_element on the manifest's nodes (names only; session/run-common.ts). */
  private element(obj: unknown, allowOperation: boolean): Element {
    if (typeof obj !== 'string')
      throw new ElementError('TypeError', `Can not convert a ${pyTypeName(obj)} into a ${allowOperation ? 'Tensor or Operation' : 'Tensor'}.`);
    const memo = this.elementMemo[allowOperation ? 1 : 0];
    let el = memo.get(obj);
    if (el === undefined) {
      el = elementByName<ManifestNode>({ get: (n) => this.model.node(n), hasOutput: (n) => n.dtype !== null }, obj, allowOperation);
      if (memo.size < 4096) memo.set(obj, el);
    }
    return el;
  }

  private fetchElement(x: unknown): Element {
    return resolveFetch(
      x,
      (y) => typeof y === 'string',
      (y) => this.element(y, true),
    );
  }

  private toTensor(value: WasmFeedValue, dtype: DType, node: ManifestNode): Tensor {
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      // A flat typed array: shaped by the tensor's static shape (one unknown dim is inferred).
      const arr = value as unknown as ArrayLike<number>;
      const shape = inferFlatShape(node.shape, arr.length);
      const data = allocArray(dtype, arr.length);
      for (let i = 0; i < arr.length; i++) data[i] = arr[i];
      return convertFeedValue(new Tensor(dtype, shape ?? [arr.length], data), dtype);
    }
    return convertFeedValue(value, dtype);
  }

  private convertFeeds(feeds: WasmFeeds | undefined): Map<ManifestNode, Tensor> {
    const out = new Map<ManifestNode, Tensor>();
    if (!feeds) return out;
    const entries: [unknown, WasmFeedValue][] = feeds instanceof Map ? [...feeds.entries()] : Object.entries(feeds);
    for (const [key, value] of entries) {
      const node = resolveFeedKey(key, (k) => this.element(k, false)).node;
      let t: Tensor;
      try {
        t = this.toTensor(value, node.dtype!, node);
      } catch (e) {
        throw locateFeedError(e, node.name, node.location);
      }
      checkFedShape(t.shape, node.shape, `${node.name}:0`, node.name, node.location);
      out.set(node, t);
    }
    return out;
  }

  // ---------------------------------------------------------------- execution

  private execute(unique: Element[], fed: Map<ManifestNode, Tensor>): (Tensor | null)[] {
    const sig = this.fastPath(unique, fed);
    if (sig !== null) {
      const plan = this.manifest.plans[this.manifest.signatures[sig].plan];
      const B = solveB(plan, fed);
      if (B !== null) return this.runSignature(plan, B, unique, fed);
    }
    const gi = this.manifest.generic;
    if (gi === null) {
      throw new UnimplementedError(
        this.manifest.genericError
          ? `This run needs the generic path, which could not be compiled for graph '${this.manifest.graph}': ${this.manifest.genericError}`
          : `No signature of this module covers the run (feeds ${[...fed.keys()].map((n) => n.name).join(', ') || 'none'}; fetches ${unique.map((e) => e.node.name).join(', ')}), and it was compiled without the generic path (tfg compile --generic); its entries: ${this.manifest.signatures.map((x) => x.name).join(', ')}${this.manifest.signatures.some((x) => x.name === INIT_SIGNATURE) ? ' (initialize variables with session.initialize())' : ''}`,
      );
    }
    const generic = this.model.generic;
    if (!generic) throw new InternalError('the generic path of this model was not loaded (load it with loadModel or loadModelSync)');
    this.stats.genericRuns++;
    return generic(this, this.manifest.plans[gi], unique, fed);
  }

  /** The covering signature, remembered per combination of fed and fetched names. */
  private fastPath(unique: Element[], fed: Map<ManifestNode, Tensor>): number | null {
    let key = '';
    for (const n of fed.keys()) key += n.name + '\u0000';
    key += '|';
    for (const e of unique) key += (e.asOp ? '^' : '') + e.node.name + '\u0000';
    const memo = this.fastPathMemo.get(key);
    if (memo !== undefined) return memo;
    const found = coveringSignature(
      this.manifest,
      unique.map((e) => ({ name: e.node.name, asOp: e.asOp })),
      new Set([...fed.keys()].map((n) => n.name)),
    );
    if (this.fastPathMemo.size < 1024) this.fastPathMemo.set(key, found);
    return found;
  }

  private runSignature(plan: ManifestPlan, B: number, unique: Element[], fed: Map<ManifestNode, Tensor>): (Tensor | null)[] {
    for (const name of plan.unfed) throw placeholderError(this.node(name));
    for (const r of plan.varReads) if (!r.guarded && !this.initialized.has(r.variable)) throw uninitializedError(this.node(r.variable));
    for (const c of plan.checks ?? []) checkPlanFact(c, B, this.node(c.node));
    const { addr } = this.mem.layout(plan, B);
    const slot = slotsByName(plan);
    for (const [node, t] of fed) {
      const s = slot.get(node.name);
      if (s !== undefined) this.mem.write(t, addr[s.buffer]);
    }
    this.stats.signatureCalls++;
    try {
      this.call(plan, B, plan.export!, (n) => {
        const s = slot.get(n);
        return s === undefined ? undefined : addr[s.buffer];
      });
    } finally {
      for (const v of plan.varWrites) this.initialized.add(v);
    }
    return unique.map((e) => {
      if (e.asOp) return null;
      const f = fed.get(e.node);
      if (f) return f;
      const s = slot.get(e.node.name)!;
      return this.mem.read(
        plan.buffers[s.buffer].dtype,
        slotShape(plan, s).map((p) => evalPoly(p, B)),
        addr[s.buffer],
      );
    });
  }

  /** Call a dynamic kernel (generic path, run-time shapes) with its descriptor; a failure raises the typed error its status words describe. */
  callDynamic(exportName: string, desc: number, shapeOf: (name: string) => number[], valueOf: (name: string) => Tensor | null): void {
    this.mem.clearStatus();
    if (!(this.exports[exportName] as (desc: number) => number)(desc)) return;
    const status = this.mem.readStatus();
    this.mem.clearStatus();
    throw statusError(status, this.manifest.nodes, { node: (n) => this.model.node(n), shapeOf, plannedShape: () => null, valueOf });
  }

  /** Call an export of `plan` for B; a failure raises the typed error its status words describe. */
  call(plan: ManifestPlan, B: number, exportName: string, addrOf: (name: string) => number | undefined): void {
    this.mem.clearStatus();
    if (!this.exports[exportName](B)) return;
    const status = this.mem.readStatus();
    this.mem.clearStatus();
    const planned = (name: string): number[] | null => (plan.slots.some((s) => s.node === name) ? nodeShape(plan, name).map((p) => evalPoly(p, B)) : null);
    const ctx: FailureContext = {
      node: (n) => this.model.node(n),
      shapeOf: (n) => planned(n) ?? (this.node(n).shape ?? []).map((d) => d ?? 0),
      plannedShape: planned,
      valueOf: (n) => {
        const at = addrOf(n);
        const s = plan.slots.find((x) => x.node === n);
        return at === undefined || !s ? null : this.mem.read(plan.buffers[s.buffer].dtype, planned(n)!, at);
      },
    };
    throw statusError(status, this.manifest.nodes, ctx);
  }
}
