/**
 * @fileoverview Threads in Node: registers worker_threads as the session's worker host
 * (session/wasm/threads.ts) when imported (by tfg/node and the compiler's openSession). Workers
 * are unref'd, so they never keep a process alive; Node's main thread may block in Atomics.wait.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { WorkerInit } from '../wasm/pool-worker.js';
import { CTL } from '../wasm/pool-ctl.js';
import { setThreadHost } from '../wasm/threads.js';

const entry = new URL('./pool-worker.js', import.meta.url);

setThreadHost({
  canBlock: true,
  cores: availableParallelism(),
  spawn(init: WorkerInit) {
    const w = new Worker(entry, { workerData: init });
    w.unref();
    // A worker that fails to start (or dies) is marked failed, so the pool stops waiting for it.
    w.on('error', () => {
      const at = init.index * CTL.STRIDE + CTL.STATE;
      if (Atomics.load(init.ctl, at) === 0) Atomics.store(init.ctl, at, 2);
    });
    return { terminate: () => void w.terminate() };
  },
});
