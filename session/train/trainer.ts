/**
 * @fileoverview The training loop of a `TrainPlan` over a `TrainSession` (reference or wasm):
 * epochs of seeded shuffled mini-batches (each batch gathered once into reused feed buffers),
 * one run of the train op (and loss, and the summary scalars on summary steps) per step,
 * metrics on the validation/test data every `eval_every` epochs (in batches, averaged over
 * examples: sum(metric·batch size) / examples), early stopping, summaries and checkpoints.
 *
 * Exact resume: a checkpoint holds every variable plus the `TrainState` (global step, epoch,
 * the BatchIterator's state — epoch, position, Philox block of the epoch's shuffle — and the
 * early-stopping counters), taken after the step's evaluation and early-stopping update. A run
 * restored from it performs exactly the steps the uninterrupted run would have, on the same
 * batches in the same order, so it ends with bitwise the same weights (given a train step
 * without random ops; the recipe checker notes those).
 *
 * Browser-safe: checkpoints and summaries go through the `CheckpointSink`/`SummarySink`
 * interfaces (session/node/ implements them with files); `shouldStop()` (SIGINT) is checked after
 * every step and the loop yields to the event loop every `yieldMs` so signals are seen.
 */
import type { AnyTypedArray } from '../dtype.js';
import { allocArray } from '../dtype.js';
import { DataLossError, InvalidArgumentError } from '../errors.js';
import { BatchIterator, type Dataset, type IteratorState, type Splits } from '../io/dataset.js';
import { Tensor } from '../tensor.js';
import type { TrainPlan, TrainSession } from './plan.js';

export interface TrainState {
  format: 'tfg-train-state';
  version: 1;
  /** Steps done. */
  global_step: number;
  /** Epochs completed. */
  epoch: number;
  iterator: IteratorState;
  /** Early stopping: best value so far, evaluations since it improved, and whether it stopped. */
  best: number | null;
  best_epoch: number | null;
  /** The global step of the best evaluation (null in states written before it was recorded). */
  best_step: number | null;
  bad_evals: number;
  stopped_early: boolean;
  /** Running sums of the current epoch's training loss (for the epoch line). */
  epoch_loss_sum: number;
  epoch_examples: number;
  /** The latest evaluation, by split then metric. */
  last_metrics: Record<string, Record<string, number>>;
}

/** The float variables (weights, optimizer slots) of the best evaluation so far, with its metrics. */
export interface BestWeights {
  vars: Map<string, Tensor>;
  metrics: Record<string, Record<string, number>>;
  epoch: number;
  step: number;
}

export interface CheckpointSink {
  save(vars: Map<string, Tensor>, state: TrainState, step: number): string;
  /**
   * Keep the best evaluation's weights beside the checkpoints, so that a run resumed after its
   * best epoch still ends on them. Called just before a `save` whose state's `best_step` is not
   * its own step (once per best); sinks without it lose the best weights on resume.
   */
  saveBest?(best: BestWeights): string;
}

export interface SummarySink {
  scalars(values: Record<string, number>, step: number): void;
  /** Histograms of tensors' values (tag → values) at `step`; sinks without it get none. */
  histograms?(values: Record<string, ArrayLike<number>>, step: number): void;
  flush(): void;
}

export type TrainEvent =
  | {
      type: 'start';
      resumed: boolean;
      step: number;
      epoch: number;
      stepsPerEpoch: number;
      totalSteps: number;
      trainSize: number;
      validationSize: number;
      testSize: number;
    }
  | { type: 'step'; step: number; epoch: number; batchInEpoch: number; loss: number | null }
  | { type: 'epoch'; epoch: number; step: number; trainLoss: number | null; metrics: Record<string, Record<string, number>> }
  | { type: 'checkpoint'; step: number; path: string }
  | { type: 'early_stop'; epoch: number; metric: string; best: number; bestEpoch: number }
  /** With early stopping, the run ends on the best evaluation's weights (Keras' restore_best_weights). */
  | { type: 'restore_best'; epoch: number; step: number; metric: string; best: number }
  | { type: 'interrupted'; step: number; path: string | null };

