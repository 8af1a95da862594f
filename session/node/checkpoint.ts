/**
 * @fileoverview TF1-style checkpoints (`tf.train.Saver`) in a directory:
 *
 *   model-<step>.safetensors   the variables (safetensors, readable by Python's `safetensors`)
 *   model-<step>.json          {step, state, sha256 of the .safetensors bytes, variable list}
 *   checkpoint                 TF1's index: model_checkpoint_path / all_model_checkpoint_paths
 *
 * Atomicity: every file is written to a temporary name in the same directory, fsynced, renamed
 * over its final name, and the directory fsynced; the data file goes first, then the JSON (which
 * makes the checkpoint complete), then the index, and only then are old checkpoints pruned. A
 * crash at any point leaves the previous index pointing at a complete, checksummed checkpoint.
 * Re-saving an existing step with different weights writes `model-<step>.safetensors.next` first
 * and swaps it in after the JSON, so that case is crash-safe too (restore finds whichever data
 * file matches the JSON's checksum).
 *
 * Restore verifies size, checksum, header, names, dtypes and shapes before returning anything,
 * and throws TF1's errors (NotFoundError, InvalidArgumentError, DataLossError) otherwise.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync, mkdirSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { DType, DTYPES, tfDTypeName } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { DataLossError, InvalidArgumentError, NotFoundError, OpError } from '../errors.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';

export interface CheckpointManagerOptions {
  /** Checkpoints kept on disk (default 5; 0 or less keeps all, as TF1's max_to_keep=None). */
  maxToKeep?: number;
  /** File name prefix (default `model`). */
  prefix?: string;
}

export interface VariableInfo {
  name: string;
  dtype: DType;
  shape: number[];
}

/** Contents of `<prefix>.json`. */
export interface CheckpointMeta {
  format: 'tfg-checkpoint';
  version: 1;
  step: number;
  /** Caller's state: epoch, data position, RNG state, ... */
  state: unknown;
  /** File name of the variables, relative to the directory. */
  data: string;
  /** Hex sha256 and length of the data file. */
  sha256: string;
  bytes: number;
  variables: VariableInfo[];
  /** ISO time of the save. */
  saved: string;
}

export interface RestoredCheckpoint {
  /** Absolute prefix restored from. */
  prefix: string;
  step: number;
  state: unknown;
  tensors: Map<string, Tensor>;
}

export const INDEX_FILE = 'checkpoint';

let tmpCounter = 0;

