/**
 * @fileoverview Robustness: thousands of random token soups and mutations of the fixtures
 * (characters and tokens deleted, inserted, duplicated, swapped), from a seeded PRNG. parseSource
 * must never throw nor report an internal error (1010); every diagnostic span must lie inside
 * the file; a result without errors must have a printable program.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { repoPath } from '../helpers.js';
import { parseSource, printAst } from '../../grammar/index.js';
import { SyntaxCode } from '../../grammar/messages.js';
import { tfgLexer } from '../../grammar/tokens.js';
import { SourceFile, type Span } from '../../compiler/diagnostics/span.js';

/** mulberry32: small, seeded, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(20240601);
const int = (n: number) => Math.floor(rand() * n);
const pick = <X>(xs: readonly X[]): X => xs[int(xs.length)];

const pieces = [
  'def', 'return', 'with', 'as', 'graph', 'for', 'in', 'if', 'elif', 'else', 'signature', 'train', 'pass',
  'break', 'continue', 'and', 'or', 'not', 'True', 'False', 'None', 'x', 'y', 'define', 'graph_x', '_a1',
  '0', '3', '3.0', '.5', '1e-3', '2.', '"s"', "'t'", '"\\n\\x41"', '"open', "'\\x4'", '+', '-', '*', '/', '//',
  '%', '@', '**', '==', '!=', '<', '<=', '>', '>=', '=', '+=', '-=', '*=', '/=', '@=', '->', ',', ':', ';',
  '.', '(', ')', '[', ']', '{', '}', '\n', '\n', '\n', ' ', '# c\n', '$', '?', '\\\n', 'é', '\t', '\r\n',
];

function soup(): string {
  const n = 1 + int(40);
  let s = '';
  for (let i = 0; i < n; i++) s += pick(pieces) + (rand() < 0.6 ? ' ' : '');
  return s;
}

const fixtures = readdirSync(repoPath('test/grammar/fixtures'))
  .filter((f) => f.endsWith('.tfg'))
  .map((f) => readFileSync(repoPath('test/grammar/fixtures', f), 'utf8'));

function mutateChars(text: string): string {
  let s = text;
  const edits = 1 + int(4);
  for (let k = 0; k < edits; k++) {
    const i = int(s.length + 1);
    switch (int(4)) {
      case 0:
        s = s.slice(0, i) + s.slice(i + 1 + int(3));
        break;
      case 1:
        s = s.slice(0, i) + pick(pieces) + s.slice(i);
        break;
      case 2: {
        const len = 1 + int(8);
        s = s.slice(0, i) + s.slice(i, i + len) + s.slice(i);
        break;
      }
      default: {
        const j = int(s.length);
        if (i < s.length) {
          const a = s[Math.min(i, j)];
          const b = s[Math.max(i, j)];
          const lo = Math.min(i, j);
          const hi = Math.max(i, j);
          s = s.slice(0, lo) + b + s.slice(lo + 1, hi) + a + s.slice(hi + 1);
        }
      }
    }
  }
  return s;
}

function mutateTokens(text: string): string {
  const toks = tfgLexer.tokenize(text).tokens.map((x) => x.image);
  const edits = 1 + int(3);
  for (let k = 0; k < edits && toks.length > 0; k++) {
    const i = int(toks.length);
    switch (int(4)) {
      case 0:
        toks.splice(i, 1);
        break;
      case 1:
        toks.splice(i, 0, pick(pieces));
        break;
      case 2:
        toks.splice(i, 0, toks[i]);
        break;
      default: {
        const j = int(toks.length);
        [toks[i], toks[j]] = [toks[j], toks[i]];
      }
    }
  }
  return toks.join(' ');
}

function spanOk(s: Span | null | undefined, file: SourceFile): boolean {
  return !!s && s.file === file && Number.isInteger(s.start) && Number.isInteger(s.end) && 0 <= s.start && s.start <= s.end && s.end <= file.text.length;
}

t.test('parseSource survives random inputs', (t) => {
  const inputs: string[] = [];
  for (let i = 0; i < 1200; i++) inputs.push(soup());
  for (let i = 0; i < 1500; i++) inputs.push(mutateChars(pick(fixtures)));
  for (let i = 0; i < 1500; i++) inputs.push(mutateTokens(pick(fixtures)));
  const failures: string[] = [];
  let withErrors = 0;
  for (const text of inputs) {
    const file = new SourceFile('fuzz.tfg', text);
    try {
      const r = parseSource(file);
      const errs = r.diagnostics.filter((d) => d.severity === 'error');
      if (errs.length > 0) withErrors++;
      for (const d of r.diagnostics) {
        if (d.code === SyntaxCode.InternalError) failures.push(`internal error ${d.message}: ${JSON.stringify(text)}`);
        if (!spanOk(d.span, file)) failures.push(`span outside file for ${d.code}: ${JSON.stringify(text)}`);
        for (const rel of d.related ?? []) if (!spanOk(rel.span, file)) failures.push(`related span outside file: ${JSON.stringify(text)}`);
        if (typeof d.message !== 'string' || d.message.length === 0 || d.message.includes('\u0000')) failures.push(`bad message: ${JSON.stringify(text)}`);
      }
      if (errs.length === 0) {
        if (!r.program) failures.push(`no program without errors: ${JSON.stringify(text)}`);
        else printAst(r.program);
      } else if (r.program) printAst(r.program);
    } catch (e) {
      failures.push(`threw ${(e as Error).message}: ${JSON.stringify(text)}`);
    }
    if (failures.length > 10) break;
  }
  t.ok(inputs.length >= 3000, `${inputs.length} inputs`);
  t.ok(withErrors > inputs.length / 2, `most inputs are erroneous (${withErrors})`);
  t.same(failures, [], 'no failures');
  t.end();
});
