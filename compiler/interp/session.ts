/**
 * @fileoverview The reference Session: runs a graph IR the way TF1's `Session.run` does, and
 * so defines what every program means (the wasm Session is tested against it).
 *
 * Input: a `Graph`, fetches (nodes, operations, names, nested lists/dicts of them) and feeds
 * (tensor → value). Output: the fetched values in the structure of the fetches.
 *
 * Rules (TF1's `client/session.py` and executor):
 * - only the subgraph the fetches need runs: a node's inputs and control inputs, transitively;
 *   a fed tensor's producer and everything above it are pruned;
 * - each node runs at most once per run (`run([r + 1, r + 2])` sees one `r`);
 * - control inputs run before data inputs, both depth-first in list order, so the order is
 *   deterministic; variables are read when their consumer runs (TF1's ref semantics: after
 *   the consumer's control dependencies, e.g. an `assign`, have run);
 * - `refInputs` of an op (the variable of `assign`) are not evaluated; the op gets null there;
 * - variables persist across runs; writes made before a failing node stay (as in TF1);
 * - errors: `OpError`s carry the failing node's name and `.tfg` location; Python-side errors
 *   (bad fetch, bad feed) are `ValueError`/`TypeError_` with TF1's messages.
 * Evaluation is iterative, so deep graphs (10k-node chains) do not hit a recursion limit.
 *
 * Memory: the bytes of the run's live tensors (fed values and computed values still needed by a
 * later node or fetched; a value is dropped after its last consumer ran) plus the variables
 * are counted (a tensor sharing another's data, a reshape say, counts once). Before a node runs,
 * its output's size — its static shape, else the op's shape rule applied to the actual input
 * shapes — is checked against `maxMemoryBytes` (default 1 GiB, as the wasm Session's), and a run
 * that would pass it raises ResourceExhaustedError at that node, before allocating anything;
 * outputs whose size depends on input values are counted (and checked) as they appear.
 */
import type { Session, SessionFeeds } from '../../session/session.js';
import { type DType, byteSize, tfDTypeName } from '../../session/dtype.js';
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
} from '../../session/errors.js';
import { PhiloxStream } from '../../session/random.js';
import { type NestedValue, Tensor, sizeOf } from '../../session/tensor.js';
import { type Graph, Node, Operation } from '../ir/graph.js';
import { ShapeError, formatShape, isCompatible } from '../ir/shape.js';
import { type EvalContext, type OpDef, OpTypeError } from '../ops/def.js';
import { getOp } from '../ops/registry.js';
import { hasShapeInput } from '../ops/static-value.js';
import { type Element, SessionTypeError, SessionValueError, asGraphElement, nodeLocation, pyRepr, pyTypeName, pyValueRepr, tensorStr } from './elements.js';
import { convertFeedValue } from './feeds.js';
import {
  DEFAULT_MAX_MEMORY_BYTES,
  type FetchMapper,
  buildFetchResult,
  checkFedShape,
  mapFetches,
  resolveFeedKey,
  resolveFetch,
  sameElement,
} from '../../session/run-common.js';

/** What can be fetched: a node (its tensor), an Operation, a name, or lists/dicts of those. */
export type Fetch = Node | Operation | string | readonly Fetch[] | { readonly [k: string]: Fetch };

/** What can be fed: a Tensor, nested arrays, a number or a boolean (converted to the dtype). */
export type FeedValue = Tensor | NestedValue | number | boolean;

/** Feeds: keys are nodes or names (`"X"` or `"X:0"`). */
export type Feeds = Map<Node | string, FeedValue> | Record<string, FeedValue>;

/** The result of `run(f)`: f's structure with a Tensor per tensor and null per operation. */
export type FetchResult<F> = F extends Node
  ? Tensor
  : F extends Operation
    ? null
    : F extends string
      ? Tensor | null
      : F extends readonly unknown[]
        ? { -readonly [K in keyof F]: FetchResult<F[K]> }
        : F extends { readonly [k: string]: unknown }
          ? { -readonly [K in keyof F]: FetchResult<F[K]> }
          : never;

/** A source of raw random words continuing across calls (session/random.ts's PhiloxStream). */
export interface RandomSource {
  next(count: number): Uint32Array;
}

