/**
 * @fileoverview `tfg run FILE --fetch NAME... [--feed NAME=VALUE ...] [--graph G] [--json]
 * [--out DIR] [--no-init] [--seed N] [--backend wasm|reference]`: build the program, compile
 * one graph to WebAssembly and open a wasm Session on it (the default; `--backend reference`
 * runs the reference Session instead), run the global variable initializers (on by default, so
 * `tfg run f.tfg --fetch f` prints 42 for the seed's first graph), then fetch. Without an
 * explicit `--backend`, a graph the WebAssembly backend cannot compile runs on the reference
 * Session after a note on stderr naming the reason; with `--backend wasm` it is an error.
 *
 * Fetch and feed names resolve first as the program's top-level bindings (`f` in `f = x*x*y`),
 * then as graph node names. Unlike TF1's `Session.run("name")`, which fetches the operation
 * (None), a bare node name that has an output is fetched as its tensor here: `--fetch f` and
 * `--fetch f:0` print the same value. Operations print `None`. A feed `--feed X=...` names a
 * binding or node and feeds its tensor (`X:0`): the Sessions, like TF1's, take tensor names as
 * feed keys (a bare `"X"` in a feed_dict is TF1's TypeError).
 */
// Node's worker_threads host for the session's thread pool (browser code registers Web Workers instead)
import '../session/node/threads.js';
import { didYouMean } from '../compiler/diagnostics/suggest.js';
import { Node, Operation, type Graph } from '../compiler/ir/graph.js';
import type { FeedValue } from '../compiler/interp/session.js';
import { openSession, type Session } from '../compiler/session.js';
import { type PerfOptions, loadOptionsFrom, perfNotes } from './perf.js';
import { readCheckpointTensors } from '../session/node/checkpoint.js';
import { matchCheckpoint } from '../session/train/saver.js';
import type { Tensor } from '../session/tensor.js';
import { limitsFromOptions } from './limits.js';
import { CliError, type Io, processIo, renderError, reportDiagnostics } from './io.js';
import { type BuildResult, allGraphs, loadProgram, selectGraph } from './program.js';
import type { Value } from '../compiler/frontend/index.js';
import { pyRepr } from '../session/run-common.js';
import { fetchToJson, formatFetchText, formatFetchesJson, loadFeeds, parseFeedArg, writeFetches } from './values.js';

/** A fetch or feed as the Session interface names it: `x:0` for a tensor, `x` for an operation. */
function nameOf(x: Node | string): string {
  if (typeof x === 'string') return x;
  return x.hasOutput ? `${x.name}:0` : x.name;
}

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
}

export const BACKENDS = ['reference', 'wasm'] as const;

/** A fetch structure (names, lists, dicts), as Session.run takes it. */
export type FetchTree = string | null | FetchTree[] | { [k: string]: FetchTree };

/**
 * A binding holding a list, tuple or dict of tensors and operations (`grads = gradients(...)`)
 * as a fetch structure of names; null when the binding is not such a structure.
 */
