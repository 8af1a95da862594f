/**
 * @fileoverview The `.tfg` parser: a hand-written recursive-descent parser from the token
 * vector (tokens.ts, after the newline pass) to the AST of ast.ts, with a span (character
 * offsets, end exclusive) on every node. The grammar is the EBNF of docs/language.md.
 *
 * Expression precedence, loosest first (Python's): `a if c else b` < `or` < `and` < `not` <
 * comparisons (no chaining: a second operator is error 1004) < `+ -` < `* / // % @` < unary
 * `- +` < `**` (right-associative, its right operand may be unary) < postfix (call, index,
 * attribute) < atoms.
 *
 * Bounded by construction:
 * - Left-associative chains (`a + b + ...`, `a or b or ...`, trailers `f(x)(y)[0].z`) are
 *   loops, never recursion, so a chain of any length parses.
 * - Everything that does recurse — brackets, blocks, prefix operators, `**` and `if-else`
 *   right operands — counts one nesting level; more than `maxNesting` is error 1015 at the
 *   token that opened the level too many (the innermost open one), so deep input is a located
 *   error, never a stack overflow.
 * - Error recovery is linear: an error abandons the statement it is in and parsing resumes at
 *   the next separator of the enclosing block (bracket groups are jumped over with a
 *   precomputed match table), so each token is looked at a bounded number of times. After
 *   `maxErrors` errors parsing stops.
 *
 * Messages name tokens by their labels (tokens.ts): `Expected ')' but found newline` (1002: a
 * token was required), `Expected expression but found '='` (1005: nothing fits), `Unexpected
 * '}'` (1006: a token no statement starts with). Errors the grammar itself does not catch are
 * reported as the AST is built, without stopping: chained comparisons (1004), invalid
 * assignment targets (1008), malformed escapes (1009), duplicate or misordered parameters and
 * arguments (1011-1014).
 */
