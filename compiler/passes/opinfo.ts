/**
 * @fileoverview The facts about ops that passes and fusion ask for, read from the op table
 * (compiler/ops/registry.ts): kind, lowering (fusion class), statefulness, reference inputs. Ops the table does not
 * know are treated as opaque and stateful, so no pass merges, folds or fuses them.
 */
import type { OpDef, OpKind } from '../ops/def.js';
import type { OpLowering } from '../ops/lower-api.js';
import { getOp, hasOp } from '../ops/registry.js';
import type { Node } from '../ir/graph.js';

export function opDef(op: string): OpDef | null {
  return hasOp(op) ? getOp(op) : null;
}

export function opKind(op: string): OpKind {
  return opDef(op)?.kind ?? 'opaque';
}

/** The op's lowering (fusion class first); an op the table does not know cannot be lowered. */
export function lowering(op: string): OpLowering {
  return opDef(op)?.lower ?? { fusion: 'unsupported', reason: `unknown op '${op}'` };
}

/** Stateful: its value depends on state or randomness, or it changes state. */
export function isStateful(op: string): boolean {
  const d = opDef(op);
  if (!d) return true;
  return d.stateful === true || d.kind === 'state';
}

/** Indices of inputs passed by reference (assign's variable). */
export function refInputs(op: string): readonly number[] {
  return opDef(op)?.refInputs ?? [];
}

/**
 * Nodes that stand for a distinct value even with equal op/inputs/attrs: placeholders and
 * variables (inputs and state), and every stateful op.
 */
export function hasIdentity(n: Node): boolean {
  return n.op === 'placeholder' || n.op === 'variable' || isStateful(n.op) || opKind(n.op) === 'control';
}
