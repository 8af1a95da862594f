/**
 * @fileoverview Compile-speed benchmark (not a test): in-process compiles of
 * `samples/relu_modular.tfg` and `samples/mnist_mlp.tfg` as `tfg compile FILE` builds them (every
 * signature, the train recipe's entries and the generic path; runtime embedded), after warm-up
 * compiles (V8 needs a few before its optimising tier has compiled the compiler); the median and
 * the best of N, wall time and this process's CPU time, the CPU time of each stage of the driver
 * (compiler/driver.ts: parse … emit), and the targets (mnist ≤ 300 ms, relu_modular ≤ 50 ms,
 * judged on the median wall time) with pass/miss. On a loaded machine the wall time waits for a
 * core and the best run is the nearest to an idle machine; the CPU time is the work (it also
 * counts V8's and the GC's helper threads).
 *
 * `--run-ab` then times the compiled code itself under each binaryen optimisation of a compile
 * (per function — the default —, the whole -O3, none): the same programs compiled three ways, the
 * signature entries called interleaved (warm, so V8's optimising tier has compiled them), with
 * each mode's optimiser time and module size; the outputs must be bit-identical.
 *
 * `--baseline DIR` also compiles with another built checkout (DIR/dist/compiler/driver.js, e.g.
 * the commit before a change), interleaved compile by compile with this one in this process.
 *
 *   node dist/bench/compile.js [--runs 20] [--warmup 10] [--run-ab] [--min-ms 2000] [--baseline DIR]
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { STAGE_NAMES, compileProgram, compileSource, type StageName } from '../compiler/driver.js';
import type { OptimizeMode } from '../compiler/emit/index.js';
import { Tensor } from '../session/tensor.js';
import { loadModelSync } from '../session/wasm/sync.js';
import { buildSource, fillUniform, isMain, machineLine, markdownTable, parseArgs, runMain, signatureEntry, summarize, timeInterleaved } from './common.js';
import { MLP_SOURCE } from './mlp.js';

const USAGE = 'usage: node dist/bench/compile.js [--runs 20] [--warmup 10] [--run-ab] [--min-ms 2000] [--baseline DIR]';

const SAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'samples');

/** The programs and their targets (issue 10 §4), in-process after warm-up. */
export const COMPILE_TARGETS: readonly { file: string; targetMs: number }[] = [
  { file: 'relu_modular.tfg', targetMs: 50 },
  { file: 'mnist_mlp.tfg', targetMs: 300 },
];

/** CPU milliseconds of this process so far (user + system, all threads). */
function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

export interface CompileTiming {
  file: string;
  /** Median and best wall time, median and best CPU time (ms). */
  wall: number;
  wallBest: number;
  cpu: number;
  cpuBest: number;
  /** Median CPU time of each stage. */
  stages: Record<StageName, number>;
  wasmBytes: number;
  targetMs: number;
}

/** Median timings of `runs` compiles of `text` (as `tfg compile` does) after `warmup` more. */
export function timeCompile(file: string, text: string, opts: { runs: number; warmup: number; optimize?: OptimizeMode }): Omit<CompileTiming, 'targetMs'> {
  const walls: number[] = [];
  const cpus: number[] = [];
  const stages = new Map<StageName, number[]>(STAGE_NAMES.map((s) => [s, []]));
  let wasmBytes = 0;
  for (let i = 0; i < opts.warmup + opts.runs; i++) {
    const seen = new Map<StageName, number>();
    const c0 = cpuMs();
    let last = c0;
    const t0 = performance.now();
    const timing = (st: StageName): void => {
      const now = cpuMs();
      seen.set(st, now - last);
      last = now;
    };
    const s = compileSource(
      text,
      file,
      { generic: true, fuse: true, embedRuntime: true, ...(opts.optimize !== undefined ? { optimize: opts.optimize } : {}) },
      { verify: false, timing },
    );
    const wall = performance.now() - t0;
    const cpu = cpuMs() - c0;
    if (!s.compiled) throw new Error(`${file} did not compile`);
    wasmBytes = s.compiled.wasm.length;
    if (i < opts.warmup) continue;
    walls.push(wall);
    cpus.push(cpu);
    for (const st of STAGE_NAMES) stages.get(st)!.push(seen.get(st) ?? 0);
  }
  const med = (xs: number[]): number => summarize(xs).median;
  return {
    file,
    wall: med(walls),
    wallBest: Math.min(...walls),
    cpu: med(cpus),
    cpuBest: Math.min(...cpus),
    stages: Object.fromEntries(STAGE_NAMES.map((s) => [s, med(stages.get(s)!)])) as Record<StageName, number>,
    wasmBytes,
  };
}

