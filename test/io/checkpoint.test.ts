/**
 * @fileoverview CheckpointManager: round trip, TF1 index file, pruning, every kind of damage
 * giving TF1's error with nothing returned, crash states of a re-save, and child processes
 * SIGKILLed in the middle of a save loop leaving the latest checkpoint loadable and intact.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, copyFileSync, truncateSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointManager, latestCheckpoint, parseCheckpointIndex, restoreCheckpoint, scanCheckpoints } from '../../session/node/checkpoint.js';
import { Tensor } from '../../session/tensor.js';
import { DataLossError, InvalidArgumentError, NotFoundError } from '../../session/errors.js';
import { repoPath } from '../helpers.js';
import { BatchIterator, Dataset, type IteratorState } from '../../session/io/dataset.js';
import { Trainer, parseTrainState } from '../../session/train/trainer.js';
import type { TrainPlan, TrainSession } from '../../session/train/plan.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tfg-ckpt-'));

function vars(k: number): Map<string, Tensor> {
  return new Map<string, Tensor>([
    ['dense/kernel', new Tensor('f32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6].map((v) => v * k)))],
    ['dense/bias', new Tensor('f64', [3], Float64Array.from([0.5, -0.5, k]))],
    ['global_step', new Tensor('i32', [], Int32Array.from([k]))],
    ['mask', new Tensor('bool', [2], Uint8Array.from([1, 0]))],
  ]);
}
const specOf = (m: Map<string, Tensor>) => new Map([...m].map(([n, x]) => [n, { dtype: x.dtype, shape: x.shape }]));

t.test('round trip with state, and the TF1 index file', (t) => {
  const dir = tmp();
  const mgr = new CheckpointManager(dir);
  t.equal(mgr.latest(), null);
  t.throws(() => mgr.restore(), NotFoundError);
  const state = { epoch: 2, data: { position: 40, rngBlock: 17 }, rng: [1, 2] };
  const p = mgr.save(vars(1), state, 1000);
  t.equal(p, join(dir, 'model-1000'));
  t.ok(existsSync(`${p}.safetensors`) && existsSync(`${p}.json`));
  t.equal(readFileSync(join(dir, 'checkpoint'), 'utf8'), 'model_checkpoint_path: "model-1000"\nall_model_checkpoint_paths: "model-1000"\n');
  mgr.save(vars(2), { epoch: 3 }, 2000);
  t.equal(
    readFileSync(join(dir, 'checkpoint'), 'utf8'),
    'model_checkpoint_path: "model-2000"\nall_model_checkpoint_paths: "model-1000"\nall_model_checkpoint_paths: "model-2000"\n',
  );
  t.equal(latestCheckpoint(dir), join(dir, 'model-2000'));
  const r = mgr.restore('model-1000', specOf(vars(1)));
  t.equal(r.step, 1000);
  t.same(r.state, state);
  for (const [n, x] of vars(1)) {
    t.equal(r.tensors.get(n)!.dtype, x.dtype);
    t.same(Array.from(r.tensors.get(n)!.data), Array.from(x.data), n);
  }
  const meta = JSON.parse(readFileSync(`${p}.json`, 'utf8'));
  t.same(
    meta.variables.map((v: { name: string }) => v.name),
    ['dense/kernel', 'dense/bias', 'global_step', 'mask'],
  );
  t.match(meta.sha256, /^[0-9a-f]{64}$/);
  // A subset of the variables may be restored; without a spec everything comes back.
  t.same([...mgr.restore(null, new Map([['mask', { dtype: 'bool' as const, shape: [2] }]])).tensors.keys()], ['mask']);
  t.equal(restoreCheckpoint(join(dir, 'model-2000')).tensors.size, 4);
  t.end();
});

t.test('max_to_keep prunes the oldest, and a new manager picks the list up', (t) => {
  const dir = tmp();
  const mgr = new CheckpointManager(dir, { maxToKeep: 3, prefix: 'ckpt' });
  for (let s = 1; s <= 5; s++) mgr.save(vars(s), {}, s * 10);
  t.same(readdirSync(dir).sort(), [
    'checkpoint',
    'ckpt-30.json',
    'ckpt-30.safetensors',
    'ckpt-40.json',
    'ckpt-40.safetensors',
    'ckpt-50.json',
    'ckpt-50.safetensors',
  ]);
  t.same(parseCheckpointIndex(readFileSync(join(dir, 'checkpoint'), 'utf8')), { latest: 'ckpt-50', all: ['ckpt-30', 'ckpt-40', 'ckpt-50'] });
  const again = new CheckpointManager(dir, { maxToKeep: 3, prefix: 'ckpt' });
  t.same(
    again.checkpoints(),
    ['ckpt-30', 'ckpt-40', 'ckpt-50'].map((n) => join(dir, n)),
  );
  again.save(vars(6), {}, 60);
  t.notOk(existsSync(join(dir, 'ckpt-30.json')), 'pruning continues across managers');
  const all = new CheckpointManager(tmp(), { maxToKeep: 0 });
  for (let s = 1; s <= 7; s++) all.save(vars(s), {}, s);
  t.equal(all.checkpoints().length, 7, 'maxToKeep 0 keeps everything');
  t.end();
});

t.test('damage and mismatches throw TF1 errors and return nothing', (t) => {
  const dir = tmp();
  const mgr = new CheckpointManager(dir);
  const p = mgr.save(vars(3), { epoch: 1 }, 7);
  const data = `${p}.safetensors`;
  const good = readFileSync(data);
  const spec = specOf(vars(3));
  // The caller's variables, assigned only if restore returns.
  const live = vars(9);
  const attempt = (fn: () => ReturnType<typeof mgr.restore>) => {
    const r = fn();
    for (const [n, x] of r.tensors) live.set(n, x);
  };
  const unchanged = () => t.same(Array.from(live.get('dense/kernel')!.data), Array.from(vars(9).get('dense/kernel')!.data), 'variables unchanged');

  writeFileSync(data, good.subarray(0, good.length - 5));
  t.throws(() => attempt(() => mgr.restore(p, spec)), { name: 'DataLossError', message: /is truncated: \d+ bytes, expected \d+/ });
  unchanged();
  const flipped = Buffer.from(good);
  flipped[flipped.length - 20] ^= 1;
  writeFileSync(data, flipped);
  t.throws(() => attempt(() => mgr.restore(p, spec)), { name: 'DataLossError', message: /checksum mismatch/ });
  unchanged();
  writeFileSync(data, good);
  t.throws(() => attempt(() => mgr.restore(p, new Map([...spec, ['dense_1/kernel', { dtype: 'f32' as const, shape: [2, 3] }]]))), {
    name: 'NotFoundError',
    message: 'Key dense_1/kernel not found in checkpoint',
  });
  t.throws(() => attempt(() => mgr.restore(p, new Map([['dense/kernel', { dtype: 'f32' as const, shape: [3, 2] }]]))), {
    name: 'InvalidArgumentError',
    message: /Variable dense\/kernel: Assign requires shapes of both tensors to match\. lhs shape= \[3,2\] rhs shape= \[2,3\]/,
  });
  t.throws(() => attempt(() => mgr.restore(p, new Map([['dense/bias', { dtype: 'f32' as const, shape: [3] }]]))), {
    name: 'InvalidArgumentError',
    message: 'tensor_name = dense/bias; expected dtype float does not equal original dtype double',
  });
  unchanged();
  const metaText = readFileSync(`${p}.json`, 'utf8');
  writeFileSync(`${p}.json`, metaText.slice(0, 30));
  t.throws(() => mgr.restore(p, spec), { name: 'DataLossError', message: /not valid JSON/ });
  writeFileSync(`${p}.json`, metaText.replace('"dense/bias"', '"dense/bias2"'));
  t.throws(() => mgr.restore(p, spec), { name: 'DataLossError', message: /does not match the variable list/ });
  writeFileSync(`${p}.json`, metaText);
  unlinkSync(data);
  t.throws(() => mgr.restore(p, spec), { name: 'NotFoundError', message: /Failed to find any matching files/ });
  t.throws(() => mgr.restore('model-99', spec), NotFoundError);
  writeFileSync(data, good);
  t.equal(mgr.restore(p, spec).step, 7, 'repaired checkpoint restores');
  t.throws(() => mgr.save(vars(1), {}, -1), InvalidArgumentError);
  t.throws(() => new CheckpointManager(dir, { prefix: '../x' }), InvalidArgumentError);
  t.end();
});

t.test('re-saving a step: every intermediate state restores a consistent checkpoint', (t) => {
  const dir = tmp();
  const mgr = new CheckpointManager(dir);
  const p = mgr.save(vars(1), { v: 1 }, 5);
  mgr.save(vars(1), { v: 'same weights' }, 5);
  t.same(mgr.restore(p).state, { v: 'same weights' });
  // Reproduce the crash window of a re-save with different weights: new JSON, old data, .next.
  const old = { data: readFileSync(`${p}.safetensors`), json: readFileSync(`${p}.json`) };
  mgr.save(vars(2), { v: 2 }, 5);
  const fresh = { data: readFileSync(`${p}.safetensors`), json: readFileSync(`${p}.json`) };
  writeFileSync(`${p}.safetensors`, old.data);
  writeFileSync(`${p}.safetensors.next`, fresh.data);
  writeFileSync(`${p}.json`, fresh.json);
  const r = mgr.restore(p);
  t.same(r.state, { v: 2 });
  t.same(Array.from(r.tensors.get('global_step')!.data), [2], 'the .next data matches the JSON');
  writeFileSync(`${p}.json`, old.json);
  t.same(mgr.restore(p).state, { v: 'same weights' }, 'before the JSON swap, the old pair');
  mgr.save(vars(3), { v: 3 }, 5);
  t.same(mgr.restore(p).state, { v: 3 });
  t.notOk(existsSync(`${p}.safetensors.next`));
  t.same(parseCheckpointIndex(readFileSync(join(dir, 'checkpoint'), 'utf8')).all, ['model-5']);
  t.end();
});

t.test('leftovers of a dead writer are cleaned; foreign index entries are understood', (t) => {
  const dir = tmp();
  const mgr = new CheckpointManager(dir);
  const p = mgr.save(vars(1), {}, 1);
  writeFileSync(join(dir, 'model-2.safetensors.tmp-123-0'), 'partial');
  copyFileSync(`${p}.safetensors`, join(dir, 'model-2.safetensors')); // data renamed, JSON never written
  new CheckpointManager(dir);
  t.same(readdirSync(dir).sort(), ['checkpoint', 'model-1.json', 'model-1.safetensors']);
  writeFileSync(
    join(dir, 'checkpoint'),
    `model_checkpoint_path: "${p}"\nall_model_checkpoint_paths: "${p}"\nall_model_checkpoint_timestamps: 1.7e9\nlast_preserved_timestamp: 1.6e9\n`,
  );
  t.equal(latestCheckpoint(dir), p, 'absolute paths and timestamps as TF1 writes them');
  t.same(new CheckpointManager(dir).checkpoints(), [p]);
  t.throws(() => parseCheckpointIndex('model_checkpoint_path: unquoted'), DataLossError);
  renameSync(`${p}.json`, `${p}.json.bak`);
  writeFileSync(join(dir, 'checkpoint'), 'model_checkpoint_path: "model-1"\n');
  const warnings: string[] = [];
  t.equal(latestCheckpoint(dir, { warn: (m) => warnings.push(m) }), null, 'an index naming an incomplete checkpoint, nothing else: null');
  t.match(warnings, [/names model-1, which is missing or incomplete, and no complete checkpoint was found beside it/]);
  t.end();
});

/** A manager whose warnings are collected. */
function quiet(dir: string, opts: { maxToKeep?: number; prefix?: string } = {}): { mgr: CheckpointManager; warnings: string[] } {
  const warnings: string[] = [];
  return { mgr: new CheckpointManager(dir, { ...opts, warn: (m) => warnings.push(m) }), warnings };
}

