/**
 * @fileoverview What `tfg train` writes for TensorBoard, read back by the independent decoder
 * (test/io/event-decoder.ts): the graph first (GraphDef with scopes, TF1 op types, inputs), the
 * trainable variables' histograms at step 0 and every `summaries.histograms_every_steps`, equal
 * to TF1's histogram of the values in the checkpoint of the same step, one tag per logged value
 * (the loss under its summary's tag only), and `tfg plot` reading the same logdir.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { memoryIo } from '../../cli/io.js';
import { readRuns } from '../../cli/plot.js';
import { runTrain } from '../../cli/train.js';
import { readCheckpointTensors } from '../../session/node/checkpoint.js';
import { type DecodedEvent, decodeEventFile, decodeGraphDef } from '../io/event-decoder.js';
import { bruteHistogram } from '../io/histogram-reference.js';
import { repoPath } from '../helpers.js';

async function train(logdir: string, args: Record<string, unknown>): Promise<void> {
  const io = memoryIo();
  const code = await runTrain(repoPath('test', 'train', 'fixtures', 'resume.tfg'), { logdir, tty: false, json: true, ...args }, io);
  if (code !== 0) throw new Error(`exit ${code}:\n${io.stderr.join('\n')}`);
}

function events(logdir: string): DecodedEvent[][] {
  return readdirSync(logdir)
    .filter((f) => f.startsWith('events.out.tfevents.'))
    .sort()
    .map((f) => decodeEventFile(new Uint8Array(readFileSync(join(logdir, f)))));
}

const histoSteps = (ev: DecodedEvent[]) => ev.filter((e) => e.summary?.some((v) => v.histo)).map((e) => Number(e.step ?? 0n));

for (const backend of ['reference', 'wasm']) {
  t.test(`${backend}: graph, histograms against the checkpoints, one tag per value`, async (t) => {
    const logdir = mkdtempSync(join(tmpdir(), `tfg-tb-${backend}-`));
    await train(logdir, { backend, epochs: '6', set: ['summaries.histograms_every_steps=25', 'checkpoint.max_to_keep=0'] });
    const files = events(logdir);
    t.equal(files.length, 1);
    const ev = files[0];
    t.equal(ev[0].fileVersion, 'brain.Event:2');
    // The graph comes right after file_version, at step 0, as FileWriter(logdir, graph) writes it.
    t.ok(ev[1].graphDef, 'second record: the graph');
    t.equal(ev[1].step ?? 0n, 0n);
    t.equal(ev.filter((e) => e.graphDef).length, 1, 'one graph');
    const g = decodeGraphDef(ev[1].graphDef!);
    const by = new Map(g.node.map((n) => [n.name, n]));
    t.same(
      ['W', 'b', 'V'].map((n) => by.get(n)?.op),
      ['VariableV2', 'VariableV2', 'VariableV2'],
    );
    t.equal(by.get('loss/xent')?.op, 'Mean');
    t.equal(by.get('loss/xent_1')?.op, 'ScalarSummary', 'scalar("xent", loss) in the loss scope');
    t.same(by.get('loss/xent_1')?.input, ['loss/xent_1/tags', 'loss/xent']);
    t.ok(
      g.node.some((n) => n.name.startsWith('Momentum/update_W/')),
      'the optimizer under its scope',
    );
    t.ok(
      g.node.some((n) => n.name.startsWith('gradients/')),
      'the gradients',
    );

    // Histograms: 10 steps per epoch (150 training rows in batches of 16), 60 steps in all.
    t.same(histoSteps(ev), [0, 25, 50]);
    const hist = ev.filter((e) => e.summary?.some((v) => v.histo));
    for (const e of hist)
      t.same(
        e.summary!.map((v) => v.tag),
        ['W', 'b', 'V'],
        'the trainable variables (not global_step, not the momentum slots)',
      );
    t.strictSame(hist[0].summary![1].histo, bruteHistogram(new Array(8).fill(0)), 'step 0: b is its initial zeros');
    for (const [i, step] of [
      [1, 25],
      [2, 50],
    ]) {
      const { tensors } = readCheckpointTensors(join(logdir, 'checkpoints', `model-${step}`));
      for (const v of hist[i].summary!) {
        t.strictSame(v.histo, bruteHistogram(Array.from(tensors.get(v.tag)!.data as Float64Array)), `step ${step}: ${v.tag} as in model-${step}`);
      }
    }
    t.notSame(hist[1].summary![0].histo, hist[2].summary![0].histo, 'W changes between histograms');

    // Scalars: the loss once, under its summary's tag.
    const tags = new Set(ev.flatMap((e) => (e.summary ?? []).filter((v) => v.simpleValue !== undefined).map((v) => v.tag)));
    t.ok(tags.has('loss/xent_1'));
    t.notOk(tags.has('loss/xent'), 'no second tag for the same value');
    for (const e of ev) {
      const tg = (e.summary ?? []).map((v) => v.tag);
      t.equal(new Set(tg).size, tg.length, `step ${e.step}: no tag twice in one event`);
    }
    // tfg plot reads the scalars and passes over the graph and histogram records.
    const warnings: string[] = [];
    const pts = readRuns(logdir, (m) => warnings.push(m));
    t.same(warnings, []);
    t.same([...new Set(pts.map((p) => p.tag))].sort(), [...tags].sort());
  });
}

t.test('histograms are off by default; a resumed run writes the graph again and no step-0 histograms', async (t) => {
  const logdir = mkdtempSync(join(tmpdir(), 'tfg-tb-resume-'));
  await train(logdir, { backend: 'reference', epochs: '3' });
  t.same(histoSteps(events(logdir)[0]), [], 'no histograms unless asked for');
  await train(logdir, { backend: 'reference', epochs: '6', set: ['summaries.histograms_every_steps=20'] });
  // A second event file, or the same one appended to when both runs started in the same second.
  const all = events(logdir).flat();
  t.equal(all.filter((e) => e.graphDef).length, 2, 'the resumed run writes its graph too (TF1 FileWriter with a graph)');
  t.same(histoSteps(all), [40, 60], 'from the resumed step on, every 20 steps; no step 0');
});

t.test('a bad histograms_every_steps from --set is refused before training', async (t) => {
  const io = memoryIo();
  const logdir = mkdtempSync(join(tmpdir(), 'tfg-tb-bad-'));
  const code = await runTrain(
    repoPath('test', 'train', 'fixtures', 'resume.tfg'),
    { logdir, backend: 'reference', tty: false, set: ['summaries.histograms_every_steps=-5'] },
    io,
  );
  t.equal(code, 1);
  t.match(io.stderr.join('\n'), /summaries\.histograms_every_steps must be an integer >= 0, got -5/);
});