const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1));

export function compileTable(rows: readonly CompileTiming[]): string {
  const header = ['program', 'wall median (best)', 'CPU median (best)', ...STAGE_NAMES.map((s) => `${s} CPU`), '.wasm bytes', 'target', 'median wall'];
  return markdownTable(
    header,
    rows.map((r) => [
      r.file,
      `${ms(r.wall)} (${ms(r.wallBest)})`,
      `${ms(r.cpu)} (${ms(r.cpuBest)})`,
      ...STAGE_NAMES.map((s) => ms(r.stages[s])),
      String(r.wasmBytes),
      `≤ ${r.targetMs} ms`,
      r.wall <= r.targetMs ? 'pass' : 'miss',
    ]),
  );
}

// ---- the run time of the compiled code under each optimisation -------------------------------

interface Workload {
  name: string;
  source: string;
  file: string;
  signature: string;
  /** The size the entry is called with (B). */
  batch: number;
  init: boolean;
  feeds: () => Record<string, Tensor>;
  fetches: string | string[];
}

const uniform = (n: number, seed: number): Float32Array => fillUniform(new Float32Array(n), seed, 0, 1) as Float32Array;
const N1M = 1 << 20;

function workloads(): Workload[] {
  const mnist = readFileSync(join(SAMPLES, 'mnist_mlp.tfg'), 'utf8');
  const relu = readFileSync(join(SAMPLES, 'relu_modular.tfg'), 'utf8');
  const mlp = (batch: number): Workload => ({
    name: `MLP predict, batch ${batch}`,
    source: MLP_SOURCE,
    file: 'mlp.tfg',
    signature: 'predict',
    batch,
    init: true,
    feeds: () => ({ 'X:0': new Tensor('f32', [batch, 784], uniform(batch * 784, 7)) }),
    fetches: 'proba:0',
  });
  return [
    mlp(1),
    mlp(1000),
    {
      name: '8-op chain + mean, 1M',
      source:
        ['a', 'b', 'c'].map((x) => `${x} = placeholder(f32, shape=[${N1M}], name="${x}")`).join('\n') +
        '\ns = reduce_mean(sqrt(abs(relu(a * b + c) * 0.5 - c) + 1.0), name="s")\nsignature f(a, b, c) -> s\n',
      file: 'chain.tfg',
      signature: 'f',
      batch: 1,
      init: false,
      feeds: () => ({
        'a:0': new Tensor('f32', [N1M], uniform(N1M, 1)),
        'b:0': new Tensor('f32', [N1M], uniform(N1M, 2)),
        'c:0': new Tensor('f32', [N1M], uniform(N1M, 3)),
      }),
      fetches: 's:0',
    },
    {
      name: 'mnist_mlp train step, batch 50',
      source: mnist,
      file: 'mnist_mlp.tfg',
      signature: 'tfg_train_step',
      batch: 50,
      init: true,
      feeds: () => ({
        'X:0': new Tensor('f32', [50, 784], uniform(50 * 784, 7)),
        'y:0': new Tensor(
          'i32',
          [50],
          Int32Array.from({ length: 50 }, (_, i) => i % 10),
        ),
      }),
      fetches: ['loss/loss:0', 'train/Adam'],
    },
    {
      name: 'relu_modular forward, batch 100',
      source: relu,
      file: 'relu_modular.tfg',
      signature: 'forward',
      batch: 100,
      init: true,
      feeds: () => ({ 'X:0': new Tensor('f32', [100, 3], uniform(300, 7)) }),
      fetches: 'output:0',
    },
  ];
}

const MODES: readonly { label: string; optimize: OptimizeMode }[] = [
  { label: 'per function (default)', optimize: 'functions' },
  { label: '-O3 (full)', optimize: 'full' },
  { label: 'none', optimize: false },
];

function outputBytes(r: unknown): string {
  const ts = (Array.isArray(r) ? r : [r]).filter((t): t is Tensor => t instanceof Tensor);
  return ts.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64')).join('|');
}

