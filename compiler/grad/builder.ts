/**
 * @fileoverview The small node builder gradient rules use (`OpDef.grad` in compiler/ops/*.ts),
 * implementing the interface of compiler/ops/grad-api.ts.
 *
 * Input: the graph, the forward node a rule is differentiating. Output: new nodes made with
 * `makeNode` in the current name scope (the walker opens `gradients/<op name>_grad`), each
 * tagged `node.forward = <forward node>` and given the forward node's span, so an error or a
 * NaN in the backward pass points at the `.tfg` line that made the forward node.
 *
 * Besides `op()` it has shortcuts for the common ops and the shape helpers every rule needs:
 * `sumToShape(g, x)` (un-broadcast: TF1's `reshape(reduce_sum(g, rx), shape(x))`, falling
 * back to the internal `sum_to_like` op when x has unknown dims), `broadcastTo(g, x)`
 * (`broadcast_like`), `reshapeTo(g, x)` (`reshape`, or `reshape_like` with unknown dims) and
 * `keepDims(dy, x, axes)` (a reduction's gradient reshaped to the keepdims shape).
 */
import type { DType } from '../../session/dtype.js';
import { CompileError, error } from '../diagnostics/diagnostic.js';
import type { AttrValue, Attrs, Graph, Node } from '../ir/graph.js';
import { type Shape, isFullyDefined } from '../ir/shape.js';
import { makeNode } from '../ops/build.js';
import type { GradBuilder as GradBuilderApi } from '../ops/grad-api.js';
import { getOp } from '../ops/registry.js';

/** The rule type lives beside OpDef (compiler/ops/grad-api.ts). */
export type { GradRule } from '../ops/grad-api.js';

/** Diagnostic codes of the gradient stage (3xxx): in the catalogue. */
import { GRAD } from '../diagnostics/catalogue.js';
export { GRAD };

