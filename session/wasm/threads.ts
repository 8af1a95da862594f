/**
 * @fileoverview Threads: a session with `threads: n > 1` runs on a shared WebAssembly.Memory
 * with a pool of n − 1 workers, each running its own instance of the runtime on that memory
 * (pool-worker.ts). The generated module is unchanged: its calls to the heavy runtime kernels
 * (matmul in every form — forward, and the gradient matmuls of a fused train step —, softmax,
 * log_softmax and both cross-entropies) go through the wrappers made here, which split a large
 * call into row ranges (a one-row matmul into column ranges), post one range to each worker
 * through a control block in a SharedArrayBuffer (Atomics.notify), run the first range on the
 * calling thread, and wait for the
 * others (Atomics.wait where the thread may block — Node's main thread, a browser worker —, a
 * spin on Atomics.load on a browser page's main thread, which may not block), taking back and
 * running itself any part a worker has not started by then.
 *
 * Bit-identical for any thread count: only outputs are split (rows of C, rows of a softmax),
 * never a reduction; every element is computed by the same code with the same blocking as in
 * the whole call (runtime-as matmul_*_part: the K slices and the small-M path are chosen by
 * the whole product). A call below the size thresholds, or with no worker ready, runs whole.
 *
 * Where threads cannot run (no worker host: `tfg/loader` in Node without `tfg/node`, a page
 * without cross-origin isolation, no SharedArrayBuffer), the session runs on one thread and
 * says why in `session.threadNote`. Browser-safe; the Node host is registered by session/node.ts.
 */
import { InternalError } from '../errors.js';
import {
  type RuntimeExports,
  matmulF32KSlices,
  matmulF32ScratchBytes,
  matmulF64ScratchBytes,
  matmulSmallPath,
  runtimePredatesThreads,
} from '../../runtime-as/abi.js';
import { CTL } from './pool-ctl.js';
import type { WorkerInit } from './pool-worker.js';

/** How workers are started where the session runs. */
export interface ThreadHost {
  /** Start a worker running workerMain(init). */
  spawn(init: WorkerInit): { terminate(): void };
  /** Whether this thread may block in Atomics.wait (not a browser page's main thread). */
  readonly canBlock: boolean;
  /** Cores available to this process (the default thread count is these, at most MAX_DEFAULT_THREADS). */
  readonly cores: number;
}

/** The default thread count is the available cores, at most this. */
export const MAX_DEFAULT_THREADS = 4;

/**
 * Split thresholds, measured on the 2-core machine of docs/benchmarks.md (a dispatch to a
 * worker and back costs ~5-20 µs): a matmul of fewer multiply-adds, or a softmax of fewer
 * elements, runs whole on the calling thread. (Mutable for tests, which set them to 1 so that
 * small graphs split too.)
 */
