/**
 * @fileoverview Threads (session/wasm/threads.ts) and fast math (session/wasm/fast-math.ts).
 *
 * - Bit-identical for any thread count: every sample (every graph, its signatures and train
 *   steps, three steps when they write variables) and a set of matmul / softmax / cross-entropy
 *   graphs chosen to hit the split's edges (M not a multiple of 4, the small-M path, batched,
 *   transposes, K over several slices, bias + activation epilogues, f32 and f64) run at 1, 2 and
 *   3 threads with the split thresholds at 1 (so even small products split); every fetch and
 *   every variable must have the same bits, the threaded runs must have split calls, and the
 *   3-thread results must agree with the reference Session within the tolerance of helpers.ts.
 * - Fallback: with no worker host the session runs on one thread and says why.
 * - Fast math: in this process (Node 20 without --experimental-wasm-relaxed-simd) the probe
 *   fails and the load falls back to the exact runtime with a note (asserted); one child Node
 *   process with the flag runs the relaxed runtime for real (threads-fastmath.child.ts) and
 *   its results are checked against the reference within the stated tolerance.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { compileGraph } from '../../compiler/driver.js';
import type { BuildResult, Signature } from '../../compiler/frontend/index.js';
import { buildProgram } from '../../compiler/frontend/index.js';
import { checkRecipe, recipeSignatures } from '../../compiler/frontend/recipe.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { Operation } from '../../compiler/ir/graph.js';
import { withoutHooks } from '../../session/node/threads.js';
import { Tensor } from '../../session/tensor.js';
import { relaxedSimdSupported } from '../../session/wasm/fast-math.js';
import type { WasmSession } from '../../session/wasm/model.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { POOL, SPLIT, type ThreadHost, ThreadPool, setThreadHost, threadHost } from '../../session/wasm/threads.js';
import { CTL } from '../../session/wasm/pool-ctl.js';
import { readRuntimeWasm } from '../../runtime-as/node.js';
import {
  createSharedMemory,
  instantiateRuntimeSync,
  matmulF32KSlices,
  matmulF32ScratchBytes,
  matmulF64ScratchBytes,
  matmulSmallPath,
} from '../../runtime-as/abi.js';
import { buildSample } from '../samples/helpers.js';
import { runRun } from '../../cli/run.js';
import { loadOptionsFrom } from '../../cli/perf.js';
import { compareTensors, rng } from './helpers.js';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../helpers.js';

// tfg run keeps its compiles in a cache folder: this file's own, not the user's.
process.env.TFG_CACHE_DIR = mkdtempSync(join(tmpdir(), 'tfg-cache-'));

const THREADS = [1, 2, 3];
SPLIT.minMacs = 1;
SPLIT.minSoftmax = 1;
SPLIT.minElems = 1;
// Every call wakes sleeping workers, so which calls split does not depend on timing (the policy
// that leaves them asleep for small calls has its own test below).
SPLIT.wakeMacs = 0;
SPLIT.wakeElems = 0;

function sameBits(a: unknown, b: unknown): string | null {
  if (a === null || b === null) return a === b ? null : 'null vs tensor';
  const x = a as Tensor,
    y = b as Tensor;
  if (x.dtype !== y.dtype || x.shape.join() !== y.shape.join()) return `dtype/shape ${x.dtype}[${x.shape}] vs ${y.dtype}[${y.shape}]`;
  for (let i = 0; i < x.data.length; i++) if (!Object.is(x.data[i], y.data[i])) return `element ${i}: ${x.data[i]} vs ${y.data[i]}`;
  return null;
}

function feedsFor(sig: Signature, seed: number, batch: number): Record<string, Tensor> {
  const r = rng(seed);
  const out: Record<string, Tensor> = {};
  for (const n of sig.feeds) {
    const shape = (n.shape ?? [null]).map((d) => d ?? batch);
    const v = Tensor.zeros(n.dtype!, shape);
    for (let i = 0; i < v.size; i++) v.data[i] = n.dtype === 'i32' ? Math.floor(r() * 2) : n.dtype === 'bool' ? (r() < 0.5 ? 1 : 0) : r() * 2 - 1;
    out[`${n.name}:0`] = v;
  }
  return out;
}

function sessions(wasm: Uint8Array, seed: number): WasmSession[] {
  return THREADS.map((threads) => loadModelSync(wasm as Uint8Array<ArrayBuffer>, { threads }).createSession({ seed }));
}

/** Run the same calls on every session; outputs must have the same bits; returns the last session's outputs. */
function runAll(t: TapTest, ss: WasmSession[], what: string, fetches: string[], feeds?: Record<string, Tensor>): unknown[] {
  const outs = ss.map((s) => s.run(fetches, feeds) as unknown[]);
  for (let k = 1; k < ss.length; k++) {
    outs[k].forEach((o, i) => {
      const d = sameBits(o, outs[0][i]);
      if (d !== null) t.fail(`${what}: ${fetches[i]} at ${THREADS[k]} threads differs from 1 thread: ${d}`);
    });
  }
  t.pass(`${what}: same bits at ${THREADS.join(', ')} threads`);
  return outs[outs.length - 1];
}

