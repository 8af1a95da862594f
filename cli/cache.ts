/**
 * @fileoverview The compiled-module cache of the `tfg` command (as Python's `__pycache__`, ccache
 * or V8's code cache): a compile's `.wasm` and what the command needs beside it, stored under a
 * key that hashes everything the compile depended on, so a second `tfg run` of an unchanged
 * program loads the module without loading the compiler (binaryen, chevrotain).
 *
 * - Where: `$TFG_CACHE_DIR`, else `$XDG_CACHE_HOME/tfg`, else `~/.cache/tfg`.
 * - Key (`cacheKey`): a SHA-256 over the caller's parts (the source's bytes, its path, every
 *   option that changes the compile) plus the package version, the runtime ABI version and a
 *   build fingerprint (`buildFingerprint`: the size and mtime of every file of the compiler, the
 *   loader, the CLI and the runtime's `.wasm` builds, and of binaryen's and chevrotain's entry
 *   files), so a rebuilt compiler or an upgraded dependency never reads an old entry.
 * - Files a compile read through the host layer (a `load_csv` CSV) are the entry's `deps`, each
 *   with its size, mtime and SHA-256: an entry whose dependency changed (size, or content when
 *   the mtime moved) is a miss.
 * - One file per entry, `<key>.tfgc`: magic, header length, a JSON header (the caller's `meta`,
 *   the deps, the module's length and SHA-256), the module's bytes. Written to a temporary file
 *   then renamed, so a reader sees a whole entry or none; an entry that is short, corrupt or of
 *   another format is a miss (and is rewritten by the next compile), never an error.
 * - Bounded: after each write the oldest entries (by last use: a hit touches its entry) are
 *   removed beyond `$TFG_CACHE_MAX_MB` (default 256) megabytes.
 *
 * Light: Node built-ins only, so the command loads it without the compiler.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIME_ABI_VERSION } from '../runtime-as/abi.js';

/** Bump when the entry file or any caller's `meta` changes shape. */
export const CACHE_FORMAT = 1;
const MAGIC = 'TFGC';
const SUFFIX = '.tfgc';
/** Default bound of the cache folder. */
export const DEFAULT_CACHE_MAX_MB = 256;

/** The cache folder: `$TFG_CACHE_DIR`, else `$XDG_CACHE_HOME/tfg`, else `~/.cache/tfg`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TFG_CACHE_DIR) return env.TFG_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'tfg');
  return join(homedir(), '.cache', 'tfg');
}

/** The most bytes the folder keeps (`$TFG_CACHE_MAX_MB`, default 256 MB). */
export function cacheMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.TFG_CACHE_MAX_MB);
  return (Number.isFinite(mb) && mb >= 0 ? mb : DEFAULT_CACHE_MAX_MB) * 1024 * 1024;
}

/** SHA-256 in hex. */
export const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** The package root: the first folder above this file holding package.json. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      statSync(join(dir, 'package.json'));
      return dir;
    } catch {
      const up = dirname(dir);
      if (up === dir) return null;
      dir = up;
    }
  }
}

let fingerprint: string | null | undefined;

/**
 * The build's fingerprint: the package version and the path, size and mtime of every `.js` file
 * of the compiled compiler, grammar, loader and CLI, of the runtime's `.wasm` builds and of the
 * entry files of binaryen and chevrotain. Null when they cannot be found (then nothing is cached).
 */
export function buildFingerprint(): string | null {
  if (fingerprint !== undefined) return fingerprint;
  fingerprint = null;
  const root = packageRoot();
  if (!root) return null;
  const here = dirname(fileURLToPath(import.meta.url)); // dist/cli
  const dist = dirname(here);
  const lines: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') || e.name.endsWith('.wasm')) {
        const s = statSync(p);
        lines.push(`${p}\t${s.size}\t${s.mtimeMs}`);
      }
    }
  };
  try {
    const pkg = readFileSync(join(root, 'package.json'), 'utf8');
    lines.push(`version\t${(JSON.parse(pkg) as { version?: string }).version ?? ''}`);
    for (const d of ['compiler', 'grammar', 'session', 'runtime-as', 'cli']) walk(join(dist, d));
    walk(join(root, 'runtime-as', 'build'));
    // The compile's packages: binaryen writes the module, chevrotain parses the source.
    for (const pkg of ['binaryen', 'chevrotain']) {
      const p = fileURLToPath(import.meta.resolve(pkg));
      const st = statSync(p);
      lines.push(`${pkg}\t${p}\t${st.size}\t${st.mtimeMs}`);
    }
  } catch {
    return null;
  }
  fingerprint = sha256(lines.join('\n'));
  return fingerprint;
}

/** The entry key of a compile: its parts with the format, the runtime ABI and the build fingerprint. Null when there is no fingerprint. */
export function cacheKey(parts: unknown): string | null {
  const build = buildFingerprint();
  if (build === null) return null;
  return sha256(JSON.stringify({ format: CACHE_FORMAT, abi: RUNTIME_ABI_VERSION, build, parts }));
}

