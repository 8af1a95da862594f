/**
 * @fileoverview A/B of the two ways bench/common.ts timeInterleaved can interleave contenders
 * with thread pools (not a test), in one process: C = A·B (n×n) by ours at 1 thread, ours at N
 * threads (the compiled signature's entry on resident inputs) and onnxruntime-web at
 * `--ort-threads` (every option at its default). Phases alternate (A B B A …) between
 * - `plain`: one call of each contender per round, back to back (the method bench/all used);
 * - `settled`: before each contender, wait until the process is quiet (the previous contender's
 *   pool stopped spinning), then an untimed call and `--burst-ms` of timed calls (`settle: true`).
 * Reported: GFLOP/s median (best) of each contender under each method, the ratios, and how long
 * the process stayed busy after each contender (its pool's spinning tail).
 *
 *   node dist/bench/settle-ab.js [--ort-threads 2] [--threads 2] [--n 512] [--phases 6] [--phase-ms 1500] [--burst-ms 0]
 */
import '../session/node/threads.js';
import { Tensor } from '../session/tensor.js';
import { loadOrt, onnxModel, ortSession } from './onnx.js';
import {
  buildSource,
  compileModel,
  fillUniform,
  isMain,
  machineLine,
  markdownTable,
  parseArgs,
  runMain,
  signatureEntry,
  summarize,
  timeInterleaved,
  type Timing,
} from './common.js';

const USAGE = 'usage: node dist/bench/settle-ab.js [--ort-threads 2] [--threads 2] [--n 512] [--phases 6] [--phase-ms 1500] [--burst-ms 0]';

export async function settleAB(opts: { ortThreads: number; threads: number; n: number; phases: number; phaseMs: number; burstMs: number }): Promise<string> {
  const n = opts.n;
  const av = fillUniform(new Float32Array(n * n), 1, -0.5, 0.5) as Float32Array;
  const bv = fillUniform(new Float32Array(n * n), 2, -0.5, 0.5) as Float32Array;
  const src = `a = placeholder(f32, shape=[${n}, ${n}], name="a")\nb = placeholder(f32, shape=[${n}, ${n}], name="b")\nc = matmul(a, b, name="c")\nsignature mm(a, b) -> c\n`;
  const ours = await Promise.all(
    [1, opts.threads].map(async (threads) => {
      const s = compileModel(buildSource(src, 'mm.tfg'), true, threads).model.createSession();
      await s.threadsReady();
      if (s.threads !== threads) throw new Error(`${threads} threads not available: ${s.threadNote ?? ''}`);
      s.run('c:0', { 'a:0': new Tensor('f32', [n, n], av), 'b:0': new Tensor('f32', [n, n], bv) });
      const entry = signatureEntry(s, 'mm');
      return (): void => void entry(1);
    }),
  );
  const ort = await loadOrt(opts.ortThreads);
  const sess = await ortSession(
    ort,
    onnxModel({
      inputs: [
        { name: 'A', dims: [n, n] },
        { name: 'B', dims: [n, n] },
      ],
      outputs: [{ name: 'C', dims: [n, n] }],
      nodes: [{ op: 'MatMul', inputs: ['A', 'B'], outputs: ['C'] }],
    }),
  );
  const feeds = { A: new ort.Tensor('float32', av, [n, n]), B: new ort.Tensor('float32', bv, [n, n]) };
  const runOrt = async (): Promise<void> => void (await sess.run(feeds));
  const names = ['tfg 1T', `ORT-web ${opts.ortThreads}T`, `tfg ${opts.threads}T`];
  const fns = [ours[0]!, runOrt, ours[1]!];
  const methods = ['plain', 'settled'] as const;
  const samples = methods.map(() => fns.map(() => [] as number[]));
  const tails: number[][] = fns.map(() => []);
  for (let p = 0; p < opts.phases; p++) {
    const m = [0, 1, 1, 0][p % 4]!;
    // One timeInterleaved per phase; the medians of its phases are pooled below as samples.
    const ts: Timing[] = await timeInterleaved(fns, { minMs: opts.phaseMs, minRuns: 3, warmup: 1, settle: m === 1, burstMs: opts.burstMs });
    ts.forEach((t, i) => {
      samples[m]![i]!.push(t.median);
      if (t.tailMs !== undefined) tails[i]!.push(t.tailMs);
    });
    process.stderr.write(`bench/settle-ab phase ${p} (${methods[m]}) done\n`);
  }
  await sess.release();
  const gf = (ms: number): number => (2 * n * n * n) / (ms * 1e6);
  const med = (xs: number[]): number => summarize(xs).median;
  const rows = methods.map((m, mi) => {
    const g = samples[mi]!.map((xs) => gf(med(xs)));
    return [m, ...g.map((x) => x.toFixed(1)), `${(g[2]! / g[0]!).toFixed(2)}×`, `${(g[2]! / g[1]!).toFixed(2)}×`];
  });
  return [
    `#### Interleaving methods A/B: matmul ${n}, GFLOP/s (median over phases of each phase's median), ${opts.phases} phases of ${opts.phaseMs} ms, burst ${opts.burstMs} ms`,
    '',
    `${machineLine()}.`,
    '',
    markdownTable(['method', ...names, `${names[2]} / ${names[0]}`, `${names[2]} / ${names[1]}`], rows),
    '',
    `Busy tail after each contender (settled phases, median ms): ${names.map((x, i) => `${x} ${med(tails[i]!).toFixed(1)}`).join(', ')}.`,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  runMain('bench/settle-ab', async () => {
    const o = parseArgs(process.argv.slice(2), { ortThreads: 2, threads: 2, n: 512, phases: 6, phaseMs: 1500, burstMs: 0 }, USAGE);
    console.log(await settleAB(o));
    process.exit(0); // ORT's worker threads would keep the process alive
  });
}
