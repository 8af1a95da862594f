/**
 * @fileoverview Robustness fuzzing from a seeded PRNG (deterministic; the seed is in every
 * failure): families of inputs — token soup, byte mutations of the samples (samples/*.tfg) and
 * the grammar fixtures, token mutations, splices of two samples, unicode, NUL and control
 * characters, deep nesting of mixed constructs (around the nesting limit), very long lines —
 * each parsed (parseSource) and, when they parse, built (buildProgram, with a small step
 * budget). Nothing may throw or report an internal error (1010, 2012); every span lies in the
 * file; every message is clean; a parsed program prints.
 *
 * Then the scaling families: each input made at a size n (20-50 ms of CPU on an idle core) and 8n,
 * parsed (or built) three times each, interleaved, and the ratio of the least CPU times compared
 * with a generous margin: linear is 8 (12-27 measured: the memory hierarchy and the collector
 * make big inputs dearer per token), quadratic 64 and far more in practice (the old recovery
 * took 9.6 s for 16k stray lines and 53 s for 32k); the bound is 40, so a quadratic path fails
 * while a loaded machine does not. Never an absolute time.
 *
 * `npm run fuzz -- --n 100000` runs n inputs per family (default 10,000 for the small families
 * and a fortieth of that for the big inputs of deep nesting and long lines, keeping this file
 * within about a minute on a loaded 2-core machine); `--seed S` changes the seed.
 */
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readdirSync, readFileSync } from 'node:fs';
import { repoPath } from '../helpers.js';
import { mulberry32 } from '../../session/random.js';
import { parseSource, printAst } from '../../grammar/index.js';
import { SyntaxCode } from '../../grammar/messages.js';
import { tfgLexer } from '../../grammar/tokens.js';
import { SourceFile, type Span } from '../../compiler/diagnostics/span.js';
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { buildProgram } from '../../compiler/frontend/index.js';
import { FE } from '../../compiler/frontend/errors.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const N = Number(flag('n') ?? 10_000);
t.setTimeout(0); // run directly (npm run fuzz), the long version takes minutes
const SEED = Number(flag('seed') ?? 20240601);

