/**
 * @fileoverview Runs hostile cases for hostile.test.ts inside a worker thread (so the test can
 * cap the heap with `resourceLimits` and the wall time with `terminate()`): for each message
 * `{file, limits}`, `tfg check`'s `runCheck` in-process with output captured; it replies with the
 * exit code, the output and the heap in use afterwards. One worker serves many cases (its start-up
 * is paid once); the test starts a new one after a case that had to be stopped.
 */
import { parentPort } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { runCheck } from '../../cli/check.js';
import { memoryIo } from '../../cli/io.js';
import type { Limits } from '../../compiler/diagnostics/limits.js';

parentPort!.on('message', ({ file, limits }: { file: string; limits: Partial<Limits> }) => {
  const io = memoryIo();
  const code = runCheck(file, io, limits);
  const heap = getHeapStatistics();
  parentPort!.postMessage({ code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n'), heapMb: heap.used_heap_size / 2 ** 20 });
});