t.test('a damaged index falls back to the newest complete checkpoint, with a warning', (t) => {
  const dir = tmp();
  const { mgr } = quiet(dir, { maxToKeep: 0 });
  for (let s = 1; s <= 3; s++) mgr.save(vars(s), { s }, s * 100);
  const newest = join(dir, 'model-300');
  const variants: [string, string | Uint8Array | null, RegExp][] = [
    ['garbage', 'garbage here\n', /the index .*checkpoint is damaged \(.*cannot parse checkpoint index line "garbage here"\)/],
    ['empty', '', /the index .*checkpoint names no checkpoint/],
    ['unquoted', 'model_checkpoint_path: model-300\n', /is damaged \(.*model_checkpoint_path must be a quoted string\)/],
    ['naming a missing checkpoint', 'model_checkpoint_path: "model-400"\n', /names model-400, which is missing or incomplete/],
    ['not UTF-8', Uint8Array.of(0xff, 0xfe, 0x00, 0x80), /is damaged \(.*not UTF-8 text\)/],
    ['missing', null, /there is no checkpoint index in /],
  ];
  for (const [what, content, why] of variants) {
    if (content === null) unlinkSync(join(dir, 'checkpoint'));
    else writeFileSync(join(dir, 'checkpoint'), content);
    const warnings: string[] = [];
    t.equal(latestCheckpoint(dir, { warn: (m) => warnings.push(m) }), newest, `${what}: the newest complete checkpoint`);
    t.equal(warnings.length, 1, `${what}: one warning`);
    t.match(warnings[0], why, what);
    t.match(warnings[0], /; using the newest complete checkpoint found in the directory: .*model-300 \(step 300\)$/);
    const m = quiet(dir);
    t.equal(m.mgr.latest(), newest, `${what}: the manager agrees`);
    t.same((m.mgr.restore(null).state as { s: number }).s, 3, `${what}: and restores it`);
  }
  // An index naming an incomplete checkpoint (its data file cut short): the newest complete one.
  writeFileSync(join(dir, 'checkpoint'), 'model_checkpoint_path: "model-300"\n');
  const data = readFileSync(`${newest}.safetensors`);
  writeFileSync(`${newest}.safetensors`, data.subarray(0, 100));
  const warnings: string[] = [];
  t.equal(latestCheckpoint(dir, { warn: (m) => warnings.push(m) }), join(dir, 'model-200'));
  t.match(warnings, [/names model-300, which is missing or incomplete; using .*model-200 \(step 200\)/]);
  writeFileSync(`${newest}.safetensors`, data);
  // An intact index is trusted, silently (even when a newer checkpoint sits beside it).
  writeFileSync(join(dir, 'checkpoint'), 'model_checkpoint_path: "model-200"\n');
  const none: string[] = [];
  t.equal(latestCheckpoint(dir, { warn: (m) => none.push(m) }), join(dir, 'model-200'));
  t.same(none, []);
  // No checkpoint at all: null; a damaged index beside nothing says so.
  const empty = tmp();
  const w2: string[] = [];
  t.equal(latestCheckpoint(empty, { warn: (m) => w2.push(m) }), null);
  t.same(w2, [], 'a fresh directory is no warning');
  writeFileSync(join(empty, 'checkpoint'), 'garbage\n');
  t.equal(latestCheckpoint(empty, { warn: (m) => w2.push(m) }), null);
  t.match(w2, [/is damaged .* and no complete checkpoint was found beside it/]);
  t.end();
});

