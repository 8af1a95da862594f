/**
 * @fileoverview The moons sample: logistic regression with the enhanced features and
 * mini-batch gradient descent reaches precision and recall of at least 0.97 on the held-out 20%.
 */
import t from 'tap';
import { makeMoons } from '../../session/io/moons.js';
import { runMoons } from '../../samples/moons_logreg.js';

t.test('make_moons follows the scikit-learn recipe', async (tt) => {
  const { X, y } = makeMoons(10, 0, 1, false);
  tt.same(y, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  tt.same(X[0], [1, 0]);
  tt.ok(Math.abs(X[4][0] + 1) < 1e-12 && Math.abs(X[4][1]) < 1e-12, 'outer moon ends at (-1, 0)');
  tt.same(X[5], [0, 0.5]);
  tt.ok(Math.abs(X[9][0] - 2) < 1e-12 && Math.abs(X[9][1] - 0.5) < 1e-12, 'inner moon ends at (2, 0.5)');
  const a = makeMoons(100, 0.1, 7, true);
  const b = makeMoons(100, 0.1, 7, true);
  tt.same(a, b, 'seeded');
  tt.equal(a.y.filter((v) => v === 1).length, 50);
});

t.test('moons_logreg: precision and recall >= 0.97 on the held-out 20%', async (tt) => {
  const { precision, recall } = runMoons(500);
  tt.ok(precision >= 0.97, `precision ${precision}`);
  tt.ok(recall >= 0.97, `recall ${recall}`);
});
