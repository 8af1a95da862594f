/**
 * @fileoverview The playground in a real browser: Debian's Chromium driven by playwright-core,
 * the page served by `tfg playground`'s server (cli/playground.ts) on 127.0.0.1 from dist/web.
 *
 * - the page becomes ready; the moons sample is picked from the menu, compiled (kernel counts
 *   shown), trained for 3 epochs: the curves gain points, and the final variables and metrics
 *   equal a Node run of the same recipe (same file name, same overrides) BIT FOR BIT;
 * - the housing sample compiles (its `load_csv` reads samples/data through the page's host);
 * - a syntax error gets a diagnostic marker at the line and column Node's check reports;
 * - a click on a graph node moves the editor's cursor to the node's line;
 * - no console error, no page error, and no request leaves the local server.
 *
 * Chromium missing: in CI (`CI` set) the test FAILS; elsewhere it is skipped with the reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startPlayground } from '../../cli/playground.js';
import { buildProgram } from '../../compiler/frontend/index.js';
import { checkProgramRecipe, ensureInit, recipeGraph, recipeSignatures } from '../../compiler/frontend/recipe.js';
import { openSession } from '../../compiler/session.js';
import { loadTrainDataNode } from '../../session/node/data.js';
import { Trainer } from '../../session/train/trainer.js';
import { loadTrainData } from '../../session/train/data.js';
import { Dataset } from '../../session/io/dataset.js';
import { Tensor } from '../../session/tensor.js';
import type { DType } from '../../session/dtype.js';
import { packageRoot } from '../../playground/bundle.js';

const CHROMIUM = '/usr/bin/chromium';
const root = packageRoot();
const web = join(root, 'dist', 'web');
const MOONS = 'samples/moons_logreg_train.tfg';
const EPOCHS = 3;

interface Wire {
  dtype: string;
  shape: number[];
  data: number[];
}

/** The same recipe trained in Node: variables (as plain numbers) and final metrics. */
async function nodeRun(rows?: Record<string, Wire>[]): Promise<{ variables: Record<string, Wire>; metrics: unknown; steps: number }> {
  const src = readFileSync(join(root, MOONS), 'utf8');
  const r = buildProgram(src, MOONS);
  const plan = checkProgramRecipe(r).plan!;
  plan.epochs = EPOCHS;
  const graph = recipeGraph(r, plan);
  ensureInit(graph, plan);
  const opened = openSession(r, { backend: 'wasm', fallback: true, graph, signatures: recipeSignatures(graph, plan), seed: plan.seed });
  try {
    // Given rows: each moons() source of the recipe reads the next of them instead.
    let k = 0;
    if (rows)
      for (const key of ['train', 'validation', 'test'] as const)
        if ((plan.data[key] as { kind?: string } | null)?.kind === 'moons') plan.data[key] = { kind: 'npz', path: `page-rows-${k++}` };
    const data = rows
      ? loadTrainData(plan, (s) => {
          const cols = rows[Number((s as { path: string }).path.slice('page-rows-'.length))];
          return new Dataset(
            Object.fromEntries(
              Object.entries(cols).map(([name, w]) => [
                name,
                new Tensor(
                  w.dtype as DType,
                  w.shape,
                  w.dtype === 'f64' ? Float64Array.from(w.data) : w.dtype === 'f32' ? Float32Array.from(w.data) : Int32Array.from(w.data),
                ),
              ]),
            ),
          );
        })
      : loadTrainDataNode(plan);
    const trainer = new Trainer({
      plan,
      session: opened.session,
      data,
      checkpoints: { save: (_v, _s, step) => `checkpoint-${step}` },
      summaries: { scalars() {}, flush() {} },
    });
    const res = await trainer.run();
    const variables: Record<string, Wire> = {};
    for (const name of opened.session.variableNames()) {
      const v = opened.session.readVariable(name);
      variables[name] = { dtype: v.dtype, shape: [...v.shape], data: Array.from(v.data as ArrayLike<number | bigint>, (x) => Number(x)) };
    }
    return { variables, metrics: res.metrics, steps: res.state.global_step };
  } finally {
    opened.session.close();
  }
}

