/**
 * @fileoverview The half of `tfg run` after the build (cli/run.ts builds), shared by a compiled
 * run and a run from the compiled-module cache (cli/cache.ts), so both behave the same by
 * construction:
 *
 * - `RunTable`: what the run needs from the built program, as plain data: how `--fetch` and
 *   `--feed` names resolve (top-level bindings, node names, list/tuple/dict bindings as fetch
 *   structures), the initializers, the variables' dtypes and shapes (for `--checkpoint`), the
 *   source spans of the nodes (run-time errors print `file:line:col` and a code frame), and the
 *   build's diagnostics and `print()` output (replayed). cli/run.ts makes it from a
 *   BuildResult; a cache entry stores it beside the module.
 * - `executeRun`: feeds, fetches, the session (opened by the caller's function), initializers,
 *   checkpoint, run, output.
 * - `tryCachedRun`: `tfg run` from a cache entry, or null on a miss. It loads the module with the
 *   loader alone (session/): no binaryen, no parser.
 *
 * Light: imports no part of the compiler but its diagnostics and host layer.
 */
// Node's worker_threads host for the session's thread pool (browser code registers Web Workers instead)
import '../session/node/threads.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { didYouMean } from '../compiler/diagnostics/suggest.js';
import { type Diagnostic, type Severity, formatDiagnostics } from '../compiler/diagnostics/diagnostic.js';
import { SourceFile, type Span } from '../compiler/diagnostics/span.js';
import { host } from '../compiler/host.js';
import type { DType } from '../session/dtype.js';
import { readCheckpointTensors } from '../session/node/checkpoint.js';
import { pyRepr } from '../session/run-common.js';
import type { Session } from '../session/session.js';
import type { Tensor } from '../session/tensor.js';
import { matchCheckpoint } from '../session/train/saver.js';
import { loadModelSync } from '../session/wasm/sync.js';
import { cacheDir, cacheKey, readEntry, sha256 } from './cache.js';
import { CliError, type Io, type SpanSource, renderError } from './io.js';
import { limitsFromOptions } from './limits.js';
import { type PerfOptions, loadOptionsFrom, perfNotes } from './perf.js';
import { type FeedArg, fetchToJson, formatFetchText, formatFetchesJson, loadFeeds, parseFeedArg, writeFetches } from './values.js';

export interface RunOptions extends PerfOptions {
  fetch?: string[];
  feed?: string[];
  graph?: string;
  json?: boolean;
  out?: string;
  /** Run the global variable initializers first (default true; `--no-init` turns it off). */
  init?: boolean;
  seed?: string;
  backend?: string;
  /** Restore the variables from a checkpoint (a tfg train logdir or checkpoint folder, a prefix, or a .safetensors file) after the initializers. */
  checkpoint?: string;
  /** The compiled-module cache (default true; `--no-cache` turns it off). */
  cache?: boolean;
}

export const BACKENDS = ['reference', 'wasm'] as const;

/** A fetch structure (names, lists, dicts), as Session.run takes it. */
export type FetchTree = string | null | FetchTree[] | { [k: string]: FetchTree };

/** A source range as offsets into the program's text. */
export type SpanRange = [start: number, end: number];

export interface TableDiagnostic {
  code: number;
  severity: Severity;
  message: string;
  span: SpanRange | null;
  related?: { span: SpanRange; message: string }[];
  expected?: string;
}

/** What a run needs from the built program (see the file comment). */
export interface RunTable {
  /** The graph run. */
  graph: string;
  /** Every top-level binding, in order (for "did you mean"). */
  bindings: string[];
  /** The graph's nodes in order, each with whether it has an output (a tensor) or is an operation. */
  nodes: [name: string, hasOutput: boolean][];
  /** Bindings naming a tensor, variable or operation of the graph: the Session name (`x:0` or `x`). */
  resolved: [binding: string, name: string][];
  /** Bindings holding a list, tuple or dict: the fetch structure, or the error fetching it gives. */
  structured: [binding: string, tree: FetchTree | { error: string }][];
  /** The global variables' initializers. */
  inits: string[];
  /** The graph's variables: dtype and shape (unknown dimensions 0). */
  variables: [name: string, dtype: DType, shape: number[]][];
  /** Source ranges of the program's nodes by name (any graph; the first holding the name). */
  spans: [node: string, range: SpanRange][];
  /** The build's diagnostics (warnings). */
  diagnostics: TableDiagnostic[];
  /** What the program printed while it was built. */
  prints: string[];
}

/** The validated options of a run. */
export interface RunPlan {
  backend: 'reference' | 'wasm';
  explicit: boolean;
  fetchNames: string[];
  seed: number | undefined;
  feedArgs: FeedArg[];
}

