/**
 * @fileoverview Runs samples/housing_gd.tfg: the seed's session loop (1000 epochs, MSE printed
 * every 100) for the three ways of computing the gradient of the linear-regression MSE on
 * scaled California housing — manual `2/m · Xᵀ·error`, `gradients(mse, [theta])`, and
 * `GradientDescentOptimizer.minimize` — and reports the thetas they reach (the same) and the
 * largest difference between the manual and symbolic gradients at the start.
 * Usage: node dist/samples/housing_gd.js [epochs]
 */
import { ReferenceSession } from '../compiler/interp/session.js';
import { Operation } from '../compiler/ir/graph.js';
import type { Tensor } from '../session/tensor.js';
import { buildSample, isMain, nodeOf } from './run-sample.js';

export interface HousingRun {
  method: string;
  theta: number[];
  /** [epoch, mse] every 100 epochs, then the final MSE. */
  mse: [number, number][];
}

export function runHousingGD(epochs = 1000, print: (s: string) => void = () => {}): { runs: HousingRun[]; maxGradDiff: number } {
  const r = buildSample('housing_gd.tfg');
  const sess = new ReferenceSession(r.defaultGraph);
  const X = nodeOf(r, 'X');
  const y = nodeOf(r, 'y');
  // X and y are computed once and fed afterwards (TF1 lets any tensor be fed), so the
  // scaling is not recomputed every step.
  const [Xv, yv] = sess.run([X, y]);
  const feeds = new Map<typeof X, Tensor>([
    [X, Xv],
    [y, yv],
  ]);
  sess.runOne(new Operation(nodeOf(r, 'init')));
  const [mg, ag] = sess.run([nodeOf(r, 'manual_grads'), nodeOf(r, 'auto_grads')], feeds);
  let maxGradDiff = 0;
  for (let i = 0; i < mg.size; i++) maxGradDiff = Math.max(maxGradDiff, Math.abs(mg.data[i] - ag.data[i]));
  print(`manual vs gradients(): max |difference| = ${maxGradDiff.toExponential(3)}`);
  const runs: HousingRun[] = [];
  for (const method of ['manual', 'autodiff', 'optimized']) {
    const mse = nodeOf(r, method, 'mse');
    const op = nodeOf(r, method, 'training_op');
    const theta = nodeOf(r, method, 'theta');
    const log: [number, number][] = [];
    print(`-- ${method}`);
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (epoch % 100 === 0) {
        const v = sess.runOne(mse, feeds)!.data[0];
        log.push([epoch, v]);
        print(`Epoch ${epoch} MSE = ${v}`);
      }
      sess.runOne(op.hasOutput ? op : new Operation(op), feeds);
    }
    const final = sess.runOne(mse, feeds)!.data[0];
    log.push([epochs, final]);
    const th = Array.from(sess.runOne(theta)!.data);
    print(`best theta: [${th.map((v) => v.toFixed(6)).join(', ')}]`);
    runs.push({ method, theta: th, mse: log });
  }
  return { runs, maxGradDiff };
}

if (isMain(import.meta.url)) runHousingGD(Number(process.argv[2] ?? 1000), (s) => console.log(s));
