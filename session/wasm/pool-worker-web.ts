/**
 * @fileoverview Entry of a pool worker in a browser (a module Web Worker started by threads.ts's
 * web host): the first message is its WorkerInit; then it runs workerMain, which blocks in
 * Atomics.wait between commands (allowed in workers).
 */
import { type WorkerInit, workerMain } from './pool-worker.js';

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<WorkerInit>) => void) | null };
scope.onmessage = (e: MessageEvent<WorkerInit>) => {
  scope.onmessage = null;
  workerMain(e.data);
};
