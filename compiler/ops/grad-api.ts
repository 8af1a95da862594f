/**
 * @fileoverview How an op states its gradient: the `GradRule` type of `OpDef.grad` and the
 * `GradBuilder` interface rules build with. compiler/grad/builder.ts implements the builder
 * (nodes made in the current `gradients/<op>_grad` scope, tagged with the forward node and its
 * span); this file imports nothing from compiler/grad, so op definitions never do.
 */
import type { DType } from '../../session/dtype.js';
import type { AttrValue, Attrs, Graph, Node } from '../ir/graph.js';

/**
 * A gradient rule: the gradient of the forward node's output (dy) mapped to one gradient per
 * input (null: no gradient for that input, e.g. integer indices).
 */
export type GradRule = (b: GradBuilder, op: Node, dy: Node) => readonly (Node | null)[];

/** Marker for `OpDef.grad`: the op has no gradient (comparisons, argmax, shape, random, ...). */
export const NOT_DIFFERENTIABLE = 'not_differentiable' as const;

export interface GradBuilder {
  readonly graph: Graph;
  /** The forward node being differentiated. */
  readonly forward: Node;
  /** Make a node of `op` (default name: the op's TF1 type) tagged with the forward node. */
  op(op: string, inputs: Node[], attrs?: Attrs, name?: string): Node;
  /** A located gradient-stage error at the forward node. */
  fail(code: number, message: string): never;

  scalar(value: number, dtype: DType, name?: string): Node;
  constant(values: number[], dtype: DType, shape: number[], name?: string): Node;
  zerosLike(x: Node): Node;
  onesLike(x: Node): Node;

  add(x: Node, y: Node): Node;
  sub(x: Node, y: Node): Node;
  mul(x: Node, y: Node): Node;
  /** `truediv` */
  div(x: Node, y: Node): Node;
  neg(x: Node): Node;
  square(x: Node): Node;
  sqrt(x: Node): Node;
  exp(x: Node): Node;
  log(x: Node): Node;
  sign(x: Node): Node;
  cos(x: Node): Node;
  sin(x: Node): Node;
  sigmoid(x: Node): Node;
  softmax(x: Node, axis: number): Node;
  logSoftmax(x: Node, axis: number): Node;
  cast(x: Node, dtype: DType): Node;
  /** x * c for a Python number c (a scalar constant of x's dtype). */
  scale(x: Node, c: number): Node;
  select(cond: Node, x: Node, y: Node): Node;
  compare(op: 'equal' | 'greater' | 'greater_equal' | 'less' | 'less_equal', x: Node, y: Node): Node;

  reduceSum(x: Node, axis: number[] | null, keepdims?: boolean): Node;
  matmul(a: Node, b: Node, transposeA?: boolean, transposeB?: boolean): Node;
  transpose(x: Node, perm: number[] | null): Node;
  reshape(x: Node, shape: number[]): Node;
  expandDims(x: Node, axis: number): Node;
  stridedSlice(x: Node, index: AttrValue[]): Node;

  /** g reshaped to x's shape (static reshape when x is fully known, else reshape_like). */
  reshapeTo(g: Node, x: Node): Node;
  /** g broadcast to x's shape. */
  broadcastTo(g: Node, x: Node): Node;
  /** Un-broadcast: g summed over the axes along which x was broadcast, shaped like x. */
  sumToShape(g: Node, x: Node): Node;
  /** A reduction's dy reshaped to the keepdims shape of its input x. */
  keepDims(dy: Node, x: Node, axes: number[] | null, keepdims: boolean): Node;
  /** The number of elements reduced, as a scalar of dtype. */
  reducedCount(x: Node, y: Node, axes: number[] | null, dtype: DType): Node;
}
