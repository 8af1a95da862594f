/**
 * @fileoverview What builtins see of the evaluator: the current default graph, the span of
 * the call being evaluated (every node made gets it), per-graph frontend state (the variable
 * scope store), calling back into user functions, printing and notes.
 */
import type { Span } from '../diagnostics/span.js';
import type { Graph } from '../ir/graph.js';
import type { VarScopeStore } from './scopes.js';
import type { Value } from './values.js';

/** Frontend bookkeeping kept per graph (TF1 keeps it in graph collections). */
export interface GraphState {
  varScopes: VarScopeStore;
}

export interface Ctx {
  /** The current default graph (the enclosing `graph name { }` block, or the default graph). */
  readonly graph: Graph;
  /** Span of the expression being evaluated (the call of the builtin). */
  readonly span: Span | null;
  graphState(g?: Graph): GraphState;
  /** Call any callable value (user function, builtin, initializer). */
  call(fn: Value, args: Value[], kwargs?: [string, Value][]): Value;
  /** print() output (construction time, stderr by default). */
  print(text: string): void;
  /** A note-level diagnostic at the current span (once per message). */
  note(code: number, message: string): void;
  /** Make `g` the default graph until the returned function is called (TF1's `g.as_default()`). */
  pushGraph(g: Graph): () => void;
}