/** Check the options that need no program (the errors come before anything is built). */
export function planRun(opts: RunOptions): RunPlan {
  const explicit = opts.backend !== undefined;
  const backend = opts.backend ?? 'wasm';
  if (backend !== 'reference' && backend !== 'wasm') throw new CliError(`unknown --backend '${backend}' (expected ${BACKENDS.join(' or ')})`);
  const fetchNames = opts.fetch ?? [];
  if (fetchNames.length === 0) throw new CliError('nothing to fetch: give --fetch NAME...');
  let seed: number | undefined;
  if (opts.seed !== undefined) {
    seed = Number(opts.seed);
    if (!Number.isInteger(seed)) throw new CliError(`--seed expects an integer, got '${opts.seed}'`);
  }
  const feedArgs = (opts.feed ?? []).map(parseFeedArg);
  return { backend, explicit, fetchNames, seed, feedArgs };
}

/** The table's names and spans, indexed. */
export class RunNames {
  private readonly resolved: Map<string, string>;
  private readonly structured: Map<string, FetchTree | { error: string }>;
  private readonly nodes: Map<string, boolean>;
  private readonly spans: Map<string, SpanRange>;
  private readonly variables: Map<string, { dtype: DType; shape: number[] }>;
  readonly file: SourceFile;

  constructor(
    readonly table: RunTable,
    fileName: string,
    text: string,
  ) {
    this.resolved = new Map(table.resolved);
    this.structured = new Map(table.structured);
    this.nodes = new Map(table.nodes);
    this.spans = new Map(table.spans);
    this.variables = new Map(table.variables.map(([n, dtype, shape]) => [n, { dtype, shape }]));
    this.file = new SourceFile(fileName, text);
  }

  /**
   * A fetch or feed name as the Session names it: a binding of the graph's, else a node name
   * (`x` or `x:0`; a tensor's name when the node has an output, `x:0`).
   */
  resolve(name: string): string {
    const b = this.resolved.get(name);
    if (b !== undefined) return b;
    if (name.includes(':')) return name; // the Session raises TF1's error for a bad tensor name
    const hasOutput = this.nodes.get(name);
    if (hasOutput !== undefined) return hasOutput ? `${name}:0` : name;
    const known = [...this.table.bindings, ...this.table.nodes.map(([n]) => n)];
    throw new CliError(`no variable or node named '${name}' in graph '${this.table.graph}'${didYouMean(name, known, 'plain')}`);
  }

  /** A fetch: a list, tuple or dict binding as its structure, else a name. */
  fetch(name: string): FetchTree {
    const s = this.structured.get(name);
    if (s === undefined) return this.resolve(name);
    if (s !== null && typeof s === 'object' && !Array.isArray(s) && 'error' in s && typeof s.error === 'string') throw new CliError(s.error);
    return s as FetchTree;
  }

  variable(name: string): { dtype: DType; shape: number[] } | undefined {
    return this.variables.get(name);
  }

  span(r: SpanRange): Span {
    return { file: this.file, start: r[0], end: r[1] };
  }

  /** The span of a node (run-time errors' code frames). */
  readonly nodeSpan = (name: string): Span | null => {
    const r = this.spans.get(name);
    return r ? this.span(r) : null;
  };

  diagnostics(): Diagnostic[] {
    return this.table.diagnostics.map((d) => ({
      code: d.code,
      severity: d.severity,
      message: d.message,
      span: d.span ? this.span(d.span) : null,
      ...(d.related ? { related: d.related.map((x) => ({ span: this.span(x.span), message: x.message })) } : {}),
      ...(d.expected !== undefined ? { expected: d.expected } : {}),
    }));
  }
}

/** The leaves of a fetched structure with their printed names: `grads[0]`, `d['w']`. */
function leaves(name: string, v: unknown, out: [string, Tensor | null][]): void {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(`${name}[${i}]`, x, out));
  else if (v !== null && typeof v === 'object' && !('dtype' in v)) for (const [k, x] of Object.entries(v)) leaves(`${name}[${pyRepr(k)}]`, x, out);
  else out.push([name, v as Tensor | null]);
}

/** A fetched structure as JSON: the same nesting, a {dtype, shape, value} per tensor. */
function treeToJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(treeToJson);
  if (v !== null && typeof v === 'object' && !('dtype' in v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, treeToJson(x)]));
  return fetchToJson(v as Tensor | null);
}

/**
 * Restore a session's variables from a checkpoint, as TF1's Saver.restore: every variable of
 * the session must be in it with its dtype and shape (tensors it has beyond them are ignored).
 */
export function restoreVariables(sess: Session, variable: (name: string) => { dtype: DType; shape: number[] } | undefined, path: string, io: Io): void {
  const { tensors, source } = readCheckpointTensors(path, { warn: (m) => io.err(`warning: ${m}`) });
  const expected = new Map(sess.variableNames().map((n) => [n, variable(n)!]));
  for (const [name, t] of matchCheckpoint(tensors, expected)) sess.writeVariable(name, t);
  io.err(`restored ${expected.size} variable${expected.size === 1 ? '' : 's'} from ${source}`);
}

/** A session the caller opened, with the reason when it fell back to the reference Session. */
export interface OpenedRun {
  session: Session;
  fallbackReason?: string;
}

