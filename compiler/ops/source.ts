/**
 * @fileoverview Source ops (no tensor inputs, or only a shape/dtype model): const, placeholder,
 * fill, zeros_like, ones_like, range and the three stateful random ops. Random ops draw raw
 * Philox words from `ctx.randomBits` (the interpreter owns each node's stream) and convert them
 * with the helpers of session/random.ts, exactly as TF's random_distributions.h.
 */
import { type DType, allocArray, byteSize } from '../../session/dtype.js';
import { InternalError, InvalidArgumentError } from '../../session/errors.js';
import { normalFromBits, truncatedNormalFrom, uniformFromBits, uniformIntFromBits, wordsFor } from '../../session/random.js';
import { Tensor, sizeOf } from '../../session/tensor.js';
import type { AttrValue, Attrs } from '../ir/graph.js';
import { type Shape, ShapeError, checkDimCount, unknownDims } from '../ir/shape.js';
import { Poly, contiguousStrides, numel } from '../ir/sym.js';
import { type EvalContext, NOT_DIFFERENTIABLE, type OpDef, OpTypeError, type TensorSig } from './def.js';
import { LoweringError, type OpLowering, scalarType } from './lower-api.js';
import { FAIL, access, checkedKernel, copyNest } from './lowering.js';
import { ALL, FLOAT, NUMERIC, attrDType, attrNum, attrNums, castScalar, checkArity, checkDType, checkRank, dtypeList, fmt } from './kernels.js';

/** A fully defined shape attr (non-negative integers). */
function shapeAttr(attrs: Attrs, key = 'shape'): number[] {
  const s = attrNums(attrs, key);
  if (s === null) throw new OpTypeError(`missing attribute '${key}'`);
  for (const d of s) if (!Number.isInteger(d) || d < 0) throw new ShapeError(`Dimension ${d} must be >= 0`);
  return s;
}

/** A scalar attr value: number, boolean, or 'nan' / 'inf' / '-inf' spelled as strings. */
function scalarValue(v: AttrValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === 'nan' || v === 'NaN') return NaN;
  if (v === 'inf' || v === 'Infinity') return Infinity;
  if (v === '-inf' || v === '-Infinity') return -Infinity;
  throw new OpTypeError(`bad constant element ${JSON.stringify(v)}`);
}

