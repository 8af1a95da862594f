/**
 * @fileoverview CheckpointManager: round trip, TF1 index file, pruning, every kind of damage
 * giving TF1's error with nothing returned, crash states of a re-save, and child processes
 * SIGKILLed in the middle of a save loop leaving the latest checkpoint loadable and intact.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, copyFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointManager, latestCheckpoint, parseCheckpointIndex, restoreCheckpoint } from '../../session/node/checkpoint.js';
import { Tensor } from '../../session/tensor.js';
import { DataLossError, InvalidArgumentError, NotFoundError } from '../../session/errors.js';
import { repoPath } from '../helpers.js';
import { BatchIterator, Dataset, type IteratorState } from '../../session/io/dataset.js';

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
  t.equal(readFileSync(join(dir, 'checkpoint'), 'utf8'), 'model_checkpoint_path: "model-2000"\nall_model_checkpoint_paths: "model-1000"\nall_model_checkpoint_paths: "model-2000"\n');
  t.equal(latestCheckpoint(dir), join(dir, 'model-2000'));
  const r = mgr.restore('model-1000', specOf(vars(1)));
  t.equal(r.step, 1000);
  t.same(r.state, state);
  for (const [n, x] of vars(1)) {
    t.equal(r.tensors.get(n)!.dtype, x.dtype);
    t.same(Array.from(r.tensors.get(n)!.data), Array.from(x.data), n);
  }
  const meta = JSON.parse(readFileSync(`${p}.json`, 'utf8'));
  t.same(meta.variables.map((v: { name: string }) => v.name), ['dense/kernel', 'dense/bias', 'global_step', 'mask']);
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
  t.same(readdirSync(dir).sort(), ['checkpoint', 'ckpt-30.json', 'ckpt-30.safetensors', 'ckpt-40.json', 'ckpt-40.safetensors', 'ckpt-50.json', 'ckpt-50.safetensors']);
  t.same(parseCheckpointIndex(readFileSync(join(dir, 'checkpoint'), 'utf8')), { latest: 'ckpt-50', all: ['ckpt-30', 'ckpt-40', 'ckpt-50'] });
  const again = new CheckpointManager(dir, { maxToKeep: 3, prefix: 'ckpt' });
  t.same(again.checkpoints(), ['ckpt-30', 'ckpt-40', 'ckpt-50'].map((n) => join(dir, n)));
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
  t.throws(() => attempt(() => mgr.restore(p, new Map([...spec, ['dense_1/kernel', { dtype: 'f32' as const, shape: [2, 3] }]]))), { name: 'NotFoundError', message: 'Key dense_1/kernel not found in checkpoint' });
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
  writeFileSync(join(dir, 'checkpoint'), `model_checkpoint_path: "${p}"\nall_model_checkpoint_paths: "${p}"\nall_model_checkpoint_timestamps: 1.7e9\nlast_preserved_timestamp: 1.6e9\n`);
  t.equal(latestCheckpoint(dir), p, 'absolute paths and timestamps as TF1 writes them');
  t.same(new CheckpointManager(dir).checkpoints(), [p]);
  writeFileSync(join(dir, 'checkpoint'), 'garbage here\n');
  t.equal(latestCheckpoint(dir), null);
  t.throws(() => parseCheckpointIndex('model_checkpoint_path: unquoted'), DataLossError);
  renameSync(`${p}.json`, `${p}.json.bak`);
  writeFileSync(join(dir, 'checkpoint'), 'model_checkpoint_path: "model-1"\n');
  t.equal(latestCheckpoint(dir), null, 'an index naming an incomplete checkpoint gives null');
  t.end();
});

/** Run the save loop in a child and SIGKILL it after `delayMs` past its first completed save. */
function killDuringSaves(dir: string, mode: string, delayMs: number): Promise<number> {
  return new Promise((resolveP, reject) => {
    const child = spawn(process.execPath, [repoPath('dist/test/io/ckpt-child.js'), dir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!armed && out.includes('saved 1\n')) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${err}`));
      else resolveP(out.split('\n').filter((l) => l.startsWith('saved')).length);
    });
  });
}

t.test('SIGKILL in the middle of a save loop never damages the latest checkpoint', async (t) => {
  const spec = new Map([
    ['layer/w', { dtype: 'f32' as const, shape: [256 * 1024] }],
    ['layer/b', { dtype: 'f64' as const, shape: [3] }],
  ]);
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
    t.ok(r.tensors.get('layer/w')!.data.every((v) => v === i) && r.tensors.get('layer/b')!.data.every((v) => v === -i), `trial ${trial}: weights match state i=${i}`);
    // Every checkpoint the index lists is intact, and a new manager continues from there.
    const mgr = new CheckpointManager(dir, { maxToKeep: 3 });
    for (const p of mgr.checkpoints()) t.doesNotThrow(() => restoreCheckpoint(p, spec), `trial ${trial}: ${p} intact`);
    t.notOk(readdirSync(dir).some((f) => f.includes('.tmp-')), 'temporary files removed');
    mgr.save(new Map([['layer/w', new Tensor('f32', [256 * 1024], new Float32Array(256 * 1024))], ['layer/b', new Tensor('f64', [3], new Float64Array(3))]]), { i: 0 }, 1000);
    t.ok(mgr.checkpoints().length <= 3);
  }
  t.comment(`${leftovers} of 10 kills landed mid-save (temporary or .next files left behind)`);
});

t.test('an iterator state saved in a checkpoint resumes the exact batch sequence', (t) => {
  const n = 37;
  const ds = new Dataset({ x: new Tensor('f32', [n, 2], Float32Array.from({ length: 2 * n }, (_, k) => k)), y: new Tensor('i32', [n], Int32Array.from({ length: n }, (_, i) => i)) });
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
