/**
 * @fileoverview The `.tfg` lexer: chevrotain token types, the lexer instance, and the
 * newline post-pass. Input: source text. Output: a token vector in which Newline tokens are
 * statement separators, except inside (...) and [...] where `dropBracketedNewlines` removes
 * them (inside {...} they stay: the grammar allows them in blocks and dict literals).
 *
 * Keywords use `longer_alt: Identifier` so `define` or `graph_x` stay identifiers, and share
 * the `Keyword` category so any keyword may follow '.' (`x.graph`). Every token has a `label`
 * (`')'`, `identifier`, `newline`, ...) that the parser's error messages print.
 */
import type { IToken, TokenType } from 'chevrotain';
import { createToken, Lexer } from './chevrotain.js';

// ---- trivia ----

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\f]+/, group: Lexer.SKIPPED });
/** A backslash at the end of a line joins it with the next, as in Python. */
export const LineContinuation = createToken({ name: 'LineContinuation', pattern: /\\\r?\n/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n]*/, group: Lexer.SKIPPED });
/** Category of statement separators: a newline or ';'. */
export const Separator = createToken({ name: 'Separator', pattern: Lexer.NA, label: "newline or ';'" });
export const Newline = createToken({
  name: 'Newline',
  pattern: /\n/,
  label: 'newline',
  line_breaks: true,
  categories: [Separator],
});

// ---- names and keywords ----

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'identifier' });
/** Category of all keywords (so `x.graph` and train keys may use them as names). */
export const Keyword = createToken({ name: 'Keyword', pattern: Lexer.NA, label: 'keyword' });

function keyword(word: string, name: string): TokenType {
  return createToken({
    name,
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: [Keyword],
    label: `'${word}'`,
  });
}

export const Def = keyword('def', 'Def');
export const Return = keyword('return', 'Return');
export const With = keyword('with', 'With');
export const As = keyword('as', 'As');
export const Graph = keyword('graph', 'Graph');
export const For = keyword('for', 'For');
export const In = keyword('in', 'In');
export const If = keyword('if', 'If');
export const Elif = keyword('elif', 'Elif');
export const Else = keyword('else', 'Else');
export const Signature = keyword('signature', 'Signature');
export const Train = keyword('train', 'Train');
export const Pass = keyword('pass', 'Pass');
export const Break = keyword('break', 'Break');
export const Continue = keyword('continue', 'Continue');
export const And = keyword('and', 'And');
export const Or = keyword('or', 'Or');
export const Not = keyword('not', 'Not');
export const True = keyword('True', 'True');
export const False = keyword('False', 'False');
export const None = keyword('None', 'None');

export const keywordTokens: TokenType[] = [
  Def,
  Return,
  With,
  As,
  Graph,
  For,
  In,
  If,
  Elif,
  Else,
  Signature,
  Train,
  Pass,
  Break,
  Continue,
  And,
  Or,
  Not,
  True,
  False,
  None,
];

// ---- literals ----

/** `3.0`, `2.`, `.5`, `1e-3`, `1.5E+2`: Python floats. Must come before IntLit and Dot. */
export const FloatLit = createToken({
  name: 'FloatLit',
  pattern: /(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+/,
  label: 'number',
});
export const IntLit = createToken({ name: 'IntLit', pattern: /\d+/, label: 'number' });

/** Category of string tokens: well-formed ones and unterminated ones (reported, then parsed on). */
export const StringLit = createToken({ name: 'StringLit', pattern: Lexer.NA, label: 'string' });
export const QuotedString = createToken({
  name: 'QuotedString',
  pattern: /'(?:[^'\\\n]|\\[^\n])*'|"(?:[^"\\\n]|\\[^\n])*"/,
  categories: [StringLit],
  label: 'string',
});
/** A string whose closing quote is missing before the end of the line. */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /'(?:[^'\\\n]|\\[^\n])*\\?|"(?:[^"\\\n]|\\[^\n])*\\?/,
  categories: [StringLit],
  label: 'string',
});

// ---- operators and punctuation (longest first) ----

