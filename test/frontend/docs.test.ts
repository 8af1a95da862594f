/**
 * @fileoverview docs/language.md lists every builtin, generated from the binding table; with
 * TFG_UPDATE=1 the list between the markers is rewritten.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { BUILTIN_TABLE, builtinDocs } from '../../compiler/frontend/index.js';
import { repoPath } from '../helpers.js';

t.test('docs/language.md lists every builtin from the table', async (t) => {
  const path = repoPath('docs/language.md');
  const text = readFileSync(path, 'utf8');
  const begin = '<!-- builtins:begin -->';
  const end = '<!-- builtins:end -->';
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  t.ok(i >= 0 && j > i, 'markers present');
  const generated = `${begin}\n${builtinDocs()}\n${end}`;
  if (process.env.TFG_UPDATE === '1') writeFileSync(path, text.slice(0, i) + generated + text.slice(j + end.length));
  const now = readFileSync(path, 'utf8');
  t.equal(now.slice(now.indexOf(begin), now.indexOf(end) + end.length), generated, 'run with TFG_UPDATE=1 to regenerate');
  for (const d of BUILTIN_TABLE) t.ok(now.includes(`\`${d.name}(`), d.name);
});
