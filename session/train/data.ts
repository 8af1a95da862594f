/**
 * @fileoverview A recipe's data, materialised for the trainer (browser-safe): loads each source
 * through the host's loader (files in Node: session/node/data.ts; a page fetches or reads picked
 * files), generates `moons(...)` itself, converts every fed column to its placeholder's dtype and
 * static shape once (so batches copy straight into the session's input buffers), splits
 * validation and test fractions off the training rows (seeded), applies `limit`, and
 * standardises the `scale` columns with statistics fitted on the training split only.
 */
import { type DType, allocArray } from '../dtype.js';
import { InvalidArgumentError } from '../errors.js';
import { Dataset, type Splits, splitDataset, standardizeSplits } from '../io/dataset.js';
import { makeMoons } from '../io/moons.js';
import { Tensor } from '../tensor.js';
import type { DataSourceSpec, TrainPlan } from './plan.js';

export interface TrainData extends Splits {
  /** Scaler statistics per scaled column (for the record in the checkpoint state). */
  scalers: Record<string, { mean: number[]; std: number[] }>;
}

/** How a source is named in messages. */
export function describeSource(s: DataSourceSpec): string {
  switch (s.kind) {
    case 'mnist':
      return `mnist(split="${s.split}")`;
    case 'csv':
    case 'npz':
      return `${s.kind}("${s.path}")`;
    default:
      return `moons(n_samples=${s.n_samples})`;
  }
}

/** `moons(...)`: generated, no file. */
export function moonsSource(s: Extract<DataSourceSpec, { kind: 'moons' }>, limit: number | null): Dataset {
  const { X, y } = makeMoons(s.n_samples, s.noise, s.seed ?? 42, true);
  const f = new Float64Array(X.length * 2);
  X.forEach((r, i) => f.set(r, i * 2));
  return cut(new Dataset({ features: new Tensor('f64', [X.length, 2], f), labels: new Tensor('i32', [y.length], Int32Array.from(y)) }), limit);
}

export function cut(ds: Dataset, limit: number | null): Dataset {
  return limit !== null && limit < ds.size ? ds.slice(0, limit) : ds;
}

/** A column converted to a placeholder's dtype and reshaped to its static row shape. */
function conform(t: Tensor, dtype: DType, shape: (number | null)[] | null, what: string): Tensor {
  let data = t.data;
  if (t.dtype !== dtype) {
    data = allocArray(dtype, t.size);
    for (let i = 0; i < t.size; i++) {
      const v = t.data[i];
      if (dtype === 'i32' && !Number.isInteger(v))
        throw new InvalidArgumentError(`${what}: value ${v} at index ${i} is not an integer, but the placeholder is int32`);
      data[i] = dtype === 'bool' ? (v ? 1 : 0) : v;
    }
  }
  let outShape = t.shape;
  if (shape !== null && shape.length >= 1) {
    const row = shape.slice(1);
    const rowSize = t.shape.slice(1).reduce((a, b) => a * b, 1);
    if (row.every((d) => d !== null)) {
      const want = (row as number[]).reduce((a, b) => a * b, 1);
      if (want !== rowSize)
        throw new InvalidArgumentError(
          `${what}: rows of shape [${t.shape.slice(1).join(', ')}] cannot feed a placeholder of shape [${shape.map((d) => d ?? '?').join(', ')}]`,
        );
      outShape = [t.shape[0], ...(row as number[])];
    } else if (row.length !== t.shape.length - 1) {
      throw new InvalidArgumentError(`${what}: a column of rank ${t.rank} cannot feed a placeholder of rank ${shape.length}`);
    }
  }
  return new Tensor(dtype, outShape, data);
}

/** Keep the fed columns, converted to their placeholders' dtypes and shapes. */
function forFeeds(ds: Dataset, plan: TrainPlan, what: string): Dataset {
  const cols: Record<string, Tensor> = {};
  for (const [ph, col] of Object.entries(plan.feed)) {
    const t = ds.columns[col];
    if (!t) throw new InvalidArgumentError(`${what} has no column '${col}' for placeholder '${ph}' (columns: ${ds.names.join(', ')})`);
    const n = plan.placeholders[ph];
    if (!n) throw new InvalidArgumentError(`the plan has no dtype and shape for placeholder '${ph}'`);
    if (!cols[col]) cols[col] = conform(t, n.dtype, n.shape, `${what} column '${col}' → placeholder '${ph}'`);
  }
  return new Dataset(cols);
}

/** Loads one data source as named columns (the host's: files in Node, fetched or picked files in a page). */
export type SourceLoader = (s: DataSourceSpec, limit: number | null) => Dataset;

/** Load, split, conform and scale the data of a plan. */
export function loadTrainData(plan: TrainPlan, load: SourceLoader): TrainData {
  const d = plan.data;
  const loadSource = (s: DataSourceSpec, limit: number | null): Dataset => (s.kind === 'moons' ? moonsSource(s, limit) : load(s, limit));
  const train = loadSource(d.train, d.limit);
  const fractions: { train: number; validation?: number; test?: number } = { train: 1 };
  if (typeof d.validation === 'number') fractions.validation = d.validation;
  if (typeof d.test === 'number') fractions.test = d.test;
  let splits: Splits = { train };
  if (fractions.validation !== undefined || fractions.test !== undefined) {
    fractions.train = 1 - (fractions.validation ?? 0) - (fractions.test ?? 0);
    splits = splitDataset(train, fractions, d.split_seed);
    if (splits.validation && splits.validation.size === 0)
      throw new InvalidArgumentError(`the validation fraction ${d.validation} of ${train.size} rows is empty`);
  }
  if (d.validation !== null && typeof d.validation === 'object') splits.validation = loadSource(d.validation, d.limit);
  if (d.test !== null && typeof d.test === 'object') splits.test = loadSource(d.test, d.limit);
  const conv = (ds: Dataset | undefined, what: string) => (ds ? forFeeds(ds, plan, what) : undefined);
  splits = {
    train: conv(splits.train, describeSource(d.train))!,
    validation: conv(splits.validation, 'the validation data'),
    test: conv(splits.test, 'the test data'),
  };
  if (splits.train.size === 0) throw new InvalidArgumentError('the training split is empty');
  const scalers: TrainData['scalers'] = {};
  if (d.scale.length) {
    const scaled = standardizeSplits(splits, d.scale);
    splits = scaled.splits;
    for (const [k, s] of Object.entries(scaled.scalers)) scalers[k] = s.toJSON();
  }
  return { ...splits, scalers };
}
