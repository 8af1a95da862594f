/**
 * @fileoverview Runs samples/moons_logreg.tfg: mini-batch gradient descent (batches of 50
 * drawn with a seeded generator, as the seed's fetch_batch) on the first 80% of the moons with
 * the enhanced features, the loss printed every 100 epochs, then precision and recall at 0.5
 * on the held-out 20%.
 * Usage: node dist/samples/moons_logreg.js [epochs]
 */
import { ReferenceSession } from '../compiler/interp/session.js';
import { Operation } from '../compiler/ir/graph.js';
import { Tensor } from '../session/tensor.js';
import { buildSample, isMain, nodeOf } from './run-sample.js';

/** Rows of a [m, k] tensor at the given indices. */
function rows(t: Tensor, idx: number[]): Tensor {
  const k = t.shape[1];
  const out = new Float64Array(idx.length * k);
  idx.forEach((r, i) => out.set(t.data.subarray(r * k, (r + 1) * k) as Float64Array, i * k));
  return new Tensor('f64', [idx.length, k], out);
}

export function runMoons(epochs = 1000, print: (s: string) => void = () => {}): { precision: number; recall: number; loss: number } {
  const r = buildSample('moons_logreg.tfg');
  const sess = new ReferenceSession(r.defaultGraph);
  const [Xtr, ytr, Xte, yte] = sess.run([nodeOf(r, 'X_train'), nodeOf(r, 'y_train'), nodeOf(r, 'X_test'), nodeOf(r, 'y_test')]);
  const X = nodeOf(r, 'X');
  const y = nodeOf(r, 'y');
  const loss = nodeOf(r, 'loss');
  const op = new Operation(nodeOf(r, 'training_op'));
  sess.runOne(new Operation(nodeOf(r, 'init')));
  const m = Xtr.shape[0];
  const batchSize = 50;
  const nBatches = Math.ceil(m / batchSize);
  let s = 42;
  const rand = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let b = 0; b < nBatches; b++) {
      const idx = Array.from({ length: batchSize }, () => Math.floor(rand() * m));
      sess.runOne(
        op,
        new Map([
          [X, rows(Xtr, idx)],
          [y, rows(ytr, idx)],
        ]),
      );
    }
    if (epoch % 100 === 0)
      print(
        `Epoch ${epoch} Loss: ${
          sess.runOne(
            loss,
            new Map([
              [X, Xte],
              [y, yte],
            ]),
          )!.data[0]
        }`,
      );
  }
  const finalLoss = sess.runOne(
    loss,
    new Map([
      [X, Xte],
      [y, yte],
    ]),
  )!.data[0];
  const proba = sess.runOne(nodeOf(r, 'y_proba'), new Map([[X, Xte]]))!;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < proba.size; i++) {
    const pred = proba.data[i] >= 0.5;
    const truth = yte.data[i] === 1;
    if (pred && truth) tp++;
    else if (pred) fp++;
    else if (truth) fn++;
  }
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  print(`precision ${precision.toFixed(4)}, recall ${recall.toFixed(4)} on ${proba.size} held-out points`);
  return { precision, recall, loss: finalLoss };
}

if (isMain(import.meta.url)) runMoons(Number(process.argv[2] ?? 1000), (s) => console.log(s));
