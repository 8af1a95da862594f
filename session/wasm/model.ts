/**
 * @fileoverview The WebAssembly Session: load a compiled model (the `.wasm` with its manifest,
 * embedded or given) and run it with TF1's `Session.run` semantics — the reference Session's
 * fetch structures, feed conversion and checks, error classes and messages, node names and
 * `.tfg` locations. Browser-safe (no Node built-ins); never imports compiler/.
 *
 * A run takes the fast path when its feeds are exactly a signature's and its fetches are all of
 * the signature's: one call of the exported entry `sig_<name>(B)`. Any other run takes the generic
 * path: the needed nodes in the reference's depth-first order, each by its exported per-node
 * kernel `g_k<i>` of the unfused whole-graph plan; fed values are written into the node's
 * buffer (or a buffer of their own for aliases and variables) and replace its computation.
 *
 * Memory per call: buffers are laid out for the batch size B solved from the feeds, memory
 * grows as needed and a run needing more than `maxMemoryBytes` (default 1 GiB) raises
 * ResourceExhaustedError. Variables live in wasm memory across runs (initialized flags are
 * tracked per variable); each session has its own instance and memory.
 */
import type { Session } from '../session.js';
import { type DType, allocArray, byteSize, tfDTypeName } from '../dtype.js';
import {
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  OpError,
  ResourceExhaustedError,
  RuntimeError,
  type SourceLocation,
  TypeError_,
  UnimplementedError,
  ValueError,
} from '../errors.js';
import { PhiloxStream, normalFromBits, truncatedNormalFrom, uniformFromBits, uniformIntFromBits, wordsFor, type NormalMath } from '../random.js';
import {
  type FetchMapper,
  FeedTypeError,
  FeedValueError,
  buildFetchResult,
  convertFeedValue,
  formatShape,
  formatShapePy,
  isCompatible,
  locateFeedError,
  ElementError,
  checkFedShape,
  elementByName,
  mapFetches,
  pyRepr,
  resolveFeedKey,
  resolveFetch,
  sameElement,
  pyTypeName,
  pyValueRepr,
} from '../run-common.js';
import { type NestedValue, Tensor, sizeOf } from '../tensor.js';
import { readNpy as decodeNpy } from '../io/npy.js';
import { RUNTIME_ABI_VERSION, RuntimeLinkError, createSharedMemory, embeddedRuntime, instantiateRuntimeSync, modelImports } from '../../runtime-as/abi.js';
import { CONSTS_SECTION, MANIFEST_SECTION, type Manifest, type ManifestCheck, type ManifestNode, type ManifestPlan, type ManifestPoly, evalPoly, validateManifest } from './manifest.js';

/** A fed value: a Tensor, nested arrays, a number/boolean, a typed array (flat, shaped by the tensor's static shape) or `.npy` bytes. */
export type WasmFeedValue = Tensor | NestedValue | number | boolean | Float32Array | Float64Array | Int32Array | Uint8Array | { npy: Uint8Array };
export type WasmFeeds = Map<string, WasmFeedValue> | Record<string, WasmFeedValue>;

export interface LoadOptions {
  /** Runtime bytes when the model does not embed them. */
  runtime?: BufferSource;
}

export interface WasmSessionOptions {
  /** Session seed for random ops whose seeds are both 0 (as the reference Session's). */
  seed?: number;
  /** Largest memory a run may use (default: the manifest's, 1 GiB). */
  maxMemoryBytes?: number;
}

const PAGE = 65536;

/** A loaded model: compiled modules and the manifest; sessions are created from it. */
export class Model {
  private readonly nodeIndex: Map<string, number>;
  constructor(
    readonly module: WebAssembly.Module,
    readonly runtime: WebAssembly.Module,
    readonly manifest: Manifest,
    readonly consts: Uint8Array,
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
}

function readSection(mod: WebAssembly.Module, name: string): Uint8Array | null {
  const s = WebAssembly.Module.customSections(mod, name);
  return s.length ? new Uint8Array(s[0]) : null;
}

function finishLoad(mod: WebAssembly.Module, manifest: Manifest | undefined, runtimeMod: WebAssembly.Module | null): Model {
  let man = manifest;
  if (!man) {
    const bytes = readSection(mod, MANIFEST_SECTION);
    if (!bytes) throw new RuntimeLinkError(`the module has no '${MANIFEST_SECTION}' section; pass the manifest`);
    man = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
  }
  const m = validateManifest(man);
  if (m.runtimeAbiVersion !== RUNTIME_ABI_VERSION) throw new RuntimeLinkError(`model built for runtime ABI ${m.runtimeAbiVersion}, loader has ${RUNTIME_ABI_VERSION}`);
  if (!runtimeMod) throw new RuntimeLinkError('the model does not embed the tfg runtime; pass it as options.runtime');
  return new Model(mod, runtimeMod, m, readSection(mod, CONSTS_SECTION) ?? new Uint8Array(0));
}

/** Load a model (async compile, fine on a browser's main thread). */
export async function loadModel(wasm: BufferSource, manifest?: Manifest, opts: LoadOptions = {}): Promise<Model> {
  const mod = await WebAssembly.compile(wasm);
  const rt = opts.runtime ?? embeddedRuntime(mod);
  return finishLoad(mod, manifest, rt ? await WebAssembly.compile(rt) : null);
}

/** Load a model synchronously (Node, workers). */
export function loadModelSync(wasm: BufferSource, manifest?: Manifest, opts: LoadOptions = {}): Model {
  const mod = new WebAssembly.Module(wasm);
  const rt = opts.runtime ?? embeddedRuntime(mod);
  return finishLoad(mod, manifest, rt ? new WebAssembly.Module(rt) : null);
}

interface Element {
  node: ManifestNode;
  asOp: boolean;
}

/** Thrown inside a run: the status words told of a failure. */
interface Status {
  code: number;
  node: number;
  a0: number;
  a1: number;
}

type Exports = Record<string, (B: number) => number>;

/** A node's own symbolic shape in a plan (an alias's, not its buffer's). */
function slotShape(plan: ManifestPlan, node: string): ManifestPoly[] {
  const s = plan.slots.find((x) => x.node === node);
  if (!s) throw new InternalError(`no buffer for '${node}'`);
  return s.shape ?? plan.buffers[s.buffer].shape;
}

/** Symbolic shapes of a plan's feeds (older manifests: the buffers of fed slots); memoized per plan. */
const feedShapesMemo = new WeakMap<ManifestPlan, Map<string, ManifestPoly[]>>();
function feedShapesOf(plan: ManifestPlan): Map<string, ManifestPoly[]> {
  const memo = feedShapesMemo.get(plan);
  if (memo) return memo;
  const out = new Map<string, ManifestPoly[]>();
  feedShapesMemo.set(plan, out);
  for (const s of plan.slots) out.set(s.node, s.shape ?? plan.buffers[s.buffer].shape);
  for (const f of plan.feedShapes ?? []) out.set(f.node, f.shape);
  return out;
}

export class WasmSession implements Session {
  readonly manifest: Manifest;
  private memory: WebAssembly.Memory;
  private exports: Exports;
  private initialized = new Set<string>();
  private streams = new Map<string, PhiloxStream>();
  /** log/sin/cos of the normal samples: the runtime's (engine-independent), not the host's Math. */
  private readonly normalMath: NormalMath;
  /** fastPath's answers by fed + fetched names. */
  private fastPathMemo = new Map<string, number | null>();
  /** Per plan, the last layout computed (buffer addresses for one B). */
  private layoutMemo = new Map<ManifestPlan, { B: number; addr: number[]; scratch: number; free: number }>();
  private closed = false;
  private readonly maxBytes: number;
  private readonly varByName: Map<string, Manifest['variables'][number]>;
  private readonly randomState: Map<string, number>;
  /** How runs were executed: signature entry calls (the fast path) and generic-path runs. */
  readonly stats = { signatureCalls: 0, genericRuns: 0 };
  /** Buffer shapes of the running plan for the current B (for failure messages). */
  private current: { plan: ManifestPlan; B: number } | null = null;

