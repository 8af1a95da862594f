/**
 * @fileoverview Run every benchmark and write one markdown report: the matmul benchmark (its own
 * script, run as a child process), then elementwise, MLP and MNIST training in this process one
 * after the other (each benchmark's contenders interleaved among themselves). The header records
 * the date, machine, Node version and load average before and after.
 *
 *   node dist/bench/all.js [--out bench-results.md] [--min-ms 3000]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchElementwise } from './elementwise.js';
import { benchMlp } from './mlp.js';
import { benchMnistTrain } from './mnist-train.js';
import { isMain, machineLine, parseArgs, runMain } from './common.js';

const USAGE = 'usage: node dist/bench/all.js [--out FILE.md] [--min-ms 3000]';

export async function benchAll(opts: { minMs: number }): Promise<string> {
  const started = new Date();
  const loadBefore = loadavg()[0]!.toFixed(2);
  const parts: string[] = [];
  const log = (s: string): void => void process.stderr.write(`bench/all: ${s}\n`);

  log('matmul (child process)');
  const matmulJs = join(dirname(fileURLToPath(import.meta.url)), 'matmul.js');
  const matmul = execFileSync(process.execPath, [matmulJs, '--min-ms', String(opts.minMs)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [title, ...table] = matmul.trim().split('\n');
  parts.push(['### Matmul f32 (bench/matmul.ts)', '', title!, '', ...table].join('\n'));

  log('elementwise');
  const ew = await benchElementwise({ n: 1048576, minMs: opts.minMs });
  parts.push(ew.markdown);
  log('mlp');
  const mlp = await benchMlp({ batches: [1, 1000], minMs: opts.minMs });
  parts.push(mlp.markdown);
  log('mnist-train');
  const mn = await benchMnistTrain({ minMs: opts.minMs, batches: 40 });
  parts.push(mn.markdown);

  const header = [
    `## Benchmark run ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `${machineLine()}; 1-minute load average ${loadBefore} before, ${loadavg()[0]!.toFixed(2)} after; ` +
      `${((Date.now() - started.getTime()) / 1000).toFixed(0)} s in all. Command: \`node dist/bench/all.js --min-ms ${opts.minMs}\`.`,
  ];
  return [...header, '', ...parts.flatMap((p) => [p, ''])].join('\n');
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
