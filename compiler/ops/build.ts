/**
 * @fileoverview Making nodes: look the op up, infer dtype and shape, choose the TF1 name, add
 * the node. A shape or dtype error becomes a diagnostic at the span of the expression.
 */
import { OP_BUILD } from '../diagnostics/catalogue.js';
import { CompileError, error } from '../diagnostics/diagnostic.js';
import type { Span } from '../diagnostics/span.js';
import type { Attrs, Graph, Node } from '../ir/graph.js';
import { ShapeError } from '../ir/shape.js';
import { OpTypeError } from './def.js';
import { getOp } from './registry.js';

export interface MakeNodeOptions {
  /** Name as given by the user or the TF1 default; made unique by Graph.opName. */
  name?: string;
  span?: Span | null;
  controlInputs?: Node[];
}

export function makeNode(graph: Graph, op: string, inputs: Node[], attrs: Attrs = {}, opts: MakeNodeOptions = {}): Node {
  const def = getOp(op);
  const sigs = inputs.map((n) => {
    if (n.dtype === null) {
      throw new CompileError(error(OP_BUILD.DTYPE, `Operation '${n.name}' has no output and cannot be used as an input of ${def.tfType}`, opts.span ?? null));
    }
    return { dtype: n.dtype, shape: n.shape };
  });
  let out;
  try {
    out = def.infer(sigs, attrs);
  } catch (e) {
    if (e instanceof ShapeError || e instanceof OpTypeError) {
      // The name the node would get (TF1 names it in the message): a name ending in '/' is used
      // as it is (an op made in its own name scope, as matmul's 'MatMul/'), else under the scope.
      const name = opts.name ?? def.tfType;
      const full = name.endsWith('/') ? name.slice(0, -1) : `${graph.nameStack ? graph.nameStack + '/' : ''}${name}`;
      const msg =
        e instanceof ShapeError
          ? `${e.message} for '${full}' (op: '${def.tfType}') with input shapes: ${sigs.map((s) => (s.shape === null ? '?' : `[${s.shape.map((d) => d ?? '?').join(',')}]`)).join(', ')}.`
          : e.message;
      throw new CompileError(error(e instanceof ShapeError ? OP_BUILD.SHAPE : OP_BUILD.DTYPE, msg, opts.span ?? null));
    }
    throw e;
  }
  const name = graph.opName(opts.name ?? def.tfType);
  return graph.addNode(op, name, inputs, attrs, out ? out.dtype : null, out ? out.shape : null, { span: opts.span, controlInputs: opts.controlInputs });
}
