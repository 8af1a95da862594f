/**
 * @fileoverview Test harness for the AssemblyScript runtime: instantiates the built
 * `runtime-as/build/runtime.wasm` on a fresh memory, with a bump allocator for buffers placed
 * after the runtime's reserved bytes (as the compiler's memory plan does), typed views, a seeded
 * PRNG and naive f64 reference kernels.
 */
import { BUFFER_ALIGN, createSharedMemory, RUNTIME_RESERVED_BYTES, instantiateRuntimeSync, type RuntimeExports } from '../../runtime-as/abi.js';
import { readRuntimeWasm } from '../../runtime-as/node.js';

const cachedModules = new Map<'simd' | 'relaxed', WebAssembly.Module>();
/** The runtime build (`relaxed`: the fast-math build; Node 20 compiles it only with --experimental-wasm-relaxed-simd). */
export function runtimeModule(variant: 'simd' | 'relaxed' = 'simd'): WebAssembly.Module {
  let m = cachedModules.get(variant);
  if (!m) cachedModules.set(variant, (m = new WebAssembly.Module(readRuntimeWasm(variant))));
  return m;
}

export class Harness {
  readonly memory = createSharedMemory(16);
  readonly rt: RuntimeExports;
  private top = RUNTIME_RESERVED_BYTES;
  constructor(variant: 'simd' | 'relaxed' = 'simd') {
    this.rt = instantiateRuntimeSync(runtimeModule(variant), this.memory);
  }
  /** Reserve `bytes` (16-byte aligned), growing memory as needed. */
  alloc(bytes: number): number {
    const p = this.top;
    this.top = Math.ceil((p + Math.max(bytes, 0)) / BUFFER_ALIGN) * BUFFER_ALIGN;
    const need = this.top - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / 65536));
    return p;
  }
  reset(): void {
    this.top = RUNTIME_RESERVED_BYTES;
  }
  f32(p: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, p, n);
  }
  f64(p: number, n: number): Float64Array {
    return new Float64Array(this.memory.buffer, p, n);
  }
  i32(p: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, p, n);
  }
  u32(p: number, n: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, p, n);
  }
  /** Copy values into a new buffer of this dtype. */
  put(dtype: 'f32' | 'f64' | 'i32', values: ArrayLike<number>): number {
    const es = dtype === 'f64' ? 8 : 4;
    const p = this.alloc(values.length * es);
    (dtype === 'f32' ? this.f32(p, values.length) : dtype === 'f64' ? this.f64(p, values.length) : this.i32(p, values.length)).set(values);
    return p;
  }
}

/** The seeded test generator (mulberry32, floats in [0, 1)): one copy, in session/random.ts. */
import { mulberry32 as rng } from '../../session/random.js';
export { rng };

export function randomArray(n: number, r: () => number, lo = -1, hi = 1): number[] {
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/**
 * Naive op(A)·op(B) in f64 and Σ|a||b| per output (for error bounds). A is [M,K] ([K,M] when
 * ta), B is [K,N] ([N,K] when tb).
 */
export function naiveMatmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  M: number,
  N: number,
  K: number,
  ta: boolean,
  tb: boolean,
): { c: Float64Array; mag: Float64Array } {
  const c = new Float64Array(M * N),
    mag = new Float64Array(M * N);
  // op(A) as rows [M, K] and op(B) as columns [N, K], so both run along k contiguously (the
  // sums are the same, in the same order: k ascending).
  const ar = new Float64Array(M * K),
    bc = new Float64Array(N * K);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) ar[i * K + k] = ta ? a[k * M + i]! : a[i * K + k]!;
  for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) bc[j * K + k] = tb ? b[j * K + k]! : b[k * N + j]!;
  for (let i = 0; i < M; i++) {
    const ai = i * K;
    for (let j = 0; j < N; j++) {
      const bj = j * K;
      let s = 0,
        m = 0;
      for (let k = 0; k < K; k++) {
        const p = ar[ai + k]! * bc[bj + k]!;
        s += p;
        m += Math.abs(p);
      }
      c[i * N + j] = s;
      mag[i * N + j] = m;
    }
  }
  return { c, mag };
}

/**
 * A map over buffers by v128 → v128 runtime functions (JavaScript cannot pass a v128): a small
 * wasm module (wabt) importing `names` from `rt`, whose `map(i, src, dst, vectors)` stores
 * names[i](v) for each 16-byte vector of src to dst.
 */
export async function vectorMapper(
  memory: WebAssembly.Memory,
  rt: object,
  names: readonly string[],
): Promise<(form: number, src: number, dst: number, vectors: number) => void> {
  const wabt = await (await import('wabt')).default();
  const src = `(module
  (import "env" "memory" (memory 1 65536))
  ${names.map((n, i) => `(import "rt" "${n}" (func $f${i} (param v128) (result v128)))`).join('\n  ')}
  (type $vv (func (param v128) (result v128)))
  (table ${names.length} funcref)
  (elem (i32.const 0) ${names.map((_, i) => `$f${i}`).join(' ')})
  (func (export "map") (param $f i32) (param $src i32) (param $dst i32) (param $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (v128.store (local.get $dst) (call_indirect (type $vv) (v128.load (local.get $src)) (local.get $f)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))))`;
  const m = wabt.parseWat('vector-map.wat', src, { simd: true });
  const bytes = m.toBinary({}).buffer;
  m.destroy();
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { env: { memory }, rt: rt as WebAssembly.ModuleImports });
  return inst.exports.map as (form: number, src: number, dst: number, vectors: number) => void;
}

/**
 * A map over buffers by scalar (f32 → f32 or f64 → f64) runtime functions, called from wasm so
 * that NaN payloads and signs reach memory untouched by JavaScript: `map(i, src, dst, n)` stores
 * names[i].name(x) for each of n elements of src to dst.
 */
export async function scalarMapper(
  memory: WebAssembly.Memory,
  rt: object,
  names: readonly { name: string; type: 'f32' | 'f64' }[],
): Promise<(form: number, src: number, dst: number, n: number) => void> {
  const wabt = await (await import('wabt')).default();
  const fns = names.map(({ name, type }, i) => `(import "rt" "${name}" (func $f${i} (param ${type}) (result ${type})))`);
  const maps = names.map(({ type }, i) => {
    const w = type === 'f32' ? 4 : 8;
    return `(func $m${i} (param $src i32) (param $dst i32) (param $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (${type}.store (local.get $dst) (call $f${i} (${type}.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const ${w})))
        (local.set $dst (i32.add (local.get $dst) (i32.const ${w})))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next))))`;
  });
  const src = `(module
  (import "env" "memory" (memory 1 65536))
  ${fns.join('\n  ')}
  ${maps.join('\n  ')}
  (type $map (func (param i32 i32 i32)))
  (table ${names.length} funcref)
  (elem (i32.const 0) ${names.map((_, i) => `$m${i}`).join(' ')})
  (func (export "map") (param $f i32) (param $src i32) (param $dst i32) (param $n i32)
    (call_indirect (type $map) (local.get $src) (local.get $dst) (local.get $n) (local.get $f))))`;
  const m = wabt.parseWat('scalar-map.wat', src, {});
  const bytes = m.toBinary({}).buffer;
  m.destroy();
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), { env: { memory }, rt: rt as WebAssembly.ModuleImports });
  return inst.exports.map as (form: number, src: number, dst: number, n: number) => void;
}
