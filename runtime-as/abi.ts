/**
 * @fileoverview The ABI of the AssemblyScript runtime (`runtime-as/build/runtime.wasm`), shared
 * by the compiler (which declares the kernels as imports of every generated module and plans
 * buffers around the runtime's reserved memory) and the Session loader (which instantiates the
 * runtime on the same memory and links it). Browser-safe: no Node built-ins; never imports
 * `compiler/`. See docs/runtime.md.
 */

/**
 * Bump with ABI_VERSION in runtime-as/assembly/index.ts on any signature or layout change (5: the
 * f32 matmul's scratch grew with MB = 1024 and column blocks of ≤ 320, so a module compiled for 4
 * reserves too little for a version-5 runtime, e.g. the loader's tfg-runtime.wasm with a
 * `--no-embed-runtime` module: refused, not overrun; 6: a product of more than 128 rows with K ≤
 * 1024 is one K slice, whose scratch packs that much of A and B in place of the f64 accumulator;
 * 7: the vector forms math_exp/math_sigmoid/math_tanh _f32x4/_f64x2, which generated modules import).
 */
export const RUNTIME_ABI_VERSION = 7;
/** Import module name under which generated modules import the kernels. */
export const RUNTIME_IMPORT_MODULE = 'tfg_rt';
/** Both the runtime and the generated module import this memory. */
export const MEMORY_IMPORT = { module: 'env', name: 'memory' } as const;
/** Bytes at the bottom of memory owned by the runtime's static data; buffers start here. */
export const RUNTIME_RESERVED_BYTES = 65536;
/** Alignment of every buffer and scratch area handed to a kernel. */
export const BUFFER_ALIGN = 16;
/** Custom section name in which a compiled model may embed the runtime's bytes. */
export const RUNTIME_SECTION = 'tfg.runtime';
/** Bytes of a Philox generator state (u32 key[2], u32 counter[4]). */
export const PHILOX_STATE_BYTES = 24;

/** Wasm-level value types of kernel parameters (bool flags are i32 0/1, pointers are i32). */
export type AbiType = 'i32' | 'f32' | 'f64' | 'v128';
export interface KernelSignature {
  readonly params: readonly AbiType[];
  readonly result: AbiType | 'none';
}

const P = 'i32' as const; // pointer
const I = 'i32' as const; // int / bool
const mm: KernelSignature = { params: [P, P, P, I, I, I, I, I, P], result: 'none' };
const mmBatched: KernelSignature = { params: [P, P, P, I, I, I, I, I, I, P, I, I], result: 'none' };
// The fused-epilogue forms: the same arguments, then bias (pointer to N values, 0 = none) and act.
const mmEp: KernelSignature = { params: [...mm.params, P, I], result: 'none' };
const mmBatchedEp: KernelSignature = { params: [...mmBatched.params, P, I], result: 'none' };
const scratch3: KernelSignature = { params: [I, I, I], result: 'i32' };
const inv: KernelSignature = { params: [P, P, I, I, I, P], result: 'i32' };
const rnd32: KernelSignature = { params: [P, P, I, 'f32', 'f32'], result: 'none' };
const rnd64: KernelSignature = { params: [P, P, I, 'f64', 'f64'], result: 'none' };
const sm: KernelSignature = { params: [P, P, I, I, I], result: 'none' };
const xent: KernelSignature = { params: [P, P, P, P, I, I], result: 'none' };
const sxent: KernelSignature = { params: [P, P, P, P, I, I], result: 'i32' };
const m64: KernelSignature = { params: ['f64'], result: 'f64' };
const m32: KernelSignature = { params: ['f32'], result: 'f32' };
/** A vector form (wasm-to-wasm only: JavaScript cannot pass a v128). */
const mv: KernelSignature = { params: ['v128'], result: 'v128' };

