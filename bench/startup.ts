/**
 * @fileoverview Start-up of the `tfg` command: wall time of `tfg --version`, `tfg check
 * samples/f.tfg` and `tfg run samples/f.tfg --fetch f`, each a fresh `node dist/cli/main.js`
 * process, against a bare `node -e 0`, interleaved (every round runs each command once, in a
 * rotating order, so machine load hits all alike), after warm-up rounds (the OS file cache).
 * Prints the median, p10 and p90 of each, and the ratio of its median to bare Node's. Targets
 * (issue 8): `--version` and `check` within 3× of bare Node, `run` within 10×. `run` is timed
 * three times: with everything cold (a new empty `TFG_CACHE_DIR` each time: binaryen parsed from
 * its source, build, compile, store: a first run ever), with a cold compiled-module cache but
 * binaryen's V8 code cache in place (cli/binaryen-cache.ts: every compile after the first, say
 * of an edited program), and with a warm one (the compile stored: the loader alone;
 * cli/cache.ts). Each
 * command's output is checked once (`run` must print `f = 42`), so a broken command is not timed
 * as fast.
 *
 *   node dist/bench/startup.js [--rounds 15] [--warmup 2]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtRatio, isMain, machineLine, markdownTable, parseArgs, runMain, timeInterleaved } from './common.js';

const USAGE = 'usage: node dist/bench/startup.js [--rounds 15] [--warmup 2]';

const ms = (x: number): string => `${x.toFixed(0)} ms`;

interface Contender {
  label: string;
  args: string[];
  /** What its stdout must contain. */
  expect: RegExp;
  /** Target: at most this many times bare Node's median (none for the baseline). */
  target: number | null;
  /**
   * The cache folder: a new empty one per run ('cold'), a new one holding only binaryen's V8 code
   * cache ('code'), one filled once ('warm').
   */
  cache?: 'cold' | 'code' | 'warm';
}

export async function benchStartup(opts: { rounds: number; warmup: number }): Promise<string> {
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const cli = join(repo, 'dist', 'cli', 'main.js');
  const f = join(repo, 'samples', 'f.tfg');
  const contenders: Contender[] = [
    { label: 'node -e 0', args: ['-e', '0'], expect: /^$/, target: null },
    { label: 'tfg --version', args: [cli, '--version'], expect: /^\d+\.\d+\.\d+/, target: 3 },
    { label: 'tfg check samples/f.tfg', args: [cli, 'check', f], expect: /^ok: /, target: 3 },
    { label: 'tfg run samples/f.tfg --fetch f (first run: all cold)', args: [cli, 'run', f, '--fetch', 'f'], expect: /f = 42/, target: null, cache: 'cold' },
    {
      label: 'tfg run samples/f.tfg --fetch f (compile; binaryen code-cached)',
      args: [cli, 'run', f, '--fetch', 'f'],
      expect: /f = 42/,
      target: null,
      cache: 'code',
    },
    { label: 'tfg run samples/f.tfg --fetch f (warm cache)', args: [cli, 'run', f, '--fetch', 'f'], expect: /f = 42/, target: 10, cache: 'warm' },
  ];
  const warmDir = mkdtempSync(join(tmpdir(), 'tfg-startup-warm-'));
  const exec = (c: Contender): string => {
    const dir = c.cache === 'cold' || c.cache === 'code' ? mkdtempSync(join(tmpdir(), `tfg-startup-${c.cache}-`)) : warmDir;
    // binaryen's code cache as the first compile in warmDir left it.
    if (c.cache === 'code') cpSync(join(warmDir, 'v8'), join(dir, 'v8'), { recursive: true });
    try {
      const r = spawnSync(process.execPath, c.args, { cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TFG_CACHE_DIR: dir } });
      if (r.status !== 0) throw new Error(`${c.label} exited with ${r.status}: ${r.stderr.trim().split('\n')[0]}`);
      return r.stdout;
    } finally {
      if (dir !== warmDir) rmSync(dir, { recursive: true, force: true });
    }
  };
  // The warm folder first (it holds the code cache the 'code' runs copy).
  for (const c of [...contenders].sort((a, b) => Number(b.cache === 'warm') - Number(a.cache === 'warm'))) {
    const out = exec(c);
    if (!c.expect.test(out.trim())) throw new Error(`${c.label} printed ${JSON.stringify(out.slice(0, 200))}, expected ${c.expect}`);
  }
  const times = await timeInterleaved(
    contenders.map((c) => () => void exec(c)),
    { warmup: opts.warmup, minRuns: opts.rounds, maxRuns: opts.rounds, minMs: 0 },
  );
  rmSync(warmDir, { recursive: true, force: true });
  const base = times[0]!.median;
  const rows = contenders.map((c, i) => {
    const t = times[i]!;
    const ratio = t.median / base;
    return [c.label, ms(t.median), ms(t.p10), ms(t.p90), fmtRatio(ratio), c.target === null ? '' : `≤ ${c.target}× ${ratio <= c.target ? 'met' : 'missed'}`];
  });
  return [
    `##### Start-up of the \`tfg\` command (bench/startup.ts): wall time of a fresh process, ${opts.rounds} interleaved rounds after ${opts.warmup} warm-up rounds`,
    '',
    machineLine(),
    '',
    markdownTable(['command', 'median', 'p10', 'p90', 'median / node -e 0', 'target'], rows),
  ].join('\n');
}

if (isMain(import.meta.url)) {
  runMain('bench/startup', async () => {
    const o = parseArgs(process.argv.slice(2), { rounds: 15, warmup: 2 }, USAGE);
    console.log(await benchStartup(o));
  });
}
