/**
 * @fileoverview Before/after benchmark of whole builds (not a test): two or more built checkouts
 * (e.g. main before issue 11's refactor and main after it), each loaded through its own public
 * API in this one process, run the same workloads interleaved: per round, every workload once on
 * every build, the builds in a rotating order, so machine load hits all alike. Reported per
 * workload: each build's median time per call and, for every build after the first, the median
 * of the per-round ratios to the first build with their interquartile range and min–max.
 *
 * Workloads (all single-threaded, exact math):
 * - compile of samples/relu_modular.tfg and samples/mnist_mlp.tfg in process after warm-up
 *   (parse, build, passes … emit of the file's signatures and the generic path, runtime
 *   embedded), with each build's default binaryen optimisation and with -O3 on both; every build
 *   compiles the same text (the `--samples` checkout's files), and the same entries: a build that
 *   also compiles a `train { }` recipe's entry points is asked for the file's signatures only;
 * - `Session.run` of: the 784-300-100-10 MLP forward (bench/mlp.ts) at batch 1 and 1000, its
 *   Adam training step at batch 50 (bench/mnist-train.ts, seeded inputs), a 512×512 matmul, and
 *   the 8-op elementwise chain + mean over 1M f32 (bench/elementwise.ts), fused.
 *
 * The builds' APIs differ (compileGraph moved from compiler/emit/ to compiler/driver.ts;
 * loadModelSync from session/wasm/model.js to session/wasm/sync.js and lost its manifest
 * argument; `optimize` went from a boolean meaning -O3 to per-function by default with 'full' for
 * -O3): a thin shim per build picks whichever the build has. Outputs are checked to agree.
 *
 *   node dist/bench/refactor-ab.js --builds before=DIR,after=DIR [--rounds 30] [--sample-ms 10]
 *                                  [--warmup 5] [--only compile,mlp1,...] [--samples DIR]
 *                                  [--pairs after/before,after/mid]
 *
 * `--only` takes workload key prefixes (compile-relu_modular, compile-mnist_mlp, mlp1, mlp1000,
 * train50, matmul512, chain1m; an `-O3` suffix for the -O3 compiles); `--pairs` the ratios to
 * report (default: every build against the first).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { fillUniform, isMain, machineLine, markdownTable, maxRelDiff, parseArgs, runMain, summarize } from './common.js';
import { MLP_SOURCE } from './mlp.js';
import { ADAM_SOURCE } from './mnist-train.js';

const USAGE =
  'usage: node dist/bench/refactor-ab.js --builds before=DIR,after=DIR [--rounds 30] [--sample-ms 10] [--warmup 5] [--only compile,mlp1,...] [--samples DIR] [--pairs after/before,after/mid]';

// ---- the per-build shim ----------------------------------------------------------------------

interface TensorLike {
  data: ArrayLike<number>;
}
type TensorCtor = new (dtype: string, shape: number[], data: Float32Array | Int32Array) => TensorLike;
interface SessionLike {
  run(fetches: unknown, feeds?: Record<string, TensorLike>): unknown;
}
interface ModelLike {
  createSession(): SessionLike;
}
type OptMode = 'default' | 'O3';

interface Build {
  label: string;
  dir: string;
  commit: string;
  /** Parse, build and compile `text` (the file's signatures, the generic path, fused, runtime embedded). */
  compile(text: string, file: string, mode: OptMode): Uint8Array;
  load(wasm: Uint8Array): ModelLike;
  Tensor: TensorCtor;
}

interface BuildResultLike {
  ok: boolean;
  diagnostics: unknown[];
  defaultGraph: unknown;
  signatures: readonly { graph: unknown }[];
}

