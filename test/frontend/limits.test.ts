/**
 * @fileoverview The compiler's limits (compiler/diagnostics/limits.ts, docs/limits.md) as
 * behaviour: each is a located diagnostic with its own code naming the limit and its option, each
 * can be raised, and what is not a limit works at any size — 1,000 levels of every nesting
 * construct, left-associative chains of 100,000 terms (parsed, printed, evaluated, built as
 * tensors), ints exact up to 2**53 - 1. Also the integer range (OverflowError) and code frames
 * of very long lines.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { formatDiagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { DEFAULT_LIMITS, formatCount, LIMITS } from '../../compiler/diagnostics/limits.js';
import { SourceFile } from '../../compiler/diagnostics/span.js';
import { buildProgram, type BuildResult } from '../../compiler/frontend/index.js';
import { parseSource, printAst } from '../../grammar/index.js';
import { repoPath } from '../helpers.js';
import { firstError, strs } from './helpers.js';

function build(src: string, limits = {}): BuildResult {
  return buildProgram(src, 'l.tfg', { limits, print: () => {} });
}

/** `code line:col` of the first error. */
function where(r: { diagnostics: BuildResult['diagnostics'] }): string {
  const d = r.diagnostics.find((x) => x.severity === 'error');
  if (!d) return 'ok';
  const lc = d.span ? d.span.file.lineCol(d.span.start) : { line: 0, col: 0 };
  return `${d.code} ${lc.line}:${lc.col}`;
}

t.test('docs/limits.md lists every limit with its option, default and code', (t) => {
  const doc = readFileSync(repoPath('docs/limits.md'), 'utf8');
  for (const l of LIMITS) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${l.name}\` |`));
    t.ok(row, `${l.name} has a row`);
    t.match(row ?? '', `| \`${l.flag}\` | ${formatCount(l.default)} | ${l.code} |`, `${l.name}: option, default, code`);
  }
  t.end();
});

t.test('the step budget stops any program at the expression it was evaluating', (t) => {
  const loop = 'x = 0\nfor i in range(1000) {\n  for j in range(1000) {\n    x = x + 1\n  }\n}\n';
  const r = build(loop, { maxSteps: 100_000 });
  t.match(where(r), /^2018 4:/, 'located in the loop body');
  t.match(r.diagnostics[0].message, /more than 100,000 steps.*--max-steps/);
  t.equal(where(build(loop, { maxSteps: 10_000_000 })), 'ok', 'raised, it runs');
  t.equal(where(build('def f(n) { return f(n) if n < 10**9 else 0 }\ny = [f(0) for i in range(10**6)]')), '2010 1:19', 'recursion is still RecursionError');
  // a graph node costs 50 steps: a program building nodes in an endless loop stops too
  const nodes = build('c = constant(1.0)\nfor i in range(10**5) { c = c + 1.0 }', { maxSteps: 1_000_000 });
  t.match(where(nodes), /^2018 2:/);
  t.ok(nodes.defaultGraph.nodes.length < 1_000_000 / 50, `${nodes.defaultGraph.nodes.length} nodes made before it stopped`);
  t.end();
});

t.test('sizes are checked before anything is allocated', (t) => {
  const cases: [string, string, RegExp][] = [
    ['x = range(10**8)', '2019 1:5', /range\(\) would have 100,000,000 elements.*--max-items/],
    ['for i in range(10**9) {}', '2019 1:10', /range\(\) would have 1,000,000,000 elements/],
    ['x = "a" * 10**9', '2019 1:5', /1,000,000,000 characters.*--max-items/],
    ['x = [0] * 10**9', '2019 1:5', /a list \* 1000000000 would have 1,000,000,000 elements/],
    ['x = (1, 2) * 10**9', '2019 1:5', /a tuple \* 1000000000 would have 2,000,000,000/],
    ['x = [0] * 4000000\ny = x + x', '2019 2:5', /list \+ list would have 8,000,000/],
    ['x = [0] * 4000000\nx += x', '2019 2:1', /a list would have 8,000,000/],
    ['x = [0] * 4000000\nx.extend(x)', '2019 2:1', /a list would have 8,000,000/],
    ['s = "%900000000d" % 1', '2019 1:5', /field width/],
    ['c = constant(0.0, shape=[100000, 100000])', '2019 1:5', /constant of shape \(100000, 100000\) would have 10,000,000,000 elements.*--max-const-elements/],
    ['c = constant_initializer(1.0)([100000, 100000])', '2019 1:5', /10,000,000,000 elements/],
  ];
  for (const [src, at, msg] of cases) {
    const r = build(src);
    t.equal(where(r), at, src);
    t.match(r.diagnostics[0]?.message ?? '', msg, src);
  }
  t.equal(where(build('x = range(10**6)\ny = [0] * 10**6\ns = "ab" * 10**6')), 'ok', 'within the limits');
  t.equal(where(build('x = range(10**6)', { maxItems: 1000 })), '2019 1:5', 'a lower limit');
  t.end();
});

