/**
 * @fileoverview The body of a pool worker (threads.ts): instantiate the runtime on the session's
 * shared memory, and the generated module on it too (its split kernels' part functions; the
 * memory has no data segments, so a second instance writes nothing), say ready, then loop
 * forever: wait for a command in the control block (the main thread bumps the worker's sequence
 * word and notifies), call the runtime kernel or part function it names with its i32 arguments,
 * publish completion. Browser-safe, no imports from Node; the entry files
 * are pool-worker-web.ts (a Web Worker) and session/node/pool-worker.ts (worker_threads).
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
  /** Polls of the sequence word before blocking in Atomics.wait (lower wake-up latency). */
  spin: number;
}

/** Run a pool worker; returns when told to exit. */
export function workerMain(init: WorkerInit): void {
  const { ctl, spin } = init;
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
  const args: number[] = [];
  for (;;) {
    let n = spin;
    while (n-- > 0 && Atomics.load(ctl, base + CTL.SEQ) === seq);
    while (Atomics.load(ctl, base + CTL.SEQ) === seq) Atomics.wait(ctl, base + CTL.SEQ, seq);
    seq = Atomics.load(ctl, base + CTL.SEQ);
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
