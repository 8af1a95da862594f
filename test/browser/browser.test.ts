/**
 * @fileoverview Browser test: compiled models run in headless Chromium (Debian's `chromium`,
 * driven by playwright-core) from a page served on 127.0.0.1 by a tiny `node:http` static
 * server, and every fetched tensor equals Node's BIT FOR BIT (raw bytes compared).
 *
 * The page imports `dist/test/browser/page.js`, which imports the loader's browser entry
 * `dist/session/index.js` as plain ES modules (relative paths, no bundler, no import map: the
 * entry has no Node built-ins and no bare imports — checked here too). It fetches the `.wasm`
 * and the `.manifest.json` written by `tfg compile`'s `writeCompiled`, runs the same steps as
 * Node and returns raw bytes as base64 through `page.evaluate`.
 *
 * Models: the seed's modular ReLU sample (seeded random_normal weights, fused and unfused), the
 * normal-equation sample (f64 and f32 matrix inverse), and an inline program covering the host
 * math imports (exp/log/tanh/sigmoid/pow/sin/cos), softmax/log_softmax, matmul with SIMD tails,
 * reductions, argmax (i32), comparisons (bool) and seeded in-graph random ops, at two batch sizes.
 *
 * Chromium missing: in CI (`CI` set) the test FAILS; elsewhere it is skipped with the reason.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import t from 'tap';
import { formatDiagnostics } from '../../compiler/diagnostics/diagnostic.js';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { writeCompiled } from '../../compiler/emit/write.js';
import { repoPath } from '../helpers.js';
import { type RawTensor, type RunOutput, type RunStep, rawTensor, runSteps } from './page.js';
import { Tensor } from '../../session/tensor.js';
import { CHROMIUM, launchChromium } from './chromium.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>tfg browser test</title></head>
<body>
<script type="module">
  import { runFromUrls } from '/dist/test/browser/page.js';
  window.tfgRun = runFromUrls;
  window.tfgReady = true;
</script>
</body></html>
`;

/**
 * Serve `/` (the page), `/dist/**` (the compiled repo) and `/models/**` (the compiled models) on
 * 127.0.0.1 at a random port. Paths are normalised and must stay inside their root.
 */
function startServer(distRoot: string, modelsRoot: string, log: string[]): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    log.push(`${req.method} ${path}`);
    if (path === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': MIME['.html'] });
      res.end(PAGE);
      return;
    }
    const mount = path.startsWith('/dist/')
      ? [distRoot, path.slice('/dist/'.length)]
      : path.startsWith('/models/')
        ? [modelsRoot, path.slice('/models/'.length)]
        : null;
    if (mount) {
      const file = normalize(join(mount[0], mount[1]));
      if (file.startsWith(mount[0] + sep) && existsSync(file) && statSync(file).isFile()) {
        res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(readFileSync(file));
        return;
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`not found: ${path}`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, origin: `http://127.0.0.1:${port}` });
    });
  });
}

/** A deterministic f32/f64 feed (sin-based, exact in both dtypes' rounding). */
function feed(dtype: 'f32' | 'f64', shape: number[], seed: number): RawTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'f32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(seed * 1000 + i * 0.7) * 3;
  return rawTensor(new Tensor(dtype, shape, data));
}

interface Case {
  name: string;
  file: string;
  source: string;
  fuse: boolean;
  steps: RunStep[];
}

