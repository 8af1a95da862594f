/**
 * @fileoverview simplify: algebraic identities, for inference graphs.
 *
 * Rewrites (a node with control inputs, or a fed node, is never rewritten):
 * - `identity(x)`, `stop_gradient(x)` → `x` (after gradients are built, stop_gradient is an identity)
 * - `x * 1`, `1 * x`, `x / 1`, `x + 0`, `0 + x`, `x - 0` → `x`, when the constant is all ones
 *   (zeros) and broadcasting it cannot change x's shape or dtype. For floats the zero must be the
 *   one that is an exact identity: `x + (-0)` and `x - (+0)` are x for every x, but `-0 + (+0)`
 *   is +0 and `-0 - (-0)` is +0, so `x + 0.0` and `x - (-0.0)` stay.
 * - `neg(neg(x))` → `x`
 * - `reshape(reshape(x, s1), s2)` → `reshape(x, s2)`; `reshape(x, s)` → `x` when x's static shape
 *   is fully known and equal to s (a reshape whose shape is an input only when that input is a
 *   constant: anything else is read at run time)
 * A replaced node maps to its replacement; nodes left unused are removed by `dce`.
 *
 * Before:
 * ```
 * x = placeholder f32[2,3]
 * one = const f32[] 1
 * a = mul(x, one)
 * b = identity(a)
 * r1 = reshape(b) {shape: [6]}
 * r2 = reshape(r1) {shape: [3,2]}
 * ```
 * After:
 * ```
 * x = placeholder f32[2,3]
 * one = const f32[] 1
 * r2 = reshape(x) {shape: [3,2]}
 * ```
 * (`one` and the bypassed nodes stay until `dce`.)
 */
import type { Node } from '../ir/graph.js';
import { constValue } from './fold.js';
import { GraphRewriter, type GraphUnit, type PassResult } from './rewrite.js';

export function simplify(unit: GraphUnit): PassResult {
  const fed = new Set(unit.feeds);
  const rw = new GraphRewriter(unit.graph);
  for (const n of unit.graph.nodes) {
    const inputs = n.inputs.map((i) => rw.get(i));
    const r = fed.has(n) || n.controlInputs.length > 0 ? null : rewrite(n, inputs);
    if (r === null) rw.copy(n, { inputs });
    else if (r instanceof Array) rw.copy(n, { inputs: r });
    else rw.alias(n, r);
  }
  return rw.finish(unit);
}

/** A replacement node, new inputs for the same op (an array), or null for no change. */
function rewrite(n: Node, inputs: Node[]): Node | Node[] | null {
  switch (n.op) {
    case 'identity':
    case 'stop_gradient':
      return inputs[0];
    case 'mul':
      if (isSplat(inputs[1], 1) && keepsShape(n, inputs[0], inputs[1])) return inputs[0];
      if (isSplat(inputs[0], 1) && keepsShape(n, inputs[1], inputs[0])) return inputs[1];
      return null;
    case 'div':
      return isSplat(inputs[1], 1) && keepsShape(n, inputs[0], inputs[1]) ? inputs[0] : null;
    case 'add': {
      const zero = n.dtype === 'f32' || n.dtype === 'f64' ? -0 : 0;
      if (isSplat(inputs[1], zero) && keepsShape(n, inputs[0], inputs[1])) return inputs[0];
      if (isSplat(inputs[0], zero) && keepsShape(n, inputs[1], inputs[0])) return inputs[1];
      return null;
    }
    case 'sub':
      return isSplat(inputs[1], 0) && keepsShape(n, inputs[0], inputs[1]) ? inputs[0] : null;
    case 'neg':
      return inputs[0].op === 'neg' && inputs[0].controlInputs.length === 0 ? inputs[0].inputs[0] : null;
    case 'reshape': {
      const x = inputs[0];
      // A shape input is a run-time value (it may be fed) unless it is a constant here.
      const shapeInput = inputs.slice(1);
      if (shapeInput.some((s) => s.op !== 'const')) return null;
      const target = n.shape;
      if (target !== null && x.shape !== null && target.every((d) => d !== null) && x.shape.every((d) => d !== null) && sameShape(target, x.shape)) return x;
      if (x.op === 'reshape' && x.controlInputs.length === 0) return [x.inputs[0], ...shapeInput];
      return null;
    }
    default:
      return null;
  }
}

function isSplat(c: Node, v: number): boolean {
  if (c.op !== 'const') return false;
  const t = constValue(c);
  // Object.is: +0 and -0 are different identities (see the header); int data has no -0
  for (let i = 0; i < t.size; i++) if (!Object.is(t.data[i], v)) return false;
  return true;
}

/** Broadcasting constant `c` against `x` gives x's shape and dtype back. */
function keepsShape(n: Node, x: Node, c: Node): boolean {
  if (n.dtype !== x.dtype || x.shape === null || c.shape === null) return false;
  if (c.shape.length > x.shape.length) return false;
  const off = x.shape.length - c.shape.length;
  return c.shape.every((d, i) => d === 1 || (d !== null && d === x.shape![i + off]));
}

function sameShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
