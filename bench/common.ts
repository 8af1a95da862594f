/**
 * @fileoverview Shared plumbing of the bench/ scripts (not tests): interleaved timing (every
 * contender runs once per round, so machine load hits all alike; warm-up rounds first; median,
 * p10, p90 of the timed rounds), markdown tables, tfjs set-up (wasm backend single-threaded with
 * its .wasm files from node_modules, no network; cpu backend), compiling `.tfg` source into a
 * loaded model, a seeded filler, machine facts (Node, CPUs, load average) and argument parsing.
 */
import { cpus, loadavg } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { formatDiagnostics } from '../compiler/diagnostics/diagnostic.js';
import { buildProgram, type BuildResult } from '../compiler/frontend/index.js';
import { compileProgram } from '../compiler/driver.js';
import { type Model, type WasmSession } from '../session/wasm/model.js';
import { loadModelSync } from '../session/wasm/sync.js';

export interface Timing {
  /** Milliseconds per call. */
  median: number;
  p10: number;
  p90: number;
  best: number;
  runs: number;
  /**
   * With `settle`: median milliseconds this process stayed busy after the contender's bursts
   * returned (its thread pool idling: spinning workers), as measured by the settle that followed.
   */
  tailMs?: number;
}

export interface TimeOptions {
  /** Untimed rounds first (JIT, memory growth, caches). */
  warmup?: number;
  /** Keep timing rounds until this many milliseconds have passed (and minRuns are done). */
  minMs?: number;
  minRuns?: number;
  maxRuns?: number;
  /**
   * For contenders with thread pools (ours at N threads, ORT at N threads): per round, before
   * each contender, wait until no thread of this process is busy (`settleQuiet`: the previous
   * contender's pool has stopped spinning and blocked), then run the contender in a burst of
   * back-to-back calls for `burstMs` (at least one), the first untimed (it wakes the contender's
   * own pool; the timed calls see the pool as a loop of calls does). Every call of a burst is a
   * sample. Without it, a pool that spins after a call (ORT's intra-op pool does, for tens of
   * ms) takes a core from whichever contender runs next, and a pool whose workers blocked
   * between two of its calls pays a wake-up that a loop of calls would not.
   */
  settle?: boolean;
  burstMs?: number;
}

export function summarize(times: number[]): Timing {
  const ts = [...times].sort((a, b) => a - b);
  const q = (p: number): number => ts[Math.min(ts.length - 1, Math.max(0, Math.round(p * (ts.length - 1))))]!;
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), best: ts[0]!, runs: ts.length };
}

/**
 * Time contenders interleaved: per round, each contender runs once (in a rotating order, so no
 * one always follows the same neighbour). Returns one Timing per contender, in input order.
 */