const MATH_SRC = `# browser test program: host math imports, softmax, matmul tails, reductions, i32/bool outputs, randoms
X = placeholder(f32, shape=[None, 13], name="X")
Z = placeholder(f64, shape=[None, 5], name="Z")
W1 = variable(random_normal([13, 9], seed=7), name="W1")
b1 = variable(random_uniform([9], -0.5, 0.5, seed=8), name="b1")
W2 = variable(truncated_normal([9, 6], stddev=0.5, seed=9), name="W2")
h = tanh(matmul(X, W1) + b1, name="h")
logits = matmul(h, W2, name="logits")
proba = softmax(logits, name="proba")
logp = log_softmax(logits, name="logp")
lse = log(reduce_sum(exp(logits), axis=1), name="lse")
mix = identity(sigmoid(logits) * sqrt(abs(logits)) + pow(abs(logits) + 1.0, 0.37) - sin(logits) * cos(h[:, :6]), name="mix")
cls = argmax(proba, axis=1, name="cls")
big = greater(proba, 0.2, name="big")
zz = reduce_mean(square(Z) * 0.5 - abs(Z) / (1.0 + sqrt(abs(Z))), axis=0, name="zz")
ztt = matmul(Z, Z, transpose_b=True, name="ztt")
zexp = reduce_mean(exp(-square(Z)) * log(1.0 + abs(Z)), axis=0, name="zexp")
zmath = identity(sin(Z * 3.7) * cos(Z - 0.3) + tanh(Z) + sigmoid(Z * 2.0) + pow(abs(Z) + 1.0, 0.37) + exp(Z) * log(abs(Z) + 0.5), name="zmath")
noise = random_normal([3, 5], seed=11, name="noise")
noise64 = random_uniform([4, 5], dtype=f64, seed=12, name="noise64")
gauss64 = random_normal([4, 5], dtype=f64, seed=13, name="gauss64")
init = global_variables_initializer()
signature predict(X) -> {"proba": proba, "logp": logp, "lse": lse, "mix": mix, "cls": cls, "big": big}
signature stats(Z) -> [zz, ztt, zexp, zmath]
`;

const MATH_FETCHES = ['proba:0', 'logp:0', 'lse:0', 'mix:0', 'cls:0', 'big:0'];

/*
 * f64 transcendentals (zexp, zmath) and f64 normals (gauss64) are the checks that need the
 * runtime's own math (runtime-as/assembly/math.ts, used by codegen and by the loader's normal
 * samples): V8's Math differs between Node 20 and Chromium in the last ulp for ~5–10% of
 * arguments, so host-Math results would not be bit-equal here.
 */

function cases(): Case[] {
  const relu = readFileSync(repoPath('samples/relu_modular.tfg'), 'utf8');
  const normal = readFileSync(repoPath('samples/normal_equation.tfg'), 'utf8');
  const reluSteps: RunStep[] = [
    { fetches: ['init'], feeds: {} },
    { fetches: ['output:0', 'relu/weights:0', 'relu_4/weights:0'], feeds: { 'X:0': feed('f32', [7, 3], 1) } },
    { fetches: ['output:0'], feeds: { 'X:0': feed('f32', [1, 3], 2) } },
  ];
  const mathSteps: RunStep[] = [
    { fetches: ['init'], feeds: {} },
    { fetches: MATH_FETCHES, feeds: { 'X:0': feed('f32', [11, 13], 3) } },
    { fetches: MATH_FETCHES, feeds: { 'X:0': feed('f32', [1, 13], 4) } },
    { fetches: ['zz:0', 'ztt:0', 'zexp:0', 'zmath:0'], feeds: { 'Z:0': feed('f64', [7, 5], 5) } },
    // generic path (no signature feeds only Z and fetches noise), twice: the stream advances
    { fetches: ['noise:0', 'zz:0'], feeds: { 'Z:0': feed('f64', [3, 5], 6) } },
    { fetches: ['noise:0', 'W1:0', 'noise64:0', 'gauss64:0'], feeds: {} },
  ];
  return [
    { name: 'relu_modular (fused)', file: 'samples/relu_modular.tfg', source: relu, fuse: true, steps: reluSteps },
    { name: 'relu_modular (unfused)', file: 'samples/relu_modular.tfg', source: relu, fuse: false, steps: reluSteps },
    {
      name: 'normal_equation (fused)',
      file: 'samples/normal_equation.tfg',
      source: normal,
      fuse: true,
      steps: [{ fetches: ['float64/theta:0', 'float64/mse:0', 'float32/theta:0', 'float32/mse:0'], feeds: {} }],
    },
    { name: 'math program (fused)', file: 'math.tfg', source: MATH_SRC, fuse: true, steps: mathSteps },
    { name: 'math program (unfused)', file: 'math.tfg', source: MATH_SRC, fuse: false, steps: mathSteps },
  ];
}

/** Every `import ... from '<spec>'` of the browser entry's module graph, for the no-bare-import check. */
function moduleGraph(entry: string): { files: string[]; bare: string[] } {
  const files: string[] = [];
  const bare: string[] = [];
  const queue = [normalize(entry)];
  while (queue.length) {
    const f = queue.pop()!;
    if (files.includes(f)) continue;
    files.push(f);
    // Comments (a usage example in a file's doc comment) are not imports.
    const src = readFileSync(f, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const m of src.matchAll(
      /(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm,
    )) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (spec.startsWith('.')) queue.push(normalize(join(f, '..', spec)));
      else bare.push(`${f}: ${spec}`);
    }
  }
  return { files, bare };
}

