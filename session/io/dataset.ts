/**
 * @fileoverview In-memory datasets for training: named columns sharing their first dimension,
 * seeded train/validation/test splits, standard scaling fitted on the training split, and a
 * mini-batch iterator whose state (epoch, position, RNG position) can be saved in a checkpoint
 * and restored so a resumed run sees exactly the batches the uninterrupted run would have.
 * Browser-safe.
 *
 * Randomness: one Philox4x32-10 stream (session/random.ts) keyed by the seed. Each epoch's order
 * is a Fisher–Yates shuffle drawn from that stream (unbiased: 32-bit words rejected above the
 * largest multiple of the range). The iterator records the stream position at the start of the
 * current epoch's shuffle, so restoring regenerates the same permutation.
 *
 * Copies: a batch is a view (`subarray`) of the column when rows are consecutive (no shuffle),
 * or exactly one gather of the rows, into a fresh array or into the destination buffer the
 * caller passes (the wasm loader passes views of wasm memory). Never more than one copy.
 */
import { type AnyTypedArray, type DType, allocArray } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { InvalidArgumentError } from '../errors.js';
import { PhiloxStream } from '../random.js';

/** A Philox stream that hands out single 32-bit words and can be positioned by block. */
class WordSource {
  private stream: PhiloxStream;
  private buf: Uint32Array = new Uint32Array(0);
  private at = 0;
  constructor(
    private readonly seed: number,
    block = 0,
  ) {
    this.stream = new PhiloxStream(seed, 0);
    if (block > 0) this.stream.skip(block);
  }
  /** Stream position in 4-word blocks, with no buffered words pending. */
  get block(): number {
    return this.stream.position;
  }
  /** Drop buffered words so the next draw starts at a block boundary (keeps `block` exact). */
  discard(): void {
    this.buf = new Uint32Array(0) as Uint32Array;
    this.at = 0;
  }
  prefetch(words: number): void {
    if (this.at < this.buf.length) return;
    this.buf = this.stream.next(Math.max(4, Math.ceil(words / 4) * 4));
    this.at = 0;
  }
  word(): number {
    if (this.at >= this.buf.length) this.prefetch(4);
    return this.buf[this.at++];
  }
  /** Uniform integer in [0, n), n ≤ 2^32, without modulo bias. */
  below(n: number): number {
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const w = this.word();
      if (w < limit) return w % n;
    }
  }
}

/** Fisher–Yates shuffle of 0..n-1 drawn from `src` (consumes whole blocks; see WordSource). */
function permutation(n: number, src: WordSource): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  src.prefetch(Math.max(0, n - 1));
  for (let i = n - 1; i > 0; i--) {
    const j = src.below(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  src.discard();
  return p;
}

/** A seeded permutation of 0..n-1 (the same for the same seed). */
export function seededPermutation(n: number, seed: number): Int32Array {
  return permutation(n, new WordSource(seed));
}

function rowSizeOf(t: Tensor): number {
  let r = 1;
  for (let i = 1; i < t.shape.length; i++) r *= t.shape[i];
  return r;
}

/** Gather rows `idx[from..to)` of `t` into `out` (length ≥ (to-from)·row). */
function gatherRows(t: Tensor, idx: ArrayLike<number>, from: number, to: number, out: AnyTypedArray): void {
  const row = rowSizeOf(t);
  const src = t.data;
  if (row === 1) {
    for (let i = from; i < to; i++) out[i - from] = src[idx[i]];
  } else if (row < 16) {
    for (let i = from; i < to; i++) {
      const s = idx[i] * row;
      const d = (i - from) * row;
      for (let k = 0; k < row; k++) out[d + k] = src[s + k];
    }
  } else {
    // The same-typed `set` is a memcpy.
    for (let i = from; i < to; i++) (out as Float32Array).set((src as Float32Array).subarray(idx[i] * row, idx[i] * row + row), (i - from) * row);
  }
}

/** Named columns (tensors of rank ≥ 1) with the same number of rows. */
export class Dataset {
  readonly size: number;
  readonly columns: Readonly<Record<string, Tensor>>;

  constructor(columns: Record<string, Tensor>) {
    const names = Object.keys(columns);
    if (names.length === 0) throw new InvalidArgumentError('Dataset: needs at least one column');
    let size = -1;
    for (const name of names) {
      const t = columns[name];
      if (t.rank < 1) throw new InvalidArgumentError(`Dataset: column "${name}" is a scalar; columns need a first (row) dimension`);
      if (size < 0) size = t.shape[0];
      else if (t.shape[0] !== size) throw new InvalidArgumentError(`Dataset: column "${name}" has ${t.shape[0]} rows but column "${names[0]}" has ${size}`);
    }
    this.size = size;
    this.columns = { ...columns };
  }

  get names(): string[] {
    return Object.keys(this.columns);
  }

  /** A new dataset holding the given rows, in that order (copies). */
  take(indices: ArrayLike<number>): Dataset {
    const out: Record<string, Tensor> = {};
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i];
      if (!Number.isInteger(r) || r < 0 || r >= this.size) throw new InvalidArgumentError(`Dataset.take: row index ${r} is out of range [0, ${this.size})`);
    }
    for (const [name, t] of Object.entries(this.columns)) {
      const data = allocArray(t.dtype, indices.length * rowSizeOf(t));
      gatherRows(t, indices, 0, indices.length, data);
      out[name] = new Tensor(t.dtype, [indices.length, ...t.shape.slice(1)], data);
    }
    return new Dataset(out);
  }

  /** Rows [start, end) as views of this dataset's arrays (no copy). */
  slice(start: number, end: number): Dataset {
    const s = Math.max(0, Math.min(this.size, start));
    const e = Math.max(s, Math.min(this.size, end));
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(this.columns)) {
      const row = rowSizeOf(t);
      out[name] = new Tensor(t.dtype, [e - s, ...t.shape.slice(1)], t.data.subarray(s * row, e * row));
    }
    return new Dataset(out);
  }

  /** The same rows with one column replaced or added. */
  withColumn(name: string, t: Tensor): Dataset {
    return new Dataset({ ...this.columns, [name]: t });
  }
}

