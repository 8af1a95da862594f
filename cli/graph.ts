/**
 * @fileoverview `tfg graph FILE [--graph G] [--format text|dot|svg]`: print a graph's IR, one
 * node per line (compiler/ir/printer.ts), as Graphviz DOT with name scopes as clusters
 * (compiler/ir/dot.ts), or as SVG laid out by Graphviz (compiled to WebAssembly: @viz-js/viz, so
 * nothing needs installing).
 */
import { graphToDot } from '../compiler/ir/dot.js';
import { printGraph } from '../compiler/ir/printer.js';
import { limitsFromOptions } from './limits.js';
import { CliError, type Io, processIo, renderError, reportDiagnostics } from './io.js';
import { loadProgram, selectGraph } from './program.js';

export type GraphFormat = 'text' | 'dot' | 'svg';

export interface GraphOptions {
  graph?: string;
  format?: string;
}

/** SVG from DOT text with Graphviz's `dot` layout (@viz-js/viz, loaded only when asked for). */
export async function dotToSvg(dot: string): Promise<string> {
  const { instance } = await import('@viz-js/viz');
  const viz = await instance();
  const r = viz.render(dot, { format: 'svg', engine: 'dot' });
  if (r.status !== 'success') throw new CliError(`Graphviz could not lay out the graph: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.output;
}

export async function runGraph(file: string, opts: GraphOptions, io: Io = processIo): Promise<number> {
  try {
    const format = (opts.format ?? 'text') as GraphFormat;
    if (!['text', 'dot', 'svg'].includes(format)) throw new CliError(`unknown --format '${opts.format}' (expected text, dot or svg)`);
    const r = loadProgram(file, limitsFromOptions(opts as Record<string, unknown>));
    if (reportDiagnostics(r.diagnostics, io) || !r.ok) return 1;
    const g = selectGraph(r, opts.graph);
    if (format === 'text') io.out(printGraph(g));
    else if (format === 'dot') io.out(graphToDot(g));
    else io.out(await dotToSvg(graphToDot(g)));
    return 0;
  } catch (e) {
    io.err(renderError(e, [], io.color));
    return 1;
  }
}
