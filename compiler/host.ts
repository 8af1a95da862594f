/**
 * @fileoverview The compiler's host: every file the compiler reads (a `load_csv` CSV, the
 * AssemblyScript runtime's bytes) and every path it resolves (`csv(...)`, `npz(...)` relative to
 * the `.tfg` file) goes through `host()`, so the compiler itself imports no Node built-in and
 * loads in a browser page or worker.
 *
 * - In Node the default host reads the file system. It reaches `fs`/`path`/`url` through
 *   `process.getBuiltinModule` (Node >= 20.16) at first use, never through an `import`, so a
 *   bundle made for the browser holds no Node import at all.
 * - In a browser (or anywhere) `setHost(memoryHost(...))` installs an in-memory file table: the
 *   page fetches URLs or reads the files the user picked, `addFile`s them, then builds. Reads
 *   are synchronous because construction is (TF1's graph building is eager Python).
 */

/** Where the compiler reads files from. Paths are strings (`/abs/path` or `samples/x.csv`). */
export interface Host {
  /** The bytes of a file; throws an Error whose message names why (`ENOENT`, ...). */
  readBytes(path: string): Uint8Array;
  /** The text (UTF-8) of a file. */
  readText(path: string): string;
  /** `rel` resolved against the directory of the file `from` (the `.tfg` file), or against the working directory when `from` is null. */
  resolvePath(from: string | null, rel: string): string;
  /** The AssemblyScript runtime's bytes (`runtime-as/build/runtime.wasm`). */
  runtimeWasm(variant?: 'simd' | 'relaxed'): Uint8Array;
  /** Where `print()` in a `.tfg` program writes. */
  print(text: string): void;
}

/** An error of a host read, with a Node-like code (`ENOENT`). */
export class HostFileError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Posix path resolution (`/`-separated), for hosts without `node:path`. */
export function posixResolve(from: string | null, rel: string): string {
  if (rel.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(rel)) return rel;
  const base = from === null ? '' : from.includes('/') ? from.slice(0, from.lastIndexOf('/')) : '';
  const parts = (base ? base + '/' + rel : rel).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '.' || (p === '' && out.length)) continue;
    if (p === '..' && out.length && out[out.length - 1] !== '..' && out[out.length - 1] !== '') out.pop();
    else out.push(p);
  }
  return out.join('/');
}

/**
 * A host over an in-memory file table (the browser's, or a test's). A page fills it two ways:
 * `addFile` for what it fetched from its own server, and `pick` for a file the user chose for a
 * path (an MNIST idx file, a CSV a program reads): a picked file stands in for that path, and a
 * later `addFile` (a fetch) does not replace it.
 */
export class MemoryHost implements Host {
  readonly files = new Map<string, Uint8Array>();
  /** Paths that hold a file the user picked, and that file's own name. */
  readonly picked = new Map<string, string>();
  runtime: Uint8Array | null = null;
  relaxedRuntime: Uint8Array | null = null;
  printer: (text: string) => void = (t) => console.log(t.replace(/\n$/, ''));

  addFile(path: string, data: Uint8Array | string): void {
    const p = posixResolve(null, path);
    if (this.picked.has(p)) return;
    this.files.set(p, typeof data === 'string' ? new TextEncoder().encode(data) : data);
  }
  /** The user's file `name` read as `path`, whatever was there. */
  pick(path: string, data: Uint8Array, name: string): void {
    const p = posixResolve(null, path);
    this.picked.delete(p);
    this.addFile(p, data);
    this.picked.set(p, name);
  }
  /** Forget a picked file (the path is fetched again when needed). */
  unpick(path: string): void {
    const p = posixResolve(null, path);
    if (this.picked.delete(p)) this.files.delete(p);
  }
  readBytes(path: string): Uint8Array {
    const b = this.files.get(posixResolve(null, path));
    if (!b) throw new HostFileError('ENOENT', `${path}: no such file (in a browser, pick the file or serve it beside the page)`);
    return b;
  }
  readText(path: string): string {
    return new TextDecoder().decode(this.readBytes(path));
  }
  resolvePath(from: string | null, rel: string): string {
    return posixResolve(from, rel);
  }
  runtimeWasm(variant: 'simd' | 'relaxed' = 'simd'): Uint8Array {
    const r = variant === 'relaxed' ? this.relaxedRuntime : this.runtime;
    if (!r) throw new Error(`tfg: the ${variant} runtime's bytes were not given to the host (fetch tfg-runtime.wasm and set host.runtime)`);
    return r;
  }
  print(text: string): void {
    this.printer(text);
  }
}

interface NodeBuiltins {
  fs: typeof import('node:fs');
  path: typeof import('node:path');
  url: typeof import('node:url');
}

/** Node's built-ins without an import (undefined outside Node). */
function nodeBuiltins(): NodeBuiltins | undefined {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node) return undefined;
  if (typeof proc.getBuiltinModule !== 'function') throw new Error(`tfg needs Node >= 20.16 (process.getBuiltinModule); this is Node ${proc.versions.node}`);
  const get = proc.getBuiltinModule;
  return { fs: get('node:fs') as NodeBuiltins['fs'], path: get('node:path') as NodeBuiltins['path'], url: get('node:url') as NodeBuiltins['url'] };
}

/** The Node host: the file system, the runtime built beside this package. */
export class NodeHost implements Host {
  private readonly runtimes = new Map<string, Uint8Array>();
  constructor(private readonly b: NodeBuiltins) {}
  readBytes(path: string): Uint8Array {
    return this.b.fs.readFileSync(path);
  }
  readText(path: string): string {
    return this.b.fs.readFileSync(path, 'utf8');
  }
  resolvePath(from: string | null, rel: string): string {
    const { path } = this.b;
    if (path.isAbsolute(rel)) return rel;
    return path.resolve(from === null ? (globalThis as unknown as { process: { cwd(): string } }).process.cwd() : path.dirname(from), rel);
  }
  runtimeWasm(variant: 'simd' | 'relaxed' = 'simd'): Uint8Array {
    const have = this.runtimes.get(variant);
    if (have) return have;
    const { fs, path, url } = this.b;
    // This file is compiler/host.ts or dist/compiler/host.js: the package root is the first
    // folder above it holding package.json.
    let dir = path.dirname(url.fileURLToPath(import.meta.url));
    while (!fs.existsSync(path.join(dir, 'package.json'))) {
      const up = path.dirname(dir);
      if (up === dir) throw new Error('tfg: cannot find package.json above ' + url.fileURLToPath(import.meta.url));
      dir = up;
    }
    const p = path.join(dir, 'runtime-as', 'build', variant === 'relaxed' ? 'runtime-relaxed.wasm' : 'runtime.wasm');
    if (!fs.existsSync(p)) throw new Error(`tfg runtime not built: ${p} is missing (run \`npm run build\` or \`npm run build:runtime\`)`);
    const bytes = new Uint8Array(fs.readFileSync(p));
    this.runtimes.set(variant, bytes);
    return bytes;
  }
  print(text: string): void {
    (globalThis as unknown as { process: { stderr: { write(s: string): void } } }).process.stderr.write(text);
  }
}

let current: Host | null = null;

/** The host in use: the one set, else Node's (in Node), else an empty in-memory one. */
export function host(): Host {
  if (!current) {
    const b = nodeBuiltins();
    current = b ? new NodeHost(b) : new MemoryHost();
  }
  return current;
}

/** Install a host (returns the previous one, for tests to restore). */
export function setHost(h: Host): Host | null {
  const prev = current;
  current = h;
  return prev;
}