export async function timeInterleaved(fns: ReadonlyArray<() => unknown>, opts: TimeOptions = {}): Promise<Timing[]> {
  const warmup = opts.warmup ?? 3;
  const minMs = opts.minMs ?? 1000;
  const minRuns = opts.minRuns ?? 7;
  const maxRuns = opts.maxRuns ?? 1000;
  for (let i = 0; i < warmup; i++) for (const f of fns) await f();
  if (opts.settle) return timeSettled(fns, { minMs, minRuns, maxRuns, burstMs: opts.burstMs ?? 0 });
  const times: number[][] = fns.map(() => []);
  const start = performance.now();
  let round = 0;
  while (times[0]!.length < minRuns || (performance.now() - start < minMs && times[0]!.length < maxRuns)) {
    for (let j = 0; j < fns.length; j++) {
      const i = (j + round) % fns.length;
      const t0 = performance.now();
      const r = fns[i]!();
      if (r instanceof Promise) await r;
      times[i]!.push(performance.now() - t0);
    }
    round++;
  }
  return times.map(summarize);
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Block the calling thread (Atomics.wait: no CPU) until performance.now() reaches `until`. */
export function sleepUntil(until: number): void {
  for (let d = until - performance.now(); d > 0; d = until - performance.now()) Atomics.wait(sleepCell, 0, 0, d);
}

/** CPU milliseconds of this process so far, all threads (getrusage). */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The settle's quiet test: windows of this many ms, each with under QUIET_BUSY cores busy, QUIET_WINDOWS in a row. */
export const QUIET = { windowMs: 2, busy: 0.1, windows: 2, maxMs: 500 };

/**
 * Sleep until this process is quiet: the caller asleep in Atomics.wait, QUIET.windows windows
 * in a row in which the process (every thread) used under QUIET.busy of a core. Returns how long
 * the process stayed busy (ms from the call to the end of the last busy window; QUIET.maxMs at most).
 */
export function settleQuiet(): number {
  const t0 = performance.now();
  let c = processCpuMs();
  let t = t0;
  let busyUntil = t0;
  let quiet = 0;
  while (quiet < QUIET.windows && t - t0 < QUIET.maxMs) {
    sleepUntil(t + QUIET.windowMs);
    const t1 = performance.now(),
      c1 = processCpuMs();
    if (c1 - c < QUIET.busy * (t1 - t)) quiet++;
    else {
      quiet = 0;
      busyUntil = t1;
    }
    t = t1;
    c = c1;
  }
  return busyUntil - t0;
}

async function timeSettled(fns: ReadonlyArray<() => unknown>, opts: { minMs: number; minRuns: number; maxRuns: number; burstMs: number }): Promise<Timing[]> {
  const times: number[][] = fns.map(() => []);
  const tails: number[][] = fns.map(() => []);
  const start = performance.now();
  let prev = -1;
  settleQuiet();
  for (let round = 0; times[0]!.length < opts.minRuns || (performance.now() - start < opts.minMs && times[0]!.length < opts.maxRuns); round++) {
    for (let j = 0; j < fns.length; j++) {
      const i = (j + round) % fns.length;
      const tail = settleQuiet();
      if (prev >= 0) tails[prev]!.push(tail);
      const f = fns[i]!;
      const r0 = f();
      if (r0 instanceof Promise) await r0;
      const b0 = performance.now();
      do {
        const t0 = performance.now();
        const r = f();
        if (r instanceof Promise) await r;
        times[i]!.push(performance.now() - t0);
      } while (performance.now() - b0 < opts.burstMs);
      prev = i;
    }
  }
  tails[prev]!.push(settleQuiet());
  return times.map((t, i) => ({ ...summarize(t), tailMs: summarize(tails[i]!).median }));
}

/**
 * bench/all's settle settings for sections whose contenders include a thread pool (ours or ORT
 * at 2+ threads; docs/benchmarks.md "Method: thread pools of different engines"): bursts of
 * 20 ms after each settle. `plain` (the scripts' `--plain`): the old back-to-back single calls.
 */
export function poolTiming(pools: boolean, plain: boolean): Pick<TimeOptions, 'settle' | 'burstMs'> {
  return pools && !plain ? { settle: true, burstMs: 20 } : {};
}

/** One line: how long the process stayed busy after each contender (settled timing only; '' otherwise). */
export function tailLine(names: readonly string[], ts: readonly Timing[]): string {
  if (ts.every((t) => t.tailMs === undefined)) return '';
  return (
    'Settled timing (common.ts timeInterleaved `settle`); the process stayed busy after each contender (its pool spinning) for, median: ' +
    `${names.map((n, i) => `${n} ${(ts[i]?.tailMs ?? 0).toFixed(1)} ms`).join(', ')}.`
  );
}

/** `12.3 ms` style with 3 significant digits (µs below 1 ms). */
export function fmtMs(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toPrecision(3)} µs`;
  return `${ms.toPrecision(3)} ms`;
}

export function fmtRatio(x: number): string {
  return `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`;
}

/** A markdown table with right-aligned, padded columns. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Node version, CPU model and count, load averages (1/5/15 min). */
export function machineLine(): string {
  const c = cpus();
  const la = loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
  return `Node ${process.version}, ${c.length} × ${c[0]?.model.trim() ?? 'unknown CPU'}, load average ${la} (1/5/15 min)`;
}

/** A seeded uniform filler in [lo, hi) (LCG; the same numbers for every contender). */
export function fillUniform(a: Float32Array | Float64Array, seed: number, lo = -1, hi = 1): typeof a {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return a;
}

/** Build `.tfg` source, failing with its formatted diagnostics. */
export function buildSource(source: string, fileName: string): BuildResult {
  const r = buildProgram(source, fileName);
  if (!r.ok) throw new Error(`${fileName} does not build:\n${formatDiagnostics(r.diagnostics)}`);
  return r;
}

/** Compile a built program (fused or not) and load it with the Node loader. */
export function compileModel(r: BuildResult, fuse: boolean, threads: number | 'default' = 1): { model: Model; wasmBytes: number; kernels: number[] } {
  const c = compileProgram(r, { fuse });
  return {
    model: loadModelSync(c.wasm as Uint8Array<ArrayBuffer>, { threads: threads === 'default' ? undefined : threads }),
    wasmBytes: c.wasm.length,
    kernels: c.kernelCounts,
  };
}

/**
 * The exported entry of a signature, called with the buffers as the session's last run laid
 * them out (inputs already in wasm memory): the compiled code alone, without feed conversion,
 * copies or fetch read-back. Reaches into WasmSession's private `exports` — a profiling aid for
 * the benches only; fails clearly if the loader changes shape, and throws when a call fails.
 */
export function signatureEntry(sess: WasmSession, signature: string): (B: number) => number {
  const m = sess.manifest;
  const sig = m.signatures.find((s) => s.name === signature);
  if (!sig) throw new Error(`no signature '${signature}' (have: ${m.signatures.map((s) => s.name).join(', ')})`);
  const exportsOf = (sess as unknown as { exports?: Record<string, unknown> }).exports;
  const f = exportsOf?.[sig.export];
  if (typeof f !== 'function') throw new Error(`cannot reach the export '${sig.export}' of the session (loader internals changed)`);
  const entry = f as (B: number) => number;
  // A failing call (its status set) stops at its first check, so its time would mean nothing: e.g.
  // when the plan reused an input's buffer for a later value, a second call reads garbage there.
  return (B: number): number => {
    const r = entry(B);
    if (r)
      throw new Error(`signature '${signature}': the entry failed (status set), so its time would be meaningless; are its inputs' buffers reused by the plan?`);
    return r;
  };
}

