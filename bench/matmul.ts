/**
 * @fileoverview Matmul benchmark (not a test): GFLOP/s of the AssemblyScript runtime's matmul_f32
 * (runtime.wasm, exact wasm SIMD; and runtime-relaxed.wasm, the fast-math build with
 * f32x4.relaxed_madd) against @tensorflow/tfjs-backend-wasm (XNNPACK, 1 thread) and
 * onnxruntime-web (wasm EP, `--ort-threads` threads), all in this process and interleaved (one
 * call of each per round), with every result as a fraction of this machine's probed wasm SIMD
 * peak (bench/peak.ts, run first in the same process). Then the K-neighbour table: C[1024,1024]
 * with K and K ± 4 for K ∈ {1000, 1020, 1024, 1028, 2048}, per-FLOP time against the
 * neighbours (the f32 kernel must have no cliff at any K), and the old f64-accumulating kernel
 * (`matmul_f32_acc64`, which codegen used to switch to at K ≥ 1024) at K = 1024 for scale.
 *
 *   node dist/bench/matmul.js [--sizes 128,256,512,1024] [--min-ms 1500] [--ort-threads 1]
 *                             [--no-tfjs] [--no-k] [--threads 2] [--plain]
 *
 * When a contender has a thread pool (`--threads` or `--ort-threads` above 1), the square sizes
 * are timed settled (common.ts timeInterleaved `settle`: before each contender the process waits
 * until no thread of it is busy, then bursts of calls), as ORT's pool spins for tens of ms after
 * each run and would take a core from the next contender; `--plain` times them back to back.
 *
 * ORT's thread count is fixed per process (the first session initialises its wasm backend), so
 * 1 and 2 ORT threads are two runs of this script (bench/all.ts does both); each run's ratios
 * come from its own interleaved rounds. Every contender's product is checked against ours.
 */
import { performance } from 'node:perf_hooks';
import { probePeak } from './peak.js';
import { loadOrt, onnxModel, ortSession } from './onnx.js';
import '../session/node/threads.js';
import { Tensor } from '../session/tensor.js';
import {
  buildSource,
  compileModel,
  fillUniform,
  isMain,
  loadTfjs,
  markdownTable,
  maxRelDiff,
  parseArgs,
  runMain,
  poolTiming,
  signatureEntry,
  tailLine,
  target,
  targetLines,
  timeInterleaved,
  useBackend,
  type Target,
  type Timing,
} from './common.js';

const USAGE = 'usage: node dist/bench/matmul.js [--sizes 128,256,512,1024] [--min-ms 1500] [--ort-threads 1] [--no-tfjs] [--no-k] [--threads 2] [--plain]';

export interface MatmulOptions {
  sizes: number[];
  minMs: number;
  ortThreads: number;
  tfjs: boolean;
  kNeighbours: boolean;
  /** Also run ours through a session at this many threads (its signature's entry, inputs resident); 1: not. */
  threads: number;
  /** Time the square sizes back to back even when a contender has a thread pool (common.ts poolTiming). */
  plain?: boolean;
}

interface Ours {
  name: string;
  /** C = A·B for [M,K]·[K,N] on fresh seeded inputs; returns the call and a reader of C. */
  prepare(M: number, N: number, K: number, kernel?: 'matmul_f32' | 'matmul_f32_acc64'): { run: () => void; result: () => Float32Array };
}

