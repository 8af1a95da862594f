/**
 * @fileoverview Entry of the tfg AssemblyScript runtime (`runtime-as/build/runtime.wasm`):
 * re-exports every kernel. The module imports `env.memory` (shared with the generated model
 * module) and never allocates: callers place all buffers, scratch included. ABI: docs/runtime.md.
 */
export * from './matmul';
export * from './linalg';
export * from './philox';
export * from './softmax';
export * from './math';

/** Version of the kernel ABI; bump on any signature or layout change (3: matmul_*_ep, f32 scratch with the f64 accumulator; 4: math_fmod; 5: the f32 matmul's larger scratch; 6: one K slice of up to 1024 above 128 rows, a new scratch layout; 7: math_exp/math_sigmoid/math_tanh in f32x4/f64x2 form). */
export const ABI_VERSION: i32 = 7;

/** End of the runtime's static data; buffers must be placed at or after this (see RESERVED). */
export function heap_base(): usize {
  return __heap_base;
}
