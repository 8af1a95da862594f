/**
 * @fileoverview The page side of threads-browser.test.ts (served as an ES module from dist/ to
 * headless Chromium on a cross-origin isolated page): load a model with the loader's browser
 * entry at `threads` threads (Web Workers on a shared memory) and optionally fast math, wait for
 * the workers, run the steps, return raw bytes (test/browser/page.ts's format) plus what ran.
 */
import { Tensor, loadModel } from '../../session/index.js';
import { type RawTensor, type RunStep, fromBase64, rawTensor } from '../browser/page.js';

export interface ThreadedOutput {
  out: (RawTensor | null)[][];
  threads: number;
  ready: number;
  splitCalls: number;
  note: string | null;
  fastMath: boolean;
  fastMathNote: string | null;
  isolated: boolean;
}

function decode(r: RawTensor): Tensor {
  const buf = fromBase64(r.b64).buffer as ArrayBuffer;
  const data =
    r.dtype === 'f32' ? new Float32Array(buf) : r.dtype === 'f64' ? new Float64Array(buf) : r.dtype === 'i32' ? new Int32Array(buf) : new Uint8Array(buf);
  return new Tensor(r.dtype, r.shape, data);
}

export async function runThreaded(wasmUrl: string, steps: readonly RunStep[], threads: number, relaxedUrl: string | null): Promise<ThreadedOutput> {
  const model = await loadModel(wasmUrl, { threads, ...(relaxedUrl ? { fastMath: true, relaxedRuntime: relaxedUrl } : {}) });
  const sess = model.createSession();
  try {
    const ready = await sess.threadsReady();
    const out = steps.map((step) => {
      const feeds: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(step.feeds)) feeds[k] = decode(v);
      return (sess.run(step.fetches, feeds) as (Tensor | null)[]).map((x) => (x === null ? null : rawTensor(x)));
    });
    return {
      out,
      threads: sess.threads,
      ready,
      splitCalls: sess.splitCalls,
      note: sess.threadNote ?? null,
      fastMath: model.loadedAs.fastMath,
      fastMathNote: model.loadedAs.fastMathNote ?? null,
      isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    };
  } finally {
    sess.close();
  }
}
