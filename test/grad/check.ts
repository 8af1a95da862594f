/**
 * @fileoverview Finite-difference gradient checking, after JAX's `check_grads`: build a graph
 * whose inputs are float64 placeholders, take `gradients` of <y, r> (r a fixed random
 * cotangent fed as grad_ys) and compare with central differences of the same scalar computed by
 * the reference Session. Also a seeded RNG and small graph-building helpers shared by the
 * gradient tests.
 */
import type { DType } from '../../session/dtype.js';
import { Tensor } from '../../session/tensor.js';
import { gradients } from '../../compiler/grad/gradients.js';
import { Graph, type Attrs, type Node } from '../../compiler/ir/graph.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { makeNode } from '../../compiler/ops/build.js';

/** The seeded test generator (mulberry32, floats in [0, 1)): one copy, in session/random.ts. */
import { mulberry32 as rng } from '../../session/random.js';
export { rng };

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Shorthand node makers on a graph. */
export function op(g: Graph, name: string, inputs: Node[], attrs: Attrs = {}): Node {
  return makeNode(g, name, inputs, attrs);
}

export function constNode(g: Graph, dtype: DType, shape: number[], value: number[], name?: string): Node {
  return makeNode(g, 'const', [], { dtype, shape, value }, { name });
}

/** An input of a checked function: a differentiated float64 placeholder or a fixed constant. */
export interface InputSpec {
  shape: number[];
  /** 'x' (default): differentiated f64; 'c': f64 constant; 'i': int32 constant; 'b': bool constant. */
  kind?: 'x' | 'c' | 'i' | 'b';
  /** Values (flat); default: random in `range`. */
  values?: number[];
  /** Range of random values (default [-2, 2]). */
  range?: [number, number];
  /** Keep random values at least this far from 0 (log, div, abs, relu kinks). */
  awayFromZero?: number;
}

export interface CheckOptions {
  seed?: number;
  eps?: number;
  rtol?: number;
  atol?: number;
  /** 1: check dy/dx; 2: also check the gradient of the gradient. */
  order?: 1 | 2;
}

export interface CheckResult {
  ok: boolean;
  /** Largest violation found, as text (empty when ok). */
  worst: string;
  /** Symbolic gradients per differentiated input. */
  symbolic: number[][];
  numeric: number[][];
}

export function inputValues(spec: InputSpec, r: () => number): number[] {
  if (spec.values) return spec.values;
  const n = sizeOf(spec.shape);
  const [lo, hi] = spec.range ?? [-2, 2];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let v = lo + (hi - lo) * r();
    if (spec.awayFromZero) {
      const a = spec.awayFromZero;
      if (Math.abs(v) < a) v = v < 0 ? -a - r() * a : a + r() * a;
    }
    if (spec.kind === 'i') v = Math.floor(v);
    if (spec.kind === 'b') v = r() < 0.5 ? 0 : 1;
    out.push(v);
  }
  return out;
}

/**
 * Check the gradients of `build(xs)` w.r.t. the 'x' inputs against central differences.
 * The built output y may have any shape; the checked scalar is sum(y * r).
 */
export function checkGrads(build: (g: Graph, ins: Node[]) => Node, specs: InputSpec[], opts: CheckOptions = {}): CheckResult {
  const r = rng(opts.seed ?? 1234);
  const eps = opts.eps ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  const atol = opts.atol ?? 1e-6;
  const g = new Graph();
  const vals = specs.map((s) => inputValues(s, r));
  const ins = specs.map((s, i) => {
    const kind = s.kind ?? 'x';
    if (kind === 'x') return makeNode(g, 'placeholder', [], { dtype: 'f64', shape: s.shape }, { name: `x${i}` });
    const dtype: DType = kind === 'c' ? 'f64' : kind === 'i' ? 'i32' : 'bool';
    return constNode(g, dtype, s.shape, vals[i], `c${i}`);
  });
  const xs = ins.filter((_, i) => (specs[i].kind ?? 'x') === 'x');
  const xVals = vals.filter((_, i) => (specs[i].kind ?? 'x') === 'x');
  let y = build(g, ins);
  const order = opts.order ?? 1;
  if (order === 2) {
    // the function checked becomes x -> d<y, r1>/dx0 (the first gradient, differentiated again)
    const yShape = y.shape as number[];
    const r1 = constNode(g, y.dtype!, yShape, inputValues({ shape: yShape }, r));
    const g1 = gradients(g, [y], [xs[0]], { gradYs: [r1] })[0];
    if (!g1) throw new Error('first-order gradient is None');
    y = g1;
  }
  const yShape = y.shape as number[];
  const rv = inputValues({ shape: yShape }, r);
  const rNode = constNode(g, y.dtype!, yShape, rv, 'cotangent');
  const gs = gradients(g, [y], xs, { gradYs: [rNode] });
  const sess = new ReferenceSession(g);
  const feeds = (vs: number[][]): Map<Node, Tensor> => new Map(xs.map((x, i) => [x, new Tensor('f64', x.shape as number[], Float64Array.from(vs[i]))]));
  const scalar = (vs: number[][]): number => {
    const out = sess.runOne(y, feeds(vs))!;
    let s = 0;
    for (let i = 0; i < out.size; i++) s += out.data[i] * rv[i];
    return s;
  };
  const symbolic = xs.map((x, i) => {
    const gi = gs[i];
    if (!gi) return new Array<number>(sizeOf(x.shape as number[])).fill(0);
    return Array.from(sess.runOne(gi, feeds(xVals))!.data);
  });
  const numeric = xVals.map((v, i) =>
    v.map((_, j) => {
      const plus = xVals.map((a) => [...a]);
      const minus = xVals.map((a) => [...a]);
      plus[i][j] += eps;
      minus[i][j] -= eps;
      return (scalar(plus) - scalar(minus)) / (2 * eps);
    }),
  );
  let worst = '';
  let worstExcess = 0;
  symbolic.forEach((s, i) =>
    s.forEach((a, j) => {
      const n = numeric[i][j];
      const excess = Math.abs(a - n) - (atol + rtol * Math.abs(n));
      if (!(excess <= 0) && (excess > worstExcess || Number.isNaN(excess) || worst === '')) {
        worstExcess = excess;
        worst = `input ${i} element ${j}: symbolic ${a} vs numeric ${n}`;
      }
    }),
  );
  return { ok: worst === '', worst, symbolic, numeric };
}
