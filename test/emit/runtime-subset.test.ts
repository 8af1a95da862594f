/**
 * The runtime a model embeds is the part it calls (compiler/emit/runtime.ts): the kernels it
 * imports, ABI_VERSION, the matmul part kernels for threads, and only the static data that code points into. Checked: models embedding the subset
 * give the same bits as the same models linked with the full runtime (one thread and two);
 * each math kernel alone in a subset (its tables kept, the others dropped) gives the full
 * runtime's bits on many inputs; a subset of every kernel exports them all; the loader still
 * refuses a runtime of another ABI version.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import '../../session/node/threads.js';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { host } from '../../compiler/host.js';
import { runtimeFor } from '../../compiler/emit/runtime.js';
import {
  RUNTIME_ABI_VERSION,
  RUNTIME_KERNELS,
  RUNTIME_PART_KERNELS,
  RUNTIME_RESERVED_BYTES,
  RuntimeLinkError,
  createSharedMemory,
  embeddedRuntime,
  instantiateRuntimeSync,
} from '../../runtime-as/abi.js';
import { Tensor } from '../../session/tensor.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { SPLIT } from '../../session/wasm/threads.js';
import { repoPath } from '../helpers.js';
import { vectorMapper } from '../runtime/harness.js';

// Every split-worthy call wakes the workers (threads.ts SPLIT.wakeMacs): the split counts of two
// sessions compare whether or not a worker slept in between.
SPLIT.wakeMacs = 0;
SPLIT.wakeElems = 0;

const full = host().runtimeWasm();
const params = (k: string): readonly string[] => RUNTIME_KERNELS[k as keyof typeof RUNTIME_KERNELS].params;

/** A program calling many kernels: matmuls (f32, f64, batched, fused epilogue), inverse, softmax, cross-entropy, argmax, math, random. */
const MANY = `
set_random_seed(3)
X = placeholder(f32, shape=[None, 4], name="X")
D = placeholder(f64, shape=[None, 4], name="D")
labels = placeholder(i32, shape=[None], name="labels")
W = variable(random_normal([4, 3], seed=1), name="W")
V = variable(truncated_normal([4, 4], dtype=f64, seed=2), name="V")
U = variable(random_uniform([4, 3], seed=5), name="U")
h = relu(matmul(X, W) + 0.5)
logits = matmul(X, U) + h
p = softmax(logits, name="p")
lp = log_softmax(logits, name="lp")
xe = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits), name="xe")
am = argmax(logits, 1, name="am")
inv = matrix_inverse(matmul(V, V, transpose_a=True) + constant([[4.0, 0.0, 0.0, 0.0], [0.0, 4.0, 0.0, 0.0], [0.0, 0.0, 4.0, 0.0], [0.0, 0.0, 0.0, 4.0]], dtype=f64), name="inv")
dm = matmul(D, inv, name="dm")
b3 = matmul(reshape(X, [-1, 2, 2]), reshape(X, [-1, 2, 2]), name="b3")
m32 = exp(X) + log(abs(X) + 1.0) + sin(X) + cos(X) + tanh(X) + sigmoid(X) + pow(abs(X) + 1.0, 1.5)
m64 = exp(D) + log(abs(D) + 1.0) + sin(D) + cos(D) + tanh(D) + sigmoid(D) + pow(abs(D) + 1.0, 1.5)
r = random_normal([3], seed=9) + random_uniform([3], seed=10)
signature all(X, D, labels) -> [p, lp, xe, am, dm, b3, m32, m64, r, inv]
`;

const feeds = (n: number): Record<string, Tensor> => {
  const x = Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i * 1.7) * 2);
  const d = Float64Array.from({ length: n * 4 }, (_, i) => Math.cos(i * 0.9) * 3);
  return {
    'X:0': new Tensor('f32', [n, 4], x),
    'D:0': new Tensor('f64', [n, 4], d),
    'labels:0': new Tensor(
      'i32',
      [n],
      Int32Array.from({ length: n }, (_, i) => i % 3),
    ),
  };
};

const bits = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(bits)
    : v instanceof Tensor
      ? { dtype: v.dtype, shape: v.shape, bytes: Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength).toString('hex') }
      : v;

/** The fetches of signature `sig` (as bits) and how many calls the session split across threads. */
function runAll(wasm: Uint8Array, runtime: Uint8Array | undefined, threads: number, sig: string, fd: Record<string, Tensor>): { out: unknown; split: number } {
  const model = loadModelSync(wasm as Uint8Array<ArrayBuffer>, { ...(runtime ? { runtime: runtime as Uint8Array<ArrayBuffer> } : {}), threads });
  const s = model.createSession({ seed: 1 });
  try {
    s.initialize();
    const entry = model.manifest.signatures.find((x) => x.name === sig)!;
    const out = bits(s.run(entry.fetches, fd));
    return { out, split: s.splitCalls };
  } finally {
    s.close();
  }
}

