/**
 * @fileoverview The Node file layer of the Saver: `new Saver(session, {varList?, maxToKeep})`
 * with `save(pathOrDir, {globalStep})`, `restore(prefix)` and `latestCheckpoint(dir)` over
 * `CheckpointManager` (atomic writes, sha256, TF1 `checkpoint` index, max_to_keep pruning).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { type CheckpointStore, type SaverOptions, type SaverSession, Saver as SaverCore } from '../train/saver.js';
import { CheckpointManager, latestCheckpoint, restoreCheckpoint, warnToStderr } from './checkpoint.js';

/** CheckpointManager-backed store; one manager per (directory, name), so pruning continues across saves. */
export class FileCheckpointStore implements CheckpointStore {
  private managers = new Map<string, CheckpointManager>();
  private readonly warn: (message: string) => void;

  /** `warn` receives the warnings of a fallback (a damaged index, say); default stderr. */
  constructor(opts: { warn?: (message: string) => void } = {}) {
    this.warn = opts.warn ?? warnToStderr;
  }

  manager(dir: string, name: string, maxToKeep: number): CheckpointManager {
    const key = `${resolve(dir)}\0${name}\0${maxToKeep}`;
    let m = this.managers.get(key);
    if (!m) {
      m = new CheckpointManager(dir, { prefix: name, maxToKeep, warn: this.warn });
      this.managers.set(key, m);
    }
    return m;
  }

  save(dir: string, name: string, maxToKeep: number, vars: Map<string, Tensor>, state: unknown, step: number): string {
    return this.manager(dir, name, maxToKeep).save(vars, state, step);
  }

  restore(prefix: string, expected: Map<string, { dtype: DType; shape: readonly number[] }>): { step: number; state: unknown; tensors: Map<string, Tensor> } {
    return restoreCheckpoint(prefix, expected);
  }

  latest(dir: string): string | null {
    return latestCheckpoint(dir, { warn: this.warn });
  }
}

/** TF1's tf.train.Saver for Node: checkpoints as files. */
export class Saver extends SaverCore {
  constructor(session: SaverSession, opts: SaverOptions & { warn?: (message: string) => void } = {}) {
    super(session, new FileCheckpointStore({ warn: opts.warn }), opts);
  }

  /**
   * TF1's `saver.save(sess, path, global_step=...)`: `path` a directory (existing, or ending in
   * `/`) writes `<dir>/model-<step>`; otherwise `<dirname>/<basename>-<step>`. Returns the prefix.
   */
  save(path: string, opts: { globalStep?: number; state?: unknown } = {}): string {
    const isDir = path.endsWith('/') || (existsSync(path) && statSync(path).isDirectory());
    return isDir ? this.saveTo(path, 'model', opts) : this.saveTo(dirname(path), basename(path), opts);
  }
}

export { latestCheckpoint };
