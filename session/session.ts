/**
 * @fileoverview The one Session interface: TF1's `Session.run(fetches, feed_dict)` by names
 * (`"x:0"` a tensor, `"x"` an operation; lists, tuples and dicts of them), plus variables by
 * name. The reference Session (compiler/interp) and the WebAssembly Session (session/wasm) both
 * implement it; `openSession` (compiler/session.ts) picks one; the trainer (session/train), the
 * CLI and pages use only this.
 */
import type { Tensor } from './tensor.js';

/** Feeds: tensor names (`"X:0"`, or the element a Session accepts) to values. */
export type SessionFeeds = Map<unknown, unknown> | Record<string, unknown>;

export interface Session {
  /** Fetch the structure of names; feeds by tensor name. Operations give null. */
  run(fetches: unknown, feeds?: SessionFeeds): unknown;
  readVariable(name: string): Tensor;
  writeVariable(name: string, value: Tensor): void;
  variableNames(): string[];
  /**
   * Run the initializers of the session's variables (TF1's
   * `sess.run(tf.global_variables_initializer())`). A module compiled for signatures only holds
   * the variables its entries use, so this is how to initialize whatever the session has.
   */
  initialize(): void;
  isInitialized(name: string): boolean;
  close(): void;
  readonly isClosed: boolean;
}

export type Backend = 'wasm' | 'reference';
