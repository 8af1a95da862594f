/**
 * @fileoverview Diagnostics: a code, a message, a primary span and optional related spans.
 * Every stage reports problems as Diagnostics; `formatDiagnostic` renders them with
 * `file:line:col`, a code frame and a caret. `CompileError` carries diagnostics through
 * `throw` when a stage must stop.
 */
import { type Span, formatLocation } from './span.js';

export type Severity = 'error' | 'warning' | 'note';

export interface Related {
  span: Span;
  message: string;
}

export interface Diagnostic {
  /** Codes by phase: 1xxx syntax, 2xxx shape/type/name, 3xxx gradients, 4xxx codegen, 5xxx runtime. */
  code: number;
  severity: Severity;
  message: string;
  span: Span | null;
  related?: Related[];
  /** What was expected, when the parser or checker knows. */
  expected?: string;
}

export function error(code: number, message: string, span: Span | null, extra: Partial<Diagnostic> = {}): Diagnostic {
  return { code, severity: 'error', message, span, ...extra };
}

/** Thrown by construction-phase code; the driver catches it and reports its diagnostics. */
export class CompileError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic | Diagnostic[]) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map((d) => `${formatLocation(d.span)}: ${d.message}`).join('\n'));
    this.name = 'CompileError';
    this.diagnostics = list;
  }
}

/** Collects diagnostics, dropping exact duplicates (same code, message and span). */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  private seen = new Set<string>();
  add(d: Diagnostic): void {
    const key = `${d.code}|${d.message}|${d.span?.file.name}|${d.span?.start}|${d.span?.end}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(d);
  }
  addAll(ds: Iterable<Diagnostic>): void {
    for (const d of ds) this.add(d);
  }
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

/**
 * Render a diagnostic:
 * ```
 * f.tfg:3:9: error TFG2001: Dimensions must be equal ...
 *   3 | y = matmul(a, b)
 *     |         ^^^^^^^^^
 *   expected: ...
 * ```
 */
export function formatDiagnostic(d: Diagnostic, opts: { color?: boolean } = {}): string {
  const c = opts.color ? colors : plain;
  const head = `${formatLocation(d.span)}: ${c.sev(d.severity)} TFG${d.code}: ${d.message}`;
  const lines = [head];
  if (d.span) lines.push(...codeFrame(d.span, c));
  if (d.expected) lines.push(`  expected: ${d.expected}`);
  for (const r of d.related ?? []) {
    lines.push(`  ${formatLocation(r.span)}: note: ${r.message}`);
    lines.push(...codeFrame(r.span, c));
  }
  return lines.join('\n');
}

export function formatDiagnostics(ds: readonly Diagnostic[], opts: { color?: boolean } = {}): string {
  return ds.map((d) => formatDiagnostic(d, opts)).join('\n\n');
}

/** Widest source line a code frame prints; longer lines are cut to a window around the span. */
export const FRAME_WIDTH = 120;

function codeFrame(s: Span, c: typeof plain): string[] {
  const a = s.file.lineCol(s.start);
  const b = s.file.lineCol(Math.max(s.start, s.end - 1));
  const full = s.file.lineText(a.line);
  const width = String(a.line).length;
  const gutter = ' '.repeat(width);
  const caretEnd = b.line === a.line ? Math.max(b.col, a.col) : full.length;
  // Columns [from, to) of the line are shown: all of it when it is short, else a window that
  // starts a little before the span (a minified or generated file may have a 1 MB line).
  let from = 0;
  let to = full.length;
  if (full.length > FRAME_WIDTH) {
    from = Math.max(0, Math.min(a.col - 1 - 20, full.length - FRAME_WIDTH));
    to = Math.min(full.length, from + FRAME_WIDTH);
  }
  const head = from > 0 ? '…' : '';
  const text = head + full.slice(from, to) + (to < full.length ? '…' : '');
  const first = a.col - 1 - from;
  const n = Math.max(1, Math.min(caretEnd, to) - (a.col - 1));
  const pad = head.replace(/./g, ' ') + full.slice(from, from + first).replace(/[^\t]/g, ' ');
  return [`  ${a.line} | ${text}`, `  ${gutter} | ${pad}${c.caret('^'.repeat(Math.min(n, FRAME_WIDTH)))}`];
}

const plain: { sev: (s: Severity) => string; caret: (s: string) => string } = {
  sev: (s: Severity) => s,
  caret: (s: string) => s,
};
const colors = {
  sev: (s: Severity) => (s === 'error' ? `\x1b[31;1m${s}\x1b[0m` : s === 'warning' ? `\x1b[33;1m${s}\x1b[0m` : `\x1b[36m${s}\x1b[0m`),
  caret: (s: string) => `\x1b[32;1m${s}\x1b[0m`,
};
