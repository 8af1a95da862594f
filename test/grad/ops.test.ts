/**
 * @fileoverview Every op of the registry against finite differences (float64, central
 * differences): an op must either declare NOT_DIFFERENTIABLE or have a gradient rule AND cases
 * here (shapes with broadcasting, odd sizes, keepdims, axis=None, every transpose combination).
 * Elementwise ops and matmul are also checked to second order.
 */
import t from 'tap';
import type { Attrs } from '../../compiler/ir/graph.js';
import { NOT_DIFFERENTIABLE } from '../../compiler/ops/def.js';
import { OPS } from '../../compiler/ops/registry.js';
import { type CheckOptions, type InputSpec, checkGrads, op } from './check.js';

interface Case {
  specs: InputSpec[];
  attrs?: Attrs;
  opts?: CheckOptions;
  /** Skip the second-order check for this case (kinks, division by the output, ...). */
  first?: boolean;
}

const x = (...shape: number[]): InputSpec => ({ shape });
const pos = (...shape: number[]): InputSpec => ({ shape, range: [0.5, 2] });
const nz = (...shape: number[]): InputSpec => ({ shape, awayFromZero: 0.2 });
const UNARY_SHAPES = [[], [5], [2, 3], [1, 4, 1]];
const BINARY_SHAPES: [number[], number[]][] = [
  [
    [2, 3],
    [2, 3],
  ],
  [[2, 3], [3]],
  [
    [2, 1],
    [1, 3],
  ],
  [[], [4]],
  [[3, 1, 2], [2]],
  [[5], []],
];

const unary = (mk: (...s: number[]) => InputSpec): Case[] => UNARY_SHAPES.map((s) => ({ specs: [mk(...s)] }));
const binary = (mx: (...s: number[]) => InputSpec, my: (...s: number[]) => InputSpec): Case[] =>
  BINARY_SHAPES.map(([a, b]) => ({ specs: [mx(...a), my(...b)] }));
/** Distinct values so max/min/maximum have no ties at the sample point. */
const distinct = (shape: number[], seed: number): InputSpec => {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, (_, i) => ((i * 7 + seed * 3) % (n + 5)) * 0.37 - 1.1 + seed * 0.013);
  return { shape, values: vals };
};

function reductionCases(mk: (...s: number[]) => InputSpec): Case[] {
  const out: Case[] = [];
  for (const keepdims of [false, true]) {
    out.push({ specs: [mk(3, 4)], attrs: { axis: null, keepdims } });
    out.push({ specs: [mk(3, 4)], attrs: { axis: [0], keepdims } });
    out.push({ specs: [mk(3, 4)], attrs: { axis: [-1], keepdims } });
    out.push({ specs: [mk(2, 3, 5)], attrs: { axis: [0, 2], keepdims } });
    out.push({ specs: [mk(5)], attrs: { axis: null, keepdims } });
  }
  return out;
}

const matmulCases: Case[] = [];
for (const ta of [false, true]) {
  for (const tb of [false, true]) {
    matmulCases.push({ specs: [x(...(ta ? [3, 2] : [2, 3])), x(...(tb ? [4, 3] : [3, 4]))], attrs: { transpose_a: ta, transpose_b: tb } });
    matmulCases.push({ specs: [x(...(ta ? [2, 3, 2] : [2, 2, 3])), x(...(tb ? [2, 5, 3] : [2, 3, 5]))], attrs: { transpose_a: ta, transpose_b: tb } });
  }
}

const wellConditioned = (n: number, batch = 1): InputSpec => {
  const vals: number[] = [];
  for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vals.push(i === j ? 3 + b + i * 0.5 : 0.3 * Math.sin(i * 3 + j + b));
  return { shape: batch === 1 ? [n, n] : [batch, n, n], values: vals };
};

const all = { start: null, stop: null, step: null };