export interface SessionOptions {
  /**
   * Session seed for random ops whose seed and seed2 are both 0 or absent (TF1 draws a
   * nondeterministic seed there; a given seed makes such runs reproducible). Absent: random.
   */
  seed?: number;
  /** Op lookup (defaults to the registry); lets tests run the Session on their own ops. */
  ops?: (name: string) => OpDef;
  /** Random stream factory (defaults to `new PhiloxStream(seed, seed2)`). */
  random?: (seed: number, seed2: number) => RandomSource;
  /** Largest memory of a run: live tensors plus variables (default 1 GiB, as the wasm Session's). */
  maxMemoryBytes?: number;
}

/**
 * Ops whose reference evaluation returns a view of an input's data (or the variable's own
 * value) rather than a new allocation: their output adds no bytes (test/interp checks each).
 */
export const VIEW_OPS: ReadonlySet<string> = new Set(['reshape', 'expand_dims', 'squeeze', 'variable', 'assign']);

/** Bytes held, per typed array (a tensor sharing another's data counts once), with holders counted. */
class MemoryMeter {
  private readonly held = new Map<ArrayBufferView, number>();
  total = 0;

  hold(t: Tensor): void {
    const n = this.held.get(t.data);
    if (n === undefined) this.total += t.data.byteLength;
    this.held.set(t.data, (n ?? 0) + 1);
  }

  release(t: Tensor): void {
    const n = this.held.get(t.data);
    if (n === undefined) return;
    if (n > 1) this.held.set(t.data, n - 1);
    else {
      this.held.delete(t.data);
      this.total -= t.data.byteLength;
    }
  }

  clear(): void {
    this.held.clear();
    this.total = 0;
  }
}

/** What a run holds while it executes: its counted tensors and the uses left of each value. */
interface RunMemory {
  /** Tensors the run counts, with how many times each is held. */
  held: Map<Tensor, number>;
  uses: Map<Node, number>;
}

/** How the reference Session's messages quote fetches (Tensors and Operations by their TF1 reprs). */
const REFERENCE_PY_NAMES = { repr: pyValueRepr, typeName: pyTypeName };

export class ReferenceSession implements Session {
  private values = new Map<string, Tensor>();
  private streams = new Map<Node, RandomSource>();
  private closed = false;
  private readonly lookupOp: (name: string) => OpDef;
  private readonly makeRandom: (seed: number, seed2: number) => RandomSource;
  private readonly meter = new MemoryMeter();
  private readonly refSets = new Map<OpDef, ReadonlySet<number>>();
  readonly maxMemoryBytes: number;

  constructor(
    readonly graph: Graph,
    readonly options: SessionOptions = {},
  ) {
    this.lookupOp = options.ops ?? getOp;
    this.makeRandom = options.random ?? ((s, s2) => new PhiloxStream(s, s2));
    const max = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
    if (!(max > 0)) throw new ValueError(`maxMemoryBytes must be a positive number of bytes, got ${max}`);
    this.maxMemoryBytes = max;
  }

  /** Bytes held now: the variables between runs, plus the live tensors during one. */
  get memoryBytes(): number {
    return this.meter.total;
  }

  // ---------------------------------------------------------------- public API

  /** TF1's `Session.run(fetches, feed_dict)`: typed by the fetch structure, or by names (the Session interface). */
  run<const F extends Fetch>(fetches: F, feeds?: Feeds): FetchResult<F>;
  run(fetches: unknown, feeds?: SessionFeeds): unknown;
  run(fetches: unknown, feeds?: Feeds | SessionFeeds): unknown {
    return this.runAny(fetches, feeds as Feeds);
  }

  /** Run one node (or operation, or name): its tensor, or null for an operation. */
  runOne(fetch: Node | Operation | string, feeds?: Feeds): Tensor | null {
    return this.runAny(fetch, feeds) as Tensor | null;
  }

  private runAny(fetches: unknown, feeds?: Feeds): unknown {
    this.checkOpen();
    if (this.graph.nodes.length === 0) {
      throw new RuntimeError('The Session graph is empty.  Add operations to the graph before calling run().');
    }
    const fed = this.convertFeeds(feeds);
    const unique: Element[] = [];
    const mapper = this.mapFetch(fetches, unique);
    if (unique.length === 0) return buildFetchResult(mapper, []);
    const values = this.execute(
      unique.map((e) => e.node),
      fed,
    );
    const results = unique.map((e) => (e.asOp ? null : (fed.get(e.node) ?? values.get(e.node) ?? null)));
    return buildFetchResult(mapper, results);
  }