const programs: { what: string; text: string; file: string; sig: string; feeds: Record<string, Tensor> }[] = [
  { what: 'many kernels', text: MANY, file: 'many.tfg', sig: 'all', feeds: feeds(70) },
  {
    what: 'relu_modular forward',
    text: readFileSync(repoPath('samples/relu_modular.tfg'), 'utf8'),
    file: 'relu_modular.tfg',
    sig: 'forward',
    feeds: {
      'X:0': new Tensor(
        'f32',
        [300, 3],
        Float32Array.from({ length: 900 }, (_, i) => Math.sin(i)),
      ),
    },
  },
  {
    what: 'mnist predict',
    text: readFileSync(repoPath('samples/mnist_mlp.tfg'), 'utf8'),
    file: 'mnist_mlp.tfg',
    sig: 'predict',
    feeds: {
      'X:0': new Tensor(
        'f32',
        [64, 784],
        Float32Array.from({ length: 64 * 784 }, (_, i) => (i % 255) / 255),
      ),
    },
  },
];

t.test('a model embedding the runtime it calls gives the bits of the full runtime (1 and 2 threads)', (t) => {
  for (const p of programs) {
    const r = buildProgram(p.text, p.file);
    t.ok(r.ok, p.what);
    const sub = compileProgram(r, { signatures: [p.sig], generic: false });
    const bare = compileProgram(r, { signatures: [p.sig], generic: false, embedRuntime: false });
    const embedded = new Uint8Array(embeddedRuntime(new WebAssembly.Module(sub.wasm as Uint8Array<ArrayBuffer>))!);
    t.ok(embedded.length < full.length, `${p.what}: embeds ${embedded.length} of the runtime's ${full.length} bytes`);
    for (const threads of [1, 2]) {
      const want = runAll(bare.wasm, full, threads, p.sig, p.feeds);
      const got = runAll(sub.wasm, undefined, threads, p.sig, p.feeds);
      t.same(got.out, want.out, `${p.what}, ${threads} thread(s): the same bits`);
      // The workers instantiate the embedded subset too: they split the same calls.
      t.equal(got.split, want.split, `${p.what}, ${threads} thread(s): ${got.split} calls split, as with the full runtime`);
    }
    if (p.what === 'mnist predict') t.ok(runAll(sub.wasm, undefined, 2, p.sig, p.feeds).split > 0, 'mnist on 2 threads splits its matmuls');
  }
  t.end();
});

t.test('each math kernel alone in a subset (its tables kept) gives the full runtime’s bits', (t) => {
  const mem = (): WebAssembly.Memory => createSharedMemory(2, 2);
  const ref = instantiateRuntimeSync(full, mem()) as unknown as Record<string, (...a: number[]) => number>;
  const xs: number[] = [0, -0, 1, -1, 0.5, 2, 3.14159, 100, -100, 1e-300, 1e300, 7e-45, 88.7, -745, 710, NaN, Infinity, -Infinity];
  for (let i = 0; i < 300; i++) xs.push(Math.sin(i * 12.9898) * 10 ** ((i % 13) - 6));
  const math = Object.keys(RUNTIME_KERNELS).filter((k) => k.startsWith('math_') && !params(k).includes('v128'));
  for (const k of math) {
    const alone = runtimeFor(full, [k]);
    const rt = instantiateRuntimeSync(alone, mem()) as unknown as Record<string, (...a: number[]) => number>;
    const two = RUNTIME_KERNELS[k as keyof typeof RUNTIME_KERNELS].params.length === 2;
    let same = true;
    for (const x of xs) {
      const a = two ? rt[k]!(x, 1.3) : rt[k]!(x);
      const b = two ? ref[k]!(x, 1.3) : ref[k]!(x);
      if (!Object.is(a, b)) same = false;
    }
    t.ok(same, `${k}: the same bits alone (${alone.length} bytes)`);
  }
  t.end();
});

t.test('each vector math kernel alone in a subset (its constants kept) gives the full runtime’s bits', async (t) => {
  // v128 → v128 (JavaScript cannot call them): mapped over a buffer by a small wasm module.
  const vector = Object.keys(RUNTIME_KERNELS).filter((k) => k.startsWith('math_') && params(k).includes('v128'));
  t.ok(vector.length >= 4, vector.join(', '));
  const xs: number[] = [0, -0, 1, -1, 0.5, 2, 3.14159, 100, -100, 1e-10, 88.7, -745, 710, 705, NaN, Infinity, -Infinity];
  for (let i = 0; i < 300; i++) xs.push(Math.sin(i * 12.9898) * 10 ** ((i % 5) - 2));
  const run = async (bytes: Uint8Array, k: string): Promise<Uint8Array> => {
    const memory = createSharedMemory(4, 4);
    const rt = instantiateRuntimeSync(bytes as Uint8Array<ArrayBuffer>, memory);
    const map = await vectorMapper(memory, rt, [k]);
    const f32 = k.endsWith('f32x4');
    const src = RUNTIME_RESERVED_BYTES;
    const dst = src + xs.length * 8;
    (f32 ? new Float32Array(memory.buffer, src, xs.length) : new Float64Array(memory.buffer, src, xs.length)).set(xs);
    map(0, src, dst, Math.floor(xs.length / (f32 ? 4 : 2)));
    return new Uint8Array(memory.buffer, dst, xs.length * (f32 ? 4 : 8)).slice();
  };
  for (const k of vector) {
    const alone = runtimeFor(full, [k]);
    t.same(await run(alone, k), await run(full, k), `${k}: the same bits alone (${alone.length} bytes)`);
    // Their constant tables are followed by zero padding (runtime-as/assembly/math.ts EXP_K), so
    // that musl's log/pow tables (math_log_f32 alone: ~4.8 KB) are not kept beside them.
    t.ok(alone.length < 4096, `${k}: no log/pow table kept beside its constants (${alone.length} bytes)`);
  }
});

