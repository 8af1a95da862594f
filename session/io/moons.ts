/**
 * @fileoverview scikit-learn's two moons (`make_moons`), the data of the seed's logistic
 * regression: used at construction time (`make_moons(...)` in a .tfg program) and by training
 * recipes (`moons(...)` data sources). Pure and browser-safe.
 */
import { mulberry32 } from '../random.js';
import { cos, log, sin } from './libm.js';

/**
 * scikit-learn's make_moons recipe: n_out = n // 2 points (cos t, sin t) and n - n_out points
 * (1 - cos t, 1 - sin t - 0.5), t = linspace(0, pi, ·); labels 0 then 1; shuffled and Gaussian
 * noise added (Box–Muller) from a seeded generator. The stream differs from numpy's, so the
 * points are not sklearn's, only their distribution.
 *
 * The same bits in every JS engine: cos, sin and log are ./libm.ts's fixed-algorithm ones (the
 * engines' `Math.cos`/`Math.sin`/`Math.log` differ in the last bit between V8 versions, which made
 * a page's rows differ from Node's); the rest is +, -, *, / and `Math.sqrt`, all exactly rounded.
 */
export function makeMoons(nSamples: number, noise: number, seed: number, shuffle: boolean): { X: number[][]; y: number[] } {
  const nOut = Math.floor(nSamples / 2);
  const nIn = nSamples - nOut;
  const lin = (k: number, i: number): number => (k === 1 ? 0 : (Math.PI * i) / (k - 1));
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < nOut; i++) {
    X.push([cos(lin(nOut, i)), sin(lin(nOut, i))]);
    y.push(0);
  }
  for (let i = 0; i < nIn; i++) {
    X.push([1 - cos(lin(nIn, i)), 1 - sin(lin(nIn, i)) - 0.5]);
    y.push(1);
  }
  const r = mulberry32(seed);
  if (shuffle) {
    for (let i = X.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [X[i], X[j]] = [X[j], X[i]];
      [y[i], y[j]] = [y[j], y[i]];
    }
  }
  if (noise > 0) {
    for (const row of X) {
      for (let k = 0; k < 2; k++) {
        const u1 = 1 - r();
        const u2 = r();
        row[k] += noise * Math.sqrt(-2 * log(u1)) * cos(2 * Math.PI * u2);
      }
    }
  }
  return { X, y };
}
