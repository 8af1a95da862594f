/**
 * @fileoverview The checkpoints of `tfg train` on disk: the run's checkpoints in DIR (TF1
 * layout, CheckpointManager), and the best evaluation's weights in DIR/best, so a run resumed
 * after its best epoch still ends on them (early stopping's restore, docs/training.md).
 *
 * DIR/best keeps the two newest best records: a record is written just before the checkpoint
 * that first needs it, so the newest checkpoint's best is the newest record, or the one before
 * it when the process died between the two writes.
 */
import { join } from 'node:path';
import { DataLossError, NotFoundError, type OpError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { type SaverSession, variableSpecsOf } from '../train/saver.js';
import type { BestWeights, CheckpointSink, TrainState } from '../train/trainer.js';
import { CheckpointManager, restoreCheckpoint, warnToStderr } from './checkpoint.js';

/** What a best record's JSON state holds. */
interface BestRecord {
  format: 'tfg-best-weights';
  version: 1;
  epoch: number;
  global_step: number;
  metrics: Record<string, Record<string, number | null>>;
}

export class TrainCheckpoints implements CheckpointSink {
  readonly main: CheckpointManager;
  readonly bestDir: string;
  private best: CheckpointManager | null = null;
  private readonly warn: (message: string) => void;

  constructor(
    readonly dir: string,
    opts: { maxToKeep?: number; warn?: (message: string) => void } = {},
  ) {
    this.warn = opts.warn ?? warnToStderr;
    this.main = new CheckpointManager(dir, { maxToKeep: opts.maxToKeep, warn: this.warn });
    this.bestDir = join(this.main.dir, 'best');
  }

  save(vars: Map<string, Tensor>, state: TrainState, step: number): string {
    return this.main.save(vars, state, step);
  }

  saveBest(b: BestWeights): string {
    this.best ??= new CheckpointManager(this.bestDir, { maxToKeep: 2, warn: this.warn });
    const record: BestRecord = { format: 'tfg-best-weights', version: 1, epoch: b.epoch, global_step: b.step, metrics: b.metrics };
    return this.best.save(b.vars, record, b.step);
  }

  /**
   * The best weights a resumed run needs (its state's best evaluation is not the checkpoint
   * itself), read and verified against the session's float variables (names, dtypes, shapes);
   * null when none are needed. When they are missing or damaged the run can go on
   * without them: a warning says it will end on its last weights, and nothing is deleted.
   */
  loadBest(state: TrainState, session: SaverSession): BestWeights | null {
    if (state.best_epoch === null || state.best_step === null || state.best_step === state.global_step) return null;
    const floatVars = new Map(
      variableSpecsOf(session)
        .filter((v) => v.dtype === 'f32' || v.dtype === 'f64')
        .map((v) => [v.name, { dtype: v.dtype, shape: v.shape }]),
    );
    const prefix = join(this.bestDir, `model-${state.best_step}`);
    const lost = (why: string): null => {
      this.warn(
        `the best weights of this run (validation at epoch ${state.best_epoch}, step ${state.best_step}) cannot be read: ${why}; if early stopping ends the run, it ends on its last weights instead`,
      );
      return null;
    };
    let r;
    try {
      r = restoreCheckpoint(prefix, floatVars);
    } catch (e) {
      if (e instanceof NotFoundError || e instanceof DataLossError) return lost((e as OpError).tfMessage ?? e.message);
      throw e;
    }
    const s = r.state as Partial<BestRecord> | null;
    const isMetrics = (m: unknown): m is BestRecord['metrics'] =>
      typeof m === 'object' &&
      m !== null &&
      Object.values(m).every((ms) => typeof ms === 'object' && ms !== null && Object.values(ms).every((v) => v === null || typeof v === 'number'));
    if (!s || s.format !== 'tfg-best-weights' || s.version !== 1 || !isMetrics(s.metrics)) return lost(`${prefix}.json holds no best-weights record`);
    if (s.global_step !== state.best_step || s.epoch !== state.best_epoch) {
      return lost(`${prefix}.json is the record of epoch ${String(s.epoch)}, step ${String(s.global_step)}`);
    }
    // JSON wrote NaN metrics as null.
    const metrics: Record<string, Record<string, number>> = {};
    for (const [split, ms] of Object.entries(s.metrics)) metrics[split] = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v ?? NaN]));
    return { vars: r.tensors, metrics, epoch: s.epoch, step: s.global_step };
  }
}
