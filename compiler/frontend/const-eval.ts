/**
 * @fileoverview Construction-time constant evaluation: the value of a node when it depends
 * only on constants and on `shape`/`size`/`rank` of inputs whose static shape is known
 * (TF1's `tensor_util.constant_value`). Used where an argument must be known when the graph
 * is built, such as the elements of a shape list (`reshape(x, [shape(X)[1], 1])`).
 * Evaluation uses the ops' own `eval`, so the answer is the op table's definition.
 */
import { Tensor } from '../../session/tensor.js';
import type { Node } from '../ir/graph.js';
import { isFullyDefined } from '../ir/shape.js';
import type { EvalContext, OpDef } from '../ops/def.js';
import { getOp, hasOp } from '../ops/registry.js';
import { checkConstElements } from './budget.js';

const memo = new WeakMap<Node, Tensor | null>();

/** The node's value if it can be computed when the graph is built, else null. */
export function constantValue(node: Node): Tensor | null {
  if (memo.has(node)) return memo.get(node)!;
  const v = compute(node);
  memo.set(node, v);
  return v;
}

function compute(node: Node): Tensor | null {
  if (node.dtype === null) return null;
  const a = node.attrs;
  switch (node.op) {
    case 'const': {
      const t = Tensor.zeros(node.dtype, a.shape as number[]);
      const vals = a.value as number[];
      for (let i = 0; i < vals.length; i++) t.data[i] = vals[i];
      return t;
    }
    case 'shape': {
      const s = node.inputs[0].shape;
      if (!isFullyDefined(s)) return null;
      const t = Tensor.zeros('i32', [s.length]);
      s.forEach((d, i) => (t.data[i] = d));
      return t;
    }
    case 'size': {
      const s = node.inputs[0].shape;
      return isFullyDefined(s) ? Tensor.scalar('i32', s.reduce((x, y) => x * y, 1)) : null;
    }
    case 'rank': {
      const s = node.inputs[0].shape;
      return s === null ? null : Tensor.scalar('i32', s.length);
    }
  }
  if (!hasOp(node.op)) return null;
  const def = getOp(node.op);
  // Nothing bigger than the construction limit is computed here (`reshape(x, tf_range(10**9))`).
  if (node.shape !== null && isFullyDefined(node.shape)) checkConstElements(node.shape.reduce((x, y) => x * y, 1), `computing '${node.name}' when the graph is built`);
  // Selecting known entries of a partially known shape (`shape(X)[1]` with X of shape [?, 3]):
  // evaluate with -1 for unknown dims and accept the result when no -1 was picked.
  const src = node.inputs[0];
  if (SELECTORS.has(node.op) && src?.op === 'shape' && src.inputs[0].shape !== null && !isFullyDefined(src.inputs[0].shape)) {
    const dims = src.inputs[0].shape;
    const st = Tensor.zeros('i32', [dims.length]);
    dims.forEach((d, i) => (st.data[i] = d ?? -1));
    const rest: Tensor[] = [];
    for (const i of node.inputs.slice(1)) {
      const v = constantValue(i);
      if (!v) return null;
      rest.push(v);
    }
    const out = safeEval(def, node, [st, ...rest]);
    return out && !Array.from(out.data).includes(-1) ? out : null;
  }
  if (def.stateful || def.kind === 'source' || def.kind === 'state' || def.kind === 'control' || (def.refInputs?.length ?? 0) > 0) return null;
  const inputs: Tensor[] = [];
  for (const i of node.inputs) {
    const v = constantValue(i);
    if (!v) return null;
    inputs.push(v);
  }
  return safeEval(def, node, inputs);
}

/** Ops that pick elements without computing new ones. */
const SELECTORS = new Set(['strided_slice', 'slice', 'gather']);

function safeEval(def: OpDef, node: Node, inputs: Tensor[]): Tensor | null {
  const ctx: EvalContext = {
    node,
    readVariable: () => {
      throw new Error('not constant');
    },
    writeVariable: () => {
      throw new Error('not constant');
    },
    randomBits: () => {
      throw new Error('not constant');
    },
  };
  try {
    return def.eval(inputs, node.attrs, ctx);
  } catch {
    return null;
  }
}
