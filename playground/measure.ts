/**
 * @fileoverview Measures the playground for docs/playground.md (`node dist/playground/measure.js`
 * after `npm run build`): time to interactive in headless Chromium, compile time of
 * samples/mnist_mlp.tfg in the page's worker vs in Node (same options: fused, all signatures,
 * generic path), MNIST training steps/s in the page vs in Node (the same trainer, 1 epoch of
 * `--limit` examples, timed from the trainer's start event to its last step), and the gzipped
 * size of what the page downloads. Prints JSON.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startPlayground } from '../cli/playground.js';
import { buildProgram } from '../compiler/frontend/index.js';
import { compileProgram } from '../compiler/driver.js';
import { checkProgramRecipe, ensureInit, recipeGraph, recipeSignatures } from '../compiler/frontend/recipe.js';
import { openSession } from '../compiler/session.js';
import { loadTrainDataNode } from '../session/node/data.js';
import { Trainer } from '../session/train/trainer.js';
import { packageRoot } from './bundle.js';

const root = packageRoot();
const LIMIT = Number(process.env.LIMIT ?? 5000);
const MNIST = 'samples/mnist_mlp.tfg';

async function nodeTrainRate(): Promise<{ steps: number; seconds: number }> {
  const r = buildProgram(readFileSync(join(root, MNIST), 'utf8'), MNIST);
  const plan = checkProgramRecipe(r).plan!;
  plan.epochs = 1;
  plan.data.limit = LIMIT;
  const graph = recipeGraph(r, plan);
  ensureInit(graph, plan);
  const opened = openSession(r, { backend: 'wasm', graph, signatures: recipeSignatures(graph, plan), seed: plan.seed });
  let t0 = 0,
    s0 = 0,
    t1 = 0,
    s1 = 0;
  const trainer = new Trainer({
    plan,
    session: opened.session,
    data: loadTrainDataNode(plan),
    checkpoints: { save: (_v, _s, step) => `c-${step}` },
    summaries: { scalars() {}, flush() {} },
    onEvent: (e) => {
      if (e.type === 'start') [t0, s0] = [performance.now(), e.step];
      if (e.type === 'step') [t1, s1] = [performance.now(), e.step];
    },
  });
  await trainer.run();
  opened.session.close();
  return { steps: s1 - s0, seconds: (t1 - t0) / 1000 };
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {};
  // ---- Node compile (first in this process, then warm)
  const src = readFileSync(join(root, MNIST), 'utf8');
  const nodeMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    compileProgram(buildProgram(src, MNIST), { fuse: true });
    nodeMs.push(performance.now() - t0);
  }
  out.compileNodeMs = nodeMs.map((x) => Math.round(x));

  const server = await startPlayground({ port: 0 });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    const responses: { url: string; bytes: number; gzip: number }[] = [];
    page.on('response', async (res) => {
      try {
        const b = await res.body();
        responses.push({ url: res.url().replace(server.url, '/'), bytes: b.length, gzip: gzipSync(b, { level: 9 }).length });
      } catch {
        /* a redirect or an aborted body */
      }
    });
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 300_000 });
    out.editorReadyMs = Math.round(await page.evaluate(() => (window as unknown as { tfgEditorTime: number }).tfgEditorTime));
    out.compilerReadyMs = Math.round(await page.evaluate(() => (window as unknown as { tfgReadyTime: number }).tfgReadyTime));
    await page.waitForTimeout(500);
    out.download = {
      files: responses.length,
      bytes: responses.reduce((a, r) => a + r.bytes, 0),
      gzip: responses.reduce((a, r) => a + r.gzip, 0),
      each: responses.sort((a, b) => b.gzip - a.gzip).slice(0, 6),
    };
    // ---- page compile, three times (the worker's own timing of compileProgram, fused)
    await page.selectOption('#samples', 'mnist_mlp.tfg');
    await page.waitForFunction(() =>
      (window as unknown as { tfgEditor: { state: { doc: { toString(): string } } } }).tfgEditor.state.doc.toString().includes('MNIST'),
    );
    const pageMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.evaluate(() => delete document.body.dataset.compiled);
      await page.click('#btn-compile');
      await page.waitForFunction(() => document.body.dataset.compiled !== undefined, null, { timeout: 300_000 });
      pageMs.push(Math.round(Number(await page.evaluate(() => document.body.dataset.compiled))));
    }
    out.compilePageMs = pageMs;
    // ---- page training: 1 epoch of LIMIT examples
    await page.click('[data-tab=train]');
    await page.fill('#train-epochs', '1');
    await page.fill('#train-limit', String(LIMIT));
    await page.click('#btn-train');
    await page.waitForFunction(() => /^training (completed|failed)/.test(document.getElementById('status')!.textContent ?? ''), null, { timeout: 900_000 });
    const rate = await page.evaluate(() => (window as unknown as { tfgTrainRate: { steps: number; seconds: number } }).tfgTrainRate);
    out.trainPage = { ...rate, stepsPerSecond: rate.steps / rate.seconds, result: await page.textContent('#train-result') };
  } finally {
    await browser.close();
    await server.close();
  }
  const n = await nodeTrainRate();
  out.trainNode = { ...n, stepsPerSecond: n.steps / n.seconds };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

void main();
