/**
 * @fileoverview Converting a fed value to a tensor of the fed tensor's dtype, as TF1's
 * `Session.run` does with `np.asarray(value, dtype=tensor.dtype)`. The implementation is shared
 * with the WebAssembly Session and lives in session/run-common.ts; this module re-exports it.
 */
export { convertFeedValue } from '../../session/run-common.js';