type TapTest = import('tap').Test;

function sigsOf(r: BuildResult, g: Graph, file: string): Signature[] {
  const sigs = r.signatures.filter((s) => s.graph === g);
  for (const recipe of r.trainRecipes.filter((x) => x.graph === g)) {
    const checked = checkRecipe(r, recipe);
    if (!checked.plan) throw new Error(`${file}: recipe does not check`);
    sigs.push(...recipeSignatures(g, checked.plan));
  }
  return sigs;
}

function flat(f: unknown, out: string[] = []): string[] {
  if (typeof f === 'string') out.push(f);
  else if (Array.isArray(f)) f.forEach((x) => flat(x, out));
  else if (f && typeof f === 'object' && 'op' in f) out.push((f as { op: string }).op);
  else (f as { dict: [string, unknown][] }).dict.forEach(([, v]) => flat(v, out));
  return out;
}

t.test('samples: the same bits at 1, 2 and 3 threads, and the reference within tolerance', (t) => {
  const files = readdirSync(repoPath('samples'))
    .filter((f) => f.endsWith('.tfg'))
    .sort();
  let split = 0;
  for (const file of files) {
    const r = buildSample(`samples/${file}`);
    for (const g of [r.defaultGraph, ...r.graphs.values()]) {
      if (g.nodes.length === 0) continue;
      const sigs = sigsOf(r, g, file);
      const c = compileGraph(g, sigs);
      const ss = sessions(c.wasm, 11);
      t.same(
        ss.map((s) => s.threads),
        THREADS,
        `${file}: sessions at ${THREADS.join(', ')} threads`,
      );
      const ref = new ReferenceSession(g, { seed: 11 });
      const init = r.lookup('init', g === r.defaultGraph ? undefined : g.name);
      const inits = init instanceof Operation ? [init.node.name] : [...g.variables.values()].map((v) => v.initializer.name);
      for (const i of inits) {
        ref.run(i);
        runAll(t, ss, `${file} ${i}`, [i]);
      }
      sigs.forEach((sig, si) => {
        const names = flat(ss[0].manifest.signatures[si].fetches);
        const writes = ss[0].manifest.plans[ss[0].manifest.signatures[si].plan].varWrites.length > 0;
        for (let step = 0; step < (writes ? 3 : 1); step++) {
          const feeds = feedsFor(sig, 1000 * si + step, 13);
          const got = runAll(t, ss, `${file} ${sig.name} run ${step}`, names, feeds);
          const want = ref.run(names, feeds) as unknown[];
          want.forEach((w, i) => {
            const m = compareTensors(got[i] as Tensor | null, w as Tensor | null);
            if (m !== null) t.fail(`${file} ${sig.name}: ${names[i]} vs the reference: ${m}`);
          });
        }
      });
      for (const v of ss[0].variableNames()) {
        if (!ss[0].isInitialized(v)) continue;
        const vs = ss.map((s) => s.readVariable(v));
        for (let k = 1; k < vs.length; k++) t.equal(sameBits(vs[k], vs[0]), null, `${file}: variable ${v} at ${THREADS[k]} threads`);
      }
      split += ss[1].splitCalls + ss[2].splitCalls;
      t.equal(ss[0].splitCalls, 0, `${file}: one thread never splits`);
      ss.forEach((s) => s.close());
    }
  }
  t.ok(split > 50, `threaded sessions split ${split} calls`);
  t.end();
});

/** Matmul, softmax and cross-entropy shapes at the split's edges. */
const KERNELS = `
def mm(name, dt, m, n, k, ta, tb) {
  a = placeholder(dt, shape=(k, m) if ta else (m, k), name=name + "_a")
  b = placeholder(dt, shape=(n, k) if tb else (k, n), name=name + "_b")
  bias = placeholder(dt, shape=(n), name=name + "_bias")
  p = matmul(a, b, transpose_a=ta, transpose_b=tb, name=name + "_p")
  r = relu(p + bias, name=name + "_relu")
  s = sigmoid(matmul(a, b, transpose_a=ta, transpose_b=tb) + bias, name=name + "_sig")
  return p
}
mm("m1", float32, 1, 33, 700, False, False)
mm("m1t", float32, 1, 50, 70, False, True)
mm("m1a", float32, 1, 40, 130, True, False)
mm("m1w", float32, 1, 300, 784, False, False)
mm("m3", float32, 3, 9, 40, False, True)
mm("m7", float32, 7, 8, 5, True, True)
mm("m37", float32, 37, 33, 1030, False, False)
mm("m130", float32, 130, 17, 513, True, False)
mm("m128", float32, 128, 20, 600, True, False)
mm("m12", float32, 12, 300, 784, False, True)
mm("m301", float32, 301, 9, 64, False, True)
mm("d37", float64, 37, 33, 300, False, False)
mm("d130", float64, 130, 5, 70, True, True)
mm("d3", float64, 3, 5, 70, False, False)
ba = placeholder(float32, shape=(5, 3, 40), name="ba")
bb = placeholder(float32, shape=(5, 40, 9), name="bb")
bp = matmul(ba, bb, name="bp")
ca = placeholder(float32, shape=(3, 21, 40), name="ca")
cb = placeholder(float32, shape=(3, 40, 9), name="cb")
cp = matmul(ca, cb, name="cp")
lg = placeholder(float32, shape=(None, 13), name="lg")
lab = placeholder(int32, shape=(None), name="lab")
sm = softmax(lg, name="sm")
lsm = log_softmax(lg, name="lsm")
xe = sparse_softmax_cross_entropy_with_logits(labels=lab, logits=lg, name="xe")
g64 = placeholder(float64, shape=(None, 7), name="g64")
sm64 = softmax(g64, name="sm64")
`;