t.test('pruning scans the directory: checkpoints that dropped out of the index are pruned too', (t) => {
  // The reported case: a damaged index, then more saves; max_to_keep=3 must leave 3 on disk.
  const dir = tmp();
  const a = quiet(dir, { maxToKeep: 3 });
  for (let s = 1; s <= 3; s++) a.mgr.save(vars(s), {}, s);
  writeFileSync(join(dir, 'checkpoint'), 'garbage\n');
  const b = quiet(dir, { maxToKeep: 3 });
  t.same(
    b.mgr.checkpoints(),
    [1, 2, 3].map((s) => join(dir, `model-${s}`)),
    'the checkpoints on disk are known',
  );
  b.mgr.save(vars(4), {}, 4);
  b.mgr.save(vars(5), {}, 5);
  t.same(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort(),
    ['model-3.json', 'model-4.json', 'model-5.json'],
  );
  t.same(parseCheckpointIndex(readFileSync(join(dir, 'checkpoint'), 'utf8')), { latest: 'model-5', all: ['model-3', 'model-4', 'model-5'] });
  // A crash between a checkpoint's JSON and the index leaves it out of the index: pruned later.
  const c = quiet(dir, { maxToKeep: 3 });
  c.mgr.save(vars(6), {}, 6);
  const index = readFileSync(join(dir, 'checkpoint'));
  c.mgr.save(vars(7), {}, 7);
  writeFileSync(join(dir, 'checkpoint'), index); // as if the process died before writing the index
  copyFileSync(join(dir, 'model-7.json'), join(dir, 'keep.json')); // a file that is no checkpoint of this prefix
  const d = quiet(dir, { maxToKeep: 3 });
  d.mgr.save(vars(8), {}, 8);
  d.mgr.save(vars(9), {}, 9);
  t.same(
    readdirSync(dir)
      .filter((f) => f.startsWith('model-'))
      .sort(),
    ['model-7.json', 'model-7.safetensors', 'model-8.json', 'model-8.safetensors', 'model-9.json', 'model-9.safetensors'],
  );
  t.ok(existsSync(join(dir, 'keep.json')), 'other files are left alone');
  // Another prefix in the same directory is not pruned by this one.
  const other = quiet(dir, { maxToKeep: 1, prefix: 'other' });
  other.mgr.save(vars(1), {}, 1);
  other.mgr.save(vars(2), {}, 2);
  t.same(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort(),
    ['keep.json', 'model-7.json', 'model-8.json', 'model-9.json', 'other-2.json'],
  );
  t.end();
});