import type { IToken, TokenType } from 'chevrotain';
import { EOF } from './chevrotain.js';
import type * as A from './ast.js';
import * as T from './tokens.js';
import { error, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import type { SourceFile, Span } from '../compiler/diagnostics/span.js';
import { formatCount, isStackOverflow } from '../compiler/diagnostics/limits.js';
import { messages, quoteChars, SyntaxCode } from './messages.js';

/** How a token type is named in messages: its label, else its name. */
export function tokenLabel(t: TokenType): string {
  if (t === EOF) return 'end of input';
  return t.LABEL ?? t.name;
}

/** How a found token is named in messages: `'x'` for most, `newline`/`end of input` for those. */
export function foundLabel(tok: IToken | undefined): string {
  if (!tok || tok.tokenType === EOF) return 'end of input';
  if (tok.tokenType === T.Newline) return 'newline';
  return quoteChars(tok.image);
}

export interface ParserLimits {
  maxNesting: number;
  maxErrors: number;
}

export interface ParserOutput {
  body: A.Stmt[];
  /** Grammar errors (1002, 1005, 1006, 1015), in the order found. */
  parseErrors: Diagnostic[];
  /** Errors found while building nodes (1004, 1008, 1009, 1011-1014). */
  astErrors: Diagnostic[];
  /** True when parsing stopped at `maxErrors`. */
  stopped: boolean;
}

/** Offset one past a token's last character (the lexer tracks start offsets only). */
export function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

/** A grammar error, already reported: unwinds to the statement being parsed. */
class ParseError {}
/** `maxErrors` reached: unwinds to the top. */
class StopParsing {}

const EXPRESSION = 'expression';
const SEPARATOR = "newline or ';'";

function kindSet(...types: TokenType[]): Set<TokenType> {
  return new Set(types);
}

const SEPARATORS = kindSet(T.Newline, T.Semicolon);
const STRINGS = kindSet(T.QuotedString, T.UnterminatedString);
const KEYWORDS = new Set(T.keywordTokens);
const AUG_ASSIGN = kindSet(T.PlusAssign, T.MinusAssign, T.StarAssign, T.SlashAssign, T.AtAssign);
const COMPARE = kindSet(T.EqEq, T.NotEq, T.LessEq, T.GreaterEq, T.Less, T.Greater);
const ADD = kindSet(T.Plus, T.Minus);
const MUL = kindSet(T.Star, T.Slash, T.FloorDiv, T.Percent, T.At);

/** Precedence levels, loosest first (`not` sits between `and` and comparisons). */
const PREC_COND = 0;
const PREC_OR = 1;
const PREC_AND = 2;
const PREC_NOT = 3;
const PREC_COMPARE = 4;
const PREC_ADD = 5;
const PREC_MUL = 6;
/** Tighter than any binary operator: an operand alone. */
const PREC_UNARY = 7;
const BINARY_PREC = new Map<TokenType, number>([
  [T.Or, PREC_OR],
  [T.And, PREC_AND],
]);
for (const t of COMPARE) BINARY_PREC.set(t, PREC_COMPARE);
for (const t of ADD) BINARY_PREC.set(t, PREC_ADD);
for (const t of MUL) BINARY_PREC.set(t, PREC_MUL);
const OPENERS = kindSet(T.LParen, T.LBracket, T.LBrace);
const CLOSERS = kindSet(T.RParen, T.RBracket, T.RBrace);
/** Tokens an expression may start with. */
const EXPR_START = kindSet(
  T.IntLit,
  T.FloatLit,
  T.QuotedString,
  T.UnterminatedString,
  T.True,
  T.False,
  T.None,
  T.Identifier,
  T.LParen,
  T.LBracket,
  T.LBrace,
  T.Not,
  T.Plus,
  T.Minus,
);
const STMT_KEYWORDS = kindSet(T.Def, T.Return, T.With, T.Graph, T.For, T.If, T.Signature, T.Train, T.Pass, T.Break, T.Continue);

const EOF_TOKEN: IToken = {
  image: '',
  startOffset: NaN,
  endOffset: NaN,
  startLine: NaN,
  endLine: NaN,
  startColumn: NaN,
  endColumn: NaN,
  tokenTypeIdx: EOF.tokenTypeIdx!,
  tokenType: EOF,
};

/**
 * For each bracket token, the index of its partner (-1 when it has none), matching closers to
 * the nearest open bracket of their kind as the newline pass does (brackets opened inside and
 * left open are abandoned). Linear: a closer whose kind is not open is unmatched at once.
 */
export function matchBrackets(toks: readonly IToken[]): Int32Array {
  const match = new Int32Array(toks.length).fill(-1);
  const stack: number[] = [];
  const open = [0, 0, 0];
  const slot = (t: TokenType): number => (t === T.LParen || t === T.RParen ? 0 : t === T.LBracket || t === T.RBracket ? 1 : 2);
  for (let i = 0; i < toks.length; i++) {
    const ty = toks[i].tokenType;
    if (ty === T.LParen || ty === T.LBracket || ty === T.LBrace) {
      stack.push(i);
      open[slot(ty)]++;
    } else if (ty === T.RParen || ty === T.RBracket || ty === T.RBrace) {
      const want = slot(ty);
      if (open[want] === 0) continue;
      for (;;) {
        const j = stack.pop()!;
        const js = slot(toks[j].tokenType);
        open[js]--;
        if (js === want) {
          match[i] = j;
          match[j] = i;
          break;
        }
      }
    }
  }
  return match;
}

export class Parser {
  private readonly toks: readonly IToken[];
  private readonly n: number;
  private pos = 0;
  private readonly match: Int32Array;
  private depth = 0;
  /** End offset (exclusive) of the last consumed token. */
  private prevEnd = 0;
  /** End of the last token that is not a newline: where "end of input" errors point. */
  private readonly lastEnd: number;
  private readonly parseErrors: Diagnostic[] = [];
  private readonly astErrors: Diagnostic[] = [];
  private stopped = false;

  constructor(
    private readonly file: SourceFile,
    tokens: readonly IToken[],
    private readonly limits: ParserLimits,
  ) {
    this.toks = tokens;
    this.n = tokens.length;
    this.match = matchBrackets(tokens);
    let lastEnd = 0;
    for (let i = tokens.length - 1; i >= 0; i--) {
      const t = tokens[i];
      if (t.tokenType !== T.Newline && Number.isFinite(t.startOffset)) {
        lastEnd = tokenEnd(t);
        break;
      }
    }
    this.lastEnd = lastEnd;
  }

  parse(): ParserOutput {
    const body: A.Stmt[] = [];
    try {
      this.skipSeparators();
      while (this.pos < this.n) {
        const t = this.peek();
        if (!this.startsStatement(t)) {
          this.reportParse(SyntaxCode.UnexpectedToken, `Unexpected ${foundLabel(t)}`, this.tokSpan(t), 'statement');
          this.sync(0);
          this.skipSeparators();
          continue;
        }
        this.statementInto(body, 0);
        this.skipSeparators();
      }
    } catch (e) {
      if (isStackOverflow(e)) {
        // Only with a nesting limit raised past what the stack holds: still a located error.
        const max = formatCount(this.depth);
        this.parseErrors.push(
          error(SyntaxCode.NestingTooDeep, messages.nestingTooDeep(max), this.tokSpan(this.peek()), { expected: messages.nestingTooDeepExpected(max) }),
        );
      } else if (!(e instanceof StopParsing)) throw e;
    }
    return { body, parseErrors: this.parseErrors, astErrors: this.astErrors, stopped: this.stopped };
  }

  // ---- tokens ----

  private peek(k = 0): IToken {
    const i = this.pos + k;
    return i < this.n ? this.toks[i] : EOF_TOKEN;
  }

  private is(type: TokenType, k = 0): boolean {
    return this.peek(k).tokenType === type;
  }

  private consume(): IToken {
    const t = this.peek();
    if (this.pos < this.n) {
      this.pos++;
      this.prevEnd = tokenEnd(t);
    }
    return t;
  }

  /** Consume a token of `type` or fail with 1002 "Expected X but found Y". */
  private expect(type: TokenType): IToken {
    if (this.is(type)) return this.consume();
    const exp = tokenLabel(type);
    return this.fail(SyntaxCode.ExpectedToken, `Expected ${exp} but found ${foundLabel(this.peek())}`, exp);
  }

  private skipSeparators(): void {
    while (this.pos < this.n && SEPARATORS.has(this.toks[this.pos].tokenType)) this.pos++;
  }

  private skipNewlines(): void {
    while (this.pos < this.n && this.toks[this.pos].tokenType === T.Newline) this.pos++;
  }

  private startsExpression(t: IToken): boolean {
    return EXPR_START.has(t.tokenType);
  }

  private startsStatement(t: IToken): boolean {
    return STMT_KEYWORDS.has(t.tokenType) || EXPR_START.has(t.tokenType);
  }

  /** An identifier or any keyword (attribute names, train keys, signature names). */
  private isName(t: IToken): boolean {
    return t.tokenType === T.Identifier || KEYWORDS.has(t.tokenType);
  }

  // ---- spans and errors ----

  private span(start: number, end: number): Span {
    const n = this.file.text.length;
    const s = Number.isFinite(start) ? Math.min(Math.max(0, start), n) : n;
    const e = Number.isFinite(end) ? Math.min(Math.max(s, end), n) : s;
    return { file: this.file, start: s, end: e };
  }

  private tokSpan(t: IToken): Span {
    if (t.tokenType === EOF || !Number.isFinite(t.startOffset)) return this.span(this.lastEnd, this.lastEnd);
    return this.span(t.startOffset, tokenEnd(t));
  }

  /** From the start of token `t` to the end of the last consumed token. */
  private spanFrom(start: number): Span {
    return this.span(start, this.prevEnd);
  }

  private startOf(t: IToken): number {
    return Number.isFinite(t.startOffset) ? t.startOffset : this.lastEnd;
  }

  private fromTo(a: Span, b: Span): Span {
    return this.span(Math.min(a.start, b.start), Math.max(a.end, b.end));
  }

  private reportParse(code: number, message: string, span: Span, expected?: string): void {
    if (this.parseErrors.length >= this.limits.maxErrors) {
      this.stopped = true;
      throw new StopParsing();
    }
    this.parseErrors.push(error(code, message, span, expected !== undefined ? { expected } : {}));
  }

  /** Report a grammar error at the current token and abandon the statement. */
  private fail(code: number, message: string, expected: string, at: IToken = this.peek()): never {
    this.reportParse(code, message, this.tokSpan(at), expected);
    throw new ParseError();
  }

  /** 1005: none of the forms that may stand here starts with the current token. */
  private noViable(expected: string): never {
    return this.fail(SyntaxCode.NoViableAlternative, `Expected ${expected} but found ${foundLabel(this.peek())}`, expected);
  }

  private reportAst(code: number, message: string, span: Span, extra: Partial<Diagnostic> = {}): void {
    this.astErrors.push(error(code, message, span, extra));
  }

  /** Open one nesting level at `tok` (a bracket, block or operator already consumed). */
  private enter(tok: IToken): void {
    if (this.depth >= this.limits.maxNesting) {
      const max = formatCount(this.limits.maxNesting);
      // Recovery then skips the whole bracket group, not just what follows its opener.
      if (OPENERS.has(tok.tokenType) && this.toks[this.pos - 1] === tok) this.pos--;
      this.fail(SyntaxCode.NestingTooDeep, messages.nestingTooDeep(max), messages.nestingTooDeepExpected(max), tok);
    }
    this.depth++;
  }

  private leave(): void {
    this.depth--;
  }

  /**
   * Error recovery: skip to the next separator of the statement's block (or to the `}` that
   * closes the block, or the end), jumping over bracket groups. Closers of brackets opened
   * inside the abandoned statement (at or after `stmtStart`) are skipped; one closing a bracket
   * opened before it ends the block, and parsing resumes there.
   */
  private sync(stmtStart: number): void {
    let i = this.pos;
    while (i < this.n) {
      const ty = this.toks[i].tokenType;
      if (SEPARATORS.has(ty)) break;
      const m = this.match[i];
      if (OPENERS.has(ty) && m > i) {
        i = m + 1;
        continue;
      }
      if (CLOSERS.has(ty) && m >= 0 && m < stmtStart) break;
      i++;
    }
    this.pos = i;
  }

  // ---- statements ----

  /** Parse one statement and its terminator into `out`; on an error, report, skip and go on. */
  private statementInto(out: A.Stmt[], blockStart: number): void {
    const start = this.pos;
    const depth = this.depth;
    try {
      const s = this.statement();
      out.push(s);
      this.terminator();
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.depth = depth;
      this.sync(blockStart);
      if (this.pos === start) this.pos++;
    }
  }

  /** Newlines or ';' after a statement; none needed before '}' or the end. */
  private terminator(): void {
    const t = this.peek();
    if (SEPARATORS.has(t.tokenType)) {
      this.skipSeparators();
      return;
    }
    if (t.tokenType === T.RBrace || t.tokenType === EOF) return;
    this.noViable(SEPARATOR);
  }

  private statement(): A.Stmt {
    switch (this.peek().tokenType) {
      case T.Def:
        return this.defStmt();
      case T.Return:
        return this.returnStmt();
      case T.With:
        return this.withStmt();
      case T.Graph:
        return this.graphStmt();
      case T.For:
        return this.forStmt();
      case T.If:
        return this.ifStmt();
      case T.Signature:
        return this.signatureStmt();
      case T.Train:
        return this.trainStmt();
      case T.Pass: {
        const t = this.consume();
        return { kind: 'PassStmt', span: this.tokSpan(t) };
      }
      case T.Break: {
        const t = this.consume();
        return { kind: 'BreakStmt', span: this.tokSpan(t) };
      }
      case T.Continue: {
        const t = this.consume();
        return { kind: 'ContinueStmt', span: this.tokSpan(t) };
      }
      default:
        return this.simpleStmt();
    }
  }

  /** `{ statements }`; the '{' may be on the line after the header. */
  private block(): A.Stmt[] {
    this.skipNewlines();
    const open = this.expect(T.LBrace);
    const openIndex = this.pos - 1;
    this.enter(open);
    const body: A.Stmt[] = [];
    this.skipSeparators();
    while (this.pos < this.n && !this.is(T.RBrace)) {
      const t = this.peek();
      if (!this.startsStatement(t)) {
        this.reportParse(SyntaxCode.ExpectedToken, `Expected '}' but found ${foundLabel(t)}`, this.tokSpan(t), "'}'");
        this.sync(openIndex + 1);
        if (this.peek() === t) this.pos++;
        this.skipSeparators();
        continue;
      }
      this.statementInto(body, openIndex + 1);
      this.skipSeparators();
    }
    this.expect(T.RBrace);
    this.leave();
    return body;
  }

  /** Expression statement, assignment `a, b = e` or augmented assignment `a += e`. */
  private simpleStmt(): A.Stmt {
    const start = this.startOf(this.peek());
    const lhs = this.exprItems();
    if (this.is(T.Assign)) {
      this.consume();
      const value = this.exprList();
      let targets: A.Target[];
      if (lhs.items.length === 1 && !lhs.comma) targets = [this.toTarget(lhs.items[0])];
      else if (lhs.items.length === 1) targets = [{ kind: 'TupleTarget', items: [this.toTarget(lhs.items[0])], span: lhs.span }];
      else targets = lhs.items.map((e) => this.toTarget(e));
      return { kind: 'AssignStmt', targets, value, span: this.spanFrom(start) };
    }
    if (AUG_ASSIGN.has(this.peek().tokenType)) {
      const opTok = this.consume();
      const value = this.test();
      const first = lhs.items[0];
      let target: A.NameExpr;
      if (lhs.items.length === 1 && !lhs.comma && first.kind === 'Name') target = first;
      else {
        const what = lhs.items.length > 1 || lhs.comma ? 'a tuple' : describe(first);
        this.reportAst(SyntaxCode.InvalidAssignTarget, messages.augTarget(what), lhs.span);
        target = { kind: 'Name', name: '<error>', span: lhs.span };
      }
      const op = opTok.image.slice(0, -1) as A.AugAssignStmt['op'];
      return { kind: 'AugAssignStmt', target, op, value, span: this.spanFrom(start) };
    }
    return { kind: 'ExprStmt', expr: this.itemsExpr(lhs), span: this.spanFrom(start) };
  }

  /** `e` or `e1, e2, ...` (a tuple when there is a comma). */
  private exprList(): A.Expr {
    return this.itemsExpr(this.exprItems());
  }

  private itemsExpr(x: { items: A.Expr[]; comma: boolean; span: Span }): A.Expr {
    if (x.items.length === 1 && !x.comma) return x.items[0];
    return { kind: 'Tuple', items: x.items, span: x.span };
  }

  /** The items of `a, b, c` and whether a comma was written (`a,` is a 1-tuple). */
  private exprItems(): { items: A.Expr[]; comma: boolean; span: Span } {
    const start = this.startOf(this.peek());
    const items = [this.test()];
    let comma = false;
    while (this.is(T.Comma)) {
      this.consume();
      comma = true;
      if (!this.startsExpression(this.peek())) break;
      items.push(this.test());
    }
    return { items, comma, span: this.spanFrom(start) };
  }

  /** An expression on the left of '=' as a target: names, and tuples/lists of targets. */
  private toTarget(e: A.Expr): A.Target {
    if (e.kind === 'Name') return e;
    if (e.kind === 'Tuple' || e.kind === 'List') {
      return { kind: 'TupleTarget', items: e.items.map((x) => this.toTarget(x)), span: e.span };
    }
    this.reportAst(SyntaxCode.InvalidAssignTarget, messages.assignTarget(describe(e)), e.span);
    return { kind: 'Name', name: '<error>', span: e.span };
  }

  private defStmt(): A.DefStmt {
    const start = this.startOf(this.consume());
    const nameTok = this.expect(T.Identifier);
    const open = this.expect(T.LParen);
    this.enter(open);
    const params: A.Param[] = [];
    if (this.is(T.Identifier)) {
      params.push(this.param());
      while (this.is(T.Comma)) {
        this.consume();
        if (!this.is(T.Identifier)) break;
        params.push(this.param());
      }
    }
    this.expect(T.RParen);
    this.leave();
    const seen = new Set<string>();
    let sawDefault = false;
    for (const p of params) {
      if (seen.has(p.name)) this.reportAst(SyntaxCode.DuplicateParameter, messages.duplicateParam(p.name), p.span);
      seen.add(p.name);
      if (p.default) sawDefault = true;
      else if (sawDefault) this.reportAst(SyntaxCode.NonDefaultAfterDefault, messages.nonDefaultAfterDefault(p.name), p.span);
    }
    const body = this.block();
    return { kind: 'DefStmt', name: nameTok.image, nameSpan: this.tokSpan(nameTok), params, body, span: this.spanFrom(start) };
  }

  private param(): A.Param {
    const nameTok = this.consume();
    let def: A.Expr | null = null;
    if (this.is(T.Assign)) {
      this.consume();
      def = this.test();
    }
    const span = def ? this.fromTo(this.tokSpan(nameTok), def.span) : this.tokSpan(nameTok);
    return { name: nameTok.image, default: def, span };
  }

  private returnStmt(): A.ReturnStmt {
    const start = this.startOf(this.consume());
    const value = this.startsExpression(this.peek()) ? this.exprList() : null;
    return { kind: 'ReturnStmt', value, span: this.spanFrom(start) };
  }

  private withStmt(): A.WithStmt {
    const start = this.startOf(this.consume());
    const context = this.test();
    let asName: string | null = null;
    if (this.is(T.As)) {
      this.consume();
      asName = this.expect(T.Identifier).image;
    }
    const body = this.block();
    return { kind: 'WithStmt', context, asName, body, span: this.spanFrom(start) };
  }

  private graphStmt(): A.GraphStmt {
    const start = this.startOf(this.consume());
    const nameTok = this.expect(T.Identifier);
    const body = this.block();
    return { kind: 'GraphStmt', name: nameTok.image, nameSpan: this.tokSpan(nameTok), body, span: this.spanFrom(start) };
  }

  private forStmt(): A.ForStmt {
    const start = this.startOf(this.consume());
    const target = this.target();
    this.expect(T.In);
    const iter = this.test();
    const body = this.block();
    return { kind: 'ForStmt', target, iter, body, span: this.spanFrom(start) };
  }

  /** `a`, `a, b`, `(a, b), c`: names to bind in `for` and comprehensions. */
  private target(): A.Target {
    const start = this.startOf(this.peek());
    const items = [this.targetItem()];
    let comma = false;
    while (this.is(T.Comma)) {
      this.consume();
      comma = true;
      const t = this.peek().tokenType;
      if (t !== T.Identifier && t !== T.LParen && t !== T.LBracket) break;
      items.push(this.targetItem());
    }
    if (items.length === 1 && !comma) return items[0];
    return { kind: 'TupleTarget', items, span: this.spanFrom(start) };
  }

  private targetItem(): A.Target {
    const t = this.peek();
    if (t.tokenType === T.Identifier) {
      this.consume();
      return { kind: 'Name', name: t.image, span: this.tokSpan(t) };
    }
    if (t.tokenType !== T.LParen && t.tokenType !== T.LBracket) this.noViable("identifier, '(' or '['");
    const start = this.startOf(this.consume());
    this.enter(t);
    const inner = this.target();
    this.expect(t.tokenType === T.LParen ? T.RParen : T.RBracket);
    this.leave();
    const span = this.spanFrom(start);
    // `[a]` unpacks a 1-sequence like `(a,)`; `(a)` is just `a`.
    if (t.tokenType === T.LBracket && inner.kind === 'Name') return { kind: 'TupleTarget', items: [inner], span };
    return inner.kind === 'TupleTarget' ? { ...inner, span } : inner;
  }

  /** `if t {..} elif t {..} else {..}`: elif chains become nested IfStmts in orelse. */
  private ifStmt(): A.IfStmt {
    const branches: { start: number; test: A.Expr; body: A.Stmt[] }[] = [];
    let start = this.startOf(this.consume());
    for (;;) {
      const test = this.test();
      const body = this.block();
      branches.push({ start, test, body });
      if (!this.is(T.Elif)) break;
      start = this.startOf(this.consume());
    }
    let orelse: A.Stmt[] = [];
    if (this.is(T.Else)) {
      this.consume();
      orelse = this.block();
    }
    const end = this.prevEnd;
    let stmt: A.IfStmt | null = null;
    for (let i = branches.length - 1; i >= 0; i--) {
      const b = branches[i];
      stmt = { kind: 'IfStmt', test: b.test, body: b.body, orelse, span: this.span(b.start, end) };
      orelse = [stmt];
    }
    return stmt!;
  }

  private signatureStmt(): A.SignatureStmt {
    const start = this.startOf(this.consume());
    // A signature's name may be a keyword (`signature train(X, y) -> ...`): nothing else can stand there.
    if (!this.isName(this.peek())) this.noViable('identifier or keyword');
    const nameTok = this.consume();
    const open = this.expect(T.LParen);
    this.enter(open);
    const feeds: A.Expr[] = [];
    if (this.startsExpression(this.peek())) {
      feeds.push(this.test());
      while (this.is(T.Comma)) {
        this.consume();
        if (!this.startsExpression(this.peek())) break;
        feeds.push(this.test());
      }
    }
    this.expect(T.RParen);
    this.leave();
    this.expect(T.Arrow);
    const fetches = this.exprList();
    return { kind: 'SignatureStmt', name: nameTok.image, nameSpan: this.tokSpan(nameTok), feeds, fetches, span: this.spanFrom(start) };
  }

  private trainStmt(): A.TrainStmt {
    const start = this.startOf(this.consume());
    const name = this.is(T.Identifier) ? this.consume().image : null;
    const entries = this.trainBlock();
    return { kind: 'TrainStmt', name, entries, span: this.spanFrom(start) };
  }

  private trainBlock(): A.TrainEntry[] {
    this.skipNewlines();
    const open = this.expect(T.LBrace);
    const openIndex = this.pos - 1;
    this.enter(open);
    this.skipSeparators();
    const out: A.TrainEntry[] = [];
    while (this.isName(this.peek())) {
      const start = this.pos;
      const depth = this.depth;
      try {
        out.push(this.trainEntry());
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        this.depth = depth;
        this.sync(openIndex + 1);
        if (this.pos === start) this.pos++;
        this.skipSeparators();
      }
    }
    this.expect(T.RBrace);
    this.leave();
    return out;
  }

  /** `key = expr` or `key { entries }`; a key may be any name, keywords included. */
  private trainEntry(): A.TrainEntry {
    const keyTok = this.consume();
    const keySpan = this.tokSpan(keyTok);
    let entry: A.TrainEntry;
    if (this.is(T.Assign)) {
      this.consume();
      const value = this.test();
      entry = { key: keyTok.image, keySpan, value, entries: null, span: this.fromTo(keySpan, value.span) };
    } else if (this.is(T.LBrace) || this.is(T.Newline)) {
      const entries = this.trainBlock();
      entry = { key: keyTok.image, keySpan, value: null, entries, span: this.spanFrom(keyTok.startOffset) };
    } else {
      this.noViable("'=', newline or '{'");
    }
    this.terminator();
    return entry;
  }

  // ---- expressions ----

  // The recursion per nesting level is kept to three short frames (expr → postfix →
  // bracket rule → expr) so that far more than the default nesting limit fits in Node's
  // default stack; operators of one precedence level are loops.

  /** An expression: `body if test else orelse`, an `or` expression, or anything tighter. */
  private test(): A.Expr {
    return this.expr(PREC_COND);
  }

  /**
   * Operator-precedence parsing of everything from the conditional expression down to unary
   * operators: the operators of one level are a loop (left-associative, any length); a tighter
   * operator on the right recurses once per precedence level, not once per operator.
   */
  private expr(minPrec: number): A.Expr {
    const first = this.peek().tokenType;
    let left: A.Expr;
    if (first === T.Not || ADD.has(first)) left = this.operand(minPrec);
    else {
      left = this.postfix();
      if (this.is(T.Power)) left = this.power(left);
    }
    let comparisons = 0;
    for (;;) {
      const ty = this.peek().tokenType;
      if (ty === T.If) {
        if (minPrec > PREC_COND) return left;
        left = this.conditional(left);
        continue;
      }
      const prec = BINARY_PREC.get(ty);
      if (prec === undefined || prec < minPrec) return left;
      const opTok = this.consume();
      const right = this.expr(prec + 1);
      if (prec === PREC_COMPARE && ++comparisons === 2) {
        this.reportAst(SyntaxCode.ChainedComparison, messages.chainedComparison, this.tokSpan(opTok), { expected: messages.chainedComparisonHint });
      }
      left = this.binaryNode(prec, opTok, left, right);
    }
  }

  /** `body if cond else orelse` (the `if` is next); the else part nests one level. */
  private conditional(body: A.Expr): A.Expr {
    this.consume();
    const cond = this.expr(PREC_OR);
    const elseTok = this.expect(T.Else);
    this.enter(elseTok);
    const orelse = this.expr(PREC_COND);
    this.leave();
    return { kind: 'Cond', test: cond, body, orelse, span: this.fromTo(body.span, orelse.span) };
  }

  private binaryNode(prec: number, opTok: IToken, left: A.Expr, right: A.Expr): A.Expr {
    const span = this.fromTo(left.span, right.span);
    if (prec === PREC_OR || prec === PREC_AND) return { kind: 'Logical', op: prec === PREC_OR ? 'or' : 'and', left, right, span };
    if (prec === PREC_COMPARE) return { kind: 'Compare', op: opTok.image as A.CompareOp, left, right, opSpan: this.tokSpan(opTok), span };
    return { kind: 'Binary', op: opTok.image as A.BinaryOp, left, right, opSpan: this.tokSpan(opTok), span };
  }

  /**
   * The operand of a binary operator: `not x` (only where `not` may stand), or unary `-x`/`+x`
   * (any number, collected with a loop) around a power `a ** b` (right-associative; the
   * exponent is again such an operand, so `2 ** -1` works and `-2 ** 2` is `-(2 ** 2)`).
   */
  private operand(minPrec: number): A.Expr {
    if (this.is(T.Not)) {
      if (minPrec > PREC_NOT) this.noViable(EXPRESSION);
      const notTok = this.consume();
      this.enter(notTok);
      const operand = this.expr(PREC_NOT);
      this.leave();
      return { kind: 'Not', operand, span: this.fromTo(this.tokSpan(notTok), operand.span) };
    }
    let prefix: IToken[] | null = null;
    while (ADD.has(this.peek().tokenType)) {
      const opTok = this.consume();
      this.enter(opTok);
      (prefix ??= []).push(opTok);
    }
    let e = this.postfix();
    if (this.is(T.Power)) e = this.power(e);
    if (prefix) e = this.wrapUnary(prefix, e);
    return e;
  }

  private power(base: A.Expr): A.Expr {
    const opTok = this.consume();
    this.enter(opTok);
    const exp = this.operand(PREC_UNARY);
    this.leave();
    return { kind: 'Binary', op: '**', left: base, right: exp, opSpan: this.tokSpan(opTok), span: this.fromTo(base.span, exp.span) };
  }

  private wrapUnary(prefix: IToken[], operand: A.Expr): A.Expr {
    let e = operand;
    for (let i = prefix.length - 1; i >= 0; i--) {
      const opTok = prefix[i];
      e = { kind: 'Unary', op: opTok.image as '-' | '+', operand: e, span: this.fromTo(this.tokSpan(opTok), e.span) };
      this.leave();
    }
    return e;
  }

  /** An atom followed by any number of trailers: `(args)`, `[indices]`, `.name`. */
  private postfix(): A.Expr {
    let e: A.Expr;
    switch (this.peek().tokenType) {
      case T.LBracket:
        e = this.listAtom();
        break;
      case T.LParen:
        e = this.parenAtom();
        break;
      case T.LBrace:
        e = this.dictAtom();
        break;
      default:
        e = this.atom();
    }
    for (;;) {
      const ty = this.peek().tokenType;
      if (ty === T.LParen) e = this.call(e);
      else if (ty === T.LBracket) e = this.index(e);
      else if (ty === T.Dot) e = this.attribute(e);
      else return e;
    }
  }

  private attribute(target: A.Expr): A.Expr {
    this.consume();
    if (!this.isName(this.peek())) this.noViable('identifier or keyword');
    const nameTok = this.consume();
    return { kind: 'Attr', target, attr: nameTok.image, attrSpan: this.tokSpan(nameTok), span: this.span(target.span.start, this.prevEnd) };
  }

  /** `(args)`: `name=value` or positional values. */
  private call(callee: A.Expr): A.CallExpr {
    this.enter(this.consume());
    const args: A.Arg[] = [];
    while (this.startsExpression(this.peek())) {
      if (this.is(T.Identifier) && this.is(T.Assign, 1)) {
        const nameTok = this.consume();
        this.consume();
        const value = this.expr(PREC_COND);
        args.push({ name: nameTok.image, value, span: this.fromTo(this.tokSpan(nameTok), value.span) });
      } else {
        const value = this.expr(PREC_COND);
        args.push({ name: null, value, span: value.span });
      }
      if (!this.is(T.Comma)) break;
      this.consume();
    }
    this.expect(T.RParen);
    this.leave();
    this.checkArgs(args);
    return { kind: 'Call', callee, args, span: this.span(callee.span.start, this.prevEnd) };
  }

  private checkArgs(args: A.Arg[]): void {
    let sawKeyword = false;
    const names = new Set<string>();
    for (const a of args) {
      if (a.name !== null) {
        sawKeyword = true;
        if (names.has(a.name)) this.reportAst(SyntaxCode.DuplicateKeywordArgument, messages.duplicateKeyword(a.name), a.span);
        names.add(a.name);
      } else if (sawKeyword) this.reportAst(SyntaxCode.PositionalAfterKeyword, messages.positionalAfterKeyword, a.span);
    }
  }

  /** `[indices]`: each an index `i` or a slice `start:stop:step` with any part missing. */
  private index(target: A.Expr): A.IndexExpr {
    this.enter(this.consume());
    const indices: (A.Expr | A.SliceExpr)[] = [];
    for (;;) {
      const t = this.peek();
      if (t.tokenType !== T.Colon) {
        if (!this.startsExpression(t)) {
          if (indices.length > 0) break;
          this.noViable(`${EXPRESSION} or ':'`);
        }
        const first = this.expr(PREC_COND);
        indices.push(this.is(T.Colon) ? this.slice(first, this.startOf(t)) : first);
      } else indices.push(this.slice(null, this.startOf(t)));
      if (!this.is(T.Comma)) break;
      this.consume();
    }
    this.expect(T.RBracket);
    this.leave();
    return { kind: 'Index', target, indices, span: this.span(target.span.start, this.prevEnd) };
  }

  /** The rest of a slice after its start (the ':' is next): `[stop] [':' [step]]`. */
  private slice(first: A.Expr | null, start: number): A.SliceExpr {
    this.consume();
    const stop = this.startsExpression(this.peek()) ? this.expr(PREC_COND) : null;
    let step: A.Expr | null = null;
    if (this.is(T.Colon)) {
      this.consume();
      if (this.startsExpression(this.peek())) step = this.expr(PREC_COND);
    }
    return { kind: 'Slice', start: first, stop, step, span: this.spanFrom(start) };
  }

  /** Literals and names (brackets are handled by `postfix`). */
  private atom(): A.Expr {
    const t = this.peek();
    switch (t.tokenType) {
      case T.IntLit:
      case T.FloatLit: {
        this.consume();
        const isInt = t.tokenType === T.IntLit;
        const value = isInt ? Number.parseInt(t.image, 10) : Number.parseFloat(t.image);
        return { kind: 'Number', value, isInt, raw: t.image, span: this.tokSpan(t) };
      }
      case T.QuotedString:
      case T.UnterminatedString: {
        let value = '';
        while (STRINGS.has(this.peek().tokenType)) value += this.decodeString(this.consume());
        return { kind: 'String', value, span: this.span(t.startOffset, this.prevEnd) };
      }
      case T.True:
      case T.False:
        this.consume();
        return { kind: 'Bool', value: t.tokenType === T.True, span: this.tokSpan(t) };
      case T.None:
        this.consume();
        return { kind: 'None', span: this.tokSpan(t) };
      case T.Identifier:
        this.consume();
        return { kind: 'Name', name: t.image, span: this.tokSpan(t) };
      default:
        return this.noViable(EXPRESSION);
    }
  }

  /** `[a, b]` or `[elt for target in iter if cond]`. */
  private listAtom(): A.Expr {
    const open = this.consume();
    const start = open.startOffset;
    this.enter(open);
    const items: A.Expr[] = [];
    if (this.startsExpression(this.peek())) {
      const first = this.expr(PREC_COND);
      if (this.is(T.For)) {
        this.consume();
        const target = this.target();
        this.expect(T.In);
        const iter = this.expr(PREC_OR);
        const conds: A.Expr[] = [];
        while (this.is(T.If)) {
          this.consume();
          conds.push(this.expr(PREC_OR));
        }
        this.expect(T.RBracket);
        this.leave();
        return { kind: 'Comp', elt: first, target, iter, conds, span: this.spanFrom(start) };
      }
      items.push(first);
      while (this.is(T.Comma)) {
        this.consume();
        if (!this.startsExpression(this.peek())) break;
        items.push(this.expr(PREC_COND));
      }
    }
    this.expect(T.RBracket);
    this.leave();
    return { kind: 'List', items, span: this.spanFrom(start) };
  }

  /** `(e)` is e; `()`, `(e,)`, `(a, b)` are tuples. */
  private parenAtom(): A.Expr {
    const start = this.peek().startOffset;
    this.enter(this.consume());
    const items: A.Expr[] = [];
    let comma = false;
    while (this.startsExpression(this.peek())) {
      items.push(this.expr(PREC_COND));
      if (!this.is(T.Comma)) break;
      this.consume();
      comma = true;
    }
    this.expect(T.RParen);
    this.leave();
    if (items.length === 1 && !comma) return items[0];
    return { kind: 'Tuple', items, span: this.spanFrom(start) };
  }

  /** `{k: v, ...}` in expression position; newlines may appear around entries and commas. */
  private dictAtom(): A.DictExpr {
    const start = this.peek().startOffset;
    this.enter(this.consume());
    const entries: A.DictExpr['entries'] = [];
    this.skipNewlines();
    while (this.startsExpression(this.peek())) {
      const key = this.expr(PREC_COND);
      this.expect(T.Colon);
      this.skipNewlines();
      const value = this.expr(PREC_COND);
      entries.push({ key, value, span: this.fromTo(key.span, value.span) });
      this.skipNewlines();
      if (!this.is(T.Comma)) break;
      this.consume();
      this.skipNewlines();
    }
    this.expect(T.RBrace);
    this.leave();
    return { kind: 'Dict', entries, span: this.spanFrom(start) };
  }

  // ---- strings ----

  /** The value of a string token (Python escapes; an unterminated one ends at its line). */
  private decodeString(tok: IToken): string {
    const img = tok.image;
    const quote = img[0];
    const terminated = tok.tokenType === T.QuotedString && img.length >= 2 && img[img.length - 1] === quote;
    const body = img.slice(1, terminated ? -1 : undefined);
    if (!body.includes('\\')) return body;
    const out: string[] = [];
    for (let i = 0; i < body.length; i++) {
      const ch = body[i];
      if (ch !== '\\') {
        out.push(ch);
        continue;
      }
      const at = tok.startOffset + 1 + i;
      const next = body[i + 1];
      if (next === undefined) break; // a lone trailing backslash of an unterminated string
      i++;
      const simple = SIMPLE_ESCAPES[next];
      if (simple !== undefined) {
        out.push(simple);
        continue;
      }
      if (next >= '0' && next <= '7') {
        let digits = next;
        while (digits.length < 3 && /[0-7]/.test(body[i + 1] ?? '')) digits += body[++i];
        out.push(String.fromCharCode(Number.parseInt(digits, 8)));
        continue;
      }
      const hexLen = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
      if (hexLen > 0) {
        const hex = body.slice(i + 1, i + 1 + hexLen);
        const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === hexLen ? Number.parseInt(hex, 16) : NaN;
        if (!Number.isFinite(code) || code > 0x10ffff) {
          this.reportAst(SyntaxCode.InvalidEscape, messages.badEscape(`\\${next}${hex}`), this.span(at, at + 2 + hex.length), {
            expected: messages.badEscapeHint(next, hexLen),
          });
        } else out.push(String.fromCodePoint(code));
        i += hex.length;
        continue;
      }
      out.push('\\' + next); // unknown escapes keep their backslash, as in Python
    }
    return out.join('');
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

/** How an expression that cannot be assigned to is named in messages. */
function describe(e: A.Expr): string {
  switch (e.kind) {
    case 'Call':
      return 'a function call';
    case 'Attr':
      return 'an attribute (graphs are immutable; bind a new name instead)';
    case 'Index':
      return 'an index (graphs are immutable; bind a new name instead)';
    case 'Number':
    case 'String':
    case 'Bool':
    case 'None':
      return 'a literal';
    case 'Dict':
      return 'a dict literal';
    case 'Comp':
      return 'a comprehension';
    case 'Compare':
      return 'a comparison';
    case 'Cond':
      return 'a conditional expression';
    default:
      return 'an expression';
  }
}