t.test('matmul, softmax, cross-entropy at the split edges: same bits at 1, 2, 3 threads', (t) => {
  const r = buildProgram(KERNELS, 'kernels.tfg');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  const g = r.defaultGraph;
  const c = compileGraph(g, []);
  const ss = sessions(c.wasm, 5);
  const ref = new ReferenceSession(g);
  const rnd = rng(7);
  const feeds: Record<string, Tensor> = {};
  const fetches: string[] = [];
  for (const n of g.nodes) {
    if (n.op === 'placeholder') {
      const shape = (n.shape ?? [null]).map((d) => d ?? 29);
      const v = Tensor.zeros(n.dtype!, shape);
      for (let i = 0; i < v.size; i++) v.data[i] = n.dtype === 'i32' ? Math.floor(rnd() * 13) : rnd() * 2 - 1;
      feeds[`${n.name}:0`] = v;
    } else if (/^(m|d)\d+_(p|relu|sig)$|^(bp|cp|sm|lsm|sm64)$|^xe/.test(n.name) && n.dtype !== null) fetches.push(`${n.name}:0`);
  }
  t.ok(fetches.length >= 30, `${fetches.length} fetches`);
  const got = runAll(t, ss, 'kernels', fetches, feeds);
  const want = ref.run(fetches, feeds) as unknown[];
  want.forEach((w, i) => t.equal(compareTensors(got[i] as Tensor, w as Tensor), null, `${fetches[i]} vs the reference`));
  t.ok(ss[2].splitCalls >= 12, `3 threads split ${ss[2].splitCalls} calls`);
  // A label out of range: the same error at every thread count (the whole kernel reports it).
  const bad = {
    ...feeds,
    'lab:0': new Tensor(
      'i32',
      [29],
      Int32Array.from({ length: 29 }, (_, i) => (i === 17 ? 13 : 1)),
    ),
  };
  // (The wasm generic path does not raise this error today — a known defect outside threads,
  // reported separately; here the outcome must only be the same at every thread count.)
  const errs = ss.map((s) => {
    try {
      return `no error: ${Array.from((s.run('xe/xe:0', bad) as Tensor).data).join(',')}`;
    } catch (e) {
      return `${(e as Error).name}: ${(e as Error).message}`;
    }
  });
  t.same(errs, [errs[0], errs[0], errs[0]], 'the same outcome at 1, 2, 3 threads');
  ss.forEach((s) => s.close());
  t.end();
});

/**
 * Generated loop and reduce kernels at the split's edges: flat f32 chains whose length is not a
 * multiple of 4 (the vector loop's tail is in the last part), f64 (2 lanes) and i32 chains,
 * broadcasts (a multi-dim nest split over its outer dim), reductions over the last axis and the
 * first (split over kept rows / columns only), mean / max / min, sizes in B; full reductions
 * to one value in segments (1 segment below 32768 elements, 3 at batch 7, 16 at batch 30);
 * kernels with a failure check (integer division, argmax) run whole.
 */
const LOOPS = `
x = placeholder(float32, shape=(4099), name="x")
y = placeholder(float32, shape=(4099), name="y")
c8 = reduce_sum(tanh(sigmoid(exp(-abs(x * y + 0.5)) * 3.0 - y) * x + 1.0) / (1.0 + abs(y)), name="c8")
e8 = tanh(sigmoid(exp(-abs(x * y + 0.5)) * 3.0 - y) * x + 1.0) / (1.0 + abs(y))
e8o = identity(e8, name="e8o")
r = placeholder(float32, shape=(None, 1531), name="r")
row = placeholder(float32, shape=(1531), name="row")
rb = relu(r * row - 0.25, name="rb")
rs = reduce_sum(rb * rb, axis=1, name="rs")
rm = reduce_mean(r, axis=0, name="rm")
rmax = reduce_max(r * 2.0, axis=1, keepdims=True, name="rmax")
rmin = reduce_min(r, axis=0, name="rmin")
am = argmax(r, axis=1, name="am")
d = placeholder(float64, shape=(None, 2049), name="d")
dd = sqrt(abs(d * d - 0.5) + 1e-3, name="dd")
ds = reduce_sum(dd, axis=1, name="ds")
i = placeholder(int32, shape=(None, 1025), name="i")
ii = identity(i * 3 + 7 - abs(i), name="ii")
iq = floordiv(i, 3, name="iq")
big = placeholder(float32, shape=(None, 9001), name="big")
bs = reduce_sum(sqrt(abs(big) + 1.0), name="bs")
bm = reduce_mean(big * big, name="bm")
bx = reduce_max(big, name="bx")
bn = reduce_min(big, name="bn")
bi = placeholder(int32, shape=(None, 9001), name="bi")
bis = reduce_sum(bi * 3, name="bis")
bd = placeholder(float64, shape=(None, 9001), name="bd")
bdm = reduce_mean(bd * 2.0, name="bdm")
`;

