/**
 * @fileoverview Parser goldens: every `fixtures/*.tfg` parses without diagnostics and prints
 * (grammar/print-ast.ts) to its `*.ast.txt` golden (rewritten with TFG_UPDATE=1). Also checks
 * that every AST node's span lies inside the file and inside its parent's span, and a few
 * exact spans.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { golden, repoPath } from '../helpers.js';
import { parseSource, printAst } from '../../grammar/index.js';
import { SourceFile, type Span } from '../../compiler/diagnostics/span.js';
import { formatDiagnostics } from '../../compiler/diagnostics/diagnostic.js';
import type * as A from '../../grammar/ast.js';

const dir = 'test/grammar/fixtures';
const fixtures = readdirSync(repoPath(dir))
  .filter((f) => f.endsWith('.tfg'))
  .sort();

/** Visit every object with a `span` under `node`, with its parent's span. */
function walkSpans(node: unknown, parent: Span | null, visit: (s: Span, parent: Span | null, kind: string) => void): void {
  if (Array.isArray(node)) {
    for (const x of node) walkSpans(x, parent, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const rec = node as Record<string, unknown>;
  const own = rec.span as Span | undefined;
  if (own) visit(own, parent, String(rec.kind ?? 'entry'));
  for (const [k, v] of Object.entries(rec)) {
    if (k === 'span' || k === 'file') continue;
    if (k.endsWith('Span')) {
      visit(v as Span, own ?? parent, k);
      continue;
    }
    walkSpans(v, own ?? parent, visit);
  }
}

t.test('fixtures parse and match their goldens', async (t) => {
  t.ok(fixtures.length >= 12, 'fixtures found');
  for (const name of fixtures) {
    const text = readFileSync(repoPath(dir, name), 'utf8');
    const file = new SourceFile(name, text);
    const { program, diagnostics } = parseSource(file);
    t.equal(formatDiagnostics(diagnostics), '', `${name}: no diagnostics`);
    if (!program) {
      t.fail(`${name}: no program`);
      continue;
    }
    const g = golden(`${dir}/${name.replace(/\.tfg$/, '.ast.txt')}`, printAst(program));
    t.equal(g.actual, g.expected, `${name}: AST golden`);
    let bad = 0;
    walkSpans(program, null, (s, parent, kind) => {
      const inside = s.file === file && 0 <= s.start && s.start <= s.end && s.end <= text.length;
      const nested = !parent || (parent.start <= s.start && s.end <= parent.end);
      if (!inside || !nested) {
        bad++;
        t.fail(`${name}: ${kind} span ${s.start}..${s.end} outside ${parent ? `${parent.start}..${parent.end}` : 'file'}`);
      }
    });
    t.equal(bad, 0, `${name}: spans nested`);
  }
});

function parseOk(text: string): { program: A.Program; file: SourceFile } {
  const file = new SourceFile('s.tfg', text);
  const { program, diagnostics } = parseSource(file);
  if (!program || diagnostics.length > 0) throw new Error(formatDiagnostics(diagnostics));
  return { program, file };
}

const src = (s: Span) => s.file.text.slice(s.start, s.end);

t.test('spans cover the source text of each node', (t) => {
  const { program } = parseOk('f = x*x*y + y + 2\ndef g(a, b=1) { return a }\nz = m.graph[1:2]');
  const assign = program.body[0] as A.AssignStmt;
  t.equal(src(assign.span), 'f = x*x*y + y + 2');
  const sum = assign.value as A.BinaryExpr;
  t.equal(src(sum.span), 'x*x*y + y + 2');
  t.equal(src(sum.opSpan), '+');
  t.equal(sum.opSpan.start, 14, 'the last + is the root (left-assoc)');
  const def = program.body[1] as A.DefStmt;
  t.equal(src(def.span), 'def g(a, b=1) { return a }');
  t.equal(src(def.nameSpan), 'g');
  t.equal(src(def.params[1].span), 'b=1');
  const z = (program.body[2] as A.AssignStmt).value as A.IndexExpr;
  t.equal(src(z.span), 'm.graph[1:2]');
  t.equal(src((z.target as A.AttrExpr).attrSpan), 'graph');
  t.equal(src(z.indices[0].span), '1:2');
  t.equal(program.span.end, program.span.file.text.length);
  t.end();
});

t.test('int vs float and values', (t) => {
  const { program } = parseOk('a = 3\nb = 3.0\nc = .5\nd = 1e-3\ne = 2.\nf = 10');
  const nums = program.body.map((s) => (s as A.AssignStmt).value as A.NumberExpr);
  t.same(
    nums.map((n) => [n.raw, n.value, n.isInt]),
    [
      ['3', 3, true],
      ['3.0', 3, false],
      ['.5', 0.5, false],
      ['1e-3', 0.001, false],
      ['2.', 2, false],
      ['10', 10, true],
    ],
  );
  t.end();
});

t.test('string escapes decode like Python', (t) => {
  const { program } = parseOk(String.raw`s = "a\tb\n\x41\u00e9\101\\\'\"\q" 'c'`);
  const s = (program.body[0] as A.AssignStmt).value as A.StringExpr;
  t.equal(s.value, 'a\tb\nAé' + 'A' + '\\\'"\\qc');
  t.end();
});

t.test('parser instance is reused and results do not leak between parses', (t) => {
  const a = parseSource(new SourceFile('a.tfg', 'x = (1'));
  t.ok(a.diagnostics.length > 0);
  const b = parseOk('y = 2');
  t.equal(printAst(b.program), '(= [y] 2)\n');
  t.end();
});