export interface TrainResult {
  state: TrainState;
  /** How the run ended. */
  reason: 'completed' | 'early_stopped' | 'interrupted' | 'already_done';
  /** Final evaluation (split → metric → value). */
  metrics: Record<string, Record<string, number>>;
  /** Last checkpoint written (or restored), if any. */
  checkpoint: string | null;
  stepsRun: number;
  /** The epoch whose weights the run ended on after early stopping restored them, else null. */
  bestEpoch: number | null;
}

export interface TrainerOptions {
  plan: TrainPlan;
  session: TrainSession;
  data: Splits;
  checkpoints?: CheckpointSink | null;
  summaries?: SummarySink | null;
  onEvent?: (e: TrainEvent) => void;
  /** Polled after every step; true saves a checkpoint and returns ('interrupted'). */
  shouldStop?: () => boolean;
  /** Yield to the event loop when this many ms passed since the last yield (default 25). */
  yieldMs?: number;
  /** The state of the checkpoint the session's variables were restored from (resume), or null. */
  resume?: TrainState | null;
  /** The prefix that state came from. */
  resumedFrom?: string | null;
  /**
   * The best weights of the run being resumed (what `saveBest` wrote for `resume.best_step`):
   * with them a run resumed after its best evaluation ends on the same weights as the
   * uninterrupted run. Not needed when the best is the resumed checkpoint itself.
   */
  resumeBest?: BestWeights | null;
  /** Clock in ms (tests). */
  now?: () => number;
}

/**
 * A state from a checkpoint's JSON, every field checked: InvalidArgumentError when it is no
 * training state at all, DataLossError naming the field when one is out of its range or of the
 * wrong type (a hand-edited or damaged state never resumes a run silently). JSON turns a NaN
 * into null, so the running loss sum and the metrics may be null (read back as NaN).
 */
export function parseTrainState(s: unknown, where: string): TrainState {
  const o = s as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o) || o.format !== 'tfg-train-state') {
    throw new InvalidArgumentError(
      `${where} holds no training state (it was not written by tfg train); start without resuming (--no-resume) or pick another logdir`,
    );
  }
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new DataLossError(
      `${where} holds a damaged training state: ${field} is ${JSON.stringify(value) ?? String(value)}, expected ${expected}; start without resuming (--no-resume) or delete that checkpoint`,
    );
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const count = (v: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number =>
    Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= max
      ? (v as number)
      : bad(field, v, max === Number.MAX_SAFE_INTEGER ? 'a non-negative integer' : `an integer in [0, ${max}]`);
  const numberOrNaN = (v: unknown, field: string): number => (v === null ? NaN : typeof v === 'number' ? v : bad(field, v, 'a number (or null for NaN)'));
  if (o.version !== 1) bad('version', o.version, '1');
  const global_step = count(o.global_step, 'global_step');
  // Every epoch takes at least one step.
  const epoch = count(o.epoch, 'epoch', global_step);
  const it = o.iterator;
  if (!isObject(it)) return bad('iterator', it, 'an object (the data position)');
  const iterator: IteratorState = {
    epoch: count(it.epoch, 'iterator.epoch'),
    position: count(it.position, 'iterator.position'),
    rngBlock: count(it.rngBlock, 'iterator.rngBlock'),
    seed: Number.isSafeInteger(it.seed) ? (it.seed as number) : bad('iterator.seed', it.seed, 'an integer'),
    batchSize:
      Number.isSafeInteger(it.batchSize) && (it.batchSize as number) > 0
        ? (it.batchSize as number)
        : bad('iterator.batchSize', it.batchSize, 'a positive integer'),
    shuffle: typeof it.shuffle === 'boolean' ? it.shuffle : bad('iterator.shuffle', it.shuffle, 'true or false'),
    dropRemainder: typeof it.dropRemainder === 'boolean' ? it.dropRemainder : bad('iterator.dropRemainder', it.dropRemainder, 'true or false'),
    size: Number.isSafeInteger(it.size) && (it.size as number) > 0 ? (it.size as number) : bad('iterator.size', it.size, 'a positive integer'),
  };
  if (iterator.epoch !== epoch) bad('iterator.epoch', iterator.epoch, `the state's epoch (${epoch})`);
  if (iterator.position >= iterator.size) bad('iterator.position', iterator.position, `a row below iterator.size (${iterator.size})`);
  const best = o.best === null ? null : typeof o.best === 'number' ? o.best : bad('best', o.best, 'a number or null');
  const best_epoch = o.best_epoch === null ? null : count(o.best_epoch, 'best_epoch', epoch);
  // (best may be null beside an epoch: a NaN best is written as null.)
  if (best !== null && best_epoch === null) bad('best_epoch', o.best_epoch, 'the epoch of best');
  // (Absent in states written before it was recorded: such a run cannot find its best weights.)
  const best_step = o.best_step === undefined || o.best_step === null ? null : count(o.best_step, 'best_step', global_step);
  if (best_step !== null && best_epoch === null) bad('best_step', o.best_step, 'null (there is no best_epoch)');
  const bad_evals = count(o.bad_evals, 'bad_evals', epoch);
  const stopped_early = typeof o.stopped_early === 'boolean' ? o.stopped_early : bad('stopped_early', o.stopped_early, 'true or false');
  const epoch_loss_sum = numberOrNaN(o.epoch_loss_sum, 'epoch_loss_sum');
  const epoch_examples = count(o.epoch_examples, 'epoch_examples');
  const lm = o.last_metrics;
  if (!isObject(lm)) return bad('last_metrics', lm, 'an object of splits');
  const last_metrics: Record<string, Record<string, number>> = {};
  for (const [split, ms] of Object.entries(lm)) {
    if (!isObject(ms)) return bad(`last_metrics.${split}`, ms, 'an object of metrics');
    last_metrics[split] = {};
    for (const [k, v] of Object.entries(ms)) last_metrics[split][k] = numberOrNaN(v, `last_metrics.${split}.${k}`);
  }
  return {
    format: 'tfg-train-state',
    version: 1,
    global_step,
    epoch,
    iterator,
    best,
    best_epoch,
    best_step,
    bad_evals,
    stopped_early,
    epoch_loss_sum,
    epoch_examples,
    last_metrics,
  };
}

