/**
 * @fileoverview Trained weights into deployable modules and runs (issue 8 §2, §3): train a
 * recipe, then `tfg compile --checkpoint LOGDIR` bakes the values into the module (every session
 * starts with them, no initializer entry for them), `--weights-file` writes them beside the module
 * as safetensors for `session.restore`, and `tfg run --checkpoint` / `--feed @x.npz` run with them.
 * Every path gives the values of the checkpoint restored into the reference Session.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { memoryIo } from '../../cli/io.js';
import { runCli } from '../../cli/main.js';
import { buildProgram } from '../../compiler/frontend/index.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { readCheckpointTensors } from '../../session/node/checkpoint.js';
import { writeNpz } from '../../session/io/npz.js';
import { Tensor } from '../../session/tensor.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { repoPath } from '../helpers.js';

// tfg run keeps its compiles in a cache folder: this file's own, not the user's.
process.env.TFG_CACHE_DIR = mkdtempSync(join(tmpdir(), 'tfg-cache-'));

const SAMPLE = repoPath('samples/moons_logreg_train.tfg');
const dir = mkdtempSync(join(tmpdir(), 'tfg-ckpt-compile-'));
const logdir = join(dir, 'run');
const X = [
  [0.5, 0.25],
  [-1, 0.75],
  [2, -0.5],
];

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await runCli(args, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

/** y_proba of X in the reference Session restored from the checkpoint. */
function reference(): number[] {
  const r = buildProgram(readFileSync(SAMPLE, 'utf8'), SAMPLE);
  const s = new ReferenceSession(r.defaultGraph);
  for (const [name, t] of readCheckpointTensors(logdir).tensors) if (s.variableNames().includes(name)) s.writeVariable(name, t);
  return Array.from((s.run('logistic_regression/model/Sigmoid:0', { 'X:0': X }) as Tensor).data);
}

t.test('train, then bake the checkpoint into a module', async (t) => {
  const tr = await cli('train', SAMPLE, '--epochs', '3', '--logdir', logdir, '--backend', 'reference');
  t.equal(tr.code, 0, tr.err);
  const want = reference();
  const out = join(dir, 'baked');
  const c = await cli('compile', SAMPLE, '--signature', 'predict', '--checkpoint', logdir, '-o', out);
  t.equal(c.code, 0, c.err);
  t.match(c.out, /1 of 1 variables baked in from .*model-\d+/);
  const model = loadModelSync(readFileSync(join(out, 'moons_logreg_train.wasm')));
  t.same(
    model.manifest.signatures.map((s) => s.name),
    ['predict'],
    'no initializer entry: the one variable is baked in',
  );
  const sess = model.createSession();
  t.ok(sess.isInitialized('logistic_regression/model/theta'));
  const got = Array.from((sess.run('logistic_regression/model/Sigmoid:0', { 'X:0': X }) as Tensor).data);
  t.same(got, want, 'the checkpoint values, bit for bit');
  t.end();
});

t.test('weights apart: the module plus a safetensors file session.restore loads', async (t) => {
  const out = join(dir, 'apart');
  const c = await cli('compile', SAMPLE, '--signature', 'predict', '--checkpoint', logdir, '--weights-file', '-o', out);
  t.equal(c.code, 0, c.err);
  const wfile = join(out, 'moons_logreg_train.safetensors');
  t.ok(existsSync(wfile));
  const model = loadModelSync(readFileSync(join(out, 'moons_logreg_train.wasm')));
  t.notOk(model.manifest.bakedVariables, 'nothing baked');
  const sess = model.createSession();
  t.notOk(sess.isInitialized('logistic_regression/model/theta'));
  await sess.restore(readFileSync(wfile));
  const got = Array.from((sess.run('logistic_regression/model/Sigmoid:0', { 'X:0': X }) as Tensor).data);
  t.same(got, reference());
  const bad = await cli('compile', SAMPLE, '--weights-file', '-o', out);
  t.equal(bad.code, 1);
  t.match(bad.err, /--weights-file writes the values of a checkpoint: give --checkpoint PATH/);
  t.end();
});

t.test('tfg run --checkpoint and --feed @feeds.npz', async (t) => {
  const npz = join(dir, 'feeds.npz');
  writeFileSync(npz, writeNpz({ X: new Tensor('f64', [3, 2], Float64Array.from(X.flat())) }));
  const want = reference();
  for (const backend of ['wasm', 'reference']) {
    const r = await cli('run', SAMPLE, '--fetch', 'y_proba', '--feed', `@${npz}`, '--checkpoint', logdir, '--json', '--backend', backend);
    t.equal(r.code, 0, r.err);
    t.match(r.err, /restored 2 variables from .*model-\d+/);
    const v = JSON.parse(r.out) as { y_proba: { value: number[][] } };
    t.same(v.y_proba.value.flat(), want, backend);
  }
  const missing = await cli('run', SAMPLE, '--fetch', 'y_proba', '--feed', `@${npz}`, '--checkpoint', join(dir, 'nope'));
  t.equal(missing.code, 1);
  t.match(missing.err, /NotFoundError|not found|cannot/i);
  t.end();
});
