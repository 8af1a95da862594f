/**
 * @fileoverview The layering of docs/architecture.md, checked: the folder table there is the
 * data (a row's paths, and the rows it may import in its **imports** column). Every source file
 * belongs to the row with the longest path that holds it, and every import it makes — type
 * imports, re-exports and dynamic `import()` included, read by TypeScript's own pre-processor —
 * goes to its own row, a row its imports column lists, or an npm package; `node:` modules only
 * where the row lists `node:`. So compiler/ops imports no later stage, session/ never imports
 * compiler/, and the browser-safe rows import no Node built-in.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import t from 'tap';
import ts from 'typescript';
import { repoPath } from './helpers.js';

interface Row {
  /** Paths relative to the repo: folders end with '/', files do not. */
  paths: string[];
  /** Rows it may import (their first path), `node:`, or 'everything'. */
  imports: string[] | 'everything';
}

/** The folder table of docs/architecture.md. */
export function layeringTable(md: string): Row[] {
  const start = md.indexOf('## Folders and who owns what');
  const end = md.indexOf('\n## ', start + 1);
  const rows: Row[] = [];
  for (const line of md.slice(start, end).split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cells = line.split(' | ');
    const first = cells[0]!.slice(2);
    const last = cells[cells.length - 1]!.replace(/\s*\|\s*$/, '');
    const paths = [...first.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const imports = last === 'everything' ? 'everything' : last === '—' ? [] : [...last.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    rows.push({ paths, imports });
  }
  return rows;
}

const SOURCE_DIRS = ['grammar', 'compiler', 'session', 'cli', 'runtime-as', 'test', 'bench', 'samples'];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      // AssemblyScript sources are another language (and runtime-as/build holds outputs).
      if (!['node_modules', 'assembly', 'build', 'fixtures', 'data'].includes(name)) out.push(...tsFiles(p));
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function rowOf(rows: readonly Row[], file: string): Row | null {
  let best: Row | null = null;
  let bestLen = -1;
  for (const r of rows) {
    for (const p of r.paths) {
      const holds = p.endsWith('/') ? file.startsWith(p) : file === p;
      if (holds && p.length > bestLen) {
        best = r;
        bestLen = p.length;
      }
    }
  }
  return best;
}

const root = repoPath('.');
const rows = layeringTable(readFileSync(repoPath('docs/architecture.md'), 'utf8'));

t.test('the table is read', async (t) => {
  t.ok(rows.length >= 15, `${rows.length} rows`);
  const known = new Set(rows.flatMap((r) => r.paths));
  for (const r of rows) {
    if (r.imports === 'everything') continue;
    for (const i of r.imports) t.ok(i === 'node:' || known.has(i), `'${i}' (imported by ${r.paths[0]}) is a row`);
  }
  for (const want of ['compiler/ops/', 'session/', 'grammar/', 'compiler/codegen/']) t.ok(known.has(want), `${want} is a row`);
});

t.test('every import goes to an allowed layer', async (t) => {
  const files = SOURCE_DIRS.flatMap((d) => tsFiles(repoPath(d))).map((f) => relative(root, f).split('\\').join('/'));
  t.ok(files.length > 200, `${files.length} source files`);
  const bad: string[] = [];
  for (const file of files) {
    const row = rowOf(rows, file);
    if (!row) {
      bad.push(`${file}: in no row of the table`);
      continue;
    }
    if (row.imports === 'everything') continue;
    const allowed = new Set([...row.paths, ...row.imports]);
    const info = ts.preProcessFile(readFileSync(repoPath(file), 'utf8'), true, true);
    for (const { fileName: spec } of info.importedFiles) {
      if (spec.startsWith('node:')) {
        if (!allowed.has('node:')) bad.push(`${file}: imports ${spec} (its row is browser-safe)`);
        continue;
      }
      if (!spec.startsWith('.')) continue; // an npm package
      // `./host.js` names the source `./host.ts` (file rows are spelled with .ts)
      const target = normalize(join(dirname(file), spec))
        .split('\\')
        .join('/')
        .replace(/\.js$/, '.ts');
      const to = rowOf(rows, target);
      if (!to) bad.push(`${file}: imports ${spec}, in no row`);
      else if (to !== row && !to.paths.some((p) => allowed.has(p)))
        bad.push(`${file}: imports ${spec} (${to.paths[0]}), not in the imports of ${row.paths[0]}`);
    }
  }
  t.same(bad, [], 'docs/architecture.md allows every import');
});

t.test('the check catches a bad import', async (t) => {
  // compiler/ops importing a later stage, and session/ importing compiler/, are refused.
  const ops = rowOf(rows, 'compiler/ops/matmul.ts')!;
  const sched = rowOf(rows, 'compiler/schedule/fuse.ts')!;
  t.notOk(ops.imports !== 'everything' && sched.paths.some((p) => (ops.imports as string[]).includes(p)), 'ops may not import schedule');
  const session = rowOf(rows, 'session/wasm/model.ts')!;
  t.same(session.paths, ['session/']);
  t.notOk(session.imports !== 'everything' && session.imports.some((i) => i.startsWith('compiler/')), 'session may not import compiler');
  t.notOk(session.imports !== 'everything' && session.imports.includes('node:'), 'session/ is browser-safe');
  t.equal(rowOf(rows, 'session/node/checkpoint.ts'), rowOf(rows, 'session/node.ts'), 'session/node.ts is the Node entry, with session/node/');
});