/** Feed name of a placeholder node. */
const feedName = (ph: string): string => `${ph}:0`;

export class Trainer {
  readonly plan: TrainPlan;
  private readonly sess: TrainSession;
  private readonly iter: BatchIterator;
  private readonly buffers: Record<string, AnyTypedArray> = {};
  private readonly evalNames: [string, string][];
  private readonly summaryTags: [string, string][];
  private readonly now: () => number;

  constructor(readonly opts: TrainerOptions) {
    this.plan = opts.plan;
    this.sess = opts.session;
    this.now = opts.now ?? (() => Date.now());
    const p = this.plan;
    const train = opts.data.train;
    this.iter = new BatchIterator(train, { batchSize: p.batch_size, shuffle: true, seed: p.seed });
    // One reused buffer per fed column: each batch is gathered into it once.
    for (const col of new Set(Object.values(p.feed))) {
      const t = train.columns[col];
      this.buffers[col] = allocArray(t.dtype, p.batch_size * (t.size / Math.max(1, t.shape[0])));
    }
    this.evalNames = Object.entries(p.metrics);
    if (p.loss && !Object.values(p.metrics).includes(p.loss)) this.evalNames.push(['loss', p.loss]);
    const hEvery = p.summaries.histograms_every_steps ?? 0;
    if (!Number.isSafeInteger(hEvery) || hEvery < 0)
      throw new InvalidArgumentError(`summaries.histograms_every_steps must be an integer >= 0, got ${JSON.stringify(hEvery)}`);
    this.summaryTags = Object.entries(p.summaries.scalars);
    if (p.loss && !this.summaryTags.some(([, n]) => n === p.loss)) this.summaryTags.push([p.loss, p.loss]);
  }

