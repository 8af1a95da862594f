/**
 * @fileoverview A small op table for testing the Session's mechanics (pruning, feeds, fetch
 * structures, variables, errors) independently of compiler/ops: scalar/elementwise arithmetic
 * on same-shaped tensors, state and a counting random op. Graphs are built with
 * `Graph.addNode`, giving dtype and shape explicitly.
 */
import type { DType } from '../../session/dtype.js';
import { InvalidArgumentError } from '../../session/errors.js';
import { Tensor, fromNested } from '../../session/tensor.js';
import type { Span } from '../../compiler/diagnostics/span.js';
import type { Attrs, Graph, Node } from '../../compiler/ir/graph.js';
import type { Shape } from '../../compiler/ir/shape.js';
import { NOT_DIFFERENTIABLE, type OpDef } from '../../compiler/ops/def.js';

const def = (d: Partial<OpDef> & Pick<OpDef, 'name' | 'eval'>): OpDef => ({
  tfType: d.name,
  doc: '',
  kind: 'opaque',
  infer: () => null,
  grad: NOT_DIFFERENTIABLE,
  lower: { fusion: 'unsupported', reason: 'a test op of the Session tests' },
  ...d,
});

function binary(name: string, f: (a: number, b: number) => number): OpDef {
  return def({
    name,
    eval: ([a, b]) => {
      const out = Tensor.zeros(a!.dtype, [...a!.shape]);
      for (let i = 0; i < out.size; i++) out.data[i] = f(a!.data[i], b!.data[i % b!.size]);
      return out;
    },
  });
}

/** Ops for session tests. `evals` counts evaluations per node name. */
export function testOps(evals: Map<string, number> = new Map()): (name: string) => OpDef {
  const count = (n: Node): void => {
    evals.set(n.name, (evals.get(n.name) ?? 0) + 1);
  };
  const table: Record<string, OpDef> = {
    const: def({
      name: 'const',
      eval: (_i, attrs, ctx) => {
        count(ctx.node);
        return new Tensor(attrs.dtype as DType, attrs.shape as number[], fromNested(attrs.dtype as DType, attrs.value as number[]).data);
      },
    }),
    placeholder: def({ name: 'placeholder', eval: () => null }),
    variable: def({ name: 'variable', kind: 'state', eval: (_i, _a, ctx) => ctx.readVariable(ctx.node) }),
    assign: def({
      name: 'assign',
      kind: 'state',
      refInputs: [0],
      eval: ([ref, v], _a, ctx) => {
        if (ref !== null) throw new Error('ref input was evaluated');
        ctx.writeVariable(ctx.node.inputs[0], v!);
        return v;
      },
    }),
    assign_add: def({
      name: 'assign_add',
      kind: 'state',
      refInputs: [0],
      eval: ([, v], _a, ctx) => {
        const cur = ctx.readVariable(ctx.node.inputs[0]);
        const out = Tensor.zeros(cur.dtype, [...cur.shape]);
        for (let i = 0; i < out.size; i++) out.data[i] = cur.data[i] + v!.data[i % v!.size];
        ctx.writeVariable(ctx.node.inputs[0], out);
        return out;
      },
    }),
    add: binary('add', (a, b) => a + b),
    mul: binary('mul', (a, b) => a * b),
    identity: def({ name: 'identity', eval: ([x], _a, ctx) => (count(ctx.node), x) }),
    group: def({ name: 'group', kind: 'control', eval: (_i, _a, ctx) => (count(ctx.node), null) }),
    random_bits: def({
      name: 'random_bits',
      stateful: true,
      eval: (_i, attrs, ctx) => {
        count(ctx.node);
        const n = (attrs.shape as number[]).reduce((a, b) => a * b, 1);
        const bits = ctx.randomBits(n);
        const t = Tensor.zeros('f64', attrs.shape as number[]);
        for (let i = 0; i < n; i++) t.data[i] = bits[i];
        return t;
      },
    }),
    fail_plain: def({
      name: 'fail_plain',
      eval: () => {
        throw new InvalidArgumentError('indices[0] = 7 is not in [0, 3)');
      },
    }),
    fail_js: def({
      name: 'fail_js',
      eval: () => {
        throw new RangeError('boom');
      },
    }),
    wrong_dtype: def({ name: 'wrong_dtype', eval: () => Tensor.scalar('i32', 1) }),
  };
  return (name: string) => {
    const d = table[name];
    if (!d) throw new Error(`unknown op '${name}'`);
    return d;
  };
}

/** Add a node directly (no inference): a tiny builder for session tests. */
export function node(
  g: Graph,
  op: string,
  name: string,
  inputs: Node[],
  attrs: Attrs,
  dtype: DType | null,
  shape: Shape,
  opts: { controlInputs?: Node[]; span?: Span | null } = {},
): Node {
  return g.addNode(op, g.opName(name), inputs, attrs, dtype, shape, opts);
}

export function constant(g: Graph, value: number | number[], name = 'Const', dtype: DType = 'f32'): Node {
  const shape = Array.isArray(value) ? [value.length] : [];
  return node(g, 'const', name, [], { dtype, shape, value: Array.isArray(value) ? value : [value] }, dtype, shape);
}