export function structuredBinding(r: BuildResult, g: Graph, name: string): FetchTree[] | { [k: string]: FetchTree } | null {
  const v = r.bindings.get(name);
  if (!v || (v.kind !== 'list' && v.kind !== 'tuple' && v.kind !== 'dict')) return null;
  const conv = (x: Value, where: string): FetchTree => {
    switch (x.kind) {
      case 'tensor':
      case 'op':
        if (x.node.graph !== g) throw new CliError(`${where} is a node of graph '${x.node.graph.name}', not of '${g.name}'`);
        return x.kind === 'tensor' ? `${x.node.name}:0` : x.node.name;
      case 'variable':
        return `${x.info.node.name}:0`;
      case 'none':
        return null; // the Session raises TF1's TypeError for a None fetch
      case 'list':
      case 'tuple':
        return x.items.map((y, i) => conv(y, `${where}[${i}]`));
      case 'dict':
        return Object.fromEntries(
          [...x.map.values()].map(({ key, value }) => {
            const k = key.kind === 'str' ? key.value : String((key as { value?: unknown }).value);
            return [k, conv(value, `${where}[${JSON.stringify(k)}]`)];
          }),
        );
      default:
        throw new CliError(`${where} is a ${x.kind}, not a tensor or an operation`);
    }
  };
  return conv(v, name) as FetchTree[] | { [k: string]: FetchTree };
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

/** A fetch or feed name as a graph element: a binding, else a node name (`x` or `x:0`). */
export function resolveName(r: BuildResult, g: Graph, name: string): Node | string {
  const found = r.lookup(name, g === r.defaultGraph ? undefined : g.name);
  if (found instanceof Operation) return found.node;
  if (found instanceof Node) return found;
  if (name.includes(':')) return name; // the Session raises TF1's error for a bad tensor name
  const node = g.get(name);
  if (node) return node;
  throw new CliError(
    `no variable or node named '${name}' in graph '${g.name}'${didYouMean(name, [...r.bindings.keys(), ...g.nodes.map((n) => n.name)], 'plain')}`,
  );
}

/**
 * Restore a session's variables from a checkpoint, as TF1's Saver.restore: every variable of
 * the session must be in it with its dtype and shape (tensors it has beyond them are ignored).
 */
export function restoreInto(sess: Session, g: Graph, path: string, io: Io): void {
  const { tensors, source } = readCheckpointTensors(path, { warn: (m) => io.err(`warning: ${m}`) });
  const expected = new Map(
    sess.variableNames().map((n) => {
      const v = g.get(n)!;
      return [n, { dtype: v.dtype!, shape: (v.shape ?? []).map((d) => d ?? 0) }];
    }),
  );
  for (const [name, t] of matchCheckpoint(tensors, expected)) sess.writeVariable(name, t);
  io.err(`restored ${expected.size} variable${expected.size === 1 ? '' : 's'} from ${source}`);
}

export function runRun(file: string, opts: RunOptions, io: Io = processIo): number {
  let graphs: Graph[] = [];
  try {
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
    const r = loadProgram(file, limitsFromOptions(opts as Record<string, unknown>));
    if (reportDiagnostics(r.diagnostics, io) || !r.ok) return 1;
    graphs = allGraphs(r);
    const g = selectGraph(r, opts.graph);
    const feeds = new Map<string, FeedValue>();
    for (const a of feedArgs) for (const [name, value] of loadFeeds(a)) feeds.set(nameOf(resolveName(r, g, name)), value);
    // A name may also be a binding holding a list, tuple or dict (`grads`): fetched as that structure.
    const fetches: FetchTree[] = fetchNames.map((n) => structuredBinding(r, g, n) ?? nameOf(resolveName(r, g, n)));
    // A one-shot run: binaryen's -O3 costs more than it saves (the module is still validated).
    const opened = openSession(r, { backend, fallback: !explicit, graph: g, seed, compile: { optimize: false }, load: loadOptionsFrom(opts) });
    if (opened.fallbackReason)
      io.err(`note: graph '${g.name}' does not compile to WebAssembly (${opened.fallbackReason}); running it on the reference Session`);
    const sess = opened.session;
    for (const n of perfNotes(sess)) io.err(n);
    try {
      if (opts.init !== false) {
        const inits = g.globalVariables().map((v) => v.initializer.name);
        if (inits.length) sess.run(inits, feeds);
      }
      if (opts.checkpoint) restoreInto(sess, g, opts.checkpoint, io);
      const values = sess.run(fetches, feeds) as unknown[];
      const named: [string, Tensor | null][] = [];
      fetchNames.forEach((n, i) => leaves(n, values[i], named));
      // The files first: whatever happens to the printing, --out has the values.
      if (opts.out) writeFetches(opts.out, named);
      if (opts.json) {
        // Plain fetches stream through formatFetchesJson (which refuses texts too large to
        // print); a structured fetch (a list or dict binding) keeps its nesting.
        if (fetches.every((f) => typeof f === 'string')) io.out(formatFetchesJson(named));
        else io.out(JSON.stringify(Object.fromEntries(fetchNames.map((n, i) => [n, treeToJson(values[i])]))));
      } else for (const [n, v] of named) io.out(formatFetchText(n, v));
    } finally {
      sess.close();
    }
    return 0;
  } catch (e) {
    io.err(renderError(e, graphs, io.color));
    return 1;
  }
}