  /** Current value of a variable (by variable node name); a copy. */
  readVariable(name: string): Tensor {
    this.checkOpen();
    const node = this.variableNode(name);
    const v = this.values.get(node.name);
    if (!v) throw new FailedPreconditionError(`Attempting to use uninitialized value ${node.name}`, node.name, nodeLocation(node));
    return new Tensor(v.dtype, [...v.shape], v.data.slice());
  }

  /**
   * Set a variable (as TF1's `Variable.load(value, session)`): the value is converted to the
   * variable's dtype like a feed; its shape must be the variable's.
   */
  writeVariable(name: string, value: Tensor | FeedValue): void {
    this.checkOpen();
    const node = this.variableNode(name);
    let t: Tensor;
    try {
      t = convertFeedValue(value, node.dtype!);
    } catch (e) {
      throw this.locatePython(e, node);
    }
    this.storeVariable(node, t);
  }

  /** Names of the graph's variable nodes, in creation order. */
  variableNames(): string[] {
    return this.graph.nodes.filter((n) => n.op === 'variable').map((n) => n.name);
  }

  /** Run every global variable's initializer (TF1's `sess.run(tf.global_variables_initializer())`). */
  initialize(): void {
    const inits = this.graph.globalVariables().map((v) => v.initializer.name);
    if (inits.length) this.run(inits);
  }

  /** Is the variable initialized in this session? */
  isInitialized(name: string): boolean {
    this.checkOpen();
    return this.values.has(this.variableNode(name).name);
  }

