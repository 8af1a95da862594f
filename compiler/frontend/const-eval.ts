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
import type { EvalContext } from '../ops/def.js';
import { getOp, hasOp } from '../ops/registry.js';

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
  if (def.stateful || def.kind === 'source' || def.kind === 'state' || def.kind === 'control' || (def.refInputs?.length ?? 0) > 0) return null;
  const inputs: Tensor[] = [];
  for (const i of node.inputs) {
    const v = constantValue(i);
    if (!v) return null;
    inputs.push(v);
  }
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