export const CASES: Record<string, Case[]> = {
  identity: unary(x),
  neg: unary(x),
  square: unary(x),
  sqrt: unary(pos),
  rsqrt: unary(pos),
  exp: unary(x),
  log: unary(pos),
  abs: unary(nz),
  sign: unary(nz),
  sin: unary(x),
  cos: unary(x),
  relu: unary(nz).map((c) => ({ ...c, first: true })),
  leaky_relu: [
    ...unary(nz).map((c) => ({ ...c, attrs: { alpha: 0.2 } })),
    { specs: [nz(2, 3)], attrs: { alpha: 1.5 } },
    { specs: [nz(4)], attrs: { alpha: -0.3 } },
  ],
  sigmoid: unary(x),
  tanh: unary(x),
  add: binary(x, x),
  sub: binary(x, x),
  mul: binary(x, x),
  div: binary(x, nz),
  // floor has no gradient (TF1's _FloorGrad returns None): zero, as finite differences between the steps
  floor: unary((...shape: number[]) => ({ shape, range: [0.2, 0.8] })),
  // floordiv has no gradient (TF1's _FloorDivGrad returns None, None): zero, as finite differences away from the steps
  floordiv: binary(x, pos),
  // floormod: dx = dy, dy = -dy·floor(x / y) (TF1's _FloorModGrad), divisors of both signs
  floormod: [...binary(x, pos), ...binary(x, (...shape: number[]) => ({ shape, range: [-2, -0.5] }))],
  pow: [
    ...binary(pos, x),
    {
      specs: [
        { shape: [3], values: [0, 1.5, 2] },
        { shape: [3], values: [2, 1.5, 3] },
      ],
      first: true,
    },
  ],
  maximum: BINARY_SHAPES.map(([a, b]) => ({ specs: [distinct(a, 1), distinct(b, 2)], first: true })),
  minimum: BINARY_SHAPES.map(([a, b]) => ({ specs: [distinct(a, 1), distinct(b, 2)], first: true })),
  cast: [
    { specs: [x(2, 3)], attrs: { dtype: 'f64' } },
    { specs: [x(4)], attrs: { dtype: 'f32' }, opts: { eps: 1e-2, rtol: 1e-3, atol: 1e-3 }, first: true },
  ],
  select: [
    { specs: [{ shape: [2, 3], kind: 'b' }, x(2, 3), x(2, 3)] },
    { specs: [{ shape: [2, 3], kind: 'b' }, x(3), x(2, 1)] },
    { specs: [{ shape: [3], kind: 'b' }, x(2, 3), x()] },
  ],
  add_n: [{ specs: [x(2, 3), x(2, 3), x(2, 3)] }, { specs: [x(5)] }],
  reduce_sum: reductionCases(x),
  reduce_mean: reductionCases(x),
  reduce_max: reductionCases((...s) => distinct(s, 3)).map((c) => ({ ...c, first: true })),
  reduce_min: reductionCases((...s) => distinct(s, 4)).map((c) => ({ ...c, first: true })),
  reduce_prod: reductionCases(nz).map((c) => ({ ...c, first: true })),
  matmul: matmulCases,
  matrix_inverse: [
    { specs: [wellConditioned(3)], attrs: { adjoint: false } },
    { specs: [wellConditioned(3)], attrs: { adjoint: true } },
    { specs: [wellConditioned(2, 2)], attrs: { adjoint: false } },
  ],
  transpose: [
    { specs: [x(2, 3, 4)], attrs: { perm: [1, 2, 0] } },
    { specs: [x(2, 3)], attrs: { perm: null } },
  ],
  reshape: [
    { specs: [x(2, 6)], attrs: { shape: [3, 4] } },
    { specs: [x(2, 3)], attrs: { shape: [-1] } },
    // the shape as an int32 input (TF1's Reshape): no gradient for it
    { specs: [x(2, 6), { shape: [2], kind: 'i', values: [4, 3] }], attrs: { shape: [4, 3] } },
  ],
  expand_dims: [
    { specs: [x(2, 3)], attrs: { axis: 1 } },
    { specs: [x(3)], attrs: { axis: -1 } },
  ],
  squeeze: [
    { specs: [x(1, 3, 1)], attrs: { axis: null } },
    { specs: [x(1, 3, 1)], attrs: { axis: [0] } },
  ],
  concat: [
    { specs: [x(2, 3), x(2, 1)], attrs: { axis: 1 } },
    { specs: [x(1, 3), x(2, 3), x(3, 3)], attrs: { axis: 0 } },
    { specs: [x(2, 2), x(2, 3)], attrs: { axis: -1 } },
  ],
  stack: [
    { specs: [x(3), x(3)], attrs: { axis: 0 } },
    { specs: [x(2, 3), x(2, 3), x(2, 3)], attrs: { axis: 1 } },
    { specs: [x(2), x(2)], attrs: { axis: -1 } },
  ],
  slice: [
    { specs: [x(4, 5)], attrs: { begin: [1, 2], size: [2, -1] } },
    { specs: [x(3)], attrs: { begin: [0], size: [2] } },
    // begin and size as int32 inputs: the gradient pads dy at the run-time begin (slice_grad)
    { specs: [x(4, 5), { shape: [2], kind: 'i', values: [1, 2] }, { shape: [2], kind: 'i', values: [2, -1] }], attrs: { begin: [1, 2], size: [2, -1] } },
    { specs: [x(4, 5), { shape: [2], kind: 'i', values: [2, 0] }, { shape: [2], kind: 'i', values: [1, 3] }], attrs: { begin: [null, null], size: [1, 3] } },
  ],
  strided_slice: [
    { specs: [x(4, 5)], attrs: { index: [1] } },
    {
      specs: [x(4, 5)],
      attrs: {
        index: [
          { start: 1, stop: null, step: 2 },
          { start: null, stop: null, step: -1 },
        ],
      },
    },
    { specs: [x(3, 4)], attrs: { index: ['newaxis', all, 0] } },
    { specs: [x(5)], attrs: { index: [{ start: -3, stop: -1, step: null }] } },
  ],
  gather: [
    { specs: [x(5, 3), { shape: [4], kind: 'i', values: [0, 3, 3, 1] }], attrs: { axis: 0 } },
    { specs: [x(2, 4), { shape: [2, 2], kind: 'i', values: [3, 0, 3, 2] }], attrs: { axis: 1 } },
  ],
  softmax: [
    { specs: [x(2, 5)], attrs: { axis: -1 } },
    { specs: [x(3, 2)], attrs: { axis: 0 } },
    { specs: [x(4)], attrs: { axis: -1 } },
  ],
  log_softmax: [
    { specs: [x(2, 5)], attrs: { axis: -1 } },
    { specs: [x(3, 2)], attrs: { axis: 0 } },
  ],
  sparse_softmax_cross_entropy_with_logits: [{ specs: [{ shape: [3], kind: 'i', values: [0, 4, 2] }, x(3, 5)] }],
  softmax_cross_entropy_with_logits: [
    { specs: [{ shape: [3, 4], range: [0, 1] }, x(3, 4)], attrs: { axis: -1 } },
    { specs: [{ shape: [3, 2], range: [0, 1] }, x(3, 2)], attrs: { axis: 0 } },
  ],
  sigmoid_cross_entropy_with_logits: [{ specs: [{ shape: [2, 3], range: [0, 1] }, x(2, 3)] }],
  fill: [{ specs: [x()], attrs: { shape: [2, 3] } }],
  // internal ops made by gradients
  broadcast_like: [{ specs: [x(3), { shape: [2, 3], kind: 'c' }] }, { specs: [x(), { shape: [4], kind: 'c' }] }],
  sum_to_like: [{ specs: [x(2, 3), { shape: [3], kind: 'c' }] }, { specs: [x(2, 3), { shape: [2, 1], kind: 'c' }] }],
  reshape_like: [{ specs: [x(6), { shape: [2, 3], kind: 'c' }] }],
  strided_slice_grad: [{ specs: [x(2, 5), { shape: [4, 5], kind: 'c' }], attrs: { index: [{ start: 1, stop: null, step: 2 }] } }],
  slice_grad: [{ specs: [x(2, 3), { shape: [4, 5], kind: 'c' }, { shape: [2], kind: 'i', values: [1, 2] }], attrs: { begin: [1, 2] } }],
  concat_slice: [{ specs: [x(3, 4), { shape: [1, 4], kind: 'c' }, { shape: [2, 4], kind: 'c' }], attrs: { axis: 0, index: 1 } }],
  scatter_add: [{ specs: [{ shape: [5, 3], kind: 'c' }, { shape: [4], kind: 'i', values: [0, 3, 3, 1] }, x(4, 3)], attrs: { axis: 0 } }],
  prod_except: [
    { specs: [nz(3, 4)], attrs: { axis: [1] } },
    { specs: [nz(2, 3)], attrs: { axis: null } },
  ],
  fill_dims: [{ specs: [{ shape: [2], kind: 'i', values: [2, 3] }, x()], attrs: { shape: [2, 3] } }],
};