  constructor(
    readonly model: Model,
    readonly options: WasmSessionOptions = {},
  ) {
    const m = model.manifest;
    this.manifest = m;
    this.maxBytes = options.maxMemoryBytes ?? m.memory.maxMemoryBytes;
    const initial = Math.ceil((m.memory.arenaBase + PAGE) / PAGE);
    this.memory = createSharedMemory(initial, Math.max(initial, Math.ceil(this.maxBytes / PAGE)));
    const runtime = instantiateRuntimeSync(model.runtime, this.memory);
    const imports = modelImports(this.memory, runtime);
    // Transcendentals are the runtime's (tfg_rt.math_*), so they are the same bits in every engine;
    // the host's normal samples use the same functions.
    this.normalMath = { log: runtime.math_log_f64, sin: runtime.math_sin_f64, cos: runtime.math_cos_f64 };
    imports.tfg_host = { random: (node: number, out: number, n: number) => this.hostRandom(node, out, n) };
    const inst = new WebAssembly.Instance(model.module, imports);
    this.exports = inst.exports as unknown as Exports;
    new Uint8Array(this.memory.buffer).set(model.consts, m.memory.constBase);
    this.varByName = new Map(m.variables.map((v) => [v.name, v]));
    this.randomState = new Map(m.randoms.map((r) => [r.node, r.stateAddr]));
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
    const results = this.execute(unique, fed);
    return buildFetchResult(mapper as FetchMapper, results);
  }

  /** Run one fetch (a name): its tensor, or null for an operation. */
  runOne(fetch: string, feeds?: WasmFeeds): Tensor | null {
    return this.run(fetch, feeds) as Tensor | null;
  }

  readVariable(name: string): Tensor {
    this.checkOpen();
    const v = this.variable(name);
    const node = this.model.node(v.name)!;
    if (!this.initialized.has(v.name)) throw new FailedPreconditionError(`Attempting to use uninitialized value ${v.name}`, v.name, node.location);
    return this.readTensor(v.dtype, v.shape, v.address);
  }

  writeVariable(name: string, value: WasmFeedValue): void {
    this.checkOpen();
    const v = this.variable(name);
    const node = this.model.node(v.name)!;
    let t: Tensor;
    try {
      t = this.toTensor(value, v.dtype, node);
    } catch (e) {
      throw locateFeedError(e, v.name, node.location);
    }
    if (!isCompatible(t.shape, v.shape)) {
      throw new InvalidArgumentError(`Assign requires shapes of both tensors to match. lhs shape= ${formatShape(v.shape)} rhs shape= ${formatShape(t.shape)}`, v.name, node.location);
    }
    this.writeTensor(t, v.address);
    this.initialized.add(v.name);
  }

  variableNames(): string[] {
    return this.manifest.variables.map((v) => v.name);
  }

  isInitialized(name: string): boolean {
    this.checkOpen();
    return this.initialized.has(this.variable(name).name);
  }

  close(): void {
    this.closed = true;
    this.initialized.clear();
    this.streams.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes of wasm memory this session holds now. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  // ---------------------------------------------------------------- elements and feeds

  private checkOpen(): void {
    if (this.closed) throw new RuntimeError('Attempted to use a closed Session.');
  }

  private variable(name: string): Manifest['variables'][number] {
    const v = this.varByName.get(name);
    if (!v) throw new ValueError(`${pyRepr(name)} is not a variable of this graph.`);
    return v;
  }

  /** TF1's as_graph_element on the manifest's nodes (names only; session/run-common.ts). */
  private element(obj: unknown, allowOperation: boolean): Element {
    if (typeof obj !== 'string') throw new ElementError('TypeError', `Can not convert a ${pyTypeName(obj)} into a ${allowOperation ? 'Tensor or Operation' : 'Tensor'}.`);
    return elementByName<ManifestNode>({ get: (n) => this.model.node(n), hasOutput: (n) => n.dtype !== null }, obj, allowOperation);
  }

  private fetchElement(x: unknown): Element {
    return resolveFetch(x, (y) => typeof y === 'string', (y) => this.element(y, true));
  }

  private toTensor(value: WasmFeedValue, dtype: DType, node: ManifestNode): Tensor {
    if (value instanceof Uint8Array && isNpy(value)) return convertFeedValue(decodeNpy(value), dtype);
    if (typeof value === 'object' && value !== null && 'npy' in value && (value as { npy: unknown }).npy instanceof Uint8Array) return convertFeedValue(decodeNpy((value as { npy: Uint8Array }).npy), dtype);
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
      const planIndex = this.manifest.signatures[sig].plan;
      const B = this.solveB(this.manifest.plans[planIndex], fed);
      if (B !== null) return this.runSignature(planIndex, B, unique, fed);
    }
    return this.runGeneric(unique, fed);
  }

