/**
 * @fileoverview Data sets at construction time (the seed's `fetch_california_housing()` and
 * `make_moons()`): `load_csv(path, target=None)` reads a numeric CSV (path relative to the
 * `.tfg` file) and `make_moons(n_samples=1000, noise=0.1, seed=None, shuffle=True)` generates
 * scikit-learn's two moons. Both give a `Dataset` object whose `.data` (rows of floats) and
 * `.target` (floats for CSV, ints for moons) are Python lists that `constant()` accepts, plus
 * `.shape` (m, n) and `.feature_names`.
 */
import { parseCsv } from '../../../session/io/csv-text.js';
import { NotFoundError } from '../../../session/errors.js';
import { host } from '../../host.js';
import { makeMoons } from '../../../session/io/moons.js';
import type { Ctx } from '../context.js';
import { intArg, numberArg, optStrArg, strArg } from '../convert.js';
import { FE, FrontendError, valueError } from '../errors.js';
import { type Value, NONE, float, int, list, object, str, tuple } from '../values.js';
import { type BuiltinDef, arg, builtin } from './spec.js';

/** A Dataset value from rows of features and optional targets. */
function dataset(rows: number[][], target: number[] | null, names: string[], intTarget: boolean): Value {
  const m = rows.length;
  const n = m ? rows[0].length : names.length;
  return object('Dataset', {
    data: list(rows.map((r) => list(r.map(float)))),
    target: target ? list(target.map((v) => (intTarget ? int(v) : float(v)))) : NONE,
    shape: tuple([int(m), int(n)]),
    feature_names: list(names.map(str)),
  });
}

function loadCsv(ctx: Ctx, path: string, target: string | null): Value {
  const full = host().resolvePath(ctx.span ? ctx.span.file.name : null, path);
  let table;
  try {
    let text: string;
    try {
      text = host().readText(full);
    } catch (e) {
      throw new NotFoundError(`${full}: cannot read CSV file (${(e as { code?: string }).code ?? (e as Error).message})`);
    }
    table = parseCsv(text, { dtype: 'f64', target: target ?? undefined, source: path });
  } catch (e) {
    throw new FrontendError(FE.VALUE, 'OSError', `load_csv(${JSON.stringify(path)}): ${(e as Error).message}`);
  }
  const f = table.features;
  const n = f.shape[1];
  const rows: number[][] = [];
  for (let i = 0; i < f.shape[0]; i++) rows.push(Array.from(f.data.subarray(i * n, (i + 1) * n)));
  return dataset(rows, table.target ? Array.from(table.target.data) : null, table.columns, false);
}

const G = 'Data';

export const DATA_BUILTINS: BuiltinDef[] = [
  builtin(
    G,
    'load_csv',
    'path, target=None',
    'sklearn.datasets.fetch_* (a CSV)',
    'A Dataset from a numeric CSV (path relative to the .tfg file; header detected): `.data` rows of floats, `.target` (the `target` column), `.shape`, `.feature_names`.',
    (a, ctx) => loadCsv(ctx, strArg(arg(a, 'path'), 'path'), optStrArg(arg(a, 'target'), 'target')),
  ),
  builtin(
    G,
    'make_moons',
    'n_samples=1000, noise=0.1, seed=None, shuffle=True',
    'sklearn.datasets.make_moons',
    "Two interleaving half circles (scikit-learn's recipe), seeded: `.data` [n, 2], `.target` ints 0/1, `.shape`.",
    (a) => {
      const n = intArg(arg(a, 'n_samples'), 'n_samples');
      if (n < 2) throw valueError(`make_moons(): n_samples must be at least 2, got ${n}`);
      const noise = numberArg(arg(a, 'noise'), 'noise');
      const sd = arg(a, 'seed');
      const sh = arg(a, 'shuffle');
      const { X, y } = makeMoons(n, noise, sd.kind === 'none' ? 42 : intArg(sd, 'seed'), sh.kind === 'bool' ? sh.value : true);
      return dataset(X, y, ['x1', 'x2'], true);
    },
  ),
];
