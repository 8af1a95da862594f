/**
 * @fileoverview MLP inference benchmark (not a test): a 784-300-100-10 MLP forward pass (ReLU,
 * ReLU, softmax) at batch 1 and batch 1000, ours (compiled, fused, one `Session.run` with a Tensor
 * feed) vs @tensorflow/tfjs-backend-wasm (1 thread; weights resident, the input tensor created
 * from the same Float32Array each call, probabilities read back with `dataSync`), all in this
 * process, interleaved, median of N after warm-up. Both use the same weights (read back from our
 * session) and their outputs are checked to agree.
 *
 *   node dist/bench/mlp.js [--batches 1,1000] [--min-ms 3000]
 */
import { Tensor } from '../session/tensor.js';
import {
  buildSource,
  compileModel,
  fail,
  fillUniform,
  fmtMs,
  fmtRatio,
  isMain,
  loadTfjs,
  machineLine,
  markdownTable,
  maxRelDiff,
  parseArgs,
  runMain,
  signatureEntry,
  timeInterleaved,
  useBackend,
} from './common.js';

const USAGE = 'usage: node dist/bench/mlp.js [--batches 1,1000] [--min-ms 3000]';

/** The benchmarked model, in tfg: He-style truncated normal weights, zero biases. */
export const MLP_SOURCE = `# 784-300-100-10 MLP (the seed's chapter 10 network)
X = placeholder(f32, shape=[None, 784], name="X")
def dense(x, n_in, n_out, name, act) {
  with name_scope(name) {
    W = variable(truncated_normal([n_in, n_out], stddev=2.0 / sqrt(float(n_in)), seed=42), name="kernel")
    b = variable(zeros([n_out]), name="bias")
    z = matmul(x, W) + b
    if act { return relu(z) }
    return z
  }
}
h1 = dense(X, 784, 300, "hidden1", True)
h2 = dense(h1, 300, 100, "hidden2", True)
logits = dense(h2, 100, 10, "outputs", False)
proba = softmax(logits, name="proba")
init = global_variables_initializer()
signature predict(X) -> proba
`;

const LAYERS = ['hidden1', 'hidden2', 'outputs'] as const;

export interface MlpResult {
  markdown: string;
  targets: { name: string; ratio: number; goal: number; met: boolean }[];
}

export async function benchMlp(opts: { batches: number[]; minMs: number }): Promise<MlpResult> {
  const built = buildSource(MLP_SOURCE, 'mlp.tfg');
  const { model, kernels } = compileModel(built, true);
  const sess = model.createSession();
  sess.run('init');
  const entry = signatureEntry(sess, 'predict');

  const { tf, wasm } = await loadTfjs();
  await useBackend(tf, 'wasm');
  const weights = LAYERS.map((l) => {
    const W = sess.readVariable(`${l}/kernel`);
    const b = sess.readVariable(`${l}/bias`);
    return { W: tf.tensor2d(W.data as Float32Array, W.shape as [number, number]), b: tf.tensor1d(b.data as Float32Array) };
  });
  const tfForward = (x: import('@tensorflow/tfjs-core').Tensor2D) =>
    tf.tidy(() => {
      const h1 = tf.relu(tf.add(tf.matMul(x, weights[0]!.W), weights[0]!.b));
      const h2 = tf.relu(tf.add(tf.matMul(h1, weights[1]!.W), weights[1]!.b));
      return tf.softmax(tf.add(tf.matMul(h2, weights[2]!.W), weights[2]!.b));
    });

  const rows: string[][] = [];
  const targets: MlpResult['targets'] = [];
  for (const batch of opts.batches) {
    const xv = fillUniform(new Float32Array(batch * 784), 7, 0, 1) as Float32Array;
    const feed = { 'X:0': new Tensor('f32', [batch, 784], xv) };
    let ours: Float32Array = new Float32Array(0);
    let theirs: Float32Array = new Float32Array(0);
    const runOurs = (): void => void (ours = (sess.run('proba:0', feed) as Tensor).data as Float32Array);
    runOurs();
    const callOurs = (): void => void entry(batch);
    const runTf = (): void => {
      const x = tf.tensor2d(xv, [batch, 784]);
      const p = tfForward(x);
      theirs = p.dataSync() as Float32Array;
      p.dispose();
      x.dispose();
    };
    runTf();
    const diff = maxRelDiff(ours, theirs);
    if (!(diff < 1e-4)) throw new Error(`batch ${batch}: ours and tfjs-wasm differ by ${diff}`);
    const [o, e, w] = await timeInterleaved([runOurs, callOurs, runTf], { minMs: opts.minMs, maxRuns: 5000 });
    const perSample = (ms: number): string => fmtMs(ms / batch);
    rows.push([`${batch}`, 'ours fused, Session.run', fmtMs(o!.median), fmtMs(o!.p10), fmtMs(o!.p90), perSample(o!.median), '1.00×']);
    rows.push([`${batch}`, 'ours fused, entry call (input resident)', fmtMs(e!.median), fmtMs(e!.p10), fmtMs(e!.p90), perSample(e!.median), fmtRatio(e!.median / o!.median)]);
    rows.push([`${batch}`, 'tfjs-wasm 1T', fmtMs(w!.median), fmtMs(w!.p10), fmtMs(w!.p90), perSample(w!.median), fmtRatio(w!.median / o!.median)]);
    const t = { name: `batch ${batch}: tfjs-wasm time / ours (Session.run)`, ratio: w!.median / o!.median, goal: batch === 1 ? 1 : 0 };
    targets.push({ ...t, met: t.ratio > t.goal });
    process.stderr.write(`mlp batch ${batch}: ${o!.runs} interleaved runs, max rel diff ${diff.toExponential(1)}\n`);
  }
  for (const w of weights) {
    w.W.dispose();
    w.b.dispose();
  }
  const lines = [
    '### MLP forward 784-300-100-10 (ReLU, ReLU, softmax), f32',
    '',
    `${machineLine()}; tfjs-wasm threads: ${wasm.getThreadsCount()}; our predict signature: ${kernels[0]} kernels (fused).`,
    '',
    markdownTable(['batch', 'contender', 'median', 'p10', 'p90', 'per sample', 'time / ours'], rows),
    '',
    ...targets.filter((x) => x.goal > 0).map((x) => `- target ${x.name} > 1 (ours faster at batch 1): ${fmtRatio(x.ratio)} — ${x.met ? 'met' : 'NOT met'}`),
    ...targets.filter((x) => x.goal === 0).map((x) => `- ${x.name}: ${fmtRatio(x.ratio)} (no target)`),
  ];
  return { markdown: lines.join('\n'), targets: targets.filter((x) => x.goal > 0) };
}

if (isMain(import.meta.url)) {
  runMain('bench/mlp', async () => {
    const o = parseArgs(process.argv.slice(2), { batches: '1,1000', minMs: 3000 }, USAGE);
    const batches = o.batches.split(',').map(Number);
    if (batches.some((b) => !Number.isInteger(b) || b <= 0)) fail(`--batches needs positive integers, got '${o.batches}'\n${USAGE}`);
    console.log((await benchMlp({ batches, minMs: o.minMs })).markdown);
  });
}