const rand = mulberry32(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <X>(xs: readonly X[]): X => xs[int(xs.length)];

const pieces = [
  'def',
  'return',
  'with',
  'as',
  'graph',
  'for',
  'in',
  'if',
  'elif',
  'else',
  'signature',
  'train',
  'pass',
  'break',
  'continue',
  'and',
  'or',
  'not',
  'True',
  'False',
  'None',
  'x',
  'y',
  'define',
  'graph_x',
  '_a1',
  '0',
  '3',
  '3.0',
  '.5',
  '1e-3',
  '2.',
  '"s"',
  "'t'",
  '"\\n\\x41"',
  '"open',
  "'\\x4'",
  '+',
  '-',
  '*',
  '/',
  '//',
  '%',
  '@',
  '**',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '=',
  '+=',
  '-=',
  '*=',
  '/=',
  '@=',
  '->',
  ',',
  ':',
  ';',
  '.',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '\n',
  '\n',
  '\n',
  ' ',
  '# c\n',
  '$',
  '?',
  '\\\n',
  'é',
  '\t',
  '\r\n',
  'range(9)',
  'constant(1.0)',
  'x[0]',
  'f(x)',
  '[1, 2]',
  '{1: 2}',
  '9007199254740993',
  '2**53',
  '10**9',
];

const read = (dir: string): string[] =>
  readdirSync(repoPath(dir))
    .filter((f) => f.endsWith('.tfg'))
    .sort()
    .map((f) => readFileSync(repoPath(dir, f), 'utf8'));
const samples = read('samples');
const corpus = [...samples, ...read('test/grammar/fixtures')];

function soup(): string {
  const n = 1 + int(40);
  let s = '';
  for (let i = 0; i < n; i++) s += pick(pieces) + (rand() < 0.6 ? ' ' : '');
  return s;
}

/** Byte-level edits: delete, insert a piece or a random byte, duplicate, swap. */
function mutateBytes(text: string): string {
  let s = text;
  const edits = 1 + int(4);
  for (let k = 0; k < edits; k++) {
    const i = int(s.length + 1);
    switch (int(5)) {
      case 0:
        s = s.slice(0, i) + s.slice(i + 1 + int(3));
        break;
      case 1:
        s = s.slice(0, i) + pick(pieces) + s.slice(i);
        break;
      case 2:
        s = s.slice(0, i) + String.fromCharCode(int(128)) + s.slice(i);
        break;
      case 3: {
        const len = 1 + int(8);
        s = s.slice(0, i) + s.slice(i, i + len) + s.slice(i);
        break;
      }
      default: {
        const j = int(s.length);
        if (i < s.length) {
          const lo = Math.min(i, j);
          const hi = Math.max(i, j);
          s = s.slice(0, lo) + s[hi] + s.slice(lo + 1, hi) + s[lo] + s.slice(hi + 1);
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

/** The start of one sample and the end of another. */
function splice(): string {
  const a = pick(samples);
  const b = pick(samples);
  return a.slice(0, int(a.length + 1)) + b.slice(int(b.length + 1));
}

const odd = [
  '\u00e9',
  '\u4e2d',
  '\u{1F600}',
  '\u200b',
  '\u200f',
  '\u202e',
  '\ufeff',
  '\u0301',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\ud800',
  '\udfff',
  '\uffff',
  '\u{10FFFF}',
  'ß',
  'İ',
  'ﬀ',
];
function unicode(): string {
  const base = rand() < 0.5 ? pick(corpus) : soup();
  let s = base;
  for (let k = 0, n = 1 + int(6); k < n; k++) {
    const i = int(s.length + 1);
    const c = rand() < 0.7 ? pick(odd) : String.fromCodePoint(int(0x110000));
    s = s.slice(0, i) + c + s.slice(i);
  }
  return s;
}

function controls(): string {
  let s = rand() < 0.5 ? pick(corpus) : soup();
  for (let k = 0, n = 1 + int(6); k < n; k++) {
    const i = int(s.length + 1);
    const c = rand() < 0.5 ? '\0' : String.fromCharCode(int(32));
    s = s.slice(0, i) + c.repeat(1 + int(3)) + s.slice(i);
  }
  return s;
}

/** Mixed constructs nested to a random depth (often near the 1,000-level limit), maybe broken. */
const opens: [string, string][] = [
  ['(', ')'],
  ['[', ']'],
  ['{1: ', '}'],
  ['f(', ')'],
  ['x[', ']'],
  ['-', ''],
  ['not ', ''],
  ['2 ** ', ''],
  ['1 if c else ', ''],
  ['(1, ', ')'],
];
function deep(): string {
  const depth = rand() < 0.3 ? 990 + int(20) : 1 + int(1200);
  let open = '';
  const close: string[] = [];
  for (let i = 0; i < depth; i++) {
    const [o, c] = pick(opens);
    open += o;
    close.push(c);
  }
  let inner = pick(['1', 'x', '"s"', '', ')', ']', 'for']);
  let tail = close.reverse().join('');
  if (rand() < 0.3) tail = tail.slice(0, int(tail.length + 1));
  if (rand() < 0.2) inner += pick(pieces);
  const stmt = `y = ${open}${inner}${tail}`;
  if (rand() < 0.3) {
    const blocks = 1 + int(1100);
    return `${'if a {\n'.repeat(blocks)}${stmt}\n${'}\n'.repeat(rand() < 0.8 ? blocks : int(blocks))}`;
  }
  return `${stmt}\nz = 1\n`;
}

function longLine(): string {
  const n = 1000 + int(20_000);
  const unit = pick([' + 1', ', 2', ' $', ' or x', '[0]', '(', ')', '"ab" ', '.y', ' * -1']);
  return `x = 1${unit.repeat(Math.ceil(n / unit.length))}\ny = 2\n`;
}

function spanOk(s: Span | null | undefined, file: SourceFile): boolean {
  return !!s && s.file === file && Number.isInteger(s.start) && Number.isInteger(s.end) && 0 <= s.start && s.start <= s.end && s.end <= file.text.length;
}

function checkDiagnostics(ds: Diagnostic[], file: SourceFile, what: string, fail: (m: string) => void): void {
  for (const d of ds) {
    if (d.code === SyntaxCode.InternalError || d.code === FE.INTERNAL) fail(`${what}: internal error ${d.code} ${d.message}`);
    if (d.span !== null && !spanOk(d.span, file)) fail(`${what}: span outside the file for ${d.code}`);
    for (const rel of d.related ?? []) if (!spanOk(rel.span, file)) fail(`${what}: related span outside the file for ${d.code}`);
    if (typeof d.message !== 'string' || d.message.length === 0 || d.message.includes('\u0000')) fail(`${what}: bad message for ${d.code}`);
  }
}

interface Family {
  name: string;
  count: number;
  make: () => string;
}

const families: Family[] = [
  { name: 'token soup', count: N, make: soup },
  { name: 'byte mutations of the samples', count: N, make: () => mutateBytes(pick(corpus)) },
  { name: 'token mutations of the samples', count: N, make: () => mutateTokens(pick(corpus)) },
  { name: 'splices of two samples', count: N, make: splice },
  { name: 'unicode', count: N, make: unicode },
  { name: 'NUL and control characters', count: N, make: controls },
  { name: 'deep nesting', count: Math.ceil(N / 40), make: deep },
  { name: 'very long lines', count: Math.ceil(N / 40), make: longLine },
];

for (const fam of families) {
  t.test(`${fam.name}: ${fam.count} inputs parse (and build) without internal errors`, (t) => {
    const failures: string[] = [];
    let errors = 0;
    let built = 0;
    for (let i = 0; i < fam.count && failures.length < 5; i++) {
      const text = fam.make();
      const show = JSON.stringify(text.length > 300 ? `${text.slice(0, 150)}…${text.slice(-150)}` : text);
      const fail = (m: string) => failures.push(`${m} (seed ${SEED}, input ${i}: ${show})`);
      const file = new SourceFile('fuzz.tfg', text);
      try {
        const r = parseSource(file);
        checkDiagnostics(r.diagnostics, file, 'parse', fail);
        if (r.diagnostics.some((d) => d.severity === 'error')) errors++;
        else if (!r.program) fail('no program without errors');
        if (r.program) printAst(r.program);
        if (r.program && !r.diagnostics.some((d) => d.severity === 'error')) {
          built++;
          const b = buildProgram(text, 'fuzz.tfg', { limits: { maxSteps: 100_000 }, print: () => {} });
          for (const d of b.diagnostics) {
            if (d.code === FE.INTERNAL) fail(`build: internal error ${d.message}`);
            if (d.span !== null && (d.span.start < 0 || d.span.end > text.length || d.span.start > d.span.end))
              fail(`build: span outside the file for ${d.code}`);
          }
        }
      } catch (e) {
        fail(`threw ${(e as Error).stack ?? e}`);
      }
    }
    t.same(failures, [], 'no failures');
    t.comment(`${fam.count} inputs, ${errors} with syntax errors, ${built} built`);
    t.end();
  });
}

// ---- linear time on the scaling families ----

// A full collection before each timed run, so garbage of the previous one is not charged to it.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** CPU milliseconds of one run of `fn`, after a full collection. */
function cpuMs(fn: () => void): number {
  gc();
  const a = process.cpuUsage();
  fn();
  const b = process.cpuUsage(a);
  return (b.user + b.system) / 1000;
}

/** Scaling families: name, input of size n, what is timed, and n (about 20-50 ms of CPU here). */
const scaling: [string, (n: number) => string, 'parse' | 'build', number][] = [
  ["stray ')' lines", (n) => ')\n'.repeat(n), 'parse', 32_000],
  ["statements and stray '}'", (n) => 'x = 1\n}\n'.repeat(n), 'parse', 8000],
  ['bad characters', (n) => 'x = 1 $\n'.repeat(n), 'parse', 8000],
  ['unclosed brackets and closers of another kind', (n) => `${'(['.repeat(n)}${'}'.repeat(n)}`, 'parse', 8000],
  ['nested blocks past the limit', (n) => `${'if a {\n'.repeat(n)}${'}\n'.repeat(n)}`, 'parse', 8000],
  ['a flat sum', (n) => `x = ${'1 + '.repeat(n)}1`, 'parse', 16_000],
  ['valid statements', (n) => 'x = f(a, [1, 2.0, "s"], k=3) + y * 2\n'.repeat(n), 'parse', 1000],
  ['a sum of tensors, built', (n) => `c = constant(1.0)\nx = ${'c + '.repeat(n)}c`, 'build', 4000],
  ['a loop, built', (n) => `s = 0\nfor i in range(${n}) { s = s + i }`, 'build', 64_000],
];

t.test('parsing, recovery and building are linear on the scaling families', (t) => {
  for (const [name, make, stage, n] of scaling) {
    const run = (text: string) => () => {
      if (stage === 'parse') parseSource(new SourceFile('s.tfg', text));
      else buildProgram(text, 's.tfg', { print: () => {} });
    };
    const small = run(make(n));
    const large = run(make(8 * n));
    small(); // warm up (compile the code paths)
    small();
    let a = Infinity;
    let b = Infinity;
    for (let k = 0; k < 3; k++) {
      a = Math.min(a, cpuMs(small));
      b = Math.min(b, cpuMs(large));
    }
    t.ok(b / a < 40, `${name}: ${a.toFixed(0)} ms at n = ${n}, ${b.toFixed(0)} ms at 8n (ratio ${(b / a).toFixed(1)}; linear is 8, quadratic 64)`);
  }
  t.end();
});