export const SPLIT = {
  minMacs: 1 << 17,
  minSoftmax: 1 << 14,
  /**
   * A generated loop or reduce kernel (compiler/codegen/kernels.ts emitSplitKernel) of fewer
   * elements runs whole: `node dist/bench/threads.js --sweep` (docs/benchmarks.md "Split threshold")
   * measured a split's fixed cost (the worker's wake-up) at ~260 µs under load 9 and the 8-op
   * chain at ~0.5 ns per element. Since idle workers poll for their next command (POOL), a
   * dispatch on a quiet machine costs far less than a wake-up, and 2^17 elements (Adam's update
   * of the MNIST MLP's first layer, 235,200 elements, now splits) gave the best train step:
   * `node dist/bench/train-ab.js --builds new=dist --rounds 20 --min-elems 131072,65536` at load
   * 1.2: 2T/1T 1.16× at 2^18, 1.39× at 2^17, 1.37× at 2^16 (docs/benchmarks.md). Under heavy
   * load no size gains. Since a part no worker has started is taken back, and since the update
   * of a variable whose gradient product was split by rows reads the other thread's rows from
   * its cache when it runs whole, 2^14 (the second layer's update, 30,000 elements, splits, each
   * thread updating the rows of the gradient it computed): `--rounds 24 --min-elems
   * 131072,32768,16384` 1.256 / 1.256 / 1.208 ms per step, and 1.174 / 1.153 in a second run.
   */
  minElems: 1 << 14,
  /**
   * An f32 product of at most this many rows whose K the runtime sums in several slices (K >
   * 512) splits by K slices (runtime-as matmul_f32_kslice / matmul_f32_kfold), not by rows: a
   * split by rows has every thread read and pack all of B, and at a train step's batch of 50 B
   * is the first layer's weights, which the optimizer's update (split by rows of the variable,
   * that is by K) writes a part of on each thread: read by the other thread, each such part
   * crosses between the cores' caches every step. For inference alone (a 784×300 dense layer
   * at 2 threads, interleaved) the K split is 7, 3, 5, 4, 1 and 0% faster than the row split at
   * 16, 32, 50, 64, 96 and 128 rows. (Mutable for tests and benchmarks.)
   */
  kSplitMaxRows: 128,
  /**
   * A call below these sizes (multiply-adds of a product; elements of a generated kernel or a
   * softmax) is "small": it is not worth waking a worker that sleeps in Atomics.wait. Waking one
   * costs the posting thread a futex wake (15–30 µs on the 2-vCPU VM, `Atomics.notify` timed
   * alone) and the worker as long again before it starts, about the time of the whole call: a
   * batch-1 dense layer (784×300, 235,200 multiply-adds) takes ~17 µs on one thread. So a small
   * call runs on the workers that are awake (polling after a recent command) and leaves the
   * sleeping ones asleep, unless small calls come often (the wakeAfter-th in a row, each within
   * wakeWindowMs of the one before: a loop of inferences, not the two or three small layers of
   * one): then it wakes them, and the calls after it find them polling. With a 3 ms pause before
   * each batch-1 run of the MNIST MLP (one inference per event), 2 threads took 148–159 µs median
   * with this and 207–221 µs waking the worker each time (1 thread: 136–150 µs); back to back,
   * 35–37 µs either way. (Mutable for tests and benchmarks; 0 and 0: every call wakes the
   * workers, as before.)
   */
  wakeMacs: 1 << 21,
  wakeElems: 1 << 18,
  /** Small calls this close together (ms) count as a row; the wakeAfter-th in a row wakes sleeping workers. */
  wakeWindowMs: 2,
  wakeAfter: 4,
};
/** Polls of a worker's done word before the blocking main thread waits in Atomics.wait. */
const SPIN = 20000;
/**
 * How long a worker polls for its next command before it blocks (pool-worker.ts spinUs): longer
 * than the gaps between the splits of one train step and between steps of a training loop
 * (unsplit kernels, Session.run's feeds and fetches), so a step pays no wake-up after its first.
 * Read when a pool starts its workers (mutable for benchmarks).
 */
export const POOL = { workerSpinUs: 1000 };

let registered: ThreadHost | null = null;

/** Register the worker host (session/node.ts registers worker_threads). */
export function setThreadHost(host: ThreadHost | null): void {
  registered = host;
}

/** URL of the Web Worker entry; the loader bundle ships it beside itself. */
let webWorkerUrl: string | URL | null = null;
export function setWebWorkerUrl(url: string | URL): void {
  webWorkerUrl = url;
}

