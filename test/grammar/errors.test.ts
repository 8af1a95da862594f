/**
 * @fileoverview Syntax errors: codes, messages, `expected`, line:col, related spans, several
 * errors reported from one pass, and cascades trimmed.
 */
import t from 'tap';
import { parseSource } from '../../grammar/index.js';
import { SyntaxCode } from '../../grammar/messages.js';
import { SourceFile } from '../../compiler/diagnostics/span.js';
import { formatDiagnostic, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';

function diags(text: string): Diagnostic[] {
  return parseSource(new SourceFile('e.tfg', text)).diagnostics;
}

/** `code line:col message` of each diagnostic. */
function summary(text: string): string[] {
  return diags(text).map((d) => {
    const { line, col } = d.span!.file.lineCol(d.span!.start);
    return `${d.code} ${line}:${col} ${d.message}`;
  });
}

t.test('missing closing parenthesis', (t) => {
  const ds = diags('x = f(1, 2\ny = 3\n');
  t.equal(ds.length, 1);
  const d = ds[0];
  t.equal(d.code, SyntaxCode.ExpectedToken);
  t.equal(d.message, "Expected ')' but found newline");
  t.equal(d.expected, "')'");
  t.equal(d.severity, 'error');
  t.same(d.span!.file.lineCol(d.span!.start), { line: 1, col: 11 });
  t.equal(d.related?.[0].message, "'(' opened here is never closed");
  t.same(d.related?.[0].span.file.lineCol(d.related[0].span.start), { line: 1, col: 6 });
  t.same(summary('z = g(1'), ["1002 1:8 Expected ')' but found end of input"]);
  t.same(summary('f(a b)'), ["1002 1:5 Expected ')' but found 'b'"]);
  t.same(summary('x = [1, 2\n'), ["1002 1:10 Expected ']' but found end of input"]);
  t.match(formatDiagnostic(ds[0]), /e\.tfg:1:11: error TFG1002: Expected '\)' but found newline\n  1 \| x = f\(1, 2\n    \|           \^/);
  t.end();
});

t.test('stray tokens', (t) => {
  t.same(summary('x = 1 )'), ["1005 1:7 Expected newline or ';' but found ')'"]);
  t.same(summary('x = 3 4'), ["1005 1:7 Expected newline or ';' but found '4'"]);
  t.same(summary('x = = 1'), ["1005 1:5 Expected expression but found '='"]);
  const d = diags(')\nx = 1')[0];
  t.equal(d.code, SyntaxCode.UnexpectedToken);
  t.equal(d.message, "Unexpected ')'");
  t.equal(d.expected, 'statement');
  t.same(
    summary('def f() { x = 1 } }\ny = (\n'),
    ["1006 1:19 Unexpected '}'", "1002 2:6 Expected ')' but found end of input"],
    'parsing goes on after a stray closer',
  );
  t.end();
});

t.test('unterminated string', (t) => {
  const r = parseSource(new SourceFile('e.tfg', 's = "abc\nt = 1\n'));
  t.same(
    r.diagnostics.map((d) => [d.code, d.message, d.expected]),
    [[SyntaxCode.UnterminatedString, 'Unterminated string literal (a string must close on the line it opens)', 'a closing quote']],
  );
  const sp = r.diagnostics[0].span!;
  t.same(sp.file.lineCol(sp.start), { line: 1, col: 5 });
  t.equal(sp.file.text.slice(sp.start, sp.end), '"abc');
  t.equal(r.program?.body.length, 2, 'the next line still parses');
  t.same(summary("a = 'x\\'"), ['1003 1:5 Unterminated string literal (a string must close on the line it opens)']);
  t.end();
});

t.test('bad characters', (t) => {
  t.same(summary('x = 1 $ 2'), ["1001 1:7 Unexpected character '$'"]);
  t.same(summary('y = 1\nx = a ? b'), ["1001 2:7 Unexpected character '?'"]);
  t.same(summary('x = α'), ["1001 1:5 Unexpected character 'α'"]);
  t.same(summary('x = 1 $$ 2'), ["1001 1:7 Unexpected character '$$'"], 'a run of bad characters is one error');
  t.same(summary('x = `\x01`'), ["1001 1:5 Unexpected character '`\\x01`'"]);
  t.end();
});

t.test('missing block', (t) => {
  t.same(summary('def g(x) return x'), ["1002 1:10 Expected '{' but found 'return'"]);
  t.same(summary('if x { } else'), ["1002 1:14 Expected '{' but found end of input"]);
  t.same(summary('with s\n  x = 1\n'), ["1002 2:3 Expected '{' but found 'x'"]);
  const ds = diags('with a {\n  x = 1\ny = 2\n');
  t.same(
    ds.map((d) => d.message),
    ["Expected '}' but found end of input"],
  );
  t.same(ds[0].span!.file.lineCol(ds[0].span!.start), { line: 3, col: 6 }, 'end of input is placed after the last token');
  t.same(ds[0].related?.[0].span.file.lineCol(ds[0].related[0].span.start), { line: 1, col: 8 });
  t.end();
});

t.test('chained comparisons are rejected', (t) => {
  const ds = diags('ok = a < b\nz = a < b < c\n');
  t.equal(ds.length, 1);
  t.equal(ds[0].code, SyntaxCode.ChainedComparison);
  t.equal(ds[0].message, "Comparison operators cannot be chained (as in 'a < b < c')");
  t.match(ds[0].expected, /and/);
  t.same(ds[0].span!.file.lineCol(ds[0].span!.start), { line: 2, col: 11 });
  t.same(summary('q = a == b != c'), ["1004 1:12 Comparison operators cannot be chained (as in 'a < b < c')"]);
  t.same(summary('q = (a == b) != c'), [], 'parentheses make it fine');
  t.end();
});

t.test('invalid targets, escapes, parameters and arguments', (t) => {
  t.same(summary('x + 1 = 2'), ['1008 1:1 Cannot assign to an expression']);
  t.same(summary('a.b = 3'), ['1008 1:1 Cannot assign to an attribute (graphs are immutable; bind a new name instead)']);
  t.same(summary('a, f() = 1, 2'), ['1008 1:4 Cannot assign to a function call']);
  t.same(summary('a, b += 1'), ['1008 1:1 Augmented assignment needs a single name on the left, not a tuple']);
  t.same(summary('s = "\\x4"'), ["1009 1:6 Invalid escape sequence '\\x4'"]);
  t.same(summary('def f(a=1, b) {}'), ["1012 1:12 Parameter 'b' without a default follows a parameter with one"]);
  t.same(summary('def f(a, a) {}'), ["1011 1:10 Duplicate parameter 'a'"]);
  t.same(summary('f(a=1, 2)'), ['1014 1:8 Positional argument follows keyword argument']);
  t.same(summary('f(a=1, a=2)'), ["1013 1:8 Keyword argument 'a' repeated"]);
  t.end();
});

t.test('several errors in one file are reported together, in order, one per line', (t) => {
  const text = [
    'x = f(1, 2', //  1: missing ')'
    'y = 3', //        2
    'z = a < b < c', // 3: chained comparison
    'def g(x) return x', // 4: missing block
    'q = 1 $ 2', //     5: bad character
    's = "abc', //      6: unterminated string
    'ok = [1, 2,', //   7
    '  3]', //          8
    'w = (1 +', //      9: expression missing at the end
  ].join('\n');
  t.same(summary(text), [
    "1002 1:11 Expected ')' but found newline",
    "1004 3:11 Comparison operators cannot be chained (as in 'a < b < c')",
    "1002 4:10 Expected '{' but found 'return'",
    "1001 5:7 Unexpected character '$'",
    '1003 6:5 Unterminated string literal (a string must close on the line it opens)',
    '1005 9:9 Expected expression but found end of input',
  ]);
  t.end();
});

t.test('a program is still returned with errors, and is null-safe', (t) => {
  const r = parseSource(new SourceFile('e.tfg', 'a = 1\nb = (2\nc = 3\n'));
  t.ok(r.diagnostics.some((d) => d.severity === 'error'));
  t.ok(r.program, 'partial program');
  t.ok(r.program!.body.some((s) => s.kind === 'AssignStmt' && s.targets[0].kind === 'Name' && s.targets[0].name === 'a'));
  const empty = parseSource(new SourceFile('e.tfg', ''));
  t.same(empty.diagnostics, []);
  t.same(empty.program?.body, []);
  t.end();
});