  /** Release the session's state; any later use raises TF1's RuntimeError. */
  close(): void {
    this.closed = true;
    this.values.clear();
    this.meter.clear();
    this.streams.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---------------------------------------------------------------- fetches

  private checkOpen(): void {
    if (this.closed) throw new RuntimeError('Attempted to use a closed Session.');
  }

  private variableNode(name: string): Node {
    const info = this.graph.variables.get(name);
    const node = info?.node ?? this.graph.get(name);
    if (!node || node.op !== 'variable') throw new ValueError(`${pyRepr(name)} is not a variable of this graph.`);
    return node;
  }

  /** session.py's _FetchMapper.for_fetch: flatten, resolve and dedup the fetches (session/run-common.ts). */
  private mapFetch(fetch: unknown, unique: Element[]): FetchMapper {
    const leaf = (x: unknown): Element => {
      const el = resolveFetch(
        x,
        (y) => typeof y === 'string' || y instanceof Node || y instanceof Operation,
        (y) => asGraphElement(this.graph, y, true),
        REFERENCE_PY_NAMES,
      );
      // A node without output fetched as a Node is an operation (gives null), as in TF1.
      return el.node.hasOutput ? el : { node: el.node, asOp: true };
    };
    return mapFetches(fetch, leaf, sameElement, unique);
  }

  // ---------------------------------------------------------------- feeds

  private convertFeeds(feeds: Feeds | undefined): Map<Node, Tensor> {
    const out = new Map<Node, Tensor>();
    if (!feeds) return out;
    const entries: [unknown, unknown][] = feeds instanceof Map ? [...feeds.entries()] : Object.entries(feeds);
    for (const [key, value] of entries) {
      const node = resolveFeedKey(key, (k) => asGraphElement(this.graph, k, false)).node;
      if (value instanceof Node || value instanceof Operation) {
        throw new SessionTypeError(
          `The value of a feed cannot be a tf.Tensor object. Acceptable feed values include Python scalars, strings, lists, numpy ndarrays, or TensorHandles. For reference, the tensor object was ${value instanceof Node ? tensorStr(value) : pyValueRepr(value)} which was passed to the feed with key ${tensorStr(node)}.`,
          node.name,
          nodeLocation(node),
        );
      }
      let t: Tensor;
      try {
        t = convertFeedValue(value, node.dtype as DType);
      } catch (e) {
        throw this.locatePython(e, node);
      }
      checkFedShape(t.shape, node.shape, node.tensorName, node.name, nodeLocation(node));
      out.set(node, t);
    }
    return out;
  }

  /** Attach a node's name and location to a Python-side error from feed conversion. */
  private locatePython(e: unknown, node: Node): Error {
    if (e instanceof TypeError_) {
      const t = new SessionTypeError(e.message, node.name, nodeLocation(node));
      if (e.name !== 'TypeError') t.name = e.name;
      return t;
    }
    if (e instanceof ValueError) {
      const v = new SessionValueError(e.message, node.name, nodeLocation(node));
      if (e.name !== 'ValueError') v.name = e.name;
      return v;
    }
    return e instanceof Error ? e : new Error(String(e));
  }

  // ---------------------------------------------------------------- execution

  /**
   * Evaluate `targets` (and what they need) in a deterministic depth-first order: for each
   * node, its control inputs, then its non-ref data inputs, then the node. Returns the values
   * of the nodes that ran (null for operations); fed nodes are not in the map.
   */
  private execute(targets: Node[], fed: Map<Node, Tensor>): Map<Node, Tensor | null> {
    const mem: RunMemory = { held: new Map(), uses: this.countUses(targets, fed) };
    try {
      for (const t of fed.values()) this.holdRun(mem, t);
      return this.executeHeld(targets, fed, mem);
    } finally {
      for (const [t, n] of mem.held) for (let i = 0; i < n; i++) this.meter.release(t);
    }
  }

  /**
   * For each value the run computes, how many of the nodes that will run read it (fetched values
   * are never dropped): the same walk as `executeHeld`, stopping at fed tensors.
   */
  private countUses(targets: Node[], fed: Map<Node, Tensor>): Map<Node, number> {
    const uses = new Map<Node, number>();
    const seen = new Set<Node>();
    const stack = targets.filter((n) => !fed.has(n));
    for (const n of stack) seen.add(n);
    while (stack.length > 0) {
      const node = stack.pop()!;
      let refs: ReadonlySet<number>;
      try {
        refs = this.refsOf(this.lookupOp(node.op));
      } catch {
        continue; // executeHeld raises the unknown op at its turn
      }
      for (const d of node.controlInputs) {
        if (!seen.has(d) && !fed.has(d)) {
          seen.add(d);
          stack.push(d);
        }
      }
      node.inputs.forEach((d, i) => {
        if (refs.has(i) || fed.has(d)) return;
        uses.set(d, (uses.get(d) ?? 0) + 1);
        if (!seen.has(d)) {
          seen.add(d);
          stack.push(d);
        }
      });
    }
    for (const t of targets) uses.set(t, Infinity);
    return uses;
  }

  private holdRun(mem: RunMemory, t: Tensor): void {
    this.meter.hold(t);
    mem.held.set(t, (mem.held.get(t) ?? 0) + 1);
  }

  private releaseRun(mem: RunMemory, t: Tensor): void {
    const n = mem.held.get(t);
    if (n === undefined) return;
    this.meter.release(t);
    if (n > 1) mem.held.set(t, n - 1);
    else mem.held.delete(t);
  }

  /** Raise ResourceExhaustedError at `node` if `more` bytes would take the session past its limit. */
  private checkMemory(node: Node, more: number, dtype: DType, shape: readonly number[]): void {
    if (this.meter.total + more <= this.maxMemoryBytes) return;
    throw new ResourceExhaustedError(
      `OOM when allocating tensor with shape[${shape.join(',')}] and type ${tfDTypeName(dtype)}: ${more} bytes on top of the ${this.meter.total} bytes of this run's live tensors and the variables, more than the session's limit of ${this.maxMemoryBytes} bytes (maxMemoryBytes)`,
      node.name,
      nodeLocation(node),
    );
  }

  /**
   * The output shape of `node` before it runs: its static shape, else the op's shape rule on the
   * actual input shapes; null when it depends on input values (or the rule rejects the inputs,
   * which the evaluation then reports).
   */
  private outputShape(node: Node, def: OpDef, inputs: (Tensor | null)[]): readonly number[] | null {
    if (node.shape !== null && node.shape.every((d) => d !== null)) return node.shape as number[];
    try {
      const sigs = inputs.map((t, i) => (t ? { dtype: t.dtype, shape: [...t.shape] } : { dtype: node.inputs[i].dtype!, shape: node.inputs[i].shape }));
      const out = def.infer(sigs, node.attrs)?.shape ?? null;
      return out !== null && out.every((d) => d !== null) ? (out as number[]) : null;
    } catch {
      return null;
    }
  }

  private executeHeld(targets: Node[], fed: Map<Node, Tensor>, mem: RunMemory): Map<Node, Tensor | null> {
    const values = new Map<Node, Tensor | null>();
    const inProgress = new Set<Node>();
    const stack: Node[] = [];
    const expanded = new Set<Node>();
    for (const target of targets) {
      if (fed.has(target) || values.has(target)) continue;
      stack.push(target);
      while (stack.length > 0) {
        const node = stack[stack.length - 1];
        if (values.has(node) || fed.has(node)) {
          stack.pop();
          continue;
        }
        if (!expanded.has(node)) {
          expanded.add(node);
          inProgress.add(node);
          const def = this.opDef(node);
          const refs = this.refsOf(def);
          const deps: Node[] = [...node.controlInputs];
          node.inputs.forEach((inp, i) => {
            if (!refs.has(i)) deps.push(inp);
          });
          // Push in reverse so the first dependency is evaluated first.
          for (let i = deps.length - 1; i >= 0; i--) {
            const d = deps[i];
            if (values.has(d) || fed.has(d)) continue;
            if (inProgress.has(d)) throw new InternalError(`Graph has a cycle through ${d.name}`, node.name, nodeLocation(node));
            stack.push(d);
          }
          continue;
        }
        stack.pop();
        inProgress.delete(node);
        const out = this.evalNode(node, values, fed, mem);
        values.set(node, out);
        // Values whose last reader just ran are dropped (and stop counting).
        const refs = this.refsOf(this.opDef(node));
        node.inputs.forEach((d, i) => {
          if (refs.has(i) || fed.has(d)) return;
          const left = (mem.uses.get(d) ?? 1) - 1;
          mem.uses.set(d, left);
          const v = values.get(d);
          if (left === 0 && v) {
            this.releaseRun(mem, v);
            values.set(d, null);
          }
        });
      }
    }
    return values;
  }

  /** The indices of an op's reference inputs (not evaluated), as a set. */
  private refsOf(def: OpDef): ReadonlySet<number> {
    let r = this.refSets.get(def);
    if (!r) this.refSets.set(def, (r = new Set(def.refInputs ?? [])));
    return r;
  }

  private opDef(node: Node): OpDef {
    try {
      return this.lookupOp(node.op);
    } catch (e) {
      throw new InternalError(`No reference evaluation for op '${node.op}': ${(e as Error).message}`, node.name, nodeLocation(node));
    }
  }

  /** Value of an input when its consumer runs: fed, a fresh variable read, or the cached value. */
  private inputValue(inp: Node, values: Map<Node, Tensor | null>, fed: Map<Node, Tensor>, consumer: Node): Tensor {
    const f = fed.get(inp);
    if (f) return f;
    if (inp.op === 'variable') {
      const v = this.values.get(inp.name);
      if (!v) throw new FailedPreconditionError(`Attempting to use uninitialized value ${inp.name}`, consumer.name, nodeLocation(consumer));
      return v;
    }
    const v = values.get(inp);
    if (!v) throw new InternalError(`Input ${inp.name} of ${consumer.name} has no value`, consumer.name, nodeLocation(consumer));
    return v;
  }

  private evalNode(node: Node, values: Map<Node, Tensor | null>, fed: Map<Node, Tensor>, mem: RunMemory): Tensor | null {
    if (node.op === 'placeholder') {
      const dtype = tfDTypeName(node.dtype!);
      const withShape = node.shape !== null && node.shape.length > 0 ? ` and shape ${formatShape(node.shape)}` : '';
      throw new InvalidArgumentError(
        `You must feed a value for placeholder tensor '${node.name}' with dtype ${dtype}${withShape}`,
        node.name,
        nodeLocation(node),
      );
    }
    const def = this.opDef(node);
    const refs = this.refsOf(def);
    let out: Tensor | null;
    try {
      const inputs = node.inputs.map((inp, i) => (refs.has(i) ? null : this.inputValue(inp, values, fed, node)));
      if (node.dtype !== null && !VIEW_OPS.has(node.op)) {
        const shape = this.outputShape(node, def, inputs);
        if (shape) this.checkMemory(node, sizeOf(shape) * byteSize(node.dtype), node.dtype, shape);
      }
      out = def.eval(inputs, node.attrs, this.context(node));
    } catch (e) {
      throw this.locate(e, node);
    }
    if (node.dtype === null) return null;
    if (out instanceof Tensor) {
      // Counted now; a size that depended on input values is checked now too.
      this.holdRun(mem, out);
      if (this.meter.total > this.maxMemoryBytes) {
        const more = out.data.byteLength;
        this.releaseRun(mem, out);
        this.checkMemory(node, more, out.dtype, out.shape);
      }
    }
    if (out instanceof Tensor && out.dtype === node.dtype && !isCompatible(out.shape, node.shape) && hasShapeInput(node)) {
      // TF1 lets a fed shape tensor contradict the static shape; tfg's graphs rely on static shapes.
      throw new UnimplementedError(
        `'${node.name}' (op ${node.op}) gives shape ${formatShape([...out.shape])} from the run-time value of its shape input, but the graph was built with its static shape ${formatShape(node.shape)} (from the value that input had then); tfg needs the two to agree`,
        node.name,
        nodeLocation(node),
      );
    }
    if (!(out instanceof Tensor) || out.dtype !== node.dtype || !isCompatible(out.shape, node.shape)) {
      const got = out instanceof Tensor ? `${tfDTypeName(out.dtype)}${formatShape([...out.shape])}` : String(out);
      throw new InternalError(
        `Op '${node.op}' produced ${got} but the graph says ${tfDTypeName(node.dtype)}${formatShape(node.shape)}`,
        node.name,
        nodeLocation(node),
      );
    }
    return out;
  }

  /** The EvalContext an op sees while `node` runs. */
  private context(node: Node): EvalContext {
    return {
      node,
      readVariable: (variable: Node): Tensor => {
        const v = this.values.get(variable.name);
        if (!v) throw new FailedPreconditionError(`Attempting to use uninitialized value ${variable.name}`, node.name, nodeLocation(node));
        return v;
      },
      // The op validated the shape (assign with validate_shape=false may change it).
      writeVariable: (variable: Node, value: Tensor): void => this.storeVariable(variable, value, node, false),
      randomBits: (count: number): Uint32Array => this.stream(node).next(count),
    };
  }

  private storeVariable(variable: Node, value: Tensor, by: Node = variable, checkShape = true): void {
    if (variable.op !== 'variable') {
      throw new InvalidArgumentError(`${variable.name} is not a variable (op ${variable.op})`, by.name, nodeLocation(by));
    }
    if (value.dtype !== variable.dtype) {
      throw new InvalidArgumentError(
        `Assign requires the value's dtype to match the variable's: ${variable.name} is ${tfDTypeName(variable.dtype!)}, the value is ${tfDTypeName(value.dtype)}`,
        by.name,
        nodeLocation(by),
      );
    }
    if (checkShape && !isCompatible(value.shape, variable.shape)) {
      throw new InvalidArgumentError(
        `Assign requires shapes of both tensors to match. lhs shape= ${formatShape(variable.shape)} rhs shape= ${formatShape([...value.shape])}`,
        by.name,
        nodeLocation(by),
      );
    }
    const old = this.values.get(variable.name);
    this.meter.hold(value);
    if (old) this.meter.release(old);
    this.values.set(variable.name, value);
  }

  /** The node's Philox stream, created on first use, advancing across runs. */
  private stream(node: Node): RandomSource {
    let s = this.streams.get(node);
    if (!s) {
      const seed = typeof node.attrs.seed === 'number' ? node.attrs.seed : 0;
      const seed2 = typeof node.attrs.seed2 === 'number' ? node.attrs.seed2 : 0;
      if (seed === 0 && seed2 === 0) {
        // TF1: both zero means "nondeterministic"; a session seed makes it reproducible.
        const base = this.options.seed ?? Math.floor(Math.random() * 0x7fffffff) + 1;
        s = this.makeRandom(base, node.id + 1);
      } else s = this.makeRandom(seed, seed2);
      this.streams.set(node, s);
    }
    return s;
  }

  /** Give an error thrown while `node` ran the node's name and location, as an OpError. */
  private locate(e: unknown, node: Node): OpError {
    const loc: SourceLocation | null = nodeLocation(node);
    if (e instanceof OpError) {
      if (e.nodeName !== null) return e;
      const Ctor = e.constructor as new (m: string, n: string | null, l: SourceLocation | null) => OpError;
      return new Ctor(e.tfMessage, node.name, loc);
    }
    if (e instanceof ShapeError || e instanceof OpTypeError || e instanceof ValueError || e instanceof TypeError_) {
      return new InvalidArgumentError(e.message, node.name, loc);
    }
    const msg = e instanceof Error ? e.message : String(e);
    return new InternalError(msg, node.name, loc);
  }
}
