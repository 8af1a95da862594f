/**
 * @fileoverview The frontend's entry point: `buildProgram(text, fileName)` parses a `.tfg`
 * program and runs its construction phase, giving the graphs it built (the default graph and
 * the named ones), the signatures, the top-level bindings, the train recipes and the
 * diagnostics. It never throws: parse errors are all reported; evaluation stops at the first
 * construction error, which is reported at the span of the expression that raised it.
 */
import { parseSource } from '../../grammar/index.js';
import type { Program } from '../../grammar/ast.js';
import { type Diagnostic } from '../diagnostics/diagnostic.js';
import { SourceFile } from '../diagnostics/span.js';
import { type Graph, type Node, Operation } from '../ir/graph.js';
import { Evaluator, type EvaluatorOptions, type Signature, type TrainRecipe, diagnosticsOf } from './evaluate.js';
import type { Value } from './values.js';

export type { FetchSpec, Signature, TrainRecipe, TrainRecipeEntry } from './evaluate.js';
export type { Value } from './values.js';
export { builtinDocs, BUILTIN_TABLE } from './builtins/index.js';

export interface BuildResult {
  file: SourceFile;
  defaultGraph: Graph;
  /** Named graphs (`graph name { }`), by name. */
  graphs: Map<string, Graph>;
  signatures: Signature[];
  /** Top-level (module) bindings after evaluation (partial when it stopped at an error). */
  bindings: Map<string, Value>;
  trainRecipes: TrainRecipe[];
  diagnostics: Diagnostic[];
  ok: boolean;
  /**
   * A top-level name bound to a tensor, variable or op; else a node name in the graph
   * (`"loss/mse"` → the Operation, `"loss/mse:0"` → the tensor's node). Null when absent.
   */
  lookup(name: string, graph?: string): Node | Operation | null;
}

export type BuildOptions = EvaluatorOptions;

export function buildProgram(text: string, fileName: string, options: BuildOptions = {}): BuildResult {
  const file = new SourceFile(fileName, text);
  let parsed: ReturnType<typeof parseSource>;
  try {
    parsed = parseSource(file, options.limits ?? {});
  } catch (e) {
    parsed = { program: null, diagnostics: diagnosticsOf(e) };
  }
  return buildFromAst(file, parsed.program, parsed.diagnostics, options);
}

/** The construction phase over a parsed program (the driver's `build` stage); nothing runs when parsing failed. */
export function buildFromAst(file: SourceFile, program: Program | null, parseDiagnostics: readonly Diagnostic[], options: BuildOptions = {}): BuildResult {
  const ev = new Evaluator(options);
  const diagnostics: Diagnostic[] = [...parseDiagnostics];
  const parseFailed = program === null || parseDiagnostics.some((d) => d.severity === 'error');
  if (!parseFailed && program) {
    try {
      ev.run(program);
    } catch (e) {
      for (const d of diagnosticsOf(e)) diagnostics.push(d);
    }
  }
  for (const d of ev.notes) diagnostics.push(d);
  const bindings = new Map(ev.module.vars);
  const graphOf = (name?: string): Graph | null => {
    if (name === undefined || name === ev.defaultGraph.name) return ev.defaultGraph;
    return ev.graphs.get(name) ?? null;
  };
  return {
    file,
    defaultGraph: ev.defaultGraph,
    graphs: ev.graphs,
    signatures: ev.signatures,
    bindings,
    trainRecipes: ev.trainRecipes,
    diagnostics,
    ok: !diagnostics.some((d) => d.severity === 'error'),
    lookup(name: string, graph?: string): Node | Operation | null {
      const g = graphOf(graph);
      if (!g) return null;
      const b = bindings.get(name);
      if (b) {
        if (b.kind === 'tensor' && b.node.graph === g) return b.node;
        if (b.kind === 'variable' && b.info.node.graph === g) return b.info.node;
        if (b.kind === 'op' && b.node.graph === g) return new Operation(b.node);
      }
      const m = /^(.*):(\d+)$/.exec(name);
      if (m) {
        const n = g.get(m[1]);
        return n && m[2] === '0' && n.hasOutput ? n : null;
      }
      const n = g.get(name);
      return n ? new Operation(n) : null;
    },
  };
}