export interface SplitFractions {
  train: number;
  validation?: number;
  test?: number;
}

export interface Splits {
  train: Dataset;
  validation?: Dataset;
  test?: Dataset;
}

/**
 * Split rows at random (seeded) into train/validation/test. Sizes: validation = round(n·v),
 * test = round(n·t); train takes the rest when the fractions sum to 1, else round(n·train).
 * With `shuffle: false` the splits are consecutive blocks in file order.
 */
export function splitDataset(ds: Dataset, fractions: SplitFractions, seed: number, opts: { shuffle?: boolean } = {}): Splits {
  const { train, validation = 0, test = 0 } = fractions;
  for (const [k, v] of Object.entries({ train, validation, test })) {
    if (!(v >= 0 && v <= 1)) throw new InvalidArgumentError(`splitDataset: fraction ${k}=${v} is not in [0, 1]`);
  }
  const sum = train + validation + test;
  if (sum > 1 + 1e-9) throw new InvalidArgumentError(`splitDataset: fractions sum to ${sum}, more than 1`);
  const n = ds.size;
  const nVal = Math.round(n * validation);
  const nTest = Math.round(n * test);
  const nTrain = Math.abs(sum - 1) <= 1e-9 ? n - nVal - nTest : Math.min(Math.round(n * train), n - nVal - nTest);
  if (nTrain < 0) throw new InvalidArgumentError(`splitDataset: ${n} rows cannot be split as ${JSON.stringify(fractions)}`);
  const order = opts.shuffle === false ? Int32Array.from({ length: n }, (_, i) => i) : seededPermutation(n, seed);
  const out: Splits = { train: ds.take(order.subarray(0, nTrain)) };
  if (fractions.validation !== undefined) out.validation = ds.take(order.subarray(nTrain, nTrain + nVal));
  if (fractions.test !== undefined) out.test = ds.take(order.subarray(nTrain + nVal, nTrain + nVal + nTest));
  return out;
}

/** Per-column standardisation (x - mean) / std, with statistics from one (training) tensor. */
export class StandardScaler {
  constructor(
    readonly mean: Float64Array,
    readonly std: Float64Array,
  ) {
    if (mean.length !== std.length) throw new InvalidArgumentError('StandardScaler: mean and std differ in length');
  }