function webHost(): ThreadHost | null {
  const g = globalThis as unknown as Record<string, unknown> & { navigator?: { hardwareConcurrency?: number } };
  if (typeof g.Worker !== 'function' || g.crossOriginIsolated !== true) return null;
  const WorkerCtor = g.Worker as new (url: string | URL, o: { type: 'module' }) => { postMessage(m: unknown): void; terminate(): void };
  const scope = g.WorkerGlobalScope as (abstract new () => unknown) | undefined;
  const inWorker = typeof scope === 'function' && globalThis instanceof scope;
  return {
    canBlock: inWorker,
    cores: g.navigator?.hardwareConcurrency ?? 1,
    spawn(init) {
      const w = new WorkerCtor(webWorkerUrl ?? new URL('./pool-worker-web.js', import.meta.url), { type: 'module' });
      w.postMessage(init);
      return { terminate: () => w.terminate() };
    },
  };
}

/** The worker host available here, or null. */
export function threadHost(): ThreadHost | null {
  return registered ?? webHost();
}

function sharedMemoryWorks(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
    return true;
  } catch {
    return false;
  }
}

/** The kernels a worker can run, by position (the command's FN word). */
export const WORKER_KERNELS = [
  'matmul_f32_part',
  'matmul_f64_part',
  'matmul_f32_cols',
  'softmax_f32',
  'softmax_f64',
  'log_softmax_f32',
  'log_softmax_f64',
  'softmax_xent_f32',
  'softmax_xent_f64',
  'sparse_softmax_xent_f32',
  'sparse_softmax_xent_f64',
  'matmul_f32_kslice',
  'matmul_f32_kfold',
] as const;
type WorkerKernel = (typeof WORKER_KERNELS)[number];
const FN: Record<WorkerKernel, number> = Object.fromEntries(WORKER_KERNELS.map((k, i) => [k, i])) as Record<WorkerKernel, number>;

/** The thread count a load resolves to, and why it is less than asked. */
export interface ThreadChoice {
  threads: number;
  note?: string;
}

let warned = false;

/**
 * Resolve `LoadOptions.threads` (undefined = the default: the available cores, at most
 * MAX_DEFAULT_THREADS) for a runtime module. An explicit request that cannot be met warns once
 * per process; the default falls back silently (the note is on the session either way).
 */
export function chooseThreads(requested: number | undefined, runtime: WebAssembly.Module | null): ThreadChoice {
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) throw new RangeError(`threads must be a positive integer, not ${requested}`);
  const host = threadHost();
  const want = requested ?? Math.max(1, Math.min(host?.cores ?? 1, MAX_DEFAULT_THREADS));
  if (want <= 1) return { threads: 1 };
  let note: string | undefined;
  if (!host) note = 'threads need Web Workers and SharedArrayBuffer (a cross-origin isolated page: COOP/COEP headers) or worker_threads (load with tfg/node)';
  else if (!sharedMemoryWorks()) note = 'threads need a shared WebAssembly.Memory (SharedArrayBuffer), which this engine does not provide';
  else if (runtime && runtimePredatesThreads(WebAssembly.Module.exports(runtime).map((e) => e.name)))
    note = 'the tfg runtime embedded in this model predates threads (recompile it)';
  if (note === undefined) return { threads: want };
  note = `running on one thread: ${note}`;
  if (requested !== undefined && !warned) {
    warned = true;
    console.warn(`tfg: ${note}`);
  }
  return { threads: 1, note };
}

/** The workers of one session (one shared memory). Started lazily, at the first call worth splitting. */
export class ThreadPool {
  readonly ctl: Int32Array;
  private handles: { terminate(): void }[] = [];
  private started = false;
  private seq: number[];
  /** Workers known ready (a prefix of the slots is not guaranteed: kept as a list). */
  private ready: number[] = [];
  private closed = false;
  /** Calls split across threads so far. */
  splitCalls = 0;
  /** Parts posted to a worker that the calling thread ran itself, the worker not having started them. */
  takenBack = 0;
  /** Small calls that left a sleeping worker asleep (participants). */
  leftAsleep = 0;
  /** The workers the next run posts to (participants). */
  private use: number[] = [];
  /** performance.now() of the last small call, and the small calls in a row up to it (each within SPLIT.wakeWindowMs of the one before). */
  private lastSmall = -Infinity;
  private streak = 0;

