/**
 * @fileoverview The seed's session loop by hand, with a Saver: mini-batch gradient descent on
 * scaled California housing through the placeholders `X` and `y` of
 * samples/housing_minibatch.tfg. The CSV is read and split (80/20, seeded), the features
 * standardised with training statistics, batches of 100 drawn by a seeded BatchIterator; the
 * model is saved every `saveEvery` epochs (`/tmp/housing/model-<step>`, as TF1's
 * `saver.save(sess, path, global_step=step)`), and at the end the latest checkpoint is restored
 * into a fresh session, which must give the same test MSE.
 * Usage: node dist/samples/housing_minibatch.js [epochs] [saveEvery] [dir]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReferenceSession } from '../compiler/interp/session.js';
import { Operation } from '../compiler/ir/graph.js';
import { BatchIterator, Dataset, splitDataset, standardizeSplits } from '../session/io/dataset.js';
import { readCsv } from '../session/node/csv.js';
import { Saver } from '../session/node/saver.js';
import { Tensor } from '../session/tensor.js';
import { buildSample, isMain, nodeOf, samplePath } from './run-sample.js';

export interface HousingMinibatchRun {
  /** [epoch, test MSE] at every save. */
  log: [number, number][];
  finalMse: number;
  restoredMse: number;
  checkpoint: string;
  steps: number;
}

export function runHousingMinibatch(
  epochs = 300,
  saveEvery = 100,
  dir = mkdtempSync(join(tmpdir(), 'housing-')),
  print: (s: string) => void = () => {},
): HousingMinibatchRun {
  const r = buildSample('housing_minibatch.tfg');
  const table = readCsv(samplePath('data/california_housing.csv'), { target: 'MedHouseVal', dtype: 'f64' });
  const all = new Dataset({ X: table.features, y: new Tensor('f64', [table.target!.shape[0], 1], table.target!.data) });
  const { splits } = standardizeSplits(splitDataset(all, { train: 0.8, test: 0.2 }, 42), ['X']);
  const X = nodeOf(r, 'X');
  const y = nodeOf(r, 'y');
  const mse = nodeOf(r, 'mse');
  const trainingOp = new Operation(nodeOf(r, 'training_op'));
  const testFeeds = new Map([
    [X, splits.test!.columns.X],
    [y, splits.test!.columns.y],
  ]);

  const sess = new ReferenceSession(r.defaultGraph);
  sess.runOne(new Operation(nodeOf(r, 'init')));
  const saver = new Saver(sess);
  const batches = new BatchIterator(splits.train, { batchSize: 100, seed: 42 });
  const log: [number, number][] = [];
  let step = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (const batch of batches.epochBatches()) {
      sess.runOne(
        trainingOp,
        new Map([
          [X, batch.tensors.X],
          [y, batch.tensors.y],
        ]),
      );
      step++;
    }
    if (epoch % saveEvery === 0 || epoch === epochs) {
      const v = sess.runOne(mse, testFeeds)!.data[0];
      log.push([epoch, v]);
      const checkpoint = saver.save(join(dir, 'model'), { globalStep: step });
      print(`Epoch ${epoch} test MSE = ${v.toFixed(6)}  saved ${checkpoint}`);
    }
  }
  const finalMse = sess.runOne(mse, testFeeds)!.data[0];

  // A fresh session restored from the latest checkpoint (no initializer run).
  const sess2 = new ReferenceSession(r.defaultGraph);
  const saver2 = new Saver(sess2);
  const latest = saver2.latestCheckpoint(dir)!;
  saver2.restore(latest);
  const restoredMse = sess2.runOne(mse, testFeeds)!.data[0];
  print(`restored ${latest}: test MSE = ${restoredMse.toFixed(6)}`);
  return { log, finalMse, restoredMse, checkpoint: latest, steps: step };
}

if (isMain(import.meta.url)) {
  const [e, s, d] = process.argv.slice(2);
  runHousingMinibatch(Number(e ?? 300), Number(s ?? 100), d ?? mkdtempSync(join(tmpdir(), 'housing-')), (x) => console.log(x));
}