  /** Fit on a float tensor [rows, ...]: population mean/std of each column (std 0 → 1). */
  static fit(t: Tensor): StandardScaler {
    if (t.dtype !== 'f32' && t.dtype !== 'f64') throw new InvalidArgumentError(`StandardScaler.fit: needs a float tensor, got ${t.dtype}`);
    if (t.rank < 1 || t.shape[0] === 0) throw new InvalidArgumentError('StandardScaler.fit: needs at least one row');
    const n = t.shape[0];
    const d = rowSizeOf(t);
    const mean = new Float64Array(d);
    const m2 = new Float64Array(d);
    // Welford's algorithm, per column, accumulated in f64.
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < d; c++) {
        const x = t.data[r * d + c];
        const delta = x - mean[c];
        mean[c] += delta / (r + 1);
        m2[c] += delta * (x - mean[c]);
      }
    }
    const std = new Float64Array(d);
    for (let c = 0; c < d; c++) {
      const s = Math.sqrt(m2[c] / n);
      std[c] = s === 0 || !Number.isFinite(s) ? 1 : s;
    }
    return new StandardScaler(mean, std);
  }

  /** A scaled copy of `t` (same dtype and shape). */
  transform(t: Tensor): Tensor {
    const d = rowSizeOf(t);
    if (d !== this.mean.length)
      throw new InvalidArgumentError(`StandardScaler.transform: tensor rows have ${d} values, the scaler was fitted on ${this.mean.length}`);
    if (t.dtype !== 'f32' && t.dtype !== 'f64') throw new InvalidArgumentError(`StandardScaler.transform: needs a float tensor, got ${t.dtype}`);
    const out = allocArray(t.dtype, t.size);
    for (let i = 0; i < t.size; i++) {
      const c = i % d;
      out[i] = (t.data[i] - this.mean[c]) / this.std[c];
    }
    return new Tensor(t.dtype, t.shape, out);
  }

  toJSON(): { mean: number[]; std: number[] } {
    return { mean: Array.from(this.mean), std: Array.from(this.std) };
  }

  static fromJSON(j: { mean: number[]; std: number[] }): StandardScaler {
    return new StandardScaler(Float64Array.from(j.mean), Float64Array.from(j.std));
  }
}

/** Scale the named float columns of every split with statistics fitted on `splits.train` only. */
export function standardizeSplits(splits: Splits, columns: string[]): { splits: Splits; scalers: Record<string, StandardScaler> } {
  const scalers: Record<string, StandardScaler> = {};
  const apply = (ds: Dataset | undefined): Dataset | undefined => {
    if (!ds) return ds;
    let out = ds;
    for (const c of columns) out = out.withColumn(c, scalers[c].transform(ds.columns[c]));
    return out;
  };
  for (const c of columns) {
    const t = splits.train.columns[c];
    if (!t) throw new InvalidArgumentError(`standardizeSplits: no column "${c}" (columns: ${splits.train.names.join(', ')})`);
    scalers[c] = StandardScaler.fit(t);
  }
  return { splits: { train: apply(splits.train)!, validation: apply(splits.validation), test: apply(splits.test) }, scalers };
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffling stream (default 0). */
  seed?: number;
  /** Drop the last partial batch of each epoch (default false: keep it). */
  dropRemainder?: boolean;
}

/** Everything needed to continue an iteration exactly; plain JSON. */
export interface IteratorState {
  /** Epoch of the next batch (0-based). */
  epoch: number;
  /** Row position of the next batch in this epoch's order. */
  position: number;
  /** Philox stream position (in 4-word blocks) where this epoch's shuffle was drawn. */
  rngBlock: number;
  seed: number;
  batchSize: number;
  shuffle: boolean;
  dropRemainder: boolean;
  /** Rows in the dataset (checked on restore). */
  size: number;
}

export interface Batch {
  /** Epoch this batch belongs to (0-based). */
  epoch: number;
  /** Index of the batch within its epoch. */
  index: number;
  /** Rows in this batch (the last one of an epoch may be smaller). */
  size: number;
  /** True for the last batch of its epoch. */
  lastInEpoch: boolean;
  /** One tensor per column: [size, ...column shape]. */
  tensors: Record<string, Tensor>;
}

/** Endless mini-batches over a dataset, epoch after epoch, with a resumable state. */
export class BatchIterator {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropRemainder: boolean;
  private epoch = 0;
  private position = 0;
  private rngBlock = 0;
  private src: WordSource;
  private order: Int32Array | null = null;

