/**
 * @fileoverview What the trainer runs: a checked training recipe as plain JSON (`TrainPlan`,
 * produced from a `.tfg` `train { }` block by compiler/train/recipe.ts, editable by `--set`),
 * and the small session interface (`TrainSession`) both the reference Session and the wasm
 * Session satisfy. Browser-safe; never imports compiler/.
 */
import type { Tensor } from '../tensor.js';

/** A lazy data source, as the recipe's `mnist(...)`, `csv(...)`, `npz(...)`, `moons(...)` describe it. */
export type DataSourceSpec =
  | { kind: 'mnist'; split: 'train' | 'test'; normalize: boolean; limit: number | null }
  | { kind: 'csv'; path: string; target: string | null; columns_selected: (string | number)[] | null }
  | { kind: 'npz'; path: string }
  | { kind: 'moons'; n_samples: number; noise: number; seed: number | null };

export interface DataPlan {
  train: DataSourceSpec;
  /** A source, or a fraction of the training source held out (seeded by split_seed), or none. */
  validation: DataSourceSpec | number | null;
  test: DataSourceSpec | number | null;
  split_seed: number;
  /** Columns standardised with statistics of the training split only. */
  scale: string[];
  /** Use at most this many rows of each source (quick runs). */
  limit: number | null;
}

export interface EarlyStoppingPlan {
  /** A metric name of `metrics` (or `loss`). */
  metric: string;
  mode: 'min' | 'max';
  /** Evaluations without improvement before stopping. */
  patience: number;
  min_delta: number;
  /** Which split the metric is read on. */
  on: 'validation' | 'test';
}

export interface CheckpointPlan {
  /** Directory (default `<logdir>/checkpoints`). */
  dir: string | null;
  every_epochs: number | null;
  every_steps: number | null;
  max_to_keep: number;
}

export interface SummaryPlan {
  /** Log the summary scalars (and the running train loss) every this many steps. */
  every_steps: number;
  /** tag → tensor node name. */
  scalars: Record<string, string>;
}

export interface TrainPlan {
  /** The recipe's name (`train name { }`), or null. */
  name: string | null;
  data: DataPlan;
  /** placeholder node name → data column. */
  feed: Record<string, string>;
  /** The train op's node name (fetched as an operation). */
  op: string;
  /** The loss tensor's node name, or null. */
  loss: string | null;
  /** Node name of the initializer op, or null: every global variable's initializer. */
  init: string | null;
  epochs: number;
  batch_size: number;
  /** Seed of the shuffling stream. */
  seed: number;
  /** metric name → scalar tensor node name (a mean over the batch's examples). */
  metrics: Record<string, string>;
  eval_every: number;
  eval_batch_size: number;
  early_stopping: EarlyStoppingPlan | null;
  checkpoint: CheckpointPlan;
  summaries: SummaryPlan;
  logdir: string | null;
  /** Extra constant feeds every step (a `--lr` override of a placeholder), node name → value. */
  constant_feeds: Record<string, number>;
}

/**
 * What the trainer needs of a session: TF1's run by names (`"x:0"` a tensor, `"op"` an
 * operation), and variables by name. ReferenceSession and WasmSession both provide it.
 */
export interface TrainSession {
  run(fetches: string[], feeds?: Record<string, Tensor>): unknown;
  readVariable(name: string): Tensor;
  writeVariable(name: string, value: Tensor): void;
  variableNames(): string[];
}