  /** The signature whose feeds are exactly the run's and whose plan has every fetch. */
  private fastPath(unique: Element[], fed: Map<ManifestNode, Tensor>): number | null {
    // The answer depends only on the fed and fetched names: remembered per combination.
    let key = '';
    for (const n of fed.keys()) key += n.name + '\u0000';
    key += '|';
    for (const e of unique) key += (e.asOp ? '^' : '') + e.node.name + '\u0000';
    const memo = this.fastPathMemo.get(key);
    if (memo !== undefined) return memo;
    const found = this.searchFastPath(unique, fed);
    if (this.fastPathMemo.size < 1024) this.fastPathMemo.set(key, found);
    return found;
  }

  private searchFastPath(unique: Element[], fed: Map<ManifestNode, Tensor>): number | null {
    const fedNames = new Set([...fed.keys()].map((n) => n.name));
    for (let i = 0; i < this.manifest.signatures.length; i++) {
      const s = this.manifest.signatures[i];
      if (s.feeds.length !== fedNames.size || !s.feeds.every((f) => fedNames.has(f))) continue;
      const plan = this.manifest.plans[s.plan];
      const fetched = new Set(plan.fetches);
      const ops = new Set<string>();
      collectOps(s.fetches, ops);
      if (!unique.every((e) => (e.asOp ? ops.has(e.node.name) || fetched.has(e.node.name) : fetched.has(e.node.name) || fedNames.has(e.node.name)))) continue;
      // The entry runs the signature's whole subgraph: only when the run asks for all of it, so
      // a fetch of `loss` alone never runs a signature's `train_op` (assigns, random draws).
      const asked = new Set(unique.map((e) => e.node.name));
      if ([...ops].every((n) => asked.has(n)) && plan.fetches.every((n) => asked.has(n) || fedNames.has(n))) return i;
    }
    return null;
  }

  /** The batch size B from the fed shapes against the plan's symbolic feed shapes (null: no single B). */
  private solveB(plan: ManifestPlan, fed: Map<ManifestNode, Tensor>): number | null {
    let B: number | null = null;
    const shapes = feedShapesOf(plan);
    for (const [node, t] of fed) {
      const shape = shapes.get(node.name);
      if (shape === undefined) continue;
      if (shape.length !== t.shape.length) return null;
      for (let d = 0; d < shape.length; d++) {
        const p = shape[d];
        const keys = Object.keys(p).filter((k) => k !== '');
        if (keys.length === 0) continue;
        if (keys.length !== 1 || keys[0] !== 'B') return null;
        const a = p.B;
        const c = p[''] ?? 0;
        const v = (t.shape[d] - c) / a;
        if (!Number.isInteger(v) || v < 0) return null;
        if (B !== null && B !== v) return null;
        B = v;
      }
    }
    B = B ?? 1;
    for (const [node, t] of fed) {
      const sh = shapes.get(node.name);
      if (sh === undefined) continue;
      const shape = sh.map((p) => evalPoly(p, B!));
      if (shape.some((d, i) => d !== t.shape[i])) return null;
    }
    return B;
  }

  /** Lay out the plan's buffers for B, grow memory, fill the slot table; returns buffer addresses and the first free byte. */
  private layout(plan: ManifestPlan, B: number, extra = 0): { addr: number[]; free: number } {
    let memo = this.layoutMemo.get(plan);
    if (memo === undefined || memo.B !== B) {
      // Addresses depend on the plan and B only (the callers read, never change, `addr`).
      const Bl = Math.max(B, 1);
      const base = this.manifest.memory.arenaBase;
      const addr = plan.buffers.map((b) => (b.region === 'arena' ? base + evalPoly(b.offset, Bl) : evalPoly(b.offset, Bl)));
      const scratch = align16(base + evalPoly(plan.arenaBytes, Bl));
      memo = { B, addr, scratch, free: align16(scratch + evalPoly(plan.scratchBytes, Bl)) };
      this.layoutMemo.set(plan, memo);
    }
    const { addr, scratch, free } = memo;
    this.ensureMemory(free + extra);
    const mem = new Int32Array(this.memory.buffer);
    mem[plan.slotTable >> 2] = scratch;
    plan.slots.forEach((s, i) => (mem[(plan.slotTable >> 2) + i + 1] = addr[s.buffer]));
    return { addr, free };
  }

  private ensureMemory(bytes: number): void {
    if (bytes > this.maxBytes) {
      throw new ResourceExhaustedError(`OOM when allocating the buffers of this run: ${bytes} bytes needed, more than the session's limit of ${this.maxBytes} bytes (maxMemoryBytes)`);
    }
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      try {
        this.memory.grow(Math.ceil((bytes - have) / PAGE));
      } catch (e) {
        throw new ResourceExhaustedError(`OOM when growing wasm memory to ${bytes} bytes: ${(e as Error).message}`);
      }
    }
  }

