/**
 * @fileoverview Helpers for frontend tests: build a `.tfg` source, read string bindings,
 * list node names, and render diagnostics with their line:col.
 */
import { formatDiagnostics } from '../../compiler/diagnostics/diagnostic.js';
import { type BuildResult, buildProgram } from '../../compiler/frontend/index.js';
import { pyStr } from '../../compiler/frontend/values.js';

export function build(src: string, printed?: string[]): BuildResult {
  return buildProgram(src, 'test.tfg', { print: (s) => printed?.push(s) });
}

/** Build and demand success; the message shows the diagnostics otherwise. */
export function buildOk(src: string, printed?: string[]): BuildResult {
  const r = build(src, printed);
  if (!r.ok) throw new Error(`build failed:\n${formatDiagnostics(r.diagnostics)}`);
  return r;
}

/** Python str() of every top-level binding named in `names`. */
export function strs(r: BuildResult, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = r.bindings.get(n);
    out[n] = v ? pyStr(v) : '<unbound>';
  }
  return out;
}

export function nodeNames(r: BuildResult, graph?: string): string[] {
  const g = graph ? r.graphs.get(graph)! : r.defaultGraph;
  return g.nodes.map((n) => n.name);
}

/** The first error as `line:col: message`. */
export function firstError(r: BuildResult): string {
  const d = r.diagnostics.find((x) => x.severity === 'error');
  if (!d) return '<no error>';
  const lc = d.span ? d.span.file.lineCol(d.span.start) : { line: 0, col: 0 };
  return `${lc.line}:${lc.col}: ${d.message}`;
}
