/**
 * @fileoverview The body of a pool worker (threads.ts): instantiate the runtime on the session's
 * shared memory, and the generated module on it too (its split kernels' part functions; the
 * memory has no data segments, so a second instance writes nothing), say ready, then loop
 * forever: wait for a command in the control block (the main thread bumps the worker's sequence
 * word and notifies), claim it (unless the main thread took it back), call the runtime kernel or
 * part function it names with its i32 arguments, publish completion. Browser-safe, no imports
 * from Node; the entry files are pool-worker-web.ts (a Web Worker) and session/node/pool-worker.ts
 * (worker_threads).
 */

import { CTL } from './pool-ctl.js';

export { CTL };

export interface WorkerInit {
  /** The runtime, compiled with its memory import shared. */
  runtime: WebAssembly.Module;
  /** The generated module (absent: runtime kernels only). */
  model?: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctl: Int32Array;
  /** This worker's slot in `ctl`. */
  index: number;
  /** The runtime exports a command may name, by position. */
  kernels: string[];
  /**
   * Microseconds a worker keeps polling its sequence word after a command before it blocks in
   * Atomics.wait: a train step posts a dozen splits with short gaps between them, and a wake-up
   * from Atomics.wait costs 10-20 µs on a quiet machine and hundreds under load, while a poll
   * sees the next command at once.
   */
  spinUs: number;
}

/** Commands a worker takes without polling after it found itself descheduled while polling. */
const SKIP_AFTER_PREEMPT = 64;

/** Run a pool worker; returns when told to exit. */
export function workerMain(init: WorkerInit): void {
  const { ctl, spinUs } = init;
  const base = init.index * CTL.STRIDE;
  let fns: ((...a: number[]) => unknown)[];
  let model: Record<string, unknown> = {};
  try {
    const inst = new WebAssembly.Instance(init.runtime, { env: { memory: init.memory } });
    const ex = inst.exports as Record<string, unknown>;
    fns = init.kernels.map((k) => {
      const f = ex[k];
      if (typeof f === 'function') return f as (...a: number[]) => unknown;
      // A runtime embedded in a model holds only the kernels the model calls (compiler/emit/
      // runtime.ts); the main thread never sends the others.
      return () => {
        throw new Error(`the runtime has no '${k}'`);
      };
    });
    if (init.model) {
      // Only part functions run here: they call no host import (random draws and splits stay on the main thread).
      const never = (): never => {
        throw new Error('a host import was called on a pool worker');
      };
      const imports = { env: { memory: init.memory }, tfg_rt: ex, tfg_host: { random: never, par: never } } as WebAssembly.Imports;
      model = new WebAssembly.Instance(init.model, imports).exports as Record<string, unknown>;
    }
  } catch (e) {
    Atomics.store(ctl, base + CTL.STATE, 2);
    Atomics.notify(ctl, base + CTL.STATE);
    throw e;
  }
  Atomics.store(ctl, base + CTL.STATE, 1);
  Atomics.notify(ctl, base + CTL.STATE);
  // The slot's sequence starts at 0 and the main thread posts only after STATE says ready.
  let seq = 0;
  let skip = 0;
  const args: number[] = [];
  for (;;) {
    // Poll until the next command or spinUs after the last one (the clock read every 256 polls).
    // A gap of over 50 µs between two clock reads means this thread was descheduled: the cores
    // are oversubscribed, where polling takes the time slices the posting thread needs; then the
    // worker blocks at once for its next SKIP_AFTER_PREEMPT commands before it tries again.
    if (skip > 0) skip--;
    else if (spinUs > 0) {
      let last = performance.now();
      const until = last + spinUs / 1000;
      for (let n = 1; Atomics.load(ctl, base + CTL.SEQ) === seq; n++)
        if ((n & 255) === 0) {
          const t = performance.now();
          if (t - last > 0.05) {
            skip = SKIP_AFTER_PREEMPT;
            break;
          }
          if (t > until) break;
          last = t;
        }
    }
    if (Atomics.load(ctl, base + CTL.SEQ) === seq) {
      Atomics.store(ctl, base + CTL.ASLEEP, 1);
      while (Atomics.load(ctl, base + CTL.SEQ) === seq) Atomics.wait(ctl, base + CTL.SEQ, seq);
      Atomics.store(ctl, base + CTL.ASLEEP, 0);
    }
    seq = Atomics.load(ctl, base + CTL.SEQ);
    // The posting thread may have run this part itself (it was not picked up in time): then it is
    // done, and this worker waits for the next one.
    if (Atomics.compareExchange(ctl, base + CTL.CLAIM, seq - 1, seq) !== seq - 1) continue;
    const fn = ctl[base + CTL.FN];
    if (fn < 0) return;
    const nargs = ctl[base + CTL.NARGS];
    args.length = nargs;
    for (let i = 0; i < nargs; i++) args[i] = ctl[base + CTL.ARGS + i];
    try {
      if (fn >= CTL.PART) (model[`tfg_part_${fn - CTL.PART}`] as (...a: number[]) => unknown)(...args);
      else fns[fn](...args);
      ctl[base + CTL.ERR] = 0;
    } catch {
      ctl[base + CTL.ERR] = 1;
    }
    Atomics.store(ctl, base + CTL.DONE, seq);
    Atomics.notify(ctl, base + CTL.DONE);
  }
}
