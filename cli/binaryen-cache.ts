/**
 * @fileoverview binaryen for the `tfg` command, through V8's code cache.
 *
 * binaryen's package is one 15 MB ES module with its wasm inside as a string, and V8 parses all
 * of it on every start: about 1 s of a cold `tfg run` on this machine. Node 20 has no compile
 * cache for ES modules (`module.enableCompileCache` is Node 22), but `vm.Script` takes V8's
 * cached data. So the command loads binaryen's text as a script: wrapped in an async function,
 * with its one `import.meta.url`, its `await import("node:module")` and its final `export`
 * rewritten, and with the cached data of an earlier load, kept in the tfg cache folder
 * (`$TFG_CACHE_DIR` or `~/.cache/tfg`, file `v8/binaryen-*.cache`; the key names binaryen's
 * version, its file's size and mtime, Node's version, the CPU architecture and a hash of the
 * process's Node/V8 flags: V8 rejects data made under other flags, so each flag set (a plain
 * `tfg`, tap's `--enable-source-maps`) keeps its own file instead of rewriting a shared one).
 *
 * The cache is an optimisation, never an error: when binaryen's text does not have the shapes
 * rewritten, V8 rejects the cached data (another V8 or flags: it is then rewritten), or the
 * folder cannot be written, the command loads binaryen as before. `TFG_NO_CODE_CACHE=1` turns it
 * off. cli/main.ts installs the loader (importing this file only when a compile calls it);
 * compiler/codegen/binaryen.ts calls it.
 */
import { isAscii } from 'node:buffer';
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';
import { cacheDir } from './cache.js';

/** How the last load went (tests and `TFG_DEBUG`): from the cache, cache written, or the plain import and why. */
export interface BinaryenLoadInfo {
  how: 'cached' | 'cache-written' | 'import';
  why?: string;
  cacheFile?: string;
}

export let lastLoad: BinaryenLoadInfo | null = null;

/** binaryen's entry file (its package's `main`/ESM entry). */
function binaryenEntry(): string {
  return createRequire(import.meta.url).resolve('binaryen');
}

/**
 * binaryen's text as the body of `async (__tfgUrl, __tfgRequireFactory) => module`, or null when
 * it does not have exactly the shapes this rewrite knows. (Any other module syntax left in it is
 * a SyntaxError when the script compiles, which also falls back to the plain import.)
 */
export function wrapBinaryenSource(src: string): string | null {
  // indexOf and slices, not regular expressions over the whole text: this runs on 15 MB per start.
  const dyn = 'await import("node:module")';
  const meta = 'import.meta.url';
  const at = src.indexOf(dyn);
  if (at < 0 || src.indexOf(dyn, at + 1) >= 0) return null;
  const tailStart = Math.max(0, src.length - 200);
  const exp = /export\s*\{\s*([\w$]+)\s+as\s+default\s*\}\s*;?\s*$/.exec(src.slice(tailStart));
  if (!exp) return null;
  const end = tailStart + exp.index;
  const cuts: [number, number, string][] = [[at, at + dyn.length, '({ createRequire: __tfgRequireFactory })']];
  for (let k = src.indexOf(meta); k >= 0 && k < end; k = src.indexOf(meta, k + meta.length)) cuts.push([k, k + meta.length, '__tfgUrl']);
  cuts.sort((a, b) => a[0] - b[0]);
  const parts = ['(async function (__tfgUrl, __tfgRequireFactory) {'];
  let pos = 0;
  for (const [from, to, text] of cuts) {
    if (from < pos) return null;
    parts.push(src.slice(pos, from), text);
    pos = to;
  }
  parts.push(src.slice(pos, end), `return ${exp[1]};\n})`);
  return parts.join('');
}

/**
 * Bump when `wrapBinaryenSource`'s output changes: V8 checks cached data against the source's
 * length only, so a cache made from other text of the same length would be taken.
 */
const WRAP_VERSION = 1;

/** How many flag sets keep a cache file for one binaryen, Node and CPU (the newest written stay). */
export const FLAG_SETS_KEPT = 3;

/**
 * A process's Node and V8 flags, hashed (8 hex digits): its command-line flags without the text of
 * `-e`/`-p` (a script, not a flag) and `NODE_OPTIONS`.
 */
export function flagsHash(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): string {
  const flags: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    flags.push(execArgv[i]);
    if (['-e', '--eval', '-p', '--print'].includes(execArgv[i])) i++;
  }
  return crc32(Buffer.from([...flags, '\0', nodeOptions].join('\n'), 'utf8'))
    .toString(16)
    .padStart(8, '0');
}