t.test('generated loop and reduce kernels at the split edges: same bits at 1, 2, 3 threads', async (t) => {
  const r = buildProgram(LOOPS, 'loops.tfg');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  const g = r.defaultGraph;
  const c = compileGraph(g, []);
  const ss = sessions(c.wasm, 5);
  // The split counts below need the workers running: under a loaded machine (two suites on two
  // cores) a pool could still be starting through all three batches and split nothing.
  await Promise.all(ss.map((s) => s.threadsReady()));
  const ref = new ReferenceSession(g);
  const rnd = rng(9);
  const fetches = [
    'c8:0',
    'e8o:0',
    'rb:0',
    'rs:0',
    'rm:0',
    'rmax:0',
    'rmin:0',
    'am:0',
    'dd:0',
    'ds:0',
    'ii:0',
    'iq:0',
    'bs:0',
    'bm:0',
    'bx:0',
    'bn:0',
    'bis:0',
    'bdm:0',
  ];
  for (const batch of [1, 7, 30]) {
    const feeds: Record<string, Tensor> = {};
    for (const n of g.nodes) {
      if (n.op !== 'placeholder') continue;
      const shape = (n.shape ?? [null]).map((d) => d ?? batch);
      const v = Tensor.zeros(n.dtype!, shape);
      for (let k = 0; k < v.size; k++) v.data[k] = n.dtype === 'i32' ? Math.floor(rnd() * 200) - 100 : rnd() * 4 - 2;
      feeds[`${n.name}:0`] = v;
    }
    const before = ss.map((s) => s.splitCalls);
    const got = runAll(t, ss, `loops at batch ${batch}`, fetches, feeds);
    const want = ref.run(fetches, feeds) as unknown[];
    want.forEach((w, k) => t.equal(compareTensors(got[k] as Tensor, w as Tensor), null, `batch ${batch}: ${fetches[k]} vs the reference`));
    t.equal(ss[0].splitCalls, before[0], 'one thread never splits');
    t.ok(ss[2].splitCalls - before[2] >= 6, `batch ${batch}: 3 threads split ${ss[2].splitCalls - before[2]} calls`);
  }
  ss.forEach((s) => s.close());
  t.end();
});

t.test('runtime matmul_*_part: any split into row ranges gives the bits of the whole product', (t) => {
  const memory = createSharedMemory(256);
  const rt = instantiateRuntimeSync(readRuntimeWasm(), memory);
  const r = rng(21);
  let cases = 0;
  for (const f64 of [false, true]) {
    const es = f64 ? 8 : 4;
    for (const [batch, M, N, K] of [
      [1, 37, 33, 1030],
      // more than 128 rows and K ≤ 1024: one K slice (runtime wideSlice), whatever rows a part has
      [1, 130, 9, 513],
      [1, 260, 12, 1000],
      [1, 1100, 20, 784],
      // more than 128 rows and K > 1024: slices of ≤ 512 (368 + 368 + 364), folded in f64
      [1, 260, 12, 1100],
      [3, 21, 17, 40],
      [4, 3, 20, 70],
      [1, 9, 5, 7],
      [2, 64, 8, 600],
    ]) {
      for (const [ta, tb] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ]) {
        const small = M <= (tb ? 8 : 4) && (M === 1 || !ta);
        const a = 65536,
          b = a + batch * M * K * es + 64,
          bias = b + batch * K * N * es + 64,
          c1 = bias + N * es + 64,
          c2 = c1 + batch * M * N * es + 64;
        const sc = c2 + batch * M * N * es + 64,
          sc2 = sc + (f64 ? matmulF64ScratchBytes(M, N, K) : matmulF32ScratchBytes(M, N, K)) + 64;
        const view = f64 ? new Float64Array(memory.buffer) : new Float32Array(memory.buffer);
        for (let i = a / es; i < c1 / es; i++) view[i] = r() * 2 - 1;
        const act = Math.floor(r() * 4);
        (f64 ? rt.matmul_f64_batched_ep : rt.matmul_f32_batched_ep)(a, b, c1, batch, M, N, K, ta, tb, sc, M * K, K * N, bias, act);
        const R = batch * M,
          unit = small ? M : 4;
        const cut = Math.min(R, Math.max(unit, Math.floor((r() * R) / unit) * unit));
        const part = f64 ? rt.matmul_f64_part! : rt.matmul_f32_part!;
        part(a, b, c2, batch, M, N, K, ta, tb, sc, M * K, K * N, bias, act, 0, cut);
        part(a, b, c2, batch, M, N, K, ta, tb, sc2, M * K, K * N, bias, act, cut, R);
        const x = new Uint8Array(memory.buffer, c1, R * N * es),
          y = new Uint8Array(memory.buffer, c2, R * N * es);
        t.ok(
          x.every((v, i) => v === y[i]),
          `${f64 ? 'f64' : 'f32'} ${batch}×[${M},${N},${K}] ta=${ta} tb=${tb} act=${act} split at row ${cut} of ${R}`,
        );
        cases++;
      }
    }
  }
  t.equal(cases, 72);
  t.end();
});

