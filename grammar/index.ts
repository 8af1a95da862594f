/**
 * @fileoverview The grammar's public entry: `parseSource(file)` lexes, parses (with error
 * recovery) and builds the AST of a `.tfg` file, turning every lexer, parser and CST→AST
 * problem into a located Diagnostic. It never throws: internal failures become diagnostic 1010.
 *
 * Cascades are trimmed: at most one syntax error per line (lexer errors first, then parser
 * errors, then those found while building the AST), and an "end of input" error is dropped when
 * an earlier error explains it.
 */
import { tokenMatcher, type IRecognitionException, type IToken } from 'chevrotain';
import type { Program } from './ast.js';
import { type Diagnostic, error } from '../compiler/diagnostics/diagnostic.js';
import type { SourceFile, Span } from '../compiler/diagnostics/span.js';
import { EXPECTED_SEP, parser } from './parser.js';
import { dropBracketedNewlines, LBrace, LBracket, LParen, Newline, Separator, tfgLexer, UnterminatedString } from './tokens.js';
import { AstBuilder } from './to-ast.js';
import { messages, SyntaxCode } from './messages.js';

export { SyntaxCode } from './messages.js';
export { printAst } from './print-ast.js';

let builder: AstBuilder | null = null;

export interface ParseResult {
  /** The AST; may be partial when there are errors (treat any error diagnostic as fatal). */
  program: Program | null;
  diagnostics: Diagnostic[];
}

export function parseSource(file: SourceFile): ParseResult {
  try {
    return parseUnsafe(file);
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

function parseUnsafe(file: SourceFile): ParseResult {
  const text = file.text;
  const lexed = tfgLexer.tokenize(text);

  // 1. lexer problems: bad characters, unterminated strings
  const lexDiags: Diagnostic[] = [];
  for (const e of lexed.errors) {
    const chars = text.slice(e.offset, e.offset + e.length);
    lexDiags.push(error(SyntaxCode.UnexpectedCharacter, messages.unexpectedCharacter(chars), spanAt(file, e.offset, e.offset + e.length)));
  }
  for (const t of lexed.tokens) {
    if (t.tokenType === UnterminatedString) {
      lexDiags.push(
        error(SyntaxCode.UnterminatedString, messages.unterminatedString, spanAt(file, t.startOffset, (t.endOffset ?? t.startOffset) + 1), {
          expected: messages.unterminatedStringExpected,
        }),
      );
    }
  }

  // 2. parse
  const { tokens, unclosed } = dropBracketedNewlines(lexed.tokens);
  let lastEnd = 0;
  for (const t of tokens) {
    if (t.tokenType !== Newline && Number.isFinite(t.endOffset)) lastEnd = (t.endOffset ?? t.startOffset) + 1;
  }
  // The grammar stops at a token no statement can start with (a stray ')' or '}'); report it
  // and parse on from the next line, so later errors are found in the same pass.
  const parseDiags: Diagnostic[] = [];
  const astDiags: Diagnostic[] = [];
  const body: Program['body'] = [];
  let complete = true;
  let from = 0;
  while (from <= tokens.length) {
    parser.input = from === 0 ? tokens : tokens.slice(from);
    const cst = parser.program();
    let stray: IToken | null = null;
    for (const e of parser.errors) {
      parseDiags.push(parserDiagnostic(file, e, lastEnd));
      if (e.name === 'NotAllInputParsedException') stray = e.token;
    }
    try {
      builder ??= new AstBuilder();
      body.push(...builder.build(cst, file, astDiags).body);
    } catch (e) {
      complete = false;
      if (parseDiags.length === 0 && lexDiags.length === 0) {
        const what = e instanceof Error ? e.message : String(e);
        astDiags.push(error(SyntaxCode.InternalError, messages.internalError(what), spanAt(file, 0, 0)));
      }
    }
    if (!stray) break;
    const at = tokens.indexOf(stray, from);
    if (at < 0) break;
    let next = at + 1;
    while (next < tokens.length && !tokenMatcher(tokens[next], Separator)) next++;
    if (next >= tokens.length) break;
    from = next + 1;
  }
  attachUnclosed(file, parseDiags, unclosed);
  const program: Program | null = complete || body.length > 0 ? { kind: 'Program', body, span: spanAt(file, 0, text.length) } : null;
  return { program, diagnostics: trimCascades(file, lexDiags, parseDiags, astDiags) };
}

const codeOf: Record<string, number> = {
  MismatchedTokenException: SyntaxCode.ExpectedToken,
  NoViableAltException: SyntaxCode.NoViableAlternative,
  NotAllInputParsedException: SyntaxCode.UnexpectedToken,
  EarlyExitException: SyntaxCode.ExpectedAtLeastOne,
};

function parserDiagnostic(file: SourceFile, e: IRecognitionException, lastEnd: number): Diagnostic {
  const [message, expected] = e.message.split(EXPECTED_SEP);
  const tok: IToken | undefined = e.token;
  const real = tok && Number.isFinite(tok.startOffset) && !tok.isInsertedInRecovery;
  const span = real ? spanAt(file, tok.startOffset, (tok.endOffset ?? tok.startOffset) + 1) : spanAt(file, lastEnd, lastEnd);
  return error(codeOf[e.name] ?? SyntaxCode.ExpectedToken, message, span, expected ? { expected } : {});
}

/** Point "Expected ')'" (or ']', '}') errors at the bracket that was never closed as well. */
function attachUnclosed(file: SourceFile, diags: Diagnostic[], unclosed: IToken[]): void {
  for (const open of unclosed) {
    const closer = open.tokenType === LParen ? "')'" : open.tokenType === LBracket ? "']'" : "'}'";
    const d = diags.find((x) => x.span !== null && x.span.start >= open.startOffset && (x.expected ?? '').includes(closer));
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