/** Every kernel the runtime exports, with its wasm signature (the import table for codegen). */
export const RUNTIME_KERNELS = {
  heap_base: { params: [], result: 'i32' },
  matmul_f32_scratch: scratch3,
  matmul_f64_scratch: scratch3,
  matmul_f32_acc64_scratch: scratch3,
  matmul_f32: mm,
  matmul_f64: mm,
  matmul_f32_acc64: mm,
  matmul_f32_batched: mmBatched,
  matmul_f64_batched: mmBatched,
  matmul_f32_acc64_batched: mmBatched,
  matmul_f32_ep: mmEp,
  matmul_f64_ep: mmEp,
  matmul_f32_batched_ep: mmBatchedEp,
  matmul_f64_batched_ep: mmBatchedEp,
  matrix_inverse_scratch: { params: [I], result: 'i32' },
  matrix_inverse_f32: inv,
  matrix_inverse_f64: inv,
  philox_init: { params: [P, I, I, I, I], result: 'none' },
  philox_fill_u32: { params: [P, P, I], result: 'none' },
  random_uniform_f32: rnd32,
  random_uniform_f64: rnd64,
  random_normal_f32: rnd32,
  random_normal_f64: rnd64,
  truncated_normal_f32: rnd32,
  truncated_normal_f64: rnd64,
  softmax_f32: sm,
  softmax_f64: sm,
  log_softmax_f32: sm,
  log_softmax_f64: sm,
  softmax_xent_f32: xent,
  softmax_xent_f64: xent,
  sparse_softmax_xent_f32: sxent,
  sparse_softmax_xent_f64: sxent,
  argmax_f32: sm,
  argmax_f64: sm,
  argmin_f32: sm,
  argmin_f64: sm,
  // Transcendentals (runtime-as/assembly/math.ts), called per lane by generated code.
  math_exp_f64: m64,
  math_log_f64: m64,
  math_sin_f64: m64,
  math_cos_f64: m64,
  math_tanh_f64: m64,
  math_log1p_f64: m64,
  math_sigmoid_f64: m64,
  math_pow_f64: { params: ['f64', 'f64'], result: 'f64' },
  math_fmod_f64: { params: ['f64', 'f64'], result: 'f64' },
  math_exp_f32: m32,
  math_log_f32: m32,
  math_sin_f32: m32,
  math_cos_f32: m32,
  math_tanh_f32: m32,
  math_log1p_f32: m32,
  math_sigmoid_f32: m32,
  math_pow_f32: { params: ['f32', 'f32'], result: 'f32' },
  math_fmod_f32: { params: ['f32', 'f32'], result: 'f32' },
  // Vector forms of exp, sigmoid and tanh, called once per vector by vector loops and the matmul
  // epilogue: each lane the scalar form's bits (runtime-as/assembly/math.ts exp64x2, tanh64x2).
  math_exp_f32x4: mv,
  math_sigmoid_f32x4: mv,
  math_tanh_f32x4: mv,
  math_exp_f64x2: mv,
  math_sigmoid_f64x2: mv,
  math_tanh_f64x2: mv,
} as const satisfies Record<string, KernelSignature>;

export type KernelName = keyof typeof RUNTIME_KERNELS;

const mmPart: KernelSignature = { params: [...mmBatchedEp.params, I, I], result: 'none' };
/** matmul_f32_cols(a, b, c, N, K, transB, scratch, bias, act, j0, j1). */
const mmCols: KernelSignature = { params: [P, P, P, I, I, I, P, P, I, I, I], result: 'none' };
/** matmul_f32_kslice(a, b, partials, M, N, K, transA, transB, scratch, s0, s1, r0, r1). */
const mmKSlice: KernelSignature = { params: [P, P, P, I, I, I, I, I, P, I, I, I, I], result: 'none' };
/** matmul_f32_kfold(partials, c, M, N, K, bias, act, r0, r1). */
const mmKFold: KernelSignature = { params: [P, P, I, I, I, P, I, I, I], result: 'none' };
/**
 * Kernels only the loader calls (session/wasm/threads.ts), never generated code: the rows
 * [r0, r1) of a batched product with epilogue (rows counted over batch × M), so that threads
 * can share one product, the columns [j0, j1) of a one-row f32 product (a batch-1 dense
 * layer, which has no rows to share), and the K slices of an f32 product with few rows and a
 * long K with their fold (a train step's first layer: each thread reads only its rows of the
 * weights). Not imported by generated modules; a runtime without them (an older embedded one)
 * runs single-threaded, one without `matmul_f32_cols` splits no one-row product, one without
 * the K-slice pair splits every product by rows.
 */
export const RUNTIME_PART_KERNELS = {
  matmul_f32_part: mmPart,
  matmul_f64_part: mmPart,
  matmul_f32_cols: mmCols,
  matmul_f32_kslice: mmKSlice,
  matmul_f32_kfold: mmKFold,
} as const satisfies Record<string, KernelSignature>;
export type PartKernelName = keyof typeof RUNTIME_PART_KERNELS;

/**
 * The kernels whose products threads split (session/wasm/threads.ts), with the part kernels they
 * split them by: the first (rows) is what a runtime needs for threads at all, the others (the
 * f32 column split, the f32 K-slice split and its fold) are used when present.
 */
