/**
 * @fileoverview The California housing samples: the seed's manual gradient equals
 * gradients(mse, [theta])[0] to 1e-6; the three ways (manual, gradients, optimizer) reach the
 * same theta after 1000 epochs with decreasing MSE; Momentum reaches the normal-equation solution.
 */
import t from 'tap';
import { runHousingGD } from '../../samples/housing_gd.js';
import { runHousingMomentum } from '../../samples/housing_momentum.js';

t.test('housing_gd: manual gradients, gradients() and GradientDescentOptimizer agree', async (tt) => {
  const { runs, maxGradDiff } = runHousingGD(1000);
  tt.ok(maxGradDiff < 1e-6, `manual and symbolic gradients agree (max diff ${maxGradDiff})`);
  const [manual, auto, opt] = runs;
  for (const r of runs) {
    tt.equal(r.mse.length, 11, `${r.method}: MSE every 100 epochs + final`);
    tt.ok(r.mse[10][1] < r.mse[0][1] && r.mse[10][1] < 0.56, `${r.method}: MSE falls to ${r.mse[10][1]}`);
  }
  manual.theta.forEach((v, i) => {
    tt.ok(Math.abs(v - auto.theta[i]) < 1e-9, `theta[${i}] manual = gradients()`);
    // the optimizer's learning rate is a float32 Const cast to float64, as in TF1
    tt.ok(Math.abs(v - opt.theta[i]) < 1e-5, `theta[${i}] manual ≈ optimizer`);
  });
});

t.test('housing_momentum: Momentum converges to the normal-equation solution', async (tt) => {
  const { theta, best, steps } = runHousingMomentum(1000);
  tt.equal(steps, 1000, 'global_step counted every update');
  theta.forEach((v, i) => tt.ok(Math.abs(v - best[i]) < 1e-3, `theta[${i}] = ${v} vs normal equation ${best[i]}`));
});
