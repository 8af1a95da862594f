/**
 * @fileoverview A module hook for threads.test.ts's fast-math child, given with `--import` both
 * on its command line and in NODE_OPTIONS: it throws in any thread but the main one, so a pool
 * worker that took the parent's hooks (session/node/threads.ts workerOptions) fails to start and
 * the 2-thread session reports 1 ready thread.
 */
import { isMainThread } from 'node:worker_threads';

if (!isMainThread) throw new Error('threads-hook.child: a module hook of the parent ran in a pool worker');
