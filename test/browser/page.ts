/**
 * @fileoverview The code the browser test runs on BOTH sides: in headless Chromium (served as an
 * ES module from dist/, importing the loader's browser entry `session/index.js` by relative path)
 * and in Node (imported by the test). Input: the compiled `.wasm` bytes, optionally the manifest,
 * and a list of runs (fetch names + feeds as raw little-endian bytes in base64). Output: every
 * fetched tensor's dtype, shape and raw bytes in base64, so the test compares bit for bit.
 * No Node built-ins here (base64 through atob/btoa, which Node 20 also has).
 */
import { type Manifest, Tensor, loadModel } from '../../session/index.js';
import type { DType } from '../../session/dtype.js';

/** A tensor as plain data: dtype, shape, raw element bytes in base64. */
export interface RawTensor {
  dtype: DType;
  shape: number[];
  b64: string;
}

/** One `Session.run`: fetch names (tensors `x:0` or operations `x`) and feeds by tensor name. */
export interface RunStep {
  fetches: string[];
  feeds: Record<string, RawTensor>;
}

/** Per step, per fetch: the tensor, or null for an operation. */
export type RunOutput = (RawTensor | null)[][];

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Raw bytes of a tensor's data (a copy, so the view's buffer offset does not matter). */
export function rawTensor(t: Tensor): RawTensor {
  const d = t.data;
  return { dtype: t.dtype, shape: [...t.shape], b64: toBase64(new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice()) };
}

function decode(r: RawTensor): Tensor {
  const bytes = fromBase64(r.b64);
  const buf = bytes.buffer as ArrayBuffer;
  const data = r.dtype === 'f32' ? new Float32Array(buf) : r.dtype === 'f64' ? new Float64Array(buf) : r.dtype === 'i32' ? new Int32Array(buf) : bytes;
  return new Tensor(r.dtype, r.shape, data);
}

/** Load the model with the loader's browser entry, open one session, run the steps in order. */
export async function runSteps(wasm: Uint8Array, manifest: Manifest | undefined, steps: readonly RunStep[]): Promise<RunOutput> {
  const model = await loadModel(wasm as Uint8Array<ArrayBuffer>, manifest ? { manifest } : {});
  const sess = model.createSession();
  try {
    return steps.map((step) => {
      const feeds: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(step.feeds)) feeds[k] = decode(v);
      const got = sess.run(step.fetches, feeds) as (Tensor | null)[];
      return got.map((x) => (x === null ? null : rawTensor(x)));
    });
  } finally {
    sess.close();
  }
}

/** Browser side: fetch the module (and the manifest when a URL is given) from the page's server. */
export async function runFromUrls(wasmUrl: string, manifestUrl: string | null, steps: readonly RunStep[]): Promise<RunOutput> {
  const res = await fetch(wasmUrl);
  if (!res.ok) throw new Error(`GET ${wasmUrl}: ${res.status}`);
  const wasm = new Uint8Array(await res.arrayBuffer());
  let manifest: Manifest | undefined;
  if (manifestUrl !== null) {
    const m = await fetch(manifestUrl);
    if (!m.ok) throw new Error(`GET ${manifestUrl}: ${m.status}`);
    manifest = (await m.json()) as Manifest;
  }
  return runSteps(wasm, manifest, steps);
}