  constructor(
    private readonly host: ThreadHost,
    private readonly runtime: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    readonly workers: number,
    private readonly model: WebAssembly.Module | null = null,
  ) {
    this.ctl = new Int32Array(new SharedArrayBuffer(Math.max(1, workers) * CTL.STRIDE * 4));
    this.seq = new Array<number>(workers).fill(0);
  }

  /**
   * Threads that take part in the next call (ThreadPool.run posts to the same workers): the
   * caller and every ready worker, except, for a `small` call (SPLIT.wakeMacs, wakeElems), the
   * workers asleep in Atomics.wait, unless it is the SPLIT.wakeAfter-th small call in a row, each
   * within SPLIT.wakeWindowMs of the one before. Call it once per call.
   */
  participants(small = false): number {
    if (this.closed) return 1;
    if (!this.started) this.start();
    if (this.ready.length < this.workers) this.poll();
    this.use = this.ready;
    if (small) {
      const now = performance.now();
      this.streak = now - this.lastSmall < SPLIT.wakeWindowMs ? this.streak + 1 : 1;
      this.lastSmall = now;
      if (this.streak < SPLIT.wakeAfter) {
        const awake = this.ready.filter((w) => Atomics.load(this.ctl, w * CTL.STRIDE + CTL.ASLEEP) === 0);
        if (awake.length < this.ready.length) {
          this.use = awake;
          this.leftAsleep++;
        }
      }
    }
    return 1 + this.use.length;
  }

  private start(): void {
    this.started = true;
    for (let i = 0; i < this.workers; i++) {
      const init: WorkerInit = { runtime: this.runtime, memory: this.memory, ctl: this.ctl, index: i, kernels: [...WORKER_KERNELS], spinUs: POOL.workerSpinUs };
      if (this.model) init.model = this.model;
      this.handles.push(this.host.spawn(init));
    }
    // Where the thread may block (Node), wait for the workers to start (tens of ms, once), so
    // every large call of the session runs on all of them; a page polls and uses those ready.
    if (this.host.canBlock) {
      const deadline = Date.now() + 10000;
      for (let i = 0; i < this.workers; i++) {
        const at = i * CTL.STRIDE + CTL.STATE;
        while (Atomics.load(this.ctl, at) === 0 && Date.now() < deadline) Atomics.wait(this.ctl, at, 0, 50);
      }
    }
    this.poll();
  }

  private poll(): void {
    this.ready = [];
    for (let i = 0; i < this.workers; i++) if (Atomics.load(this.ctl, i * CTL.STRIDE + CTL.STATE) === 1) this.ready.push(i);
    this.use = this.ready;
  }

