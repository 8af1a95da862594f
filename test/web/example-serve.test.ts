/**
 * @fileoverview `tfg serve`'s static server (cli/serve.ts), which the example page's test and
 * docs/deploy.md use: content types (`application/wasm`), the COOP/COEP headers on every
 * response, folders served by their index.html, mounts, and paths kept inside the folder.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { memoryIo } from '../../cli/io.js';
import { runServe, startStaticServer } from '../../cli/serve.js';

/** A raw GET (no URL normalisation by the client, so `..` reaches the server as sent). */
function get(origin: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(origin);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

t.test('the static server', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'tfg-serve-'));
  const root = join(work, 'site');
  const other = join(work, 'other');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(other);
  writeFileSync(join(root, 'index.html'), '<p>hi</p>');
  writeFileSync(join(root, 'sub', 'index.html'), '<p>sub</p>');
  writeFileSync(join(root, 'm.wasm'), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
  writeFileSync(join(work, 'secret.txt'), 'secret');
  writeFileSync(join(other, 'x.js'), 'export {}');
  symlinkSync(join(work, 'secret.txt'), join(root, 'link.txt'));
  const log: string[] = [];
  const s = await startStaticServer({ root, mounts: { '/gen/': other }, port: 0, log: (l) => log.push(l) });
  t.teardown(async () => {
    await s.close();
    rmSync(work, { recursive: true, force: true });
  });

  const index = await get(s.origin, '/');
  t.equal(index.status, 200);
  t.equal(index.body, '<p>hi</p>', '/ serves index.html');
  t.equal(index.headers['content-type'], 'text/html; charset=utf-8');
  t.equal(index.headers['cross-origin-opener-policy'], 'same-origin', 'COOP');
  t.equal(index.headers['cross-origin-embedder-policy'], 'require-corp', 'COEP');
  t.equal(index.headers['cache-control'], 'no-store');
  t.equal((await get(s.origin, '/sub/')).body, '<p>sub</p>', 'a folder serves its index.html');
  const wasm = await get(s.origin, '/m.wasm');
  t.equal(wasm.headers['content-type'], 'application/wasm', '.wasm as application/wasm (streaming compile)');
  t.equal(wasm.body.length, 8);
  t.equal((await get(s.origin, '/gen/x.js')).headers['content-type'], 'text/javascript; charset=utf-8', 'a mount serves its folder');
  for (const bad of ['/../secret.txt', '/%2e%2e/secret.txt', '/sub/../../secret.txt', '/gen/../secret.txt', '/link.txt', '/missing.js', '/a%00b']) {
    const r = await get(s.origin, bad);
    t.ok(r.status === 404 || r.status === 400, `${bad}: ${r.status}, nothing outside the folder`);
    t.notMatch(r.body, /secret$/);
  }
  const missing = await get(s.origin, '/missing.js');
  t.equal(missing.headers['cross-origin-embedder-policy'], 'require-corp', 'errors carry the headers too');
  t.ok(log.includes('GET /m.wasm 200'), 'requests are logged with their status');
});

t.test('tfg serve: a clear error for a missing folder or a bad port', async (t) => {
  const saved = process.exitCode;
  const io = memoryIo();
  t.equal(await runServe('/no/such/folder', {}, io), null);
  t.match(io.stderr.join(''), /'\/no\/such\/folder' is not a folder/);
  const io2 = memoryIo();
  t.equal(await runServe('.', { port: 'x' }, io2), null);
  t.match(io2.stderr.join(''), /--port expects an integer/);
  process.exitCode = saved;
});
