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
import { type SourceLocation, TypeError_, ValueError } from '../../session/errors.js';
import { spanInfo } from '../diagnostics/span.js';
import { type Graph, Node, Operation } from '../ir/graph.js';
import { formatShapePy } from '../ir/shape.js';
import { getOp, hasOp } from '../ops/registry.js';

/** A graph element: a node's tensor, or the node as an operation (fetching it gives null). */
export interface Element {
  node: Node;
  asOp: boolean;
}

/** Which Python exception TF1's as_graph_element raises. */
export type ElementErrorKind = 'KeyError' | 'ValueError' | 'TypeError';

export class ElementError extends Error {
  constructor(
    readonly kind: ElementErrorKind,
    message: string,
  ) {
    super(message);
    this.name = kind;
  }
  /** Python's `str(e)`: a KeyError prints the repr of its message. */
  get pyStr(): string {
    return this.kind === 'KeyError' ? pyRepr(this.message) : this.message;
  }
}

/** Errors raised by a Session about one tensor (a feed), shared with the wasm Session. */
export { FeedValueError as SessionValueError, FeedTypeError as SessionTypeError } from '../../session/run-common.js';

/** Python `repr` of a string: single quotes unless the text holds a single quote only. */
export function pyRepr(s: string): string {
  if (s.includes("'") && !s.includes('"')) return `"${s}"`;
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

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
 * TF1's `Graph._as_graph_element_locked(obj, allow_tensor=True, allow_operation)`.
 * tfg extension (documented): with `allow_operation = false` (feeds), a bare node name `"X"`
 * is accepted as `"X:0"` when X has an output.
 */
export function asGraphElement(graph: Graph, obj: unknown, allowOperation: boolean): Element {
  const typesStr = allowOperation ? 'Tensor or Operation' : 'Tensor';
  if (typeof obj === 'string') {
    const name = obj;
    if (name.includes(':')) {
      const parts = name.split(':');
      const outN = parts.length === 2 && /^-?\d+$/.test(parts[1]) ? Number(parts[1]) : NaN;
      if (Number.isNaN(outN)) {
        throw new ElementError(
          'ValueError',
          `The name ${pyRepr(name)} looks a like a Tensor name, but is not a valid one. Tensor names must be of the form "<op_name>:<output_index>".`,
        );
      }
      const opName = parts[0];
      const node = graph.get(opName);
      if (!node) {
        throw new ElementError('KeyError', `The name ${pyRepr(name)} refers to a Tensor which does not exist. The operation, ${pyRepr(opName)}, does not exist in the graph.`);
      }
      const nOut = node.hasOutput ? 1 : 0;
      // Python indexing: outputs[-1] is the last output.
      const idx = outN < 0 ? outN + nOut : outN;
      if (idx !== 0 || nOut === 0) {
        throw new ElementError('KeyError', `The name ${pyRepr(name)} refers to a Tensor which does not exist. The operation, ${pyRepr(opName)}, exists but only has ${nOut} outputs.`);
      }
      return { node, asOp: false };
    }
    const node = graph.get(name);
    if (allowOperation) {
      if (!node) throw new ElementError('KeyError', `The name ${pyRepr(name)} refers to an Operation not in the graph.`);
      return { node, asOp: true };
    }
    if (node && node.hasOutput) return { node, asOp: false };
    const what = node
      ? `The name ${pyRepr(name)} refers to an Operation, not a ${typesStr}.`
      : `The name ${pyRepr(name)} looks like an (invalid) Operation name, not a ${typesStr}.`;
    throw new ElementError('ValueError', `${what} Tensor names must be of the form "<op_name>:<output_index>".`);
  }
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

/** Python's type name of a JS value, for TypeError messages (`NoneType`, `int`, `float`, ...). */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Node) return 'Tensor';
  if (v instanceof Operation) return 'Operation';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** Python's repr of a JS value in messages (`None`, `True`, `'x:0'`, numbers, lists). */
export function pyValueRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return pyRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyValueRepr).join(', ')}]`;
  if (v instanceof Node) return v.hasOutput ? tensorRepr(v) : opRepr(v);
  if (v instanceof Operation) return opRepr(v.node);
  return String(v);
}
