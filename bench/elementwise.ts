/**
 * @fileoverview Elementwise benchmark (not a test): `s = reduce_mean(square(maximum(a*b + c, 0)))`
 * on 1,048,576 f32 elements — ours fused (one kernel: reads a, b, c once, writes one number) vs
 * ours unfused (one kernel per node) vs @tensorflow/tfjs-backend-wasm (1 thread) vs tfjs `cpu`,
 * all in this process, interleaved, median of N after warm-up.
 *
 * Two views, each compared like with like:
 * - per call through the API: our `Session.run` with Tensor feeds (one copy of a, b, c into wasm
 *   memory, 12 MiB) vs tfjs creating its input tensors from the same typed arrays each call;
 * - inputs resident: our signature's exported entry on inputs already in wasm memory (the
 *   compiled code alone) vs tfjs on tensors created once.
 * Each tfjs call reads the scalar back (`dataSync`) and disposes what it made.
 *
 *   node dist/bench/elementwise.js [--n 1048576] [--min-ms 3000]
 */
import { Tensor } from '../session/tensor.js';
import {
  buildSource,
  compileModel,
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
  type Timing,
  useBackend,
} from './common.js';

const USAGE = 'usage: node dist/bench/elementwise.js [--n 1048576] [--min-ms 3000]';

export interface ElementwiseResult {
  markdown: string;
  targets: { name: string; ratio: number; goal: number; met: boolean }[];
}