t.test('runtime matmul_f32_cols: any split of a one-row product into column ranges gives the bits of the whole product', (t) => {
  const memory = createSharedMemory(256);
  const rt = instantiateRuntimeSync(readRuntimeWasm(), memory);
  const cols = rt.matmul_f32_cols!;
  t.type(cols, 'function');
  const r = rng(23);
  let cases = 0;
  for (const [N, K] of [
    [1, 5],
    [15, 64],
    [16, 65],
    [33, 700],
    [100, 300],
    [300, 784],
    [47, 1],
    [40, 0],
    [260, 130],
  ]) {
    for (const [ta, tb] of [
      [0, 0],
      [1, 0],
      [0, 1],
    ]) {
      const a = 65536,
        b = a + K * 4 + 64,
        bias = b + K * N * 4 + 64,
        c1 = bias + N * 4 + 64,
        c2 = c1 + N * 4 + 64,
        sc = c2 + N * 4 + 64,
        sc2 = sc + matmulF32ScratchBytes(1, N, K) + 64;
      const view = new Float32Array(memory.buffer);
      for (let i = a / 4; i < c1 / 4; i++) view[i] = r() * 2 - 1;
      view.fill(NaN, c2 / 4, c2 / 4 + N);
      const act = Math.floor(r() * 4),
        withBias = r() < 0.7 ? bias : 0;
      rt.matmul_f32_ep(a, b, c1, 1, N, K, ta, tb, sc, withBias, act);
      // Two or three ranges at random cuts (not only multiples of 16), in a shuffled order, each with its own scratch.
      const cuts = [0, Math.floor(r() * (N + 1)), Math.floor(r() * (N + 1)), N].sort((x, y) => x - y);
      const order = [0, 1, 2].sort(() => r() - 0.5);
      for (const i of order) cols(a, b, c2, N, K, tb, i % 2 ? sc2 : sc, withBias, act, cuts[i], cuts[i + 1]);
      const x = new Uint8Array(memory.buffer, c1, N * 4),
        y = new Uint8Array(memory.buffer, c2, N * 4);
      t.ok(
        x.every((v, i) => v === y[i]),
        `[1,${N},${K}] ta=${ta} tb=${tb} act=${act} bias=${withBias !== 0} split at columns ${cuts.join(',')}`,
      );
      cases++;
    }
  }
  t.equal(cases, 27);
  t.end();
});

t.test(
  'runtime matmul_f32_kslice + kfold: the K slices of a product, computed in any grouping of slices and rows and folded by any rows, give the bits of the whole product',
  (t) => {
    const memory = createSharedMemory(512);
    const rt = instantiateRuntimeSync(readRuntimeWasm(), memory);
    const kslice = rt.matmul_f32_kslice!,
      kfold = rt.matmul_f32_kfold!;
    t.type(kslice, 'function');
    t.type(kfold, 'function');
    const r = rng(29);
    let cases = 0;
    for (const [M, N, K] of [
      [50, 300, 784],
      [5, 7, 513],
      [13, 33, 1030],
      [64, 8, 1600],
      [9, 257, 2048],
      [100, 10, 520],
      [6, 1, 3000],
    ]) {
      const S = matmulF32KSlices(M, K);
      t.ok(S > 1, `K = ${K} sums in ${S} slices`);
      for (const [ta, tb] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ]) {
        if (matmulSmallPath(M, ta === 1, tb === 1)) continue;
        const a = 65536,
          b = a + M * K * 4 + 64,
          bias = b + K * N * 4 + 64,
          c1 = bias + N * 4 + 64,
          c2 = c1 + M * N * 4 + 64,
          parts = c2 + M * N * 4 + 64,
          sc = parts + S * M * N * 4 + 64,
          sc2 = sc + matmulF32ScratchBytes(M, N, K) + 64;
        const view = new Float32Array(memory.buffer);
        // Wide magnitudes, so that the f64 fold of the slices is not the f32 sum of them.
        for (let i = a / 4; i < c1 / 4; i++) view[i] = (r() * 2 - 1) * 2 ** Math.floor(r() * 12 - 6);
        view.fill(NaN, c2 / 4, c2 / 4 + M * N);
        const act = Math.floor(r() * 4),
          withBias = r() < 0.7 ? bias : 0;
        rt.matmul_f32_ep(a, b, c1, M, N, K, ta, tb, sc, withBias, act);
        // The slices in two groups at a random cut, the first group's rows in two ranges at a
        // random cut (not only a multiple of 4), each part with its own scratch, in shuffled order.
        const cut = Math.floor(r() * (S + 1)),
          rcut = Math.floor(r() * (M + 1));
        const groups = [
          [0, cut, 0, rcut],
          [0, cut, rcut, M],
          [cut, S, 0, M],
        ].sort(() => r() - 0.5);
        groups.forEach(([s0, s1, q0, q1], i) => kslice(a, b, parts, M, N, K, ta, tb, i % 2 ? sc2 : sc, s0!, s1!, q0!, q1!));
        // Folded in row ranges at random cuts (not only multiples of 4).
        const rc = [0, Math.floor(r() * (M + 1)), Math.floor(r() * (M + 1)), M].sort((x, y) => x - y);
        for (let i = 2; i >= 0; i--) kfold(parts, c2, M, N, K, withBias, act, rc[i]!, rc[i + 1]!);
        const x = new Uint8Array(memory.buffer, c1, M * N * 4),
          y = new Uint8Array(memory.buffer, c2, M * N * 4);
        t.ok(
          x.every((v, i) => v === y[i]),
          `[${M},${N},${K}] ta=${ta} tb=${tb} act=${act} bias=${withBias !== 0}: slices:rows ${groups.map(([s0, s1, q0, q1]) => `${s0}-${s1}:${q0}-${q1}`).join(', ')}, folded rows ${rc.join(',')}`,
        );
        cases++;
      }
    }
    t.equal(cases, 26); // 7 shapes × 4 transposes, less the 2 on the small-M path
    t.end();
  },
);

