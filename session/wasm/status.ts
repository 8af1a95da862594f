/**
 * @fileoverview The status words: how generated code tells the loader that a run failed. One
 * definition for both sides (compiler/codegen writes them, session/wasm/errors.ts reads them).
 *
 * Four i32 words at `STATUS_ADDR`: [code, node index, arg0, arg1]. The first failure of a call
 * wins (later ones leave the words alone); a kernel returns non-zero when the code is set, the
 * entry returns at once, and the loader raises the typed TF1 error the code stands for, naming
 * the node (manifest index) with its `.tfg` location.
 */

/** Byte address of the status words (just above the runtime's reserved 64 KiB). */
export const STATUS_ADDR = 65536;
/** Bytes reserved for the status block. */
export const STATUS_BYTES = 64;

/** Failure codes (arguments in parentheses). */
export const STATUS = {
  /** Integer division by zero. */
  intDivZero: 1,
  /** Integer power with a negative exponent. */
  intPowNegative: 2,
  /** gather/scatter index out of range (flat position, index value). */
  indexOutOfRange: 3,
  /** matrix_inverse of a singular matrix. */
  notInvertible: 4,
  /** sparse cross-entropy label out of range (flat position). */
  labelOutOfRange: 5,
  /** argmax/argmin over an empty axis. */
  emptyReduction: 6,
  /** A reshape whose sizes disagree at run time (requested size). */
  reshapeMismatch: 7,
  /** A run-time shape fact the symbolic shapes could not prove (worded per op by the loader). */
  shapeCheck: 8,
  /** random_uniform on int32 with minval >= maxval (raised by the host side of random ops). */
  randomRange: 100,
} as const;

export type StatusCode = (typeof STATUS)[keyof typeof STATUS];