t.test('a subset of every kernel exports every kernel; a subset of none carries no table', (t) => {
  const all = runtimeFor(full, Object.keys(RUNTIME_KERNELS));
  const names = WebAssembly.Module.exports(new WebAssembly.Module(all as Uint8Array<ArrayBuffer>)).map((e) => e.name);
  for (const k of [...Object.keys(RUNTIME_KERNELS), ...Object.keys(RUNTIME_PART_KERNELS), 'ABI_VERSION']) t.ok(names.includes(k), k);
  const none = runtimeFor(full, []);
  t.ok(none.length < 200, `ABI_VERSION alone: ${none.length} bytes`);
  t.end();
});

t.test('the loader checks the ABI of an embedded subset', (t) => {
  const r = buildProgram(readFileSync(repoPath('samples/relu_modular.tfg'), 'utf8'), 'relu_modular.tfg');
  const sub = compileProgram(r, { signatures: ['forward'], generic: false });
  const rt = new Uint8Array(embeddedRuntime(new WebAssembly.Module(sub.wasm as Uint8Array<ArrayBuffer>))!);
  const exp = instantiateRuntimeSync(rt, createSharedMemory(2, 2)) as unknown as { ABI_VERSION: WebAssembly.Global };
  t.ok(exp.ABI_VERSION instanceof WebAssembly.Global, 'ABI_VERSION kept');
  t.end();
});

t.test('a module compiled for another runtime ABI is refused, not run (its reserved scratch may be too small: ABI 5 grew the f32 matmul scratch)', (t) => {
  const r = buildProgram(readFileSync(repoPath('samples/relu_modular.tfg'), 'utf8'), 'relu_modular.tfg');
  const c = compileProgram(r, { signatures: ['forward'], generic: false, embedRuntime: false });
  const runtime = full;
  t.ok(loadModelSync(c.wasm as Uint8Array<ArrayBuffer>, { runtime }), 'this ABI loads');
  const old = { ...(c.manifest as object), runtimeAbiVersion: RUNTIME_ABI_VERSION - 1 };
  let err: unknown = null;
  try {
    loadModelSync(c.wasm as Uint8Array<ArrayBuffer>, { runtime, manifest: old as never });
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof RuntimeLinkError, 'a RuntimeLinkError');
  t.match((err as Error | null)?.message, `model built for runtime ABI ${RUNTIME_ABI_VERSION - 1}, loader has ${RUNTIME_ABI_VERSION}`);
  t.end();
});

/** Bytes after gzip at level 9 (what `gzip -9` gives, within a few header bytes). */
const gzipped = (b: Uint8Array): number => gzipSync(b, { level: 9 }).length;

t.test('deployable module sizes (issue 8 targets, docs/deploy.md): relu_modular forward ≤ 10 KB, MNIST predict ≤ 50 KB gzipped', (t) => {
  const relu = buildProgram(readFileSync(repoPath('samples/relu_modular.tfg'), 'utf8'), 'relu_modular.tfg');
  const forward = compileProgram(relu, { signatures: ['forward'], generic: false }).wasm as Uint8Array;
  t.ok(gzipped(forward) <= 10240, `relu_modular forward, runtime embedded, random initializer entry: ${gzipped(forward)} bytes gzipped`);
  const rt = new Uint8Array(embeddedRuntime(new WebAssembly.Module(forward as Uint8Array<ArrayBuffer>))!);
  const names = WebAssembly.Module.exports(new WebAssembly.Module(rt as Uint8Array<ArrayBuffer>)).map((e) => e.name);
  t.same(
    names.filter((n) => n.startsWith('math_')),
    [],
    'no transcendental in the embedded runtime (normals are drawn by the loader with fdlibm; matmul reaches no exp table)',
  );
  const mnist = buildProgram(readFileSync(repoPath('samples/mnist_mlp.tfg'), 'utf8'), 'mnist_mlp.tfg');
  const predict = compileProgram(mnist, { signatures: ['predict'], generic: false }).wasm as Uint8Array;
  t.ok(gzipped(predict) <= 50 * 1024, `MNIST predict, no weights, runtime embedded: ${gzipped(predict)} bytes gzipped`);
  t.end();
});
