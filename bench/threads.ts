/**
 * @fileoverview Threads benchmark (not a test): the same compiled modules through the public
 * `Session.run`, loaded at 1 thread and at N threads (`LoadOptions.threads`), interleaved in one
 * process, median after warm-up; every threaded result is checked to have the same bits as the
 * 1-thread one. Workloads: matmul 512 and 1024 (two fed [n,n] f32 matrices), the MLP of
 * bench/mlp.ts at batch 1000 (predict), and the MNIST training step of bench/mnist-train.ts at
 * batch 50 (autodiff + Adam, one call per step; random pixels and labels, as the step's cost
 * does not depend on them). Optionally with fast math (the relaxed runtime; Node 20 needs
 * --experimental-wasm-relaxed-simd).
 *
 *   node dist/bench/threads.js [--threads 2] [--min-ms 3000] [--fast-math] [--plain]
 *
 * Timed settled (common.ts timeInterleaved `settle`): bursts of back-to-back calls of one
 * session, the first untimed, after the process went quiet. Back to back single calls
 * (`--plain`) let the N-thread session's workers block between its calls whenever the 1-thread
 * call between them outlasts their polling (POOL.workerSpinUs), so its calls paid a wake-up
 * that a loop of calls does not pay, in some rounds and not in others.
 *
 * `--sweep`: instead, the split threshold of generated kernels (threads.ts SPLIT.minElems): an
 * elementwise chain (8 ops, written out) and a row reduction of it, at 2^10 … 2^22 f32 elements,
 * 1 vs N threads with the threshold at 1 (every size splits), entry calls on resident inputs.
 */
import { setFlagsFromString } from 'node:v8';
import '../session/node/threads.js';
import { compileProgram } from '../compiler/driver.js';
import { readRuntimeWasm } from '../runtime-as/node.js';
import { Tensor } from '../session/tensor.js';
import { loadModelSync } from '../session/wasm/sync.js';
import type { WasmSession } from '../session/wasm/model.js';
import {
  buildSource,
  fillUniform,
  fmtMs,
  fmtRatio,
  isMain,
  machineLine,
  markdownTable,
  parseArgs,
  poolTiming,
  runMain,
  signatureEntry,
  tailLine,
  target,
  targetLines,
  timeInterleaved,
  type Target,
} from './common.js';
import { SPLIT } from '../session/wasm/threads.js';
import { MLP_SOURCE } from './mlp.js';
import { ADAM_SOURCE } from './mnist-train.js';

const USAGE = 'usage: node dist/bench/threads.js [--threads 2] [--min-ms 3000] [--fast-math] [--sweep] [--plain]';

interface Workload {
  name: string;
  source: string;
  /** Runs once per call; returns the outputs to compare. */
  prepare(s: WasmSession): () => unknown[];
  /** FLOPs per call, for GFLOP/s (matmul only). */
  flops?: number;
}

function matmulWorkload(n: number): Workload {
  const a = new Tensor('f32', [n, n], fillUniform(new Float32Array(n * n), 1, -0.5, 0.5) as Float32Array);
  const b = new Tensor('f32', [n, n], fillUniform(new Float32Array(n * n), 2, -0.5, 0.5) as Float32Array);
  return {
    name: `matmul ${n}`,
    source: `a = placeholder(f32, shape=[${n}, ${n}], name="a")\nb = placeholder(f32, shape=[${n}, ${n}], name="b")\nc = matmul(a, b, name="c")\nsignature mm(a, b) -> c\n`,
    prepare: (s) => () => [s.run('c:0', { 'a:0': a, 'b:0': b })],
    flops: 2 * n * n * n,
  };
}

function mlpWorkload(batch: number): Workload {
  const x = new Tensor('f32', [batch, 784], fillUniform(new Float32Array(batch * 784), 3, 0, 1) as Float32Array);
  return {
    name: `MLP 784-300-100-10 forward, batch ${batch}`,
    source: MLP_SOURCE,
    prepare: (s) => {
      s.run('init');
      return () => [s.run('proba:0', { 'X:0': x })];
    },
  };
}

function trainWorkload(batch: number): Workload {
  const x = new Tensor('f32', [batch, 784], fillUniform(new Float32Array(batch * 784), 4, 0, 1) as Float32Array);
  const y = new Tensor(
    'i32',
    [batch],
    Int32Array.from({ length: batch }, (_, i) => (i * 7) % 10),
  );
  return {
    name: `MNIST MLP train step (autodiff + Adam), batch ${batch}`,
    source: ADAM_SOURCE,
    prepare: (s) => {
      s.run('init');
      // Each step changes the variables: the compared output is the loss of one fresh step per
      // session, the timed calls keep stepping.
      return () => [(s.run(['loss:0', 'train_op'], { 'X:0': x, 'y:0': y }) as [Tensor, null])[0]];
    },
  };
}

function sameBits(a: unknown[], b: unknown[]): boolean {
  return a.every((t, i) => {
    const x = (t as Tensor).data,
      z = (b[i] as Tensor).data;
    return x.length === z.length && x.every((v, j) => Object.is(v, z[j]));
  });
}