function constValues(attrs: Attrs): AttrValue[] {
  const v = attrs.value;
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** TF1's size rule for Range; values are cast to the dtype first, as the kernel does. */
function rangeParams(attrs: Attrs, Err: new (m: string) => Error): { dtype: DType; start: number; delta: number; size: number } {
  const dtype = attrDType(attrs, 'dtype', 'i32');
  if (dtype === 'bool') throw new OpTypeError(`Value passed to parameter 'start' has DataType bool not in list of allowed values: float32, float64, int32`);
  const start = castScalar(attrNum(attrs, 'start', 0), dtype);
  const limit = castScalar(attrNum(attrs, 'limit'), dtype);
  const delta = castScalar(attrNum(attrs, 'delta', 1), dtype);
  if (delta === 0) throw new Err(`Requires delta != 0: ${delta}`);
  if (delta > 0 && start > limit) throw new Err(`Requires start <= limit when delta > 0: ${start}/${limit}`);
  if (delta < 0 && start < limit) throw new Err(`Requires start >= limit when delta < 0: ${start}/${limit}`);
  const size =
    dtype === 'i32'
      ? Math.trunc((Math.abs(limit - start) + Math.abs(delta) - 1) / Math.abs(delta))
      : Math.ceil(Math.abs(castScalar((limit - start) / delta, dtype)));
  return { dtype, start, delta, size };
}

function randomDType(attrs: Attrs, allowed: readonly DType[]): DType {
  const d = attrDType(attrs, 'dtype', 'f32');
  checkDType('dtype', d, allowed);
  return d;
}

/** Affine map of samples in the op's dtype: round(round(u * scale) + shift). */
function affine(samples: Float64Array, dtype: DType, scale: number, shift: number, shape: number[]): Tensor {
  const r = (v: number): number => castScalar(v, dtype);
  const out = allocArray(dtype, samples.length);
  const s = r(scale);
  const b = r(shift);
  for (let i = 0; i < samples.length; i++) out[i] = r(r(samples[i] * s) + b);
  return new Tensor(dtype, shape, out);
}

interface RandomSpec {
  name: string;
  tfType: string;
  doc: string;
  signature: string;
  types: readonly DType[];
  /** Static check of the attrs beyond dtype and shape. */
  check?(attrs: Attrs): void;
  sample(attrs: Attrs, ctx: EvalContext, dtype: DType, shape: number[]): Tensor;
}

/** Random ops call the loader's Philox stream of the node (state in memory across runs). */
const hostRandom: OpLowering = {
  fusion: 'opaque',
  emit: (e, n) => [e.m.call('host_random', [e.m.i32(e.nodeIndex(n)), e.addr(n), e.poly(numel(e.shape(n)))], 'none')],
};

/** range's values (the reference's; the kernel computes the same in a loop). */
function rangeTensor(attrs: Attrs): Tensor {
  const { dtype, start, delta, size } = rangeParams(attrs, InvalidArgumentError);
  const out = allocArray(dtype, size);
  let v = start;
  for (let i = 0; i < size; i++) {
    out[i] = v;
    v = castScalar(v + delta, dtype);
  }
  return new Tensor(dtype, [size], out);
}

function randomOp<S extends RandomSpec>(spec: S): S & OpDef {
  return {
    kind: 'source',
    stateful: true,
    grad: NOT_DIFFERENTIABLE,
    lower: hostRandom,
    shapeRule: 'attr shape',
    dtypes: dtypeList(spec.types),
    ...spec,
    infer(inputs: readonly TensorSig[], attrs: Attrs) {
      checkArity(spec.tfType, inputs, 0);
      const dtype = randomDType(attrs, spec.types);
      const shape = shapeAttr(attrs);
      spec.check?.(attrs);
      return { dtype, shape };
    },
    eval(_inputs: (Tensor | null)[], attrs: Attrs, ctx: EvalContext) {
      return spec.sample(attrs, ctx, randomDType(attrs, spec.types), shapeAttr(attrs));
    },
  };
}

export const SOURCE_OPS = {
  const: {
    name: 'const',
    tfType: 'Const',
    doc: 'A constant tensor; fewer values than elements repeat the last one (TF1).',
    kind: 'source',
    signature: '{dtype, shape, value: number[]}',
    shapeRule: 'attr shape',
    dtypes: dtypeList(ALL),
    lower: { fusion: 'leaf' },
    infer(inputs, attrs) {
      checkArity('Const', inputs, 0);
      const dtype = attrDType(attrs);
      const shape = shapeAttr(attrs);
      const n = sizeOf(shape);
      const vals = constValues(attrs);
      if (vals.length > n) throw new ShapeError(`Too many elements provided. Needed at most ${n}, but received ${vals.length}`);
      if (vals.length === 0 && n > 0) throw new ShapeError(`Expected ${n} values for shape ${fmt(shape)}, got none`);
      vals.forEach(scalarValue);
      return { dtype, shape };
    },
    eval(_inputs, attrs) {
      const dtype = attrDType(attrs);
      const shape = shapeAttr(attrs);
      const vals = constValues(attrs).map(scalarValue);
      const out = allocArray(dtype, sizeOf(shape));
      for (let i = 0; i < out.length; i++) out[i] = castScalar(vals[Math.min(i, vals.length - 1)], dtype);
      return new Tensor(dtype, shape, out);
    },
    grad: NOT_DIFFERENTIABLE,
  },
  placeholder: {
    name: 'placeholder',
    tfType: 'Placeholder',
    doc: 'A value fed at Session.run (shape may have unknown dims or rank).',
    kind: 'source',
    signature: '{dtype, shape: (number | null)[] | null}',
    shapeRule: 'attr shape',
    dtypes: dtypeList(ALL),
    lower: { fusion: 'leaf' },
    infer(inputs, attrs) {
      checkArity('Placeholder', inputs, 0);
      const dtype = attrDType(attrs);
      const raw = attrs.shape;
      let shape: Shape = null;
      if (Array.isArray(raw)) {
        shape = raw.map((d) => {
          if (d === null || d === -1) return null;
          if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) throw new ShapeError(`Dimension ${JSON.stringify(d)} must be >= 0 or unknown`);
          return d;
        });
      }
      return { dtype, shape };
    },
    eval(_inputs, _attrs, ctx) {
      throw new InternalError(`placeholder '${ctx.node.name}' reached evaluation: the Session must feed placeholders`, ctx.node.name);
    },
    grad: NOT_DIFFERENTIABLE,
  },
  fill: {
    name: 'fill',
    tfType: 'Fill',
    doc: 'A tensor of attr shape filled with the scalar input.',
    kind: 'source',
    signature: '[value]; {shape}',
    shapeRule: 'attr shape',
    dtypes: dtypeList(ALL),
    // every element reads the scalar: a view with no index dims
    lower: { fusion: 'view', view: () => ({ m: [], o: [] }) },
    infer(inputs, attrs) {
      checkArity('Fill', inputs, 1);
      checkRank(inputs[0].shape, 0);
      return { dtype: inputs[0].dtype, shape: shapeAttr(attrs) };
    },
    eval(inputs, attrs) {
      const v = inputs[0]!;
      if (v.rank !== 0) throw new InvalidArgumentError(`value must be a scalar, got shape ${fmt(v.shape)}`);
      const shape = shapeAttr(attrs);
      const out = allocArray(v.dtype, sizeOf(shape)).fill(v.data[0]);
      return new Tensor(v.dtype, shape, out);
    },
    grad(b, _n, dy) {
      // TF1's _FillGrad: the scalar value gets the sum of dy
      return [b.reduceSum(dy, null)];
    },
  },
  zeros_like: {
    name: 'zeros_like',
    tfType: 'ZerosLike',
    doc: 'Zeros (false) of the shape and dtype of x.',
    kind: 'source',
    signature: '[x]',
    shapeRule: 'same as x',
    dtypes: dtypeList(ALL),
    lower: { fusion: 'view', view: () => ({ constant: 0 }) },
    symShape: (_n, ins) => ins[0],
    infer(inputs) {
      checkArity('ZerosLike', inputs, 1);
      return { dtype: inputs[0].dtype, shape: inputs[0].shape };
    },
    eval(inputs) {
      return Tensor.zeros(inputs[0]!.dtype, inputs[0]!.shape);
    },
    grad: NOT_DIFFERENTIABLE,
  },
  ones_like: {
    name: 'ones_like',
    tfType: 'OnesLike',
    doc: 'Ones (true) of the shape and dtype of x.',
    kind: 'source',
    signature: '[x]',
    shapeRule: 'same as x',
    dtypes: dtypeList(ALL),
    lower: { fusion: 'view', view: () => ({ constant: 1 }) },
    symShape: (_n, ins) => ins[0],
    infer(inputs) {
      checkArity('OnesLike', inputs, 1);
      return { dtype: inputs[0].dtype, shape: inputs[0].shape };
    },
    eval(inputs) {
      const x = inputs[0]!;
      return new Tensor(x.dtype, x.shape, allocArray(x.dtype, x.size).fill(1));
    },
    grad: NOT_DIFFERENTIABLE,
  },
  range: {
    name: 'range',
    tfType: 'Range',
    doc: 'start, start+delta, ... below limit; size ceil((limit-start)/delta); values accumulate in the dtype as TF does.',
    kind: 'source',
    signature: '{start, limit, delta, dtype}',
    shapeRule: '[ceil((limit - start) / delta)]',
    dtypes: dtypeList(NUMERIC),
    infer(inputs, attrs) {
      checkArity('Range', inputs, 0);
      const { dtype, size } = rangeParams(attrs, ShapeError);
      return { dtype, shape: [size] };
    },
    eval(_inputs, attrs) {
      return rangeTensor(attrs);
    },
    // A loop accumulating in the dtype as eval does (a wasm f32.add rounds as fround of the
    // double sum): no constant data, so a large range costs the compiler nothing (it used to
    // compute the values into the module: tf_range(10**9) allocated gigabytes at compile time).
    lower: {
      fusion: 'opaque',
      emit(e, n) {
        const { dtype, start, delta, size } = rangeParams(n.attrs, InvalidArgumentError);
        if (size * byteSize(dtype) >= 2 ** 32)
          throw new LoweringError(`range '${n.name}' has ${size} elements, more than a WebAssembly memory (4 GiB) holds`, n);
        const { m, f } = e;
        const t = scalarType(dtype);
        const i = f.local('i32');
        const p = f.local('i32');
        const v = f.local(t);
        return [
          f.set(p, e.addr(n)),
          f.set(v, m.const(t, start)),
          m.forRange(i, m.i32(0), m.i32(size), 1, [
            m.store(t, f.get(p), f.get(v)),
            f.set(p, m.binary('i32.add', f.get(p), m.i32(byteSize(dtype)))),
            f.set(v, m.binary(`${t}.add`, f.get(v), m.const(t, delta))),
          ]),
        ];
      },
    },
    grad: NOT_DIFFERENTIABLE,
  },
  fill_dims: {
    name: 'fill_dims',
    tfType: 'Fill',
    doc: "TF1's Fill with a dims tensor (`fill(dims, v)`, `zeros(dims)`, `ones(dims)` when dims is a tensor; gradients' default grad_ys): a tensor of the run-time shape `dims` (an int32 vector, e.g. shape(y)) filled with the scalar value; attr shape is what is known of dims when the graph is built.",
    kind: 'source',
    signature: '[dims, value]; {shape: (number | null)[] | null}',
    shapeInputs: { arity: 2, inputs: [{ index: 0, attr: 'shape' }] },
    shapeRule: 'attr shape',
    dtypes: 'dims i32; value any',
    // dims is usually shape(y): y's symbolic shape (the kernel checks the values)
    symShape(n, _ins, shapeOf) {
      const dims = n.inputs[0];
      if (dims.op === 'shape' && dims.inputs[0].dtype !== null && dims.inputs[0].shape !== null) return shapeOf(dims.inputs[0]);
      if (dims.op === 'const' && Array.isArray(dims.attrs.value) && (dims.attrs.value as unknown[]).length === (n.shape ?? []).length) {
        return (dims.attrs.value as number[]).map((d) => Poly.const(d));
      }
      return null;
    },
    // a splat of the value after checking the run-time dims against the planned shape
    lower: checkedKernel((e, vb, n) => {
      const m = e.m;
      const out = e.shape(n);
      const dims = n.inputs[0];
      const ds = e.shape(dims);
      if (ds.length !== 1 || !ds[0].equals(out.length)) throw new LoweringError(`fill_dims: dims must be a vector of ${out.length} values`, n);
      out.forEach((d, i) => vb.fail(m.binary('i32.ne', m.load('i32', e.addr(dims), i * 4), e.poly(d)), FAIL.shapeCheck));
      const dt = n.dtype!;
      return copyNest(
        e,
        out,
        access(
          e,
          n.inputs[1],
          dt,
          out.map(() => Poly.const(0)),
        ),
        access(e, n, dt, contiguousStrides(out)),
      );
    }),
    infer(inputs, attrs) {
      checkArity('Fill', inputs, 2);
      checkDType('dims', inputs[0].dtype, ['i32']);
      checkRank(inputs[0].shape, 1);
      checkRank(inputs[1].shape, 0);
      const raw = attrs.shape;
      // a negative entry (a -1 in a constant) is an unknown dim statically, an error at run time (TF1)
      if (Array.isArray(raw)) checkDimCount(raw.length);
      const shape: Shape = Array.isArray(raw)
        ? raw.map((d) => (typeof d === 'number' && d >= 0 ? d : null))
        : inputs[0].shape?.[0] != null
          ? unknownDims(inputs[0].shape[0])
          : null;
      return { dtype: inputs[1].dtype, shape };
    },
    eval(inputs) {
      const dims = inputs[0]!;
      const v = inputs[1]!;
      if (dims.rank !== 1) throw new InvalidArgumentError(`dims must be a vector, got shape ${fmt(dims.shape)}`);
      if (v.rank !== 0) throw new InvalidArgumentError(`value must be a scalar, got shape ${fmt(v.shape)}`);
      const shape = Array.from(dims.data);
      for (const d of shape) if (d < 0) throw new InvalidArgumentError(`Dimension ${d} must be >= 0`);
      return new Tensor(v.dtype, shape, allocArray(v.dtype, sizeOf(shape)).fill(v.data[0]));
    },
    grad(b, _n, dy) {
      return [null, b.reduceSum(dy, null)];
    },
  },
  random_uniform: randomOp({
    name: 'random_uniform',
    tfType: 'RandomUniform',
    doc: "Uniform samples in [minval, maxval) from the node's Philox stream (int32: minval + bits % (maxval - minval)).",
    signature: '{shape, dtype, minval, maxval, seed, seed2}',
    types: NUMERIC,
    check(attrs: Attrs) {
      if (attrDType(attrs, 'dtype', 'f32') === 'i32') {
        const lo = attrNum(attrs, 'minval', 0);
        const hi = attrNum(attrs, 'maxval');
        if (!(lo < hi)) throw new ShapeError(`Need minval < maxval: ${lo} >= ${hi}`);
      }
    },
    sample(attrs: Attrs, ctx: EvalContext, dtype: DType, shape: number[]) {
      const n = sizeOf(shape);
      const lo = attrNum(attrs, 'minval', 0);
      if (dtype === 'i32') {
        const hi = attrNum(attrs, 'maxval');
        if (!(lo < hi)) throw new InvalidArgumentError(`Need minval < maxval: ${lo} >= ${hi}`);
        return new Tensor('i32', shape, uniformIntFromBits(ctx.randomBits(n), lo, hi, n));
      }
      const hi = attrNum(attrs, 'maxval', 1);
      const fd = dtype as 'f32' | 'f64';
      const u = uniformFromBits(ctx.randomBits(wordsFor('uniform', fd, n)), fd, n);
      const r = (v: number): number => castScalar(v, dtype);
      return affine(u, dtype, r(r(hi) - r(lo)), lo, shape);
    },
  }),
  random_normal: randomOp({
    name: 'random_normal',
    tfType: 'RandomStandardNormal',
    doc: 'Normal samples mean + stddev·n, n by Box–Muller on Philox words.',
    signature: '{shape, dtype, mean, stddev, seed, seed2}',
    types: FLOAT,
    sample(attrs: Attrs, ctx: EvalContext, dtype: DType, shape: number[]) {
      const n = sizeOf(shape);
      const fd = dtype as 'f32' | 'f64';
      const z = normalFromBits(ctx.randomBits(wordsFor('normal', fd, n)), fd, n);
      return affine(z, dtype, attrNum(attrs, 'stddev', 1), attrNum(attrs, 'mean', 0), shape);
    },
  }),
  truncated_normal: randomOp({
    name: 'truncated_normal',
    tfType: 'TruncatedNormal',
    doc: 'Normal samples with |n| < 2 (others redrawn from the continuing stream), then mean + stddev·n.',
    signature: '{shape, dtype, mean, stddev, seed, seed2}',
    types: FLOAT,
    sample(attrs: Attrs, ctx: EvalContext, dtype: DType, shape: number[]) {
      const n = sizeOf(shape);
      const z = truncatedNormalFrom((c) => ctx.randomBits(c), dtype as 'f32' | 'f64', n);
      return affine(z, dtype, attrNum(attrs, 'stddev', 1), attrNum(attrs, 'mean', 0), shape);
    },
  }),
} satisfies Record<string, OpDef>;
