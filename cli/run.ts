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
 * `--fetch f:0` print the same value. Operations print `None`.
 */
import { type Command, Option } from 'commander';
import { Node, Operation, type Graph } from '../compiler/ir/graph.js';
import { type FeedValue, ReferenceSession } from '../compiler/interp/session.js';
import type { Tensor } from '../session/tensor.js';
import { CliError, type Io, processIo, renderError, reportDiagnostics } from './io.js';
import { type BuildResult, allGraphs, loadProgram, selectGraph } from './program.js';
import { formatFetchText, formatFetchesJson, loadFeedValue, parseFeedArg, writeFetches } from './values.js';
import { compileProgram } from '../compiler/driver.js';
import { CompileError } from '../compiler/diagnostics/diagnostic.js';
import { loadModelSync } from '../session/wasm/model.js';

/** What `tfg run` needs of a session (the reference's or the wasm one). */
interface RunnableSession {
  run(fetches: unknown, feeds?: Map<Node | string, FeedValue>): unknown;
  close(): void;
}

/** A compiled model's session behind the reference Session's interface (nodes become names). */
function wasmSession(r: BuildResult, g: Graph, seed: number | undefined): RunnableSession {
  // A one-shot run: binaryen's -O3 costs more than it saves (the module is still validated).
  const c = compileProgram(r, { graph: g === r.defaultGraph ? undefined : g.name, optimize: false });
  const s = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>).createSession(seed === undefined ? {} : { seed });
  const name = (x: unknown): unknown => {
    if (x instanceof Node) return x.hasOutput ? `${x.name}:0` : x.name;
    if (x instanceof Operation) return x.name;
    return Array.isArray(x) ? (x as unknown[]).map(name) : x;
  };
  return {
    run(fetches, feeds) {
      const f = new Map<string, never>();
      for (const [k, v] of feeds ?? []) f.set((k instanceof Node ? `${k.name}:0` : k) as string, v as never);
      return s.run(name(fetches), f);
    },
    close: () => s.close(),
  };
}

export interface RunOptions {
  fetch?: string[];
  feed?: string[];
  graph?: string;
  json?: boolean;
  out?: string;
  /** Run the global variable initializers first (default true; `--no-init` turns it off). */
  init?: boolean;
  seed?: string;
  backend?: string;
}

export const BACKENDS = ['reference', 'wasm'] as const;

/** A fetch or feed name as a graph element: a binding, else a node name (`x` or `x:0`). */
export function resolveName(r: BuildResult, g: Graph, name: string): Node | string {
  const found = r.lookup(name, g === r.defaultGraph ? undefined : g.name);
  if (found instanceof Operation) return found.node;
  if (found instanceof Node) return found;
  if (name.includes(':')) return name; // the Session raises TF1's error for a bad tensor name
  const node = g.get(name);
  if (node) return node;
  throw new CliError(`no variable or node named '${name}' in graph '${g.name}'`);
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
    const r = loadProgram(file);
    if (reportDiagnostics(r.diagnostics, io) || !r.ok) return 1;
    graphs = allGraphs(r);
    const g = selectGraph(r, opts.graph);
    const feeds = new Map<Node | string, FeedValue>();
    for (const a of feedArgs) feeds.set(resolveName(r, g, a.name), loadFeedValue(a));
    const fetches = fetchNames.map((n) => resolveName(r, g, n));
    const reference = (): RunnableSession => new ReferenceSession(g, seed === undefined ? {} : { seed }) as unknown as RunnableSession;
    let sess: RunnableSession;
    if (backend === 'wasm') {
      try {
        sess = wasmSession(r, g, seed);
      } catch (e) {
        if (explicit || !(e instanceof CompileError)) throw e;
        io.err(`note: graph '${g.name}' does not compile to WebAssembly (${e.diagnostics.map((d) => `TFG${d.code}: ${d.message}`).join('; ')}); running it on the reference Session`);
        sess = reference();
      }
    } else sess = reference();
    try {
      if (opts.init !== false) {
        const inits = g.globalVariables().map((v) => new Operation(v.initializer));
        if (inits.length) sess.run(inits, feeds);
      }
      const values = sess.run(fetches, feeds) as (Tensor | null)[];
      const named = fetchNames.map((n, i) => [n, values[i]] as [string, Tensor | null]);
      // The files first: whatever happens to the printing, --out has the values.
      if (opts.out) writeFetches(opts.out, named);
      if (opts.json) io.out(formatFetchesJson(named));
      else for (const [n, v] of named) io.out(formatFetchText(n, v));
    } finally {
      sess.close();
    }
    return 0;
  } catch (e) {
    io.err(renderError(e, graphs, io.color));
    return 1;
  }
}

export function registerRunCommand(program: Command, io: Io = processIo): Command {
  return program
    .command('run')
    .description('run a .tfg program (compiled to WebAssembly, or in the reference Session) and print fetched values')
    .argument('<file>', 'the .tfg program')
    .requiredOption('--fetch <names...>', 'tensors or operations to fetch (bindings or node names, x or x:0)')
    .option('--feed <pairs...>', 'NAME=VALUE feeds: a JSON/number literal (X=[[1,2,3]]) or a file (X=@data.npy|@data.csv|@data.json)')
    .option('--graph <name>', 'which graph (default: the default graph)')
    .option('--json', 'print one JSON object {name: {dtype, shape, value}}')
    .option('--out <dir>', 'also write each fetched tensor as DIR/<name>.npy')
    .option('--init', 'run the global variable initializers first (the default)')
    .option('--no-init', 'do not run the variable initializers')
    .option('--seed <n>', 'session seed for random ops without a seed')
    .addOption(new Option('--backend <name>', 'execution backend (default: wasm)').choices([...BACKENDS]))
    .action((file: string, opts: RunOptions) => {
      process.exitCode = runRun(file, opts, io);
    });
}
