/**
 * @fileoverview Regenerates `grammar/cst.d.ts` (typed CST node and visitor interfaces) from the
 * parser's grammar with chevrotain's `generateCstDts`. Run after changing parser.ts:
 * `npx tsc -p . && node dist/grammar/gen-cst-dts.js` (test/grammar checks it is up to date).
 */
import { writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cstDtsText } from './cst-dts.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found');
    dir = up;
  }
  return dir;
}

const out = join(repoRoot(), 'grammar', 'cst.d.ts');
writeFileSync(out, cstDtsText());
console.log(`wrote ${out}`);
