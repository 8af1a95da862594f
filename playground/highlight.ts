/**
 * @fileoverview `.tfg` highlighting for CodeMirror 6, derived from the project's own token list
 * (grammar/tokens.ts `allTokens`, in the lexer's priority order): at each position the first
 * token type whose pattern matches wins, a keyword giving way to a longer identifier (its
 * `longer_alt`), as chevrotain's lexer does. Each token type maps to a highlight tag by its
 * category (keyword, number, string, comment, operator, punctuation); identifiers that name a
 * builtin of the language get the `function` style.
 */
import { StreamLanguage, type StringStream } from '@codemirror/language';
import { tags as t, type Tag } from '@lezer/highlight';
import type { TokenType } from 'chevrotain';
import * as tok from '../grammar/tokens.js';

interface Rule {
  re: RegExp;
  style: string | null;
  type: TokenType;
}

function styleOf(type: TokenType): string | null {
  if (type === tok.Comment) return 'comment';
  if (tok.keywordTokens.includes(type)) return type === tok.True || type === tok.False || type === tok.None ? 'atom' : 'keyword';
  if (type === tok.FloatLit || type === tok.IntLit) return 'number';
  if (type === tok.QuotedString || type === tok.UnterminatedString) return 'string';
  if (type === tok.Identifier) return 'variableName';
  if (type === tok.WhiteSpace || type === tok.Newline || type === tok.LineContinuation) return null;
  const cats = type.CATEGORIES ?? [];
  if ([tok.AugAssign, tok.CompareOp, tok.AddOp, tok.MulOp].some((c) => cats.includes(c)) || [tok.Assign, tok.Power, tok.Arrow].includes(type))
    return 'operator';
  return 'punctuation';
}

/** The lexer's rules (token types with a pattern), in priority order. */
export const RULES: Rule[] = tok.allTokens
  .filter((ty) => ty.PATTERN instanceof RegExp)
  .map((ty) => ({ re: new RegExp((ty.PATTERN as RegExp).source, 'y'), style: styleOf(ty), type: ty }));

const identifierRule = RULES.find((r) => r.type === tok.Identifier)!;

/** A StreamLanguage over RULES; `builtins` are styled as functions. */
export function tfgLanguage(builtins: ReadonlySet<string>): StreamLanguage<unknown> {
  return StreamLanguage.define({
    name: 'tfg',
    token(stream: StringStream): string | null {
      const line = stream.string;
      for (const r of RULES) {
        r.re.lastIndex = stream.pos;
        const m = r.re.exec(line);
        if (!m || m[0].length === 0) continue;
        let len = m[0].length;
        let style = r.style;
        if (tok.keywordTokens.includes(r.type)) {
          identifierRule.re.lastIndex = stream.pos;
          const id = identifierRule.re.exec(line);
          if (id && id[0].length > len) {
            len = id[0].length;
            style = 'variableName';
          }
        }
        if (style === 'variableName' && builtins.has(line.slice(stream.pos, stream.pos + len))) style = 'function(variableName)';
        stream.pos += len;
        return style;
      }
      stream.next();
      return 'invalid';
    },
    languageData: { commentTokens: { line: '#' } },
    tokenTable: { 'function(variableName)': t.function(t.variableName) as Tag },
  });
}