  private runSignature(planIndex: number, B: number, unique: Element[], fed: Map<ManifestNode, Tensor>): (Tensor | null)[] {
    const plan = this.manifest.plans[planIndex];
    for (const name of plan.unfed) this.placeholderError(this.model.node(name)!);
    for (const r of plan.varReads) if (!r.guarded && !this.initialized.has(r.variable)) this.uninitialized(r.variable);
    for (const c of plan.checks ?? []) this.check(c, B);
    const { addr } = this.layout(plan, B);
    const slot = new Map(plan.slots.map((s) => [s.node, s.buffer]));
    for (const [node, t] of fed) {
      const bi = slot.get(node.name);
      if (bi !== undefined) this.writeTensor(t, addr[bi]);
    }
    this.current = { plan, B };
    this.clearStatus();
    this.stats.signatureCalls++;
    const failed = this.exports[plan.export!](B);
    for (const v of plan.varWrites) this.initialized.add(v);
    if (failed) this.raiseStatus();
    return unique.map((e) => {
      if (e.asOp) return null;
      const f = fed.get(e.node);
      if (f) return f;
      const bi = slot.get(e.node.name)!;
      const b = plan.buffers[bi];
      return this.readTensor(b.dtype, slotShape(plan, e.node.name).map((p) => evalPoly(p, B)), addr[bi]);
    });
  }

  private runGeneric(unique: Element[], fed: Map<ManifestNode, Tensor>): (Tensor | null)[] {
    const gi = this.manifest.generic;
    if (gi === null) throw new UnimplementedError(`This run needs the generic path, which could not be compiled for graph '${this.manifest.graph}': ${this.manifest.genericError ?? 'unknown reason'}`);
    const plan = this.manifest.plans[gi];
    this.stats.genericRuns++;
    const order = this.order(unique.map((e) => e.node), fed);
    let B = this.solveB(plan, fed);
    if (B === null) {
      this.shapeWalk(order, fed);
      throw new InvalidArgumentError(
        `The fed tensors' unknown dimensions disagree (${[...fed].map(([n, t]) => `${n.name}: ${formatShape(t.shape)}`).join(', ')}); the compiled model plans every unknown dimension as one batch size B`,
      );
    }
    // Fed aliases and variables get buffers of their own above the plan's; a node that shares a
    // buffer (an alias group) is read at the address of what it aliases *in this run*: the fed
    // value when its source is fed (its shared buffer holds nothing then).
    const slot = new Map(plan.slots.map((s, i) => [s.node, { buffer: s.buffer, index: i + 1 }]));
    const owners = new Map<number, number>();
    for (const s of plan.slots) owners.set(s.buffer, (owners.get(s.buffer) ?? 0) + 1);
    let extra = 0;
    const own: [ManifestNode, Tensor][] = [];
    for (const [node, t] of fed) {
      const s = slot.get(node.name);
      if (!s) continue;
      if (node.op === 'variable' || plan.buffers[s.buffer].region !== 'arena' || (owners.get(s.buffer) ?? 0) > 1) {
        own.push([node, t]);
        extra += align16(t.data.byteLength);
      }
    }
    const { addr, free } = this.layout(plan, B, extra);
    let at = free;
    const runAddr = new Map<string, number>();
    for (const [node, t] of own) {
      runAddr.set(node.name, at);
      this.writeTensor(t, at);
      at += align16(t.data.byteLength);
    }
    for (const [node, t] of fed) {
      const s = slot.get(node.name);
      if (s && !runAddr.has(node.name)) this.writeTensor(t, addr[s.buffer]);
    }
    const addrOf = (name: string): number => runAddr.get(name) ?? addr[slot.get(name)!.buffer];
    // Slots are in graph order, so an alias's source is resolved before the alias.
    for (const s of plan.slots) {
      const node = this.model.node(s.node)!;
      if (!node.alias || fed.has(node) || !slot.has(node.inputs[0])) continue;
      const a = addrOf(node.inputs[0]);
      if (a !== addr[s.buffer]) runAddr.set(node.name, a);
    }
    const table = new Int32Array(this.memory.buffer);
    for (const [name, a] of runAddr) table[(plan.slotTable >> 2) + slot.get(name)!.index] = a;
    this.current = { plan, B };
    const checks = new Map<string, ManifestCheck[]>();
    for (const c of plan.checks ?? []) checks.set(c.node, [...(checks.get(c.node) ?? []), c]);
    const valueOf = (name: string): Tensor => {
      const n = this.model.node(name)!;
      const f = fed.get(n);
      if (f) return f;
      const s = slot.get(name);
      if (!s) throw new InternalError(`no buffer for '${name}'`, n.name, n.location);
      return this.readTensor(plan.buffers[s.buffer].dtype, slotShape(plan, name).map((p) => evalPoly(p, B!)), addrOf(name));
    };
    for (const node of order) {
      if (node.op === 'placeholder') this.placeholderError(node);
      this.checkShapeInputs(node, plan, B, valueOf, (name) => fed.get(this.model.node(name)!)?.shape ?? slotShape(plan, name).map((p) => evalPoly(p, B!)));
      for (const c of checks.get(node.name) ?? []) this.check(c, B);
      if (node.op === 'variable') {
        if (!this.initialized.has(node.name)) this.uninitialized(node.name);
        continue;
      }
      // assign_add/assign_sub read the variable they update.
      if ((node.op === 'assign_add' || node.op === 'assign_sub') && !this.initialized.has(node.inputs[0])) {
        const v = this.model.node(node.inputs[0])!;
        throw new FailedPreconditionError(`Attempting to use uninitialized value ${v.name}`, node.name, node.location);
      }
      if (node.op === 'const' || node.dtype === null) continue;
      if (node.kernel === null) {
        if (node.unsupported) throw new UnimplementedError(`'${node.name}' (op ${node.op}) cannot run on the WebAssembly backend: ${node.unsupported}`, node.name, node.location);
        continue; // an alias: shares its input's buffer
      }
      this.clearStatus();
      const failed = this.exports[plan.kernels[node.kernel].export](B);
      if (node.op === 'assign' || node.op === 'assign_add' || node.op === 'assign_sub') this.initialized.add(node.inputs[0]);
      if (failed) this.raiseStatus();
    }
    return unique.map((e) => {
      if (e.asOp) return null;
      const f = fed.get(e.node);
      if (f) return f;
      const s = slot.get(e.node.name);
      if (!s) throw new InternalError(`no buffer for '${e.node.name}'`, e.node.name, e.node.location);
      const b = plan.buffers[s.buffer];
      return this.readTensor(b.dtype, slotShape(plan, e.node.name).map((p) => evalPoly(p, B!)), addrOf(e.node.name));
    });
  }