/**
 * tfjs-core's Node bundle (`tf-core.node.js`) carries no gradient functions: the union package
 * `@tensorflow/tfjs` registers them from tfjs-core's ES module sources
 * (`dist/register_all_gradients.js`), whose relative imports have no `.js` extension, which
 * Node's ESM loader refuses. A resolve hook adds the extension for files inside tfjs-core/dist;
 * the gradients then register into tfjs's global registry (shared by both copies of the code).
 */
let gradientsLoaded = false;
async function loadTfjsGradients(): Promise<void> {
  if (gradientsLoaded) return;
  const { register } = await import('node:module');
  const hook = `export async function resolve(spec, ctx, next) {
  if (ctx.parentURL && ctx.parentURL.includes('/@tensorflow/tfjs-core/dist/') && spec.startsWith('.') && !spec.endsWith('.js')) {
    try { return await next(spec + '.js', ctx); } catch { return next(spec + '/index.js', ctx); }
  }
  return next(spec, ctx);
}`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js' as string);
  gradientsLoaded = true;
}

/** The tfjs packages with the wasm backend set to one thread and local .wasm files (and gradients when asked). */
export async function loadTfjs(opts: { gradients?: boolean } = {}): Promise<{
  tf: typeof import('@tensorflow/tfjs-core');
  wasm: typeof import('@tensorflow/tfjs-backend-wasm');
}> {
  const tf = await import('@tensorflow/tfjs-core');
  // PROD: no debug checks, and no "install tfjs-node" banner from the cpu backend.
  tf.env().set('PROD', true);
  await import('@tensorflow/tfjs-backend-cpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  wasm.setThreadsCount(1);
  if (opts.gradients) await loadTfjsGradients();
  return { tf, wasm };
}

/** Switch tfjs to a backend and wait until it is ready. */
export async function useBackend(tf: typeof import('@tensorflow/tfjs-core'), name: 'wasm' | 'cpu'): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs backend '${name}' failed to initialise`);
  await tf.ready();
}

/** Parse `--name value` / `--flag` arguments against defaults (numbers, booleans, strings). */
export function parseArgs<T extends Record<string, number | boolean | string>>(argv: readonly string[], defaults: T, usage: string): T {
  const out: Record<string, number | boolean | string> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const key = a.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!a.startsWith('--') || !(key in defaults)) fail(`unknown argument ${a}\n${usage}`);
    const d = defaults[key];
    if (typeof d === 'boolean') out[key] = true;
    else {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value\n${usage}`);
      if (typeof d === 'number') {
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0) fail(`${a} needs a positive number, got '${v}'\n${usage}`);
        out[key] = n;
      } else out[key] = v;
    }
  }
  return out as T;
}

export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** True when the module at `url` is the script node was started with. */
export function isMain(url: string): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(url));
  } catch {
    return false;
  }
}

/** Run a bench's main, printing a one-line error (no stack) and exit code 1 on failure. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`${name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}

/** Max |a - b| / (1 + |b|) over two arrays (a sanity check that contenders compute the same). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return m;
}

/** A target of issue 10's table: a ratio (higher is better) against its goal; goal 0: reported only. */
export interface Target {
  name: string;
  ratio: number;
  goal: number;
  met: boolean;
}
export function target(name: string, ratio: number, goal: number): Target {
  return { name, ratio, goal, met: ratio >= goal };
}
/** One line per target, `- target NAME: RATIO (goal ≥ G) — met | MISSED` (bench/all.ts collects these lines). */
export function targetLines(ts: readonly Target[]): string {
  return ts
    .map((t) => `- target ${t.name}: ${t.ratio.toFixed(2)}×${t.goal > 0 ? ` (goal ≥ ${t.goal.toFixed(2)}×) — ${t.met ? 'met' : 'MISSED'}` : ' (reported)'}`)
    .join('\n');
}
