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
 *
 * A compile is kept in the compiled-module cache (cli/cache.ts; `--no-cache` turns it off): the
 * next run of the unchanged program loads the module from there without the compiler
 * (cli/run-exec.ts `tryCachedRun`). This file is the build-and-compile half: the build, the
 * `RunTable` the cache stores beside the module, the compile; both halves then run the same
 * `executeRun`.
 */
// Node's worker_threads host for the session's thread pool (browser code registers Web Workers instead)
import '../session/node/threads.js';
import { statSync } from 'node:fs';
import { didYouMean } from '../compiler/diagnostics/suggest.js';
import type { Span } from '../compiler/diagnostics/span.js';
import { type Host, host, setHost } from '../compiler/host.js';
import { Node, Operation, type Graph } from '../compiler/ir/graph.js';
import { openSession, type Session } from '../compiler/session.js';
import { buildProgram } from '../compiler/frontend/index.js';
import { FE } from '../compiler/frontend/errors.js';
import type { Value } from '../compiler/frontend/index.js';
import { loadOptionsFrom } from './perf.js';
import { type CacheDep, cacheDir, sha256, writeEntry } from './cache.js';
import { limitsFromOptions } from './limits.js';
import { CliError, type Io, type SpanSource, processIo, renderError, reportDiagnostics } from './io.js';
import { type BuildResult, allGraphs, loadProgram, selectGraph } from './program.js';
import {
  BACKENDS,
  type FetchTree,
  type RunCacheMeta,
  type RunOptions,
  type RunTable,
  type SpanRange,
  RunNames,
  executeRun,
  planRun,
  readRunSource,
  restoreVariables,
  runCacheKey,
  runUsesCache,
  tryCachedRun,
} from './run-exec.js';

export { BACKENDS, type FetchTree, type RunOptions };

/** A fetch or feed as the Session interface names it: `x:0` for a tensor, `x` for an operation. */
function nameOf(x: Node | string): string {
  if (typeof x === 'string') return x;
  return x.hasOutput ? `${x.name}:0` : x.name;
}

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
  restoreVariables(
    sess,
    (n) => {
      const v = g.get(n);
      return v ? { dtype: v.dtype!, shape: (v.shape ?? []).map((d) => d ?? 0) } : undefined;
    },
    path,
    io,
  );
}

/**
 * What a run needs from the built program (cli/run-exec.ts `RunTable`), and whether it is
 * portable: every span it holds is in the program's one source file (a cache entry stores spans
 * as offsets into it) and the build is deterministic.
 */
export function runTable(r: BuildResult, g: Graph, prints: readonly string[]): { table: RunTable; portable: boolean } {
  // A random op without a seed drew its seeds when the graph was built: every build differs, so
  // such a compile is not kept (a cached one would repeat one build's numbers).
  let portable = !r.diagnostics.some((d) => d.code === FE.NONDETERMINISTIC_SEED);
  const range = (s: Span): SpanRange => {
    if (s.file !== r.file) portable = false;
    return [s.start, s.end];
  };
  const resolved: [string, string][] = [];
  const structured: RunTable['structured'] = [];
  for (const [name, v] of r.bindings) {
    const node = v.kind === 'tensor' || v.kind === 'op' ? v.node : v.kind === 'variable' ? v.info.node : null;
    if (node && node.graph === g) resolved.push([name, nameOf(node)]);
    try {
      const s = structuredBinding(r, g, name);
      if (s !== null) structured.push([name, s]);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      structured.push([name, { error: e.message }]);
    }
  }
  const spans: [string, SpanRange][] = [];
  const seen = new Set<string>();
  for (const gr of allGraphs(r))
    for (const n of gr.nodes) {
      if (!n.span || seen.has(n.name)) continue;
      seen.add(n.name);
      spans.push([n.name, range(n.span)]);
    }
  const table: RunTable = {
    graph: g.name,
    bindings: [...r.bindings.keys()],
    nodes: g.nodes.map((n) => [n.name, n.hasOutput]),
    resolved,
    structured,
    inits: g.globalVariables().map((v) => v.initializer.name),
    variables: g.nodes.filter((n) => n.op === 'variable').map((n) => [n.name, n.dtype!, (n.shape ?? []).map((d) => d ?? 0)]),
    spans,
    diagnostics: r.diagnostics.map((d) => ({
      code: d.code,
      severity: d.severity,
      message: d.message,
      span: d.span ? range(d.span) : null,
      ...(d.related ? { related: d.related.map((x) => ({ span: range(x.span), message: x.message })) } : {}),
      ...(d.expected !== undefined ? { expected: d.expected } : {}),
    })),
    prints: [...prints],
  };
  return { table, portable };
}

