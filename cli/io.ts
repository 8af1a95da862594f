/**
 * @fileoverview The CLI's plumbing shared by its commands: an output sink (so commands are
 * testable as functions), `CliError` for clean one-line failures, and rendering of any error
 * (diagnostics, TF1 run-time errors with their node and `.tfg` location, Python-side
 * ValueError/TypeError) as text without a stack trace.
 */
import { CompileError, type Diagnostic, error as diag, formatDiagnostic, formatDiagnostics } from '../compiler/diagnostics/diagnostic.js';
import { RUNTIME } from '../compiler/diagnostics/catalogue.js';
import type { Span } from '../compiler/diagnostics/span.js';
import type { Graph } from '../compiler/ir/graph.js';
import { OpError, RuntimeError, TypeError_, ValueError, formatSourceLocation } from '../session/errors.js';

/** Where a command writes. `color`: diagnostics may use ANSI colors (stderr is a TTY). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
}

export const processIo: Io = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n'),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : s + '\n'),
  color: Boolean(process.stderr.isTTY),
};

/** An Io collecting text (tests). */
export function memoryIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => void stdout.push(s), err: (s) => void stderr.push(s), color: false };
}

/** A user-facing failure: printed as `tfg: message`, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/**
 * Where run-time errors find their nodes' source spans: the program's graphs, or (a run from the
 * compiled-module cache, cli/run-exec.ts) a lookup by node name.
 */
export type SpanSource = readonly Graph[] | ((node: string) => Span | null);

/** Find the span of a node by name in any of the graphs (for code frames of run-time errors). */
function nodeSpan(graphs: SpanSource, name: string | null): Span | null {
  if (!name) return null;
  if (typeof graphs === 'function') return graphs(name);
  for (const g of graphs) {
    const n = g.get(name);
    if (n?.span) return n.span;
  }
  return null;
}

/**
 * A run-time error as a diagnostic (TFG5xxx, located at its node when a graph has it), or null
 * for an error that is not one: an OpError is RUNTIME.OP_ERROR, a located Python-side error about
 * a feed or fetch is RUNTIME.FEED_ERROR.
 */
export function runtimeDiagnostic(e: unknown, graphs: SpanSource = []): Diagnostic | null {
  const located = e as { nodeName?: string | null };
  if (!(e instanceof Error && (e instanceof OpError || located.nodeName !== undefined))) return null;
  const nodeName = located.nodeName ?? null;
  const text = e instanceof OpError ? e.tfMessage : e.message;
  const code = e instanceof OpError ? RUNTIME.OP_ERROR : RUNTIME.FEED_ERROR;
  return diag(code, `${e.name}: ${text}${nodeName ? ` [node ${nodeName}]` : ''}`, nodeSpan(graphs, nodeName));
}

/**
 * Render any error for the terminal. Located errors become diagnostics with a code frame:
 * `prog.tfg:1:5: error TFG5001: InvalidArgumentError: You must feed ... [node X]`.
 */
export function renderError(e: unknown, graphs: SpanSource = [], color = false): string {
  if (e instanceof CompileError) return formatDiagnostics(e.diagnostics, { color });
  if (e instanceof CliError) return `tfg: ${e.message}`;
  const d = runtimeDiagnostic(e, graphs);
  if (d) {
    if (d.span) return formatDiagnostic(d, { color });
    const located = e as { location?: { file: string; line: number; col: number } | null };
    const loc = located.location ? `${formatSourceLocation(located.location)}: ` : '';
    return `${loc}error TFG${d.code}: ${d.message}`;
  }
  if (e instanceof Error) {
    // Python-side errors are expected; anything else is a bug in tfg, said so plainly.
    const internal = e instanceof TypeError_ || e instanceof ValueError || e instanceof RuntimeError ? '' : ' (internal error)';
    return `tfg: ${e.name}: ${e.message}${internal}`;
  }
  return `tfg: ${String(e)}`;
}

/** Print diagnostics to stderr; true when any is an error. */
export function reportDiagnostics(ds: readonly Diagnostic[], io: Io): boolean {
  if (ds.length) io.err(formatDiagnostics(ds, { color: io.color }));
  return ds.some((d) => d.severity === 'error');
}