/** The cache file for this binaryen, wrapper, Node, CPU and flag set (`<base>-f<flags hash>.cache`). */
function cacheFileFor(entry: string): string {
  const st = statSync(entry);
  let version = 'unknown';
  try {
    version = (JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8')) as { version?: string }).version ?? version;
  } catch {
    // (the key still has the size and mtime)
  }
  const key =
    `binaryen-${version}-${st.size}-w${WRAP_VERSION}-${Math.round(st.mtimeMs)}-node${process.versions.node}-v8${process.versions.v8}-${process.arch}`.replace(
      /[^\w.-]/g,
      '_',
    );
  return join(cacheDir(), 'v8', `${key}-f${flagsHash()}.cache`);
}

/**
 * The cache file: this magic, the CRC-32 of V8's data (little-endian), V8's data. V8 checks its
 * data's version, flags and source length, not its bytes, so damaged bytes must never reach it.
 */
const MAGIC = Buffer.from('TFGV8C1\n');

/** V8's data from a cache file's bytes, or null when they are not a whole, intact cache file. */
export function unpackCache(bytes: Buffer): Buffer | null {
  if (bytes.length < MAGIC.length + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const data = bytes.subarray(MAGIC.length + 4);
  return crc32(data) === bytes.readUInt32LE(MAGIC.length) ? data : null;
}

/**
 * Write the cache file atomically, then clean the folder: remove the binaryen caches of other
 * binaryen, Node or CPU keys (older versions) and, of this key's flag sets, all but the
 * FLAG_SETS_KEPT newest.
 */
function writeCache(file: string, data: Buffer): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(data));
  writeFileSync(tmp, Buffer.concat([MAGIC, crc, data]));
  renameSync(tmp, file);
  const name = basename(file);
  const base = name.slice(0, name.lastIndexOf('-f') + 2);
  const remove = (f: string): void => {
    try {
      unlinkSync(join(dir, f));
    } catch {
      // another process may have removed it
    }
  };
  const siblings: { f: string; mtime: number }[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.startsWith('binaryen-') || f === name || f.includes('.tmp-')) continue;
    if (!f.startsWith(base) || !f.endsWith('.cache')) {
      remove(f);
      continue;
    }
    try {
      siblings.push({ f, mtime: statSync(join(dir, f)).mtimeMs });
    } catch {
      // removed meanwhile
    }
  }
  siblings.sort((a, b) => b.mtime - a.mtime);
  for (const { f } of siblings.slice(FLAG_SETS_KEPT - 1)) remove(f);
}

type BinaryenModule = typeof import('binaryen').default;

/** A file's text: ASCII (binaryen's is) decoded as Latin-1, several times faster than UTF-8 on 15 MB. */
function readText(path: string): string {
  const bytes = readFileSync(path);
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/** Load binaryen through the code cache; falls back to the plain import (see the file comment). */
export async function loadBinaryenCached(): Promise<BinaryenModule> {
  const plain = async (why: string): Promise<BinaryenModule> => {
    lastLoad = { how: 'import', why };
    return (await import('binaryen')).default;
  };
  if (process.env.TFG_NO_CODE_CACHE) return plain('TFG_NO_CODE_CACHE is set');
  let entry: string;
  let wrapped: string | null;
  try {
    entry = binaryenEntry();
    wrapped = wrapBinaryenSource(readText(entry));
  } catch (e) {
    return plain(`cannot read binaryen's entry file: ${(e as Error).message}`);
  }
  if (!wrapped) return plain("binaryen's entry file does not have the shape the code cache rewrites");
  let file: string | null = null;
  let cached: Buffer | undefined;
  let damaged = false;
  try {
    file = cacheFileFor(entry);
    const bytes = readFileSync(file);
    cached = unpackCache(bytes) ?? undefined;
    damaged = !cached;
  } catch {
    cached = undefined;
  }
  let script: Script;
  let mod: BinaryenModule;
  try {
    script = new Script(wrapped, { filename: entry, cachedData: cached });
    const factory = script.runInThisContext() as (url: string, requireFactory: typeof createRequire) => Promise<BinaryenModule>;
    mod = await factory(pathToFileURL(entry).href, createRequire);
  } catch (e) {
    return plain(`binaryen's entry file did not load as a script: ${(e as Error).message}`);
  }
  if (cached && !script.cachedDataRejected) {
    lastLoad = { how: 'cached', cacheFile: file! };
    return mod;
  }
  lastLoad = {
    how: 'cache-written',
    cacheFile: file ?? undefined,
    why: cached ? 'V8 rejected the cached data' : damaged ? 'the cache file was damaged' : undefined,
  };
  if (file) {
    try {
      writeCache(file, script.createCachedData());
    } catch (e) {
      lastLoad = { how: 'cache-written', why: `the cache could not be written: ${(e as Error).message}` };
    }
  }
  return mod;
}

/** binaryen's code cache in the cache folder `dir`: files and bytes (`tfg cache info`). */
export function codeCacheStats(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  try {
    for (const f of readdirSync(join(dir, 'v8'))) {
      if (!f.startsWith('binaryen-')) continue;
      files++;
      bytes += statSync(join(dir, 'v8', f)).size;
    }
  } catch {
    // no folder: none
  }
  return { files, bytes };
}

/** Remove binaryen's code cache from the cache folder `dir` (`tfg cache clear`); returns the files removed. */
export function clearCodeCache(dir: string): number {
  let n = 0;
  try {
    for (const f of readdirSync(join(dir, 'v8'))) {
      if (!f.startsWith('binaryen-')) continue;
      unlinkSync(join(dir, 'v8', f));
      n++;
    }
  } catch {
    // no folder: nothing to clear
  }
  return n;
}