t.test('a part no worker picks up is taken back and run by the calling thread', (t) => {
  // A worker host whose workers say they are ready and then never run a command (asleep for good).
  const stalled: ThreadHost = {
    canBlock: true,
    cores: 3,
    spawn(init) {
      Atomics.store(init.ctl, init.index * CTL.STRIDE + CTL.STATE, 1);
      return { terminate() {} };
    },
  };
  const memory = createSharedMemory(1);
  const pool = new ThreadPool(stalled, new WebAssembly.Module(readRuntimeWasm() as Uint8Array<ArrayBuffer>), memory, 2);
  t.equal(pool.participants(), 3);
  for (let call = 1; call <= 3; call++) {
    const ran: number[] = [];
    pool.run('softmax_f32', [[10 * call], [10 * call + 1], [10 * call + 2]], (p) => void ran.push(p[0]));
    t.same(ran, [10 * call, 10 * call + 1, 10 * call + 2], `call ${call}: every part ran here, the caller's first`);
    t.equal(pool.takenBack, 2 * call);
    // Each part was claimed exactly once: the claim word of each slot is at the slot's sequence number.
    for (let w = 0; w < 2; w++) t.equal(Atomics.load(pool.ctl, w * CTL.STRIDE + CTL.CLAIM), call);
  }
  pool.terminate();
  t.end();
});

t.test('workers that sleep between calls (no polling): parts taken back or run by them, the same bits', (t) => {
  const spin = POOL.workerSpinUs;
  POOL.workerSpinUs = 0;
  try {
    const r = buildProgram(KERNELS, 'kernels.tfg');
    const g = r.defaultGraph;
    const c = compileGraph(g, []);
    const [one, two] = [1, 2].map((threads) => loadModelSync(c.wasm as Uint8Array<ArrayBuffer>, { threads }).createSession({ seed: 5 }));
    const rnd = rng(9);
    const feeds: Record<string, Tensor> = {};
    for (const n of g.nodes)
      if (n.op === 'placeholder') {
        const v = Tensor.zeros(
          n.dtype!,
          (n.shape ?? [null]).map((d) => d ?? 29),
        );
        for (let i = 0; i < v.size; i++) v.data[i] = n.dtype === 'i32' ? Math.floor(rnd() * 13) : rnd() * 2 - 1;
        feeds[`${n.name}:0`] = v;
      }
    const fetches = ['m1w_relu:0', 'm1t_p:0', 'm37_relu:0', 'bp:0', 'sm:0'];
    const want = one.run(fetches, feeds) as Tensor[];
    let bad = 0;
    for (let i = 0; i < 40; i++) {
      const got = two.run(fetches, feeds) as Tensor[];
      got.forEach((x, k) => {
        if (sameBits(x, want[k]) !== null) bad++;
      });
    }
    t.equal(bad, 0, `40 runs at 2 threads: ${two.splitCalls} calls split, all with the bits of 1 thread`);
    // A one-row product alone (m1w_p: 1×784 · 784×300, no epilogue kernel) is split, by columns.
    const before = two.splitCalls;
    t.equal(sameBits(two.run('m1w_p:0', feeds), one.run('m1w_p:0', feeds)), null, 'm1w_p: the bits of 1 thread');
    t.equal(two.splitCalls - before, 1, 'the one-row product was split (by columns)');
    // A product with few rows and a long K (m37_p: 37×1030 · 1030×33) is split by K: its slices, then their fold (two calls).
    const beforeK = two.splitCalls;
    t.equal(sameBits(two.run('m37_p:0', feeds), one.run('m37_p:0', feeds)), null, 'm37_p: the bits of 1 thread');
    t.equal(two.splitCalls - beforeK, 2, 'the 37-row product with K = 1030 was split by K slices, then folded');
    one.close();
    two.close();
  } finally {
    POOL.workerSpinUs = spin;
  }
  t.end();
});

