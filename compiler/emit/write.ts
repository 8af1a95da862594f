/**
 * @fileoverview Writing a compiled program to disk (Node): `<dir>/<stem>.wasm` and
 * `<dir>/<stem>.manifest.json` (the embedded manifest, indented, for reading).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CompiledProgram } from './index.js';

/** Write `<dir>/<stem>.wasm` and `<dir>/<stem>.manifest.json`; returns the paths. */
export function writeCompiled(c: CompiledProgram, dir: string, sourceFile: string): { wasm: string; manifest: string } {
  mkdirSync(dir, { recursive: true });
  const stem = basename(sourceFile).replace(/\.tfg$/, '');
  const wasm = join(dir, `${stem}.wasm`);
  const manifest = join(dir, `${stem}.manifest.json`);
  writeFileSync(wasm, c.wasm);
  writeFileSync(manifest, JSON.stringify(c.manifest, null, 2) + '\n');
  return { wasm, manifest };
}
