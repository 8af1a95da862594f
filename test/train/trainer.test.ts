/**
 * @fileoverview The trainer on the reference Session: a small regression converges; metrics are
 * means over examples (not over batches); early stopping stops after `patience` evaluations
 * without improvement; summaries land in event files that an independent decoder reads back;
 * the Saver round-trips variables, and a corrupted or mismatched checkpoint is a clear error
 * that leaves the variables unchanged.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { checkProgramRecipe, ensureInit } from '../../compiler/frontend/recipe.js';
import { loadTrainDataNode } from '../../session/node/data.js';
import { Dataset } from '../../session/io/dataset.js';
import { writeNpz } from '../../session/io/npz.js';
import { CheckpointManager } from '../../session/node/checkpoint.js';
import { Saver } from '../../session/node/saver.js';
import { TrainCheckpoints } from '../../session/node/train-checkpoints.js';
import { SummaryWriter } from '../../session/node/summary-writer.js';
import type { TrainPlan, TrainSession } from '../../session/train/plan.js';
import { Trainer, parseTrainState } from '../../session/train/trainer.js';
import { Tensor } from '../../session/tensor.js';
import { decodeEventFile } from '../io/event-decoder.js';

const LINEAR = `X = placeholder(f64, shape=[None, 2], name="X")
y = placeholder(f64, shape=[None, 1], name="y")
w = Variable(zeros([2, 1], dtype=f64), name="w")
b = Variable(constant(0.0, dtype=f64), name="b")
pred = matmul(X, w) + b
with name_scope("loss") {
  mse = reduce_mean(square(pred - y), name="mse")
  s = scalar("mse", mse)
}
mean_y = reduce_mean(y, name="mean_y")
op = GradientDescentOptimizer(0.1).minimize(mse, global_step=get_or_create_global_step())
train {
  data { train = npz("DATA"); test = 0.2 }
  feed { X = "X"; y = "y" }
  op = op
  loss = mse
  epochs = 40
  batch_size = 8
  seed = 3
  metrics { mse = mse; mean_y = mean_y }
  summaries { every_steps = 5 }
}
`;

/** y = 2·x0 - 3·x1 + 0.5 on 50 points, written as DIR/lin.npz. */
function linearData(dir: string): string {
  const n = 50;
  const X = new Float64Array(n * 2);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    X[2 * i] = Math.sin(i);
    X[2 * i + 1] = Math.cos(3 * i);
    y[i] = 2 * X[2 * i] - 3 * X[2 * i + 1] + 0.5;
  }
  const path = join(dir, 'lin.npz');
  writeFileSync(path, writeNpz({ X: new Tensor('f64', [n, 2], X), y: new Tensor('f64', [n, 1], y) }));
  return path;
}

async function setup(extra = '', patch: (s: string) => string = (s) => s) {
  const dir = mkdtempSync(join(tmpdir(), 'tfg-trainer-'));
  const data = linearData(dir);
  const r = buildProgram(patch(LINEAR.replace('DATA', data).replace('summaries {', `${extra}\n  summaries {`)), join(dir, 'lin.tfg'));
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  const c = checkProgramRecipe(r);
  if (!c.plan) throw new Error(c.diagnostics.map((d) => d.message).join('\n'));
  const plan = c.plan;
  ensureInit(r.defaultGraph, plan);
  const sess = new ReferenceSession(r.defaultGraph);
  return { dir, r, plan, sess, ts: sess as TrainSession, data: loadTrainDataNode(plan) };
}

