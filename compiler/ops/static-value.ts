/**
 * @fileoverview Static values: what a node's value is when it can be known without running
 * the graph or feeding anything (TF1's `tensor_util.constant_value` and
 * `constant_value_as_shape`, which its shape functions use).
 *
 * Input: a node (and, for passes that rewrite a graph, its op, attrs and input values).
 * Output: the value as a Tensor, or null when it depends on run-time values; for shape-like
 * int32 vectors, the partially known entries (null where unknown).
 *
 * Rules (one place, used by the frontend for arguments that must be known at build time, by the
 * shape rules of ops that take a shape tensor, and by the `fold` pass):
 * - `const` nodes are their value;
 * - `shape`, `size` and `rank` are known from the input's static shape (or rank) alone;
 * - picking elements (`strided_slice`, `slice`, `gather`) of a partially known `shape` is known
 *   when only known dims are picked (`shape(X)[1]` with X of shape [?, 3] is 3);
 * - a pure op (not stateful, not a state or control op) whose inputs are all known is evaluated
 *   with its reference `eval`, so the answer is the op table's definition.
 * Nothing else is: placeholders, variables, random ops.
 */
import { DEFAULT_LIMITS } from '../diagnostics/limits.js';
import { Tensor } from '../../session/tensor.js';
import type { Node } from '../ir/graph.js';
import { MAX_DIMS, isFullyDefined } from '../ir/shape.js';
import type { EvalContext, OpDef, ShapeInputs } from './def.js';
import { getOp, hasOp } from './registry.js';

/** Ops that pick elements of their first input without computing new ones. */
const SELECTORS = new Set(['strided_slice', 'slice', 'gather']);

const memo = new WeakMap<Node, Tensor | null>();

/** The node's value if it can be computed without running the graph, else null (memoized). */
export function staticValue(node: Node): Tensor | null {
  if (memo.has(node)) return memo.get(node)!;
  const v = staticEval(node, node.inputs, staticValue);
  memo.set(node, v);
  return v;
}

/**
 * The static value of `node` computed from `inputs` (the node's inputs, or their rewritten
 * copies in a pass) whose values `valueOf` gives (null: not known).
 */
export function staticEval(node: Node, inputs: readonly Node[], valueOf: (n: Node) => Tensor | null): Tensor | null {
  if (node.dtype === null) return null;
  switch (node.op) {
    case 'const':
      return safeEval(getOp('const'), node, []);
    case 'shape': {
      const s = inputs[0].shape;
      return isFullyDefined(s) ? new Tensor('i32', [s.length], Int32Array.from(s)) : null;
    }
    case 'size': {
      const s = inputs[0].shape;
      return isFullyDefined(s)
        ? Tensor.scalar(
            'i32',
            s.reduce((x, y) => x * y, 1),
          )
        : null;
    }
    case 'rank': {
      const s = inputs[0].shape;
      return s === null ? null : Tensor.scalar('i32', s.length);
    }
  }
  if (!hasOp(node.op)) return null;
  const def = getOp(node.op);
  if (node.op === 'placeholder' || def.stateful || def.kind === 'state' || def.kind === 'control' || (def.refInputs?.length ?? 0) > 0) return null;
  // Nothing bigger than the construction limit is computed while the graph is built
  // (`reshape(x, tf_range(10**9))`): such a value is simply not known statically.
  if (node.shape !== null && isFullyDefined(node.shape) && node.shape.reduce((x, y) => x * y, 1) > DEFAULT_LIMITS.maxConstElements) return null;
  const partial = partialShapeSelection(node, def, inputs, valueOf);
  if (partial !== undefined) return partial && !Array.from(partial.data).includes(-1) ? partial : null;
  const values: Tensor[] = [];
  for (const i of inputs) {
    const v = valueOf(i);
    if (!v) return null;
    values.push(v);
  }
  return safeEval(def, node, values);
}

/**
 * Elements picked from a partially known `shape(X)`: evaluated with -1 for X's unknown dims (a
 * dim is never -1, so a -1 in the result marks an unknown entry). undefined when the node is
 * not such a selection; null when its other inputs are not known.
 */
function partialShapeSelection(node: Node, def: OpDef, inputs: readonly Node[], valueOf: (n: Node) => Tensor | null): Tensor | null | undefined {
  const src = inputs[0];
  if (!SELECTORS.has(node.op) || src?.op !== 'shape') return undefined;
  const dims = src.inputs[0].shape;
  if (dims === null || isFullyDefined(dims)) return undefined;
  const st = new Tensor('i32', [dims.length], Int32Array.from(dims.map((d) => d ?? -1)));
  const rest: Tensor[] = [];
  for (const i of inputs.slice(1)) {
    const v = valueOf(i);
    if (!v) return null;
    rest.push(v);
  }
  return safeEval(def, node, [st, ...rest]);
}

/**
 * TF1's `constant_value_as_shape` for an int32 vector used as a shape (reshape's shape, fill's
 * dims, slice's begin and size): its entries where they are known when the graph is built,
 * null where not; null when not even the length is known. Entries of a constant keep their
 * value (-1 included: reshape's "infer this dim").
 */
export function staticShapeValue(node: Node): (number | null)[] | null {
  const v = staticValue(node);
  if (v) return v.rank === 1 ? Array.from(v.data) : null;
  if (node.op === 'shape') return node.inputs[0].shape === null ? null : [...node.inputs[0].shape];
  if (node.op === 'stack' && (node.attrs.axis ?? 0) === 0 && node.inputs.every((i) => i.shape !== null && i.shape.length === 0)) {
    return node.inputs.map((i) => staticValue(i)?.data[0] ?? null);
  }
  if (node.op === 'concat' && (node.attrs.axis === 0 || node.attrs.axis === -1)) {
    const parts = node.inputs.map(staticShapeValue);
    return parts.every((p) => p !== null) ? (parts as (number | null)[][]).flat() : vectorOfUnknowns(node);
  }
  if (hasOp(node.op) && SELECTORS.has(node.op)) {
    const def = getOp(node.op);
    const sel = partialShapeSelection(node, def, node.inputs, staticValue);
    if (sel && sel.rank === 1) return Array.from(sel.data).map((d) => (d === -1 ? null : d));
  }
  return vectorOfUnknowns(node);
}

function vectorOfUnknowns(node: Node): (number | null)[] | null {
  const s = node.shape;
  return s !== null && s.length === 1 && s[0] !== null && s[0] <= MAX_DIMS ? new Array<null>(s[0]).fill(null) : null;
}

function safeEval(def: OpDef, node: Node, inputs: Tensor[]): Tensor | null {
  const ctx: EvalContext = {
    node,
    readVariable: () => {
      throw new Error('not static: reads a variable');
    },
    writeVariable: () => {
      throw new Error('not static: writes a variable');
    },
    randomBits: () => {
      throw new Error('not static: random');
    },
  };
  try {
    const out = def.eval(inputs, node.attrs, ctx);
    return out && out.dtype === node.dtype ? out : null;
  } catch {
    return null;
  }
}

/** The shape inputs of a node (OpDef.shapeInputs) when it has them as inputs, else null. */
export function shapeInputsOf(node: Node): ShapeInputs['inputs'] | null {
  const si = hasOp(node.op) ? getOp(node.op).shapeInputs : undefined;
  return si && node.inputs.length === si.arity ? si.inputs : null;
}

export function hasShapeInput(node: Node): boolean {
  return shapeInputsOf(node) !== null;
}