  /** The reference Session's evaluation order: control inputs, then non-ref data inputs, depth first. */
  private order(targets: ManifestNode[], fed: Map<ManifestNode, Tensor>): ManifestNode[] {
    const out: ManifestNode[] = [];
    const done = new Set<ManifestNode>();
    const expanded = new Set<ManifestNode>();
    const inProgress = new Set<ManifestNode>();
    for (const t of targets) {
      if (fed.has(t) || done.has(t)) continue;
      const stack = [t];
      while (stack.length) {
        const n = stack[stack.length - 1];
        if (done.has(n) || fed.has(n)) {
          stack.pop();
          continue;
        }
        if (!expanded.has(n)) {
          expanded.add(n);
          inProgress.add(n);
          const refs = new Set(n.refInputs);
          const deps = [...n.controlInputs, ...n.inputs.filter((_, i) => !refs.has(i))].map((x) => this.model.node(x)!);
          for (let i = deps.length - 1; i >= 0; i--) {
            const d = deps[i];
            if (done.has(d) || fed.has(d)) continue;
            if (inProgress.has(d)) throw new InternalError(`Graph has a cycle through ${d.name}`, n.name, n.location);
            stack.push(d);
          }
          continue;
        }
        stack.pop();
        inProgress.delete(n);
        done.add(n);
        out.push(n);
      }
    }
    return out;
  }

  /**
   * Nodes with shape inputs (reshape's shape, slice's begin and size, compiler/ops OpDef
   * shapeInputs) are compiled for the values those inputs had when the graph was built, with
   * unknown entries following the batch convention. Before such a node runs on the generic path,
   * the inputs' run-time values (computed, or fed) must give what the module was compiled for:
   * a value the reference would reject raises the reference's InvalidArgumentError, any other
   * difference UnimplementedError naming the node — never the compiled value silently.
   * (fill_dims and slice_grad read their inputs in their kernels.)
   */
  private checkShapeInputs(node: ManifestNode, plan: ManifestPlan, B: number, valueOf: (name: string) => Tensor, shapeOf: (name: string) => readonly number[]): void {
    const isReshape = node.op === 'reshape' && node.inputs.length === 2;
    const isSlice = node.op === 'slice' && node.inputs.length === 3;
    if (!isReshape && !isSlice) return;
    const fail = (m: string): never => {
      throw new InvalidArgumentError(m, node.name, node.location);
    };
    const vector = (name: string, what: string): number[] => {
      const t = valueOf(name);
      if (t.shape.length !== 1) fail(`${what} must be 1-D, not ${formatShape(t.shape)}`);
      return Array.from(t.data);
    };
    const x = shapeOf(node.inputs[0]);
    const planned = slotShape(plan, node.name).map((p) => evalPoly(p, B));
    const differs = (what: string, got: readonly number[], want: readonly number[]): never => {
      throw new UnimplementedError(
        `'${node.name}' (op ${node.op}): its ${what} is ${formatShape(got)} at run time, but the WebAssembly module was compiled for ${formatShape(want)} (the value known when the graph was built, unknown dims = the batch size B = ${B})`,
        node.name,
        node.location,
      );
    };
    const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
    if (isReshape) {
      const target = vector(node.inputs[1], 'sizes input');
      const out = reshapeTargetOrFail(x, target, fail);
      if (!same(out, planned)) differs('shape', out, planned);
      return;
    }
    const begin = vector(node.inputs[1], 'begin');
    const size = vector(node.inputs[2], 'size');
    if (begin.length !== x.length || size.length !== x.length) {
      fail(`Expected begin and size arguments to be 1-D tensors of size ${x.length}, but got shapes [${begin.length}] and [${size.length}] instead.`);
    }
    const out = x.map((d, i) => {
      if (!Number.isInteger(begin[i]) || begin[i] < 0 || begin[i] > d) fail(`Expected begin[${i}] in [0, ${d}], but got ${begin[i]}`);
      if (size[i] === -1) return d - begin[i];
      if (size[i] < 0 || begin[i] + size[i] > d) fail(`Expected size[${i}] in [0, ${d - begin[i]}], but got ${size[i]}`);
      return size[i];
    });
    const compiled = node.attrs.begin as number[];
    if (!same(begin, compiled)) differs('begin', begin, compiled);
    if (!same(out, planned)) differs('size', out, planned);
  }

  /** A run-time shape check of the plan (manifest ManifestCheck) for B: the reference's error when it fails. */
  private check(c: ManifestCheck, B: number): void {
    const node = this.model.node(c.node)!;
    const [a, b] = c.shapes.map((s) => s.map((p) => evalPoly(p, B)));
    const size = (s: number[]): number => s.reduce((x, y) => x * y, 1);
    const fail = (m: string): never => {
      throw new InvalidArgumentError(m, node.name, node.location);
    };
    const planned = (m: string): never => {
      throw new UnimplementedError(`${m}; the module was compiled with every unknown dimension equal to the batch size B = ${B}`, node.name, node.location);
    };
    if (c.kind === 'reshape') {
      // a shape input's value was checked by checkShapeInputs; an attr shape is the target
      const attr = node.attrs.shape;
      const target = Array.isArray(attr) && attr.every((d) => typeof d === 'number') ? (attr as number[]) : b;
      reshapeTargetOrFail(a, target, fail);
      if (size(a) !== size(b)) planned(`Reshape of ${formatShape(a)} to ${formatShape(target)} gives a shape other than the planned ${formatShape(b)}`);
    } else if (c.kind === 'matmul') {
      const ka = node.attrs.transpose_a ? a[a.length - 2] : a[a.length - 1];
      const kb = node.attrs.transpose_b ? b[b.length - 1] : b[b.length - 2];
      if (ka !== kb) fail(a.length === 2 ? `Matrix size-incompatible: In[0]: ${formatShape(a)}, In[1]: ${formatShape(b)}` : `In[0] mismatch In[1] shape: ${ka} vs. ${kb}: ${formatShape(a)} ${formatShape(b)} ${node.attrs.transpose_a ? 1 : 0} ${node.attrs.transpose_b ? 1 : 0}`);
    } else {
      const k = Math.min(a.length, b.length);
      const [pa, pb] = c.shapes;
      const isOne = (p: ManifestPoly): boolean => Object.keys(p).every((m) => m === '') && p[''] === 1;
      const same = (p: ManifestPoly, q: ManifestPoly): boolean => JSON.stringify(Object.entries(p).sort()) === JSON.stringify(Object.entries(q).sort());
      for (let d = 1; d <= k; d++) {
        const [x, y] = [a[a.length - d], b[b.length - d]];
        const [px, py] = [pa[pa.length - d], pb[pb.length - d]];
        if (x === y || isOne(px) || isOne(py) || same(px, py)) continue;
        if (x !== 1 && y !== 1) fail(`Incompatible shapes: ${formatShape(a)} vs. ${formatShape(b)}`);
        planned(`Broadcasting ${formatShape(a)} with ${formatShape(b)} was planned without a size-1 dimension`);
      }
    }
  }

