/**
 * @fileoverview Entry of a pool worker in Node (worker_threads, started by session/node.ts's
 * thread host): its WorkerInit is the workerData.
 */
import { workerData } from 'node:worker_threads';
import { type WorkerInit, workerMain } from '../wasm/pool-worker.js';

workerMain(workerData as WorkerInit);
