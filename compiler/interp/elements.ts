/**
 * @fileoverview TF1's `Graph.as_graph_element` for the reference Session: turning a fetch or a
 * feed key (a Node, an Operation or a name such as `"x:0"` / `"x"`) into a graph element, with
 * TF1's error messages, plus the Python spellings (`repr`, `str`) those messages quote.
 *
 * Input: a graph and a key. Output: `{node, asOp}` (a tensor, or an operation when `asOp`), or a
 * thrown `ElementError` whose `kind` says which Python exception TF1 would raise (KeyError,
 * ValueError, TypeError) so callers can wrap it the way `session.py` does.
 */
import { pyDTypeName } from '../../session/dtype.js';
import type { SourceLocation } from '../../session/errors.js';
import {
  ElementError,
  type PyObjectNames,
  elementByName,
  pyRepr,
  pyTypeName as plainPyTypeName,
  pyValueRepr as plainPyValueRepr,
} from '../../session/run-common.js';
import { spanInfo } from '../diagnostics/span.js';
import { type Graph, Node, Operation } from '../ir/graph.js';
import { formatShapePy } from '../ir/shape.js';
import { getOp, hasOp } from '../ops/registry.js';

/** A graph element: a node's tensor, or the node as an operation (fetching it gives null). */
export interface Element {
  node: Node;
  asOp: boolean;
}

/** as_graph_element's error (shared with the wasm Session: session/run-common.ts). */
export { ElementError, type ElementErrorKind } from '../../session/run-common.js';

/** Errors raised by a Session about one tensor (a feed), shared with the wasm Session. */
export { FeedValueError as SessionValueError, FeedTypeError as SessionTypeError } from '../../session/run-common.js';

/** Python `repr` of a string (shared: session/run-common.ts). */
export { pyRepr };

/** `str(tensor)` in TF1: `Tensor("x:0", shape=(?, 3), dtype=float32)`. */
export function tensorStr(n: Node): string {
  return `Tensor("${n.tensorName}", shape=${formatShapePy(n.shape)}, dtype=${n.dtype ? pyDTypeName(n.dtype) : 'none'})`;
}

/** `repr(tensor)` in TF1: `<tf.Tensor 'x:0' shape=(?, 3) dtype=float32>`. */
export function tensorRepr(n: Node): string {
  return `<tf.Tensor '${n.tensorName}' shape=${formatShapePy(n.shape)} dtype=${n.dtype ? pyDTypeName(n.dtype) : 'none'}>`;
}

/** `repr(op)` in TF1: `<tf.Operation 'init' type=NoOp>`. */
export function opRepr(n: Node): string {
  return `<tf.Operation '${n.name}' type=${hasOp(n.op) ? getOp(n.op).tfType : n.op}>`;
}

/** The `.tfg` location of a node, for error objects. */
export function nodeLocation(n: Node): SourceLocation | null {
  return spanInfo(n.span);
}

/**
 * TF1's `Graph._as_graph_element_locked(obj, allow_tensor=True, allow_operation)`. With
 * `allow_operation = false` (feed keys) a name must be a tensor name (`"X:0"`): `"X"` is TF1's
 * ValueError `The name 'X' refers to an Operation, not a Tensor.`
 */
export function asGraphElement(graph: Graph, obj: unknown, allowOperation: boolean): Element {
  const typesStr = allowOperation ? 'Tensor or Operation' : 'Tensor';
  if (typeof obj === 'string') return elementByName<Node>({ get: (n) => graph.get(n), hasOutput: (n) => n.hasOutput }, obj, allowOperation);
  if (obj instanceof Node) {
    if (!obj.hasOutput) {
      if (allowOperation) {
        if (obj.graph !== graph) throw new ElementError('ValueError', `Operation ${pyRepr(obj.name)} is not an element of this graph.`);
        return { node: obj, asOp: true };
      }
      throw new ElementError('TypeError', 'Can not convert a Operation into a Tensor.');
    }
    if (obj.graph !== graph) throw new ElementError('ValueError', `Tensor ${tensorStr(obj)} is not an element of this graph.`);
    return { node: obj, asOp: false };
  }
  if (obj instanceof Operation) {
    if (!allowOperation) throw new ElementError('TypeError', 'Can not convert a Operation into a Tensor.');
    if (obj.node.graph !== graph) throw new ElementError('ValueError', `Operation ${pyRepr(obj.name)} is not an element of this graph.`);
    return { node: obj.node, asOp: true };
  }
  throw new ElementError('TypeError', `Can not convert a ${pyTypeName(obj)} into a ${typesStr}.`);
}

/** How graph tensors and operations print in Python messages (`Tensor`, `<tf.Tensor ...>`). */
const GRAPH_OBJECTS: PyObjectNames = {
  typeName: (v) => (v instanceof Node ? 'Tensor' : v instanceof Operation ? 'Operation' : undefined),
  repr: (v) => (v instanceof Node ? (v.hasOutput ? tensorRepr(v) : opRepr(v)) : v instanceof Operation ? opRepr(v.node) : undefined),
};

/** Python's type name of a JS value, graph objects included (one copy: session/run-common.ts). */
export function pyTypeName(v: unknown): string {
  return plainPyTypeName(v, GRAPH_OBJECTS);
}

/** Python's repr of a JS value, graph objects included (one copy: session/run-common.ts). */
export function pyValueRepr(v: unknown): string {
  return plainPyValueRepr(v, GRAPH_OBJECTS);
}
