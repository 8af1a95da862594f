/**
 * @fileoverview Threads in Node: registers worker_threads as the session's worker host
 * (session/wasm/threads.ts) when imported (by tfg/node and the compiler's openSession). Workers
 * are unref'd, so they never keep a process alive; Node's main thread may block in Atomics.wait.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerInit } from '../wasm/pool-worker.js';
import { CTL } from '../wasm/pool-ctl.js';
import { setThreadHost } from '../wasm/threads.js';

const entry = new URL('./pool-worker.js', import.meta.url);

/** Node options that register module hooks or preload modules in every thread they apply to. */
const HOOK_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/**
 * NODE_OPTIONS's words (split at spaces outside double quotes, the quotes kept) without the module
 * hooks and preloads (`--import`, `--require`, `--loader`, with their values), the others kept.
 */
export function withoutHooks(nodeOptions: string): string {
  const words = nodeOptions.match(/(?:[^\s"]+|"(?:[^"\\]|\\.)*")+/g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i].replace(/^"/, '');
    const eq = w.indexOf('=');
    if (HOOK_FLAGS.has(eq < 0 ? w.replace(/"$/, '') : w.slice(0, eq))) {
      if (eq < 0) i++; // the value is the next word
      continue;
    }
    out.push(words[i]);
  }
  return out.join(' ');
}

/**
 * How a pool worker starts. It runs this package's compiled code and nothing else, so it takes
 * none of the parent's Node options (V8's flags, such as --experimental-wasm-relaxed-simd, are
 * the process's and hold in every thread anyway) and NODE_OPTIONS without its module hooks and
 * preloads, which a worker would run again: a test runner's mocks, a tracer or a `.env` preload
 * would only slow its start. Under tap's two `--import` hooks a 3-thread session's workers were
 * ready after 0.78 s instead of 0.15 s. Run from sources under a loader (tsx: no compiled
 * pool-worker.js beside this file) or under Yarn Plug'n'Play, the worker needs the parent's
 * hooks to load its entry, and inherits them.
 */
function workerOptions(): { execArgv?: string[]; env?: NodeJS.ProcessEnv } {
  // Yarn Plug'n'Play serves packages from zip archives through its hooks (and makes them look
  // present to existsSync): there, too, the worker needs them to load its entry.
  if (!existsSync(fileURLToPath(entry)) || process.versions.pnp !== undefined) return {};
  const opts = process.env.NODE_OPTIONS;
  const kept = opts === undefined ? opts : withoutHooks(opts);
  return { execArgv: [], ...(kept !== undefined && kept !== opts!.trim() ? { env: { ...process.env, NODE_OPTIONS: kept } } : {}) };
}

setThreadHost({
  canBlock: true,
  cores: availableParallelism(),
  spawn(init: WorkerInit) {
    const w = new Worker(entry, { workerData: init, ...workerOptions() });
    w.unref();
    // A worker that fails to start (or dies) is marked failed, so the pool stops waiting for it.
    w.on('error', () => {
      const at = init.index * CTL.STRIDE + CTL.STATE;
      if (Atomics.load(init.ctl, at) === 0) Atomics.store(init.ctl, at, 2);
    });
    return { terminate: () => void w.terminate() };
  },
});
