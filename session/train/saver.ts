/**
 * @fileoverview TF1's `tf.train.Saver` over any session with named variables (the reference
 * Session or the wasm Session): `save(path, {globalStep})` writes prefix `<name>-<step>`,
 * `restore(prefix)` verifies names, dtypes, shapes and the checksum before assigning anything,
 * so on any mismatch the variables keep their values and TF1's error is raised
 * (`NotFoundError: Key x not found in checkpoint`, ...). Browser-safe: the files are written by a
 * `CheckpointStore` (session/node/saver.ts gives the Node one, atomic and checksummed).
 */
import { type DType, tfDTypeName } from '../dtype.js';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import type { Tensor } from '../tensor.js';

export interface VariableSpec {
  name: string;
  dtype: DType;
  shape: readonly number[];
}

/** The session surface a Saver needs (both Sessions have it). */
export interface SaverSession {
  readVariable(name: string): Tensor;
  writeVariable(name: string, value: Tensor): void;
  variableNames(): string[];
}

/** Where checkpoints live: the Node file layer implements it with CheckpointManager. */
export interface CheckpointStore {
  /** Write `<dir>/<name>-<step>` (data + JSON + index, pruning to maxToKeep); returns the prefix. */
  save(dir: string, name: string, maxToKeep: number, vars: Map<string, Tensor>, state: unknown, step: number): string;
  /** Read and verify a checkpoint; throws TF1's errors; returns the tensors of `expected`. */
  restore(prefix: string, expected: Map<string, { dtype: DType; shape: readonly number[] }>): { step: number; state: unknown; tensors: Map<string, Tensor> };
  latest(dir: string): string | null;
}

export interface SaverOptions {
  /** Variables to save/restore (names); default every variable of the session. */
  varList?: string[];
  /** Checkpoints kept per directory (default 5; 0 keeps all). */
  maxToKeep?: number;
}

/**
 * The dtype and shape of each variable, without reading it (it may be uninitialized before a
 * restore): from the reference Session's graph or the wasm Session's manifest.
 */
export function variableSpecsOf(session: SaverSession): VariableSpec[] {
  const s = session as unknown as {
    manifest?: { variables: { name: string; dtype: DType; shape: number[] }[] };
    graph?: { get(name: string): { dtype: DType | null; shape: (number | null)[] | null } | undefined };
  };
  if (s.manifest) return s.manifest.variables.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape }));
  if (s.graph) {
    return session.variableNames().map((name) => {
      const n = s.graph!.get(name)!;
      return { name, dtype: n.dtype!, shape: (n.shape ?? []).map((d) => d ?? 0) };
    });
  }
  return session.variableNames().map((name) => {
    const t = session.readVariable(name);
    return { name, dtype: t.dtype, shape: t.shape };
  });
}

/**
 * The tensors of a checkpoint for `expected` variables, checked as TF1's restore checks them:
 * a missing key is `NotFoundError: Key x not found in checkpoint`, another dtype or shape an
 * InvalidArgumentError; tensors the list does not name are ignored. Nothing is assigned here,
 * so a caller assigns only after every variable checks out.
 */
export function matchCheckpoint(
  tensors: ReadonlyMap<string, Tensor>,
  expected: ReadonlyMap<string, { dtype: DType; shape: readonly number[] }>,
): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name] of expected) if (!tensors.has(name)) throw new NotFoundError(`Key ${name} not found in checkpoint`);
  for (const [name, want] of expected) {
    const t = tensors.get(name)!;
    if (t.dtype !== want.dtype)
      throw new InvalidArgumentError(`tensor_name = ${name}; expected dtype ${tfDTypeName(want.dtype)} does not equal original dtype ${tfDTypeName(t.dtype)}`);
    if (t.shape.length !== want.shape.length || t.shape.some((d, i) => d !== want.shape[i])) {
      throw new InvalidArgumentError(
        `Restoring from checkpoint failed. This is most likely due to a mismatch between the current graph and the graph from the checkpoint. Variable ${name}: Assign requires shapes of both tensors to match. lhs shape= [${want.shape.join(',')}] rhs shape= [${t.shape.join(',')}]`,
      );
    }
    out.set(name, t);
  }
  return out;
}

export class Saver {
  readonly maxToKeep: number;
  private readonly specs: VariableSpec[];

  constructor(
    readonly session: SaverSession,
    readonly store: CheckpointStore,
    opts: SaverOptions = {},
  ) {
    this.maxToKeep = opts.maxToKeep ?? 5;
    const all = variableSpecsOf(session);
    if (opts.varList) {
      const by = new Map(all.map((v) => [v.name, v]));
      this.specs = opts.varList.map((n) => {
        const v = by.get(n.replace(/:0$/, ''));
        if (!v) throw new InvalidArgumentError(`Saver: ${n} is not a variable of this session (variables: ${all.map((x) => x.name).join(', ')})`);
        return v;
      });
      if (this.specs.length === 0) throw new InvalidArgumentError('Saver: varList is empty: no variables to save');
    } else {
      if (all.length === 0) throw new InvalidArgumentError('No variables to save');
      this.specs = all;
    }
  }

  /** The saved variables' names. */
  get variables(): string[] {
    return this.specs.map((v) => v.name);
  }

  /** Current values of the saved variables (read once). */
  values(): Map<string, Tensor> {
    return new Map(this.specs.map((v) => [v.name, this.session.readVariable(v.name)]));
  }

  /**
   * Save to `path`: a directory (ending in `/` or existing as one, decided by the store's
   * caller) gives `<dir>/model-<step>`; `dir/name` gives `dir/name-<step>`. Without a global
   * step the step is 0. Returns the prefix written.
   */
  saveTo(dir: string, name: string, opts: { globalStep?: number; state?: unknown } = {}): string {
    const step = opts.globalStep ?? 0;
    return this.store.save(dir, name, this.maxToKeep, this.values(), { global_step: step, ...((opts.state as object) ?? {}) }, step);
  }

  /** Restore every saved variable from `prefix`; nothing is assigned unless all of it checks out. */
  restore(prefix: string): { step: number; state: unknown } {
    const expected = new Map(this.specs.map((v) => [v.name, { dtype: v.dtype, shape: v.shape }]));
    const r = this.store.restore(prefix, expected);
    for (const v of this.specs) this.session.writeVariable(v.name, r.tensors.get(v.name)!);
    return { step: r.step, state: r.state };
  }

  latestCheckpoint(dir: string): string | null {
    return this.store.latest(dir);
  }
}
