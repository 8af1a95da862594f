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
 * and throws TF1's errors (NotFoundError, InvalidArgumentError, DataLossError) otherwise. Sizes
 * come from `stat` before any read, and only the declared bytes are read: a data file longer or
 * shorter than its JSON says is refused without reading it, and the JSON and index files have
 * size limits (MAX_META_BYTES, MAX_INDEX_BYTES). The caller's state is checksummed too
 * (`state_sha256`).
 *
 * Finding the latest checkpoint trusts the index when it names a complete checkpoint; when the
 * index is missing, damaged, empty or names a checkpoint that is gone, the directory is scanned
 * and the newest complete checkpoint (by save time) is used, with a warning: a damaged index never
 * silently throws away the progress of the checkpoints beside it. Pruning to `max_to_keep` scans
 * too, so checkpoints that dropped out of the index (a crash between the JSON and the index, a
 * damaged index) are pruned like the others.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync, mkdirSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { type DType, DTYPES, tfDTypeName } from '../dtype.js';
import { type Tensor } from '../tensor.js';
import { DataLossError, InvalidArgumentError, NotFoundError, type OpError, ResourceExhaustedError } from '../errors.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { MAX_BUFFER_BYTES, fileSize, readFileLimited, readFileRange } from './files.js';

export interface CheckpointManagerOptions {
  /** Checkpoints kept on disk (default 5; 0 or less keeps all, as TF1's max_to_keep=None). */
  maxToKeep?: number;
  /** File name prefix (default `model`). */
  prefix?: string;
  /** Where warnings go (a damaged index, a fallback to a scanned checkpoint); default stderr. */
  warn?: (message: string) => void;
}

/** Largest `<prefix>.json` read: 64 MiB (a variable list of ~500k variables). */
export const MAX_META_BYTES = 64 * 2 ** 20;
/** Largest `checkpoint` index read: 1 MiB; a larger one is damaged. */
export const MAX_INDEX_BYTES = 2 ** 20;

/** The default warning sink: `warning: ...` on stderr. */
export function warnToStderr(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
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
  /** Hex sha256 of `JSON.stringify(state)` (absent in checkpoints written before it existed). */
  state_sha256?: string;
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

function sha256Hex(bytes: Uint8Array | string): string {
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
  if (fileSize(p) === null) return null;
  const bytes = readFileLimited(p, MAX_INDEX_BYTES, p);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataLossError(`${p}: not UTF-8 text`);
  }
  return parseCheckpointIndex(text, p);
}

/** A complete checkpoint found on disk. */
export interface FoundCheckpoint {
  /** Absolute prefix. */
  prefix: string;
  /** File name prefix (`model-200`). */
  name: string;
  step: number;
  /** ISO time of the save ('' if the record has none). */
  saved: string;
}

/** Parse and check a checkpoint record; null when `<prefix>.json` is missing. */
function readMeta(prefix: string): CheckpointMeta | null {
  const path = `${prefix}.json`;
  if (fileSize(path) === null) return null;
  return parseMeta(readFileLimited(path, MAX_META_BYTES, path), path);
}

/** The data file of a record (or its `.next` replacement) has exactly the declared size. */
function dataComplete(dir: string, meta: CheckpointMeta): boolean {
  const data = join(dir, meta.data);
  return fileSize(data) === meta.bytes || fileSize(`${data}.next`) === meta.bytes;
}

/**
 * Checkpoints in `dir` (of one file name prefix, or any) whose record parses and whose data file
 * has the declared size, oldest first: by save time, then step, then name. Files that are not
 * checkpoint records are skipped.
 */
