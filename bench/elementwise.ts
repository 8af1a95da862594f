/**
 * @fileoverview Elementwise benchmarks (not tests), each ours fused (one kernel: reads the inputs
 * once, writes one number) vs ours unfused (one kernel per node) vs @tensorflow/tfjs-backend-wasm
 * (1 thread) vs onnxruntime-web (wasm EP, `--ort-threads` threads), all in this process,
 * interleaved, median of N after warm-up:
 *
 * - `short`: s = reduce_mean(square(maximum(a*b + c, 0))) at 1,048,576 f32 elements (tfjs:
 *   `tf.relu`, as its users write it);
 * - `chain`: s = reduce_mean(sqrt(abs(relu(a*b + c)*0.5 − c) + 1)), 8 elementwise ops and a
 *   reduction, at 1M and 16M elements (square, sqrt, abs: native wasm ops on every side).
 *
 * Views, each compared like with like:
 * - inputs resident: our signature's exported entry on inputs already in wasm memory (the
 *   compiled code alone) vs tfjs on tensors created once;
 * - per call through the API: our `Session.run` with Tensor feeds (one copy of a, b, c into wasm
 *   memory) vs tfjs creating its input tensors each call (short graph only) vs ORT's `run`, whose
 *   inputs (`ort.Tensor`s made once) are copied into its wasm heap on every run — ORT's wasm EP
 *   has no resident inputs, so ORT belongs to this view.
 * Each tfjs call reads the scalar back (`dataSync`) and disposes what it made. All contenders'
 * results are checked to agree.
 *
 *   node dist/bench/elementwise.js [--min-ms 3000] [--ort-threads 1] [--no-tfjs] [--sizes 1048576,16777216] [--threads 2] [--plain]
 *
 * With a thread pool among the contenders (`--threads` or `--ort-threads` above 1) the timing is
 * settled (common.ts timeInterleaved `settle`; `--plain`: back to back, as bench/matmul.ts says).
 */
import '../session/node/threads.js';
import { Tensor } from '../session/tensor.js';
import { loadOrt, onnxModel, ortSession, type OnnxNode } from './onnx.js';
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
  poolTiming,
  runMain,
  signatureEntry,
  tailLine,
  targetLines,
  timeInterleaved,
  type Timing,
  useBackend,
} from './common.js';

const USAGE = 'usage: node dist/bench/elementwise.js [--min-ms 3000] [--ort-threads 1] [--no-tfjs] [--sizes 1048576,16777216] [--threads 2] [--plain]';

type TF = typeof import('@tensorflow/tfjs-core');
type TfT = import('@tensorflow/tfjs-core').Tensor;

interface GraphSpec {
  key: 'short' | 'chain';
  title: string;
  tfg: string;
  tfjs: (tf: TF, a: TfT, b: TfT, c: TfT) => TfT;
  onnx: OnnxNode[];
  consts?: { name: string; value: number }[];
}

const GRAPHS: GraphSpec[] = [
  {
    key: 'short',
    title: 's = reduce_mean(square(maximum(a*b + c, 0)))',
    tfg: 's = reduce_mean(square(maximum(a * b + c, 0.0)), name="s")',
    tfjs: (tf, a, b, c) => tf.mean(tf.square(tf.relu(tf.add(tf.mul(a, b), c)))),
    onnx: [
      { op: 'Mul', inputs: ['a', 'b'], outputs: ['x1'] },
      { op: 'Add', inputs: ['x1', 'c'], outputs: ['x2'] },
      { op: 'Relu', inputs: ['x2'], outputs: ['x3'] },
      { op: 'Mul', inputs: ['x3', 'x3'], outputs: ['x4'] },
      { op: 'ReduceMean', inputs: ['x4'], outputs: ['s'], attrs: { axes: [0], keepdims: 0 } },
    ],
  },
  {
    key: 'chain',
    title: 's = reduce_mean(sqrt(abs(relu(a*b + c)*0.5 − c) + 1)) (8 elementwise ops + a reduction)',
    tfg: 's = reduce_mean(sqrt(abs(relu(a * b + c) * 0.5 - c) + 1.0), name="s")',
    tfjs: (tf, a, b, c) => tf.mean(tf.sqrt(tf.add(tf.abs(tf.sub(tf.mul(tf.relu(tf.add(tf.mul(a, b), c)), 0.5), c)), 1))),
    onnx: [
      { op: 'Mul', inputs: ['a', 'b'], outputs: ['x1'] },
      { op: 'Add', inputs: ['x1', 'c'], outputs: ['x2'] },
      { op: 'Relu', inputs: ['x2'], outputs: ['x3'] },
      { op: 'Mul', inputs: ['x3', 'half'], outputs: ['x4'] },
      { op: 'Sub', inputs: ['x4', 'c'], outputs: ['x5'] },
      { op: 'Abs', inputs: ['x5'], outputs: ['x6'] },
      { op: 'Add', inputs: ['x6', 'one'], outputs: ['x7'] },
      { op: 'Sqrt', inputs: ['x7'], outputs: ['x8'] },
      { op: 'ReduceMean', inputs: ['x8'], outputs: ['s'], attrs: { axes: [0], keepdims: 0 } },
    ],
    consts: [
      { name: 'half', value: 0.5 },
      { name: 'one', value: 1 },
    ],
  },
];

