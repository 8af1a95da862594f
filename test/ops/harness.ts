/**
 * @fileoverview Evaluate one op without a Session: build a Graph whose inputs are `const` nodes
 * (or placeholders when a test wants unknown static dims), make the op's node with makeNode
 * (so its static rule runs), then call its `eval` with a fake EvalContext that keeps variables
 * in a Map and gives each random node a PhiloxStream keyed by its (seed, seed2) attrs.
 */
import { type DType } from '../../session/dtype.js';
import { FailedPreconditionError } from '../../session/errors.js';
import { PhiloxStream } from '../../session/random.js';
import { Tensor } from '../../session/tensor.js';
import { type Attrs, type AttrValue, Graph, type Node } from '../../compiler/ir/graph.js';
import { type Shape } from '../../compiler/ir/shape.js';
import { makeNode } from '../../compiler/ops/build.js';
import { type EvalContext } from '../../compiler/ops/def.js';
import { getOp } from '../../compiler/ops/registry.js';

/** A tensor as stored in fixtures.json (NaN/±inf spelled as strings). */
export interface FixtureTensor {
  dtype: DType;
  shape: number[];
  data: (number | string)[];
  /** Static shape to give the input node (a placeholder) instead of a const. */
  static?: (number | null)[] | null;
}

export function decodeValue(v: number | string): number {
  if (typeof v === 'number') return v;
  return v === 'nan' ? NaN : v === 'inf' ? Infinity : -Infinity;
}

export function fromFixture(f: FixtureTensor): Tensor {
  const t = Tensor.zeros(f.dtype, f.shape);
  f.data.forEach((v, i) => (t.data[i] = decodeValue(v)));
  return t;
}

/** A const node holding `t` (NaN/inf kept as the attr strings const accepts). */
export function constNode(g: Graph, t: Tensor): Node {
  const value: AttrValue[] = Array.from(t.data, (v) => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v));
  return makeNode(g, 'const', [], { dtype: t.dtype, shape: [...t.shape], value });
}

export class FakeContext implements EvalContext {
  node!: Node;
  readonly variables = new Map<Node, Tensor>();
  private streams = new Map<Node, PhiloxStream>();
  readVariable(v: Node): Tensor {
    const t = this.variables.get(v);
    if (!t) throw new FailedPreconditionError(`Attempting to use uninitialized value ${v.name}`, v.name);
    return t;
  }
  writeVariable(v: Node, value: Tensor): void {
    this.variables.set(v, value);
  }
  randomBits(count: number): Uint32Array {
    let s = this.streams.get(this.node);
    if (!s) {
      s = new PhiloxStream(Number(this.node.attrs.seed ?? 0), Number(this.node.attrs.seed2 ?? 0));
      this.streams.set(this.node, s);
    }
    return s.next(count);
  }
}

export interface EvalResult {
  node: Node;
  out: Tensor | null;
  ctx: FakeContext;
  /** The variable node of state-op cases. */
  variable: Node | null;
}

export interface EvalOptions {
  /** Static shapes for inputs (placeholders instead of consts); undefined entries stay consts. */
  statics?: (Shape | undefined)[];
  /** Initial value of the variable for variable/assign ops. */
  variable?: Tensor | null;
  graph?: Graph;
}

/** Build the op over the given inputs and evaluate it. Throws what makeNode or eval throws. */
export function evalOp(op: string, inputs: Tensor[], attrs: Attrs = {}, opts: EvalOptions = {}): EvalResult {
  const g = opts.graph ?? new Graph();
  const def = getOp(op);
  const ctx = new FakeContext();
  const nodes = inputs.map((t, i) => {
    const st = opts.statics?.[i];
    return st !== undefined ? makeNode(g, 'placeholder', [], { dtype: t.dtype, shape: st }) : constNode(g, t);
  });
  let variable: Node | null = null;
  const refs = def.refInputs ?? [];
  let node: Node;
  if (op === 'variable') {
    node = makeNode(g, op, [], attrs);
    variable = node;
    if (opts.variable) ctx.variables.set(node, opts.variable);
  } else {
    if (refs.length > 0) {
      const v = opts.variable!;
      variable = makeNode(g, 'variable', [], { dtype: v.dtype, shape: [...v.shape], trainable: true });
      ctx.variables.set(variable, v);
      nodes.unshift(variable);
    }
    node = makeNode(g, op, nodes, attrs);
  }
  ctx.node = node;
  const vals: (Tensor | null)[] = refs.length > 0 ? [null, ...inputs] : inputs;
  const out = def.eval(vals, attrs, ctx);
  return { node, out, ctx, variable };
}