export async function runAb(minMs: number): Promise<string> {
  const rows: string[][] = [];
  for (const w of workloads()) {
    const built = buildSource(w.source, w.file);
    const calls: (() => unknown)[] = [];
    const outs: string[] = [];
    const info: string[] = [];
    for (const m of MODES) {
      let emitMs = 0;
      let last = cpuMs();
      const timing = (st: StageName): void => {
        const now = cpuMs();
        if (st === 'emit') emitMs = now - last;
        last = now;
      };
      const c = compileProgram(built, { optimize: m.optimize }, { verify: false, timing });
      info.push(`${ms(emitMs)} ms, ${c.wasm.length} B`);
      const sess = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>).createSession();
      if (w.init) sess.run('init');
      outs.push(outputBytes(sess.run(w.fetches as never, w.feeds() as never)));
      const entry = signatureEntry(sess, w.signature);
      calls.push(() => entry(w.batch));
    }
    if (!outs.every((o) => o === outs[0])) throw new Error(`${w.name}: the optimisation modes give different results`);
    const ts = await timeInterleaved(calls, { minMs, minRuns: 20, warmup: 30 });
    rows.push([w.name, ...ts.map((t) => `${t.median < 1 ? (t.median * 1000).toPrecision(3) + ' µs' : t.median.toPrecision(3) + ' ms'}`), ...info]);
  }
  return markdownTable(['workload (entry call, median)', ...MODES.map((m) => m.label), ...MODES.map((m) => `emit CPU / .wasm, ${m.label}`)], rows);
}

/** Compile both samples with another checkout's driver and this one, interleaved; wall and CPU, median (best). */
export async function baselineAb(dir: string, opts: { runs: number; warmup: number }): Promise<string> {
  const other = (await import(pathToFileURL(resolve(dir, 'dist', 'compiler', 'driver.js')).href)) as { compileSource: typeof compileSource };
  const rows: string[][] = [];
  for (const { file, targetMs } of COMPILE_TARGETS) {
    const text = readFileSync(join(SAMPLES, file), 'utf8');
    const runs = [other.compileSource, compileSource].map(() => ({ wall: [] as number[], cpu: [] as number[] }));
    for (let i = 0; i < opts.warmup + opts.runs; i++) {
      [other.compileSource, compileSource].forEach((compile, k) => {
        const c0 = cpuMs();
        const t0 = performance.now();
        compile(text, file, { generic: true, fuse: true, embedRuntime: true }, { verify: false });
        if (i < opts.warmup) return;
        runs[k]!.wall.push(performance.now() - t0);
        runs[k]!.cpu.push(cpuMs() - c0);
      });
    }
    const cell = (xs: number[]): string => `${ms(summarize(xs).median)} (${ms(Math.min(...xs))})`;
    (['baseline', 'this build'] as const).forEach((who, k) => rows.push([file, who, cell(runs[k]!.wall), cell(runs[k]!.cpu), `≤ ${targetMs} ms`]));
  }
  return markdownTable(['program', 'compiler', 'wall median (best)', 'CPU median (best)', 'target'], rows);
}

export async function benchCompile(opts: {
  runs: number;
  warmup: number;
  runAb: boolean;
  minMs: number;
  baseline: string;
}): Promise<{ markdown: string; rows: CompileTiming[] }> {
  const rows = COMPILE_TARGETS.map(({ file, targetMs }) => ({ ...timeCompile(file, readFileSync(join(SAMPLES, file), 'utf8'), opts), targetMs }));
  const parts = [
    `${machineLine()}. ${opts.runs} in-process compiles after ${opts.warmup} warm-up compiles, as \`tfg compile FILE\` builds them (every signature, the train recipe's entries, the generic path; runtime embedded); times in ms, stage columns the median CPU time of each stage.`,
    '',
    compileTable(rows),
  ];
  if (opts.baseline) parts.push('', `Against the baseline ${opts.baseline} (interleaved compile by compile):`, '', await baselineAb(opts.baseline, opts));
  if (opts.runAb)
    parts.push(
      '',
      'Run time of the compiled code by binaryen optimisation (entries called interleaved, warm; bit-identical outputs checked); the emit stage (validate, optimise, sections, binary) of one compile, CPU ms, and the module size:',
      '',
      await runAb(opts.minMs),
    );
  return { markdown: parts.join('\n'), rows };
}

if (isMain(import.meta.url)) {
  runMain('bench/compile', async () => {
    const o = parseArgs(process.argv.slice(2), { runs: 20, warmup: 10, runAb: false, minMs: 2000, baseline: '' }, USAGE);
    console.log((await benchCompile(o)).markdown);
  });
}
