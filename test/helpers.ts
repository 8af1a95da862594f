/**
 * @fileoverview Test helpers: repo paths (tests run from dist/test/...), golden files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of a file in the repository (works from dist/test/** and test/**). */
export function repoPath(...parts: string[]): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found');
    dir = up;
  }
  return resolve(dir, ...parts);
}

/** Compare text with a golden file; with TFG_UPDATE=1 rewrite the golden instead. */
export function golden(relPath: string, actual: string): { expected: string; actual: string } {
  const p = repoPath(relPath);
  if (process.env.TFG_UPDATE === '1' || !existsSync(p)) {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, actual);
  }
  return { expected: readFileSync(p, 'utf8'), actual };
}
