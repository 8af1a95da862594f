/**
 * @fileoverview Syntax diagnostic message texts (their codes, 1xxx, are in
 * compiler/diagnostics/catalogue.ts), in one table so tests, docs and the CLI agree. Parser mismatch messages themselves are built in parser.ts from token
 * labels (`Expected ')' but found 'x'`).
 */

/** The codes themselves are in the one catalogue of every code. */
export { SyntaxCode } from '../compiler/diagnostics/catalogue.js';

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
