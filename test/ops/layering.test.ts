/**
 * @fileoverview The op definitions import no later stage: compiler/ops/ reads nothing from
 * compiler/grad, passes, schedule, codegen, emit, interp or frontend (type imports included), so
 * an op is whole in its OpDef and the stages read the table, never the other way round. The
 * gradient and lowering interfaces the definitions use live beside them (grad-api.ts,
 * lower-api.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import t from 'tap';
import { repoPath } from '../helpers.js';

const LATER = ['grad', 'passes', 'schedule', 'codegen', 'emit', 'interp', 'frontend'];

t.test('compiler/ops imports no later stage', async (t) => {
  const dir = repoPath('compiler/ops');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  t.ok(files.length > 10, 'the op folder is read');
  for (const f of files) {
    const src = readFileSync(`${dir}/${f}`, 'utf8');
    const specs = [...src.matchAll(/(?:import|export)\s[^;]*?from\s+'([^']+)'/gs)].map((m) => m[1]!);
    const bad = specs.filter((s) => LATER.some((stage) => s.startsWith(`../${stage}/`)));
    t.same(bad, [], `${f} imports only ops, ir, diagnostics and session`);
  }
});