  /**
   * The fed tensors' unknown dims disagree (no single B): follow concrete shapes through the
   * needed nodes in the reference's order and raise the first shape error the reference would
   * (elementwise broadcasting, matmul inner dims, reshape sizes). Returns when there is none.
   */
  private shapeWalk(order: ManifestNode[], fed: Map<ManifestNode, Tensor>): void {
    const shapes = new Map<string, number[] | null>();
    for (const [n, t] of fed) shapes.set(n.name, [...t.shape]);
    const known = (n: ManifestNode): number[] | null => (n.shape !== null && n.shape.every((d) => d !== null) ? (n.shape as number[]) : null);
    for (const node of order) {
      if (shapes.has(node.name)) continue;
      const ins = node.inputs.map((x) => shapes.get(x) ?? known(this.model.node(x)!));
      let out: number[] | null = known(node);
      if (ins.every((x) => x !== null)) {
        const xs = ins as number[][];
        const fail = (m: string): never => {
          throw new InvalidArgumentError(m, node.name, node.location);
        };
        if (node.kind === 'elementwise' && xs.length >= 2) {
          let acc = xs[0];
          for (const x of xs.slice(1)) {
            const r = Math.max(acc.length, x.length);
            const o: number[] = [];
            for (let i = 0; i < r; i++) {
              const p = acc[acc.length - r + i] ?? 1;
              const q = x[x.length - r + i] ?? 1;
              if (p !== q && p !== 1 && q !== 1) fail(`Incompatible shapes: ${formatShape(acc)} vs. ${formatShape(x)}`);
              o.push(p === 1 ? q : p);
            }
            acc = o;
          }
          out = acc;
        } else if (node.kind === 'elementwise') out = xs[0];
        else if (node.op === 'matmul' && xs[0].length === 2 && xs[1].length === 2) {
          const [a, b] = xs;
          const ta = !!node.attrs.transpose_a;
          const tb = !!node.attrs.transpose_b;
          if ((ta ? a[0] : a[1]) !== (tb ? b[1] : b[0])) fail(`Matrix size-incompatible: In[0]: ${formatShape(a)}, In[1]: ${formatShape(b)}`);
          out = [ta ? a[1] : a[0], tb ? b[0] : b[1]];
        } else if (node.op === 'reshape' && node.inputs.length === 1 && Array.isArray(node.attrs.shape)) {
          const target = node.attrs.shape as number[];
          const n = xs[0].reduce((x, y) => x * y, 1);
          const k = target.filter((d) => d !== -1).reduce((x, y) => x * y, 1);
          const target1 = target.map((d) => (d === -1 ? (k === 0 ? 0 : n / k) : d));
          this.check({ node: node.name, kind: 'reshape', shapes: [xs[0].map((d) => ({ '': d })), target1.map((d) => ({ '': Number.isInteger(d) ? d : -1 }))] }, 1);
          out = target1;
        }
      }
      shapes.set(node.name, out);
    }
  }

  private placeholderError(node: ManifestNode): never {
    const withShape = node.shape !== null && node.shape.length > 0 ? ` and shape ${formatShape(node.shape)}` : '';
    throw new InvalidArgumentError(`You must feed a value for placeholder tensor '${node.name}' with dtype ${tfDTypeName(node.dtype!)}${withShape}`, node.name, node.location);
  }

  private uninitialized(variable: string): never {
    const n = this.model.node(variable)!;
    throw new FailedPreconditionError(`Attempting to use uninitialized value ${variable}`, n.name, n.location);
  }

  // ---------------------------------------------------------------- status and host calls

  private clearStatus(): void {
    new Int32Array(this.memory.buffer, this.manifest.memory.statusAddr, 4).fill(0);
  }

  private readStatus(): Status {
    const s = new Int32Array(this.memory.buffer, this.manifest.memory.statusAddr, 4);
    return { code: s[0], node: s[1], a0: s[2], a1: s[3] };
  }