/** Elementwise ops and matmul are checked to second order (issue 3). */
const SECOND_ORDER = new Set([
  'neg',
  'square',
  'sqrt',
  'rsqrt',
  'exp',
  'log',
  'abs',
  'sin',
  'cos',
  'sigmoid',
  'tanh',
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'identity',
  'matmul',
  'select',
  'add_n',
  'softmax',
  'log_softmax',
  'reduce_sum',
  'reduce_mean',
  'matrix_inverse',
  'sigmoid_cross_entropy_with_logits',
  'softmax_cross_entropy_with_logits',
  'transpose',
  'reshape',
  'concat',
  'slice',
  'strided_slice',
  'gather',
]);

t.test('every op has a gradient rule or is declared not differentiable, and rules have cases', async (tt) => {
  for (const [name, def] of Object.entries(OPS)) {
    tt.ok(def.grad !== undefined, `${name} declares its gradient (a rule or NOT_DIFFERENTIABLE)`);
    if (def.grad && def.grad !== NOT_DIFFERENTIABLE) tt.ok(CASES[name]?.length, `${name} has finite-difference cases`);
    if (def.grad === NOT_DIFFERENTIABLE) tt.notOk(CASES[name], `${name} is not differentiable and has no cases`);
  }
});

for (const [name, cases] of Object.entries(CASES)) {
  t.test(`finite differences: ${name}`, async (tt) => {
    cases.forEach((c, k) => {
      const res = checkGrads((g, ins) => op(g, name, ins, c.attrs ?? {}), c.specs, { seed: 100 + k, ...c.opts });
      tt.ok(res.ok, `${name} case ${k} (${c.specs.map((s) => `[${s.shape}]`).join(', ')} ${JSON.stringify(c.attrs ?? {})})${res.ok ? '' : ': ' + res.worst}`);
      if (SECOND_ORDER.has(name) && !c.first) {
        const res2 = checkGrads((g, ins) => op(g, name, ins, c.attrs ?? {}), c.specs, { seed: 200 + k, order: 2, rtol: 1e-4, atol: 1e-5, ...c.opts });
        tt.ok(res2.ok, `${name} case ${k} second order${res2.ok ? '' : ': ' + res2.worst}`);
      }
    });
  });
}