function punct(name: string, text: string, label = `'${text}'`): TokenType {
  const pattern = new RegExp(text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return createToken({ name, pattern, label });
}

export const AugAssign = createToken({ name: 'AugAssign', pattern: Lexer.NA, label: 'augmented assignment' });
export const CompareOp = createToken({ name: 'CompareOp', pattern: Lexer.NA, label: 'comparison operator' });
export const AddOp = createToken({ name: 'AddOp', pattern: Lexer.NA, label: "'+' or '-'" });
export const MulOp = createToken({ name: 'MulOp', pattern: Lexer.NA, label: "'*', '/', '//', '%' or '@'" });

function cat(t: TokenType, c: TokenType): TokenType {
  t.CATEGORIES = [c];
  return t;
}

export const PlusAssign = punct('PlusAssign', '+=');
export const MinusAssign = punct('MinusAssign', '-=');
export const StarAssign = punct('StarAssign', '*=');
export const SlashAssign = punct('SlashAssign', '/=');
export const AtAssign = punct('AtAssign', '@=');
export const Power = punct('Power', '**');
export const FloorDiv = punct('FloorDiv', '//');
export const Arrow = punct('Arrow', '->');
export const EqEq = punct('EqEq', '==');
export const NotEq = punct('NotEq', '!=');
export const LessEq = punct('LessEq', '<=');
export const GreaterEq = punct('GreaterEq', '>=');
export const Less = punct('Less', '<');
export const Greater = punct('Greater', '>');
export const Assign = punct('Assign', '=');
export const Plus = punct('Plus', '+');
export const Minus = punct('Minus', '-');
export const Star = punct('Star', '*');
export const Slash = punct('Slash', '/');
export const Percent = punct('Percent', '%');
export const At = punct('At', '@');
export const Comma = punct('Comma', ',');
export const Colon = punct('Colon', ':');
export const Semicolon = punct('Semicolon', ';');
export const Dot = punct('Dot', '.');
export const LParen = punct('LParen', '(');
export const RParen = punct('RParen', ')');
export const LBracket = punct('LBracket', '[');
export const RBracket = punct('RBracket', ']');
export const LBrace = punct('LBrace', '{');
export const RBrace = punct('RBrace', '}');

cat(Semicolon, Separator);
for (const t of [PlusAssign, MinusAssign, StarAssign, SlashAssign, AtAssign]) cat(t, AugAssign);
for (const t of [EqEq, NotEq, LessEq, GreaterEq, Less, Greater]) cat(t, CompareOp);
for (const t of [Plus, Minus]) cat(t, AddOp);
for (const t of [Star, Slash, FloorDiv, Percent, At]) cat(t, MulOp);

/** Every token type, in lexer priority order (categories last: they match nothing themselves). */
export const allTokens: TokenType[] = [
  WhiteSpace,
  LineContinuation,
  Comment,
  Newline,
  ...keywordTokens,
  Identifier,
  FloatLit,
  IntLit,
  QuotedString,
  UnterminatedString,
  PlusAssign,
  MinusAssign,
  StarAssign,
  SlashAssign,
  AtAssign,
  Power,
  FloorDiv,
  Arrow,
  EqEq,
  NotEq,
  LessEq,
  GreaterEq,
  Less,
  Greater,
  Assign,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  At,
  Comma,
  Colon,
  Semicolon,
  Dot,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Separator,
  Keyword,
  StringLit,
  AugAssign,
  CompareOp,
  AddOp,
  MulOp,
];

/** Start offsets only (the parser takes ends from the image; lines are computed when printed). */
export const tfgLexer = new Lexer(allTokens, { positionTracking: 'onlyOffset', ensureOptimizations: true });

/** Keywords that only ever start a statement: seeing one on a new line closes open brackets. */
const statementOnly = new Set<TokenType>([Def, Return, With, Graph, Signature, Train, Pass, Break, Continue, Elif]);

/** Tokens that may end an expression (then `name =` on the next line cannot continue it). */
function endsExpression(t: TokenType): boolean {
  return (
    t === Identifier ||
    t === IntLit ||
    t === FloatLit ||
    t === QuotedString ||
    t === UnterminatedString ||
    t === True ||
    t === False ||
    t === None ||
    t === RParen ||
    t === RBracket ||
    t === RBrace
  );
}

export interface NewlinePass {
  tokens: IToken[];
  /** Openers '(' / '[' / '{' never closed (at the end of input, or abandoned by the heuristic below). */
  unclosed: IToken[];
}

/**
 * Remove Newline tokens that sit inside (...) or [...] (unless a `{` opened later is the
 * innermost bracket), and those directly before `elif`/`else` so `}` and `else` may be on
 * different lines. Unbalanced closers are left for the parser to report.
 *
 * A forgotten closer would otherwise swallow the rest of the file into one line. So when a
 * new line inside (...) or [...] starts with a statement-only keyword, or with `name =` right
 * after a token that ends an expression (never valid there: it would need a comma), the open
 * brackets are abandoned and the newline kept: the parser then reports the missing ')' at the
 * end of the line where it belongs.
 */
export function dropBracketedNewlines(tokens: IToken[]): NewlinePass {
  const out: IToken[] = [];
  const stack: IToken[] = [];
  const unclosed: IToken[] = [];
  // How many of each opener are on the stack: a closer whose kind is not open is left alone at
  // once (no scan of the stack), so the pass stays linear on any input.
  let parens = 0;
  let brackets = 0;
  let braces = 0;
  const count = (t: TokenType, d: number): void => {
    if (t === LParen) parens += d;
    else if (t === LBracket) brackets += d;
    else braces += d;
  };
  const popTo = (depth: number, into: IToken[] | null): void => {
    while (stack.length > depth) {
      const t = stack.pop()!;
      count(t.tokenType, -1);
      into?.push(t);
    }
  };
  const kind = (t: IToken) => t.tokenType;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    const type = tok.tokenType;
    if (type === Newline) {
      const top = stack[stack.length - 1];
      if (top && kind(top) !== LBrace) {
        // The decision is the same for every newline of a run: make it once for the run.
        let j = i + 1;
        while (j < tokens.length && kind(tokens[j]) === Newline) j++;
        const next = tokens[j];
        const after = tokens[j + 1];
        let prev: IToken | undefined;
        for (let k = out.length - 1; k >= 0 && !prev; k--) if (kind(out[k]) !== Newline) prev = out[k];
        const abandon =
          next !== undefined &&
          (statementOnly.has(kind(next)) ||
            (kind(next) === Identifier &&
              after !== undefined &&
              (kind(after) === Assign || after.tokenType.CATEGORIES?.includes(AugAssign) === true) &&
              prev !== undefined &&
              endsExpression(kind(prev))));
        if (!abandon) {
          i = j - 1;
          continue;
        }
        let depth = stack.length;
        while (depth > 0 && kind(stack[depth - 1]) !== LBrace) depth--;
        popTo(depth, unclosed);
      }
      out.push(tok);
      continue;
    }
    if (type === LParen || type === LBracket || type === LBrace) {
      stack.push(tok);
      count(type, 1);
    } else if (type === RParen || type === RBracket || type === RBrace) {
      const want = type === RParen ? LParen : type === RBracket ? LBracket : LBrace;
      if ((want === LParen ? parens : want === LBracket ? brackets : braces) > 0) {
        let at = stack.length - 1;
        while (kind(stack[at]) !== want) at--;
        popTo(at + 1, unclosed);
        popTo(at, null);
      }
    } else if (type === Elif || type === Else) {
      while (out.length > 0 && kind(out[out.length - 1]) === Newline) out.pop();
    }
    out.push(tok);
  }
  for (const t of stack) unclosed.push(t);
  let sorted = true;
  for (let i = 1; i < unclosed.length && sorted; i++) sorted = unclosed[i - 1].startOffset <= unclosed[i].startOffset;
  if (!sorted) unclosed.sort((a, b) => a.startOffset - b.startOffset);
  return { tokens: out, unclosed };
}