t.test('oversized files are refused from their size, before reading (sparse files, no disk used)', (t) => {
  const dir = tmp();
  const { mgr } = quiet(dir);
  const p = mgr.save(vars(1), { epoch: 1 }, 5);
  const data = `${p}.safetensors`;
  const good = readFileSync(data);
  const rss0 = process.memoryUsage().rss;
  for (const size of [1_900_000_000, 3_000_000_000]) {
    truncateSync(data, size); // sparse: no blocks written
    t.throws(
      () => mgr.restore(p),
      { name: 'DataLossError', message: new RegExp(`model-5\\.safetensors has ${size} bytes, expected ${good.length}`) },
      `${size} bytes`,
    );
    t.equal(latestCheckpoint(dir, { warn: () => {} }), null, `${size} bytes: not complete, so not the latest`);
  }
  t.ok(process.memoryUsage().rss - rss0 < 256 * 2 ** 20, `nothing large was read (rss +${Math.round((process.memoryUsage().rss - rss0) / 2 ** 20)} MB)`);
  writeFileSync(data, good);
  // A JSON record or an index far larger than any can be: refused by size.
  const json = readFileSync(`${p}.json`);
  truncateSync(`${p}.json`, 3_000_000_000);
  t.throws(() => mgr.restore(p), { name: 'DataLossError', message: /model-5\.json is 3000000000 bytes, more than the 67108864 bytes such a file may have/ });
  writeFileSync(`${p}.json`, json);
  truncateSync(join(dir, 'checkpoint'), 2 ** 21);
  const w: string[] = [];
  t.equal(latestCheckpoint(dir, { warn: (m) => w.push(m) }), p, 'an oversized index is damaged: the scan finds the checkpoint');
  t.match(w, [/is damaged \(.*checkpoint is 2097152 bytes, more than the 1048576 bytes such a file may have\)/]);
  // A record declaring more bytes than one buffer holds: ResourceExhaustedError, nothing read.
  const meta = JSON.parse(json.toString('utf8'));
  writeFileSync(`${p}.json`, JSON.stringify({ ...meta, bytes: 2 ** 33 }));
  t.throws(() => mgr.restore(p), { name: 'ResourceExhaustedError', message: /data file has 8589934592 bytes, more than one buffer holds/ });
  // A record with a negative step or size is damaged.
  writeFileSync(`${p}.json`, JSON.stringify({ ...meta, step: -1 }));
  t.throws(() => mgr.restore(p), { name: 'DataLossError', message: /missing or invalid fields/ });
  writeFileSync(`${p}.json`, json);
  t.equal(mgr.restore(p).step, 5, 'repaired');
  t.end();
});