function describe(r: RawTensor | null): string {
  return r === null ? 'None' : `${r.dtype}[${r.shape.join(',')}]`;
}

t.test('the browser entry loads as plain ES modules: no bare or node: imports', async (t) => {
  const { files, bare } = moduleGraph(repoPath('dist/session/index.js'));
  t.ok(files.length > 3, `module graph of dist/session/index.js: ${files.length} files`);
  t.same(bare, [], 'no bare specifiers (node:*, packages) anywhere in the browser entry');
});

t.test('compiled models give the same bits in headless Chromium as in Node', async (t) => {
  if (!existsSync(CHROMIUM)) {
    const why = `${CHROMIUM} is missing (install Debian's chromium: apt-get install -y chromium; .ci/run does)`;
    if (process.env.CI) t.fail(`CI needs the browser test: ${why}`);
    else t.plan(0, `skipped outside CI: ${why}`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'tfg-browser-'));
  const modelsDir = join(work, 'models');
  const userDataDir = join(work, 'chromium-profile');
  const requests: string[] = [];
  const { server, origin } = await startServer(repoPath('dist'), modelsDir, requests);
  const context = await launchChromium(userDataDir);
  t.teardown(async () => {
    await context.close();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(work, { recursive: true, force: true });
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => (window as unknown as { tfgReady?: boolean }).tfgReady === true, undefined, { timeout: 30000 }).catch(() => undefined);
  const ready = await page.evaluate(() => (window as unknown as { tfgReady?: boolean }).tfgReady === true);
  t.ok(ready, `the page loaded the loader's browser entry from dist/ (errors: ${pageErrors.join('; ') || 'none'})`);
  if (!ready) return;
  t.ok(
    requests.some((r) => r.includes('/dist/session/index.js')),
    'the page imported dist/session/index.js',
  );
  t.ok(
    requests.some((r) => r.includes('/dist/runtime-as/abi.js')),
    'and the runtime ABI module beside it',
  );

  for (const c of cases()) {
    await t.test(c.name, async (t) => {
      const built = buildProgram(c.source, repoPath(c.file));
      if (!built.ok) throw new Error(formatDiagnostics(built.diagnostics));
      const compiled = compileProgram(built, { fuse: c.fuse });
      const stem = c.name.replace(/[^a-z0-9]+/gi, '_');
      const paths = writeCompiled(compiled, modelsDir, `${stem}.tfg`);
      const wasmUrl = `/models/${stem}.wasm`;
      const manifestUrl = `/models/${stem}.manifest.json`;
      t.ok(existsSync(paths.wasm) && existsSync(paths.manifest), 'module and manifest written');

      const errorsBefore = pageErrors.length;
      const inNode: RunOutput = await runSteps(new Uint8Array(readFileSync(paths.wasm)), JSON.parse(readFileSync(paths.manifest, 'utf8')), c.steps);
      const inBrowser = (await page.evaluate(
        ([w, m, s]) => (window as unknown as { tfgRun: (w: string, m: string, s: RunStep[]) => Promise<RunOutput> }).tfgRun(w, m, s),
        [wasmUrl, manifestUrl, c.steps] as const,
      )) as RunOutput;
      t.same(pageErrors.slice(errorsBefore), [], 'no page errors');
      t.equal(inBrowser.length, c.steps.length, 'one result list per step');
      let tensors = 0;
      c.steps.forEach((step, si) => {
        step.fetches.forEach((name, fi) => {
          const a = inNode[si]![fi]!;
          const b = inBrowser[si]?.[fi] ?? null;
          if (a === null) {
            t.equal(b, null, `step ${si} ${name}: an operation in both`);
            return;
          }
          tensors++;
          t.equal(describe(b), describe(a), `step ${si} ${name}: dtype and shape`);
          t.ok(a.b64.length > 0 || a.shape.includes(0), `step ${si} ${name}: has data`);
          t.equal(b?.b64, a.b64, `step ${si} ${name}: raw bytes equal Node's`);
        });
      });
      t.ok(tensors > 0, `${tensors} tensors compared`);
    });
  }
  // The fetched URLs prove the browser loaded the manifest files too.
  t.ok(
    requests.some((r) => r.endsWith('.manifest.json')),
    'the page fetched the manifests',
  );
});
