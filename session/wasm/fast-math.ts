/**
 * @fileoverview Fast math (`LoadOptions.fastMath`): the runtime's relaxed-SIMD build, where the
 * engine has relaxed SIMD. Detected by validating a probe module that uses
 * `f32x4.relaxed_madd` (Chromium: on by default; Node 20: `--experimental-wasm-relaxed-simd`,
 * which the tfg CLI sets for `--fast-math`). Elsewhere the exact runtime runs and the note says
 * why. Browser-safe.
 */

/** (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))) */
const PROBE = (() => {
  const c = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
  const body = [0x00, ...c, ...c, ...c, 0xfd, 0x85, 0x02, 0x0b];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    0x01,
    0x05,
    0x01,
    0x60,
    0x00,
    0x01,
    0x7b, // type: [] -> [v128]
    0x03,
    0x02,
    0x01,
    0x00, // function 0: type 0
    0x0a,
    body.length + 2,
    0x01,
    body.length,
    ...body,
  ]);
})();

/** Whether this engine validates relaxed SIMD (f32x4.relaxed_madd). */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(PROBE);
}

export interface FastMathChoice {
  fastMath: boolean;
  /** The relaxed runtime's bytes when fast math is on. */
  runtime?: BufferSource;
  note?: string;
}

/** Resolve `LoadOptions.fastMath` given the relaxed runtime's bytes (if supplied). */
export function chooseFastMath(requested: boolean | undefined, relaxed: BufferSource | null): FastMathChoice {
  if (!requested) return { fastMath: false };
  if (!relaxedSimdSupported())
    return {
      fastMath: false,
      note: 'fast math off: this engine has no relaxed SIMD (Node 20: run with --experimental-wasm-relaxed-simd); the exact runtime runs',
    };
  if (relaxed === null)
    return {
      fastMath: false,
      note: 'fast math off: no relaxed runtime was given (LoadOptions.relaxedRuntime: tfg-runtime-relaxed.wasm; tfg/node supplies it); the exact runtime runs',
    };
  return { fastMath: true, runtime: relaxed };
}