export interface ElementwiseResult {
  markdown: string;
  targets: { name: string; ratio: number; goal: number; met: boolean }[];
}

async function benchGraph(
  g: GraphSpec,
  n: number,
  opts: { minMs: number; ortThreads: number; tfjs: boolean; threads: number; plain?: boolean },
): Promise<ElementwiseResult> {
  const src = `a = placeholder(f32, shape=[${n}], name="a")
b = placeholder(f32, shape=[${n}], name="b")
c = placeholder(f32, shape=[${n}], name="c")
${g.tfg}
signature f(a, b, c) -> s
`;
  const built = buildSource(src, `${g.key}.tfg`);
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

  const ort = await loadOrt(opts.ortThreads);
  const model = onnxModel({
    inputs: ['a', 'b', 'c'].map((name) => ({ name, dims: [n] })),
    outputs: [{ name: 's', dims: [] }],
    initializers: (g.consts ?? []).map((k) => ({ name: k.name, dims: [], data: new Float32Array([k.value]) })),
    nodes: g.onnx,
  });
  const osess = await ortSession(ort, model);
  const ofeeds = { a: new ort.Tensor('float32', av, [n]), b: new ort.Tensor('float32', bv, [n]), c: new ort.Tensor('float32', cv, [n]) };
  const runOrt = async (): Promise<void> => void (results.ort = (await osess.run(ofeeds)).s!.data[0] as number);

  const fns: Array<() => unknown> = [callF, callU, runF, runU, runOrt];
  // Ours fused at N threads (threads.ts: the chain's loop and the reduction's segments split).
  const nT = opts.threads;
  const sN = nT > 1 ? compileModel(built, true, nT).model.createSession() : null;
  let threadedFns: Array<() => unknown> = [];
  if (sN) {
    if (sN.threads !== nT) throw new Error(`${nT} threads not available: ${sN.threadNote ?? ''}`);
    const runN = (): void => void (results.fusedThreads = (sN.run('s:0', feeds) as Tensor).data[0]!);
    runN();
    const entryN = signatureEntry(sN, 'f');
    threadedFns = [() => void entryN(1), runN];
  }
  let tfjsDispose = (): void => {};
  if (opts.tfjs) {
    const { tf } = await loadTfjs();
    await useBackend(tf, 'wasm');
    const ra = tf.tensor1d(av),
      rb = tf.tensor1d(bv),
      rc = tf.tensor1d(cv);
    fns.push(() => {
      const s = tf.tidy(() => g.tfjs(tf, ra, rb, rc));
      results.tfjsResident = s.dataSync()[0]!;
      s.dispose();
    });
    fns.push(() => {
      const s = tf.tidy(() => g.tfjs(tf, tf.tensor1d(av), tf.tensor1d(bv), tf.tensor1d(cv)));
      results.tfjsUpload = s.dataSync()[0]!;
      s.dispose();
    });
    tfjsDispose = () => [ra, rb, rc].forEach((x) => x.dispose());
  }
  const ts = await timeInterleaved([...fns, ...threadedFns], {
    minMs: opts.minMs,
    minRuns: 5,
    ...poolTiming(opts.ortThreads > 1 || nT > 1, opts.plain ?? false),
  });
  const [eN, oN] = sN ? ts.slice(ts.length - 2) : [undefined, undefined];
  if (sN) {
    if (!Object.is(results.fusedThreads, results.fused)) throw new Error(`${g.key}: ${nT} threads computed ${results.fusedThreads}, 1 thread ${results.fused}`);
    sN.close();
  }
  tfjsDispose();
  await osess.release();

  // Sanity: everybody computed the same number. Ours (fused and unfused) sum in f64 and must agree
  // closely; tfjs and ORT sum n values in f32, which drifts at 16M (reported below, fails past 10%).
  const want = results.fused!;
  const drift: string[] = [];
  for (const [k, v] of Object.entries(results)) {
    const d = maxRelDiff([v], [want]);
    const ourOwn = k === 'fused' || k === 'unfused' || k === 'fusedThreads';
    if (d > (ourOwn ? 1e-5 : 0.1)) throw new Error(`${g.key}: contender '${k}' computed ${v}, ours fused ${want}`);
    if (!ourOwn && d > 1e-4) drift.push(`${k} ${v.toPrecision(7)}`);
  }
  const [eF, eU, oF, oU, o] = ts as [Timing, Timing, Timing, Timing, Timing];
  // tfjs's two timings follow ours only when tfjs ran; without it, ts[5..6] are ours at N threads
  // (this destructuring read them as tfjs's, so runs without tfjs reported ours 2T as tfjs-wasm 1T)
  const [tRes, tUp] = opts.tfjs ? [ts[5], ts[6]] : [undefined, undefined];
  const row = (name: string, t: Timing, ref: Timing): string[] => [name, fmtMs(t.median), fmtMs(t.p10), fmtMs(t.p90), fmtRatio(t.median / ref.median)];
  const ortName = `ORT-web wasm ${opts.ortThreads}T (inputs copied into its heap each run)`;
  const rows = [
    ['**inputs resident**', '', '', '', ''],
    row('ours fused, entry call', eF, eF),
    row('ours unfused, entry call', eU, eF),
    ...(eN ? [row(`ours fused ${nT} threads, entry call`, eN, eF)] : []),
    ...(tRes ? [row('tfjs-wasm 1T, tensors resident', tRes, eF)] : []),
    ['**per call (API, inputs copied in)**', '', '', '', ''],
    row('ours fused, Session.run', oF, oF),
    row('ours unfused, Session.run', oU, oF),
    ...(oN ? [row(`ours fused ${nT} threads, Session.run`, oN, oF)] : []),
    row(ortName, o, oF),
    ...(tUp ? [row('tfjs-wasm 1T, tensors from arrays each call', tUp, oF)] : []),
  ];
  const gb = (3 * n * 4) / 1e9;
  const targets = [
    { name: `${g.key} ${n}: fused vs our unfused, inputs resident`, ratio: eU.median / eF.median, goal: 0 },
    { name: `${g.key} ${n}: fused vs ORT ${opts.ortThreads}T, per call`, ratio: o.median / oF.median, goal: 1 },
    ...(tRes ? [{ name: `${g.key} ${n}: fused vs tfjs-wasm 1T, inputs resident`, ratio: tRes.median / eF.median, goal: 1 }] : []),
    ...(eN && oN
      ? [
          { name: `${g.key} ${n}: fused ${nT} threads vs fused 1 thread, inputs resident`, ratio: eF.median / eN.median, goal: 0 },
          { name: `${g.key} ${n}: fused ${nT} threads vs ORT ${opts.ortThreads}T, per call`, ratio: o.median / oN.median, goal: 1 },
          ...(tRes ? [{ name: `${g.key} ${n}: fused ${nT} threads vs tfjs-wasm 1T, inputs resident`, ratio: tRes.median / eN.median, goal: 1 }] : []),
        ]
      : []),
  ].map((x) => ({ ...x, met: x.ratio >= x.goal }));
  const lines = [
    `#### ${g.title}, ${n.toLocaleString('en-US')} f32 elements, ORT threads ${opts.ortThreads}`,
    '',
    `${machineLine()}; kernels fused/unfused: ${fused.kernels[0]}/${unfused.kernels[0]}; runs per contender: ${eF.runs}; ` +
      `ours fused reads ${(gb / (eF.median / 1000)).toFixed(1)} GB/s of input (resident, median).`,
    '',
    markdownTable(['contender', 'median', 'p10', 'p90', 'time / ours fused (same view)'], rows),
    '',
    targetLines(targets),
    ...[
      tailLine(
        [
          'fused entry',
          'unfused entry',
          'fused run',
          'unfused run',
          `ORT ${opts.ortThreads}T`,
          ...(opts.tfjs ? ['tfjs resident', 'tfjs upload'] : []),
          ...(sN ? [`${nT}T entry`, `${nT}T run`] : []),
        ],
        ts,
      ),
    ].filter((l) => l !== ''),
    ...(drift.length ? [`- results: ours ${want.toPrecision(7)} (f64 sums); peers summing in f32 drift: ${drift.join(', ')}`] : []),
  ];
  return { markdown: lines.join('\n'), targets };
}