async function loadBuild(label: string, dir: string): Promise<Build> {
  const dist = (p: string): string => join(dir, 'dist', p);
  const imp = async <T>(p: string): Promise<T> => {
    if (!existsSync(dist(p))) throw new Error(`${label}: ${dist(p)} is missing (build that checkout: npx tsc -p tsconfig.json && npm run build:runtime)`);
    return (await import(pathToFileURL(dist(p)).href)) as T;
  };
  const fe = await imp<{ buildProgram(text: string, file: string): BuildResultLike }>('compiler/frontend/index.js');
  const diag = await imp<{ formatDiagnostics(d: unknown[]): string }>('compiler/diagnostics/diagnostic.js');
  // compileGraph(graph, signatures, opts[, runOptions]): compiler/driver.js after the compile
  // became a list of stages, compiler/emit/index.js before. Unlike compileProgram it compiles
  // only the signatures given (no recipe entry points), so every build does the same work.
  const driver = existsSync(dist('compiler/driver.js'));
  const comp = await imp<{ compileGraph(g: unknown, s: readonly unknown[], o: Record<string, unknown>, r?: Record<string, unknown>): { wasm: Uint8Array } }>(
    driver ? 'compiler/driver.js' : 'compiler/emit/index.js',
  );
  // optimize: per function by default and 'full' for -O3 where emit knows 'full'; else a boolean, true = -O3.
  const perFunction = readFileSync(dist('compiler/emit/index.js'), 'utf8').includes("'full'");
  const o3: Record<string, unknown> = { optimize: perFunction ? 'full' : true };
  // loadModelSync(wasm, opts) in session/wasm/sync.js; loadModelSync(wasm, manifest?, opts) in model.js before.
  const sync = existsSync(dist('session/wasm/sync.js'));
  const loader = await imp<{ loadModelSync(...a: unknown[]): ModelLike }>(sync ? 'session/wasm/sync.js' : 'session/wasm/model.js');
  const { Tensor } = await imp<{ Tensor: TensorCtor }>('session/tensor.js');
  let commit = '?';
  try {
    commit = execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    /* not a checkout: the label alone */
  }
  return {
    label,
    dir,
    commit,
    Tensor,
    compile(text, file, mode) {
      const r = fe.buildProgram(text, file);
      if (!r.ok) throw new Error(`${label}: ${file} does not build:\n${diag.formatDiagnostics(r.diagnostics)}`);
      const sigs = r.signatures.filter((s) => s.graph === r.defaultGraph);
      const opts = { fuse: true, generic: true, embedRuntime: true, ...(mode === 'O3' ? o3 : {}) };
      return comp.compileGraph(r.defaultGraph, sigs, opts, { verify: false }).wasm;
    },
    load: (wasm) => (sync ? loader.loadModelSync(wasm, { threads: 1, fastMath: false }) : loader.loadModelSync(wasm, undefined, {})),
  };
}

// ---- workloads -------------------------------------------------------------------------------

interface Prepared {
  /** One call. */
  call: () => void;
  /** The values the last call produced (checked to agree across builds), if any. */
  output?: () => ArrayLike<number>;
}

interface Workload {
  key: string;
  name: string;
  /** A compile: one call per sample, no output check. */
  compile: boolean;
  prepare(b: Build): Prepared;
}

const N1M = 1 << 20;
const uniform = (n: number, seed: number, lo = 0, hi = 1): Float32Array => fillUniform(new Float32Array(n), seed, lo, hi) as Float32Array;

const CHAIN_SOURCE =
  ['a', 'b', 'c'].map((x) => `${x} = placeholder(f32, shape=[${N1M}], name="${x}")`).join('\n') +
  '\ns = reduce_mean(sqrt(abs(relu(a * b + c) * 0.5 - c) + 1.0), name="s")\nsignature f(a, b, c) -> s\n';

const MATMUL_SOURCE = `A = placeholder(f32, shape=[512, 512], name="A")
B = placeholder(f32, shape=[512, 512], name="B")
C = matmul(A, B, name="C")
signature mm(A, B) -> C
`;

/** Compile and load a source on a build, run its initializer when it has one. */
function session(b: Build, source: string, file: string, init: boolean): SessionLike {
  const s = b.load(b.compile(source, file, 'default')).createSession();
  if (init) s.run('init');
  return s;
}