async function ourRuntimes(maxElems: number): Promise<Ours[]> {
  const abi = await import('../runtime-as/abi.js');
  const { readRuntimeWasm } = await import('../runtime-as/node.js');
  return (['simd', 'relaxed'] as const).map((variant) => {
    const scratch = Math.max(abi.matmulF32ScratchBytes(4096, 4096, 4096), abi.matmulF64ScratchBytes(4096, 4096, 4096));
    const bytes = abi.RUNTIME_RESERVED_BYTES + 3 * maxElems * 4 + scratch + 1024;
    const memory = abi.createSharedMemory(Math.ceil(bytes / 65536));
    const rt = abi.instantiateRuntimeSync(readRuntimeWasm(variant), memory);
    return {
      name: variant === 'simd' ? 'tfg exact' : 'tfg fast-math',
      prepare: (M, N, K, kernel = 'matmul_f32') => {
        const a16 = (x: number) => Math.ceil(x / 16) * 16;
        const pa = abi.RUNTIME_RESERVED_BYTES,
          pb = a16(pa + M * K * 4),
          pc = a16(pb + K * N * 4),
          ps = a16(pc + M * N * 4);
        fillUniform(new Float32Array(memory.buffer, pa, M * K), 1, -0.5, 0.5);
        fillUniform(new Float32Array(memory.buffer, pb, K * N), 2, -0.5, 0.5);
        return { run: () => rt[kernel](pa, pb, pc, M, N, K, 0, 0, ps), result: () => new Float32Array(memory.buffer, pc, M * N) };
      },
    };
  });
}

const gflops = (M: number, N: number, K: number, ms: number): number => (2 * M * N * K) / (ms * 1e6);
const cell = (g: { median: number; best: number }): string => `${g.median.toFixed(1)} (${g.best.toFixed(1)})`;
const rate = (M: number, N: number, K: number, t: Timing) => ({ median: gflops(M, N, K, t.median), best: gflops(M, N, K, t.best) });

