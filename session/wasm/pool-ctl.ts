/**
 * @fileoverview The control block shared by a session's pool (threads.ts) and its workers
 * (pool-worker.ts): one slot of Int32Array words per worker. Its own module, so that the
 * loader never imports a worker's entry (whose code sets the worker's onmessage).
 */
/** Layout of each worker's slot in the control block (Int32Array words). */
export const CTL = {
  /** Words per worker. */
  STRIDE: 32,
  /** Sequence number of the last command posted (bumped by the main thread). */
  SEQ: 0,
  /** Sequence number of the last command finished (set by the worker). */
  DONE: 1,
  /** 0 starting, 1 ready, 2 failed to start. */
  STATE: 2,
  /** Non-zero when the last command threw (the main thread raises it). */
  ERR: 3,
  /** Index of the kernel in `WorkerInit.kernels`, or PART + id for a generated kernel's part; -1 = exit. */
  FN: 4,
  /** Number of arguments that follow. */
  NARGS: 5,
  /**
   * Who runs the command posted as SEQ: whoever moves this word from SEQ − 1 to SEQ (a
   * compare-exchange) — the worker when it picks the command up, or the posting thread, which
   * takes back a part no worker has started once its own part is done (threads.ts ThreadPool.run).
   */
  CLAIM: 6,
  /** Up to 24 arguments (ASLEEP follows them). */
  ARGS: 7,
  /**
   * 1 while the worker blocks in Atomics.wait for its next command (waking it costs the poster a
   * futex wake). The slot's last word, so that a worker of the previous layout (no ASLEEP: a
   * stale cached pool-worker-web.js) still reads its arguments where they are, and is never
   * thought asleep.
   */
  ASLEEP: 31,
  /** FN of a generated kernel's part function `tfg_part_<id>(B, lo, hi)` is PART + id. */
  PART: 1 << 16,
} as const;
