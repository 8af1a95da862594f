/**
 * @fileoverview Profile of the MNIST train step (bench/mnist-train.ts ADAM_SOURCE, batch 50, one
 * thread): every call of a runtime kernel from the generated module is timed (the instance's
 * tfg_rt imports wrapped), grouped by kernel and shape, with GFLOP/s for the matmuls, and so is
 * every generated loop or reduce kernel: the profiled module is compiled with `splitFloor: 0`, so
 * each such kernel with an outer loop calls the host's `par` (wrapped; at one thread it runs the
 * whole range in place), labelled with the kernel's export and last output (from the module's
 * text and manifest). The rest is the opaque generated kernels (one_hot, sum_to_like, ...), the
 * kernels with no outer loop, and Session.run itself. The step median is also given for the
 * module as normally compiled (its small kernels call no `par`).
 *
 *   node dist/bench/train-profile.js [--steps 400] [--threads 1]
 */
import '../session/node/threads.js';
import { compileProgram } from '../compiler/driver.js';
import { Tensor } from '../session/tensor.js';
import { loadModelSync } from '../session/wasm/sync.js';
import { buildSource, fillUniform, isMain, machineLine, markdownTable, parseArgs, runMain } from './common.js';
import { ADAM_SOURCE } from './mnist-train.js';

const USAGE = 'usage: node dist/bench/train-profile.js [--steps 400] [--threads 1]';

interface Slot {
  calls: number;
  ms: number;
  flops: number;
}