/** A training state as the trainer writes it, for a dataset of 37 rows in batches of 5. */
function goodState(): Record<string, unknown> {
  const it = new BatchIterator(new Dataset({ y: new Tensor('i32', [37], new Int32Array(37)) }), { batchSize: 5, seed: 11 });
  for (let s = 0; s < 10; s++) it.next();
  return {
    format: 'tfg-train-state',
    version: 1,
    global_step: 10,
    epoch: 1,
    iterator: it.state(),
    best: 0.5,
    best_epoch: 1,
    bad_evals: 0,
    stopped_early: false,
    epoch_loss_sum: 3.5,
    epoch_examples: 10,
    last_metrics: { validation: { accuracy: 0.75, loss: null } },
  };
}

t.test('every field of a training state is checked; the state is checksummed like the tensors', (t) => {
  const ok = parseTrainState(goodState(), 'ck');
  t.equal(ok.global_step, 10);
  t.ok(Number.isNaN(ok.last_metrics.validation.loss), 'a NaN metric (written as null) reads back as NaN');
  const cases: [string, (s: Record<string, unknown>) => void, RegExp][] = [
    ['global_step: -5', (s) => (s.global_step = -5), /global_step is -5, expected a non-negative integer/],
    ['global_step: 1.5', (s) => (s.global_step = 1.5), /global_step is 1\.5/],
    ['global_step: "10"', (s) => (s.global_step = '10'), /global_step is "10"/],
    ['epoch: -1', (s) => (s.epoch = -1), /epoch is -1, expected an integer in \[0, 10\]/],
    ['epoch: 10**15', (s) => (s.epoch = 10 ** 15), /epoch is 1000000000000000, expected an integer in \[0, 10\]/],
    ['rngBlock: 1e300', (s) => ((s.iterator as Record<string, unknown>).rngBlock = 1e300), /iterator\.rngBlock is 1e\+300, expected a non-negative integer/],
    ['iterator: null', (s) => (s.iterator = null), /iterator is null, expected an object/],
    [
      'iterator.position past the data',
      (s) => ((s.iterator as Record<string, unknown>).position = 37),
      /iterator\.position is 37, expected a row below iterator\.size \(37\)/,
    ],
    ['iterator.epoch disagrees', (s) => ((s.iterator as Record<string, unknown>).epoch = 2), /iterator\.epoch is 2, expected the state's epoch \(1\)/],
    ['iterator.batchSize 0', (s) => ((s.iterator as Record<string, unknown>).batchSize = 0), /iterator\.batchSize is 0, expected a positive integer/],
    ['iterator.shuffle missing', (s) => delete (s.iterator as Record<string, unknown>).shuffle, /iterator\.shuffle is undefined, expected true or false/],
    ['best: "x"', (s) => (s.best = 'x'), /best is "x"/],
    ['best without its epoch', (s) => (s.best_epoch = null), /best_epoch is null, expected the epoch of best/],
    ['best_epoch past epoch', (s) => (s.best_epoch = 7), /best_epoch is 7, expected an integer in \[0, 1\]/],
    ['bad_evals: -1', (s) => (s.bad_evals = -1), /bad_evals is -1/],
    ['stopped_early: 1', (s) => (s.stopped_early = 1), /stopped_early is 1, expected true or false/],
    ['epoch_loss_sum: "a"', (s) => (s.epoch_loss_sum = 'a'), /epoch_loss_sum is "a"/],
    ['epoch_examples: -3', (s) => (s.epoch_examples = -3), /epoch_examples is -3/],
    ['last_metrics: []', (s) => (s.last_metrics = []), /last_metrics is \[\], expected an object of splits/],
    ['a metric: "high"', (s) => (s.last_metrics = { validation: { accuracy: 'high' } }), /last_metrics\.validation\.accuracy is "high"/],
    ['version: 2', (s) => (s.version = 2), /version is 2, expected 1/],
  ];
  for (const [what, edit, message] of cases) {
    const s = goodState();
    edit(s);
    t.throws(() => parseTrainState(s, 'ck'), { name: 'DataLossError', message }, what);
  }
  for (const notState of [null, 3, [], { format: 'other' }, { epoch: 2 }]) {
    t.throws(
      () => parseTrainState(notState, 'ck'),
      { name: 'InvalidArgumentError', message: /ck holds no training state \(it was not written by tfg train\)/ },
      JSON.stringify(notState),
    );
  }
  // The state in a checkpoint is checksummed: a hand edit is data loss, whatever the value.
  const dir = tmp();
  const { mgr } = quiet(dir);
  const p = mgr.save(vars(1), goodState(), 10);
  const text = readFileSync(`${p}.json`, 'utf8');
  t.match(text, /"state_sha256": "[0-9a-f]{64}"/);
  t.same(parseTrainState(mgr.restore(p).state, p).global_step, 10);
  writeFileSync(`${p}.json`, text.replace('"global_step": 10', '"global_step": 11'));
  t.throws(() => mgr.restore(p), { name: 'DataLossError', message: /is corrupted: checksum mismatch in its state/ });
  // A record without a state checksum (written before it existed) still restores.
  const meta = JSON.parse(text);
  delete meta.state_sha256;
  writeFileSync(`${p}.json`, JSON.stringify(meta));
  t.equal(mgr.restore(p).step, 10);
  t.end();
});

t.test('a resumed trainer checks its state against the data position', async (t) => {
  const n = 37;
  const data = {
    train: new Dataset({
      x: new Tensor(
        'f64',
        [n, 1],
        Float64Array.from({ length: n }, (_, i) => i + 1),
      ),
    }),
  };
  const plan = {
    name: null,
    data: { train: { kind: 'moons', n_samples: n, noise: 0, seed: null }, validation: null, test: null, split_seed: 0, scale: [], limit: null },
    feed: { X: 'x' },
    op: 'train',
    loss: 'loss',
    init: null,
    epochs: 3,
    batch_size: 5,
    seed: 11,
    metrics: {},
    eval_every: 1,
    eval_batch_size: 5,
    early_stopping: null,
    checkpoint: { dir: null, every_epochs: null, every_steps: 4, max_to_keep: 0 },
    summaries: { every_steps: 1000, scalars: {} },
    logdir: null,
    constant_feeds: {},
    placeholders: { X: { dtype: 'f64', shape: [null, 1] } },
  } as TrainPlan;
  /** A session whose one variable depends on the exact order of the batches. */
  const session = (): TrainSession & { w: Float64Array } => {
    const w = new Float64Array(1);
    return {
      w,
      run: (fetches: string[], feeds?: Record<string, Tensor>) => {
        const x = feeds!['X:0'].data;
        for (const v of x) w[0] = w[0] * 0.5 + v;
        return fetches.map((f) => (f === 'train' ? null : new Tensor('f64', [], Float64Array.of(w[0]))));
      },
      readVariable: () => new Tensor('f64', [1], Float64Array.from(w)),
      writeVariable: (_n: string, v: Tensor) => w.set(v.data),
      variableNames: () => ['w'],
    };
  };
  const dir = tmp();
  const full = session();
  const { mgr } = quiet(dir, { maxToKeep: 0 });
  await new Trainer({ plan, session: full, data, checkpoints: mgr }).run();
  const p = join(dir, 'model-12');
  const r = restoreCheckpoint(p);
  const state = parseTrainState(r.state, p);
  const resumed = session();
  resumed.writeVariable('w', r.tensors.get('w')!);
  const res = await new Trainer({ plan, session: resumed, data, resume: state, resumedFrom: p }).run();
  t.equal(res.state.global_step, 24);
  t.equal(resumed.w[0], full.w[0], 'resuming gives the uninterrupted weights');
  const off = { ...state, global_step: 13 };
  await t.rejects(new Trainer({ plan, session: session(), data, resume: parseTrainState(off, p), resumedFrom: p }).run(), {
    name: 'DataLossError',
    message: /model-12 holds a damaged training state: global_step is 13, but its data position \(epoch 1, row 20, 8 batches of 5 per epoch\) is step 12/,
  });
});

/** What a child printed, and how it ended. */
interface ChildRun {
  /** The i of every "saved i" line. */
  saved: number[];
  /** The i it resumed from ("resume" mode), else null. */
  resumed: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Run the save loop in a child; with `killAfterMs`, SIGKILL it that long after its first
 * completed save (else let it run `saves` saves and exit).
 */
function runChild(dir: string, mode: string, opts: { killAfterMs?: number; saves?: number }): Promise<ChildRun> {
  return new Promise((resolveP, reject) => {
    const args = [repoPath('dist/test/io/ckpt-child.js'), dir, mode, ...(opts.saves === undefined ? [] : [String(opts.saves)])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (opts.killAfterMs !== undefined && !armed && /^saved \d+$/m.test(out)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (opts.killAfterMs !== undefined ? signal !== 'SIGKILL' : code !== 0) return reject(new Error(`child exited with ${code ?? signal}: ${err}`));
      const lines = out.split('\n');
      const r = lines.find((l) => l.startsWith('resumed '));
      resolveP({
        saved: lines.filter((l) => /^saved \d+$/.test(l)).map((l) => Number(l.slice(6))),
        resumed: r ? Number(r.slice(8)) : null,
        signal,
        stderr: err,
      });
    });
  });
}

/** Run the save loop in a child and SIGKILL it after `delayMs` past its first completed save. */
async function killDuringSaves(dir: string, mode: string, delayMs: number): Promise<number> {
  return (await runChild(dir, mode, { killAfterMs: delayMs })).saved.length;
}

const W = new Map([
  ['layer/w', { dtype: 'f32' as const, shape: [256 * 1024] }],
  ['layer/b', { dtype: 'f64' as const, shape: [3] }],
]);

/**
 * The kill loop (CI: TFG_KILLS=3; `npm run soak`: 60): a child saving checkpoints is SIGKILLed
 * at a random moment, then restarted on the same directory, resuming from its latest checkpoint,
 * again and again. After every kill: the latest checkpoint restores intact with matching
 * weights, no reported save is ever lost, progress never goes back, and at most max_to_keep + 1
 * complete checkpoints are on disk (one more only when the kill fell between the index and the
 * pruning). At the end a clean run prunes back to max_to_keep.
 */
t.test('kill loop: SIGKILL, resume, SIGKILL again: no progress lost, nothing damaged, nothing leaked', async (t) => {
  const kills = Number(process.env.TFG_KILLS ?? 3);
  const dir = tmp();
  let reported = 0;
  let midSave = 0;
  for (let k = 0; k < kills; k++) {
    const run = await runChild(dir, 'resume', { killAfterMs: Math.floor(Math.random() * 60) });
    if (k === 0) t.equal(run.resumed, 0, 'the first run starts fresh');
    else t.ok(run.resumed! >= reported, `kill ${k}: resumed from ${run.resumed}, at least the last reported save ${reported}`);
    t.notMatch(run.stderr, /warning/, `kill ${k}: the index was never damaged`);
    reported = Math.max(reported, ...run.saved);
    if (readdirSync(dir).some((f) => f.includes('.tmp-'))) midSave++;
    const latest = latestCheckpoint(dir, { warn: (m) => t.fail(m) });
    const r = restoreCheckpoint(latest!, W);
    const i = (r.state as { i: number }).i;
    t.ok(i >= reported, `kill ${k}: latest checkpoint ${i} ≥ last reported save ${reported}`);
    t.ok(
      r.tensors.get('layer/w')!.data.every((v) => v === i) && r.tensors.get('layer/b')!.data.every((v) => v === -i),
      `kill ${k}: weights match state i=${i}`,
    );
    const complete = scanCheckpoints(dir);
    t.ok(complete.length <= 4, `kill ${k}: ${complete.length} complete checkpoints on disk (max_to_keep 3)`);
    for (const c of complete) t.doesNotThrow(() => restoreCheckpoint(c.prefix, W), `kill ${k}: ${c.name} intact`);
  }
  const last = await runChild(dir, 'resume', { saves: 2 });
  t.ok(last.resumed! >= reported);
  t.same(
    scanCheckpoints(dir).map((c) => c.name),
    [last.resumed!, ...last.saved].map((i) => `model-${i}`),
    'a clean run prunes back to max_to_keep',
  );
  t.notOk(
    readdirSync(dir).some((f) => f.includes('.tmp-') || f.endsWith('.next')),
    'no temporary files left',
  );
  t.comment(`${kills} kills, ${midSave} of them mid-save (temporary files left behind), last reported save ${reported}`);
});

t.test('SIGKILL in the middle of a save loop never damages the latest checkpoint', async (t) => {
  const spec = W;
  let leftovers = 0;
  for (let trial = 0; trial < 10; trial++) {
    const dir = tmp();
    const mode = trial % 2 === 0 ? 'new' : 'overwrite';
    const saves = await killDuringSaves(dir, mode, Math.floor(Math.random() * 80));
    if (readdirSync(dir).some((f) => f.includes('.tmp-') || f.endsWith('.next'))) leftovers++;
    const latest = latestCheckpoint(dir);
    t.ok(latest, `trial ${trial} (${mode}, ${saves} saves reported): latest() found`);
    const r = restoreCheckpoint(latest!, spec);
    const i = (r.state as { i: number }).i;
    t.ok(i >= saves, `trial ${trial}: checkpoint ${i} is at least the last reported save ${saves}`);
    t.ok(
      r.tensors.get('layer/w')!.data.every((v) => v === i) && r.tensors.get('layer/b')!.data.every((v) => v === -i),
      `trial ${trial}: weights match state i=${i}`,
    );
    // Every checkpoint the index lists is intact, and a new manager continues from there.
    const mgr = new CheckpointManager(dir, { maxToKeep: 3 });
    for (const p of mgr.checkpoints()) t.doesNotThrow(() => restoreCheckpoint(p, spec), `trial ${trial}: ${p} intact`);
    t.notOk(
      readdirSync(dir).some((f) => f.includes('.tmp-')),
      'temporary files removed',
    );
    mgr.save(
      new Map([
        ['layer/w', new Tensor('f32', [256 * 1024], new Float32Array(256 * 1024))],
        ['layer/b', new Tensor('f64', [3], new Float64Array(3))],
      ]),
      { i: 0 },
      1000,
    );
    t.ok(mgr.checkpoints().length <= 3);
  }
  t.comment(`${leftovers} of 10 kills landed mid-save (temporary or .next files left behind)`);
});

t.test('an iterator state saved in a checkpoint resumes the exact batch sequence', (t) => {
  const n = 37;
  const ds = new Dataset({
    x: new Tensor(
      'f32',
      [n, 2],
      Float32Array.from({ length: 2 * n }, (_, k) => k),
    ),
    y: new Tensor(
      'i32',
      [n],
      Int32Array.from({ length: n }, (_, i) => i),
    ),
  });
  // A toy "training" whose weights depend on the exact order of batches.
  const step = (w: Float64Array, b: { tensors: Record<string, Tensor> }) => {
    for (const v of b.tensors.y.data) w[0] = w[0] * 0.9 + v;
    w[1] += b.tensors.x.data[0];
  };
  const full = new BatchIterator(ds, { batchSize: 5, seed: 11 });
  const wFull = new Float64Array(2);
  for (let s = 0; s < 30; s++) step(wFull, full.next());

  const dir = tmp();
  const mgr = new CheckpointManager(dir);
  const a = new BatchIterator(ds, { batchSize: 5, seed: 11 });
  const w = new Float64Array(2);
  for (let s = 0; s < 13; s++) step(w, a.next());
  mgr.save(new Map([['w', new Tensor('f64', [2], w)]]), { data: a.state() }, 13);
  // "Crash", then a fresh process restores weights and data position.
  const r = new CheckpointManager(dir).restore(null, new Map([['w', { dtype: 'f64' as const, shape: [2] }]]));
  const w2 = Float64Array.from(r.tensors.get('w')!.data);
  const b = new BatchIterator(ds, { batchSize: 5, seed: 11 });
  b.restore((r.state as { data: IteratorState }).data);
  for (let s = r.step; s < 30; s++) step(w2, b.next());
  t.same(Array.from(w2), Array.from(wFull), 'same weights as the uninterrupted run');
  t.end();
});
