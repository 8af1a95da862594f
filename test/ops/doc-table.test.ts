/**
 * @fileoverview docs/ops.md is generated from the registry: fail when it is stale
 * (regenerate with `node dist/compiler/ops/doc-table.js --write`).
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { opsMarkdown } from '../../compiler/ops/doc-table.js';
import { OPS } from '../../compiler/ops/registry.js';
import { repoPath } from '../helpers.js';

t.test('docs/ops.md matches the registry', (t) => {
  const md = opsMarkdown();
  for (const name of Object.keys(OPS)) t.ok(md.includes(`| \`${name}\` |`), `${name} has a row`);
  t.equal(readFileSync(repoPath('docs/ops.md'), 'utf8'), md, 'docs/ops.md is up to date (node dist/compiler/ops/doc-table.js --write)');
  t.end();
});

t.test('every op documents its signature, shape rule and dtypes', (t) => {
  for (const d of Object.values(OPS)) t.ok(d.signature && d.shapeRule && d.dtypes && d.doc, d.name);
  t.end();
});