function workloads(samplesDir: string): Workload[] {
  const compileOf = (file: string, mode: OptMode): Workload => {
    const text = readFileSync(join(samplesDir, file), 'utf8');
    return {
      key: `compile-${file.replace(/\.tfg$/, '')}${mode === 'O3' ? '-O3' : ''}`,
      name: `compile ${file}${mode === 'O3' ? ', -O3 on both' : ", each build's default optimisation"}`,
      compile: true,
      prepare: (b) => ({ call: () => void b.compile(text, file, mode) }),
    };
  };
  const mlp = (batch: number): Workload => ({
    key: `mlp${batch}`,
    name: `MLP 784-300-100-10 forward, batch ${batch}`,
    compile: false,
    prepare(b) {
      const s = session(b, MLP_SOURCE, 'mlp.tfg', true);
      const X = new b.Tensor('f32', [batch, 784], uniform(batch * 784, 7));
      let out: TensorLike | null = null;
      return { call: () => void (out = s.run('proba:0', { 'X:0': X }) as TensorLike), output: () => out!.data };
    },
  });
  return [
    compileOf('relu_modular.tfg', 'default'),
    compileOf('relu_modular.tfg', 'O3'),
    compileOf('mnist_mlp.tfg', 'default'),
    compileOf('mnist_mlp.tfg', 'O3'),
    mlp(1),
    mlp(1000),
    {
      key: 'train50',
      name: 'MLP Adam train step, batch 50',
      compile: false,
      prepare(b) {
        const s = session(b, ADAM_SOURCE, 'adam.tfg', true);
        const X = new b.Tensor('f32', [50, 784], uniform(50 * 784, 7));
        const y = new b.Tensor(
          'i32',
          [50],
          Int32Array.from({ length: 50 }, (_, i) => i % 10),
        );
        const losses: number[] = [];
        // The loss sequence of the first steps (the same on every build: same seed, same data).
        return {
          call: () => {
            const r = s.run(['loss:0', 'train_op'], { 'X:0': X, 'y:0': y }) as [TensorLike, null];
            if (losses.length < 5) losses.push(r[0].data[0]!);
          },
          output: () => losses,
        };
      },
    },
    {
      key: 'matmul512',
      name: 'matmul 512×512×512 f32 (Session.run)',
      compile: false,
      prepare(b) {
        const s = session(b, MATMUL_SOURCE, 'matmul.tfg', false);
        const A = new b.Tensor('f32', [512, 512], uniform(512 * 512, 1, -0.5, 0.5));
        const B = new b.Tensor('f32', [512, 512], uniform(512 * 512, 2, -0.5, 0.5));
        let out: TensorLike | null = null;
        return { call: () => void (out = s.run('C:0', { 'A:0': A, 'B:0': B }) as TensorLike), output: () => out!.data };
      },
    },
    {
      key: 'chain1m',
      name: '8-op elementwise chain + mean, 1M f32, fused (Session.run)',
      compile: false,
      prepare(b) {
        const s = session(b, CHAIN_SOURCE, 'chain.tfg', false);
        const feeds = {
          'a:0': new b.Tensor('f32', [N1M], uniform(N1M, 1)),
          'b:0': new b.Tensor('f32', [N1M], uniform(N1M, 2)),
          'c:0': new b.Tensor('f32', [N1M], uniform(N1M, 3)),
        };
        let out: TensorLike | null = null;
        return { call: () => void (out = s.run('s:0', feeds) as TensorLike), output: () => out!.data };
      },
    },
  ];
}

// ---- timing ----------------------------------------------------------------------------------

interface Row {
  workload: Workload;
  /** Calls per sample (a sample is timed as a whole; per-call time = sample / calls). */
  calls: number;
  /** Per build: the prepared workload and its per-call times (ms), one per round. */
  runs: { p: Prepared; times: number[]; cpu: number[] }[];
  check: string;
}

function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

function sample(p: Prepared, calls: number): { wall: number; cpu: number } {
  const c0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) p.call();
  return { wall: (performance.now() - t0) / calls, cpu: (cpuMs() - c0) / calls };
}

/** Each build's output against the previous build's: bit-identical, or the largest relative difference. */
function agreement(builds: readonly Build[], outs: ArrayLike<number>[]): string {
  const parts: string[] = [];
  for (let i = 1; i < outs.length; i++) {
    const [a, b] = [outs[i]!, outs[i - 1]!];
    let same = a.length === b.length;
    for (let k = 0; same && k < a.length; k++) same = Object.is(a[k], b[k]);
    parts.push(same ? `${builds[i]!.label} = ${builds[i - 1]!.label}` : `${builds[i]!.label} vs ${builds[i - 1]!.label} ${maxRelDiff(a, b).toExponential(1)}`);
  }
  return parts.join('; ');
}