export async function benchElementwise(opts: {
  sizes: number[];
  minMs: number;
  ortThreads: number;
  tfjs: boolean;
  threads: number;
  plain?: boolean;
}): Promise<ElementwiseResult> {
  const parts: ElementwiseResult[] = [];
  parts.push(await benchGraph(GRAPHS[0]!, 1048576, opts));
  for (const n of opts.sizes) {
    parts.push(await benchGraph(GRAPHS[1]!, n, { ...opts, minMs: n > 4e6 ? Math.max(opts.minMs, 4000) : opts.minMs }));
    process.stderr.write(`bench/elementwise chain ${n} done\n`);
  }
  return { markdown: parts.map((p) => p.markdown).join('\n\n'), targets: parts.flatMap((p) => p.targets) };
}

if (isMain(import.meta.url)) {
  runMain('bench/elementwise', async () => {
    const o = parseArgs(process.argv.slice(2), { minMs: 3000, ortThreads: 1, noTfjs: false, sizes: '1048576,16777216', threads: 1, plain: false }, USAGE);
    const sizes = o.sizes.split(',').map(Number);
    const r = await benchElementwise({ sizes, minMs: o.minMs, ortThreads: o.ortThreads, tfjs: !o.noTfjs, threads: o.threads, plain: o.plain });
    console.log(r.markdown);
    process.exit(0);
  });
}