export async function benchMatmul(opts: MatmulOptions): Promise<string> {
  const peak = await probePeak({ minMs: 1000 });
  const maxN = Math.max(...opts.sizes, 1024);
  const ours = await ourRuntimes(maxN * Math.max(maxN, 2052));
  const ort = await loadOrt(opts.ortThreads);
  const tfjs = opts.tfjs ? await loadTfjs() : null;
  if (tfjs) await useBackend(tfjs.tf, 'wasm');
  const out: string[] = [peak.markdown, ''];
  const targets: Target[] = [];

  // ---- square sizes ----
  const rows: string[][] = [];
  const tails: string[] = [];
  const ortName = `ORT-web wasm ${opts.ortThreads}T`;
  for (const n of opts.sizes) {
    const mine = ours.map((o) => o.prepare(n, n, n));
    const av = fillUniform(new Float32Array(n * n), 1, -0.5, 0.5) as Float32Array;
    const bv = fillUniform(new Float32Array(n * n), 2, -0.5, 0.5) as Float32Array;
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
    let ortC: ArrayLike<number> = [];
    const runOrt = async (): Promise<void> => void (ortC = (await sess.run(feeds)).C!.data as Float32Array);
    let tfC: ArrayLike<number> = [];
    const ta = tfjs?.tf.tensor2d(av, [n, n]),
      tb = tfjs?.tf.tensor2d(bv, [n, n]);
    const runTf = (): void => {
      const c = tfjs!.tf.matMul(ta!, tb!);
      tfC = c.dataSync();
      c.dispose();
    };
    // Ours at N threads: a compiled signature's entry on inputs already in its memory (the same
    // runtime kernel split by rows, threads.ts), so it compares with the direct kernel calls above.
    let threaded: { run: () => void; result: () => Float32Array; close: () => void } | null = null;
    if (opts.threads > 1) {
      const src = `a = placeholder(f32, shape=[${n}, ${n}], name="a")\nb = placeholder(f32, shape=[${n}, ${n}], name="b")\nc = matmul(a, b, name="c")\nsignature mm(a, b) -> c\n`;
      const s = compileModel(buildSource(src, 'mm.tfg'), true, opts.threads).model.createSession();
      if (s.threads !== opts.threads) throw new Error(`${opts.threads} threads not available: ${s.threadNote ?? ''}`);
      const c = (s.run('c:0', { 'a:0': new Tensor('f32', [n, n], av), 'b:0': new Tensor('f32', [n, n], bv) }) as Tensor).data as Float32Array;
      const entry = signatureEntry(s, 'mm');
      threaded = { run: () => void entry(1), result: () => c, close: () => s.close() };
    }
    const fns = [...mine.map((m) => m.run), runOrt, ...(tfjs ? [runTf] : []), ...(threaded ? [threaded.run] : [])];
    const pools = opts.ortThreads > 1 || opts.threads > 1;
    const ts = await timeInterleaved(fns, { minMs: opts.minMs, minRuns: 5, maxRuns: 2000, ...poolTiming(pools, opts.plain ?? false) });
    tails.push(
      `n = ${n}: ` + tailLine(['exact', 'fast-math', `ORT ${opts.ortThreads}T`, ...(tfjs ? ['tfjs'] : []), ...(threaded ? [`ours ${opts.threads}T`] : [])], ts),
    );
    const want = mine[0]!.result();
    for (const [name, c] of [
      ['fast-math', mine[1]!.result()],
      ['ORT', ortC],
      ...(tfjs ? [['tfjs', tfC] as const] : []),
      ...(threaded ? [[`${opts.threads} threads`, threaded.result()] as const] : []),
    ] as const) {
      const d = maxRelDiff(c, want);
      if (!(d < 1e-4)) throw new Error(`matmul ${n}: ${name} differs from ours by ${d}`);
    }
    ta?.dispose();
    tb?.dispose();
    await sess.release();
    threaded?.close();
    const [ex, fm, o, w] = [rate(n, n, n, ts[0]!), rate(n, n, n, ts[1]!), rate(n, n, n, ts[2]!), tfjs ? rate(n, n, n, ts[3]!) : null];
    const th = threaded ? rate(n, n, n, ts[ts.length - 1]!) : null;
    if (n === 512) {
      targets.push(target(`matmul 512, 1 thread: exact best / probed f32x4 mul+add peak`, ex.best / peak.mulAdd, 0.85));
      targets.push(target(`matmul 512: fast math / exact (1 thread)`, fm.median / ex.median, 1.4));
    }
    if (th && (n === 512 || n === 1024)) {
      if (w) targets.push(target(`matmul ${n}: ours ${opts.threads}T / tfjs-wasm 1T`, th.median / w.median, 1.7));
      targets.push(target(`matmul ${n}: ours ${opts.threads}T / ORT ${opts.ortThreads}T`, th.median / o.median, opts.ortThreads >= 2 ? 1.5 : 0));
    }
    rows.push([
      String(n),
      cell(ex),
      `${((100 * ex.best) / peak.mulAdd).toFixed(0)}%`,
      cell(fm),
      `${(fm.median / ex.median).toFixed(2)}×`,
      ...(w ? [cell(w), `${(ex.median / w.median).toFixed(2)}×`] : []),
      cell(o),
      `${(ex.median / o.median).toFixed(2)}×`,
      ...(th ? [cell(th), `${(th.median / ex.median).toFixed(2)}×`] : []),
    ]);
    process.stderr.write(`bench/matmul n=${n}: ${ts[0]!.runs} interleaved rounds\n`);
  }
  out.push(
    `#### Square f32 matmul C = A·B (n×n), GFLOP/s = 2n³/time, median (best) of interleaved rounds; ORT threads: ${opts.ortThreads}`,
    '',
    markdownTable(
      [
        'n',
        'tfg exact',
        'exact best / mul+add peak',
        'tfg fast-math',
        'fast-math / exact',
        ...(tfjs ? ['tfjs-wasm 1T', 'exact / tfjs (median)'] : []),
        ortName,
        `exact / ORT ${opts.ortThreads}T (median)`,
        ...(opts.threads > 1 ? [`tfg exact ${opts.threads}T (entry)`, `${opts.threads}T / 1T`] : []),
      ],
      rows,
    ),
    '',
    ...tails.filter((l) => !l.endsWith(': ')).flatMap((l) => [l, '']),
  );

  // ---- K neighbours ----
  if (opts.kNeighbours) {
    // For each K, the three shapes K − 4, K, K + 4 (exact and fast-math: 6 contenders) run
    // interleaved in the same rounds, so the per-FLOP ratios compare like with like even when the
    // shared machine's load changes between centres; ratios are taken per round, then the median.
    const centers = [1000, 1020, 1024, 1028, 2048];
    const M = 1024,
      N = 1024;
    const krows: string[][] = [];
    for (const K of centers) {
      const Ks = [K - 4, K, K + 4];
      const fns = ours.flatMap((o) => Ks.map((k) => o.prepare(M, N, k).run));
      const rounds: number[][] = fns.map(() => []);
      const timed = fns.map((f, i) => (): void => {
        const t0 = performance.now();
        f();
        rounds[i]!.push(performance.now() - t0);
      });
      const ts = await timeInterleaved(timed, { minMs: Math.max(1500, opts.minMs), minRuns: 7, warmup: 2 });
      const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      // Per round: time per FLOP at K over that of the faster neighbour in the same round.
      const perFlop = (v: number): number => {
        const r = rounds.slice(3 * v, 3 * v + 3);
        const warm = r[0]!.length - ts[0]!.runs; // skip the warm-up rounds recorded by `timed`
        const ratios = ts[0]!.runs > 0 ? r[1]!.slice(warm).map((t, i) => t / K / Math.min(r[0]![warm + i]! / (K - 4), r[2]![warm + i]! / (K + 4))) : [];
        return med(ratios);
      };
      const g = (i: number): { median: number; best: number } => rate(M, N, Ks[i % 3]!, ts[i]!);
      targets.push(
        target(`matmul 1024×${K}×1024: per-FLOP time vs faster neighbour (exact; goal ≤ 1.3×, shown as its inverse ≥ 0.77)`, 1 / perFlop(0), 1 / 1.3),
      );
      krows.push([`1024×${K}×1024`, cell(g(1)), `${cell(g(0))} / ${cell(g(2))}`, `${perFlop(0).toFixed(2)}×`, cell(g(4)), `${perFlop(1).toFixed(2)}×`]);
      process.stderr.write(`bench/matmul K=${K}: ${ts[0]!.runs} interleaved rounds\n`);
    }
    const acc64 = ours[0]!.prepare(M, N, 1024, 'matmul_f32_acc64');
    const f32at1024 = ours[0]!.prepare(M, N, 1024).run;
    const [tAcc, tF32] = await timeInterleaved([acc64.run, f32at1024], { minMs: Math.max(600, opts.minMs / 3), minRuns: 3, warmup: 1 });
    out.push(
      '#### K neighbours: C[1024,1024] = A[1024,K]·B[K,1024], GFLOP/s median (best); "per-FLOP vs faster neighbour" = median over rounds of (time per FLOP at K) / (that of the faster of K − 4 and K + 4 in the same round) (goal ≤ 1.3×)',
      '',
      markdownTable(
        ['shape', 'tfg exact', 'exact at K − 4 / K + 4', 'exact: per-FLOP vs faster neighbour', 'tfg fast-math', 'fast-math: per-FLOP vs faster neighbour'],
        krows,
      ),
      '',
      `The former f64-accumulating kernel at 1024×1024×1024 (\`matmul_f32_acc64\`, what codegen switched to at K ≥ 1024 before): ` +
        `${cell(rate(M, N, 1024, tAcc!))} GFLOP/s vs ${cell(rate(M, N, 1024, tF32!))} for matmul_f32 in the same rounds ` +
        `(${(tAcc!.median / tF32!.median).toFixed(2)}× the time).`,
      '',
    );
  }
  out.push(targetLines(targets), '');
  return out.join('\n');
}

if (isMain(import.meta.url)) {
  runMain('bench/matmul', async () => {
    const o = parseArgs(
      process.argv.slice(2),
      { sizes: '128,256,512,1024', minMs: 1500, ortThreads: 1, noTfjs: false, noK: false, threads: 1, plain: false },
      USAGE,
    );
    const sizes = o.sizes.split(',').map(Number);
    if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--sizes needs positive integers, got '${o.sizes}'`);
    console.log(
      await benchMatmul({ sizes, minMs: o.minMs, ortThreads: o.ortThreads, tfjs: !o.noTfjs, kNeighbours: !o.noK, threads: o.threads, plain: o.plain }),
    );
    process.exit(0); // ORT's worker threads would keep the process alive
  });
}
