/**
 * @fileoverview The compile driver: the compile as a list of named stages, each with a printer
 * and a verifier (tinygrad's pipeline list, Binaryen's pass runner).
 *
 * ```
 * parse     source → AST                               (grammar/)
 * build     AST → graph IR: the construction phase      (compiler/frontend/, grad/)
 * passes    per entry: prune, CSE, fold, DCE            (compiler/passes/)
 * fuse      per entry: kernels                          (compiler/schedule/fuse.ts)
 * schedule  per entry: kernel order                     (compiler/schedule/schedule.ts)
 * memory    per entry buffers + the module's layout     (compiler/schedule/memory.ts, layout.ts)
 * lower     binaryen module                             (compiler/codegen/)
 * emit      .wasm + manifest                            (compiler/emit/)
 * ```
 * `runStages(state, {dump, verify})` runs the stages a state still lacks. With `verify` (on in
 * the tests, `tfg compile --verify`) each stage's invariants are checked after it runs, and a
 * broken one throws `StageError` naming the stage. `dump` receives every stage's printout
 * (`tfg compile --dump STAGE`).
 */
import { didYouMean } from './diagnostics/suggest.js';
import { parseSource } from '../grammar/index.js';
import type { Program } from '../grammar/ast.js';
import { printAst } from '../grammar/print-ast.js';
import { CompileError, type Diagnostic, error } from './diagnostics/diagnostic.js';
import { SourceFile } from './diagnostics/span.js';
import { buildFromAst, type BuildOptions, type BuildResult, type Signature } from './frontend/index.js';
import { type Graph, type Node, Operation } from './ir/graph.js';
import { checkProgramRecipe, ensureInit, recipeSignatures } from './frontend/recipe.js';
import { INIT_SIGNATURE } from '../session/wasm/manifest.js';
import { printGraph } from './ir/printer.js';
import { verifyGraph } from './ir/verify.js';
import { checkUnit } from './passes/pipeline.js';
import { type EntryPlan, entryUnits, fetchStructure, formatEntries, fuseEntries, optimizeEntries, orderEntries, planEntries } from './schedule/entries.js';
import { formatLayout, layoutModule, type ModuleLayout } from './schedule/layout.js';
import { checkFusion, checkMemory, checkOrder } from './schedule/check.js';
import { lowerModule, type LoweredModule } from './codegen/lower.js';
import { buildManifest } from './emit/manifest.js';
import { emitModule, type CompiledProgram, type OptimizeMode } from './emit/index.js';
import { validateManifest } from '../session/wasm/manifest.js';
import type { Tensor } from '../session/tensor.js';
import { BACKEND } from './diagnostics/catalogue.js';

