/**
 * @fileoverview ONNX Runtime Web as a benchmark peer (not a test): a minimal ONNX model writer
 * (the protobuf wire format of the few ModelProto fields a small f32 graph needs: nodes,
 * initializers, typed inputs/outputs with symbolic dims, opset 17) and `loadOrt`, which loads
 * `onnxruntime-web` from node_modules with its wasm execution provider and its `.wasm` file read
 * from the package's dist/ folder (no network), at a given thread count.
 *
 * ORT's wasm EP is one engine per process: `ort.env.wasm.numThreads` is read when the first
 * session initialises the backend, so a benchmark that compares 1 and 2 ORT threads runs each in
 * its own child process (bench/ort-worker.ts). In Node, ORT's multi-threaded build runs its
 * pthreads on worker_threads.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

// ---- protobuf wire format ----

type Field = Uint8Array;

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const fInt = (field: number, v: number): Field => new Uint8Array([...varint(field << 3), ...varint(v)]);
const fBytes = (field: number, bytes: Uint8Array): Field => concat([new Uint8Array([...varint((field << 3) | 2), ...varint(bytes.length)]), bytes]);
const fStr = (field: number, s: string): Field => fBytes(field, new TextEncoder().encode(s));
const fMsg = (field: number, parts: readonly Field[]): Field => fBytes(field, concat(parts));
const fFloat = (field: number, v: number): Field => {
  const b = new Uint8Array(5);
  b[0] = (field << 3) | 5;
  new DataView(b.buffer).setFloat32(1, v, true);
  return b;
};

// ---- ONNX messages (onnx.proto field numbers) ----

const FLOAT = 1;

export type Dim = number | string;

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, number | number[] | { f: number }>;
}

export interface OnnxGraph {
  inputs: { name: string; dims: Dim[] }[];
  outputs: { name: string; dims: Dim[] }[];
  initializers?: { name: string; dims: number[]; data: Float32Array }[];
  nodes: OnnxNode[];
}

function valueInfo(name: string, dims: Dim[]): Field[] {
  const shape = dims.map((d) => fMsg(1, [typeof d === 'number' ? fInt(1, d) : fStr(2, d)]));
  const tensorType = fMsg(1, [fInt(1, FLOAT), fMsg(2, shape)]);
  return [fStr(1, name), fMsg(2, [tensorType])];
}

function attribute(name: string, v: number | number[] | { f: number }): Field[] {
  if (Array.isArray(v)) return [fStr(1, name), fInt(20, 7), ...v.map((x) => fInt(8, x))]; // INTS
  if (typeof v === 'object') return [fStr(1, name), fInt(20, 1), fFloat(2, v.f)]; // FLOAT
  return [fStr(1, name), fInt(20, 2), fInt(3, v)]; // INT
}

/** Serialise a graph as an ONNX ModelProto (IR version 8, default opset 17). */
export function onnxModel(g: OnnxGraph): Uint8Array {
  const nodes = g.nodes.map((n, i) =>
    fMsg(1, [
      ...n.inputs.map((x) => fStr(1, x)),
      ...n.outputs.map((x) => fStr(2, x)),
      fStr(3, `n${i}`),
      fStr(4, n.op),
      ...Object.entries(n.attrs ?? {}).map(([k, v]) => fMsg(5, attribute(k, v))),
    ]),
  );
  const inits = (g.initializers ?? []).map((t) =>
    fMsg(5, [
      ...t.dims.map((d) => fInt(1, d)),
      fInt(2, FLOAT),
      fStr(8, t.name),
      fBytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
    ]),
  );
  const graph = fMsg(7, [
    ...nodes,
    fStr(2, 'g'),
    ...inits,
    ...g.inputs.map((x) => fMsg(11, valueInfo(x.name, x.dims))),
    ...g.outputs.map((x) => fMsg(12, valueInfo(x.name, x.dims))),
  ]);
  return concat([fInt(1, 8), fStr(2, 'tfg-bench'), graph, fMsg(8, [fStr(1, ''), fInt(2, 17)])]);
}

// ---- the runtime ----

export type Ort = typeof import('onnxruntime-web');

/** onnxruntime-web with the wasm EP at `threads` threads, its .wasm from node_modules. */
export async function loadOrt(threads: number): Promise<Ort> {
  const ort = (await import('onnxruntime-web')) as Ort;
  const require = createRequire(import.meta.url);
  // The package exports no package.json; its Node entry lives in dist/, beside the .wasm files.
  const dist = dirname(require.resolve('onnxruntime-web')) + '/';
  ort.env.wasm.wasmPaths = dist;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
  return ort;
}

/** An ORT session on the wasm EP, graph optimisations on (ORT's default, fusing MatMul+Add into Gemm etc.). */
export async function ortSession(ort: Ort, model: Uint8Array): Promise<import('onnxruntime-web').InferenceSession> {
  return ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
}
