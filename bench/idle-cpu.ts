/**
 * @fileoverview What an engine's threads do after a call returns (not a test): one engine per
 * process (ORT's thread count is fixed per process), a C = A·B matmul call (n×n, default 512),
 * then the calling thread sleeps (Atomics.wait, which burns no CPU) and samples the process's
 * CPU time (`process.cpuUsage`: every thread of the process) in windows after the call's return.
 * CPU time in a window while the caller sleeps is what the engine's pool spends idling (spinning
 * workers), taken from whatever else runs on the machine; an idle baseline (the same windows
 * with no call before them) is subtracted. Reported: busy cores per window, median over calls.
 *
 *   node dist/bench/idle-cpu.js --engine ort|ours|none [--threads 2] [--n 512] [--calls 20]
 *
 * (`ours` runs the compiled signature's entry on resident inputs at `--threads`; `ort` runs
 * onnxruntime-web's wasm EP at `--threads`, every option at its default.)
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
  processCpuMs,
  runMain,
  signatureEntry,
  sleepUntil,
} from './common.js';

const USAGE = 'usage: node dist/bench/idle-cpu.js --engine ort|ours|none [--threads 2] [--n 512] [--calls 20]';

/** Window edges in ms after the call returned. */
export const EDGES = [0, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 400];

/** CPU ms of the process in each window [EDGES[i], EDGES[i+1]) after `t0`. */
function windowsAfter(t0: number): number[] {
  const out: number[] = [];
  let c = processCpuMs();
  for (let i = 1; i < EDGES.length; i++) {
    sleepUntil(t0 + EDGES[i]!);
    const c1 = processCpuMs();
    out.push(c1 - c);
    c = c1;
  }
  return out;
}

async function engineCall(engine: string, threads: number, n: number): Promise<() => Promise<void> | void> {
  const av = fillUniform(new Float32Array(n * n), 1, -0.5, 0.5) as Float32Array;
  const bv = fillUniform(new Float32Array(n * n), 2, -0.5, 0.5) as Float32Array;
  if (engine === 'ort') {
    const ort = await loadOrt(threads);
    const model = onnxModel({
      inputs: [
        { name: 'A', dims: [n, n] },
        { name: 'B', dims: [n, n] },
      ],
      outputs: [{ name: 'C', dims: [n, n] }],
      nodes: [{ op: 'MatMul', inputs: ['A', 'B'], outputs: ['C'] }],
    });
    const sess = await ortSession(ort, model);
    const feeds = { A: new ort.Tensor('float32', av, [n, n]), B: new ort.Tensor('float32', bv, [n, n]) };
    return async () => void (await sess.run(feeds));
  }
  if (engine === 'ours') {
    const src = `a = placeholder(f32, shape=[${n}, ${n}], name="a")\nb = placeholder(f32, shape=[${n}, ${n}], name="b")\nc = matmul(a, b, name="c")\nsignature mm(a, b) -> c\n`;
    const s = compileModel(buildSource(src, 'mm.tfg'), true, threads).model.createSession();
    await s.threadsReady();
    if (s.threads !== threads) throw new Error(`${threads} threads not available: ${s.threadNote ?? ''}`);
    s.run('c:0', { 'a:0': new Tensor('f32', [n, n], av), 'b:0': new Tensor('f32', [n, n], bv) });
    const entry = signatureEntry(s, 'mm');
    return () => void entry(1);
  }
  if (engine === 'none') return () => undefined;
  throw new Error(`--engine must be ort, ours or none, got '${engine}'`);
}

export async function idleCpu(opts: { engine: string; threads: number; n: number; calls: number }): Promise<{ markdown: string; busy: number[] }> {
  const call = await engineCall(opts.engine, opts.threads, opts.n);
  for (let i = 0; i < 3; i++) await call();
  sleepUntil(performance.now() + 500); // let the warm-up's idling end before the baseline
  const base: number[][] = [];
  const after: number[][] = [];
  const callMs: number[] = [];
  for (let i = 0; i < opts.calls; i++) {
    base.push(windowsAfter(performance.now()));
    const t = performance.now();
    await call();
    const t0 = performance.now();
    callMs.push(t0 - t);
    after.push(windowsAfter(t0));
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const busy = EDGES.slice(1).map((e, w) => {
    const width = e - EDGES[w]!;
    return (med(after.map((a) => a[w]!)) - med(base.map((b) => b[w]!))) / width;
  });
  const name = opts.engine === 'ort' ? `onnxruntime-web wasm ${opts.threads}T (defaults)` : opts.engine === 'ours' ? `tfg ${opts.threads}T (entry)` : 'no call';
  const markdown = [
    `#### ${name}: busy cores after a ${opts.n}×${opts.n} matmul call returns (caller asleep), median of ${opts.calls} calls; call ${med(callMs).toFixed(2)} ms`,
    '',
    `${machineLine()}.`,
    '',
    markdownTable(['ms after return', ...EDGES.slice(1).map((e, i) => `${EDGES[i]}–${e}`)], [['busy cores', ...busy.map((b) => b.toFixed(2))]]),
  ].join('\n');
  return { markdown, busy };
}

if (isMain(import.meta.url)) {
  runMain('bench/idle-cpu', async () => {
    const o = parseArgs(process.argv.slice(2), { engine: '', threads: 2, n: 512, calls: 20 }, USAGE);
    console.log((await idleCpu(o)).markdown);
    process.exit(0); // ORT's worker threads would keep the process alive
  });
}