  constructor(
    readonly dataset: Dataset,
    opts: BatchOptions,
  ) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize <= 0)
      throw new InvalidArgumentError(`BatchIterator: batch size must be a positive integer, got ${opts.batchSize}`);
    this.batchSize = opts.batchSize;
    this.shuffle = opts.shuffle ?? true;
    this.seed = opts.seed ?? 0;
    this.dropRemainder = opts.dropRemainder ?? false;
    if (dataset.size === 0) throw new InvalidArgumentError('BatchIterator: the dataset has no rows');
    if (this.dropRemainder && dataset.size < this.batchSize)
      throw new InvalidArgumentError(`BatchIterator: batch size ${this.batchSize} > ${dataset.size} rows with dropRemainder: every batch would be dropped`);
    this.src = new WordSource(this.seed);
    this.startEpoch();
  }

  /** Batches in each epoch. */
  get batchesPerEpoch(): number {
    const n = this.dataset.size;
    return this.dropRemainder ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Rows of the dataset actually visited per epoch. */
  private get epochRows(): number {
    return this.dropRemainder ? this.batchesPerEpoch * this.batchSize : this.dataset.size;
  }

  private startEpoch(): void {
    this.rngBlock = this.src.block;
    this.order = this.shuffle ? permutation(this.dataset.size, this.src) : null;
  }

  /** The epoch of the next batch. */
  get currentEpoch(): number {
    return this.epoch;
  }

  /**
   * The next batch. Columns listed in `dest` are copied into those arrays (same typed-array
   * class, long enough for a full batch) and returned as views of them; other columns are views
   * of the dataset (no shuffle) or one fresh copy (shuffle).
   */
  next(dest: Partial<Record<string, AnyTypedArray>> = {}): Batch {
    const start = this.position;
    const end = Math.min(start + this.batchSize, this.epochRows);
    const size = end - start;
    // Check every destination before writing anything (a full batch must fit, whatever this one's size).
    for (const [name, d] of Object.entries(dest)) {
      const t = this.dataset.columns[name];
      if (!d) continue;
      if (!t) throw new InvalidArgumentError(`BatchIterator.next: destination given for unknown column "${name}" (columns: ${this.dataset.names.join(', ')})`);
      if (d.constructor !== t.data.constructor)
        throw new InvalidArgumentError(
          `BatchIterator.next: destination for "${name}" is a ${d.constructor.name}, column is ${t.dtype as DType} (${t.data.constructor.name})`,
        );
      const need = this.batchSize * rowSizeOf(t);
      if (d.length < need) throw new InvalidArgumentError(`BatchIterator.next: destination for "${name}" holds ${d.length} values, a batch needs ${need}`);
    }
    const tensors: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(this.dataset.columns)) {
      const row = rowSizeOf(t);
      const shape = [size, ...t.shape.slice(1)];
      const d = dest[name];
      let data: AnyTypedArray;
      if (d) {
        data = d.subarray(0, size * row);
        if (this.order) gatherRows(t, this.order, start, end, data);
        else data.set(t.data.subarray(start * row, end * row) as never);
      } else if (this.order) {
        data = allocArray(t.dtype, size * row);
        gatherRows(t, this.order, start, end, data);
      } else {
        data = t.data.subarray(start * row, end * row);
      }
      tensors[name] = new Tensor(t.dtype, shape, data);
    }
    const batch: Batch = { epoch: this.epoch, index: Math.floor(start / this.batchSize), size, lastInEpoch: end >= this.epochRows, tensors };
    this.position = end;
    if (end >= this.epochRows) {
      this.epoch++;
      this.position = 0;
      this.startEpoch();
    }
    return batch;
  }

  /** The remaining batches of the current epoch. */
  *epochBatches(dest: Partial<Record<string, AnyTypedArray>> = {}): Generator<Batch> {
    const e = this.epoch;
    while (this.epoch === e) yield this.next(dest);
  }

  /** A JSON-able snapshot to store in a checkpoint. */
  state(): IteratorState {
    return {
      epoch: this.epoch,
      position: this.position,
      rngBlock: this.rngBlock,
      seed: this.seed,
      batchSize: this.batchSize,
      shuffle: this.shuffle,
      dropRemainder: this.dropRemainder,
      size: this.dataset.size,
    };
  }

  /** Continue from a snapshot taken by `state()` on an iterator over the same data and options. */
  restore(s: IteratorState): void {
    const mismatch = (['seed', 'batchSize', 'shuffle', 'dropRemainder', 'size'] as const).filter((k) => s[k] !== (k === 'size' ? this.dataset.size : this[k]));
    if (mismatch.length) {
      throw new InvalidArgumentError(
        `BatchIterator.restore: saved state has ${mismatch.map((k) => `${k}=${s[k]}`).join(', ')} but this iterator has ${mismatch.map((k) => `${k}=${k === 'size' ? this.dataset.size : this[k]}`).join(', ')}`,
      );
    }
    if (
      !Number.isInteger(s.epoch) ||
      s.epoch < 0 ||
      !Number.isInteger(s.position) ||
      s.position < 0 ||
      s.position >= this.epochRows ||
      !Number.isInteger(s.rngBlock) ||
      s.rngBlock < 0
    ) {
      throw new InvalidArgumentError(`BatchIterator.restore: invalid state ${JSON.stringify({ epoch: s.epoch, position: s.position, rngBlock: s.rngBlock })}`);
    }
    this.epoch = s.epoch;
    this.position = s.position;
    this.src = new WordSource(this.seed, s.rngBlock);
    this.startEpoch();
  }
}
