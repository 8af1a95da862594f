/**
 * @fileoverview `openSession(program, options)`: the one way the CLI (`run`, `train`, `bench`),
 * the training driver and the Node API open a Session on a built program. The WebAssembly backend
 * (the default) compiles the graph with its signatures (plus any extra, such as a train recipe's
 * steps) and loads it; the reference backend interprets the graph. When the graph does not
 * compile and `fallback` allows, the reference Session runs it instead and the reason is given.
 * Either way the caller gets the one `Session` interface (session/session.ts).
 */
import type { Backend, Session } from '../session/session.js';
import { type LoadOptions } from '../session/wasm/model.js';
import { loadModelSync } from '../session/wasm/sync.js';
import { relaxedSimdSupported } from '../session/wasm/fast-math.js';
import { host } from './host.js';
import { CompileError } from './diagnostics/diagnostic.js';
import { type CompileOptions, compileGraph, selectSignatures } from './driver.js';
import type { CompiledProgram } from './emit/index.js';
import type { BuildResult, Signature } from './frontend/index.js';
import type { Graph } from './ir/graph.js';
import { ReferenceSession } from './interp/session.js';
import { BACKEND } from './diagnostics/catalogue.js';

export type { Backend, Session };

export interface OpenOptions {
  /** 'wasm' (default) or 'reference'. */
  backend?: Backend;
  /**
   * When the wasm backend cannot compile the graph: run on the reference Session (default true;
   * false: throw the CompileError).
   */
  fallback?: boolean;
  /** Which graph (default: the program's default graph). */
  graph?: string | Graph;
  /** Extra signatures to compile (a recipe's train and eval steps). */
  signatures?: readonly Signature[];
  /** Compile only the program's signatures named here (plus `signatures`); default all. */
  only?: readonly string[];
  /** Compile options (fuse, optimize, generic, ...). */
  compile?: CompileOptions;
  /** Session seed for random ops without seeds. */
  seed?: number;
  /** Loader options of the wasm Session. */
  load?: LoadOptions;
}

export interface OpenedSession {
  session: Session;
  backend: Backend;
  graph: Graph;
  /** The compiled module (wasm backend). */
  compiled?: CompiledProgram;
  /** Why the reference Session runs instead of the requested wasm one, when it fell back. */
  fallbackReason?: string;
}

function graphOf(program: BuildResult, g: OpenOptions['graph']): Graph {
  if (g === undefined) return program.defaultGraph;
  if (typeof g !== 'string') return g;
  if (g === program.defaultGraph.name) return program.defaultGraph;
  const found = program.graphs.get(g);
  if (!found)
    throw new CompileError([
      {
        code: BACKEND.NO_GRAPH,
        severity: 'error',
        message: `no graph named '${g}' (graphs: ${[program.defaultGraph.name, ...program.graphs.keys()].join(', ')})`,
        span: null,
      },
    ]);
  return found;
}

/** Open a Session on a built program (see the file comment). */
export function openSession(program: BuildResult, opts: OpenOptions = {}): OpenedSession {
  if (!program.ok) throw new CompileError(program.diagnostics.filter((d) => d.severity === 'error'));
  const graph = graphOf(program, opts.graph);
  const reference = (): ReferenceSession => new ReferenceSession(graph, opts.seed === undefined ? {} : { seed: opts.seed });
  if ((opts.backend ?? 'wasm') === 'reference') return { session: reference(), backend: 'reference', graph };
  let compiled: CompiledProgram;
  try {
    const own = selectSignatures(program.signatures, graph, opts.only);
    // Fast math where the engine has relaxed SIMD: the generated loops' a·b + c as relaxed_madd too.
    const fastMath = opts.load?.fastMath === true && relaxedSimdSupported();
    compiled = compileGraph(graph, [...own, ...(opts.signatures ?? [])], fastMath ? { ...opts.compile, fastMath: true } : (opts.compile ?? {}));
  } catch (e) {
    if (opts.fallback === false || !(e instanceof CompileError)) throw e;
    const why = e.diagnostics.map((d) => `TFG${d.code}: ${d.message}`).join('; ');
    return { session: reference(), backend: 'reference', graph, fallbackReason: why };
  }
  const load = opts.load?.fastMath && opts.load.relaxedRuntime === undefined ? { ...opts.load, relaxedRuntime: host().runtimeWasm('relaxed') } : opts.load;
  const model = loadModelSync(compiled.wasm as Uint8Array<ArrayBuffer>, load);
  const session = model.createSession(opts.seed === undefined ? {} : { seed: opts.seed });
  return { session, backend: 'wasm', graph, compiled };
}