function sameBits(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  const fa = new Float64Array(a),
    fb = new Float64Array(b);
  const ua = new Uint32Array(fa.buffer),
    ub = new Uint32Array(fb.buffer);
  return ua.every((x, i) => x === ub[i]);
}

t.test('the playground in Chromium', { timeout: 600_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) t.fail(`${CHROMIUM} is missing`);
    else t.comment(`skipped: ${CHROMIUM} is missing`);
    return;
  }
  if (!existsSync(join(web, 'index.html'))) {
    t.fail('dist/web is not built (npm run build)');
    return;
  }
  const { chromium } = await import('playwright-core');
  const server = await startPlayground({ port: 0, root: web });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.teardown(async () => {
    await browser.close();
    await server.close();
  });
  const context = await browser.newContext();
  const errors: string[] = [];
  const outside: string[] = [];
  const origin = new URL(server.url).origin;
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(origin + '/') || u.startsWith('blob:') || u.startsWith('data:')) return route.continue();
    outside.push(u);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  context.on('weberror', (e) => errors.push(`weberror: ${e.error().message}`));

  await page.goto(server.url);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120_000 });
  t.pass('the page is ready');

  // ---- moons: pick, compile, train
  await page.selectOption('#samples', 'moons_logreg_train.tfg');
  await page.waitForFunction(
    (f) =>
      (window as unknown as { tfgEditor: { state: { doc: { toString(): string } } } }).tfgEditor.state.doc
        .toString()
        .startsWith('# Logistic regression on two moons') && f,
    MOONS,
  );
  await page.click('#btn-compile');
  await page.waitForSelector('#compile-summary, #compile-out .error', { timeout: 180_000 });
  t.equal(await page.locator('#compile-out .error').count(), 0, 'compiles');
  const kernels = await page.locator('#kernels tr').allTextContents();
  t.ok(
    kernels.some((r) => r.startsWith('tfg_train_step')),
    'the train step signature is listed with its kernel counts',
  );

  await page.click('[data-tab=train]');
  await page.fill('#train-epochs', String(EPOCHS));
  await page.click('#btn-train');
  await page.waitForFunction(() => /^training (completed|failed)|^training failed/.test(document.getElementById('status')!.textContent ?? ''), null, {
    timeout: 300_000,
  });
  // The number of points drawn after each redraw, from the start of the run: it grows while training.
  const history = (await page.evaluate(() => (window as unknown as { tfgCurveHistory: number[] }).tfgCurveHistory)).filter((n) => n > 0);
  t.ok(
    history.length >= 3 && history.every((n, i) => i === 0 || n >= history[i - 1]) && history[history.length - 1] > history[0],
    `the curves gained points while training (${history.join(' → ')})`,
  );
  const tags = await page.evaluate(() => [...document.querySelectorAll<SVGElement>('svg.curve')].map((s) => s.dataset.tag));
  t.ok(tags.includes('logistic_regression/train/log_loss'), `the recipe's summary is drawn (${tags.join(', ')})`);
  const got = (await page.evaluate(() => (window as unknown as { tfgTrainResult: unknown }).tfgTrainResult)) as {
    reason: string;
    state: { global_step: number };
    metrics: unknown;
    backend: string;
    variables: Record<string, Wire>;
    sources: Record<string, Wire>[];
  };
  t.equal(got.reason, 'completed');
  t.equal(got.backend, 'wasm');
  t.equal(got.sources.length, 1, 'the page reports the rows moons() gave it');
  // Node trains on the rows the page drew: the compiled train step, the splits, the batches and
  // the summaries must give the same bits.
  const want = await nodeRun(got.sources);
  t.equal(got.state.global_step, want.steps, 'as many steps as Node');
  t.same(Object.keys(got.variables).sort(), Object.keys(want.variables).sort(), 'the same variables');
  for (const [name, w] of Object.entries(want.variables)) {
    const g = got.variables[name];
    t.same([g.dtype, g.shape], [w.dtype, w.shape], `${name}: dtype and shape`);
    t.ok(sameBits(g.data, w.data), `${name}: the same bits as the Node run`, { got: g.data, want: w.data });
  }
  t.ok(
    sameBits(
      Object.values(got.metrics as Record<string, Record<string, number>>).flatMap((m) => Object.values(m)),
      Object.values(want.metrics as Record<string, Record<string, number>>).flatMap((m) => Object.values(m)),
    ),
    'final metrics (loss, accuracy): the same bits as the Node run',
  );
  t.same(got.metrics, want.metrics);
  // moons() itself draws its rows with the engine's Math.cos/sin/log, which this Chromium's V8
  // rounds differently from Node's in the last bit for some arguments: say how many rows differ
  // (a known portability gap of session/io/moons.ts, reported, not hidden).
  const nodeRows = (await import('../../session/io/moons.js')).makeMoons(1000, 0.1, 42, true);
  const pageRows = got.sources[0].features.data;
  let differ = 0;
  nodeRows.X.forEach((r, i) => (differ += r[0] !== pageRows[2 * i] || r[1] !== pageRows[2 * i + 1] ? 1 : 0));
  t.comment(`moons(): ${differ} of 1000 rows differ in the last bits between Node ${process.versions.v8} and Chromium's V8 (Math.cos/sin/log)`);
  t.same(nodeRows.y, got.sources[0].labels.data, 'moons() labels are the same');

  // ---- graph: click a node, the editor jumps to its line
  await page.click('#btn-graph');
  await page.waitForSelector('#graph-out g.node[data-node="logistic_regression/model/logits"]', { timeout: 120_000 });
  const src = readFileSync(join(root, MOONS), 'utf8');
  const logits = buildProgram(src, MOONS).defaultGraph.get('logistic_regression/model/logits')!;
  const wantLine = logits.span!.file.lineCol(logits.span!.start).line;
  await page.click('#graph-out g.node[data-node="logistic_regression/model/logits"]');
  const line = await page.evaluate(() => {
    const v = (window as unknown as { tfgEditor: { state: { doc: { lineAt(p: number): { number: number } }; selection: { main: { head: number } } } } })
      .tfgEditor;
    return v.state.doc.lineAt(v.state.selection.main.head).number;
  });
  t.equal(line, wantLine, `the click moved the cursor to line ${wantLine}`);

  // ---- a syntax error: marker at Node's line and column
  const bad = 'x = placeholder(float32, shape=(None, 2))\ny = x * (2 +\nz = 3\n';
  const nodeDiag = buildProgram(bad, 'bad.tfg').diagnostics.find((d) => d.severity === 'error')!;
  const at = nodeDiag.span!.file.lineCol(nodeDiag.span!.start);
  await page.evaluate((text) => (window as unknown as { tfgSetProgram(t: string, f: string): void }).tfgSetProgram(text, 'bad.tfg'), bad);
  await page.waitForSelector('.cm-lintRange-error', { timeout: 60_000 });
  await page.waitForFunction(() => (document.body.dataset.diagnostics ?? '[]') !== '[]');
  const shown = JSON.parse((await page.evaluate(() => document.body.dataset.diagnostics))!) as { line: number; col: number; code: number }[];
  t.same(shown[0], { line: at.line, col: at.col, code: nodeDiag.code, severity: 'error' }, `the marker is at ${at.line}:${at.col} (TFG${nodeDiag.code})`);
  const markerLine = await page.evaluate(() => {
    const v = (window as unknown as { tfgEditor: { posAtDOM(n: Node): number; state: { doc: { lineAt(p: number): { number: number } } } } }).tfgEditor;
    return v.state.doc.lineAt(v.posAtDOM(document.querySelector('.cm-lintRange-error')!)).number;
  });
  t.equal(markerLine, at.line, 'the squiggle sits on that line');

  // ---- housing: load_csv through the page's host
  await page.selectOption('#samples', 'housing_gd.tfg');
  await page.waitForFunction(() =>
    (window as unknown as { tfgEditor: { state: { doc: { toString(): string } } } }).tfgEditor.state.doc.toString().includes('load_csv'),
  );
  await page.click('#btn-compile');
  await page.waitForFunction(() => /compiled in|compile failed/.test(document.getElementById('status')!.textContent ?? ''), null, { timeout: 180_000 });
  t.equal(
    await page.locator('#compile-out .error').count(),
    0,
    'housing_gd.tfg (load_csv) compiles in the page: ' + ((await page.locator('#compile-out .error').allTextContents()).join(' ') || 'ok'),
  );

  t.same(errors, [], 'no console or page errors');
  t.same(outside, [], 'no request left the local server');
});