t.test('every int is exactly the Python value; one a double cannot hold is OverflowError where it is made', (t) => {
  const ok = build(
    'a = 2**53 - 1\nb = -(2**53 - 1)\nc = 9007199254740991\nd = 2**53 - 1 + 0.5\ne = 10**15 * 9\nf = 2**53 + 2\ng = 2**63\nh = 10**22\ni = (-2**63) // 2\nj = 2**63 % 7\nk = int(1e300) // 2**900\nl = "%d %x" % (2**63, 2**63)',
  );
  // the values Python prints (checked against CPython 3)
  t.same(strs(ok, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'l']), {
    a: '9007199254740991',
    b: '-9007199254740991',
    c: '9007199254740991',
    d: '9007199254740992.0',
    e: '9000000000000000',
    f: '9007199254740994',
    g: '9223372036854775808',
    h: '10000000000000000000000',
    i: '-4611686018427387904',
    j: '1',
    l: '9223372036854775808 8000000000000000',
  });
  t.equal(where(ok), 'ok');
  t.equal(strs(ok, ['k']).k, '118305218616677477308862300160', 'int(1e300) is the exact value of the double (as int(1e300) // 2**900 in Python)');
  const cases: [string, string][] = [
    ['x = 2**53 + 1', '2020 1:5'],
    ['x = 2**63 - 1', '2020 1:5'],
    ['x = 2**10**9', '2020 1:5'],
    ['x = 10**400', '2020 1:5'],
    ['x = 9007199254740993', '2020 1:5'],
    ['x = 3\ny = x ** 40', '2020 2:5'],
    ['x = 2**63 // 3', '2020 1:5'],
    ['x = 10.0 ** 400', '2020 1:5'],
  ];
  for (const [src, at] of cases) t.equal(where(build(src)), at, src);
  t.equal(
    firstError(build('x = 2**53 + 1')),
    "1:5: OverflowError: int too large to be exact: tfg's construction-time ints are doubles, exact within ±(2**53 - 1) = ±9007199254740991 (and beyond where a double holds the value exactly)",
  );
  t.equal(firstError(build('x = 10.0 ** 400')), "1:5: OverflowError: (34, 'Numerical result out of range')");
  t.same(strs(build('x = 1e308 * 10\ny = float(2**53 - 1)'), ['x', 'y']), { x: 'inf', y: '9007199254740991.0' }, 'float overflow by * is inf, as in Python');
  t.end();
});

/** A construct nested `n` deep. */
const nested: Record<string, (n: number) => string> = {
  parentheses: (n) => `x = ${'('.repeat(n)}1${')'.repeat(n)}`,
  lists: (n) => `x = ${'['.repeat(n)}1${']'.repeat(n)}`,
  tuples: (n) => `x = ${'(1, '.repeat(n)}1${')'.repeat(n)}`,
  dicts: (n) => `x = ${'{1: '.repeat(n)}1${'}'.repeat(n)}`,
  calls: (n) => `x = ${'abs('.repeat(n)}1${')'.repeat(n)}`,
  subscripts: (n) => `a = [0]\nx = ${'a['.repeat(n)}0${']'.repeat(n)}`,
  'if blocks': (n) => `${'if True {\n'.repeat(n)}x = 1\n${'}\n'.repeat(n)}`,
  'def blocks': (n) => `${'def f() {\n'.repeat(n)}x = 1\n${'}\n'.repeat(n)}`,
  'unary minus': (n) => `x = ${'-'.repeat(n)}1`,
  not: (n) => `x = ${'not '.repeat(n)}1`,
  powers: (n) => `x = ${'1 ** '.repeat(n)}1`,
  conditionals: (n) => `x = ${'0 if False else '.repeat(n)}1`,
  'train blocks': (n) => `train {\n${'a {\n'.repeat(n - 1)}b = 1\n${'}\n'.repeat(n - 1)}}`,
  tensors: (n) => `c = constant(1.0)\nx = ${'negative('.repeat(n)}c${')'.repeat(n)}`,
};

t.test('1,000 levels of every nesting construct parse and build; level 1,001 is 1015 at its opener', (t) => {
  const max = DEFAULT_LIMITS.maxNesting;
  t.equal(max, 1000);
  for (const [name, make] of Object.entries(nested)) {
    const r = build(make(max));
    t.equal(where(r), 'ok', `${name}: ${max} levels`);
    const deep = make(max + 1);
    const d = build(deep).diagnostics;
    t.equal(d[0]?.code, 1015, `${name}: ${max + 1} levels`);
    t.match(d[0]?.message, /Nesting too deep: more than 1,000 levels/);
    t.equal(d.filter((x) => x.severity === 'error').length, 1, `${name}: one error`);
  }
  // located at the innermost open bracket: the one that opens level 1,001
  const text = nested.parentheses(5000);
  const d = build(text).diagnostics[0];
  t.equal(d.span!.start, 'x = '.length + max);
  t.equal(text[d.span!.start], '(');
  t.equal(where(build(nested.parentheses(1500), { maxNesting: 2000 })), 'ok', 'the limit can be raised');
  t.equal(build(nested.parentheses(200_000), { maxNesting: 1e9 }).diagnostics[0]?.code, 1015, 'past what the stack holds, still 1015');
  t.end();
});