const SPLIT_MATMULS = {
  matmul_f32: ['matmul_f32_part', 'matmul_f32_cols', 'matmul_f32_kslice', 'matmul_f32_kfold'],
  matmul_f64: ['matmul_f64_part'],
} as const;
const usesFamily = (has: (name: string) => boolean, family: string): boolean => ['', '_ep', '_batched', '_batched_ep'].some((s) => has(family + s));

/**
 * The runtime exports a model needs, given the kernels it imports: those kernels, `ABI_VERSION`
 * (the loader's check), the functions the loader calls itself when the model asks it for random
 * numbers (`hostRandom`: it imports `tfg_host.random`), and the part kernels of a dtype whose
 * matmuls threads split. A model embeds only these (compiler/emit/runtime.ts).
 */
export function runtimeExportsFor(imported: Iterable<string>): Set<string> {
  const keep = new Set<string>(['ABI_VERSION', ...imported]);
  for (const [family, parts] of Object.entries(SPLIT_MATMULS)) if (usesFamily((n) => keep.has(n), family)) parts.forEach((p) => keep.add(p));
  return keep;
}

/**
 * Whether a runtime predates threads: it has a kernel threads split (a matmul of a dtype) but not
 * that dtype's part kernel. A runtime embedded without matmuls (runtimeExportsFor) does not.
 */
export function runtimePredatesThreads(exportNames: readonly string[]): boolean {
  const names = new Set(exportNames);
  return Object.entries(SPLIT_MATMULS).some(([family, parts]) => usesFamily((n) => names.has(n), family) && !names.has(parts[0]));
}

type JsFn<S extends KernelSignature> = S['result'] extends 'none' ? (...args: number[]) => void : (...args: number[]) => number;

/** The runtime instance's exports, typed. */
export type RuntimeExports = { readonly [K in KernelName]: JsFn<(typeof RUNTIME_KERNELS)[K]> } & {
  readonly [K in PartKernelName]?: JsFn<(typeof RUNTIME_PART_KERNELS)[K]>;
} & {
  readonly memory: WebAssembly.Memory;
  readonly ABI_VERSION: WebAssembly.Global;
};

/**
 * Activation codes of the `matmul_*_ep` kernels' `act` argument (runtime-as/assembly/matmul.ts
 * ACT_*): C = act(op(A)·op(B) + bias). relu is max(x, 0) (wasm f32x4.max / f32.max), sigmoid and
 * tanh the runtime's math_sigmoid_* / math_tanh_*, so results equal an unfused epilogue bit for bit.
 */
export const MATMUL_ACT = { none: 0, relu: 1, sigmoid: 2, tanh: 3 } as const;
export type MatmulActivation = keyof typeof MATMUL_ACT;

// Block sizes of runtime-as/assembly/matmul.ts (checked against the wasm by test/runtime).
const MB = 1024,
  MC = 64,
  NCP = 320,
  KC = 512,
  KCL = 1024,
  KCL_ROWS = 128,
  MC64 = 64,
  NC64 = 128,
  KC64 = 256;
const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;
const a16 = (x: number) => roundUp(x, 16);

/** Whether an f32 product runs as one K slice of up to KCL, with no f64 accumulator (matmul.ts wideSlice). */
function matmulF32WideSlice(M: number, K: number): boolean {
  return M > KCL_ROWS && K <= KCL;
}
/** The longest K slice of an f32 product (matmul.ts kcMax). */
function matmulF32KcMax(M: number, K: number): number {
  return matmulF32WideSlice(M, K) ? KCL : KC;
}

/**
 * How many K slices the f32 packed matmul sums a product of M rows in (runtime-as matmul.ts
 * sliceK: one slice for more than 128 rows and K ≤ 1024, else slices of at most 512, equal and a
 * multiple of 4): 1 when K fits one.
 */
export function matmulF32KSlices(M: number, K: number): number {
  const kcm = matmulF32KcMax(M, K);
  if (K <= kcm) return 1;
  const slices = Math.ceil(K / kcm),
    kcb = roundUp(Math.ceil(K / slices), 4);
  return Math.ceil(K / kcb);
}

/**
 * The runtime's small-M test (matmul.ts useSmallPath: M ≤ 4, or ≤ 8 with B transposed, A's rows
 * contiguous): such a product is computed whole by GEMV-like loops, never split by rows or K.
 */
