/**
 * @fileoverview Short runs of the training samples (full runs: docs/training.md): the moons
 * recipe learns, the housing recipe and the hand-written housing loop with a Saver agree with
 * their restored checkpoints, and the MNIST recipe trains a few steps and reports metrics.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { memoryIo } from '../../cli/io.js';
import { runTrain } from '../../cli/train.js';
import { runHousingMinibatch } from '../../samples/housing_minibatch.js';
import { repoPath } from '../helpers.js';
import { decodeEventFile, decodeGraphDef } from '../io/event-decoder.js';

const tmp = mkdtempSync(join(tmpdir(), 'tfg-samples-'));

async function cli(sample: string, args: Record<string, unknown>) {
  const io = memoryIo();
  const code = await runTrain(repoPath('samples', sample), { backend: 'reference', logdir: join(tmp, sample), json: true, tty: false, ...args }, io);
  const err = io.stderr.join('\n');
  if (code !== 0) throw new Error(`exit ${code}:\n${err}`);
  return { summary: JSON.parse(io.stdout.join('')) as { epochs: number; steps: number; reason: string; metrics: Record<string, Record<string, number>> }, err };
}

t.test('moons_logreg_train: 30 epochs reach 90% held-out accuracy', async (t) => {
  const { summary, err } = await cli('moons_logreg_train.tfg', { epochs: '30' });
  t.equal(summary.reason, 'completed');
  t.equal(summary.steps, 30 * 16);
  t.ok(summary.metrics.test.accuracy >= 0.9, `accuracy ${summary.metrics.test.accuracy}`);
  t.match(err, /epoch 30\/30 \(step 480\)/);
});

t.test('housing_minibatch.tfg: one epoch of mini-batch GD on scaled features', async (t) => {
  const { summary } = await cli('housing_minibatch.tfg', { epochs: '1' });
  t.equal(summary.steps, 166, '16512 training rows in batches of 100');
  t.ok(summary.metrics.test.mse < 0.7, `test mse ${summary.metrics.test.mse}`);
});

t.test('housing_minibatch.ts: the loop by hand saves and restores with a Saver', async (t) => {
  const r = runHousingMinibatch(2, 1, join(tmp, 'by-hand'));
  t.equal(r.log.length, 2);
  t.equal(r.steps, 2 * 166);
  t.match(r.checkpoint, /model-332$/);
  t.equal(r.restoredMse, r.finalMse, 'the restored session computes the same MSE');
  t.ok(r.finalMse < 0.6, `mse ${r.finalMse}`);
});

t.test('mnist_mlp: a short run trains and evaluates', async (t) => {
  const { summary, err } = await cli('mnist_mlp.tfg', { epochs: '1', limit: '400' });
  t.equal(summary.epochs, 1);
  t.equal(summary.steps, 8, '360 training rows (10% held out) in batches of 50');
  t.ok(summary.metrics.validation.accuracy >= 0 && summary.metrics.test.accuracy > 0.2, JSON.stringify(summary.metrics));
  t.match(err, /data: train 360, validation 40, test 400 examples/);
  // TensorBoard: the graph, and the loss once under its summary tag (no loss/loss beside loss/xentropy).
  const dir = join(tmp, 'mnist_mlp.tfg');
  const ev = decodeEventFile(
    new Uint8Array(
      readFileSync(
        join(
          dir,
          readdirSync(dir).find((f) => f.startsWith('events.out.tfevents.'))!,
        ),
      ),
    ),
  );
  const g = decodeGraphDef(ev.find((e) => e.graphDef)!.graphDef!);
  t.equal(g.node.find((n) => n.name === 'dnn/hidden1/MatMul')?.op, 'MatMul');
  const tags = new Set(ev.flatMap((e) => (e.summary ?? []).map((v) => v.tag)));
  t.ok(tags.has('loss/xentropy'));
  t.notOk(tags.has('loss/loss'));
});
