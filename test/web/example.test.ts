/**
 * @fileoverview The example page (examples/web/) in headless Chromium, as a user gets it:
 * `tfg train` writes an MNIST checkpoint (a short run here: 1 epoch on 2,000 images; the page
 * works the same with the README quick start's `runs/quickstart`), examples/web/build.ts compiles
 * the page's modules from it (the `predict` entry with the weights apart and baked in, the moons
 * recipe's train and eval steps) and copies the loader bundle, and `tfg serve`'s server
 * (cli/serve.ts, with the COOP/COEP headers) serves the page on 127.0.0.1.
 *
 * Checked: MNIST test digits put on the page's 28×28 canvas pixel for pixel get, from the page's
 * own code path (canvas → grey levels / 255 → `predict`), the ten probabilities the Node Session
 * gives for the training pipeline's floats, bit for bit, in both weight modes; the page's
 * in-page training (one `tfg_train_step` entry call per step, no generic run) makes the loss
 * curve go down; the page is cross-origin isolated; the console shows no errors and no request
 * fails. Chromium missing: in CI the test fails; elsewhere it is skipped with the reason.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runTrain } from '../../cli/train.js';
import { memoryIo } from '../../cli/io.js';
import { startStaticServer } from '../../cli/serve.js';
import { buildExample } from '../../examples/web/build.js';
import { loadModel, type Tensor } from '../../session/index.js';
import { loadMnist } from '../../session/node/mnist.js';
import { chromiumMissing, launchChromium } from '../browser/chromium.js';
import { repoPath } from '../helpers.js';

interface PageState {
  ready: boolean;
  mode: string;
  probabilities: number[] | null;
  losses: number[];
  testLosses: number[];
  accuracy: number | null;
  stats: { signatureCalls: number; genericRuns: number } | null;
  classifyGreyLevels(grey: number[]): number[];
  greyLevels(): number[];
  train(epochs: number): Promise<number[]>;
}
declare const window: { tfgExample: PageState; crossOriginIsolated: boolean };
declare const document: { getElementById(id: string): { textContent: string | null } | null };

const DIGITS = 4;
const EPOCHS = 25;

t.test('examples/web: the page classifies as Node does, bit for bit, and trains in the page', async (t) => {
  const missing = chromiumMissing();
  if (missing) {
    if (process.env.CI) t.fail(`CI needs the browser test: ${missing}`);
    else t.plan(0, `skipped outside CI: ${missing}`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'tfg-example-web-'));
  const logdir = join(work, 'run');
  const gen = join(work, 'gen');
  const io = memoryIo();
  t.teardown(() => rmSync(work, { recursive: true, force: true }));

  const code = await runTrain(repoPath('samples/mnist_mlp.tfg'), { epochs: '1', limit: '2000', logdir, tty: false }, { ...io, isTTY: false });
  t.equal(code, 0, `tfg train wrote a checkpoint (${io.stderr.slice(-2).join(' ').trim()})`);
  const config = buildExample({ checkpoint: logdir, out: gen, io });
  t.ok(config.mnist.apart.weights.endsWith('.safetensors'), 'the build wrote the page config');

  // What the page must reproduce: the Node Session on the training pipeline's floats.
  const test = loadMnist('test', { limit: DIGITS });
  const pixels = test.images.data as Float32Array;
  const nodeProbs = async (mode: 'apart' | 'baked', inputs?: Float32Array[]): Promise<number[][]> => {
    const model =
      mode === 'apart'
        ? await loadModel(readFileSync(join(gen, config.mnist.apart.module)), { runtime: readFileSync(join(gen, config.mnist.apart.runtime)) })
        : await loadModel(readFileSync(join(gen, config.mnist.baked.module)));
    const sess = model.createSession();
    if (mode === 'apart') await sess.restore(readFileSync(join(gen, config.mnist.apart.weights)));
    const sig = model.manifest.signatures.find((s) => s.name === 'predict')!;
    const out: number[][] = [];
    const xs = inputs ?? Array.from({ length: DIGITS }, (_, i) => pixels.slice(i * 784, (i + 1) * 784));
    for (const x of xs) {
      const p = sess.run(sig.fetches as string, { [`${sig.feeds[0]}:0`]: x }) as Tensor;
      out.push(Array.from(p.data as Float32Array));
    }
    sess.close();
    return out;
  };
  const nodeProbsOf = (inputs: Float32Array[]): Promise<number[][]> => nodeProbs('apart', inputs);
  const expected = { apart: await nodeProbs('apart'), baked: await nodeProbs('baked') };
  t.strictSame(expected.baked, expected.apart, 'Node: the baked module and the restored one agree bit for bit');
  const grey = Array.from(pixels, (v) => Math.round(v * 255));

  const requests: string[] = [];
  const server = await startStaticServer({ root: repoPath('examples/web'), mounts: { '/gen/': gen }, port: 0, log: (l) => requests.push(l) });
  const context = await launchChromium(join(work, 'chromium-profile'));
  t.teardown(async () => {
    await context.close();
    await server.close();
  });

  for (const mode of ['apart', 'baked'] as const) {
    await t.test(`MNIST predict, weights ${mode === 'apart' ? 'apart (session.restore, runtime from the loader)' : 'baked into the module'}`, async (t) => {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`);
      });
      await page.goto(`${server.origin}/?weights=${mode}`);
      await page.waitForFunction(() => window.tfgExample?.ready === true || /error/.test(document.getElementById('status')?.textContent ?? ''), undefined, {
        timeout: 60000,
      });
      const status = await page.evaluate(() => document.getElementById('status')?.textContent ?? '');
      t.match(status, /^ready/, `the page is ready (${status})`);
      t.equal(await page.evaluate(() => window.tfgExample.mode), mode, 'it loaded the module the query asks for');
      t.equal(await page.evaluate(() => window.crossOriginIsolated), true, 'served with COOP/COEP: the page is cross-origin isolated');
      for (let i = 0; i < DIGITS; i++) {
        const got = await page.evaluate((g) => window.tfgExample.classifyGreyLevels(g), grey.slice(i * 784, (i + 1) * 784));
        t.strictSame(
          got,
          expected[mode][i],
          `test digit ${i} (label ${(test.labels.data as Int32Array)[i]}): the page's ten probabilities equal Node's bit for bit`,
        );
        const shown = await page.evaluate(() => document.getElementById('prediction')?.textContent);
        t.equal(shown, String(got.indexOf(Math.max(...got))), 'the page shows the most probable digit');
      }
      if (mode === 'apart') {
        // A stroke drawn with the mouse: the page's MNIST-style preparation (box to 20×20,
        // centre of mass to the centre) gives the 28×28 input; Node classifies the same input.
        const box = (await page.locator('#pad').boundingBox())!;
        await page.mouse.move(box.x + box.width * 0.52, box.y + box.height * 0.15);
        await page.mouse.down();
        for (let k = 1; k <= 12; k++) await page.mouse.move(box.x + box.width * (0.52 - 0.01 * k), box.y + box.height * (0.15 + 0.06 * k));
        await page.mouse.up();
        await page.waitForFunction((prev) => JSON.stringify(window.tfgExample.probabilities) !== prev, JSON.stringify(expected[mode][DIGITS - 1]));
        const drawn = await page.evaluate(() => ({ p: window.tfgExample.probabilities!, grey: window.tfgExample.greyLevels() }));
        t.equal(drawn.grey.filter((v) => v > 0).length > 20, true, 'the stroke left ink on the 28×28 input');
        const inNode = (await nodeProbsOf([Float32Array.from(drawn.grey, (v) => v * (1 / 255))]))[0]!;
        t.strictSame(
          drawn.p,
          inNode,
          `a digit drawn with the mouse: the page's probabilities equal Node's for the page's 28×28 input (shows ${drawn.p.indexOf(Math.max(...drawn.p))})`,
        );
        const losses = await page.evaluate((n) => window.tfgExample.train(n), EPOCHS);
        const state = await page.evaluate(() => ({ test: window.tfgExample.testLosses, stats: window.tfgExample.stats, accuracy: window.tfgExample.accuracy }));
        t.equal(losses.length, EPOCHS, `${EPOCHS} epochs trained in the page`);
        t.ok(
          losses.every((l) => Number.isFinite(l) && l > 0),
          'every epoch loss is a positive number',
        );
        t.ok(losses[EPOCHS - 1]! < 0.6 * losses[0]!, `the training loss goes down: ${losses[0]!.toFixed(4)} → ${losses[EPOCHS - 1]!.toFixed(4)}`);
        t.ok(state.test[EPOCHS - 1]! < state.test[0]!, `and the test loss: ${state.test[0]!.toFixed(4)} → ${state.test[EPOCHS - 1]!.toFixed(4)}`);
        const falls = losses.slice(1).filter((l, i) => l < losses[i]!).length;
        t.ok(falls >= 0.8 * (EPOCHS - 1), `the curve mostly falls (${falls} of ${EPOCHS - 1} epochs lower than the one before)`);
        t.ok(state.accuracy! > 0.8, `test accuracy after ${EPOCHS} epochs: ${state.accuracy}`);
        t.equal(state.stats?.genericRuns, 0, 'no generic-path run: every step is an entry call');
        t.ok((state.stats?.signatureCalls ?? 0) >= EPOCHS * 17, `one entry call per step (${state.stats?.signatureCalls} calls)`);
      }
      t.strictSame(errors, [], 'no errors or warnings on the console');
      await page.close();
    });
  }
  const failed = requests.filter((r) => !/ (200|204)$/.test(r));
  t.strictSame(failed, [], 'every request the pages made was served');
  t.ok(
    requests.some((r) => r.startsWith('GET /gen/tfg-loader.js ')),
    'the page loaded the loader bundle',
  );
  // The lazy chunks (dist/loader, rollup.config.mjs): the pool's on a cross-origin isolated
  // page, safetensors for restore(); no generic path (every module was compiled --signature).
  const fetched = (f: string): boolean => requests.some((r) => r.startsWith(`GET /gen/${f} `));
  t.ok(fetched('tfg-loader-threads.js'), 'the thread pool chunk (the page is cross-origin isolated)');
  t.ok(fetched('tfg-loader-safetensors.js'), 'the safetensors chunk (session.restore)');
  t.notOk(fetched('tfg-loader-generic.js'), 'not the generic path: no module has one');
  t.notOk(fetched('tfg-loader-fast-math.js'), 'not the fast-math probe: the page does not ask for fast math');
  t.ok(
    requests.some((r) => r.startsWith('GET /gen/tfg-runtime.wasm ')),
    'and the runtime beside it (weights-apart module)',
  );
  t.ok(
    requests.some((r) => r.startsWith('GET /gen/mnist/apart/mnist_mlp.safetensors ')),
    'and the weights file',
  );
});
