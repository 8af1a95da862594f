/**
 * @fileoverview Run every benchmark and write one markdown report. Each benchmark runs as a child
 * process (its contenders interleaved among themselves, so every ratio comes from one process):
 * matmul (the wasm SIMD peak probe, square sizes vs tfjs-wasm 1T and ORT 1T, the K-neighbour
 * table), elementwise (short graph; 8-op chain at 1M and 16M) and MLP inference with ORT at 1
 * thread (and tfjs), then the same with ORT at 2 threads (ORT's thread count is fixed per process;
 * tfjs left out), then exp/sigmoid/tanh over 1M values (bench/math.ts), then MNIST training, then compile speed (bench/compile.ts), then the start-up of the `tfg` command. The header records the date, machine, Node version and
 * load average before and after.
 *
 * Sections with a thread pool among their contenders (ours or ORT at 2 threads) time them settled
 * (common.ts timeInterleaved `settle`): ORT's intra-op pool spins for tens of ms after each run
 * and would take a core from the next contender (docs/benchmarks.md "Method: thread pools of
 * different engines").
 *
 *   node dist/bench/all.js [--out bench-results.md] [--min-ms 3000]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMain, machineLine, parseArgs, runMain } from './common.js';

const USAGE = 'usage: node dist/bench/all.js [--out FILE.md] [--min-ms 3000]';

function child(script: string, args: string[]): string {
  const js = join(dirname(fileURLToPath(import.meta.url)), script);
  process.stderr.write(`bench/all: node ${script} ${args.join(' ')}\n`);
  try {
    return execFileSync(process.execPath, [js, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 }).trim();
  } catch (e) {
    // One failing benchmark must not lose the others' figures: report it in its place.
    return `**failed**: \`node dist/bench/${script} ${args.join(' ')}\`: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  }
}

export async function benchAll(opts: { minMs: number }): Promise<string> {
  const started = new Date();
  const loadBefore = loadavg()[0]!.toFixed(2);
  const ms = String(opts.minMs);
  const parts = [
    '### Matmul, ORT 1 thread, ours at 1 and 2 threads (bench/matmul.ts)',
    child('matmul.js', ['--min-ms', ms, '--threads', '2']),
    '### Matmul, ORT 2 threads, ours at 1 and 2 threads (tfjs and the K table left out)',
    child('matmul.js', ['--min-ms', ms, '--ort-threads', '2', '--no-tfjs', '--no-k', '--sizes', '512,1024', '--threads', '2']),
    '### Elementwise, ORT 1 thread, ours at 1 and 2 threads (bench/elementwise.ts)',
    child('elementwise.js', ['--min-ms', ms, '--threads', '2']),
    '### Elementwise, ORT 2 threads, ours at 1 and 2 threads (tfjs left out)',
    child('elementwise.js', ['--min-ms', ms, '--ort-threads', '2', '--no-tfjs', '--threads', '2']),
    '### MLP inference, ORT 1 thread, ours at 1 and 2 threads (bench/mlp.ts)',
    child('mlp.js', ['--min-ms', ms, '--threads', '2']),
    '### MLP inference, ORT 2 threads, ours at 1 and 2 threads (tfjs left out)',
    child('mlp.js', ['--min-ms', ms, '--ort-threads', '2', '--no-tfjs', '--threads', '2']),
    '### Transcendentals: exp, sigmoid, tanh, ORT 1 thread, ours at 1 and 2 threads (bench/math.ts)',
    child('math.js', ['--min-ms', String(Math.min(opts.minMs, 2000)), '--threads', '2']),
    '### MNIST training step (bench/mnist-train.ts)',
    child('mnist-train.js', ['--min-ms', ms]),
    '### Ours, 1 vs 2 threads (bench/threads.ts)',
    child('threads.js', ['--min-ms', ms, '--threads', '2']),
    '### Compile speed (bench/compile.ts)',
    child('compile.js', []),
    '### Start-up of the tfg command (bench/startup.ts)',
    child('startup.js', []),
  ];
  // Every child prints its targets as `- target NAME: RATIO (goal ≥ G) — met | MISSED`: collected here.
  const targets = parts.flatMap((p) => p.split('\n').filter((l) => /^- target .*— (met|MISSED)$/.test(l)));
  const header = [
    `## Benchmark run ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `${machineLine()}; 1-minute load average ${loadBefore} before, ${loadavg()[0]!.toFixed(2)} after; ` +
      `${((Date.now() - started.getTime()) / 1000).toFixed(0)} s in all. Command: \`node dist/bench/all.js --min-ms ${opts.minMs}\`.`,
  ];
  const summary = [
    '### Targets of issue 10 in this run',
    '',
    `${targets.filter((l) => l.endsWith('— met')).length} met, ${targets.filter((l) => l.endsWith('MISSED')).length} missed (the full-run \`tfg train\` target is measured separately).`,
    '',
    ...targets,
  ];
  return [...header, '', ...summary, '', ...parts.flatMap((p) => [p, ''])].join('\n');
}

if (isMain(import.meta.url)) {
  runMain('bench/all', async () => {
    const o = parseArgs(process.argv.slice(2), { out: '', minMs: 3000 }, USAGE);
    const md = await benchAll({ minMs: o.minMs });
    if (o.out) {
      writeFileSync(o.out, md);
      process.stderr.write(`bench/all: wrote ${o.out}\n`);
    }
    console.log(md);
  });
}