export function scanCheckpoints(dir: string, prefix?: string): FoundCheckpoint[] {
  const out: FoundCheckpoint[] = [];
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return out;
  }
  for (const f of files) {
    const m = /^(.+)-(\d+)\.json$/.exec(f);
    if (!m || (prefix !== undefined && m[1] !== prefix)) continue;
    const name = f.slice(0, -5);
    let meta: CheckpointMeta | null;
    try {
      meta = readMeta(join(dir, name));
    } catch {
      continue; // not a (readable) checkpoint record
    }
    if (!meta || !dataComplete(dir, meta)) continue;
    out.push({ prefix: join(dir, name), name, step: meta.step, saved: typeof meta.saved === 'string' ? meta.saved : '' });
  }
  return out.sort((a, b) => (a.saved < b.saved ? -1 : a.saved > b.saved ? 1 : a.step - b.step || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
}

/** True when `prefix` is a complete checkpoint (record parses, data file of the declared size). */
function isComplete(prefix: string): boolean {
  try {
    const meta = readMeta(prefix);
    return meta !== null && dataComplete(resolve(prefix, '..'), meta);
  } catch {
    return false;
  }
}

/**
 * TF1's `tf.train.latest_checkpoint(dir)`: the checkpoint the index names, when it is complete.
 * Otherwise (no index beside checkpoints, an index that is damaged, empty, or names a missing or
 * incomplete checkpoint) the newest complete checkpoint found by scanning `dir`, with a warning
 * saying why; null when there is none.
 */
export function latestCheckpoint(dir: string, opts: { warn?: (message: string) => void } = {}): string | null {
  const warn = opts.warn ?? warnToStderr;
  const indexPath = join(dir, INDEX_FILE);
  let problem: string;
  try {
    const idx = readIndex(dir);
    if (idx === null) problem = `there is no ${INDEX_FILE} index in ${dir}`;
    else if (idx.latest === null) problem = `the index ${indexPath} names no checkpoint`;
    else {
      const prefix = isAbsolute(idx.latest) ? idx.latest : join(dir, idx.latest);
      if (isComplete(prefix)) return prefix;
      problem = `the index ${indexPath} names ${idx.latest}, which is missing or incomplete`;
    }
  } catch (e) {
    problem = `the index ${indexPath} is damaged (${(e as OpError).tfMessage ?? (e as Error).message})`;
  }
  const found = scanCheckpoints(dir);
  if (found.length === 0) {
    if (fileSize(indexPath) !== null) warn(`${problem}, and no complete checkpoint was found beside it`);
    return null;
  }
  const newest = found[found.length - 1];
  warn(`${problem}; using the newest complete checkpoint found in the directory: ${newest.prefix} (step ${newest.step})`);
  return newest.prefix;
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
    m.step >= 0 &&
    typeof m.data === 'string' &&
    basename(m.data) === m.data &&
    typeof m.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(m.sha256) &&
    Number.isSafeInteger(m.bytes) &&
    m.bytes >= 8 &&
    (m.state_sha256 === undefined || (typeof m.state_sha256 === 'string' && /^[0-9a-f]{64}$/.test(m.state_sha256))) &&
    (m.saved === undefined || typeof m.saved === 'string') &&
    Array.isArray(m.variables) &&
    m.variables.every(
      (v) => v && typeof v.name === 'string' && DTYPES.includes(v.dtype) && Array.isArray(v.shape) && v.shape.every((d) => Number.isSafeInteger(d) && d >= 0),
    );
  if (!ok) throw new DataLossError(`Checkpoint ${path} is corrupted: missing or invalid fields (expected a tfg-checkpoint version 1 record)`);
  if (m.state_sha256 !== undefined && sha256Hex(JSON.stringify(m.state ?? null)) !== m.state_sha256) {
    throw new DataLossError(
      `Checkpoint ${path} is corrupted: checksum mismatch in its state: sha256 ${sha256Hex(JSON.stringify(m.state ?? null))}, expected ${m.state_sha256}`,
    );
  }
  return m;
}

/** Read and fully verify a checkpoint; throws before returning anything on any problem. */
export function restoreCheckpoint(prefix: string, expected?: Map<string, { dtype: DType; shape: readonly number[] }>): RestoredCheckpoint {
  const abs = resolve(prefix);
  const metaPath = `${abs}.json`;
  const meta = readMeta(abs);
  if (!meta) throw new NotFoundError(`Unsuccessful TensorSliceReader constructor: Failed to find any matching files for ${abs}`);
  const dataPath = join(resolve(abs, '..'), meta.data);
  if (meta.bytes > MAX_BUFFER_BYTES)
    throw new ResourceExhaustedError(`Checkpoint ${abs}: its data file has ${meta.bytes} bytes, more than one buffer holds (${MAX_BUFFER_BYTES} bytes)`);
  // The data file, or (mid re-save of the same step) its `.next` replacement: whichever matches.
  // Sizes are compared before reading, and only the declared bytes are ever read.
  let bytes: Uint8Array | null = null;
  let firstProblem = '';
  for (const cand of [dataPath, `${dataPath}.next`]) {
    const size = fileSize(cand);
    if (size === null) {
      firstProblem ||= `data file ${cand} is missing`;
      continue;
    }
    if (size !== meta.bytes) {
      firstProblem ||= size < meta.bytes ? `${cand} is truncated: ${size} bytes, expected ${meta.bytes}` : `${cand} has ${size} bytes, expected ${meta.bytes}`;
      continue;
    }
    const b = readFileRange(cand, 0, meta.bytes);
    if (sha256Hex(b) !== meta.sha256) firstProblem ||= `checksum mismatch in ${cand}: sha256 ${sha256Hex(b)}, expected ${meta.sha256}`;
    else {
      bytes = b;
      break;
    }
  }
  if (!bytes) {
    if (firstProblem.endsWith('is missing'))
      throw new NotFoundError(`Unsuccessful TensorSliceReader constructor: Failed to find any matching files for ${abs}: ${firstProblem}`);
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
    if (!v || v.dtype !== t.dtype || v.shape.join(',') !== t.shape.join(','))
      throw new DataLossError(`Checkpoint ${abs} is corrupted: tensor ${name} does not match the variable list in ${metaPath}`);
  }
  if (listed.size !== tensors.size)
    throw new DataLossError(`Checkpoint ${abs} is corrupted: ${metaPath} lists ${listed.size} variables, the data file holds ${tensors.size}`);

  let out = tensors;
  if (expected) {
    out = new Map();
    for (const [name] of expected) if (!tensors.has(name)) throw new NotFoundError(`Key ${name} not found in checkpoint`);
    for (const [name, want] of expected) {
      const t = tensors.get(name)!;
      if (t.dtype !== want.dtype) {
        throw new InvalidArgumentError(
          `tensor_name = ${name}; expected dtype ${tfDTypeName(want.dtype)} does not equal original dtype ${tfDTypeName(t.dtype)}`,
        );
      }
      if (t.shape.join(',') !== want.shape.join(',')) {
        throw new InvalidArgumentError(
          `Restoring from checkpoint failed. This is most likely due to a mismatch between the current graph and the graph from the checkpoint. Variable ${name}: Assign requires shapes of both tensors to match. lhs shape= [${want.shape.join(',')}] rhs shape= [${t.shape.join(',')}]`,
        );
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
  private readonly warn: (message: string) => void;

  constructor(dir: string, opts: CheckpointManagerOptions = {}) {
    this.dir = resolve(dir);
    this.maxToKeep = opts.maxToKeep ?? 5;
    this.prefix = opts.prefix ?? 'model';
    this.warn = opts.warn ?? warnToStderr;
    if (!/^[A-Za-z0-9_.-]+$/.test(this.prefix))
      throw new InvalidArgumentError(`CheckpointManager: prefix ${JSON.stringify(this.prefix)} must be a plain file name`);
    mkdirSync(this.dir, { recursive: true });
    // Temporary files of a writer that died mid-save are garbage: the index never names them.
    // So is a data file whose JSON never landed (the JSON is what makes a checkpoint complete).
    for (const f of readdirSync(this.dir)) {
      if (/\.tmp-\d+-\d+$/.test(f)) unlinkSync(join(this.dir, f));
      const m = /^(.*)\.safetensors(\.next)?$/.exec(f);
      if (m && m[1].startsWith(`${this.prefix}-`) && !existsSync(join(this.dir, `${m[1]}.json`))) unlinkSync(join(this.dir, f));
    }
    // What is kept is what is on disk (not only what the index lists): see scanCheckpoints.
    this.kept = scanCheckpoints(this.dir, this.prefix).map((c) => c.name);
  }

  /** Kept checkpoint prefixes (absolute), oldest first. */
  checkpoints(): string[] {
    return this.kept.map((p) => join(this.dir, p));
  }

  /** The latest checkpoint prefix, or null (TF1's `latest_checkpoint`, falling back to a scan). */
  latest(): string | null {
    return latestCheckpoint(this.dir, { warn: this.warn });
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
      state_sha256: sha256Hex(stateJson),
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
    } else if (fileSize(dataPath) === bytes.length && sha256Hex(readFileRange(dataPath, 0, bytes.length)) === sha) {
      atomicWriteFile(jsonPath, metaText);
    } else {
      // Same step, different weights: never leave the JSON and the data file disagreeing.
      atomicWriteFile(`${dataPath}.next`, bytes);
      atomicWriteFile(jsonPath, metaText);
      renameSync(`${dataPath}.next`, dataPath);
      fsyncDir(this.dir);
    }
    // Everything of this prefix on disk counts for pruning, listed in the index or not; the new
    // checkpoint is the newest whatever the clocks say.
    const onDisk = this.maxToKeep > 0 ? scanCheckpoints(this.dir, this.prefix).map((c) => c.name) : this.kept;
    const kept = onDisk.filter((p) => p !== name);
    kept.push(name);
    const drop = this.maxToKeep > 0 && kept.length > this.maxToKeep ? kept.splice(0, kept.length - this.maxToKeep) : [];
    atomicWriteFile(join(this.dir, INDEX_FILE), formatCheckpointIndex({ latest: name, all: kept }));
    this.kept = kept;
    for (const old of drop) {
      const base = join(this.dir, old);
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

/**
 * The tensors of a checkpoint named by a path: a `.safetensors` file, a checkpoint prefix
 * (`runs/x/checkpoints/model-500`), or a directory — its latest checkpoint, or that of its
 * `checkpoints/` folder (a `tfg train` logdir). For `tfg compile --checkpoint` and
 * `tfg run --checkpoint`.
 */
export function readCheckpointTensors(path: string, opts: { warn?: (message: string) => void } = {}): { tensors: Map<string, Tensor>; source: string } {
  if (path.endsWith('.safetensors')) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new NotFoundError(`cannot read the checkpoint ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return { tensors: readSafetensors(bytes, path).tensors, source: path };
  }
  let prefix = path;
  if (existsSync(path) && statSync(path).isDirectory()) {
    const found = latestCheckpoint(path, opts) ?? (existsSync(join(path, 'checkpoints')) ? latestCheckpoint(join(path, 'checkpoints'), opts) : null);
    if (!found) throw new NotFoundError(`No checkpoint found in ${path}`);
    prefix = found;
  }
  const r = restoreCheckpoint(prefix);
  return { tensors: r.tensors, source: r.prefix };
}