export async function benchElementwise(opts: { n: number; minMs: number }): Promise<ElementwiseResult> {
  const n = opts.n;
  const src = `a = placeholder(f32, shape=[${n}], name="a")
b = placeholder(f32, shape=[${n}], name="b")
c = placeholder(f32, shape=[${n}], name="c")
s = reduce_mean(square(maximum(a * b + c, 0.0)), name="s")
signature f(a, b, c) -> s
`;
  const built = buildSource(src, 'elementwise.tfg');
  const fused = compileModel(built, true);
  const unfused = compileModel(built, false);
  const av = fillUniform(new Float32Array(n), 1) as Float32Array;
  const bv = fillUniform(new Float32Array(n), 2) as Float32Array;
  const cv = fillUniform(new Float32Array(n), 3) as Float32Array;
  const feeds = { 'a:0': new Tensor('f32', [n], av), 'b:0': new Tensor('f32', [n], bv), 'c:0': new Tensor('f32', [n], cv) };
  const sf = fused.model.createSession();
  const su = unfused.model.createSession();
  const results: Record<string, number> = {};
  const runF = (): void => void (results.fused = (sf.run('s:0', feeds) as Tensor).data[0]!);
  const runU = (): void => void (results.unfused = (su.run('s:0', feeds) as Tensor).data[0]!);
  runF();
  runU();
  const entryF = signatureEntry(sf, 'f');
  const entryU = signatureEntry(su, 'f');
  const callF = (): void => void entryF(1);
  const callU = (): void => void entryU(1);

  const { tf, wasm } = await loadTfjs();
  await useBackend(tf, 'wasm');
  const graph = (a: import('@tensorflow/tfjs-core').Tensor, b: import('@tensorflow/tfjs-core').Tensor, c: import('@tensorflow/tfjs-core').Tensor) =>
    tf.mean(tf.square(tf.maximum(tf.add(tf.mul(a, b), c), 0)));
  const ra = tf.tensor1d(av), rb = tf.tensor1d(bv), rc = tf.tensor1d(cv);
  const tfResident = (key: string) => (): void => {
    const s = tf.tidy(() => graph(ra, rb, rc));
    results[key] = s.dataSync()[0]!;
    s.dispose();
  };
  const tfUpload = (key: string) => (): void => {
    const s = tf.tidy(() => graph(tf.tensor1d(av), tf.tensor1d(bv), tf.tensor1d(cv)));
    results[key] = s.dataSync()[0]!;
    s.dispose();
  };
  // Group 1: ours and tfjs-wasm.
  const g1 = await timeInterleaved([runF, runU, callF, callU, tfUpload('wasmUpload'), tfResident('wasmResident')], { minMs: opts.minMs });
  ra.dispose();
  rb.dispose();
  rc.dispose();
  // Group 2: ours fused and tfjs-cpu (tensors of the cpu backend).
  await useBackend(tf, 'cpu');
  const ca = tf.tensor1d(av), cb = tf.tensor1d(bv), cc = tf.tensor1d(cv);
  const cpuResident = (): void => {
    const s = tf.tidy(() => graph(ca, cb, cc));
    results.cpu = s.dataSync()[0]!;
    s.dispose();
  };
  const g2 = await timeInterleaved([runF, callF, cpuResident], { minMs: Math.min(opts.minMs, 2000), minRuns: 5 });
  ca.dispose();
  cb.dispose();
  cc.dispose();

  // Sanity: everybody computed the same number (up to f32 summation order: tfjs sums 1M terms in f32).
  const want = results.fused!;
  for (const [k, v] of Object.entries(results)) {
    if (maxRelDiff([v], [want]) > 1e-3) throw new Error(`contender '${k}' computed ${v}, ours fused ${want}`);
  }

  const [oF, oU, eF, eU, wUp, wRes] = g1 as [Timing, Timing, Timing, Timing, Timing, Timing];
  const [oF2, eF2, cpu] = g2 as [Timing, Timing, Timing];
  const row = (name: string, t: Timing, ref: Timing): string[] => [name, fmtMs(t.median), fmtMs(t.p10), fmtMs(t.p90), fmtRatio(t.median / ref.median)];
  const header = ['contender', 'median', 'p10', 'p90', 'time / ours fused (same view)'];
  const rows = [
    ['**per call (API, inputs copied in)**', '', '', '', ''],
    row('ours fused, Session.run', oF, oF),
    row('ours unfused, Session.run', oU, oF),
    row('tfjs-wasm 1T, tensors from arrays each call', wUp, oF),
    row('tfjs-cpu, tensors resident (group 2)', cpu, oF2),
    ['**inputs resident**', '', '', '', ''],
    row('ours fused, entry call', eF, eF),
    row('ours unfused, entry call', eU, eF),
    row('tfjs-wasm 1T, tensors resident', wRes, eF),
    row('tfjs-cpu, tensors resident (group 2)', cpu, eF2),
  ];
  const gb = (3 * n * 4) / 1e9;
  const targets = [
    { name: 'fused vs tfjs-wasm, per call (API)', ratio: wUp.median / oF.median, goal: 2.5 },
    { name: 'fused vs tfjs-wasm, inputs resident', ratio: wRes.median / eF.median, goal: 2.5 },
    { name: 'fused vs our unfused, per call (API)', ratio: oU.median / oF.median, goal: 3 },
    { name: 'fused vs our unfused, inputs resident', ratio: eU.median / eF.median, goal: 3 },
  ].map((x) => ({ ...x, met: x.ratio >= x.goal }));
  const lines = [
    `### Elementwise: s = reduce_mean(square(maximum(a*b + c, 0))), ${n.toLocaleString('en-US')} f32 elements`,
    '',
    `${machineLine()}; tfjs-wasm threads: ${wasm.getThreadsCount()}; kernels fused/unfused: ${fused.kernels[0]}/${unfused.kernels[0]}; ` +
      `runs per contender: ${oF.runs} (group 1), ${cpu.runs} (group 2); ours fused reads ${(gb / (eF.median / 1000)).toFixed(1)} GB/s of input (resident).`,
    '',
    markdownTable(header, rows),
    '',
    ...targets.map((x) => `- target ${x.name}: ${fmtRatio(x.ratio)} (goal ≥ ${x.goal}×) — ${x.met ? 'met' : 'NOT met'}`),
  ];
  return { markdown: lines.join('\n'), targets };
}

if (isMain(import.meta.url)) {
  runMain('bench/elementwise', async () => {
    const o = parseArgs(process.argv.slice(2), { n: 1048576, minMs: 3000 }, USAGE);
    const r = await benchElementwise({ n: o.n, minMs: o.minMs });
    console.log(r.markdown);
  });
}