export async function refactorAb(opts: {
  builds: Build[];
  samplesDir: string;
  rounds: number;
  sampleMs: number;
  warmup: number;
  only: string[] | null;
  /** Ratios to report, as [numerator, denominator] build indices (default: every build against the first). */
  pairs?: readonly (readonly [number, number])[];
}): Promise<string> {
  const { builds } = opts;
  const chosen = workloads(opts.samplesDir).filter((w) => !opts.only || opts.only.some((k) => w.key.startsWith(k)));
  if (chosen.length === 0)
    throw new Error(
      `--only matches no workload (have: ${workloads(opts.samplesDir)
        .map((w) => w.key)
        .join(', ')})`,
    );
  const rows: Row[] = [];
  for (const w of chosen) {
    const prepared = builds.map((b) => w.prepare(b));
    // Warm-up (V8's optimising tier, memory growth) on every build, then the calls per sample.
    for (let i = 0; i < opts.warmup; i++) for (const p of prepared) p.call();
    let calls = 1;
    if (!w.compile) {
      const per = Math.min(...prepared.map((p) => sample(p, 3).wall));
      calls = Math.max(1, Math.round(opts.sampleMs / Math.max(per, 1e-3)));
    }
    const check = w.compile
      ? ''
      : agreement(
          builds,
          prepared.map((p) => Array.from(p.output!())),
        );
    rows.push({ workload: w, calls, runs: prepared.map((p) => ({ p, times: [], cpu: [] })), check });
    process.stderr.write(`prepared ${w.key} (${calls} call${calls > 1 ? 's' : ''} per sample) ${check}\n`);
  }
  const startLoad = machineLine();
  const t0 = performance.now();
  for (let r = 0; r < opts.rounds; r++) {
    for (const row of rows) {
      for (let j = 0; j < builds.length; j++) {
        const run = row.runs[(j + r) % builds.length]!;
        const s = sample(run.p, row.calls);
        run.times.push(s.wall);
        run.cpu.push(s.cpu);
      }
    }
    if ((r + 1) % 5 === 0) process.stderr.write(`round ${r + 1}/${opts.rounds} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  const endLoad = machineLine();

  const fmt = (ms: number): string => (ms < 1 ? `${(ms * 1000).toPrecision(3)} µs` : `${ms.toPrecision(3)} ms`);
  const q = (xs: number[], p: number): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))]!;
  };
  const ratioCell = (num: number[], den: number[]): string => {
    const rs = num.map((x, i) => x / den[i]!);
    return `${q(rs, 0.5).toFixed(3)} (IQR ${q(rs, 0.25).toFixed(2)}–${q(rs, 0.75).toFixed(2)}, range ${q(rs, 0).toFixed(2)}–${q(rs, 1).toFixed(2)})`;
  };
  const pairs = opts.pairs ?? builds.slice(1).map((_, i) => [i + 1, 0] as const);
  const label = ([n, d]: readonly [number, number]): string => `${builds[n]!.label}/${builds[d]!.label}`;
  const header = [
    'workload',
    ...builds.map((b) => `${b.label} median`),
    ...pairs.flatMap((pr) => [`${label(pr)} wall`, `${label(pr)} CPU`]),
    'outputs (bit-identical, or max rel. diff)',
  ];
  const table = markdownTable(
    header,
    rows.map((row) => [
      row.workload.name,
      ...row.runs.map((x) => fmt(summarize(x.times).median)),
      ...pairs.flatMap(([n, d]) => [ratioCell(row.runs[n]!.times, row.runs[d]!.times), ratioCell(row.runs[n]!.cpu, row.runs[d]!.cpu)]),
      row.check,
    ]),
  );
  return [
    `Builds: ${builds.map((b) => `${b.label} = ${b.commit} (${b.dir})`).join('; ')}.`,
    `${opts.rounds} rounds, each workload once per build per round in a rotating order; a run-time sample is ${opts.sampleMs} ms of calls (per-call time = sample / calls), a compile sample one compile; ${opts.warmup} warm-up calls per build first.`,
    `A ratio x/y is the median of the per-round ratios of x's time to y's (< 1: x faster), with their interquartile range and min–max; wall: elapsed time; CPU: this process's CPU time (not counting time spent waiting for a core).`,
    `At start: ${startLoad}`,
    `At end:   ${endLoad}`,
    '',
    table,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  runMain('bench/refactor-ab', async () => {
    const o = parseArgs(process.argv.slice(2), { builds: '', rounds: 30, sampleMs: 10, warmup: 5, only: '', samples: '', pairs: '' }, USAGE);
    if (!o.builds) throw new Error(`--builds is required\n${USAGE}`);
    const specs = o.builds.split(',').map((s) => {
      const m = /^([^=]+)=(.+)$/.exec(s);
      if (!m) throw new Error(`bad --builds entry '${s}' (want label=DIR)\n${USAGE}`);
      return { label: m[1]!, dir: resolve(m[2]!) };
    });
    const builds: Build[] = [];
    for (const s of specs) builds.push(await loadBuild(s.label, s.dir));
    const index = (l: string): number => {
      const i = builds.findIndex((b) => b.label === l);
      if (i < 0) throw new Error(`--pairs: no build labelled '${l}' (have: ${builds.map((b) => b.label).join(', ')})`);
      return i;
    };
    const pairs = o.pairs
      ? o.pairs.split(',').map((pr) => {
          const [n, d] = pr.split('/');
          if (n === undefined || d === undefined) throw new Error(`bad --pairs entry '${pr}' (want label/label)\n${USAGE}`);
          return [index(n), index(d)] as const;
        })
      : undefined;
    const samplesDir = o.samples ? join(resolve(o.samples), 'samples') : join(builds[builds.length - 1]!.dir, 'samples');
    console.log(
      await refactorAb({ builds, samplesDir, rounds: o.rounds, sampleMs: o.sampleMs, warmup: o.warmup, only: o.only ? o.only.split(',') : null, pairs }),
    );
  });
}
