/**
 * @fileoverview Runs samples/housing_momentum.tfg: MomentumOptimizer(0.01, 0.9) for 1000
 * epochs (MSE printed every 100) and compares theta with the normal-equation solution.
 * Usage: node dist/samples/housing_momentum.js [epochs]
 */
import { ReferenceSession } from '../compiler/interp/session.js';
import { Operation } from '../compiler/ir/graph.js';
import type { Tensor } from '../session/tensor.js';
import { buildSample, isMain, nodeOf } from './run-sample.js';

export function runHousingMomentum(epochs = 1000, print: (s: string) => void = () => {}): { theta: number[]; best: number[]; steps: number } {
  const r = buildSample('housing_momentum.tfg');
  const sess = new ReferenceSession(r.defaultGraph);
  const X = nodeOf(r, 'X');
  const y = nodeOf(r, 'y');
  const [Xv, yv, best] = sess.run([X, y, nodeOf(r, 'theta_best')]);
  const feeds = new Map<typeof X, Tensor>([
    [X, Xv],
    [y, yv],
  ]);
  sess.runOne(new Operation(nodeOf(r, 'init')));
  const mse = nodeOf(r, 'mse');
  const op = nodeOf(r, 'training_op');
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (epoch % 100 === 0) print(`Epoch ${epoch} MSE = ${sess.runOne(mse, feeds)!.data[0]}`);
    sess.runOne(new Operation(op), feeds);
  }
  const theta = Array.from(sess.runOne(nodeOf(r, 'theta'))!.data);
  const steps = sess.runOne(nodeOf(r, 'global_step'))!.data[0];
  print(`theta:      [${theta.map((v) => v.toFixed(6)).join(', ')}]`);
  print(`theta_best: [${Array.from(best.data, (v) => v.toFixed(6)).join(', ')}]`);
  return { theta, best: Array.from(best.data), steps };
}

if (isMain(import.meta.url)) runHousingMomentum(Number(process.argv[2] ?? 1000), (s) => console.log(s));
