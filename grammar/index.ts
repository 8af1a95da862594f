/**
 * @fileoverview The grammar's public entry: `parseSource(file)` lexes, parses (with error
 * recovery) and builds the AST of a `.tfg` file, turning every lexer and parser problem into a
 * located Diagnostic. It never throws: internal failures become diagnostic 1010.
 *
 * Cascades are trimmed: at most one syntax error per line (lexer errors first, then grammar
 * errors, then those found while building nodes). Everything here is linear in the source:
 * the lexer, the newline pass, the parser with its recovery (parser.ts), and the bookkeeping
 * below. Limits (compiler/diagnostics/limits.ts): a source longer than `maxSourceChars` is one
 * error (1017) and is not lexed; after `maxErrors` errors the rest are dropped and 1016 says so.
 */
import type { IToken } from 'chevrotain';
import type { Program } from './ast.js';
import { type Diagnostic, error } from '../compiler/diagnostics/diagnostic.js';
import type { SourceFile, Span } from '../compiler/diagnostics/span.js';
import { formatCount, type Limits, resolveLimits } from '../compiler/diagnostics/limits.js';
import { Parser, tokenEnd } from './parser.js';
import { dropBracketedNewlines, LBrace, LBracket, LParen, tfgLexer, UnterminatedString } from './tokens.js';
import { messages, SyntaxCode } from './messages.js';

export { SyntaxCode } from './messages.js';
export { printAst } from './print-ast.js';

export interface ParseResult {
  /** The AST; may be partial when there are errors (treat any error diagnostic as fatal). */
  program: Program | null;
  diagnostics: Diagnostic[];
}

export type ParseOptions = Partial<Pick<Limits, 'maxSourceChars' | 'maxNesting' | 'maxErrors'>>;

export function parseSource(file: SourceFile, options: ParseOptions = {}): ParseResult {
  try {
    return parseUnsafe(file, options);
  } catch (e) {
    const what = e instanceof Error ? e.message : String(e);
    return { program: null, diagnostics: [error(SyntaxCode.InternalError, messages.internalError(what), spanAt(file, 0, 0))] };
  }
}

function spanAt(file: SourceFile, start: number, end: number): Span {
  const n = file.text.length;
  const s = Math.min(Math.max(0, Number.isFinite(start) ? start : n), n);
  const e = Math.min(Math.max(s, Number.isFinite(end) ? end : s), n);
  return { file, start: s, end: e };
}

function parseUnsafe(file: SourceFile, options: ParseOptions): ParseResult {
  const limits = resolveLimits(options);
  const text = file.text;
  if (text.length > limits.maxSourceChars) {
    const d = error(SyntaxCode.SourceTooLarge, messages.sourceTooLarge(formatCount(text.length), formatCount(limits.maxSourceChars)), spanAt(file, 0, 0));
    return { program: null, diagnostics: [d] };
  }
  const lexed = tfgLexer.tokenize(text);

  // 1. lexer problems: bad characters, unterminated strings
  // Only the first maxErrors + 1 can be kept (errors are capped by position, and the lexer's
  // come in order), so the rest are not made.
  const lexDiags: Diagnostic[] = [];
  for (const e of lexed.errors) {
    if (lexDiags.length > limits.maxErrors) break;
    const chars = text.slice(e.offset, e.offset + e.length);
    lexDiags.push(error(SyntaxCode.UnexpectedCharacter, messages.unexpectedCharacter(chars), spanAt(file, e.offset, e.offset + e.length)));
  }
  let unterminated = 0;
  for (const t of lexed.tokens) {
    if (t.tokenType === UnterminatedString && unterminated++ <= limits.maxErrors) {
      lexDiags.push(
        error(SyntaxCode.UnterminatedString, messages.unterminatedString, spanAt(file, t.startOffset, tokenEnd(t)), {
          expected: messages.unterminatedStringExpected,
        }),
      );
    }
  }

  // 2. parse
  const { tokens, unclosed } = dropBracketedNewlines(lexed.tokens);
  const out = new Parser(file, tokens, { maxNesting: limits.maxNesting, maxErrors: limits.maxErrors }).parse();
  attachUnclosed(file, out.parseErrors, unclosed);
  const program: Program = { kind: 'Program', body: out.body, span: spanAt(file, 0, text.length) };
  const kept = trimCascades(file, lexDiags, out.parseErrors, out.astErrors);
  return { program, diagnostics: capErrors(kept, limits.maxErrors, out.stopped) };
}

/** Point "Expected ')'" (or ']', '}') errors at the bracket that was never closed as well. */
function attachUnclosed(file: SourceFile, diags: Diagnostic[], unclosed: IToken[]): void {
  if (unclosed.length === 0 || diags.length === 0) return;
  // For each closer, the errors expecting it, by start offset: each opener takes the first one
  // at or after it (binary search), unless that one already has its note.
  const byCloser = new Map<string, Diagnostic[]>();
  for (const d of diags) {
    if (d.span === null) continue;
    for (const c of ["')'", "']'", "'}'"]) {
      if ((d.expected ?? '').includes(c)) {
        let list = byCloser.get(c);
        if (!list) byCloser.set(c, (list = []));
        list.push(d);
      }
    }
  }
  for (const list of byCloser.values()) list.sort((a, b) => a.span!.start - b.span!.start);
  for (const open of unclosed) {
    const closer = open.tokenType === LParen ? "')'" : open.tokenType === LBracket ? "']'" : open.tokenType === LBrace ? "'}'" : null;
    const list = closer ? byCloser.get(closer) : undefined;
    if (!list) continue;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].span!.start >= open.startOffset) hi = mid;
      else lo = mid + 1;
    }
    const d = list[lo];
    if (!d || d.related?.length) continue;
    d.related = [{ span: spanAt(file, open.startOffset, open.startOffset + 1), message: messages.unclosed(open.image) }];
  }
}

function trimCascades(file: SourceFile, lex: Diagnostic[], parse: Diagnostic[], ast: Diagnostic[]): Diagnostic[] {
  const byStart = (a: Diagnostic, b: Diagnostic) => (a.span?.start ?? 0) - (b.span?.start ?? 0);
  const lines = new Set<number>();
  const kept: Diagnostic[] = [];
  const lineOf = (d: Diagnostic) => (d.span ? file.lineCol(d.span.start).line : 0);
  for (const group of [lex, parse, ast]) {
    for (const d of [...group].sort(byStart)) {
      const line = lineOf(d);
      if (lines.has(line) && group !== lex) continue;
      lines.add(line);
      kept.push(d);
    }
  }
  return kept.sort(byStart);
}

/** Keep the first `max` errors; say so (1016, where the next one was) when there were more. */
function capErrors(ds: Diagnostic[], max: number, stopped: boolean): Diagnostic[] {
  let errors = 0;
  for (let i = 0; i < ds.length; i++) {
    if (ds[i].severity !== 'error') continue;
    if (++errors > max) {
      const out = ds.slice(0, i);
      out.push(error(SyntaxCode.TooManyErrors, messages.tooManyErrors(formatCount(max)), ds[i].span));
      return out;
    }
  }
  if (stopped && ds.length > 0) {
    const last = ds[ds.length - 1];
    ds.push(error(SyntaxCode.TooManyErrors, messages.tooManyErrors(formatCount(max)), last.span));
  }
  return ds;
}