  /** Raise the typed error the status words describe (codes of compiler/codegen/expr.ts FAIL). */
  private raiseStatus(): never {
    const s = this.readStatus();
    this.clearStatus();
    const node = this.manifest.nodes[s.node];
    const name = node?.name ?? null;
    const loc: SourceLocation | null = node?.location ?? null;
    const shapeOf = (input: string): number[] => {
      const cur = this.current;
      const n = this.model.node(input)!;
      if (cur) {
        const slot = cur.plan.slots.find((x) => x.node === input);
        if (slot) return slotShape(cur.plan, input).map((p) => evalPoly(p, cur.B));
      }
      return (n.shape ?? []).map((d) => d ?? 0);
    };
    const readInput = (input: string): Tensor | null => {
      const cur = this.current;
      if (!cur) return null;
      const slot = cur.plan.slots.find((x) => x.node === input);
      if (!slot) return null;
      const b = cur.plan.buffers[slot.buffer];
      const at = new Int32Array(this.memory.buffer)[(cur.plan.slotTable >> 2) + cur.plan.slots.indexOf(slot) + 1];
      return this.readTensor(b.dtype, slotShape(cur.plan, input).map((p) => evalPoly(p, cur.B)), at);
    };
    switch (s.code) {
      case 1:
        throw new InvalidArgumentError('Integer division by zero', name, loc);
      case 2:
        throw new InvalidArgumentError('Integers to negative integers are not allowed', name, loc);
      case 3: {
        const ps = shapeOf(node.inputs[0]);
        const is = shapeOf(node.inputs[1]);
        const axis = normAxis((node.attrs.axis as number) ?? 0, ps.length);
        throw new InvalidArgumentError(`indices${sliceDebugString(is, s.a0)} = ${s.a1} is not in [0, ${ps[axis]})`, name, loc);
      }
      case 4:
        throw new InvalidArgumentError('Input is not invertible.', name, loc);
      case 5: {
        const labels = readInput(node.inputs[0]);
        const ls = shapeOf(node.inputs[1]);
        const l = labels ? labels.data[s.a0] : NaN;
        throw new InvalidArgumentError(`Received a label value of ${l} which is outside the valid range of [0, ${ls[ls.length - 1]}).  Label values: ${labels ? Array.from(labels.data).join(' ') : ''}`, name, loc);
      }
      case 6: {
        const xs = shapeOf(node.inputs[0]);
        const axis = normAxis((node.attrs.axis as number) ?? 0, xs.length);
        throw new InvalidArgumentError(`Reduction axis ${axis} is empty in shape [${xs.join(',')}]`, name, loc);
      }
      case 7: {
        const have = shapeOf(node.inputs[0]).reduce((a, d) => a * d, 1);
        const want = node.op === 'reshape_like' ? shapeOf(node.inputs[1]).reduce((a, d) => a * d, 1) : s.a0;
        throw new InvalidArgumentError(`Input to reshape is a tensor with ${have} values, but the requested shape has ${want}`, name, loc);
      }
      case 8:
        throw this.shapeCheckError(node, shapeOf, readInput, name, loc);
      case 100:
        throw new InvalidArgumentError(`Need minval < maxval: ${String(node.attrs.minval ?? 0)} >= ${String(node.attrs.maxval)}`, name, loc);
    }
    throw new InternalError(`kernel failed with status ${s.code}`, name, loc);
  }

  /** The reference's error for a failed run-time shape check (status code 8) of `node`. */
  private shapeCheckError(node: ManifestNode, shapeOf: (input: string) => number[], readInput: (input: string) => Tensor | null, name: string | null, loc: SourceLocation | null): OpError {
    const fmt = (s: number[]): string => `[${s.join(',')}]`;
    const ins = node.inputs.map(shapeOf);
    switch (node.op) {
      case 'broadcast_like':
        return new InvalidArgumentError(`Unable to broadcast tensor of shape ${fmt(ins[0])} to tensor of shape ${fmt(ins[1])}`, name, loc);
      case 'sum_to_like':
        return new InvalidArgumentError(`Incompatible shapes: cannot sum ${fmt(ins[0])} down to ${fmt(ins[1])}`, name, loc);
      case 'concat_slice':
        return new InvalidArgumentError(`concat_slice: inputs do not fit in dy of shape ${fmt(ins[0])}`, name, loc);
      case 'scatter_add': {
        const axis = normAxis((node.attrs.axis as number) ?? 0, ins[0].length);
        const want = [...ins[0].slice(0, axis), ...ins[1], ...ins[0].slice(axis + 1)];
        return new InvalidArgumentError(`updates has shape ${fmt(ins[2])}, expected ${fmt(want)}`, name, loc);
      }
      case 'slice_grad': {
        // the reference's slice rules for dy at the run-time begin inside x (compiler/ops/layout.ts)
        const begin = readInput(node.inputs[2]);
        const [dy, x] = ins;
        const b = begin ? Array.from(begin.data) : [];
        for (let i = 0; i < x.length; i++) {
          if (!(b[i] >= 0 && b[i] <= x[i])) return new InvalidArgumentError(`Expected begin[${i}] in [0, ${x[i]}], but got ${b[i]}`, name, loc);
          if (b[i] + dy[i] > x[i]) return new InvalidArgumentError(`Expected size[${i}] in [0, ${x[i] - b[i]}], but got ${dy[i]}`, name, loc);
        }
        return new InvalidArgumentError(`Pad: dy of shape ${fmt(dy)} does not fit in ${fmt(x)} at begin ${fmt(b)}`, name, loc);
      }
      case 'fill_dims': {
        const dims = readInput(node.inputs[0]);
        const cur = this.current;
        const slot = cur?.plan.slots.find((x) => x.node === node.name);
        const compiled = cur && slot ? slotShape(cur.plan, node.name).map((p) => evalPoly(p, cur.B)) : [];
        return new UnimplementedError(`Fill: dims ${dims ? fmt(Array.from(dims.data)) : '?'} differ from the shape ${fmt(compiled)} this node was compiled for (every unknown dim is the batch size)`, name, loc);
      }
    }
    return new InvalidArgumentError(`${node.op}: incompatible run-time shapes ${ins.map(fmt).join(', ')}`, name, loc);
  }