export function matmulSmallPath(M: number, transA: boolean, transB: boolean): boolean {
  return M <= (transB ? 8 : 4) && (M === 1 || !transA);
}

/** The packed f32 matmul's column-block width (matmul.ts blockN): N in equal blocks of at most NCP, a multiple of 8. */
function matmulF32BlockN(N: number): number {
  if (N <= 0) return 0;
  const blocks = Math.ceil(N / NCP);
  return roundUp(Math.ceil(N / blocks), 8);
}

/** Scratch bytes matmul_f32(_batched)(_ep) needs (same as the runtime's matmul_f32_scratch). */
export function matmulF32ScratchBytes(M: number, N: number, K: number): number {
  const mb = matmulF32WideSlice(M, K) ? 0 : roundUp(Math.min(M, MB), 4),
    mc = roundUp(Math.min(M, MC), 4),
    nc = matmulF32BlockN(N),
    kc = Math.min(K, matmulF32KcMax(M, K));
  return a16(mb * nc * 8) + a16(mc * kc * 4) + a16(kc * nc * 4) + 256;
}
/**
 * An upper bound of the scratch bytes one product of `dtype` needs (matmul_f32 / matmul_f64 and
 * their batched and `_ep` forms, and the thread parts the caller runs in it), given M, N and K as
 * numbers or null (any size). matmulF32ScratchBytes is not monotonic: a wide slice (more than
 * KCL_ROWS rows, K ≤ KCL) has no f64 accumulator, and the column block peaks at N = NCP. So an
 * unknown dimension is tried at every value where one of its pieces peaks: M at KCL_ROWS (the most
 * rows that are never wide) and beyond MB, N at NCP and beyond, K at KC, KCL and beyond.
 */
export function matmulScratchBound(dtype: 'f32' | 'f64', M: number | null, N: number | null, K: number | null): number {
  const BIG = 1 << 20;
  const ms = M === null ? [KCL_ROWS, BIG] : [M],
    ns = N === null ? [NCP, BIG] : [N],
    ks = K === null ? [KC, KCL, BIG] : [K];
  let most = 0;
  for (const m of ms)
    for (const n of ns) for (const k of ks) most = Math.max(most, dtype === 'f32' ? matmulF32ScratchBytes(m, n, k) : matmulF64ScratchBytes(m, n, k));
  return most;
}

/** Scratch bytes matmul_f64 and matmul_f32_acc64 (and batched forms) need. */
export function matmulF64ScratchBytes(M: number, N: number, K: number): number {
  const mc = roundUp(Math.min(M, MC64), 4),
    nc = roundUp(Math.min(N, NC64), 4),
    kc = Math.min(K, KC64);
  return a16(mc * nc * 8) + a16(mc * kc * 8) + a16(kc * nc * 8);
}
/** Scratch bytes matrix_inverse_f32/f64 need for n×n matrices. */
export function matrixInverseScratchBytes(n: number): number {
  return a16(n * n * 8) + a16(n * 8) + a16(n * 4);
}

/** Largest memory (pages) a generated module declares; wasm32's 4 GiB. */
export const MAX_MEMORY_PAGES = 65536;

/**
 * The one memory shared by the runtime and a generated module. It must have a maximum (≤ the
 * module's declared maximum, MAX_MEMORY_PAGES unless the compiler was told otherwise).
 */
export function createSharedMemory(initialPages: number, maximumPages: number = MAX_MEMORY_PAGES, shared = false): WebAssembly.Memory {
  const desc = { initial: initialPages, maximum: maximumPages, ...(shared ? { shared: true } : {}) };
  return new WebAssembly.Memory(desc);
}

// ----------------------------------------------------------------------------- shared memory

function readLeb(b: Uint8Array, at: number): [number, number] {
  let v = 0,
    shift = 0,
    i = at;
  for (;;) {
    const x = b[i++];
    if (x === undefined) throw new RuntimeLinkError('truncated wasm module (LEB128)');
    v += (x & 0x7f) * 2 ** shift;
    shift += 7;
    if ((x & 0x80) === 0) return [v, i];
  }
}

function leb(v: number): number[] {
  const out: number[] = [];
  do {
    let x = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) x |= 0x80;
    out.push(x);
  } while (v > 0);
  return out;
}

/**
 * The bytes of a module whose imported memory (env.memory) is declared `shared`, with a maximum
 * (`maximumPages` when it had none), so that it can run on a shared WebAssembly.Memory whose
 * maximum is at most the declared one. Threads (session/wasm/threads.ts) instantiate the
 * runtime and the model this way; the code is unchanged (plain loads and stores: the workers
 * synchronize through Atomics in JavaScript, which orders their memory accesses). Only the
 * import section is rewritten; a module that imports no memory is returned as is.
 */