  /** Resolves when every worker is ready (or failed), with the number of threads a call can use. */
  async whenReady(timeoutMs = 10000): Promise<number> {
    if (!this.started) this.start();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.poll();
      let pending = 0;
      for (let i = 0; i < this.workers; i++) if (Atomics.load(this.ctl, i * CTL.STRIDE + CTL.STATE) === 0) pending++;
      if (pending === 0 || Date.now() > deadline) return 1 + this.ready.length;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * Run `fn` once per argument list: the first on this thread (`self`), the others on ready
   * workers, then wait for all of them. A part its worker has not claimed by the time this thread
   * finished its own (the worker asleep, waking up, or descheduled) is taken back and run here —
   * the same code on the same memory, so the same bits —: a late worker then costs a
   * compare-exchange, not the wait for its wake-up, and a split call is never much slower than
   * the whole one.
   */
  run(fn: WorkerKernel | number, parts: number[][], self: (args: number[]) => void): void {
    const used = Math.min(parts.length - 1, this.use.length);
    const ctl = this.ctl;
    this.splitCalls++;
    for (let t = 0; t < used; t++) {
      const w = this.use[t],
        base = w * CTL.STRIDE,
        args = parts[t + 1];
      ctl[base + CTL.FN] = typeof fn === 'number' ? fn : FN[fn];
      if (args.length > CTL.ASLEEP - CTL.ARGS) throw new InternalError(`a pool command takes at most ${CTL.ASLEEP - CTL.ARGS} arguments, not ${args.length}`);
      ctl[base + CTL.NARGS] = args.length;
      for (let i = 0; i < args.length; i++) ctl[base + CTL.ARGS + i] = args[i];
      this.seq[w]++;
      Atomics.store(ctl, base + CTL.SEQ, this.seq[w]);
      Atomics.notify(ctl, base + CTL.SEQ);
    }
    // Parts beyond the ready workers (none, as the callers size them) run here.
    self(parts[0]);
    for (let t = used + 1; t < parts.length; t++) self(parts[t]);
    let failed = false;
    for (let t = 0; t < used; t++) {
      const w = this.use[t],
        at = w * CTL.STRIDE + CTL.DONE,
        want = this.seq[w];
      if (Atomics.compareExchange(ctl, w * CTL.STRIDE + CTL.CLAIM, want - 1, want) === want - 1) {
        this.takenBack++;
        self(parts[t + 1]);
        continue;
      }
      let d = Atomics.load(ctl, at);
      for (let n = SPIN; d !== want && n > 0; n--) d = Atomics.load(ctl, at);
      if (this.host.canBlock)
        while (d !== want) {
          Atomics.wait(ctl, at, d, 1000);
          d = Atomics.load(ctl, at);
        }
      else while (d !== want) d = Atomics.load(ctl, at);
      if (ctl[w * CTL.STRIDE + CTL.ERR] !== 0) failed = true;
    }
    if (failed)
      throw new InternalError(
        typeof fn === 'number'
          ? `a worker thread failed running part ${fn - CTL.PART} of a generated kernel`
          : `a worker thread failed running the runtime's ${fn}`,
      );
  }

  /** Stop the workers. */
  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    for (let w = 0; w < this.handles.length; w++) {
      const base = w * CTL.STRIDE;
      this.ctl[base + CTL.FN] = -1;
      Atomics.store(this.ctl, base + CTL.SEQ, ++this.seq[w]);
      Atomics.notify(this.ctl, base + CTL.SEQ);
    }
    for (const h of this.handles) h.terminate();
    this.handles = [];
    this.ready = [];
  }
}

/** Boundaries splitting [0, total) into at most `parts` ranges of whole `unit`s (the last takes the rest). */
export function splitRows(total: number, unit: number, parts: number): number[] {
  const units = Math.ceil(total / unit);
  const n = Math.max(1, Math.min(parts, units));
  const b = [0];
  for (let t = 1; t < n; t++) b.push(Math.min(total, Math.round((units * t) / n) * unit));
  b.push(total);
  return b;
}

/** A split kernel's part function: indices [lo, hi) of its outer loop; returns the status flag. */
type PartFn = (B: number, lo: number, hi: number) => number;

/**
 * The generated module's `tfg_host.par(id, B, size, unit, total)`: run split kernel `id`'s
 * outer loop [0, size) as parts of whole `unit`s (its vector width when that loop is the vector
 * loop) on the pool's threads, or whole on this thread below SPLIT.minElems elements or with no
 * pool. `part(id)` is the main instance's `tfg_part_<id>` export.
 */
export function parKernel(pool: ThreadPool | null, part: (id: number) => PartFn): (id: number, B: number, size: number, unit: number, total: number) => void {
  return (id, B, size, unit, total) => {
    const fn = part(id);
    const T = pool && total >= SPLIT.minElems && size >= 2 * unit ? pool.participants(total < SPLIT.wakeElems) : 1;
    if (T < 2) {
      fn(B, 0, size);
      return;
    }
    const bounds = splitRows(size, unit, T);
    const parts = bounds.slice(0, -1).map((lo, t) => [B, lo, bounds[t + 1]]);
    pool!.run(CTL.PART + id, parts, (p) => void fn(p[0], p[1], p[2]));
  };
}

