/**
 * @fileoverview Syntax diagnostic codes (1xxx) and their message texts, in one table so tests,
 * docs and the CLI agree. Parser mismatch messages themselves are built in parser.ts from token
 * labels (`Expected ')' but found 'x'`).
 */

export const SyntaxCode = {
  /** A character no token starts with. */
  UnexpectedCharacter: 1001,
  /** The parser expected one token and found another. */
  ExpectedToken: 1002,
  UnterminatedString: 1003,
  ChainedComparison: 1004,
  /** None of the alternatives (statement, expression, ...) can start with the token found. */
  NoViableAlternative: 1005,
  /** Input left over after a complete program. */
  UnexpectedToken: 1006,
  /** Retired: chevrotain's empty required repetition; the hand-written parser never reports it. */
  ExpectedAtLeastOne: 1007,
  InvalidAssignTarget: 1008,
  InvalidEscape: 1009,
  /** A bug in the parser itself, turned into a diagnostic instead of a crash. */
  InternalError: 1010,
  DuplicateParameter: 1011,
  NonDefaultAfterDefault: 1012,
  DuplicateKeywordArgument: 1013,
  PositionalAfterKeyword: 1014,
  /** More nested brackets, blocks and prefix operators than `maxNesting` (compiler/diagnostics/limits.ts). */
  NestingTooDeep: 1015,
  /** More syntax errors than `maxErrors`: parsing stopped. */
  TooManyErrors: 1016,
  /** A source file longer than `maxSourceChars`. */
  SourceTooLarge: 1017,
} as const;

export const messages = {
  unexpectedCharacter: (chars: string) => `Unexpected character ${quoteChars(chars)}`,
  unterminatedString: 'Unterminated string literal (a string must close on the line it opens)',
  unterminatedStringExpected: 'a closing quote',
  chainedComparison: "Comparison operators cannot be chained (as in 'a < b < c')",
  chainedComparisonHint: "separate comparisons joined by 'and', e.g. 'a < b and b < c'",
  assignTarget: (what: string) => `Cannot assign to ${what}`,
  augTarget: (what: string) => `Augmented assignment needs a single name on the left, not ${what}`,
  badEscape: (esc: string) => `Invalid escape sequence ${quoteChars(esc)}`,
  badEscapeHint: (letter: string, digits: number) => `'\\${letter}' followed by ${digits} hex digits`,
  internalError: (what: string) => `Internal parser error: ${what}`,
  duplicateParam: (name: string) => `Duplicate parameter '${name}'`,
  nonDefaultAfterDefault: (name: string) => `Parameter '${name}' without a default follows a parameter with one`,
  duplicateKeyword: (name: string) => `Keyword argument '${name}' repeated`,
  positionalAfterKeyword: 'Positional argument follows keyword argument',
  unclosed: (open: string) => `'${open}' opened here is never closed`,
  nestingTooDeep: (max: string) => `Nesting too deep: more than ${max} levels of brackets, blocks and operators`,
  nestingTooDeepExpected: (max: string) => `at most ${max} nested levels (name the inner parts, or raise the limit with --max-nesting)`,
  tooManyErrors: (max: string) => `Too many errors: parsing stopped after ${max} (raise the limit with --max-errors)`,
  sourceTooLarge: (n: string, max: string) => `Source too large: ${n} characters; the limit is ${max} (raise it with --max-source-chars)`,
};

/** Characters as quoted in messages: control characters escaped (`'\x00'`), long text cut. */
export function quoteChars(s: string): string {
  if (s.length > 40) s = `${s.slice(0, 40)}…`;
  const shown = [...s]
    .map((c) => {
      const code = c.codePointAt(0) ?? 0;
      return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c;
    })
    .join('');
  return `'${shown}'`;
}