t.test('small calls leave a sleeping worker asleep unless they come in a row; a large call wakes it; the same bits', (t) => {
  const saved = { spin: POOL.workerSpinUs, ...SPLIT };
  POOL.workerSpinUs = 0; // a worker blocks in Atomics.wait as soon as it has finished a command
  try {
    // y: 1×784 · 784×300, 235,200 multiply-adds, split by columns; z: 8×784 · 784×300, 1,881,600
    // multiply-adds (below 2^21), split by K slices (K = 784 > 512 at 8 rows).
    const src = [
      'x = placeholder(f32, shape=[1, 784], name="x")',
      'x8 = placeholder(f32, shape=[8, 784], name="x8")',
      'w = placeholder(f32, shape=[784, 300], name="w")',
      'y = matmul(x, w, name="y")',
      'z = matmul(x8, w, name="z")',
      '',
    ].join('\n');
    const r = buildProgram(src, 'small.tfg');
    const c = compileGraph(r.defaultGraph, []);
    const [one, two] = [1, 2].map((threads) => loadModelSync(c.wasm as Uint8Array<ArrayBuffer>, { threads }).createSession());
    const rnd = rng(4);
    const feeds = {
      'x:0': new Tensor(
        'f32',
        [1, 784],
        Float32Array.from({ length: 784 }, () => rnd() * 2 - 1),
      ),
      'x8:0': new Tensor(
        'f32',
        [8, 784],
        Float32Array.from({ length: 8 * 784 }, () => rnd() * 2 - 1),
      ),
      'w:0': new Tensor(
        'f32',
        [784, 300],
        Float32Array.from({ length: 784 * 300 }, () => rnd() * 2 - 1),
      ),
    };
    const want = { y: one.run('y:0', feeds), z: one.run('z:0', feeds) };
    SPLIT.wakeMacs = 0;
    t.equal(sameBits(two.run('y:0', feeds), want.y), null, 'first call (starts the worker): the bits of 1 thread');
    const ctl = (two as unknown as { pool: { ctl: Int32Array } }).pool.ctl;
    const tick = new Int32Array(new SharedArrayBuffer(4));
    const asleep = (): boolean => {
      for (let i = 0; i < 2000 && Atomics.load(ctl, CTL.ASLEEP) !== 1; i++) Atomics.wait(tick, 0, 0, 1);
      return Atomics.load(ctl, CTL.ASLEEP) === 1;
    };
    const step = (what: string, out: 'y' | 'z', o: { macs: number; window: number; after: number }, splits: number, left: number): void => {
      Object.assign(SPLIT, { wakeMacs: o.macs, wakeWindowMs: o.window, wakeAfter: o.after });
      t.ok(asleep(), `${what}: the worker sleeps`);
      const [s0, a0] = [two.splitCalls, two.leftAsleep];
      t.equal(sameBits(two.run(`${out}:0`, feeds), want[out]), null, `${what}: the bits of 1 thread`);
      t.equal(two.splitCalls - s0, splits, `${what}: ${splits} split calls`);
      t.equal(two.leftAsleep - a0, left, `${what}: ${left ? 'the worker left asleep' : 'the worker woken'}`);
    };
    const small = { macs: 1 << 21, window: 0, after: 4 };
    step('one-row product, small, none just before', 'y', small, 0, 1);
    step('K-split product, small, none just before', 'z', small, 0, 1); // one participants() per product
    step('one-row product, small, second in a row (wakeAfter 3)', 'y', { ...small, window: 1e9, after: 3 }, 0, 1);
    step('one-row product, small, third in a row (wakeAfter 3)', 'y', { ...small, window: 1e9, after: 3 }, 1, 0);
    step('K-split product, large', 'z', { ...small, macs: 1 << 20 }, 2, 0); // its slices, then their fold
    one.close();
    two.close();
  } finally {
    POOL.workerSpinUs = saved.spin;
    Object.assign(SPLIT, saved);
  }
  t.end();
});

t.test('no worker host: one thread, with a note', (t) => {
  const host = threadHost();
  setThreadHost(null);
  try {
    const r = buildProgram('x = placeholder(float32, shape=(2, 2), name="x")\ny = matmul(x, x, name="y")\n', 'x.tfg');
    const c = compileGraph(r.defaultGraph, []);
    const m = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>, { threads: 2 });
    t.equal(m.loadedAs.threads, 1);
    t.match(m.loadedAs.threadNote, /running on one thread: threads need Web Workers and SharedArrayBuffer/);
    const s = m.createSession();
    t.equal(s.threads, 1);
    t.match(s.threadNote, /one thread/);
    t.same(
      (
        s.run('y:0', {
          'x:0': [
            [1, 2],
            [3, 4],
          ],
        }) as Tensor
      ).toNested(),
      [
        [7, 10],
        [15, 22],
      ],
    );
    t.equal(
      loadModelSync(c.wasm as Uint8Array<ArrayBuffer>).loadedAs.threadNote,
      undefined,
      'the default (no explicit threads) falls back silently... with the note only on request',
    );
  } finally {
    setThreadHost(host);
  }
  t.throws(() => loadModelSync(new Uint8Array(0), { threads: 0 }), /threads must be a positive integer|WebAssembly/);
  t.end();
});

