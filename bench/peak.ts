/**
 * @fileoverview Probe of this machine's WebAssembly SIMD arithmetic peak (not a test): one core
 * running independent f32x4 multiply-add chains with no memory traffic, in GFLOP/s (a mul+add
 * pair or one relaxed_madd of 4 lanes = 8 flops). The matmul benchmark reports its GFLOP/s as a
 * fraction of this.
 *
 * - `mul+add`: `acc_i = f32x4.add(acc_i, f32x4.mul(x, y_i))` over 12 accumulators (enough
 *   independent chains to cover the add latency of 3-4 cycles on 2 add pipes), x and y_i fixed;
 * - `relaxed_madd`: the same with `f32x4.relaxed_madd(x, y_i, acc_i)` (Node 20 needs
 *   `--experimental-wasm-relaxed-simd`, set here before anything compiles; absent when the
 *   engine refuses the module).
 * Each probe body runs `iters` times 12 chains; best of several timed calls (the peak is what the
 * core can do when the shared machine lets it; medians are reported alongside).
 *
 *   node dist/bench/peak.js [--min-ms 1000]
 */
import v8 from 'node:v8';
import { performance } from 'node:perf_hooks';
import { isMain, parseArgs, runMain, summarize, type Timing } from './common.js';

const CHAINS = 12;
const YS = 1;

function probeWat(relaxed: boolean): string {
  const accs = Array.from({ length: CHAINS }, (_, i) => i);
  const step = (i: number): string =>
    relaxed
      ? `(local.set $a${i} (f32x4.relaxed_madd (local.get $x) (local.get $y${i % YS}) (local.get $a${i})))`
      : `(local.set $a${i} (f32x4.add (local.get $a${i}) (f32x4.mul (local.get $x) (local.get $y${i % YS}))))`;
  return `(module
  (func (export "run") (param $n i32) (param $seed f32) (result f32)
    (local $x v128) (local $y0 v128) (local $y1 v128) (local $y2 v128) (local $y3 v128)
    ${accs.map((i) => `(local $a${i} v128)`).join(' ')}
    (local.set $x (f32x4.splat (local.get $seed)))
    (local.set $y0 (f32x4.splat (f32.const 0.999)))
    (local.set $y1 (f32x4.splat (f32.const 0.998)))
    (local.set $y2 (f32x4.splat (f32.const 0.997)))
    (local.set $y3 (f32x4.splat (f32.const 0.996)))
    ${accs.map((i) => `(local.set $a${i} (f32x4.splat (f32.const ${i})))`).join('\n    ')}
    (block $done
      (loop $top
        (br_if $done (i32.eqz (local.get $n)))
        ${accs.map(step).join('\n        ')}
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $top)))
    (f32x4.extract_lane 0
      ${accs.slice(1).reduce((s, i) => `(f32x4.add ${s} (local.get $a${i}))`, '(local.get $a0)')})))`;
}

async function compileWat(text: string, relaxed: boolean): Promise<WebAssembly.Instance | null> {
  const wabt = await (await import('wabt')).default();
  const mod = wabt.parseWat('peak.wat', text, { simd: true, relaxed_simd: relaxed });
  const buffer = new Uint8Array(mod.toBinary({}).buffer);
  mod.destroy();
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(buffer));
  } catch {
    return null; // the engine has no relaxed SIMD
  }
}

export interface PeakResult {
  /** GFLOP/s, best of the timed calls. */
  mulAdd: number;
  mulAddMedian: number;
  relaxed: number | null;
  relaxedMedian: number | null;
  markdown: string;
}

function gflops(t: Timing, flops: number): { best: number; median: number } {
  return { best: flops / (t.best * 1e6), median: flops / (t.median * 1e6) };
}

/** Probe the peak (call before other wasm work if relaxed SIMD is wanted: the V8 flag must precede compilation). */
export async function probePeak(opts: { minMs: number }): Promise<PeakResult> {
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const iters = 2_000_000;
  const flops = iters * CHAINS * 8;
  const out: Record<string, { best: number; median: number } | null> = {};
  for (const relaxed of [false, true]) {
    const inst = await compileWat(probeWat(relaxed), relaxed);
    if (!inst) {
      out[relaxed ? 'relaxed' : 'mulAdd'] = null;
      continue;
    }
    const run = inst.exports.run as (n: number, seed: number) => number;
    for (let i = 0; i < 3; i++) run(iters, 0.5);
    const times: number[] = [];
    const start = performance.now();
    while (times.length < 5 || performance.now() - start < opts.minMs) {
      const t0 = performance.now();
      run(iters, 0.5);
      times.push(performance.now() - t0);
    }
    out[relaxed ? 'relaxed' : 'mulAdd'] = gflops(summarize(times), flops);
  }
  const m = out.mulAdd!,
    r = out.relaxed ?? null;
  const markdown = [
    '### WebAssembly SIMD peak of one core (bench/peak.ts)',
    '',
    `${CHAINS} independent f32x4 chains, no memory traffic; 8 flops per mul+add pair or relaxed_madd.`,
    '',
    '| probe | best GFLOP/s | median GFLOP/s |',
    '|---|---:|---:|',
    `| f32x4 mul+add | ${m.best.toFixed(1)} | ${m.median.toFixed(1)} |`,
    `| f32x4.relaxed_madd | ${r ? r.best.toFixed(1) : 'not available'} | ${r ? r.median.toFixed(1) : '—'} |`,
  ].join('\n');
  return { mulAdd: m.best, mulAddMedian: m.median, relaxed: r?.best ?? null, relaxedMedian: r?.median ?? null, markdown };
}

if (isMain(import.meta.url)) {
  runMain('bench/peak', async () => {
    const o = parseArgs(process.argv.slice(2), { minMs: 1000 }, 'usage: node dist/bench/peak.js [--min-ms 1000]');
    console.log((await probePeak({ minMs: o.minMs })).markdown);
  });
}