  /** Host side of the random ops: the node's Philox stream (per session), as the reference's. */
  private hostRandom(nodeIdx: number, out: number, n: number): void {
    const node = this.manifest.nodes[nodeIdx];
    let st = this.streams.get(node.name);
    if (!st) {
      const seed = typeof node.attrs.seed === 'number' ? node.attrs.seed : 0;
      const seed2 = typeof node.attrs.seed2 === 'number' ? node.attrs.seed2 : 0;
      if (seed === 0 && seed2 === 0) {
        const base = this.options.seed ?? Math.floor(Math.random() * 0x7fffffff) + 1;
        st = new PhiloxStream(base, node.id + 1);
      } else st = new PhiloxStream(seed, seed2);
      this.streams.set(node.name, st);
    }
    const dtype = node.dtype!;
    const num = (k: string, d: number): number => (typeof node.attrs[k] === 'number' ? (node.attrs[k] as number) : d);
    const r = (v: number): number => (dtype === 'f32' ? Math.fround(v) : v);
    let data: ArrayLike<number>;
    if (node.op === 'random_uniform') {
      const lo = num('minval', 0);
      if (dtype === 'i32') {
        const hi = num('maxval', 0);
        if (!(lo < hi)) {
          const s = new Int32Array(this.memory.buffer, this.manifest.memory.statusAddr, 4);
          if (s[0] === 0) s.set([100, nodeIdx, 0, 0]);
          return;
        }
        data = uniformIntFromBits(st.next(n), lo, hi, n);
      } else {
        const hi = num('maxval', 1);
        const fd = dtype as 'f32' | 'f64';
        data = affine(uniformFromBits(st.next(wordsFor('uniform', fd, n)), fd, n), r, r(r(hi) - r(lo)), lo);
      }
    } else if (node.op === 'random_normal') {
      const fd = dtype as 'f32' | 'f64';
      data = affine(normalFromBits(st.next(wordsFor('normal', fd, n)), fd, n, this.normalMath), r, num('stddev', 1), num('mean', 0));
    } else {
      const fd = dtype as 'f32' | 'f64';
      data = affine(truncatedNormalFrom((c) => st!.next(c), fd, n, this.normalMath), r, num('stddev', 1), num('mean', 0));
    }
    const arr = allocArray(dtype, n);
    arr.set(data as ArrayLike<number>);
    new Uint8Array(this.memory.buffer, out, arr.byteLength).set(new Uint8Array(arr.buffer, 0, arr.byteLength));
    const stateAddr = this.randomState.get(node.name);
    if (stateAddr !== undefined) new Float64Array(this.memory.buffer, stateAddr, 1)[0] = st.position;
  }

  // ---------------------------------------------------------------- memory helpers

  private writeTensor(t: Tensor, at: number): void {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    new Uint8Array(this.memory.buffer).set(bytes, at);
  }

  private readTensor(dtype: DType, shape: readonly number[], at: number): Tensor {
    const n = sizeOf(shape);
    if (dtype !== 'bool' && at % byteSize(dtype) === 0) {
      // One copy out of wasm memory (aligned: a typed view's slice).
      const view = dtype === 'f32' ? new Float32Array(this.memory.buffer, at, n) : dtype === 'f64' ? new Float64Array(this.memory.buffer, at, n) : new Int32Array(this.memory.buffer, at, n);
      return new Tensor(dtype, [...shape], view.slice());
    }
    const out = allocArray(dtype, n);
    out.set(allocView(this.memory.buffer, dtype, at, n) as never);
    return new Tensor(dtype, [...shape], out);
  }
}

/**
 * The reference's Reshape kernel rules (compiler/ops/layout.ts): the target with its -1 resolved
 * for an input of shape `x`, or `fail` with the reference's message.
 */
function reshapeTargetOrFail(x: readonly number[], target: readonly number[], fail: (m: string) => never): number[] {
  let unknown = -1;
  target.forEach((d, i) => {
    if (d === -1) {
      if (unknown >= 0) fail(`Only one input size may be -1, not both ${unknown} and ${i}`);
      unknown = i;
    } else if (!Number.isInteger(d) || d < 0) fail(`Size ${i} must be non-negative, not ${d}`);
  });
  const n = x.reduce((a, d) => a * d, 1);
  const known = target.reduce((a, d, i) => (i === unknown ? a : a * d), 1);
  if (unknown >= 0) {
    if (known === 0) fail('Reshape cannot infer the missing input size for an empty tensor unless all specified input sizes are non-zero');
    if (n % known !== 0) fail(`Input to reshape is a tensor with ${n} values, but the requested shape requires a multiple of ${known}`);
  } else if (n !== known) fail(`Input to reshape is a tensor with ${n} values, but the requested shape has ${known}`);
  return target.map((d, i) => (i === unknown ? n / known : d));
}

function allocView(buf: ArrayBuffer, dtype: DType, at: number, n: number): ArrayLike<number> {
  const bytes = new Uint8Array(buf, at, n * byteSize(dtype)).slice();
  switch (dtype) {
    case 'f32':
      return new Float32Array(bytes.buffer);
    case 'f64':
      return new Float64Array(bytes.buffer);
    case 'i32':
      return new Int32Array(bytes.buffer);
    case 'bool':
      return bytes;
  }
}

function affine(samples: Float64Array, r: (v: number) => number, scale: number, shift: number): Float64Array {
  const s = r(scale);
  const b = r(shift);
  const out = new Float64Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = r(r(samples[i] * s) + b);
  return out;
}

function align16(x: number): number {
  return Math.ceil(x / 16) * 16;
}

function normAxis(a: number, rank: number): number {
  return a < 0 ? a + rank : a;
}

function sliceDebugString(shape: readonly number[], flat: number): string {
  if (shape.length === 0) return '';
  if (shape.length === 1) return `[${flat}]`;
  const st: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return `[${st.map((s, i) => Math.floor(flat / s) % shape[i]).join(',')}]`;
}

function isNpy(b: Uint8Array): boolean {
  return b.length >= 6 && b[0] === 0x93 && b[1] === 0x4e && b[2] === 0x55 && b[3] === 0x4d && b[4] === 0x50 && b[5] === 0x59;
}

function inferFlatShape(shape: (number | null)[] | null, n: number): number[] | null {
  if (shape === null) return null;
  const known = shape.reduce<number>((a, d) => a * (d ?? 1), 1);
  const unknown = shape.filter((d) => d === null).length;
  if (unknown === 0) return shape as number[];
  if (unknown === 1 && known > 0 && n % known === 0) return shape.map((d) => d ?? n / known);
  return null;
}

function collectOps(f: unknown, out: Set<string>): void {
  if (Array.isArray(f)) f.forEach((x) => collectOps(x, out));
  else if (f && typeof f === 'object') {
    if ('op' in f) out.add((f as { op: string }).op);
    else if ('dict' in f) for (const [, v] of (f as { dict: [string, unknown][] }).dict) collectOps(v, out);
  }
}

export { OpError, FeedTypeError, FeedValueError };