export function shareMemoryImport(bytes: Uint8Array, maximumPages: number = MAX_MEMORY_PAGES): Uint8Array {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new RuntimeLinkError('not a wasm module');
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, body] = readLeb(bytes, at + 1);
    const end = body + size;
    if (id !== 2) {
      at = end;
      continue;
    }
    // The import section: rebuild it with the memory's limits replaced.
    const out: number[] = [];
    const [count, p0] = readLeb(bytes, body);
    let p = p0;
    out.push(...leb(count));
    let changed = false;
    for (let k = 0; k < count; k++) {
      const start = p;
      for (let s = 0; s < 2; s++) {
        const [len, q] = readLeb(bytes, p);
        p = q + len;
      }
      const kind = bytes[p++];
      if (kind === 2) {
        out.push(...bytes.subarray(start, p));
        const flags = bytes[p++];
        if (flags > 3) throw new RuntimeLinkError(`unsupported memory limits flags ${flags}`);
        const [min, q] = readLeb(bytes, p);
        p = q;
        let max = maximumPages;
        if (flags & 1) [max, p] = readLeb(bytes, p);
        out.push(3, ...leb(min), ...leb(max));
        changed = true;
        continue;
      }
      if (kind === 0 || kind === 4) p = readLeb(bytes, kind === 4 ? p + 1 : p)[1];
      else if (kind === 1) {
        p++; // element type
        const flags = bytes[p++];
        p = readLeb(bytes, p)[1];
        if (flags & 1) p = readLeb(bytes, p)[1];
      } else if (kind === 3) p += 2;
      else throw new RuntimeLinkError(`unknown import kind ${kind}`);
      out.push(...bytes.subarray(start, p));
    }
    if (!changed) return bytes;
    const section = [2, ...leb(out.length), ...out];
    const res = new Uint8Array(at + section.length + (bytes.length - end));
    res.set(bytes.subarray(0, at), 0);
    res.set(section, at);
    res.set(bytes.subarray(end), at + section.length);
    return res;
  }
  return bytes;
}

/** Thrown when the runtime cannot be linked (wrong ABI version, missing export). */
export class RuntimeLinkError extends Error {
  override get name(): string {
    return 'RuntimeLinkError';
  }
}

function checkExports(exports: WebAssembly.Exports): RuntimeExports {
  const v = exports['ABI_VERSION'];
  const version = v instanceof WebAssembly.Global ? Number(v.value) : NaN;
  if (version !== RUNTIME_ABI_VERSION) {
    throw new RuntimeLinkError(`tfg runtime ABI version ${version} does not match the loader's ${RUNTIME_ABI_VERSION}; rebuild with \`npm run build:runtime\``);
  }
  // The kernels themselves are checked by the module's instantiation (a missing import is a
  // LinkError), so the loader need not carry the kernel table.
  return exports as unknown as RuntimeExports;
}

/** Instantiate the runtime (bytes or a compiled module) on `memory`, synchronously. */
export function instantiateRuntimeSync(source: BufferSource | WebAssembly.Module, memory: WebAssembly.Memory): RuntimeExports {
  const mod = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
  const inst = new WebAssembly.Instance(mod, { [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory } });
  return checkExports(inst.exports);
}

/** Instantiate the runtime (bytes or a compiled module) on `memory`. */
export async function instantiateRuntime(source: BufferSource | WebAssembly.Module, memory: WebAssembly.Memory): Promise<RuntimeExports> {
  const mod = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
  const inst = await WebAssembly.instantiate(mod, { [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory } });
  return checkExports(inst.exports);
}

/** The runtime bytes a compiled model embeds in its `tfg.runtime` custom section, if any. */
export function embeddedRuntime(model: WebAssembly.Module): ArrayBuffer | null {
  const sections = WebAssembly.Module.customSections(model, RUNTIME_SECTION);
  return sections.length > 0 ? sections[0]! : null;
}

/** The import object for a generated module: the shared memory and the runtime's kernels. */
export function modelImports(memory: WebAssembly.Memory, runtime: RuntimeExports): WebAssembly.Imports {
  // The runtime's exports are the import namespace: the module takes the kernels it names.
  const kernels = runtime as unknown as Record<string, WebAssembly.ExportValue>;
  return { [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory }, [RUNTIME_IMPORT_MODULE]: kernels };
}