/** A file the compile read, as it was then. */
export interface CacheDep {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** The state of a file the compile read (null when it cannot be read now). */
export function depOf(path: string): CacheDep | null {
  try {
    const s = statSync(path);
    return { path, size: s.size, mtimeMs: s.mtimeMs, sha256: sha256(readFileSync(path)) };
  } catch {
    return null;
  }
}

/** Is the file as the compile read it? Size first, then the mtime, then (the mtime moved) the content. */
function depHolds(d: CacheDep): boolean {
  try {
    const s = statSync(d.path);
    if (s.size !== d.size) return false;
    if (s.mtimeMs === d.mtimeMs) return true;
    return sha256(readFileSync(d.path)) === d.sha256;
  } catch {
    return false;
  }
}

export interface CacheEntry<M> {
  meta: M;
  deps: CacheDep[];
  wasm: Uint8Array;
}

interface Header<M> {
  meta: M;
  deps: CacheDep[];
  wasmBytes: number;
  wasmSha256: string;
}

const entryPath = (dir: string, key: string): string => join(dir, key + SUFFIX);

/** What the cache did in this process: entries read (hits), looked up and not found or not valid (misses), written. */
export const cacheEvents = { hits: 0, misses: 0, writes: 0 };

/**
 * The entry of `key`, or null: absent, unreadable, of another format, short or corrupt (its
 * module's hash differs), or a dependency changed. A hit marks the entry used (its mtime).
 */
export function readEntry<M>(dir: string, key: string): CacheEntry<M> | null {
  const e = readValidEntry<M>(entryPath(dir, key));
  if (e) cacheEvents.hits++;
  else cacheEvents.misses++;
  return e;
}

function readValidEntry<M>(path: string): CacheEntry<M> | null {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return null;
  }
  try {
    if (buf.length < 12 || buf.toString('latin1', 0, 4) !== MAGIC || buf.readUInt32LE(4) !== CACHE_FORMAT) return null;
    const headerLen = buf.readUInt32LE(8);
    if (12 + headerLen > buf.length) return null;
    const header = JSON.parse(buf.toString('utf8', 12, 12 + headerLen)) as Header<M>;
    const wasm = new Uint8Array(buf.buffer, buf.byteOffset + 12 + headerLen, buf.length - 12 - headerLen);
    if (wasm.length !== header.wasmBytes || sha256(wasm) !== header.wasmSha256) return null;
    if (!Array.isArray(header.deps) || !header.deps.every(depHolds)) return null;
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch {
      // a read-only cache still serves
    }
    return { meta: header.meta, deps: header.deps, wasm };
  } catch {
    return null;
  }
}

/**
 * Store an entry: a temporary file in the folder, renamed over `<key>.tfgc` (atomic), then the
 * folder pruned to its bound. Failures (a read-only disk, a full one) are ignored: the cache only
 * ever saves time. Returns whether the entry was written.
 */
export function writeEntry<M>(dir: string, key: string, entry: CacheEntry<M>, maxBytes = cacheMaxBytes()): boolean {
  const header: Header<M> = { meta: entry.meta, deps: entry.deps, wasmBytes: entry.wasm.length, wasmSha256: sha256(entry.wasm) };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(12);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(CACHE_FORMAT, 4);
  head.writeUInt32LE(json.length, 8);
  const tmp = join(dir, `.${key}.${process.pid}.${Date.now()}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, head);
      writeSync(fd, json);
      writeSync(fd, entry.wasm);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, entryPath(dir, key));
    cacheEvents.writes++;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    return false;
  }
  pruneCache(dir, maxBytes);
  return true;
}

/** Remove the least recently used entries until the folder holds at most `maxBytes` (and temporary files left by a killed writer). */
export function pruneCache(dir: string, maxBytes: number): void {
  try {
    const entries: { path: string; size: number; mtimeMs: number }[] = [];
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const s = statSync(path);
      if (name.endsWith('.tmp') && Date.now() - s.mtimeMs > 3600_000) rmSync(path, { force: true });
      else if (name.endsWith(SUFFIX)) entries.push({ path, size: s.size, mtimeMs: s.mtimeMs });
    }
    let total = entries.reduce((a, e) => a + e.size, 0);
    entries.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const e of entries) {
      if (total <= maxBytes) break;
      rmSync(e.path, { force: true });
      total -= e.size;
    }
  } catch {
    // another process pruned too; the next write tries again
  }
}

/** The entries in the folder: count and bytes. */
export function cacheStats(dir: string): { entries: number; bytes: number } {
  let entries = 0;
  let bytes = 0;
  try {
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(SUFFIX)) continue;
      entries++;
      bytes += statSync(join(dir, name)).size;
    }
  } catch {
    // no folder: an empty cache
  }
  return { entries, bytes };
}

/** Remove every entry (and temporary file) of the folder; returns how many entries were removed. */
export function clearCache(dir: string): number {
  let n = 0;
  try {
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(SUFFIX) && !name.endsWith('.tmp')) continue;
      rmSync(join(dir, name), { force: true });
      if (name.endsWith(SUFFIX)) n++;
    }
  } catch {
    // no folder: nothing to clear
  }
  return n;
}