t.test('fast math: without relaxed SIMD the exact runtime runs, with a note', (t) => {
  const r = buildProgram(
    'x = placeholder(float32, shape=(None, 64), name="x")\nw = placeholder(float32, shape=(64, 64), name="w")\ny = matmul(x, w, name="y")\n',
    'x.tfg',
  );
  const c = compileGraph(r.defaultGraph, []);
  const m = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>, { fastMath: true, relaxedRuntime: readRuntimeWasm('relaxed') });
  if (relaxedSimdSupported()) {
    t.equal(m.loadedAs.fastMath, true, 'this engine has relaxed SIMD: fast math on');
  } else {
    t.equal(m.loadedAs.fastMath, false, 'no relaxed SIMD in this engine: fast math off');
    t.match(m.loadedAs.fastMathNote, /no relaxed SIMD .*--experimental-wasm-relaxed-simd/);
  }
  t.equal(loadModelSync(c.wasm as Uint8Array<ArrayBuffer>).loadedAs.fastMath, false, 'default: exact');
  t.end();
});

t.test("pool workers' NODE_OPTIONS: the module hooks and preloads dropped, the other options kept", (t) => {
  const cases: [string, string][] = [
    ['"--import=file:///work/a b/hook.mjs" --max-old-space-size=100', '--max-old-space-size=100'],
    ['--require dotenv/config --no-warnings', '--no-warnings'],
    ['-r ./a.cjs --enable-source-maps --loader tsx --experimental-loader=x.mjs', '--enable-source-maps'],
    ['--import tsx', ''],
    ['--no-warnings "--title=a b"', '--no-warnings "--title=a b"'],
    ['', ''],
  ];
  for (const [given, kept] of cases) t.equal(withoutHooks(given), kept, given || '(empty)');
  t.end();
});

t.test('fast math for real: a Node process with --experimental-wasm-relaxed-simd', (t) => {
  const child = fileURLToPath(new URL('./threads-fastmath.child.js', import.meta.url));
  // With a module hook that throws in any other thread, on the command line and in NODE_OPTIONS:
  // pool workers start without the parent's hooks (and still with V8's relaxed-SIMD flag).
  const hook = new URL('./threads-hook.child.js', import.meta.url).href;
  const p = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', `--import=${hook}`, child], {
    encoding: 'utf8',
    timeout: 240000,
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} "--import=${hook}"`.trim() },
  });
  t.equal(p.status, 0, `child exits 0 (stderr: ${p.stderr.slice(0, 2000)})`);
  const res = JSON.parse(p.stdout.trim().split('\n').pop() ?? '{}') as {
    supported: boolean;
    fastMath: boolean[];
    failures: string[];
    checked: number;
    maxRel: number;
    relaxedMadd: number;
    loopsSameBits: boolean;
    ready: number;
    loopSplits: number;
  };
  t.equal(res.supported, true, 'the probe validates with the flag');
  t.ok(res.relaxedMadd >= 4, `generated loops compiled with fastMath use f32x4.relaxed_madd (${res.relaxedMadd} sites)`);
  t.equal(res.ready, 2, "the 2-thread session's worker started: without the parent's module hooks, with V8's relaxed-SIMD flag");
  t.ok(res.loopSplits >= 6, `fast-math generated loops: ${res.loopSplits} calls split at 2 threads`);
  t.equal(res.loopsSameBits, true, 'fast-math generated loops: the same bits at 1 and 2 threads');
  t.same(res.fastMath, [true, true], 'fast math on at 1 and 2 threads');
  t.same(res.failures, [], 'every fast-math result within the tolerance of the reference');
  t.ok(res.checked > 1000, `${res.checked} values checked, max relative difference ${res.maxRel}`);
  t.end();
});

t.test('tfg run --threads N: the same output at 1 and 3 threads; the options map to LoadOptions', (t) => {
  t.same(loadOptionsFrom({ threads: 3 }), { threads: 3 });
  t.same(loadOptionsFrom({}), {});
  const outs = [1, 3].map((threads) => {
    const out: string[] = [],
      err: string[] = [];
    const io = { out: (x: string) => void out.push(x), err: (x: string) => void err.push(x), color: false } as unknown as Parameters<typeof runRun>[2];
    const code = runRun(
      repoPath('samples/relu_modular.tfg'),
      { fetch: ['output'], feed: ['X=[[1,2,3],[4,5,6],[7,8,9],[1,0,1],[2,2,2],[3,1,2],[0,0,1],[5,5,5],[1,2,1]]'], threads } as Parameters<typeof runRun>[1],
      io,
    );
    t.equal(code, 0, `exit 0 at ${threads} threads (${err.join(' ')})`);
    t.same(
      err.filter((e) => /note:/.test(e)),
      [],
      'no thread note',
    );
    return out.join('\n');
  });
  t.equal(outs[1], outs[0], 'same printed values');
  t.end();
});
