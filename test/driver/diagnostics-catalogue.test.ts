/**
 * @fileoverview The diagnostics catalogue (compiler/diagnostics/catalogue.ts) is complete and
 * true: every code a source file raises or names is listed; no raising site spells a code as a
 * bare number; each example raises exactly its own code (plus the codes it declares) with the
 * listed severity; and docs/diagnostics.md is what the generator prints
 * (`npm run docs:diagnostics` rewrites it).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import {
  BACKEND,
  CATALOGUE,
  type Entry,
  FE,
  GRAD,
  OP_BUILD,
  RECIPE,
  RUNTIME,
  SyntaxCode,
  catalogueCodes,
  catalogueEntry,
} from '../../compiler/diagnostics/catalogue.js';
import { diagnosticsMarkdown, runExample } from '../../cli/diagnostics-doc.js';
import { repoPath } from '../helpers.js';

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const root = repoPath('.');
const SOURCES = ['grammar', 'compiler', 'session', 'cli'].flatMap((d) => tsFiles(repoPath(d)));
const rel = (p: string) => relative(root, p);

t.test('every constant group is in the catalogue, every entry has a group constant', async (t) => {
  const constants = [SyntaxCode, OP_BUILD, FE, RECIPE, GRAD, BACKEND, RUNTIME].flatMap((g) => Object.values(g) as number[]);
  t.same(
    [...new Set(constants)].sort((a, b) => a - b),
    catalogueCodes(),
    'the groups and the catalogue list the same codes',
  );
  t.equal(new Set(constants).size, constants.length, 'no code has two constants');
  for (const code of catalogueCodes()) {
    t.ok(code >= 1000 && code < 6000, `TFG${code} is in 1xxx–5xxx`);
  }
});

t.test('no raising site spells a code as a number', async (t) => {
  // error(2001, ...), fail(3003, ...), new FrontendError(2005, ...), { code: 4003, ... },
  // typeError(msg, 2004) and `const X = 2001`.
  const patterns = [
    /\b(?:error|fail|FrontendError|typeError|valueError|diag)\(\s*[1-5]\d{3}\b/g,
    /\bcode:\s*[1-5]\d{3}\b/g,
    /\b(?:typeError|valueError)\([^;]*?,\s*[1-5]\d{3}\s*\)/g,
    /\b(?:export\s+)?const\s+[A-Z_]+\s*=\s*[1-5]\d{3}\s*;/g,
  ];
  const found: string[] = [];
  for (const f of SOURCES) {
    if (f.endsWith('catalogue.ts')) continue;
    const src = readFileSync(f, 'utf8');
    for (const re of patterns) for (const m of src.matchAll(re)) found.push(`${rel(f)}: ${m[0]}`);
  }
  t.same(found, [], 'codes come from compiler/diagnostics/catalogue.ts');
});

t.test('every code named in sources, docs and tests is in the catalogue', async (t) => {
  const files = [
    ...SOURCES,
    ...tsFiles(repoPath('test')),
    ...readdirSync(repoPath('docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => repoPath(`docs/${f}`)),
    repoPath('README.md'),
  ];
  const unknown = new Set<string>();
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/\bTFG(\d{4})\b/g)) if (!catalogueEntry(Number(m[1]))) unknown.add(`${rel(f)}: TFG${m[1]}`);
    // tests asserting a code: t.equal(d.code, 4002), code: 2101
    if (f.includes('/test/'))
      for (const m of src.matchAll(/\bcode[,:]\s*([1-5]\d{3})\b/g)) if (!catalogueEntry(Number(m[1]))) unknown.add(`${rel(f)}: ${m[0]}`);
  }
  t.same([...unknown], [], 'every code mentioned is listed');
});

t.test('each example raises exactly its code, with the listed severity', async (t) => {
  for (const code of catalogueCodes()) {
    const e = (CATALOGUE as Record<number, Entry>)[code]!;
    if ('none' in e.example) {
      t.ok(e.example.none.length > 20, `TFG${code} says why it has no example`);
      continue;
    }
    const ds = runExample(e.example);
    const got = [...new Set(ds.map((d) => d.code))].sort((a, b) => a - b);
    const want = [...new Set([code, ...(e.example.alsoRaises ?? [])])].sort((a, b) => a - b);
    t.same(got, want, `TFG${code}: ${e.title}`);
    t.ok(
      ds.filter((d) => d.code === code).every((d) => d.severity === e.severity),
      `TFG${code} is a${e.severity === 'error' ? 'n' : ''} ${e.severity}`,
    );
  }
});

t.test('docs/diagnostics.md is up to date', async (t) => {
  t.equal(readFileSync(repoPath('docs/diagnostics.md'), 'utf8'), diagnosticsMarkdown(), 'docs/diagnostics.md is current (npm run docs:diagnostics)');
});