/** Columns per part of a one-row product split by columns (runtime-as matmul_f32_cols). */
const COL_UNIT = 16;
/** The most bytes of partials a K split places above a call's buffers (SPLIT.kSplitMaxRows). */
const KSPLIT_MAX_PARTIAL_BYTES = 16 << 20;

/**
 * The runtime kernels as the generated module imports them, with the splittable ones wrapped.
 * `scratchAbove(bytes)` gives the address of `bytes` bytes of scratch above every buffer of the
 * running call (the workers' matmul scratch; the caller's is the one the module passes).
 */
export function threadedKernels(rt: RuntimeExports, pool: ThreadPool, scratchAbove: (bytes: number) => number, i32: () => Int32Array): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(rt as unknown as Record<string, unknown>) };
  const f32part = rt.matmul_f32_part!,
    f64part = rt.matmul_f64_part!,
    cols = rt.matmul_f32_cols;

  // Matmul scratch for `n` parts: the caller's own for the first (the one the module passed),
  // `bytes` (+ 16 for alignment) above every buffer of the running call for each other.
  const partScratch = (own: number, bytes: number, n: number): number[] => {
    const S = bytes + 16,
      ws = scratchAbove(S * (n - 1));
    return Array.from({ length: n }, (_, t) => (t === 0 ? own : ws + (t - 1) * S));
  };

  // A one-row f32 product (a dense layer at batch 1) has no rows to share: split its columns, in
  // whole units of COL_UNIT (a cache line of C and of each row of B per part).
  const matmulCols = (T: number, a: number, b: number, c: number, N: number, K: number, tb: number, scratch: number, bias: number, act: number): void => {
    const bounds = splitRows(N, COL_UNIT, T);
    const sc = partScratch(scratch, matmulF32ScratchBytes(1, N, K), bounds.length - 1);
    const parts = sc.map((s, t) => [a, b, c, N, K, tb, s, bias, act, bounds[t], bounds[t + 1]]);
    pool.run('matmul_f32_cols', parts, (p) => cols!(...p));
  };

  // A product with few rows and a long K: each thread sums its K slices into f32 partials (the
  // slices the whole call sums, and each as it sums it), then the threads fold the partials of
  // their rows in slice order in f64 and apply the epilogue, as the whole call does per tile.
  const kslice = rt.matmul_f32_kslice,
    kfold = rt.matmul_f32_kfold;
  // Whether the K split applies (the partials take S·M·N·4 bytes above the call's buffers: a
  // very wide product splits by rows).
  const kSplits = (M: number, N: number, K: number): boolean => {
    const S = matmulF32KSlices(M, K);
    return S >= 2 && kslice !== undefined && kfold !== undefined && S * M * N * 4 <= KSPLIT_MAX_PARTIAL_BYTES;
  };
  const matmulK = (
    T: number,
    a: number,
    b: number,
    c: number,
    M: number,
    N: number,
    K: number,
    ta: number,
    tb: number,
    scratch: number,
    bias: number,
    act: number,
  ): void => {
    const S = matmulF32KSlices(M, K);
    // With more threads than slices, the threads of a group of slices share its rows (in units
    // of 4): parts in order of slices, then rows, as the optimizer's split of the weights runs.
    const sb = splitRows(S, 1, Math.min(T, S)),
      groups = sb.length - 1;
    const ranges: number[][] = [];
    for (let g = 0; g < groups; g++) {
      const rb = splitRows(M, 4, Math.floor(T / groups) + (g < T % groups ? 1 : 0));
      for (let i = 0; i + 1 < rb.length; i++) ranges.push([sb[g], sb[g + 1], rb[i], rb[i + 1]]);
    }
    const planes = Math.ceil((S * M * N * 4) / 16) * 16,
      W = matmulF32ScratchBytes(M, N, K) + 16;
    const partials = scratchAbove(planes + W * (ranges.length - 1));
    const parts = ranges.map((sr, t) => [a, b, partials, M, N, K, ta, tb, t === 0 ? scratch : partials + planes + (t - 1) * W, ...sr]);
    pool.run('matmul_f32_kslice', parts, (p) => kslice!(...p));
    // Fold by rows in units of 4, as a following product splits its rows.
    const rb = splitRows(M, 4, T);
    const folds = rb.slice(0, -1).map((r0, t) => [partials, c, M, N, K, bias, act, r0, rb[t + 1]]);
    pool.run('matmul_f32_kfold', folds, (p) => kfold!(...p));
  };

  const matmul = (
    f64: boolean,
    a: number,
    b: number,
    c: number,
    batch: number,
    M: number,
    N: number,
    K: number,
    ta: number,
    tb: number,
    scratch: number,
    sA: number,
    sB: number,
    bias: number,
    act: number,
  ): boolean => {
    const R = batch * M;
    if (R * N * K < SPLIT.minMacs) return false;
    // How the product would split is settled first, then the threads asked for once: a second
    // `participants` for the same product would count as a second small call (SPLIT.wakeWindowMs).
    const small = R * N * K < SPLIT.wakeMacs;
    if (R === 1) {
      if (f64 || cols === undefined || N < 2 * COL_UNIT) return false;
      const T = pool.participants(small);
      if (T < 2) return false;
      matmulCols(T, a, b, c, N, K, tb, scratch, bias, act);
      return true;
    }
    const smallPath = matmulSmallPath(M, ta !== 0, tb !== 0);
    if (!f64 && batch === 1 && M <= SPLIT.kSplitMaxRows && !smallPath && kSplits(M, N, K)) {
      const T = pool.participants(small);
      if (T < 2) return false;
      matmulK(T, a, b, c, M, N, K, ta, tb, scratch, bias, act);
      return true;
    }
    // A product on the runtime's small-M path splits only by whole batch entries.
    const unit = smallPath ? M : 4;
    if (R < 2 * unit) return false;
    const T = pool.participants(small);
    if (T < 2) return false;
    const bounds = splitRows(R, unit, T);
    const sc = partScratch(scratch, f64 ? matmulF64ScratchBytes(M, N, K) : matmulF32ScratchBytes(M, N, K), bounds.length - 1);
    const parts = sc.map((s, t) => [a, b, c, batch, M, N, K, ta, tb, s, sA, sB, bias, act, bounds[t], bounds[t + 1]]);
    const part = f64 ? f64part : f32part;
    pool.run(f64 ? 'matmul_f64_part' : 'matmul_f32_part', parts, (p) => part(...p));
    return true;
  };
  for (const dt of ['f32', 'f64'] as const) {
    const f64 = dt === 'f64';
    const plain = rt[`matmul_${dt}`],
      ep = rt[`matmul_${dt}_ep`],
      batched = rt[`matmul_${dt}_batched`],
      batchedEp = rt[`matmul_${dt}_batched_ep`];
    out[`matmul_${dt}`] = (a: number, b: number, c: number, M: number, N: number, K: number, ta: number, tb: number, s: number) => {
      if (!matmul(f64, a, b, c, 1, M, N, K, ta, tb, s, 0, 0, 0, 0)) plain(a, b, c, M, N, K, ta, tb, s);
    };
    out[`matmul_${dt}_ep`] = (
      a: number,
      b: number,
      c: number,
      M: number,
      N: number,
      K: number,
      ta: number,
      tb: number,
      s: number,
      bias: number,
      act: number,
    ) => {
      if (!matmul(f64, a, b, c, 1, M, N, K, ta, tb, s, 0, 0, bias, act)) ep(a, b, c, M, N, K, ta, tb, s, bias, act);
    };
    out[`matmul_${dt}_batched`] = (
      a: number,
      b: number,
      c: number,
      n: number,
      M: number,
      N: number,
      K: number,
      ta: number,
      tb: number,
      s: number,
      sA: number,
      sB: number,
    ) => {
      if (!matmul(f64, a, b, c, n, M, N, K, ta, tb, s, sA, sB, 0, 0)) batched(a, b, c, n, M, N, K, ta, tb, s, sA, sB);
    };
    out[`matmul_${dt}_batched_ep`] = (
      a: number,
      b: number,
      c: number,
      n: number,
      M: number,
      N: number,
      K: number,
      ta: number,
      tb: number,
      s: number,
      sA: number,
      sB: number,
      bias: number,
      act: number,
    ) => {
      if (!matmul(f64, a, b, c, n, M, N, K, ta, tb, s, sA, sB, bias, act)) batchedEp(a, b, c, n, M, N, K, ta, tb, s, sA, sB, bias, act);
    };

    // Softmax / log_softmax along the middle axis of [outer, n, inner]: split over outer.
    const es = f64 ? 8 : 4;
    for (const name of [`softmax_${dt}`, `log_softmax_${dt}`] as const) {
      const whole = rt[name];
      out[name] = (x: number, y: number, outer: number, n: number, inner: number) => {
        const T = outer * n * inner >= SPLIT.minSoftmax && outer >= 2 ? pool.participants(outer * n * inner < SPLIT.wakeElems) : 1;
        if (T < 2) return whole(x, y, outer, n, inner);
        const bounds = splitRows(outer, 1, T),
          row = n * inner * es;
        const parts = bounds.slice(0, -1).map((o, t) => [x + o * row, y + o * row, bounds[t + 1] - o, n, inner]);
        pool.run(name, parts, (p) => whole(...p));
      };
    }
    // Cross-entropies: rows of [rows, cols] (labels, logits, backprop) and of loss [rows].
    const dense = rt[`softmax_xent_${dt}`];
    out[`softmax_xent_${dt}`] = (lab: number, lg: number, loss: number, bp: number, rows: number, cols: number) => {
      const T = rows * cols >= SPLIT.minSoftmax && rows >= 2 ? pool.participants(rows * cols < SPLIT.wakeElems) : 1;
      if (T < 2) return dense(lab, lg, loss, bp, rows, cols);
      const bounds = splitRows(rows, 1, T),
        row = cols * es;
      const parts = bounds.slice(0, -1).map((r, t) => [lab + r * row, lg + r * row, loss + r * es, bp === 0 ? 0 : bp + r * row, bounds[t + 1] - r, cols]);
      pool.run(`softmax_xent_${dt}`, parts, (p) => dense(...p));
    };
    const sparse = rt[`sparse_softmax_xent_${dt}`];
    out[`sparse_softmax_xent_${dt}`] = (lab: number, lg: number, loss: number, bp: number, rows: number, cols: number): number => {
      const T = rows * cols >= SPLIT.minSoftmax && rows >= 2 ? pool.participants(rows * cols < SPLIT.wakeElems) : 1;
      if (T < 2) return sparse(lab, lg, loss, bp, rows, cols);
      // A label out of range: the whole kernel reports the first such row and writes nothing.
      const labels = i32().subarray(lab >> 2, (lab >> 2) + rows);
      for (let r = 0; r < rows; r++) if (labels[r] < 0 || labels[r] >= cols) return sparse(lab, lg, loss, bp, rows, cols);
      const bounds = splitRows(rows, 1, T),
        row = cols * es;
      const parts = bounds.slice(0, -1).map((r, t) => [lab + r * 4, lg + r * row, loss + r * es, bp === 0 ? 0 : bp + r * row, bounds[t + 1] - r, cols]);
      pool.run(`sparse_softmax_xent_${dt}`, parts, (p) => void sparse(...p));
      return 0;
    };
  }
  return out;
}
