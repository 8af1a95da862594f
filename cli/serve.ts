/**
 * @fileoverview `tfg serve [DIR] [--port N] [--host H]`: a static file server for trying a page
 * that loads compiled models (examples/web/, docs/deploy.md). It serves DIR's files with the
 * types a loader needs (`application/wasm`, so modules compile while they stream), `no-store`
 * caching (a rebuilt module is fetched again), and the two headers that make a page
 * cross-origin isolated, which WebAssembly threads (SharedArrayBuffer) need:
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`.
 * Paths stay inside DIR (no `..`, no symlinks out of it); a folder serves its index.html.
 * For development only: no TLS, no compression, no range requests.
 */
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { CliError, type Io, processIo, renderError } from './io.js';

export const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/** The headers every response carries: cross-origin isolation (threads) and no caching. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

export interface StaticServerOptions {
  /** The folder served at `/`. */
  root: string;
  /** Further folders served under a URL prefix (`{'/gen/': '/tmp/x'}`), matched before `root`. */
  mounts?: Readonly<Record<string, string>>;
  port?: number;
  host?: string;
  /** Called once per request with `METHOD path status`. */
  log?: (line: string) => void;
}

export interface StaticServer {
  server: Server;
  /** `http://host:port` (no trailing slash). */
  origin: string;
  close(): Promise<void>;
}

/** The file a URL path names inside `dir`, or null when it is outside it or missing. */
function fileIn(dir: string, rel: string): string | null {
  const base = realpathSync(dir);
  let file = normalize(join(base, rel));
  if (file !== base && !file.startsWith(base + sep)) return null;
  if (!existsSync(file)) return null;
  file = realpathSync(file);
  if (file !== base && !file.startsWith(base + sep)) return null;
  if (statSync(file).isDirectory()) file = join(file, 'index.html');
  return existsSync(file) && statSync(file).isFile() ? file : null;
}

/** Start a static server (see the file comment); resolves once it listens. Port 0: any free port. */
export function startStaticServer(opts: StaticServerOptions): Promise<StaticServer> {
  const mounts = Object.entries(opts.mounts ?? {}).sort((a, b) => b[0].length - a[0].length);
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      path = '\0';
    }
    const reply = (status: number, headers: Record<string, string>, body?: string): void => {
      res.writeHead(status, { ...ISOLATION_HEADERS, 'cache-control': 'no-store', ...headers });
      res.end(body);
      opts.log?.(`${req.method} ${path} ${status}`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }, 'method not allowed\n');
    if (path.includes('\0')) return reply(400, { 'content-type': 'text/plain' }, 'bad path\n');
    if (path === '/favicon.ico') return reply(204, {});
    const mount = mounts.find(([prefix]) => path.startsWith(prefix));
    const file = mount ? fileIn(mount[1], path.slice(mount[0].length)) : fileIn(opts.root, path);
    if (!file) return reply(404, { 'content-type': 'text/plain' }, `not found: ${path}\n`);
    res.writeHead(200, {
      ...ISOLATION_HEADERS,
      'cache-control': 'no-store',
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-length': String(statSync(file).size),
    });
    opts.log?.(`${req.method} ${path} 200`);
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  };
  const server = createServer(handle);
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => {
      const a = server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      ok({ server, origin: `http://${host}:${a.port}`, close: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}

export interface ServeCliOptions {
  port?: string;
  host?: string;
}

/** `tfg serve`: serve until interrupted. Resolves with the running server (tests close it). */
export async function runServe(dir: string, opts: ServeCliOptions, io: Io = processIo): Promise<StaticServer | null> {
  try {
    const root = resolve(dir);
    if (!existsSync(root) || !statSync(root).isDirectory()) throw new CliError(`'${dir}' is not a folder`);
    const port = opts.port === undefined ? 8080 : Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port expects an integer from 0 to 65535, got '${opts.port}'`);
    const s = await startStaticServer({ root, port, host: opts.host ?? '127.0.0.1', log: (l) => io.err(l) }).catch((e: NodeJS.ErrnoException) => {
      throw new CliError(e.code === 'EADDRINUSE' ? `port ${port} is in use (--port N picks another, 0 any free one)` : e.message);
    });
    io.out(`serving ${root} at ${s.origin}/ (cross-origin isolated: COOP same-origin, COEP require-corp); Ctrl-C stops`);
    return s;
  } catch (e) {
    io.err(renderError(e, [], io.color));
    process.exitCode = 1;
    return null;
  }
}