function sameStatic(a: Shape, b: Shape): boolean {
  return isFullyDefined(a) && isFullyDefined(b) && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The `GradBuilder` of compiler/ops/grad-api.ts over a graph. */
export class GradBuilder implements GradBuilderApi {
  constructor(
    readonly graph: Graph,
    /** The forward node being differentiated: tags and span of every node made. */
    readonly forward: Node,
  ) {}

  /** Make a node of `op` (default name: the op's TF1 type) tagged with the forward node. */
  op(op: string, inputs: Node[], attrs: Attrs = {}, name?: string): Node {
    const n = makeNode(this.graph, op, inputs, attrs, { name: name ?? getOp(op).tfType, span: this.forward.span });
    n.forward = this.forward;
    return n;
  }

  /** A located gradient-stage error at the forward node. */
  fail(code: number, message: string): never {
    throw new CompileError(error(code, message, this.forward.span));
  }

  // ---- constants ----

  /** A scalar constant of a dtype. */
  scalar(value: number, dtype: DType, name = 'Const'): Node {
    return this.op('const', [], { dtype, shape: [], value: [dtype === 'f32' ? Math.fround(value) : value] }, name);
  }

  /** A constant of a shape, flat row-major values. */
  constant(values: number[], dtype: DType, shape: number[], name = 'Const'): Node {
    return this.op('const', [], { dtype, shape, value: values }, name);
  }

  zerosLike(x: Node): Node {
    return this.op('zeros_like', [x]);
  }

  onesLike(x: Node): Node {
    return this.op('ones_like', [x]);
  }

  // ---- elementwise shortcuts ----

  add(x: Node, y: Node): Node {
    return this.op('add', [x, y]);
  }
  sub(x: Node, y: Node): Node {
    return this.op('sub', [x, y]);
  }
  mul(x: Node, y: Node): Node {
    return this.op('mul', [x, y]);
  }
  div(x: Node, y: Node): Node {
    return this.op('div', [x, y], {}, 'truediv');
  }
  neg(x: Node): Node {
    return this.op('neg', [x]);
  }
  square(x: Node): Node {
    return this.op('square', [x]);
  }
  sqrt(x: Node): Node {
    return this.op('sqrt', [x]);
  }
  exp(x: Node): Node {
    return this.op('exp', [x]);
  }
  log(x: Node): Node {
    return this.op('log', [x]);
  }
  sign(x: Node): Node {
    return this.op('sign', [x]);
  }
  cos(x: Node): Node {
    return this.op('cos', [x]);
  }
  sin(x: Node): Node {
    return this.op('sin', [x]);
  }
  sigmoid(x: Node): Node {
    return this.op('sigmoid', [x]);
  }
  softmax(x: Node, axis: number): Node {
    return this.op('softmax', [x], { axis });
  }
  logSoftmax(x: Node, axis: number): Node {
    return this.op('log_softmax', [x], { axis });
  }
  cast(x: Node, dtype: DType): Node {
    return x.dtype === dtype ? x : this.op('cast', [x], { dtype });
  }
  /** x * c for a Python number c (a scalar constant of x's dtype). */
  scale(x: Node, c: number): Node {
    return this.mul(x, this.scalar(c, x.dtype!));
  }
  select(cond: Node, x: Node, y: Node): Node {
    return this.op('select', [cond, x, y]);
  }
  compare(op: 'equal' | 'greater' | 'greater_equal' | 'less' | 'less_equal', x: Node, y: Node): Node {
    return this.op(op, [x, y]);
  }

  // ---- reductions, layout, contractions ----

  reduceSum(x: Node, axis: number[] | null, keepdims = false): Node {
    return this.op('reduce_sum', [x], { axis, keepdims });
  }
  matmul(a: Node, b: Node, transposeA = false, transposeB = false): Node {
    return this.op('matmul', [a, b], { transpose_a: transposeA, transpose_b: transposeB });
  }
  transpose(x: Node, perm: number[] | null): Node {
    return this.op('transpose', [x], { perm });
  }
  reshape(x: Node, shape: number[]): Node {
    return this.op('reshape', [x], { shape });
  }
  expandDims(x: Node, axis: number): Node {
    return this.op('expand_dims', [x], { axis });
  }
  stridedSlice(x: Node, index: AttrValue[]): Node {
    return this.op('strided_slice', [x], { index });
  }

  // ---- shape helpers ----

  /** g reshaped to x's shape (static reshape when x is fully known, else reshape_like). */
  reshapeTo(g: Node, x: Node): Node {
    if (sameStatic(g.shape, x.shape)) return g;
    if (isFullyDefined(x.shape)) return this.reshape(g, x.shape);
    return this.op('reshape_like', [g, x], {}, 'Reshape');
  }

  /** g broadcast to x's shape (g must broadcast to it). */
  broadcastTo(g: Node, x: Node): Node {
    if (sameStatic(g.shape, x.shape)) return g;
    return this.op('broadcast_like', [g, x], {}, 'BroadcastTo');
  }

  /**
   * Un-broadcast: sum g over the axes along which x was broadcast to g's shape, then reshape
   * to x's shape. Static axes when x's shape is fully known, else the sum_to_like op.
   */
  sumToShape(g: Node, x: Node): Node {
    const gs = g.shape;
    const xs = x.shape;
    if (sameStatic(gs, xs)) return g;
    if (gs !== null && isFullyDefined(xs) && xs.length <= gs.length) {
      const n = gs.length;
      const lead = n - xs.length;
      const axes: number[] = [];
      for (let i = 0; i < lead; i++) axes.push(i);
      xs.forEach((d, j) => {
        if (d === 1 && gs[lead + j] !== 1) axes.push(lead + j);
      });
      let r = g;
      if (axes.length) r = this.reduceSum(g, axes, false);
      if (!sameStatic(r.shape, xs)) r = this.reshape(r, xs);
      return r;
    }
    return this.op('sum_to_like', [g, x], {}, 'Sum');
  }

  /**
   * A reduction's incoming gradient dy reshaped to the keepdims shape of its input x (the
   * reduced axes kept as 1), so that it broadcasts against x.
   */
  keepDims(dy: Node, x: Node, axes: number[] | null, keepdims: boolean): Node {
    if (keepdims) return dy;
    const xs = x.shape;
    if (xs === null) {
      if (axes === null) return dy; // a scalar broadcasts against anything
      this.fail(
        GRAD.NEEDS_STATIC,
        `the gradient of ${this.forward.name} (reduction over axes ${JSON.stringify(axes)}) needs the rank of its input to be known when the graph is built`,
      );
    }
    const rank = xs.length;
    const reduced = axes === null ? xs.map((_, i) => i) : [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
    const kept = xs.map((d, i) => (reduced.includes(i) ? 1 : d));
    if (isFullyDefined(kept)) return sameStatic(dy.shape, kept) ? dy : this.reshape(dy, kept);
    let r = dy;
    for (const a of reduced) r = this.expandDims(r, a);
    return r;
  }

  /** The number of elements reduced (count of x over the reduced axes) as a scalar of dtype. */
  reducedCount(x: Node, y: Node, axes: number[] | null, dtype: DType): Node {
    const xs = x.shape;
    if (xs !== null) {
      const rank = xs.length;
      const reduced = axes === null ? xs.map((_, i) => i) : [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))];
      const dims = reduced.map((i) => xs[i]);
      if (dims.every((d) => d !== null))
        return this.scalar(
          (dims as number[]).reduce((a, b) => a * b, 1),
          dtype,
        );
    }
    // size(x) / size(y), known only at run time (TF1: reduce_prod of the dynamic shapes)
    const sx = this.cast(this.op('size', [x]), dtype);
    const sy = this.cast(this.op('size', [y]), dtype);
    return this.div(sx, this.op('maximum', [sy, this.scalar(1, dtype)]));
  }
}
