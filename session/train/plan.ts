/**
 * @fileoverview What the trainer runs: a checked training recipe as plain JSON (`TrainPlan`,
 * produced from a `.tfg` `train { }` block by compiler/frontend/recipe.ts, editable by `--set`),
 * and the small session interface (`TrainSession`) both the reference Session and the wasm
 * Session satisfy. Browser-safe; never imports compiler/.
 */
import type { DType } from '../dtype.js';
import type { Session } from '../session.js';

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
  /** Histograms of `histograms` at step 0 of a fresh run and every this many steps (0: none). */
  histograms_every_steps?: number;
  /** The variables (node names, also the tags) whose histograms are written: the trainable ones. */
  histograms?: string[];
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
  /** Extra constant feeds every step (a `--lr` override: the optimizers' learning-rate tensors), node name → value. */
  constant_feeds: Record<string, number>;
  /** dtype and static shape of every fed node (data columns are converted to them once). */
  placeholders: Record<string, { dtype: DType; shape: (number | null)[] | null }>;
}

/** What the trainer needs of a session: the one Session interface (session/session.ts). */
export type TrainSession = Pick<Session, 'run' | 'readVariable' | 'writeVariable' | 'variableNames'>;

/**
 * The entry points a recipe compiles to (compiler/frontend/recipe.ts `recipeSignatures`; `tfg
 * train` and `tfg compile` both export them): each step is one call of the compiled module.
 */
export const TRAIN_SIGNATURES = {
  /** feeds → [train op, loss]. */
  step: 'tfg_train_step',
  /** feeds → [train op, loss, summary scalars...]. */
  stepWithSummaries: 'tfg_train_step_summaries',
  /** feeds → [metrics..., loss]. */
  eval: 'tfg_eval_step',
} as const;