/** Run a planned `tfg run` on the names of a built program; `open` opens its session. Throws what the run throws. */
export function executeRun(names: RunNames, plan: RunPlan, opts: RunOptions, io: Io, open: () => OpenedRun): number {
  const feeds = new Map<string, unknown>();
  for (const a of plan.feedArgs) for (const [name, value] of loadFeeds(a)) feeds.set(names.resolve(name), value);
  // A name may also be a binding holding a list, tuple or dict (`grads`): fetched as that structure.
  const fetches: FetchTree[] = plan.fetchNames.map((n) => names.fetch(n));
  const opened = open();
  if (opened.fallbackReason)
    io.err(`note: graph '${names.table.graph}' does not compile to WebAssembly (${opened.fallbackReason}); running it on the reference Session`);
  const sess = opened.session;
  for (const n of perfNotes(sess)) io.err(n);
  try {
    if (opts.init !== false) {
      const inits = names.table.inits;
      if (inits.length) sess.run(inits, feeds);
    }
    if (opts.checkpoint) restoreVariables(sess, (n) => names.variable(n), opts.checkpoint, io);
    const values = sess.run(fetches, feeds) as unknown[];
    const named: [string, Tensor | null][] = [];
    plan.fetchNames.forEach((n, i) => leaves(n, values[i], named));
    // The files first: whatever happens to the printing, --out has the values.
    if (opts.out) writeFetches(opts.out, named);
    if (opts.json) {
      // Plain fetches stream through formatFetchesJson (which refuses texts too large to
      // print); a structured fetch (a list or dict binding) keeps its nesting.
      if (fetches.every((f) => typeof f === 'string')) io.out(formatFetchesJson(named));
      else io.out(JSON.stringify(Object.fromEntries(plan.fetchNames.map((n, i) => [n, treeToJson(values[i])]))));
    } else for (const [n, v] of named) io.out(formatFetchText(n, v));
  } finally {
    sess.close();
  }
  return 0;
}

/** What a run's cache entry holds beside the module. */
export interface RunCacheMeta {
  table: RunTable;
}

/** The source of a run as read for its cache key: its text, or null when it cannot be read (the build reports that). */
export function readRunSource(file: string): { bytes: Buffer; text: string } | null {
  try {
    const bytes = readFileSync(file);
    return { bytes, text: bytes.toString('utf8') };
  } catch {
    return null;
  }
}

/**
 * The cache key of a run's compile: the source (bytes, path as given and absolute), the graph,
 * the limits and the compile options `tfg run` uses. The run-time options (feeds, fetches,
 * seed, threads, fast math, checkpoint) are applied to the loaded module and are not part of it.
 */
export function runCacheKey(file: string, source: Uint8Array, opts: RunOptions): string | null {
  return cacheKey({
    command: 'run',
    file,
    path: resolve(file),
    source: sha256(source),
    graph: opts.graph ?? null,
    limits: limitsFromOptions(opts as Record<string, unknown>),
    compile: { optimize: false, fuse: true, generic: true, signatures: 'all' },
  });
}

/** Whether a run may use the cache: on unless `--no-cache`, and only for the wasm backend. */
export function runUsesCache(plan: RunPlan, opts: RunOptions): boolean {
  return opts.cache !== false && plan.backend === 'wasm';
}

/** Replay what the build printed: the program's `print()` output, then its diagnostics. */
export function replayBuild(names: RunNames, io: Io): void {
  for (const p of names.table.prints) host().print(p);
  const ds = names.diagnostics();
  if (ds.length) io.err(formatDiagnostics(ds, { color: io.color }));
}

/**
 * `tfg run` from the compiled-module cache: the exit code, or null on a miss (or when the cache
 * is off), for cli/run.ts to build and compile. Errors of a hit print as an uncached run prints
 * them (the same names, messages and source locations).
 */
export function tryCachedRun(file: string, opts: RunOptions, io: Io): number | null {
  let spans: SpanSource = [];
  try {
    const plan = planRun(opts);
    if (!runUsesCache(plan, opts)) return null;
    const src = readRunSource(file);
    if (!src) return null;
    const key = runCacheKey(file, src.bytes, opts);
    if (!key) return null;
    const entry = readEntry<RunCacheMeta>(cacheDir(), key);
    if (!entry) return null;
    const names = new RunNames(entry.meta.table, file, src.text);
    replayBuild(names, io);
    spans = names.nodeSpan;
    const wasm = entry.wasm;
    return executeRun(names, plan, opts, io, () => {
      const load = loadOptionsFrom(opts);
      const withRelaxed = load.fastMath && load.relaxedRuntime === undefined ? { ...load, relaxedRuntime: host().runtimeWasm('relaxed') } : load;
      const model = loadModelSync(wasm as Uint8Array<ArrayBuffer>, withRelaxed);
      return { session: model.createSession(plan.seed === undefined ? {} : { seed: plan.seed }) };
    });
  } catch (e) {
    io.err(renderError(e, spans, io.color));
    return 1;
  }
}
