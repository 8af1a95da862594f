/**
 * @fileoverview Threads and fast math in headless Chromium (Debian's `chromium`, playwright-core),
 * on a page served with COOP/COEP headers (`Cross-Origin-Opener-Policy: same-origin`,
 * `Cross-Origin-Embedder-Policy: require-corp`), so the page is cross-origin isolated and has
 * SharedArrayBuffer. The page (threads-page.ts) loads a model with the loader's browser entry at
 * 2 threads — Web Workers running the runtime on the shared memory, the page's main thread
 * spinning on Atomics.load while they finish (it may not block) — and the results must equal
 * Node's one-thread results BIT FOR BIT. Then fast math: Chromium has relaxed SIMD by default, so
 * the relaxed runtime runs (asserted) and its results agree with Node's exact ones within the
 * f32 tolerance of helpers.ts. A page without the headers runs on one thread with the note.
 *
 * Chromium missing: in CI (`CI` set) the test FAILS; elsewhere it is skipped with the reason
 * (as test/browser/browser.test.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { Tensor } from '../../session/tensor.js';
import { type RawTensor, type RunStep, rawTensor, runSteps, fromBase64 } from '../browser/page.js';
import type { ThreadedOutput } from './threads-page.js';
import { repoPath } from '../helpers.js';
import { TOL } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>tfg threads</title></head><body>
<script type="module">
  import { runThreaded } from '/dist/test/wasm/threads-page.js';
  window.tfgRun = runThreaded;
  window.tfgReady = true;
</script></body></html>`;

/** `/` the page; `/dist/**` the compiled repo; `/repo/runtime-as/build/**` the runtimes; `/models/**`. */
function serve(models: string, isolate: boolean): Promise<{ server: Server; origin: string }> {
  const roots: [string, string][] = [
    ['/dist/', repoPath('dist')],
    ['/repo/runtime-as/build/', repoPath('runtime-as/build')],
    ['/models/', models],
  ];
  const server = createServer((req, res) => {
    const headers: Record<string, string> = isolate
      ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' }
      : {};
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (path === '/favicon.ico') {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    if (path === '/') {
      res.writeHead(200, { ...headers, 'content-type': MIME['.html'] });
      res.end(PAGE);
      return;
    }
    for (const [prefix, root] of roots) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(root, path.slice(prefix.length)));
      if (file.startsWith(root + sep) && existsSync(file) && statSync(file).isFile()) {
        res.writeHead(200, { ...headers, 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(readFileSync(file));
        return;
      }
    }
    res.writeHead(404, headers);
    res.end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
  );
}

// At batch 203 the products split by rows; at batch 1 the first layer (1×577×300, above the
// 2^17 multiply-adds of SPLIT.minMacs, 577 columns: an uneven last part) splits by columns; at
// batch 40 the second (40×130×577: few rows, K = 577 in two slices) splits by K slices. The last
// two are small calls (below SPLIT.wakeMacs): they split when the worker is still polling after
// the call before, and run on the page's thread alone when it sleeps; the bits are the same.
const SRC = `
X = placeholder(f32, shape=[None, 300], name="X")
Z = placeholder(f64, shape=[None, 40], name="Z")
W1 = variable(random_normal([300, 577], stddev=0.1, seed=7), name="W1")
b1 = variable(random_uniform([577], -0.5, 0.5, seed=8), name="b1")
W2 = variable(truncated_normal([577, 130], stddev=0.2, seed=9), name="W2")
h = relu(matmul(X, W1) + b1, name="h")
logits = matmul(h, W2, name="logits")
proba = softmax(logits, name="proba")
logp = log_softmax(logits, name="logp")
xt = matmul(X, X, transpose_b=True, name="xt")
zz = matmul(Z, Z, transpose_a=True, name="zz")
init = global_variables_initializer()
signature predict(X) -> [h, logits, proba, logp, xt]
signature gram(Z) -> zz
`;
const FETCHES = ['h:0', 'logits:0', 'proba:0', 'logp:0', 'xt:0'];

function feed(dtype: 'f32' | 'f64', shape: number[], seed: number): RawTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'f32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(seed * 1000 + i * 0.7);
  return rawTensor(new Tensor(dtype, shape, data));
}

const STEPS: RunStep[] = [
  { fetches: ['init'], feeds: {} },
  { fetches: FETCHES, feeds: { 'X:0': feed('f32', [203, 300], 1) } },
  { fetches: FETCHES, feeds: { 'X:0': feed('f32', [1, 300], 2) } },
  { fetches: FETCHES, feeds: { 'X:0': feed('f32', [40, 300], 4) } },
  { fetches: ['zz:0'], feeds: { 'Z:0': feed('f64', [700, 40], 3) } },
];

function values(r: RawTensor): Float32Array | Float64Array {
  const buf = fromBase64(r.b64).buffer as ArrayBuffer;
  return r.dtype === 'f64' ? new Float64Array(buf) : new Float32Array(buf);
}

t.test('threads and fast math in headless Chromium', async (t) => {
  if (!existsSync(CHROMIUM)) {
    const why = `${CHROMIUM} is missing (apt-get install -y chromium)`;
    if (process.env.CI) t.fail(`CI needs the browser test: ${why}`);
    else t.plan(0, `skipped outside CI: ${why}`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const work = mkdtempSync(join(tmpdir(), 'tfg-threads-'));
  const models = join(work, 'models');
  const built = buildProgram(SRC, 'threads.tfg');
  if (!built.ok) throw new Error(built.diagnostics.map((d) => d.message).join('; '));
  const wasm = compileProgram(built, { fuse: true }).wasm;
  (await import('node:fs')).mkdirSync(models, { recursive: true });
  writeFileSync(join(models, 'm.wasm'), wasm);
  const inNode = await runSteps(new Uint8Array(wasm), undefined, STEPS);

  const isolated = await serve(models, true);
  const plain = await serve(models, false);
  const context = await chromium.launchPersistentContext(join(work, 'profile'), { executablePath: CHROMIUM, headless: true, args: ARGS });
  t.teardown(async () => {
    await context.close();
    await Promise.all([isolated, plain].map((s) => new Promise<void>((r) => s.server.close(() => r()))));
    rmSync(work, { recursive: true, force: true });
  });

  const open = async (origin: string) => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (window as unknown as { tfgReady?: boolean }).tfgReady === true, undefined, { timeout: 30000 });
    const run = (threads: number, relaxed: string | null) =>
      page.evaluate(
        ([th, rl, steps]) =>
          (window as unknown as { tfgRun: (w: string, s: RunStep[], th: number, rl: string | null) => Promise<ThreadedOutput> }).tfgRun(
            '/models/m.wasm',
            steps,
            th,
            rl,
          ),
        [threads, relaxed, STEPS] as const,
      ) as Promise<ThreadedOutput>;
    return { run, errors };
  };

  const iso = await open(isolated.origin);
  const two = await iso.run(2, null);
  t.equal(two.isolated, true, 'the page is cross-origin isolated');
  t.equal(two.threads, 2, `2 threads (note: ${two.note})`);
  t.equal(two.ready, 2, 'the Web Worker started');
  t.ok(two.splitCalls > 0, `${two.splitCalls} calls split across the threads`);
  let compared = 0;
  STEPS.forEach((s, si) =>
    s.fetches.forEach((name, fi) => {
      const a = inNode[si]![fi],
        b = two.out[si]![fi];
      if (a === null) return void t.equal(b, null, `${name}: an operation`);
      compared++;
      t.equal(b?.b64, a.b64, `step ${si} ${name}: 2 threads in Chromium = 1 thread in Node, bit for bit`);
    }),
  );
  t.equal(compared, 16);

  const fast = await iso.run(2, '/repo/runtime-as/build/runtime-relaxed.wasm');
  t.equal(fast.fastMath, true, `Chromium has relaxed SIMD: fast math on (${fast.fastMathNote})`);
  let bad = 0,
    n = 0;
  STEPS.forEach((s, si) =>
    s.fetches.forEach((_, fi) => {
      const a = inNode[si]![fi],
        b = fast.out[si]![fi];
      if (a === null || b === null) return;
      const x = values(a),
        y = values(b);
      for (let i = 0; i < x.length; i++, n++) if (!(Math.abs(y[i] - x[i]) <= (a.dtype === 'f64' ? TOL.f64 : TOL.f32) * (1 + Math.abs(x[i])))) bad++;
    }),
  );
  t.equal(bad, 0, `fast math within tolerance of exact: ${n} values`);
  t.same(iso.errors, [], 'no page errors');

  const pl = await open(plain.origin);
  const one = await pl.run(2, null);
  t.equal(one.isolated, false, 'without COOP/COEP the page is not isolated');
  t.equal(one.threads, 1, 'so it runs on one thread');
  t.match(one.note ?? '', /running on one thread: threads need Web Workers and SharedArrayBuffer/);
  t.equal(one.out[1]![0]!.b64, inNode[1]![0]!.b64, 'with the same bits');
});
