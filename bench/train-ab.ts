/**
 * @fileoverview Before/after of the MNIST train step (bench/mnist-train.ts ADAM_SOURCE, batch 50,
 * `Session.run(['loss:0', 'train_op'])`) across built checkouts, at 1 and N threads, interleaved
 * in one process: per round, every (build, threads) variant runs `--sample-ms` of steps in a
 * rotating order; reported: median ms per step over the rounds. `--min-elems a,b` also runs the
 * last build with threads.ts SPLIT.minElems set to each value (the split threshold of generated
 * kernels), and `--spin-us a,b` with threads.ts POOL.workerSpinUs (how long an idle worker
 * polls before it blocks). Each build's 1-thread and N-thread losses are checked to have the same bits.
 * Beside the wall time, the process CPU time per step (process.cpuUsage, all threads): between
 * 1-thread variants it is the robust comparison on a loaded machine.
 *
 *   node dist/bench/train-ab.js --builds before=/work/main/dist,after=dist [--threads 2]
 *                               [--rounds 20] [--sample-ms 200] [--min-elems 131072] [--spin-us 0,200]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fillUniform, isMain, machineLine, markdownTable, parseArgs, runMain } from './common.js';
import { ADAM_SOURCE } from './mnist-train.js';

const USAGE = 'usage: node dist/bench/train-ab.js --builds name=DIR,... [--threads 2] [--rounds 20] [--sample-ms 200] [--min-elems N,...] [--spin-us N,...]';

interface Variant {
  name: string;
  step: () => void;
  split?: { obj: { minElems: number }; value: number };
  times: number[];
  /** CPU ms per step of the whole process (all threads) in each round. */
  cpu: number[];
}

type Loaded = { createSession(): { run(f: unknown, feeds?: unknown): unknown; threadsReady(): Promise<unknown>; threads: number; close(): void } };

export async function trainAB(opts: { builds: string; threads: number; rounds: number; sampleMs: number; minElems: string; spinUs: string }): Promise<string> {
  const variants: Variant[] = [];
  const builds = opts.builds.split(',').map((b) => {
    const [name, dir] = b.split('=');
    return { name: name!, dir: resolve(dir!) };
  });
  for (const [bi, { name, dir }] of builds.entries()) {
    const imp = (p: string): Promise<Record<string, unknown>> => import(pathToFileURL(`${dir}/${p}`).href) as Promise<Record<string, unknown>>;
    await imp('session/node/threads.js');
    const { compileProgram } = (await imp('compiler/driver.js')) as { compileProgram: (p: unknown, o: unknown) => { wasm: Uint8Array } };
    const { buildSource } = (await imp('bench/common.js')) as { buildSource: (s: string, n: string) => unknown };
    const { loadModelSync } = (await imp('session/wasm/sync.js')) as { loadModelSync: (w: Uint8Array, o: unknown) => Loaded };
    const { Tensor } = (await imp('session/tensor.js')) as { Tensor: new (d: string, s: number[], v: unknown) => unknown };
    const { SPLIT, POOL } = (await imp('session/wasm/threads.js')) as { SPLIT: { minElems: number }; POOL?: { workerSpinUs: number } };
    const wasm = compileProgram(buildSource(ADAM_SOURCE, 'adam.tfg'), { fuse: true }).wasm;
    const x = new Tensor('f32', [50, 784], fillUniform(new Float32Array(50 * 784), 4, 0, 1));
    const y = new Tensor(
      'i32',
      [50],
      Int32Array.from({ length: 50 }, (_, i) => (i * 7) % 10),
    );
    const last = bi === builds.length - 1;
    const splits: (number | undefined)[] = [undefined, ...(last && opts.minElems ? opts.minElems.split(',').map(Number) : [])];
    const spins: (number | undefined)[] = [undefined, ...(last && opts.spinUs && POOL ? opts.spinUs.split(',').map(Number) : [])];
    const losses: Float32Array[] = [];
    for (const threads of [1, opts.threads])
      for (const [me, spin] of threads === 1
        ? [[undefined, undefined]]
        : [...splits.map((m) => [m, undefined]), ...spins.slice(1).map((p) => [undefined, p])]) {
        const savedSpin = POOL?.workerSpinUs ?? 0;
        if (spin !== undefined) POOL!.workerSpinUs = spin;
        const s = loadModelSync(wasm, { threads }).createSession();
        await s.threadsReady();
        if (POOL) POOL.workerSpinUs = savedSpin;
        if (s.threads !== threads) throw new Error(`${name}: ${threads} threads not available`);
        s.run('init');
        const split = me === undefined ? undefined : { obj: SPLIT, value: me };
        const saved = SPLIT.minElems;
        if (split) SPLIT.minElems = split.value;
        losses.push((s.run(['loss:0', 'train_op'], { 'X:0': x, 'y:0': y }) as [{ data: Float32Array }])[0].data);
        SPLIT.minElems = saved;
        variants.push({
          name: `${name} ${threads}T${me === undefined ? '' : ` minElems=${me}`}${spin === undefined ? '' : ` spin=${spin}µs`}`,
          step: () => void s.run(['loss:0', 'train_op'], { 'X:0': x, 'y:0': y }),
          split,
          times: [],
          cpu: [],
        });
      }
    if (!losses.every((l) => Object.is(l[0], losses[0]![0]))) throw new Error(`${name}: the first step's loss differs between thread counts`);
  }
  for (let r = 0; r < opts.rounds + 2; r++) {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + r) % variants.length]!;
      let saved = 0;
      if (v.split) {
        saved = v.split.obj.minElems;
        v.split.obj.minElems = v.split.value;
      }
      let n = 0;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < opts.sampleMs) {
        v.step();
        n++;
        t = performance.now();
      }
      if (v.split) v.split.obj.minElems = saved;
      const c = process.cpuUsage(c0);
      if (r >= 2) {
        v.times.push((t - t0) / n);
        v.cpu.push((c.user + c.system) / 1000 / n);
      }
    }
  }
  const med = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;
  const base1 = med(variants[0]!.times);
  const cpu1 = med(variants[0]!.cpu);
  const rows = variants.map((v) => [
    v.name,
    med(v.times).toFixed(3),
    (base1 / med(v.times)).toFixed(2) + '×',
    med(v.cpu).toFixed(3),
    (cpu1 / med(v.cpu)).toFixed(2) + '×',
  ]);
  return [
    `#### Train step A/B (batch 50, Session.run of loss + train_op), ${opts.rounds} interleaved rounds of ${opts.sampleMs} ms`,
    '',
    `${machineLine()}.`,
    '',
    markdownTable(['variant', 'ms / step (median)', `vs ${variants[0]!.name}`, 'process CPU ms / step (median)', `CPU vs ${variants[0]!.name}`], rows),
    '',
    'Process CPU time counts every thread (a 2-thread row adds the worker, polling included): compare it between 1-thread rows, where it does not count the time the step waits for a core.',
  ].join('\n');
}

if (isMain(import.meta.url)) {
  runMain('bench/train-ab', async () => {
    const o = parseArgs(process.argv.slice(2), { builds: '', threads: 2, rounds: 20, sampleMs: 200, minElems: '', spinUs: '' }, USAGE);
    if (!o.builds) throw new Error(USAGE);
    console.log(await trainAB(o));
  });
}