export const STAGE_NAMES = ['parse', 'build', 'passes', 'fuse', 'schedule', 'memory', 'lower', 'emit'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export interface CompileOptions {
  /** Which graph (default: the default graph). */
  graph?: string;
  /** Only these signatures (default: all of the graph's). */
  signatures?: readonly string[];
  /** Fuse kernels in signature plans (default true; false = one kernel per node). */
  fuse?: boolean;
  /** Binaryen optimisation: per function (default, `true`), `'full'` (-O3 over the module) or none (`false`). */
  optimize?: OptimizeMode;
  /** Vectorise loops (default true). */
  simd?: boolean;
  /**
   * Fast math (default false): f32 a·b + c in generated vector loops as `f32x4.relaxed_madd`.
   * The module then validates only where the engine has relaxed SIMD; `openSession` asks for it
   * with `LoadOptions.fastMath` when the probe (session/wasm/fast-math.ts) says the engine has it.
   */
  fastMath?: boolean;
  /**
   * Loop and reduce kernels of a constant size below this many elements never go through the
   * host's `par` (default 4096, codegen/kernels.ts). 0 sends every kernel with an outer loop
   * through it: bench/train-profile.ts times each kernel that way. Not a speed setting.
   */
  splitFloor?: number;
  /** Also build the generic whole-graph plan for other fetch/feed combinations (default true). */
  generic?: boolean;
  /** Embed the runtime in `tfg.runtime` (default true). */
  embedRuntime?: boolean;
  /** The runtime's bytes to embed (default: read by the host; see compiler/emit). */
  runtime?: Uint8Array;
  /** Also return the module's text (binaryen's printer). */
  text?: boolean;
  /**
   * Trained values to bake into the module (a checkpoint's tensors by variable name): each
   * variable of the module found here starts initialized with it in every session.
   */
  variables?: ReadonlyMap<string, Tensor>;
}

export interface CompileState {
  opts: CompileOptions;
  file?: SourceFile;
  ast?: Program | null;
  parseDiagnostics?: Diagnostic[];
  buildOptions?: BuildOptions;
  build?: BuildResult;
  graph?: Graph;
  signatures?: Signature[];
  entries?: EntryPlan[];
  layout?: ModuleLayout;
  lowered?: LoweredModule;
  compiled?: CompiledProgram;
}

export interface Stage {
  name: StageName;
  help: string;
  /** Has this stage run on the state? */
  done(s: CompileState): boolean;
  run(s: CompileState): void;
  print(s: CompileState): string;
  /** Invariants after the stage (empty: all hold). */
  verify(s: CompileState): string[];
}

/** A stage broke an invariant (`--verify`). */
export class StageError extends Error {
  override name = 'StageError';
  constructor(
    readonly stage: StageName,
    readonly problems: string[],
  ) {
    super(
      `invariants broken after stage '${stage}':\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  ... ${problems.length - 20} more` : ''}`,
    );
  }
}

const entriesOf = (s: CompileState): EntryPlan[] => s.entries!;

function selectGraph(b: BuildResult, name?: string): Graph {
  if (name === undefined || name === b.defaultGraph.name) return b.defaultGraph;
  const g = b.graphs.get(name);
  if (!g) throw new CompileError(error(BACKEND.NO_GRAPH, `no graph named '${name}' (graphs: ${[b.defaultGraph.name, ...b.graphs.keys()].join(', ')})`, null));
  return g;
}

/** The signatures of `graph` a compile exports (all, or those named; an unknown name is an error). */
export function selectSignatures(all: readonly Signature[], graph: Graph, names?: readonly string[]): Signature[] {
  const mine = all.filter((s) => s.graph === graph);
  if (!names) return mine;
  return names.map((n) => {
    const s = mine.find((x) => x.name === n);
    if (!s)
      throw new CompileError(
        error(
          BACKEND.NO_SIGNATURE,
          `no signature named '${n}' in graph '${graph.name}'${didYouMean(
            n,
            mine.map((x) => x.name),
            'plain',
          )} (signatures: ${mine.map((x) => x.name).join(', ') || 'none'})`,
          null,
        ),
      );
    return s;
  });
}

/**
 * The entry points a program's `train { }` recipe for `graph` compiles to (the train step, with
 * summaries, the eval step: as `tfg train` builds them), so a page trains through one call per
 * step. The recipe must check; its diagnostics are the compile's errors otherwise.
 */
function programRecipeSignatures(b: BuildResult, graph: Graph): Signature[] {
  if (!b.trainRecipes.some((r) => r.graph === graph)) return [];
  const checked = checkProgramRecipe(b, b.trainRecipes.find((r) => r.graph === graph)!.name ?? undefined);
  if (!checked.plan) throw new CompileError(checked.diagnostics.filter((d) => d.severity === 'error'));
  ensureInit(graph, checked.plan);
  return recipeSignatures(graph, checked.plan);
}

/**
 * A module without the generic path cannot run arbitrary initializers, so it gets an entry that
 * runs every variable's initializer (`tfg_init`; the loader's `session.initialize()` calls it).
 */
function withInitEntry(graph: Graph, sigs: Signature[], baked?: ReadonlyMap<string, Tensor>): Signature[] {
  // The variables the entries read or write (reached from their fetches, stopping at feeds).
  const used = new Set<Node>();
  const seen = new Set<Node>();
  for (const sig of sigs) {
    const stack: Node[] = [];
    fetchStructure(sig.fetches, stack);
    const fed = new Set(sig.feeds);
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n) || fed.has(n)) continue;
      seen.add(n);
      if (n.op === 'variable') used.add(n);
      stack.push(...n.inputs, ...n.controlInputs);
    }
  }
  // Variables a checkpoint bakes in need no initializer.
  const inits = [...graph.variables.values()].filter((v) => used.has(v.node) && !baked?.has(v.node.name)).map((v) => v.initializer);
  if (inits.length === 0 || sigs.some((x) => x.name === INIT_SIGNATURE)) return sigs;
  return [...sigs, { name: INIT_SIGNATURE, graph, feeds: [], fetches: inits.map((n) => new Operation(n)), span: inits[0].span! }];
}

export const STAGES: readonly Stage[] = [
  {
    name: 'parse',
    help: 'source → AST (chevrotain lexer and parser, with recovery)',
    done: (s) => s.ast !== undefined || s.build !== undefined || s.graph !== undefined,
    run(s) {
      const r = parseSource(s.file!, s.buildOptions?.limits ?? {});
      s.ast = r.program;
      s.parseDiagnostics = r.diagnostics;
    },
    print: (s) => (s.ast ? printAst(s.ast) : '# no AST\n'),
    verify: () => [],
  },
  {
    name: 'build',
    help: 'AST → graph IR: the construction phase (TF1 naming, scopes, gradients, optimizers)',
    done: (s) => s.build !== undefined || s.graph !== undefined,
    run(s) {
      s.build = buildFromAst(s.file!, s.ast ?? null, s.parseDiagnostics ?? [], s.buildOptions);
    },
    print: (s) =>
      !s.build
        ? ''
        : [s.build.defaultGraph, ...s.build.graphs.values()].map((g) => printGraph(g)).join('\n') +
          s.build.signatures.map((x) => `signature ${x.name} (graph ${x.graph.name})\n`).join(''),
    verify: (s) => (!s.build ? [] : [s.build.defaultGraph, ...s.build.graphs.values()]).flatMap((g) => verifyGraph(g).map((p) => `graph ${g.name}: ${p}`)),
  },
  {
    name: 'passes',
    help: 'per entry (each signature, and the generic plan): prune, CSE, fold, DCE',
    done: (s) => s.entries !== undefined && s.entries.every((e) => e.unit !== undefined),
    run(s) {
      if (!s.graph) {
        const b = s.build!;
        if (!b.ok) throw new CompileError(b.diagnostics.filter((d) => d.severity === 'error'));
        s.graph = selectGraph(b, s.opts.graph);
        s.signatures = selectSignatures([...b.signatures, ...programRecipeSignatures(b, s.graph)], s.graph, s.opts.signatures);
      }
      if (s.opts.generic === false) s.signatures = withInitEntry(s.graph, s.signatures ?? [], s.opts.variables);
      s.entries = entryUnits(s.graph, s.signatures ?? [], { generic: s.opts.generic });
      optimizeEntries(s.entries);
    },
    print: (s) => formatEntries(entriesOf(s), 'passes'),
    verify: (s) => entriesOf(s).flatMap((e) => [...checkUnit(e.unit!), ...verifyGraph(e.unit!.graph)].map((p) => `entry ${e.name}: ${p}`)),
  },
  {
    name: 'fuse',
    help: 'per entry: group nodes into kernels (loop, input and epilogue fusion; aliases)',
    done: (s) => s.entries?.every((e) => e.fusion !== undefined) ?? false,
    run: (s) => fuseEntries(entriesOf(s), { fuse: s.opts.fuse }),
    print: (s) => formatEntries(entriesOf(s), 'fuse'),
    verify: (s) => entriesOf(s).flatMap((e) => checkFusion(e.fusion!).map((p) => `entry ${e.name}: ${p}`)),
  },
  {
    name: 'schedule',
    help: 'per entry: the kernel order (data, control and variable-state edges)',
    done: (s) => s.entries?.every((e) => e.kernels !== undefined) ?? false,
    run: (s) => orderEntries(entriesOf(s)),
    print: (s) => formatEntries(entriesOf(s), 'schedule'),
    verify: (s) => entriesOf(s).flatMap((e) => checkOrder(e.fusion!, e.kernels!).map((p) => `entry ${e.name}: ${p}`)),
  },
  {
    name: 'memory',
    help: "per entry: buffers and their offsets in B; then the module's static layout",
    done: (s) => s.layout !== undefined,
    run(s) {
      planEntries(entriesOf(s));
      s.layout = layoutModule(s.graph!, entriesOf(s), s.opts.variables);
    },
    print: (s) => formatEntries(entriesOf(s), 'memory') + formatLayout(s.layout!, entriesOf(s)),
    verify: (s) => entriesOf(s).flatMap((e, i) => checkMemory(e.plan!, s.layout!, i).map((p) => `entry ${e.name}: ${p}`)),
  },
  {
    name: 'lower',
    help: 'kernels → one binaryen module (f32x4/f64x2 loops, runtime calls, entry functions)',
    done: (s) => s.lowered !== undefined,
    run: (s) => {
      s.lowered = lowerModule(s.graph!, entriesOf(s), s.layout!, { simd: s.opts.simd, fastMath: s.opts.fastMath, splitFloor: s.opts.splitFloor });
    },
    print: (s) => s.lowered!.module.emitText(),
    verify(s) {
      try {
        s.lowered!.module.validate();
        return [];
      } catch (e) {
        return [`the module does not validate: ${(e as Error).message}`];
      }
    },
  },
  {
    name: 'emit',
    help: 'optimise (binaryen, per function; -O3 with optimize: "full"), embed manifest, constants and runtime, write the binary',
    done: (s) => s.compiled !== undefined,
    run(s) {
      const manifest = buildManifest(s.graph!, entriesOf(s), s.layout!, s.lowered!);
      const lowered = s.lowered!;
      s.lowered = undefined; // the module is consumed (disposed) by emitModule
      s.compiled = emitModule(
        lowered.module,
        manifest,
        s.layout!.consts.stored(),
        entriesOf(s).map((e) => e.plan!.kernels.length),
        s.opts,
      );
    },
    print: (s) => JSON.stringify(s.compiled!.manifest, null, 2) + '\n',
    verify(s) {
      try {
        validateManifest(JSON.parse(JSON.stringify(s.compiled!.manifest)));
        return [];
      } catch (e) {
        return [(e as Error).message];
      }
    },
  },
];

/** Verify by default when the environment asks (`TFG_VERIFY=1`, set by `npm test`). */
const VERIFY_DEFAULT = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TFG_VERIFY === '1';

export interface RunOptions {
  /** Check every stage's invariants after it runs (default: TFG_VERIFY=1 in the environment). */
  verify?: boolean;
  /** Called with each stage's printout after it runs (and verifies). */
  dump?: (stage: StageName, text: string) => void;
  /** Only print these stages (default: all that run). */
  dumpStages?: ReadonlySet<StageName>;
  /** Stop after this stage (default: emit). */
  until?: StageName;
  /** Called with each stage's run time in milliseconds (its `run` only: not verify or dump). */
  timing?: (stage: StageName, ms: number) => void;
}

/** Run the stages the state still lacks, up to `until`. On failure the binaryen module is freed. */
export function runStages(s: CompileState, opts: RunOptions = {}): CompileState {
  const last = STAGE_NAMES.indexOf(opts.until ?? 'emit');
  let stage: StageName | null = null;
  try {
    for (const st of STAGES.slice(0, last + 1)) {
      if (st.done(s)) continue;
      const t0 = opts.timing ? performance.now() : 0;
      stage = st.name;
      st.run(s);
      opts.timing?.(st.name, performance.now() - t0);
      if (opts.verify ?? VERIFY_DEFAULT) {
        const problems = st.verify(s);
        if (problems.length) throw new StageError(st.name, problems);
      }
      if (opts.dump && (!opts.dumpStages || opts.dumpStages.has(st.name))) opts.dump(st.name, st.print(s));
    }
  } catch (e) {
    s.lowered?.module.dispose();
    s.lowered = undefined;
    throw resourceError(e, stage);
  }
  return s;
}

/**
 * A stage that ran out of a JavaScript resource (the stack, an array's or a buffer's length,
 * binaryen's own memory) on a graph too large for it is compile error 4006 naming the stage,
 * so the caller falls back to the reference Session or reports it, never a raw RangeError.
 * docs/limits.md lists the sizes known to compile.
 */
function resourceError(e: unknown, stage: StageName | null): unknown {
  const exhausted =
    (e instanceof RangeError && /call stack|array length|allocation failed|out of bounds|out of memory/i.test(e.message)) ||
    (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError);
  if (!exhausted) return e;
  return new CompileError(
    error(
      BACKEND.OUT_OF_RESOURCES,
      `the graph is too large for the WebAssembly backend: stage '${stage ?? '?'}' ran out of resources (${(e as Error).name}: ${(e as Error).message})`,
      null,
    ),
  );
}

/** Compile `.tfg` source text (parse → emit). */
export function compileSource(text: string, fileName: string, opts: CompileOptions = {}, run: RunOptions = {}, buildOptions?: BuildOptions): CompileState {
  return runStages({ opts, file: new SourceFile(fileName, text), buildOptions }, run);
}

/** Compile a built program (passes → emit). */
export function compileProgram(result: BuildResult, opts: CompileOptions = {}, run: RunOptions = {}): CompiledProgram {
  if (!result.ok) throw new CompileError(result.diagnostics.filter((d) => d.severity === 'error'));
  return runStages({ opts, file: result.file, build: result }, run).compiled!;
}

/** Compile one graph with the given signatures (passes → emit). */
export function compileGraph(graph: Graph, signatures: readonly Signature[], opts: CompileOptions = {}, run: RunOptions = {}): CompiledProgram {
  const sigs = signatures.filter((s) => s.graph === graph);
  const state: CompileState = { opts, graph, signatures: opts.signatures ? selectSignatures(sigs, graph, opts.signatures) : sigs };
  return runStages(state, run).compiled!;
}

/** The one-line help of every stage (`tfg compile --help`, docs). */
export function stageHelp(): string {
  return STAGES.map((s) => `${s.name.padEnd(9)} ${s.help}`).join('\n');
}