  private constantFeeds(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, v] of Object.entries(this.plan.constant_feeds)) out[feedName(name)] = new Tensor('f32', [], Float32Array.of(v));
    return out;
  }

  private freshState(): TrainState {
    return {
      format: 'tfg-train-state',
      version: 1,
      global_step: 0,
      epoch: 0,
      iterator: this.iter.state(),
      best: null,
      best_epoch: null,
      best_step: null,
      bad_evals: 0,
      stopped_early: false,
      epoch_loss_sum: 0,
      epoch_examples: 0,
      last_metrics: {},
    };
  }

  /** Initialize variables: the recipe's init op, else every variable's initializer (by running `init` of the graph). */
  private initialize(): void {
    if (this.plan.init) this.sess.run([this.plan.init], this.constantFeeds());
  }

  /** Metrics over a dataset: batches in order, each metric weighted by its batch's size. */
  evaluate(ds: Dataset): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.evalNames.length === 0 || ds.size === 0) return out;
    const sums = new Float64Array(this.evalNames.length);
    const fetches = this.evalNames.map(([, n]) => feedName(n));
    const bs = this.plan.eval_batch_size;
    const cf = this.constantFeeds();
    for (let start = 0; start < ds.size; start += bs) {
      const part = ds.slice(start, Math.min(ds.size, start + bs));
      const feeds: Record<string, Tensor> = { ...cf };
      for (const [ph, col] of Object.entries(this.plan.feed)) feeds[feedName(ph)] = part.columns[col];
      const vals = this.sess.run(fetches, feeds) as Tensor[];
      vals.forEach((v, i) => (sums[i] += Number(v.data[0]) * part.size));
    }
    this.evalNames.forEach(([name], i) => (out[name] = sums[i] / ds.size));
    return out;
  }

  private evaluateAll(): Record<string, Record<string, number>> {
    const m: Record<string, Record<string, number>> = {};
    if (this.opts.data.validation) m.validation = this.evaluate(this.opts.data.validation);
    if (this.opts.data.test) m.test = this.evaluate(this.opts.data.test);
    return m;
  }

  /** The trainable variables' histograms (plan.summaries.histograms), tagged by variable name. */
  private writeHistograms(step: number): void {
    const sink = this.opts.summaries;
    const names = this.plan.summaries.histograms ?? [];
    if (!sink?.histograms || names.length === 0) return;
    sink.histograms(Object.fromEntries(names.map((n) => [n, this.sess.readVariable(n).data])), step);
  }

  /** The weights of the best evaluation so far (early stopping), kept in memory with its metrics. */
  private bestSnapshot: BestWeights | null = null;
  /** The step of the best weights the sink holds (saveBest), if any. */
  private bestSavedStep: number | null = null;

  /**
   * On resume, the best evaluation's weights: the restored variables when the checkpoint is the
   * best evaluation's own, else `resumeBest` (which must be that evaluation's).
   */
  private resumeBestSnapshot(state: TrainState): void {
    if (state.best_epoch === null || state.best_step === null) return;
    if (state.best_step === state.global_step) {
      this.bestSnapshot = { vars: this.floatVariables(), metrics: state.last_metrics, epoch: state.best_epoch, step: state.best_step };
      return;
    }
    const b = this.opts.resumeBest;
    if (!b) return;
    if (b.step !== state.best_step || b.epoch !== state.best_epoch) {
      throw new InvalidArgumentError(
        `the best weights given to resume are those of epoch ${b.epoch} (step ${b.step}), but ${this.opts.resumedFrom ?? 'the checkpoint'} records its best evaluation at epoch ${state.best_epoch} (step ${state.best_step})`,
      );
    }
    this.bestSnapshot = b;
    this.bestSavedStep = b.step;
  }

  /**
   * Early stopping's end: put back the weights of the best evaluation (as Keras'
   * EarlyStopping(restore_best_weights=True), or TF1's keep-the-best-checkpoint practice), so the
   * reported metrics and the last checkpoint are that epoch's. The float variables are restored
   * (weights and optimizer slots); integer ones (the global step) keep counting. A resumed run
   * has them from its checkpoint or from `resumeBest`.
   */
  private restoreBest(state: TrainState, emit: (e: TrainEvent) => void): boolean {
    const b = this.bestSnapshot;
    const es = this.plan.early_stopping;
    if (!es || !b || b.epoch !== state.best_epoch || b.step === state.global_step) return false;
    for (const [n, t] of b.vars) this.sess.writeVariable(n, t);
    state.last_metrics = b.metrics;
    emit({ type: 'restore_best', epoch: b.epoch, step: b.step, metric: es.metric, best: state.best! });
    return true;
  }

  /** The float variables (weights, optimizer slots); integer ones (the global step) are counters, not weights. */
  private floatVariables(): Map<string, Tensor> {
    return new Map([...this.variables()].filter(([, t]) => t.dtype === 'f32' || t.dtype === 'f64'));
  }

  private variables(): Map<string, Tensor> {
    return new Map(this.sess.variableNames().map((n) => [n, this.sess.readVariable(n)]));
  }

  async run(): Promise<TrainResult> {
    const p = this.plan;
    const emit = this.opts.onEvent ?? (() => {});
    let state: TrainState;
    let lastCkpt: string | null = this.opts.resumedFrom ?? null;
    let lastCkptStep = -1;
    if (this.opts.resume) {
      state = structuredClone(this.opts.resume);
      this.iter.restore(state.iterator);
      // With the same data and batch size (checked by restore), the step count follows from the
      // data position: each step is one batch.
      const spe = this.iter.batchesPerEpoch;
      const expected = state.iterator.epoch * spe + state.iterator.position / state.iterator.batchSize;
      if (state.global_step !== expected) {
        throw new DataLossError(
          `${this.opts.resumedFrom ?? 'the checkpoint'} holds a damaged training state: global_step is ${state.global_step}, but its data position (epoch ${state.iterator.epoch}, row ${state.iterator.position}, ${spe} batches of ${state.iterator.batchSize} per epoch) is step ${expected}; start without resuming (--no-resume) or delete that checkpoint`,
        );
      }
      lastCkptStep = state.global_step;
      this.resumeBestSnapshot(state);
    } else {
      this.initialize();
      state = this.freshState();
      // The initial values, at step 0 (as a TF1 loop that runs its merged summary before training).
      if ((p.summaries.histograms_every_steps ?? 0) > 0) this.writeHistograms(0);
    }
    const spe = this.iter.batchesPerEpoch;
    emit({
      type: 'start',
      resumed: Boolean(this.opts.resume),
      step: state.global_step,
      epoch: state.epoch,
      stepsPerEpoch: spe,
      totalSteps: spe * p.epochs,
      trainSize: this.opts.data.train.size,
      validationSize: this.opts.data.validation?.size ?? 0,
      testSize: this.opts.data.test?.size ?? 0,
    });
    const save = (): string | null => {
      if (!this.opts.checkpoints || lastCkptStep === state.global_step) return lastCkpt;
      state.iterator = this.iter.state();
      // The best weights first: a checkpoint never names a best that is not on disk.
      const b = this.bestSnapshot;
      if (b && b.step !== state.global_step && this.bestSavedStep !== b.step && this.opts.checkpoints.saveBest) {
        this.opts.checkpoints.saveBest(b);
        this.bestSavedStep = b.step;
      }
      lastCkpt = this.opts.checkpoints.save(this.variables(), state, state.global_step);
      lastCkptStep = state.global_step;
      emit({ type: 'checkpoint', step: state.global_step, path: lastCkpt });
      return lastCkpt;
    };
    if (state.stopped_early || state.epoch >= p.epochs) {
      const metrics = Object.keys(state.last_metrics).length ? state.last_metrics : this.evaluateAll();
      return { state, reason: 'already_done', metrics, checkpoint: lastCkpt, stepsRun: 0, bestEpoch: null };
    }
    const cf = this.constantFeeds();
    const trainFetches = [p.op, ...(p.loss ? [feedName(p.loss)] : [])];
    const summFetches = [...trainFetches, ...this.summaryTags.map(([, n]) => feedName(n))];
    let lastYield = this.now();
    let stepsRun = 0;
    let reason: TrainResult['reason'] = 'completed';
    while (state.epoch < p.epochs) {
      const batch = this.iter.next(this.buffers);
      const feeds: Record<string, Tensor> = { ...cf };
      for (const [ph, col] of Object.entries(p.feed)) feeds[feedName(ph)] = batch.tensors[col];
      // Summaries every `every_steps`, and also at the first step of a fresh run and at the end of
      // every epoch, so even a short run draws a curve (not one dot per tag).
      const next = state.global_step + 1;
      const doSummary = this.opts.summaries && this.summaryTags.length > 0 && (next % p.summaries.every_steps === 0 || next === 1 || batch.lastInEpoch);
      const out = this.sess.run(doSummary ? summFetches : trainFetches, feeds) as (Tensor | null)[];
      state.global_step++;
      stepsRun++;
      const loss = p.loss ? Number(out[1]!.data[0]) : null;
      if (loss !== null) {
        state.epoch_loss_sum += loss * batch.size;
        state.epoch_examples += batch.size;
      }
      if (doSummary) {
        const vals: Record<string, number> = {};
        this.summaryTags.forEach(([tag], i) => (vals[tag] = Number(out[trainFetches.length + i]!.data[0])));
        this.opts.summaries!.scalars(vals, state.global_step);
      }
      const hEvery = p.summaries.histograms_every_steps ?? 0;
      if (hEvery > 0 && state.global_step % hEvery === 0) this.writeHistograms(state.global_step);
      emit({ type: 'step', step: state.global_step, epoch: state.epoch, batchInEpoch: batch.index, loss });
      let stop = false;
      if (batch.lastInEpoch) {
        state.epoch++;
        const trainLoss = state.epoch_examples ? state.epoch_loss_sum / state.epoch_examples : null;
        state.epoch_loss_sum = 0;
        state.epoch_examples = 0;
        let metrics: Record<string, Record<string, number>> = {};
        if (state.epoch % p.eval_every === 0 || state.epoch === p.epochs) {
          metrics = this.evaluateAll();
          state.last_metrics = metrics;
          if (this.opts.summaries) {
            const vals: Record<string, number> = {};
            if (trainLoss !== null) vals['epoch/train_loss'] = trainLoss;
            for (const [split, ms] of Object.entries(metrics)) for (const [k, v] of Object.entries(ms)) vals[`${split}/${k}`] = v;
            if (Object.keys(vals).length) this.opts.summaries.scalars(vals, state.global_step);
          }
          const es = p.early_stopping;
          if (es) {
            const v = metrics[es.on]?.[es.metric];
            if (v !== undefined) {
              const better = state.best === null || (es.mode === 'min' ? v < state.best - es.min_delta : v > state.best + es.min_delta);
              if (better) {
                state.best = v;
                state.best_epoch = state.epoch;
                state.best_step = state.global_step;
                state.bad_evals = 0;
                this.bestSnapshot = { vars: this.floatVariables(), metrics, epoch: state.epoch, step: state.global_step };
              } else if (++state.bad_evals > es.patience) {
                state.stopped_early = true;
                stop = true;
              }
            }
          }
        }
        emit({ type: 'epoch', epoch: state.epoch, step: state.global_step, trainLoss, metrics });
        if (stop) emit({ type: 'early_stop', epoch: state.epoch, metric: p.early_stopping!.metric, best: state.best!, bestEpoch: state.best_epoch! });
        if (p.checkpoint.every_epochs && state.epoch % p.checkpoint.every_epochs === 0) save();
      }
      if (p.checkpoint.every_steps && state.global_step % p.checkpoint.every_steps === 0) save();
      if (stop) {
        reason = 'early_stopped';
        break;
      }
      if (this.opts.shouldStop?.()) {
        const path = save();
        this.opts.summaries?.flush();
        emit({ type: 'interrupted', step: state.global_step, path });
        return { state, reason: 'interrupted', metrics: state.last_metrics, checkpoint: path, stepsRun, bestEpoch: null };
      }
      if (this.now() - lastYield >= (this.opts.yieldMs ?? 25)) {
        await new Promise((r) => setTimeout(r, 0));
        lastYield = this.now();
        if (this.opts.shouldStop?.()) {
          const path = save();
          this.opts.summaries?.flush();
          emit({ type: 'interrupted', step: state.global_step, path });
          return { state, reason: 'interrupted', metrics: state.last_metrics, checkpoint: path, stepsRun, bestEpoch: null };
        }
      }
    }
    // The final checkpoint holds the weights the run reports: after a restore, written again at this step.
    const restored = this.restoreBest(state, emit);
    if (restored) lastCkptStep = -1;
    const path = save();
    this.opts.summaries?.flush();
    return { state, reason, metrics: state.last_metrics, checkpoint: path, stepsRun, bestEpoch: restored ? state.best_epoch : null };
  }
}