/** The split threshold sweep (see the file comment). */
export async function sweepThreshold(opts: { threads: number; minMs: number }): Promise<string> {
  const saved = { ...SPLIT };
  SPLIT.minElems = 1;
  SPLIT.wakeElems = 0; // every size splits, whether or not the worker slept before it
  const rows: string[][] = [];
  for (let log = 10; log <= 22; log += 2) {
    const n = 1 << log,
      rowsN = n >> 10;
    const src = `a = placeholder(f32, shape=[${rowsN}, 1024], name="a")
b = placeholder(f32, shape=[${rowsN}, 1024], name="b")
e = sqrt(abs(relu(a * b + 1.0) * 0.5 - b) + 1.0, name="e")
r = reduce_sum(sqrt(abs(relu(a * b + 1.0) * 0.5 - b) + 1.0), axis=1, name="r")
signature ew(a, b) -> e
signature red(a, b) -> r
`;
    const wasm = compileProgram(buildSource(src, 'sweep.tfg'), { fuse: true }).wasm as Uint8Array<ArrayBuffer>;
    const feeds = {
      'a:0': new Tensor('f32', [rowsN, 1024], fillUniform(new Float32Array(n), 5) as Float32Array),
      'b:0': new Tensor('f32', [rowsN, 1024], fillUniform(new Float32Array(n), 6) as Float32Array),
    };
    const ss = [1, opts.threads].map((threads) => loadModelSync(wasm, { threads }).createSession());
    for (const s of ss) await s.threadsReady();
    const cells: string[] = [];
    for (const [sig, out] of [
      ['ew', 'e:0'],
      ['red', 'r:0'],
    ] as const) {
      const outs = ss.map((s) => (s.run(out, feeds) as Tensor).data);
      if (!outs[1]!.every((v, i) => Object.is(v, outs[0]![i]))) throw new Error(`sweep ${n} ${sig}: different bits at ${opts.threads} threads`);
      const entries = ss.map((s) => signatureEntry(s, sig));
      const [t1, tn] = await timeInterleaved(
        entries.map((e) => () => e(1)),
        { minMs: opts.minMs, warmup: 3, maxRuns: 20000 },
      );
      cells.push(fmtMs(t1!.median), fmtMs(tn!.median), fmtRatio(t1!.median / tn!.median));
    }
    rows.push([n.toLocaleString('en-US'), ...cells]);
    for (const s of ss) s.close();
    process.stderr.write(`bench/threads sweep 2^${log} done\n`);
  }
  Object.assign(SPLIT, saved);
  return [
    `#### Split threshold of generated kernels: 1 vs ${opts.threads} threads, every size split (SPLIT.minElems = 1), entry calls on resident inputs`,
    '',
    `${machineLine()}.`,
    '',
    markdownTable(['f32 elements', 'chain 1T', `chain ${opts.threads}T`, 'speed-up', 'row reduce 1T', `row reduce ${opts.threads}T`, 'speed-up'], rows),
  ].join('\n');
}

export async function benchThreads(opts: { threads: number; minMs: number; fastMath: boolean; plain?: boolean }): Promise<string> {
  const rows: string[][] = [];
  const tails: string[] = [];
  const targets: Target[] = [];
  const relaxedRuntime = opts.fastMath ? readRuntimeWasm('relaxed') : undefined;
  for (const w of [matmulWorkload(512), matmulWorkload(1024), mlpWorkload(1000), trainWorkload(50)]) {
    const wasm = compileProgram(buildSource(w.source, `${w.name}.tfg`), { fuse: true }).wasm as Uint8Array<ArrayBuffer>;
    const counts = [1, opts.threads];
    const sessions = counts.map((threads) => loadModelSync(wasm, { threads, fastMath: opts.fastMath, relaxedRuntime }).createSession());
    for (const s of sessions) await s.threadsReady();
    if (sessions[1]!.threads !== opts.threads) throw new Error(`${opts.threads} threads not available: ${sessions[1]!.threadNote ?? ''}`);
    const fns = sessions.map((s) => w.prepare(s));
    const first = fns.map((f) => f());
    const same = sameBits(first[1]!, first[0]!);
    const ts = await timeInterleaved(fns, { minMs: opts.minMs, warmup: 3, ...poolTiming(true, opts.plain ?? false) });
    const [t1, tn] = ts;
    tails.push(tailLine([`${w.name}: 1T`, `${opts.threads}T`], ts));
    const gf = (t: { median: number }): string => (w.flops ? ` (${(w.flops / t.median / 1e6).toFixed(1)} GFLOP/s)` : '');
    rows.push([
      w.name,
      fmtMs(t1!.median) + gf(t1!),
      fmtMs(tn!.median) + gf(tn!),
      fmtRatio(t1!.median / tn!.median),
      same ? 'yes' : 'NO',
      String(sessions[1]!.splitCalls > 0),
    ]);
    if (w.name.startsWith('MNIST')) targets.push(target(`train step batch 50: ours ${opts.threads}T / ours 1T`, t1!.median / tn!.median, 1.5));
    for (const s of sessions) s.close();
  }
  return [
    `#### Threads: 1 vs ${opts.threads}, through Session.run${opts.fastMath ? ', fast math' : ''}`,
    '',
    `${machineLine()}.`,
    '',
    markdownTable(['workload', '1 thread', `${opts.threads} threads`, 'speed-up', 'same bits', 'split'], rows),
    '',
    targetLines(targets),
    ...tails.filter((l) => l !== '').flatMap((l) => ['', l]),
  ].join('\n');
}

if (isMain(import.meta.url)) {
  runMain('bench/threads', async () => {
    const o = parseArgs(process.argv.slice(2), { threads: 2, minMs: 3000, fastMath: false, sweep: false, plain: false }, USAGE);
    if (o.fastMath) setFlagsFromString('--experimental-wasm-relaxed-simd');
    console.log(o.sweep ? await sweepThreshold({ threads: o.threads, minMs: Math.min(o.minMs, 1000) }) : await benchThreads(o));
  });
}