t.test('a small regression converges, with summaries and checkpoints', async (t) => {
  const { dir, plan, sess, ts, data } = await setup();
  t.equal(data.train.size, 40);
  t.equal(data.test!.size, 10);
  const writer = new SummaryWriter(join(dir, 'logs'));
  const ckpts = new CheckpointManager(join(dir, 'ck'), { maxToKeep: 2 });
  const epochs: number[] = [];
  const res = await new Trainer({
    plan,
    session: ts,
    data,
    summaries: writer,
    checkpoints: ckpts,
    onEvent: (e) => void (e.type === 'epoch' && epochs.push(e.epoch)),
  }).run();
  writer.close();
  t.equal(res.reason, 'completed');
  t.equal(res.state.global_step, 40 * 5);
  t.same(
    epochs,
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  t.ok(res.metrics.test.mse < 0.01, `test mse ${res.metrics.test.mse}`);
  t.equal(Number(sess.readVariable('global_step').data[0]), 200, 'the graph global step agrees');
  const w = sess.readVariable('w').data;
  t.ok(Math.abs(w[0] - 2) < 0.1 && Math.abs(w[1] + 3) < 0.1, `w ${Array.from(w)}`);
  t.same(
    ckpts.checkpoints().map((p) => p.split('/').pop()),
    ['model-195', 'model-200'],
    'every epoch, max_to_keep 2',
  );
  // Event file: an independent decoder (bitwise CRC32C) reads it back.
  const ev = readdirSync(join(dir, 'logs')).find((f) => f.startsWith('events.out.tfevents.'))!;
  const events = decodeEventFile(readFileSync(join(dir, 'logs', ev)));
  t.equal(events[0].fileVersion, 'brain.Event:2');
  const tags = new Set(events.flatMap((e) => (e.summary ?? []).map((v) => v.tag)));
  t.ok(tags.has('loss/mse_1'), 'the scalar() summary, tagged by its name scope');
  t.ok(tags.has('test/mse') && tags.has('epoch/train_loss'));
  const steps = events.filter((e) => e.summary?.some((v) => v.tag === 'loss/mse_1')).map((e) => Number(e.step));
  t.same(steps.slice(0, 4), [1, 5, 10, 15], 'the first step, then every 5 steps (and every epoch end)');
  t.notOk(tags.has('loss/mse'), 'the loss is logged once, under its summary tag');
  t.ok(readFileSync(join(dir, 'logs', 'scalars.csv'), 'utf8').startsWith('step,tag,value,wall_time\n'));
});

t.test('metrics are means over examples, not over batches', async (t) => {
  const { plan, ts, sess } = await setup();
  sess.run(['tfg_train/init']);
  // 10 rows, eval batches of 4: 4 + 4 + 2. mean_y over examples is the mean of y.
  const y = new Tensor(
    'f64',
    [10, 1],
    Float64Array.from({ length: 10 }, (_, i) => i * i),
  );
  const X = new Tensor('f64', [10, 2], new Float64Array(20));
  const tr = new Trainer({ plan: { ...plan, eval_batch_size: 4 } as TrainPlan, session: ts, data: { train: new Dataset({ X, y }) } });
  const m = tr.evaluate(new Dataset({ X, y }));
  t.equal(m.mean_y, 28.5, 'sum(i²)/10; the mean of the three batch means would be 35.33');
});

t.test('early stopping stops after patience evaluations without improvement', async (t) => {
  // A metric that only grows (the global step), watched in min mode: never improves after the first.
  const { plan, ts } = await setup('  early_stopping { metric = "gs"; mode = "min"; patience = 2; on = "test" }', (s) =>
    s.replace('metrics { mse = mse; mean_y = mean_y }', 'metrics { mse = mse; gs = cast(get_global_step(), f64) }'),
  );
  const d = await setup();
  const stops: number[] = [];
  const res = await new Trainer({ plan, session: ts, data: d.data, onEvent: (e) => void (e.type === 'early_stop' && stops.push(e.epoch)) }).run();
  t.equal(res.reason, 'early_stopped');
  t.equal(res.state.epoch, 4, 'best at epoch 1, then 3 worse evaluations (patience 2) → stop at 4');
  t.same(stops, [4]);
  t.equal(res.state.best_epoch, 1);
});

t.test('early stopping ends on the best evaluation: its weights, metrics and final checkpoint', async (t) => {
  // Watch mse in max mode: the first evaluation (worst fit) stays the best, so the run stops at
  // epoch 4 and must come back to epoch 1's weights, while the global step keeps counting.
  const { dir, plan, ts, sess } = await setup('  early_stopping { metric = "mse"; mode = "max"; patience = 2; on = "test" }');
  const d = await setup();
  const epochW = new Map<number, number[]>();
  const epochM = new Map<number, Record<string, Record<string, number>>>();
  const restores: number[] = [];
  const ckpts = new CheckpointManager(join(dir, 'ck'), { maxToKeep: 5 });
  const res = await new Trainer({
    plan,
    session: ts,
    data: d.data,
    checkpoints: ckpts,
    onEvent: (e) => {
      if (e.type === 'epoch') {
        epochW.set(e.epoch, Array.from(sess.readVariable('w').data as Float64Array));
        epochM.set(e.epoch, e.metrics);
      }
      if (e.type === 'restore_best') restores.push(e.epoch);
    },
  }).run();
  t.equal(res.reason, 'early_stopped');
  t.equal(res.state.epoch, 4);
  t.same(restores, [1]);
  t.equal(res.bestEpoch, 1);
  t.same(Array.from(sess.readVariable('w').data as Float64Array), epochW.get(1), "epoch 1's weights");
  t.notSame(epochW.get(1), epochW.get(4));
  t.same(res.metrics, epochM.get(1), "epoch 1's metrics are the final ones");
  t.equal(Number(sess.readVariable('global_step').data[0]), 20, 'the global step is not rolled back');
  const last = ckpts.checkpoints().pop()!;
  t.equal(last.split('/').pop(), 'model-20');
  const restored = new ReferenceSession(d.r.defaultGraph);
  new Saver(restored).restore(last);
  t.same(Array.from(restored.readVariable('w').data as Float64Array), epochW.get(1), 'the last checkpoint holds the restored weights');
});

t.test('a run resumed after its best epoch still ends on the best weights (TrainCheckpoints keeps them)', async (t) => {
  // The same max-mode run as above (best at epoch 1 of 4), uninterrupted, then interrupted after
  // epoch 2 and again after epoch 3 and resumed each time in a fresh session from the files.
  const es = '  early_stopping { metric = "mse"; mode = "max"; patience = 2; on = "test" }';
  const full = await setup(es);
  const fullRes = await new Trainer({ plan: full.plan, session: full.ts, data: full.data, checkpoints: new TrainCheckpoints(join(full.dir, 'ck')) }).run();
  const wantW = Array.from(full.sess.readVariable('w').data as Float64Array);
  t.equal(fullRes.bestEpoch, 1);

  const first = await setup(es);
  const ckdir = join(first.dir, 'ck');
  const runUntil = async (stopAfterEpoch: number | null) => {
    const d = await setup(es);
    const store = new TrainCheckpoints(ckdir, { warn: (m) => warnings.push(m) });
    const sess = new ReferenceSession(d.r.defaultGraph);
    const latest = store.main.latest();
    let resume = null;
    let resumeBest = null;
    if (latest) {
      resume = parseTrainState(new Saver(sess).restore(latest).state, latest);
      resumeBest = store.loadBest(resume, sess);
    }
    let stop = false;
    const res = await new Trainer({
      plan: d.plan,
      session: sess as TrainSession,
      data: d.data,
      checkpoints: store,
      resume,
      resumedFrom: latest,
      resumeBest,
      shouldStop: () => stop,
      onEvent: (e) => void (e.type === 'epoch' && e.epoch === stopAfterEpoch && (stop = true)),
    }).run();
    return { res, sess, resumeBest };
  };
  const warnings: string[] = [];
  const a = await runUntil(2);
  t.equal(a.res.reason, 'interrupted');
  t.equal(a.res.state.best_step, 5, 'the state names the best evaluation by its step');
  t.same(
    readdirSync(join(ckdir, 'best')).filter((f) => f.endsWith('.json')),
    ['model-5.json'],
    'the best weights were written before the checkpoint that needs them',
  );
  const b = await runUntil(3);
  t.equal(b.res.reason, 'interrupted');
  t.equal(b.resumeBest?.epoch, 1, 'the second run resumed with the best weights from disk');
  const c = await runUntil(null);
  t.equal(c.res.reason, 'early_stopped');
  t.equal(c.res.bestEpoch, 1);
  t.same(Array.from(c.sess.readVariable('w').data as Float64Array), wantW, 'the uninterrupted run’s final (best) weights, bit for bit');
  t.same(c.res.metrics, fullRes.metrics, 'and its final metrics');
  t.same(warnings, []);

  // Without the best record the run still resumes, says so, and ends on its last weights.
  const lost = await setup(es);
  const lostDir = join(lost.dir, 'ck');
  let stop = false;
  await new Trainer({
    plan: lost.plan,
    session: lost.ts,
    data: lost.data,
    checkpoints: new TrainCheckpoints(lostDir),
    shouldStop: () => stop,
    onEvent: (e) => void (e.type === 'epoch' && e.epoch === 2 && (stop = true)),
  }).run();
  rmSync(join(lostDir, 'best'), { recursive: true });
  const store = new TrainCheckpoints(lostDir, { warn: (m) => warnings.push(m) });
  const sess = new ReferenceSession(lost.r.defaultGraph);
  const latest = store.main.latest()!;
  const resume = parseTrainState(new Saver(sess).restore(latest).state, latest);
  t.equal(store.loadBest(resume, sess), null);
  t.match(warnings, [
    /the best weights of this run \(validation at epoch 1, step 5\) cannot be read: .*model-5.*; if early stopping ends the run, it ends on its last weights instead/,
  ]);
  t.notOk(existsSync(join(lostDir, 'best')), 'reading does not create or delete anything');
  // A state written before best_step existed still parses (its best cannot be found).
  const old = JSON.parse(JSON.stringify(resume));
  delete old.best_step;
  t.equal(parseTrainState(old, 'old').best_step, null);
  // Best weights of another evaluation are refused, never silently used.
  await t.rejects(
    new Trainer({
      plan: lost.plan,
      session: sess as TrainSession,
      data: lost.data,
      resume,
      resumedFrom: latest,
      resumeBest: { ...c.resumeBest!, step: 4 },
    }).run(),
    {
      name: 'InvalidArgumentError',
      message: /best weights given to resume are those of epoch 1 \(step 4\), but .*model-10 records its best evaluation at epoch 1 \(step 5\)/,
    },
  );
});

t.test('Saver: round trip, TF1 prefixes, and a bad checkpoint keeps the variables', async (t) => {
  const { dir, sess } = await setup();
  sess.run(['tfg_train/init']);
  sess.writeVariable('w', new Tensor('f64', [2, 1], Float64Array.of(1.5, -2.5)));
  const saver = new Saver(sess, { maxToKeep: 2 });
  const p1 = saver.save(join(dir, 'ck/'), { globalStep: 100 });
  t.match(p1, /ck\/model-100$/);
  const p2 = saver.save(join(dir, 'ck', 'my_model.ckpt'), { globalStep: 7 });
  t.match(p2, /ck\/my_model\.ckpt-7$/);
  t.equal(saver.latestCheckpoint(join(dir, 'ck')), p2);
  sess.writeVariable('w', new Tensor('f64', [2, 1], Float64Array.of(0, 0)));
  t.same(saver.restore(p1).step, 100);
  t.same(Array.from(sess.readVariable('w').data), [1.5, -2.5]);

  // Corrupt the data file: DataLossError, variables unchanged.
  sess.writeVariable('w', new Tensor('f64', [2, 1], Float64Array.of(9, 9)));
  const data = `${p1}.safetensors`;
  const bytes = readFileSync(data);
  bytes[bytes.length - 1] ^= 0xff;
  writeFileSync(data, bytes);
  t.throws(() => saver.restore(p1), { name: 'DataLossError', message: /checksum mismatch/ });
  t.same(Array.from(sess.readVariable('w').data), [9, 9], 'unchanged');
  writeFileSync(data, bytes.subarray(0, 20));
  t.throws(() => saver.restore(p1), { name: 'DataLossError', message: /truncated/ });

  // A checkpoint without one of the variables: NotFoundError, nothing assigned.
  const partial = new Saver(sess, { varList: ['b'] });
  const p3 = partial.save(join(dir, 'only_b/'), { globalStep: 1 });
  sess.writeVariable('b', new Tensor('f64', [], Float64Array.of(4)));
  t.throws(() => saver.restore(p3), { name: 'NotFoundError', message: 'Key w not found in checkpoint' });
  t.same(Array.from(sess.readVariable('w').data), [9, 9]);
  t.same(Array.from(sess.readVariable('b').data), [4], 'b not assigned either');
  t.throws(() => new Saver(sess, { varList: ['nope'] }), /nope is not a variable/);
});

t.test('summaries at the first step and at every epoch end, besides every_steps', async (t) => {
  const { dir, plan, ts, data } = await setup('', (s) => s.replace('every_steps = 5', 'every_steps = 7').replace('epochs = 40', 'epochs = 3'));
  const writer = new SummaryWriter(join(dir, 'logs'));
  await new Trainer({ plan, session: ts, data, summaries: writer }).run();
  writer.close();
  const ev = readdirSync(join(dir, 'logs')).find((f) => f.startsWith('events.out.tfevents.'))!;
  const events = decodeEventFile(readFileSync(join(dir, 'logs', ev)));
  const steps = events.filter((e) => e.summary?.some((v) => v.tag === 'loss/mse_1')).map((e) => Number(e.step));
  t.same(steps, [1, 5, 7, 10, 14, 15], 'step 1, epoch ends 5, 10, 15, and every 7 steps');
  t.end();
});