/** Part id of each split kernel of the first entry → `s0_kN last-output` (from the module's text and manifest). */
function partNames(text: string, manifest: { plans: { kernels: { export: string; outputs: string[] }[] }[] }): Map<number, string> {
  const out = new Map<number, string>();
  const byExport = new Map(manifest.plans[0]!.kernels.map((k) => [k.export, k.outputs[k.outputs.length - 1] ?? '']));
  let fn = '';
  const lines = text.split('\n');
  lines.forEach((l, i) => {
    const f = /^ \(func \$(\S+)/.exec(l);
    if (f) fn = f[1]!;
    if (!l.includes('call $host_par') || !byExport.has(fn)) return;
    const id = /i32\.const (\d+)/.exec(lines.slice(i, i + 4).join(' '));
    if (id) out.set(Number(id[1]), `${fn} ${byExport.get(fn)}`);
  });
  return out;
}

export async function profileTrainStep(opts: { steps: number; threads: number }): Promise<string> {
  const slots = new Map<string, Slot>();
  let on = false;
  const RealInstance = WebAssembly.Instance;
  const wrap = (name: string, f: (...a: number[]) => unknown) =>
    function (...a: number[]): unknown {
      if (!on) return f(...a);
      let key = name,
        flops = 0;
      if (name.startsWith('matmul_')) {
        // (a, b, c, M, N, K, ta, tb, ...) or batched (a, b, c, n, M, N, K, ta, tb, ...)
        const o = name.includes('batched') ? 1 : 0;
        const [M, N, K, ta, tb] = a.slice(3 + o, 8 + o);
        key = `${name} ${M}×${N}×${K}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`;
        flops = 2 * M! * N! * K! * (o ? a[3]! : 1);
      } else if (name.includes('xent') || name.includes('softmax')) key = `${name} ${a.slice(4, 6).join('×')}`;
      const t0 = performance.now();
      const r = f(...a);
      const dt = performance.now() - t0;
      const s = slots.get(key) ?? { calls: 0, ms: 0, flops };
      s.calls++;
      s.ms += dt;
      slots.set(key, s);
      return r;
    };
  const wrapKeyed = (key: string, f: () => unknown): unknown => {
    const t0 = performance.now();
    const r = f();
    const s = slots.get(key) ?? { calls: 0, ms: 0, flops: 0 };
    s.calls++;
    s.ms += performance.now() - t0;
    slots.set(key, s);
    return r;
  };
  (WebAssembly as { Instance: unknown }).Instance = function (m: WebAssembly.Module, imports?: WebAssembly.Imports) {
    const rt = imports?.tfg_rt as Record<string, unknown> | undefined;
    if (rt) {
      const w: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(rt)) w[k] = typeof v === 'function' ? wrap(k, v as (...a: number[]) => unknown) : v;
      imports = { ...imports, tfg_rt: w } as WebAssembly.Imports;
    }
    const host = imports?.tfg_host as Record<string, unknown> | undefined;
    if (host && typeof host.par === 'function') {
      const par = host.par as (...a: number[]) => unknown;
      // par(id, B, size, unit, total): key by split kernel id and element count.
      host.par = (...a: number[]) => (on ? wrapKeyed(`${names.get(a[0]!) ?? `generated kernel #${a[0]}`}, ${a[4]} elements`, () => par(...a)) : par(...a));
    }
    return new RealInstance(m, imports);
  } as unknown as typeof WebAssembly.Instance;
  const built = buildSource(ADAM_SOURCE, 'adam.tfg');
  const c = compileProgram(built, { fuse: true, splitFloor: 0, text: true });
  const names = partNames(c.text!, c.manifest as unknown as Parameters<typeof partNames>[1]);
  const s = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>, { threads: opts.threads }).createSession();
  (WebAssembly as { Instance: unknown }).Instance = RealInstance;
  await s.threadsReady();
  s.run('init');
  const plain = loadModelSync(compileProgram(built, { fuse: true }).wasm as Uint8Array<ArrayBuffer>, { threads: opts.threads }).createSession();
  await plain.threadsReady();
  plain.run('init');
  const batch = 50;
  const x = new Tensor('f32', [batch, 784], fillUniform(new Float32Array(batch * 784), 4, 0, 1) as Float32Array);
  const y = new Tensor(
    'i32',
    [batch],
    Int32Array.from({ length: batch }, (_, i) => (i * 7) % 10),
  );
  const step = (): unknown => s.run(['loss:0', 'train_op'], { 'X:0': x, 'y:0': y });
  const plainStep = (): unknown => plain.run(['loss:0', 'train_op'], { 'X:0': x, 'y:0': y });
  for (let i = 0; i < 50; i++) {
    step();
    plainStep();
  }
  // Untimed steps first (the step's total without the wrappers' overhead, both modules
  // alternating), then the profiled ones.
  const totals: number[] = [];
  const plainTotals: number[] = [];
  for (let i = 0; i < opts.steps; i++) {
    let t0 = performance.now();
    step();
    totals.push(performance.now() - t0);
    t0 = performance.now();
    plainStep();
    plainTotals.push(performance.now() - t0);
  }
  const med = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;
  const median = med(totals);
  on = true;
  const t0 = performance.now();
  for (let i = 0; i < opts.steps; i++) step();
  const profiled = (performance.now() - t0) / opts.steps;
  on = false;
  s.close();
  plain.close();
  const rows: string[][] = [];
  let kernels = 0;
  const pct = (ms: number): string => `${((100 * ms) / profiled).toFixed(1)}%`;
  for (const [k, v] of [...slots].sort((a, b) => b[1].ms - a[1].ms)) {
    const per = v.ms / opts.steps;
    kernels += per;
    rows.push([k, String(v.calls / opts.steps), `${(per * 1000).toFixed(1)} µs`, pct(per), v.flops ? (v.flops / (v.ms / v.calls) / 1e6).toFixed(1) : '']);
  }
  const rest = profiled - kernels;
  rows.push(['rest: opaque generated kernels, kernels with no outer loop, Session.run (feeds, fetch)', '', `${(rest * 1000).toFixed(1)} µs`, pct(rest), '']);
  return [
    `#### Train step profile (batch 50, ${opts.threads} thread${opts.threads > 1 ? 's' : ''}): every runtime call and split-capable generated kernel, ${opts.steps} steps`,
    '',
    `${machineLine()}. Step median unprofiled ${median.toFixed(3)} ms (as normally compiled: ${med(plainTotals).toFixed(3)} ms); profiled mean ${profiled.toFixed(3)} ms (100%).`,
    '',
    markdownTable(['kernel', 'calls/step', 'time/step', '% of step', 'GFLOP/s'], rows),
  ].join('\n');
}

if (isMain(import.meta.url)) {
  runMain('bench/train-profile', async () => {
    const o = parseArgs(process.argv.slice(2), { steps: 400, threads: 1 }, USAGE);
    console.log(await profileTrainStep(o));
  });
}