/** The host during a build for the cache: every file read (its state before the read, the hash of what was read) and every `print()`. */
class RecordingHost implements Host {
  readonly deps: CacheDep[] = [];
  readonly prints: string[] = [];
  /** A file was read whose state is unknown (then the compile is not cached). */
  unknownDep = false;
  constructor(private readonly inner: Host) {}
  private record<T extends Uint8Array | string>(path: string, read: () => T): T {
    let before: { size: number; mtimeMs: number } | null;
    try {
      before = statSync(path);
    } catch {
      before = null;
    }
    const v = read();
    if (!before) this.unknownDep = true;
    else this.deps.push({ path, size: before.size, mtimeMs: before.mtimeMs, sha256: sha256(v) });
    return v;
  }
  readBytes(path: string): Uint8Array {
    return this.record(path, () => this.inner.readBytes(path));
  }
  readText(path: string): string {
    return this.record(path, () => this.inner.readText(path));
  }
  resolvePath(from: string | null, rel: string): string {
    return this.inner.resolvePath(from, rel);
  }
  runtimeWasm(variant?: 'simd' | 'relaxed'): Uint8Array {
    return this.inner.runtimeWasm(variant);
  }
  print(text: string): void {
    this.prints.push(text);
    this.inner.print(text);
  }
}

/** `tfg run`: from the compiled-module cache when it holds the program's compile, else built and compiled (and cached). */
export function runRun(file: string, opts: RunOptions, io: Io = processIo): number {
  return tryCachedRun(file, opts, io) ?? runBuilt(file, opts, io);
}

/** `tfg run` with the build and the compile (cli/commands.ts calls it after a cache miss). */
export function runBuilt(file: string, opts: RunOptions, io: Io = processIo): number {
  let graphs: SpanSource = [];
  try {
    const plan = planRun(opts);
    const limits = limitsFromOptions(opts as Record<string, unknown>);
    const src = runUsesCache(plan, opts) ? readRunSource(file) : null;
    const key = src ? runCacheKey(file, src.bytes, opts) : null;
    // The build reads through a recording host when its compile may be cached.
    const recorder = key ? new RecordingHost(host()) : null;
    const previous = recorder ? setHost(recorder) : null;
    let r: BuildResult;
    try {
      r = src ? buildProgram(src.text, file, { limits }) : loadProgram(file, limits);
    } finally {
      if (recorder) setHost(previous!);
    }
    if (reportDiagnostics(r.diagnostics, io) || !r.ok) return 1;
    graphs = allGraphs(r);
    const g = selectGraph(r, opts.graph);
    const { table, portable } = runTable(r, g, recorder?.prints ?? []);
    const names = new RunNames(table, file, r.file.text);
    return executeRun(names, plan, opts, io, () => {
      // A one-shot run: binaryen's -O3 costs more than it saves (the module is still validated).
      const opened = openSession(r, {
        backend: plan.backend,
        fallback: !plan.explicit,
        graph: g,
        seed: plan.seed,
        compile: { optimize: false },
        load: loadOptionsFrom(opts),
      });
      if (key && recorder && portable && !recorder.unknownDep && opened.compiled) {
        const meta: RunCacheMeta = { table };
        writeEntry(cacheDir(), key, { meta, deps: recorder.deps, wasm: opened.compiled.wasm });
      }
      return opened;
    });
  } catch (e) {
    io.err(renderError(e, graphs, io.color));
    return 1;
  }
}