t.test('left-associative chains of any length parse, print and evaluate without recursion', (t) => {
  const n = 100_000;
  const m = 20_000;
  const chains: [string, string, string][] = [
    ['sum', `x = ${Array(n).fill('1').join(' + ')}`, '100000'],
    // the other chains at 20,000 (far past any recursion limit; the test stays quick)
    [
      'mixed',
      `x = ${Array(m / 2)
        .fill('3 * 2 - 5')
        .join(' + ')}`,
      '10000',
    ],
    ['or', `x = ${Array(m).fill('0').join(' or ')} or 7`, '7'],
    ['and', `x = ${Array(m).fill('1').join(' and ')}`, '1'],
    ['subscripts', `x = "abc"${'[0]'.repeat(m)}`, 'a'],
    ['attributes', `y = f32${'.base_dtype'.repeat(m)}\nx = y.name`, 'float32'],
    ['calls', `def f() { return f }\ng = f${'()'.repeat(m)}\nx = 1`, '1'],
  ];
  for (const [name, src, value] of chains) {
    const r = build(src);
    t.equal(where(r), 'ok', name);
    if (value) t.equal(strs(r, ['x']).x, value, name);
  }
  const file = new SourceFile('c.tfg', chains[0][1]);
  const p = parseSource(file);
  t.ok(printAst(p.program!).startsWith('(= [x] (+ (+ (+ '), 'the printer walks the spine with a loop');
  const tensors = build(`c = constant(1.0)\nx = ${Array(n).fill('c').join(' + ')}`);
  t.equal(where(tensors), 'ok', 'a 100,000-term sum of tensors builds');
  t.equal(tensors.defaultGraph.nodes.length, n, 'one Add per term');
  const cmp = build(`x = ${Array(m).fill('1').join(' < ')}`);
  t.equal(cmp.diagnostics.filter((d) => d.code === 1004).length, 1, 'a long comparison chain is one 1004');
  t.end();
});

t.test('values nested deeper than the stack are RecursionError at the innermost expression', (t) => {
  const r = build('x = []\nfor i in range(200000) { x = [x] }\ns = str(x)');
  t.equal(where(r), '2010 3:5');
  t.match(r.diagnostics[0].message, /RecursionError: maximum recursion depth exceeded/);
  t.end();
});

t.test('too many syntax errors stop the parse with 1016; a source over the size limit is 1017', (t) => {
  const lines = Array(500).fill(')').join('\n');
  const r = parseSource(new SourceFile('e.tfg', lines));
  t.equal(r.diagnostics.length, 101);
  t.same(
    r.diagnostics.slice(0, 100).map((d) => d.code),
    Array(100).fill(1006),
  );
  t.equal(r.diagnostics[100].code, 1016);
  t.match(r.diagnostics[100].message, /Too many errors: parsing stopped after 100 \(raise the limit with --max-errors\)/);
  t.equal(parseSource(new SourceFile('e.tfg', lines), { maxErrors: 1000 }).diagnostics.length, 500);
  const bad = Array(300).fill('x = 1 $').join('\n');
  const lex = parseSource(new SourceFile('e.tfg', bad), { maxErrors: 10 });
  t.same(
    lex.diagnostics.map((d) => d.code),
    [...Array(10).fill(1001), 1016],
    'lexer errors count too',
  );
  const big = parseSource(new SourceFile('big.tfg', 'x = 1\n'.repeat(100)), { maxSourceChars: 100 });
  t.same(
    big.diagnostics.map((d) => [d.code, d.message]),
    [[1017, 'Source too large: 600 characters; the limit is 100 (raise it with --max-source-chars)']],
  );
  t.end();
});

t.test('code frames show a window of long lines around the span', (t) => {
  const text = `x = ${'1 + '.repeat(50_000)}$ + 2`;
  const d = build(text).diagnostics[0];
  t.equal(d.code, 1001);
  const frame = formatDiagnostic(d).split('\n');
  t.ok(frame[1].length < 140, `frame line of ${frame[1].length} characters`);
  t.match(frame[1], /^ {2}1 \| …[ +1]+\$ \+ 2$/);
  t.equal(frame[2].indexOf('^'), frame[1].indexOf('$'), 'the caret is under the span');
  t.end();
});