function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw e;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Write `bytes` to `path` atomically: temp file in the same dir, fsync, rename, fsync the dir. */
export function atomicWriteFile(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}-${tmpCounter++}`;
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  let fd: number | null = openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
    fsyncDir(resolve(path, '..'));
  } catch (e) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
    throw e;
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function protoString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function unprotoString(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

export interface CheckpointIndex {
  latest: string | null;
  all: string[];
}

/** Parse TF1's `checkpoint` text file (CheckpointState in protobuf text format). */
export function parseCheckpointIndex(text: string, what = INDEX_FILE): CheckpointIndex {
  const out: CheckpointIndex = { latest: null, all: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([a-z_]+)\s*:\s*(.*)$/.exec(line);
    if (!m) throw new DataLossError(`${what}:${i + 1}: cannot parse checkpoint index line ${JSON.stringify(raw)}`);
    const [, key, val] = m;
    if (key === 'model_checkpoint_path' || key === 'all_model_checkpoint_paths') {
      const s = /^"((?:[^"\\]|\\.)*)"$/.exec(val);
      if (!s) throw new DataLossError(`${what}:${i + 1}: ${key} must be a quoted string`);
      if (key === 'model_checkpoint_path') out.latest = unprotoString(s[1]);
      else out.all.push(unprotoString(s[1]));
    }
    // all_model_checkpoint_timestamps and last_preserved_timestamp are accepted and ignored.
  });
  return out;
}

export function formatCheckpointIndex(idx: CheckpointIndex): string {
  let s = '';
  if (idx.latest !== null) s += `model_checkpoint_path: ${protoString(idx.latest)}\n`;
  for (const p of idx.all) s += `all_model_checkpoint_paths: ${protoString(p)}\n`;
  return s;
}

function readIndex(dir: string): CheckpointIndex | null {
  const p = join(dir, INDEX_FILE);
  if (!existsSync(p)) return null;
  return parseCheckpointIndex(readFileSync(p, 'utf8'), p);
}

/** TF1's `tf.train.latest_checkpoint(dir)`: the latest prefix whose checkpoint exists, or null. */
export function latestCheckpoint(dir: string): string | null {
  let idx: CheckpointIndex | null;
  try {
    idx = readIndex(dir);
  } catch {
    return null;
  }
  if (!idx || idx.latest === null) return null;
  const prefix = isAbsolute(idx.latest) ? idx.latest : join(dir, idx.latest);
  return existsSync(`${prefix}.json`) ? prefix : null;
}

function readOrThrow(path: string, prefix: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`Unsuccessful TensorSliceReader constructor: Failed to find any matching files for ${prefix}`);
    throw e;
  }
}

function parseMeta(bytes: Uint8Array, path: string): CheckpointMeta {
  let m: CheckpointMeta;
  try {
    m = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as CheckpointMeta;
  } catch (e) {
    throw new DataLossError(`Checkpoint ${path} is corrupted: not valid JSON (${(e as Error).message})`);
  }
  const ok =
    m !== null &&
    typeof m === 'object' &&
    m.format === 'tfg-checkpoint' &&
    m.version === 1 &&
    Number.isSafeInteger(m.step) &&
    typeof m.data === 'string' &&
    basename(m.data) === m.data &&
    typeof m.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(m.sha256) &&
    Number.isSafeInteger(m.bytes) &&
    Array.isArray(m.variables) &&
    m.variables.every((v) => v && typeof v.name === 'string' && DTYPES.includes(v.dtype) && Array.isArray(v.shape) && v.shape.every((d) => Number.isSafeInteger(d) && d >= 0));
  if (!ok) throw new DataLossError(`Checkpoint ${path} is corrupted: missing or invalid fields (expected a tfg-checkpoint version 1 record)`);
  return m;
}

/** Read and fully verify a checkpoint; throws before returning anything on any problem. */
export function restoreCheckpoint(prefix: string, expected?: Map<string, { dtype: DType; shape: readonly number[] }>): RestoredCheckpoint {
  const abs = resolve(prefix);
  const metaPath = `${abs}.json`;
  const meta = parseMeta(readOrThrow(metaPath, abs), metaPath);
  const dataPath = join(resolve(abs, '..'), meta.data);
  // The data file, or (mid re-save of the same step) its `.next` replacement: whichever matches.
  let bytes: Uint8Array | null = null;
  let firstProblem = '';
  for (const cand of [dataPath, `${dataPath}.next`]) {
    if (!existsSync(cand)) {
      firstProblem ||= `data file ${cand} is missing`;
      continue;
    }
    const b = readFileSync(cand);
    if (b.length !== meta.bytes) firstProblem ||= b.length < meta.bytes ? `${cand} is truncated: ${b.length} bytes, expected ${meta.bytes}` : `${cand} has ${b.length} bytes, expected ${meta.bytes}`;
    else if (sha256Hex(b) !== meta.sha256) firstProblem ||= `checksum mismatch in ${cand}: sha256 ${sha256Hex(b)}, expected ${meta.sha256}`;
    else {
      bytes = b;
      break;
    }
  }
  if (!bytes) {
    if (firstProblem.endsWith('is missing')) throw new NotFoundError(`Unsuccessful TensorSliceReader constructor: Failed to find any matching files for ${abs}: ${firstProblem}`);
    throw new DataLossError(`Checkpoint ${abs} is corrupted: ${firstProblem}`);
  }
  let tensors: Map<string, Tensor>;
  try {
    tensors = readSafetensors(bytes, dataPath).tensors;
  } catch (e) {
    throw new DataLossError(`Checkpoint ${abs} is corrupted: ${(e as OpError).tfMessage ?? (e as Error).message}`);
  }
  const listed = new Map(meta.variables.map((v) => [v.name, v]));
  for (const [name, t] of tensors) {
    const v = listed.get(name);
    if (!v || v.dtype !== t.dtype || v.shape.join(',') !== t.shape.join(',')) throw new DataLossError(`Checkpoint ${abs} is corrupted: tensor ${name} does not match the variable list in ${metaPath}`);
  }
  if (listed.size !== tensors.size) throw new DataLossError(`Checkpoint ${abs} is corrupted: ${metaPath} lists ${listed.size} variables, the data file holds ${tensors.size}`);

  let out = tensors;
  if (expected) {
    out = new Map();
    for (const [name] of expected) if (!tensors.has(name)) throw new NotFoundError(`Key ${name} not found in checkpoint`);
    for (const [name, want] of expected) {
      const t = tensors.get(name)!;
      if (t.dtype !== want.dtype) {
        throw new InvalidArgumentError(`tensor_name = ${name}; expected dtype ${tfDTypeName(want.dtype)} does not equal original dtype ${tfDTypeName(t.dtype)}`);
      }
      if (t.shape.join(',') !== want.shape.join(',')) {
        throw new InvalidArgumentError(`Restoring from checkpoint failed. This is most likely due to a mismatch between the current graph and the graph from the checkpoint. Variable ${name}: Assign requires shapes of both tensors to match. lhs shape= [${want.shape.join(',')}] rhs shape= [${t.shape.join(',')}]`);
      }
      out.set(name, t);
    }
  }
  return { prefix: abs, step: meta.step, state: meta.state, tensors: out };
}

/** Saves, lists, prunes and restores the checkpoints of one directory. */
export class CheckpointManager {
  readonly dir: string;
  readonly maxToKeep: number;
  readonly prefix: string;
  /** Kept checkpoint names (relative), oldest first. */
  private kept: string[] = [];

  constructor(dir: string, opts: CheckpointManagerOptions = {}) {
    this.dir = resolve(dir);
    this.maxToKeep = opts.maxToKeep ?? 5;
    this.prefix = opts.prefix ?? 'model';
    if (!/^[A-Za-z0-9_.-]+$/.test(this.prefix)) throw new InvalidArgumentError(`CheckpointManager: prefix ${JSON.stringify(this.prefix)} must be a plain file name`);
    mkdirSync(this.dir, { recursive: true });
    // Temporary files of a writer that died mid-save are garbage: the index never names them.
    // So is a data file whose JSON never landed (the JSON is what makes a checkpoint complete).
    for (const f of readdirSync(this.dir)) {
      if (/\.tmp-\d+-\d+$/.test(f)) unlinkSync(join(this.dir, f));
      const m = /^(.*)\.safetensors(\.next)?$/.exec(f);
      if (m && m[1].startsWith(`${this.prefix}-`) && !existsSync(join(this.dir, `${m[1]}.json`))) unlinkSync(join(this.dir, f));
    }
    let idx: CheckpointIndex | null = null;
    try {
      idx = readIndex(this.dir);
    } catch {
      idx = null;
    }
    if (idx) {
      const rel = (p: string) => (isAbsolute(p) && resolve(p, '..') === this.dir ? basename(p) : p);
      const all = idx.all.map(rel);
      if (idx.latest !== null && !all.includes(rel(idx.latest))) all.push(rel(idx.latest));
      this.kept = all.filter((p) => existsSync(`${isAbsolute(p) ? p : join(this.dir, p)}.json`));
    }
  }

  /** Kept checkpoint prefixes (absolute), oldest first. */
  checkpoints(): string[] {
    return this.kept.map((p) => (isAbsolute(p) ? p : join(this.dir, p)));
  }

  /** The latest checkpoint prefix, or null (TF1's `latest_checkpoint`). */
  latest(): string | null {
    return latestCheckpoint(this.dir);
  }

  /**
   * Save `vars` and `state` as `<prefix>-<step>`; returns the absolute prefix. Nothing the
   * previous index points at is touched until the new checkpoint is complete on disk.
   */
  save(vars: Map<string, Tensor>, state: unknown, step: number): string {
    if (!Number.isSafeInteger(step) || step < 0) throw new InvalidArgumentError(`CheckpointManager.save: step must be a non-negative integer, got ${step}`);
    const stateJson = JSON.stringify(state ?? null);
    if (stateJson === undefined) throw new InvalidArgumentError('CheckpointManager.save: state is not JSON-serialisable');
    const name = `${this.prefix}-${step}`;
    const dataName = `${name}.safetensors`;
    const dataPath = join(this.dir, dataName);
    const jsonPath = join(this.dir, `${name}.json`);
    const bytes = writeSafetensors(vars, { format: 'tfg', step: String(step) });
    const sha = sha256Hex(bytes);
    const meta: CheckpointMeta = {
      format: 'tfg-checkpoint',
      version: 1,
      step,
      state: JSON.parse(stateJson),
      data: dataName,
      sha256: sha,
      bytes: bytes.length,
      variables: [...vars.entries()].map(([n, t]) => ({ name: n, dtype: t.dtype, shape: [...t.shape] })),
      saved: new Date().toISOString(),
    };
    const metaText = `${JSON.stringify(meta, null, 1)}\n`;
    if (!existsSync(dataPath)) {
      atomicWriteFile(dataPath, bytes);
      atomicWriteFile(jsonPath, metaText);
    } else if (sha256Hex(readFileSync(dataPath)) === sha) {
      atomicWriteFile(jsonPath, metaText);
    } else {
      // Same step, different weights: never leave the JSON and the data file disagreeing.
      atomicWriteFile(`${dataPath}.next`, bytes);
      atomicWriteFile(jsonPath, metaText);
      renameSync(`${dataPath}.next`, dataPath);
      fsyncDir(this.dir);
    }
    const kept = this.kept.filter((p) => p !== name);
    kept.push(name);
    const drop = this.maxToKeep > 0 && kept.length > this.maxToKeep ? kept.splice(0, kept.length - this.maxToKeep) : [];
    atomicWriteFile(join(this.dir, INDEX_FILE), formatCheckpointIndex({ latest: name, all: kept }));
    this.kept = kept;
    for (const old of drop) {
      const base = isAbsolute(old) ? old : join(this.dir, old);
      // The JSON first: without it the checkpoint is no longer complete, so never half-valid.
      for (const f of [`${base}.json`, `${base}.safetensors`, `${base}.safetensors.next`]) {
        try {
          unlinkSync(f);
        } catch {
          // already gone
        }
      }
    }
    return join(this.dir, name);
  }

  /** Verify and read a checkpoint (default: the latest). See `restoreCheckpoint`. */
  restore(prefix?: string | null, expected?: Map<string, { dtype: DType; shape: readonly number[] }>): RestoredCheckpoint {
    const p = prefix ?? this.latest();
    if (!p) throw new NotFoundError(`No checkpoint found in ${this.dir}`);
    return restoreCheckpoint(isAbsolute(p) ? p : join(this.dir, p), expected);
  }
}
