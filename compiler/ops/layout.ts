/**
 * @fileoverview Layout ops: move or select elements without arithmetic. transpose, reshape,
 * expand_dims, squeeze, concat, stack, slice, strided_slice (Python basic indexing), gather,
 * shape/size/rank (metadata as int32) and one_hot. Static rules propagate unknown dims; the
 * reference kernels re-check at run time what was unknown statically, with TF1's messages.
 */
import { type DType, allocArray, byteSize, pyDTypeName } from '../../session/dtype.js';
import { InvalidArgumentError } from '../../session/errors.js';
import { Tensor, sizeOf, stridesOf } from '../../session/tensor.js';
import {
  type IndexItem,
  concatShape,
  expandAxis,
  permutation,
  planSlice,
  reshapeUnknown,
  sliceShape,
  squeezeAxes,
  stackShape,
  vectorValue,
} from '../../session/shapes.js';
import type { AttrValue, Attrs, Node } from '../ir/graph.js';
import { type Dim, type Shape, ShapeError, broadcastConcrete, formatShape, isFullyDefined, normAxis, unknownDims, checkDimCount } from '../ir/shape.js';
import { Poly, ScheduleError, contiguousStrides, numel } from '../ir/sym.js';
import { NOT_DIFFERENTIABLE, type OpDef, OpTypeError, type TensorSig } from './def.js';
import type { GradRule } from './grad-api.js';
import { type Expr, type KValue, type Local, LoweringError, type OpaqueEmitter, type ValueOps, type View, type ViewContext, scalarType } from './lower-api.js';
import { FAIL, STATUS_ADDR, access, checkEq, checkedKernel, copyNest, splitSym, zeroFill } from './lowering.js';
import {
  ALL,
  INT,
  attrDType,
  attrNum,
  attrNums,
  axisOf,
  broadcastStrides,
  castScalar,
  checkArity,
  checkDType,
  dtypeList,
  fmt,
  forEachRow,
  forEachStrided,
  splitAxis,
  takeAlongAxis,
} from './kernels.js';
import { GRAD } from '../diagnostics/catalogue.js';

// ---------------------------------------------------------------- helpers

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkListDTypes(tfType: string, param: string, sigs: readonly TensorSig[]): DType {
  const types = sigs.map((s) => s.dtype);
  if (types.some((d) => d !== types[0])) {
    throw new OpTypeError(`Tensors in list passed to '${param}' of '${tfType}' Op have types [${types.map(pyDTypeName).join(', ')}] that don't all match.`);
  }
  return types[0];
}

function permOf(attrs: Attrs, rank: number): number[] {
  return permutation(attrNums(attrs, 'perm'), rank, ShapeError);
}

/** Copy `x` viewed through strides into a new row-major tensor of `shape` starting at `base`. */
function gatherStrided(x: Tensor, shape: readonly number[], strides: readonly number[], base = 0): Tensor {
  const out = allocArray(x.dtype, sizeOf(shape));
  const d = x.data;
  forEachRow(shape, [strides], (o, [p], inner, [step]) => {
    for (let i = 0; i < inner; i++) out[o + i] = d[base + p + i * step];
  });
  return new Tensor(x.dtype, shape, out);
}

/**
 * A shape-like attribute of an op that may take the value as a tensor input instead (reshape's
 * `shape`, slice's `begin` and `size`): with the input, the attr holds the input's value as far
 * as it is known when the graph is built (compiler/ops/static-value.ts's staticShapeValue: null
 * entries unknown, null itself for an unknown length), used by the static shape rule only; the
 * reference evaluation reads the input.
 */
function partialAttr(attrs: Attrs, key: string): Dim[] | null {
  const v = attrs[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((x) => x === null || typeof x === 'number'))
    throw new OpTypeError(`attribute '${key}' must be a list of numbers or nulls, got ${JSON.stringify(v)}`);
  return v as Dim[];
}

/** Checks of a shape-like int32 vector input (`shape`, `begin`, `size`): dtype and rank 1. */
function checkShapeInput(param: string, sig: TensorSig): void {
  checkDType(param, sig.dtype, ['i32']);
  if (sig.shape !== null && sig.shape.length !== 1) throw new ShapeError(`Shape must be rank 1 but is rank ${sig.shape.length}`);
}

/** A shape-like input's run-time value (TF1's kernels: `<param> must be 1-D, not [2,2]`-style errors). */
function vectorInput(t: Tensor, what: string): number[] {
  return vectorValue(t.shape, t.data, what);
}

/** Validated reshape target (at most one -1, others non-negative). */
function reshapeTarget(attrs: Attrs, value: number[] | null = null): { shape: number[]; unknown: number } {
  const shape = value ?? attrNums(attrs, 'shape');
  if (shape === null) throw new OpTypeError(`missing attribute 'shape'`);
  return { shape, unknown: reshapeUnknown(shape, ShapeError) };
}

function parseIndex(attrs: Attrs): IndexItem[] {
  const v = attrs.index;
  if (!Array.isArray(v)) throw new OpTypeError(`attribute 'index' must be a list`);
  return v.map((e: AttrValue) => {
    if (typeof e === 'number' || e === 'newaxis') return e;
    if (e && typeof e === 'object' && !Array.isArray(e)) {
      const num = (k: string): number | null => {
        const x = (e as Record<string, AttrValue>)[k];
        return typeof x === 'number' ? x : null;
      };
      return { start: num('start'), stop: num('stop'), step: num('step') };
    }
    throw new OpTypeError(`bad strided_slice index entry ${JSON.stringify(e)}`);
  });
}

/** TF's SliceDebugString: `` for scalars, `[i]` for vectors, `[i,j]` beyond. */
function sliceDebugString(shape: readonly number[], flat: number): string {
  if (shape.length === 0) return '';
  if (shape.length === 1) return `[${flat}]`;
  const st = stridesOf(shape);
  return `[${st.map((s, i) => Math.floor(flat / s) % shape[i]).join(',')}]`;
}

// ---------------------------------------------------------------- ops
/** Gradient of ops that only change the shape: dy reshaped back to x's shape. */
const reshapeGrad: GradRule = (b, n, dy) => [b.reshapeTo(dy, n.inputs[0])];

export const LAYOUT_OPS = {
  transpose: {
    name: 'transpose',
    tfType: 'Transpose',
    doc: 'Permutes the dims: out.shape[i] = x.shape[perm[i]] (perm null reverses them).',
    kind: 'layout',
    lower: { fusion: 'view', view: transposeView },
    symShape(n, [x]) {
      const perm = n.attrs.perm === null || n.attrs.perm === undefined ? x.map((_, i) => x.length - 1 - i) : asNums(n.attrs.perm);
      return perm.map((p) => x[p]);
    },
    signature: '[x]; {perm: number[] | null}',
    shapeRule: 'x.shape permuted by perm',
    dtypes: dtypeList(ALL),
    infer(inputs, attrs) {
      checkArity('Transpose', inputs, 1);
      const s = inputs[0].shape;
      const permAttr = attrNums(attrs, 'perm');
      if (s === null) return { dtype: inputs[0].dtype, shape: permAttr ? permAttr.map(() => null) : null };
      const perm = permOf(attrs, s.length);
      return { dtype: inputs[0].dtype, shape: perm.map((p) => s[p]) };
    },
    eval(inputs, attrs) {
      const x = inputs[0]!;
      let perm: number[];
      try {
        perm = permOf(attrs, x.rank);
      } catch (e) {
        const len = attrNums(attrs, 'perm')?.length ?? x.rank;
        if (len !== x.rank) throw new InvalidArgumentError(`transpose expects a vector of size ${x.rank}. But input(1) is a vector of size ${len}`);
        throw new InvalidArgumentError((e as Error).message);
      }
      const st = stridesOf(x.shape);
      return gatherStrided(
        x,
        perm.map((p) => x.shape[p]),
        perm.map((p) => st[p]),
      );
    },
    grad(b, n, dy) {
      const perm = attrNums(n.attrs, 'perm');
      if (perm === null) return [b.transpose(dy, null)];
      const inv = new Array<number>(perm.length);
      perm.forEach((p, i) => (inv[p] = i));
      return [b.transpose(dy, inv)];
    },
  },
  reshape: {
    name: 'reshape',
    tfType: 'Reshape',
    doc: 'Same elements in a new shape; one dim may be -1 (inferred). With a `shape` input (TF1: a shape tensor) the target is read at run time; attr shape is then what is known of it when the graph is built.',
    kind: 'layout',
    // always the same buffer as x (x is materialised: a reshape of a computed expression is not affine)
    lower: { fusion: 'alias' },
    symShape(n, [x]) {
      // With a shape input the attr is what was known of it when the graph was built: null
      // entries are unknown (a single unknown or -1 entry is inferred from x's size; the loader
      // checks the run-time value against the plan).
      const a = n.attrs;
      if (!Array.isArray(a.shape)) return null;
      const target = a.shape as (number | null)[];
      const open = target.filter((d) => d === null || d === -1).length;
      const known = (target.filter((d) => d !== null && d !== -1) as number[]).reduce((p, d) => p * d, 1);
      const rest = open !== 1 || known === 0 ? null : numel(x).divExact(known);
      return target.map((d) => (d === null || d === -1 ? rest : Poly.const(d)));
    },
    signature: '[x] or [x, shape]; {shape: number[]}',
    shapeInputs: { arity: 2, inputs: [{ index: 1, attr: 'shape' }] },
    shapeRule: 'attr shape (-1 inferred when x is fully known); with the input, its static value',
    dtypes: dtypeList(ALL),
    infer(inputs, attrs) {
      checkArity('Reshape', inputs, [1, 2]);
      if (inputs.length === 2) return { dtype: inputs[0].dtype, shape: reshapeStatic(inputs[0].shape, inputs[1], partialAttr(attrs, 'shape')) };
      const { shape, unknown } = reshapeTarget(attrs);
      const s = inputs[0].shape;
      const known = shape.reduce((a, d, i) => (i === unknown ? a : a * d), 1);
      const out: Dim[] = [...shape];
      if (isFullyDefined(s)) {
        const n = sizeOf(s);
        if (unknown >= 0) {
          if (known === 0) out[unknown] = null;
          else if (n % known !== 0) throw new ShapeError(`Dimension size must be evenly divisible by ${known} but is ${n}`);
          else out[unknown] = n / known;
        } else if (known !== n) throw new ShapeError(`Cannot reshape a tensor with ${n} elements to shape [${shape.join(',')}] (${known} elements)`);
      } else if (unknown >= 0) out[unknown] = null;
      return { dtype: inputs[0].dtype, shape: out };
    },
    eval(inputs, attrs) {
      const x = inputs[0]!;
      const { shape, unknown } = reshapeTarget(attrs, inputs.length === 2 ? vectorInput(inputs[1]!, 'sizes input') : null);
      const known = shape.reduce((a, d, i) => (i === unknown ? a : a * d), 1);
      const out = [...shape];
      if (unknown >= 0) {
        if (known === 0)
          throw new InvalidArgumentError('Reshape cannot infer the missing input size for an empty tensor unless all specified input sizes are non-zero');
        if (x.size % known !== 0)
          throw new InvalidArgumentError(`Input to reshape is a tensor with ${x.size} values, but the requested shape requires a multiple of ${known}`);
        out[unknown] = x.size / known;
      } else if (known !== x.size) throw new InvalidArgumentError(`Input to reshape is a tensor with ${x.size} values, but the requested shape has ${known}`);
      return new Tensor(x.dtype, out, x.data);
    },
    grad: (b, n, dy) => (n.inputs.length === 2 ? [b.reshapeTo(dy, n.inputs[0]), null] : [b.reshapeTo(dy, n.inputs[0])]),
  },
  expand_dims: {
    name: 'expand_dims',
    tfType: 'ExpandDims',
    doc: 'Inserts a dim of size 1 at axis (in [-rank-1, rank]).',
    kind: 'layout',
    lower: {
      fusion: 'view',
      sharesBuffer: true,
      view: (n, v, ctx) => {
        const ax = normAxis(n.attrs.axis as number, ctx.shape(n).length);
        return { m: v.m.filter((_, i) => i !== ax), o: v.o.filter((_, i) => i !== ax) };
      },
    },
    symShape(n, [x]) {
      const ax = normAxis(n.attrs.axis as number, x.length + 1);
      return [...x.slice(0, ax), Poly.const(1), ...x.slice(ax)];
    },
    signature: '[x]; {axis}',
    shapeRule: 'x.shape with 1 inserted at axis',
    dtypes: dtypeList(ALL),
    infer(inputs, attrs) {
      checkArity('ExpandDims', inputs, 1);
      const s = inputs[0].shape;
      if (s === null) return { dtype: inputs[0].dtype, shape: null };
      const a = expandAxis(attrNum(attrs, 'axis'), s.length, ShapeError);
      return { dtype: inputs[0].dtype, shape: [...s.slice(0, a), 1, ...s.slice(a)] };
    },
    eval(inputs, attrs) {
      const x = inputs[0]!;
      const a = expandAxis(attrNum(attrs, 'axis'), x.rank, InvalidArgumentError);
      return new Tensor(x.dtype, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)], x.data);
    },
    grad: reshapeGrad,
  },
  squeeze: {
    name: 'squeeze',
    tfType: 'Squeeze',
    doc: 'Removes dims of size 1 (all of them, or those listed in axis, which must be 1).',
    kind: 'layout',
    lower: { fusion: 'view', sharesBuffer: true, view: squeezeView },
    symShape(n, [x]) {
      const st = n.shape!;
      if (n.attrs.axis === null || n.attrs.axis === undefined) return x.filter((d) => !d.equals(1)).length === st.length ? x.filter((d) => !d.equals(1)) : null;
      const axes = asNums(n.attrs.axis).map((ax) => normAxis(ax, x.length));
      return x.filter((_, i) => !axes.includes(i));
    },
    signature: '[x]; {axis: number[] | null}',
    shapeRule: 'x.shape without the squeezed 1s (unknown if axis null and a dim is unknown)',
    dtypes: dtypeList(ALL),
    infer(inputs, attrs) {
      checkArity('Squeeze', inputs, 1);
      const s = inputs[0].shape;
      const axes = attrNums(attrs, 'axis');
      if (s === null) return { dtype: inputs[0].dtype, shape: null };
      if (axes === null || axes.length === 0) {
        if (s.some((d) => d === null)) return { dtype: inputs[0].dtype, shape: null };
        return { dtype: inputs[0].dtype, shape: s.filter((d) => d !== 1) };
      }
      const drop = squeezeAxes(axes, s, ShapeError);
      return { dtype: inputs[0].dtype, shape: s.filter((_, i) => !drop.has(i)) };
    },
    eval(inputs, attrs) {
      const x = inputs[0]!;
      const axes = attrNums(attrs, 'axis');
      if (axes === null || axes.length === 0)
        return new Tensor(
          x.dtype,
          x.shape.filter((d) => d !== 1),
          x.data,
        );
      const drop = squeezeAxes(axes, x.shape, InvalidArgumentError);
      return new Tensor(
        x.dtype,
        x.shape.filter((_, i) => !drop.has(i)),
        x.data,
      );
    },
    grad: reshapeGrad,
  },
  concat: {
    name: 'concat',
    tfType: 'ConcatV2',
    doc: 'Joins tensors along an existing axis; other dims must match.',
    kind: 'layout',
    // copies of each input's rows into the output
    lower: { fusion: 'opaque', emit: (e, n) => concatRows(e, n) },
    symShape(n, ins) {
      const x = ins[0];
      const ax = normAxis(n.attrs.axis as number, x.length);
      return x.map((d, i) => (i === ax ? ins.reduce((s, t) => s.add(t[ax]), Poly.const(0)) : d));
    },
    signature: '[x0, x1, ...]; {axis}',
    shapeRule: 'x0.shape with the axis dims summed',
    dtypes: dtypeList(ALL),
    infer(inputs, attrs) {
      if (inputs.length === 0) throw new ShapeError("List argument 'values' to 'ConcatV2' Op with length 0 shorter than minimum length 1.");
      const dtype = checkListDTypes('ConcatV2', 'values', inputs);
      const known = inputs.filter((s) => s.shape !== null).map((s) => s.shape!);
      if (known.length === 0) return { dtype, shape: null };
      const rank = known[0].length;
      for (const s of known) if (s.length !== rank) throw new ShapeError(`Shape must be rank ${rank} but is rank ${s.length}`);
      const axis = concatAxis(attrNum(attrs, 'axis'), rank, ShapeError);
      const out: Dim[] = [...known[0]];
      for (const s of known.slice(1)) {
        for (let i = 0; i < rank; i++) {
          if (i === axis) continue;
          if (out[i] !== null && s[i] !== null && out[i] !== s[i]) {
            throw new ShapeError(
              `Dimension ${i} in both shapes must be equal, but are ${out[i]} and ${s[i]}. Shapes are ${formatShape(known[0])} and ${formatShape(s)}.`,
            );
          }
          out[i] = out[i] ?? s[i];
        }
      }
      let total: Dim = 0;
      for (const s of inputs) total = s.shape === null || s.shape[axis] === null || total === null ? null : total + s.shape[axis]!;
      out[axis] = total;
      return { dtype, shape: out };
    },
    eval(inputs, attrs) {
      const xs = inputs as Tensor[];
      const { axis } = concatShape(
        xs.map((x) => x.shape),
        attrNum(attrs, 'axis'),
      );
      return concatTensors(xs, axis);
    },
    grad(b, n, dy) {
      // TF1's _ConcatGradHelper: the slice of dy each input came from
      const xs = n.inputs;
      const rank = (dy.shape ?? xs.find((x) => x.shape !== null)?.shape)?.length;
      if (rank === undefined)
        return b.fail(GRAD.NEEDS_STATIC, `the gradient of ${n.name} (concat) needs the rank of its inputs to be known when the graph is built`);
      const axis = concatAxis(attrNum(n.attrs, 'axis'), rank, ShapeError);
      const sizes = xs.map((x) => (x.shape === null ? null : x.shape[axis]));
      if (sizes.every((d) => d !== null)) {
        let offset = 0;
        return xs.map((_, j) => {
          const begin = new Array<number>(rank).fill(0);
          const size = new Array<number>(rank).fill(-1);
          begin[axis] = offset;
          size[axis] = sizes[j]!;
          offset += sizes[j]!;
          return b.op('slice', [dy], { begin, size });
        });
      }
      return xs.map((_, j) => b.op('concat_slice', [dy, ...xs], { axis, index: j }, 'Slice'));
    },
  },
  stack: {
    name: 'stack',
    tfType: 'Pack',
    doc: 'Stacks same-shaped tensors along a new axis (in [-rank-1, rank]).',
    kind: 'layout',
    lower: { fusion: 'opaque', emit: (e, n) => concatRows(e, n) },
    symShape(n, ins) {
      const x = ins[0];
      const ax = normAxis(n.attrs.axis as number, x.length + 1);
      return [...x.slice(0, ax), Poly.const(ins.length), ...x.slice(ax)];
    },
    signature: '[x0, x1, ...]; {axis}',
    shapeRule: 'x0.shape with N inserted at axis',
    dtypes: dtypeList(ALL),
    infer(inputs, attrs) {
      if (inputs.length === 0) throw new ShapeError("List argument 'values' to 'Pack' Op with length 0 shorter than minimum length 1.");
      const dtype = checkListDTypes('Pack', 'values', inputs);
      let shape: Shape = inputs[0].shape;
      for (const s of inputs.slice(1)) {
        if (shape === null) shape = s.shape;
        else if (s.shape !== null) {
          if (s.shape.length !== shape.length) throw new ShapeError(`Shapes must be equal rank, but are ${shape.length} and ${s.shape.length}`);
          const a: Dim[] = shape;
          const b2: Dim[] = s.shape;
          shape = a.map((d, i) => {
            if (d !== null && b2[i] !== null && d !== b2[i])
              throw new ShapeError(
                `Dimension ${i} in both shapes must be equal, but are ${d} and ${b2[i]}. Shapes are ${formatShape(a)} and ${formatShape(b2)}.`,
              );
            return d ?? b2[i];
          });
        }
      }
      if (shape === null) return { dtype, shape: null };
      const axis = stackAxis(attrNum(attrs, 'axis', 0), shape.length, ShapeError);
      return { dtype, shape: [...shape.slice(0, axis), inputs.length, ...shape.slice(axis)] };
    },
    eval(inputs, attrs) {
      const xs = inputs as Tensor[];
      const { axis } = stackShape(
        xs.map((x) => x.shape),
        attrNum(attrs, 'axis', 0),
      );
      const expanded = xs.map((x) => new Tensor(x.dtype, [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)], x.data));
      return concatTensors(expanded, axis);
    },
    grad(b, n, dy) {
      // unstack dy along the stacked axis
      const rank = dy.shape?.length;
      if (rank === undefined)
        return b.fail(GRAD.NEEDS_STATIC, `the gradient of ${n.name} (stack) needs the rank of its inputs to be known when the graph is built`);
      const axis = stackAxis(attrNum(n.attrs, 'axis', 0), rank - 1, ShapeError);
      const all = { start: null, stop: null, step: null };
      return n.inputs.map((_, i) => b.stridedSlice(dy, [...new Array<AttrValue>(axis).fill(all), i]));
    },
  },
  slice: {
    name: 'slice',
    tfType: 'Slice',
    doc: 'The block starting at begin of extent size (size -1 = to the end). With `begin` and `size` inputs (TF1: tensors) they are read at run time; the attrs are then what is known of them when the graph is built.',
    kind: 'layout',
    // a view at a fixed offset: begin must be known when compiling (size may follow B)
    lower: {
      fusion: 'view',
      view: (n, v) => {
        const begin = n.attrs.begin as number[];
        return { m: v.m, o: v.o.map((p, i) => p.add(begin[i])) };
      },
    },
    compileCheck(n) {
      if (n.inputs.length === 3) {
        const begin = n.attrs.begin;
        if (!Array.isArray(begin) || begin.some((d) => typeof d !== 'number')) {
          return `its begin ('${n.inputs[1].name}') is only known at run time; the WebAssembly backend compiles a slice at a begin known when the graph is built`;
        }
      }
      return null;
    },
    symShape(n, [x]) {
      // begin and size may be partly unknown (inputs read at run time): unknown dims follow B
      const a = n.attrs;
      const begin = Array.isArray(a.begin) ? (a.begin as (number | null)[]) : [];
      const size = Array.isArray(a.size) ? (a.size as (number | null)[]) : [];
      return x.map((d, i) => {
        const z = size[i] ?? null;
        const b = begin[i] ?? null;
        if (z === null) return null;
        if (z === -1) return b === null ? null : d.sub(b);
        return Poly.const(z);
      });
    },
    signature: '[x] or [x, begin, size]; {begin: number[], size: number[]}',
    shapeInputs: {
      arity: 3,
      inputs: [
        { index: 1, attr: 'begin' },
        { index: 2, attr: 'size' },
      ],
    },
    shapeRule: 'size (with -1 = dim - begin); with the inputs, their static values',
    dtypes: dtypeList(ALL),
    infer(inputs, attrs) {
      checkArity('Slice', inputs, [1, 3]);
      if (inputs.length === 2) throw new OpTypeError('Slice takes 1 or 3 inputs, got 2');
      if (inputs.length === 3) {
        checkShapeInput('begin', inputs[1]);
        checkShapeInput('size', inputs[2]);
        return {
          dtype: inputs[0].dtype,
          shape: sliceStatic(inputs[0].shape, partialAttr(attrs, 'begin'), partialAttr(attrs, 'size'), inputs[1].shape, inputs[2].shape),
        };
      }
      const begin = attrNums(attrs, 'begin') ?? [];
      const size = attrNums(attrs, 'size') ?? [];
      const s = inputs[0].shape ?? new Array<Dim>(begin.length).fill(null);
      return { dtype: inputs[0].dtype, shape: sliceShape(s, begin, size, ShapeError) };
    },
    eval(inputs, attrs) {
      const x = inputs[0]!;
      const dynamic = inputs.length === 3;
      const begin = dynamic ? vectorInput(inputs[1]!, 'begin') : (attrNums(attrs, 'begin') ?? []);
      const size = sliceShape(x.shape, begin, dynamic ? vectorInput(inputs[2]!, 'size') : (attrNums(attrs, 'size') ?? []), InvalidArgumentError) as number[];
      const st = stridesOf(x.shape);
      const base = begin.reduce((a, b, i) => a + b * st[i], 0);
      return gatherStrided(x, size, st, base);
    },
    grad(b, n, dy) {
      if (n.inputs.length === 3) {
        // TF1's _SliceGrad pads dy by the run-time begin: slice_grad reads it (begin, size: no gradient)
        return [b.op('slice_grad', [dy, n.inputs[0], n.inputs[1]], { begin: n.attrs.begin ?? null }, 'Pad'), null, null];
      }
      const begin = attrNums(n.attrs, 'begin') ?? [];
      const size = attrNums(n.attrs, 'size') ?? [];
      const index: AttrValue[] = begin.map((s0, i) => ({ start: s0, stop: size[i] === -1 ? null : s0 + size[i], step: 1 }));
      return [b.op('strided_slice_grad', [dy, n.inputs[0]], { index }, 'Pad')];
    },
  },
  strided_slice: {
    name: 'strided_slice',
    tfType: 'StridedSlice',
    doc: "Python basic indexing: integers drop a dim, start:stop:step slices, 'newaxis' inserts a 1.",
    kind: 'layout',
    lower: { fusion: 'view', view: (n, v, ctx) => stridedSliceView(n, v, ctx.shape(n.inputs[0]), ctx.cols) },
    symShape: (n, [x]) => stridedSliceRule(n.attrs.index, x),
    signature: "[x]; {index: (int | {start, stop, step} | 'newaxis')[]}",
    shapeRule: 'one dim per slice or newaxis, then the untouched trailing dims',
    dtypes: dtypeList(ALL),
    infer(inputs, attrs) {
      checkArity('StridedSlice', inputs, 1);
      const s = inputs[0].shape;
      if (s === null) return { dtype: inputs[0].dtype, shape: null };
      const plan = planSlice(parseIndex(attrs), s, ShapeError);
      return { dtype: inputs[0].dtype, shape: plan.dims.map((d) => d.size) };
    },
    eval(inputs, attrs) {
      const x = inputs[0]!;
      const plan = planSlice(parseIndex(attrs), x.shape, InvalidArgumentError);
      const st = stridesOf(x.shape);
      let base = 0;
      for (const f of plan.fixed) base += f.index * st[f.axis];
      for (const d of plan.dims) if (d.axis >= 0) base += d.start * st[d.axis];
      const shape = plan.dims.map((d) => d.size as number);
      return gatherStrided(
        x,
        shape,
        plan.dims.map((d) => (d.axis < 0 ? 0 : d.step * st[d.axis])),
        base,
      );
    },
    grad(b, n, dy) {
      return [b.op('strided_slice_grad', [dy, n.inputs[0]], { index: n.attrs.index }, 'StridedSliceGrad')];
    },
  },
  gather: {
    name: 'gather',
    tfType: 'GatherV2',
    doc: 'Picks slices of params along axis at the int32 indices.',
    kind: 'layout',
    // a row copy per index, each index range-checked
    lower: { fusion: 'opaque', emit: gatherRows },
    symShape(n, [x, ix]) {
      const ax = normAxis(n.attrs.axis as number, x.length);
      return [...x.slice(0, ax), ...ix, ...x.slice(ax + 1)];
    },
    signature: '[params, indices]; {axis}',
    shapeRule: 'params.shape[:axis] + indices.shape + params.shape[axis+1:]',
    dtypes: 'params any; indices i32',
    infer(inputs, attrs) {
      checkArity('GatherV2', inputs, 2);
      checkDType('indices', inputs[1].dtype, INT);
      const p = inputs[0].shape;
      const ix = inputs[1].shape;
      if (p === null || ix === null) return { dtype: inputs[0].dtype, shape: null };
      if (p.length < 1) throw new ShapeError(`Shape must be at least rank 1 but is rank 0`);
      const axis = axisOf(attrNum(attrs, 'axis', 0), p.length);
      return { dtype: inputs[0].dtype, shape: [...p.slice(0, axis), ...ix, ...p.slice(axis + 1)] };
    },
    eval(inputs, attrs) {
      const p = inputs[0]!;
      const ix = inputs[1]!;
      if (p.rank < 1) throw new InvalidArgumentError('params must be at least 1 dimensional');
      const axis = axisOf(attrNum(attrs, 'axis', 0), p.rank);
      const limit = p.shape[axis];
      const idx = Array.from(ix.data);
      idx.forEach((v, i) => {
        if (v < 0 || v >= limit) throw new InvalidArgumentError(`indices${sliceDebugString(ix.shape, i)} = ${v} is not in [0, ${limit})`);
      });
      return takeAlongAxis(p, axis, idx, [...p.shape.slice(0, axis), ...ix.shape, ...p.shape.slice(axis + 1)]);
    },
    grad(b, n, dy) {
      // TF1 gives IndexedSlices; densely: scatter-add dy into zeros of params' shape
      const [params, indices] = n.inputs;
      return [b.op('scatter_add', [params, indices, dy], { axis: attrNum(n.attrs, 'axis', 0) }, 'UnsortedSegmentSum'), null];
    },
  },
  shape: {
    name: 'shape',
    tfType: 'Shape',
    doc: 'The shape of x as an int32 vector.',
    kind: 'layout',
    lower: { fusion: 'opaque', emit: storeShapeFacts },
    symShape: (_n, [x]) => [Poly.const(x.length)],
    signature: '[x]',
    shapeRule: '[rank(x)]',
    dtypes: `${dtypeList(ALL)} → i32`,
    infer(inputs) {
      checkArity('Shape', inputs, 1);
      return { dtype: 'i32', shape: [inputs[0].shape === null ? null : inputs[0].shape.length] };
    },
    eval(inputs) {
      const x = inputs[0]!;
      return new Tensor('i32', [x.rank], Int32Array.from(x.shape));
    },
    grad: NOT_DIFFERENTIABLE,
  },
  size: {
    name: 'size',
    tfType: 'Size',
    doc: 'The number of elements of x as an int32 scalar.',
    kind: 'layout',
    lower: { fusion: 'opaque', emit: storeShapeFacts },
    signature: '[x]',
    shapeRule: '[] (scalar)',
    dtypes: `${dtypeList(ALL)} → i32`,
    infer(inputs) {
      checkArity('Size', inputs, 1);
      return { dtype: 'i32', shape: [] };
    },
    eval(inputs) {
      return Tensor.scalar('i32', inputs[0]!.size);
    },
    grad: NOT_DIFFERENTIABLE,
  },
  rank: {
    name: 'rank',
    tfType: 'Rank',
    doc: 'The rank of x as an int32 scalar.',
    kind: 'layout',
    lower: { fusion: 'opaque', emit: storeShapeFacts },
    signature: '[x]',
    shapeRule: '[] (scalar)',
    dtypes: `${dtypeList(ALL)} → i32`,
    infer(inputs) {
      checkArity('Rank', inputs, 1);
      return { dtype: 'i32', shape: [] };
    },
    eval(inputs) {
      return Tensor.scalar('i32', inputs[0]!.rank);
    },
    grad: NOT_DIFFERENTIABLE,
  },
  one_hot: {
    name: 'one_hot',
    tfType: 'OneHot',
    doc: 'on_value where the index equals the position along a new depth axis, else off_value (out-of-range indices give all off_value).',
    kind: 'layout',
    lower: { fusion: 'opaque', emit: oneHotLoop },
    symShape(n, [x]) {
      const axis = (n.attrs.axis as number | undefined) ?? -1;
      const depth = Poly.const(n.attrs.depth as number);
      const ax = axis === -1 ? x.length : axis;
      return [...x.slice(0, ax), depth, ...x.slice(ax)];
    },
    signature: '[indices]; {depth, on_value, off_value, axis, dtype}',
    shapeRule: 'indices.shape with depth inserted at axis (-1 = last)',
    dtypes: 'indices i32 → dtype',
    infer(inputs, attrs) {
      checkArity('OneHot', inputs, 1);
      checkDType('indices', inputs[0].dtype, INT);
      const depth = attrNum(attrs, 'depth');
      if (depth < 0) throw new ShapeError(`depth must be non-negative, got: ${depth}`);
      const dtype = attrDType(attrs, 'dtype', 'f32');
      const s = inputs[0].shape;
      if (s === null) return { dtype, shape: null };
      const axis = oneHotAxis(attrNum(attrs, 'axis', -1), s.length, ShapeError);
      return { dtype, shape: [...s.slice(0, axis), depth, ...s.slice(axis)] };
    },
    eval(inputs, attrs) {
      const ix = inputs[0]!;
      const depth = attrNum(attrs, 'depth');
      if (depth < 0) throw new InvalidArgumentError(`depth must be non-negative, got: ${depth}`);
      const dtype = attrDType(attrs, 'dtype', 'f32');
      const on = castScalar(attrNum(attrs, 'on_value', 1), dtype);
      const off = castScalar(attrNum(attrs, 'off_value', 0), dtype);
      const axis = oneHotAxis(attrNum(attrs, 'axis', -1), ix.rank, InvalidArgumentError);
      const shape = [...ix.shape.slice(0, axis), depth, ...ix.shape.slice(axis)];
      let outer = 1;
      for (let i = 0; i < axis; i++) outer *= ix.shape[i];
      const inner = ix.size / Math.max(outer, 1) || 0;
      const out = allocArray(dtype, sizeOf(shape)).fill(off);
      for (let a = 0; a < outer; a++) {
        for (let c = 0; c < inner; c++) {
          const v = ix.data[a * inner + c];
          if (v >= 0 && v < depth) out[(a * depth + v) * inner + c] = on;
        }
      }
      return new Tensor(dtype, shape, out);
    },
    grad: NOT_DIFFERENTIABLE,
  },
  // ---- internal ops made by gradients (compiler/grad/) ----
  broadcast_like: {
    name: 'broadcast_like',
    tfType: 'BroadcastTo',
    doc: "Internal (gradients): g broadcast numpy-style to like's run-time shape.",
    kind: 'layout',
    symShape: (_n, ins) => ins[1],
    lower: checkedKernel(broadcastLike),
    signature: '[g, like]',
    shapeRule: 'like.shape',
    dtypes: 'g any; like any',
    infer(inputs) {
      checkArity('BroadcastTo', inputs, 2);
      return { dtype: inputs[0].dtype, shape: inputs[1].shape };
    },
    eval(inputs) {
      const g = inputs[0]!;
      const target = inputs[1]!.shape;
      const b = broadcastConcrete(g.shape, target);
      if (!b || !sameShape(b, target)) throw new InvalidArgumentError(`Unable to broadcast tensor of shape ${fmt(g.shape)} to tensor of shape ${fmt(target)}`);
      return gatherStrided(g, target, broadcastStrides(g.shape, target));
    },
    grad(b, n, dy) {
      return [b.sumToShape(dy, n.inputs[0]), null];
    },
  },
  reshape_like: {
    name: 'reshape_like',
    tfType: 'Reshape',
    doc: "Internal (gradients): x reshaped to like's run-time shape.",
    kind: 'layout',
    symShape: (_n, ins) => ins[1],
    lower: checkedKernel(reshapeLike),
    signature: '[x, like]',
    shapeRule: 'like.shape',
    dtypes: 'x any; like any',
    infer(inputs) {
      checkArity('Reshape', inputs, 2);
      return { dtype: inputs[0].dtype, shape: inputs[1].shape };
    },
    eval(inputs) {
      const x = inputs[0]!;
      const like = inputs[1]!;
      if (x.size !== like.size) throw new InvalidArgumentError(`Input to reshape is a tensor with ${x.size} values, but the requested shape has ${like.size}`);
      return new Tensor(x.dtype, like.shape, x.data);
    },
    grad(b, n, dy) {
      return [b.reshapeTo(dy, n.inputs[0]), null];
    },
  },
  strided_slice_grad: {
    name: 'strided_slice_grad',
    tfType: 'StridedSliceGrad',
    doc: "Internal (gradients of slice and strided_slice): zeros of x's shape with dy written where x[index] reads.",
    kind: 'layout',
    symShape: (_n, ins) => ins[1],
    lower: checkedKernel(stridedSliceGrad),
    signature: '[dy, x]; {index}',
    shapeRule: 'x.shape',
    dtypes: 'dy any; x any',
    infer(inputs, attrs) {
      checkArity('StridedSliceGrad', inputs, 2);
      parseIndex(attrs);
      return { dtype: inputs[0].dtype, shape: inputs[1].shape };
    },
    eval(inputs, attrs) {
      const dy = inputs[0]!;
      const x = inputs[1]!;
      const plan = planSlice(parseIndex(attrs), x.shape, InvalidArgumentError);
      const shape = plan.dims.map((d) => d.size as number);
      if (!sameShape(shape, dy.shape)) throw new InvalidArgumentError(`StridedSliceGrad: dy has shape ${fmt(dy.shape)} but the slice has shape ${fmt(shape)}`);
      const st = stridesOf(x.shape);
      let base = 0;
      for (const f of plan.fixed) base += f.index * st[f.axis];
      for (const d of plan.dims) if (d.axis >= 0) base += d.start * st[d.axis];
      const out = allocArray(dy.dtype, x.size);
      const src = dy.data;
      forEachStrided(shape, [plan.dims.map((d) => (d.axis < 0 ? 0 : d.step * st[d.axis]))], (o, offs) => {
        out[base + offs[0]] = src[o];
      });
      return new Tensor(dy.dtype, x.shape, out);
    },
    grad(b, n, dy) {
      return [b.stridedSlice(dy, n.attrs.index as AttrValue[]), null];
    },
  },
  slice_grad: {
    name: 'slice_grad',
    tfType: 'Pad',
    doc: "Internal (gradient of slice with begin and size inputs): zeros of x's shape with dy written at the run-time begin (TF1's _SliceGrad pads dy); attr begin is what is known of it when the graph is built.",
    kind: 'layout',
    symShape: (_n, ins) => ins[1],
    lower: checkedKernel(sliceGrad),
    signature: '[dy, x, begin]; {begin: (number | null)[] | null}',
    shapeInputs: { arity: 3, inputs: [{ index: 2, attr: 'begin' }] },
    shapeRule: 'x.shape',
    dtypes: 'dy any; x any; begin i32',
    infer(inputs, attrs) {
      checkArity('Pad', inputs, 3);
      checkShapeInput('begin', inputs[2]);
      partialAttr(attrs, 'begin');
      return { dtype: inputs[0].dtype, shape: inputs[1].shape };
    },
    eval(inputs) {
      const dy = inputs[0]!;
      const x = inputs[1]!;
      const begin = vectorInput(inputs[2]!, 'begin');
      const size = sliceShape(x.shape, begin, [...dy.shape], InvalidArgumentError) as number[];
      if (!sameShape(size, dy.shape)) throw new InvalidArgumentError(`Pad: dy has shape ${fmt(dy.shape)} but the slice has shape ${fmt(size)}`);
      const st = stridesOf(x.shape);
      const base = begin.reduce((a, b0, i) => a + b0 * st[i], 0);
      const out = allocArray(dy.dtype, x.size);
      const src = dy.data;
      forEachStrided(size, [st], (o, offs) => {
        out[base + offs[0]] = src[o];
      });
      return new Tensor(dy.dtype, x.shape, out);
    },
    grad(b, n, dy) {
      // the slice of dy at begin, of the incoming gradient's shape
      const sizeOf = b.op('shape', [n.inputs[0]], {}, 'Shape');
      return [
        b.op('slice', [dy, n.inputs[2], sizeOf], { begin: n.attrs.begin ?? null, size: n.inputs[0].shape === null ? null : [...n.inputs[0].shape] }, 'Slice'),
        null,
        null,
      ];
    },
  },
  concat_slice: {
    name: 'concat_slice',
    tfType: 'Slice',
    doc: 'Internal (gradient of concat with unknown sizes): the part of dy along axis that input `index` of [x0, x1, ...] occupies, from their run-time shapes.',
    kind: 'layout',
    symShape: (n, ins) => ins[1 + (n.attrs.index as number)],
    lower: checkedKernel(concatSlice),
    signature: '[dy, x0, x1, ...]; {axis, index}',
    shapeRule: 'x_index.shape',
    dtypes: 'dy any; xs any',
    infer(inputs, attrs) {
      checkArity('Slice', inputs, [2, Infinity]);
      const index = attrNum(attrs, 'index');
      if (!Number.isInteger(index) || index < 0 || index >= inputs.length - 1) throw new ShapeError(`concat_slice index ${index} out of range`);
      return { dtype: inputs[0].dtype, shape: inputs[1 + index].shape };
    },
    eval(inputs, attrs) {
      const dy = inputs[0]!;
      const xs = inputs.slice(1) as Tensor[];
      const axis = concatAxis(attrNum(attrs, 'axis'), dy.rank, InvalidArgumentError);
      const index = attrNum(attrs, 'index');
      let offset = 0;
      for (let j = 0; j < index; j++) offset += xs[j].shape[axis];
      const shape = [...dy.shape];
      shape[axis] = xs[index].shape[axis];
      if (offset + shape[axis] > dy.shape[axis]) throw new InvalidArgumentError(`concat_slice: inputs do not fit in dy of shape ${fmt(dy.shape)}`);
      const st = stridesOf(dy.shape);
      return gatherStrided(dy, shape, st, offset * st[axis]);
    },
    grad(b, n, dy) {
      const index = attrNum(n.attrs, 'index');
      const xs = n.inputs.slice(1);
      const parts = xs.map((x, j) => (j === index ? dy : b.zerosLike(x)));
      return [b.op('concat', parts, { axis: attrNum(n.attrs, 'axis') }), ...xs.map(() => null)];
    },
  },
  scatter_add: {
    name: 'scatter_add',
    tfType: 'UnsortedSegmentSum',
    doc: "Internal (gradient of gather): zeros of params' shape plus each updates slice added at its index along axis (repeated indices add up).",
    kind: 'layout',
    symShape: (_n, ins) => ins[0],
    lower: checkedKernel(scatterAdd),
    signature: '[params, indices, updates]; {axis}',
    shapeRule: 'params.shape',
    dtypes: 'params any; indices i32; updates any',
    infer(inputs, attrs) {
      checkArity('UnsortedSegmentSum', inputs, 3);
      checkDType('indices', inputs[1].dtype, INT);
      const p = inputs[0].shape;
      if (p !== null) axisOf(attrNum(attrs, 'axis', 0), p.length);
      return { dtype: inputs[2].dtype, shape: p };
    },
    eval(inputs, attrs) {
      const p = inputs[0]!;
      const ix = inputs[1]!;
      const upd = inputs[2]!;
      const axis = axisOf(attrNum(attrs, 'axis', 0), p.rank);
      const want = [...p.shape.slice(0, axis), ...ix.shape, ...p.shape.slice(axis + 1)];
      if (!sameShape(want, upd.shape)) throw new InvalidArgumentError(`updates has shape ${fmt(upd.shape)}, expected ${fmt(want)}`);
      const { outer, n, inner } = splitAxis(p.shape, axis);
      const out = allocArray(upd.dtype, p.size);
      const k = ix.size;
      for (let i = 0; i < k; i++) {
        const v = ix.data[i];
        if (v < 0 || v >= n) throw new InvalidArgumentError(`indices${sliceDebugString(ix.shape, i)} = ${v} is not in [0, ${n})`);
      }
      for (let a = 0; a < outer; a++) {
        for (let i = 0; i < k; i++) {
          const dst = (a * n + ix.data[i]) * inner;
          const src = (a * k + i) * inner;
          for (let c = 0; c < inner; c++) out[dst + c] += upd.data[src + c];
        }
      }
      return new Tensor(upd.dtype, p.shape, out);
    },
    grad(b, n, dy) {
      const indices = n.inputs[1];
      return [null, null, b.op('gather', [dy, indices], { axis: attrNum(n.attrs, 'axis', 0) })];
    },
  },
} satisfies Record<string, OpDef>;

// ---------------------------------------------------------------- op-specific helpers

function stackAxis(axis: number, rank: number, Err: new (m: string) => Error): number {
  if (!Number.isInteger(axis) || axis < -rank - 1 || axis > rank) throw new Err(`axis = ${axis} not in [${-rank - 1}, ${rank + 1})`);
  return axis < 0 ? axis + rank + 1 : axis;
}

function concatAxis(axis: number, rank: number, Err: new (m: string) => Error): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    throw new Err(`ConcatOp : Expected concatenating dimensions in the range [${-rank}, ${rank}), but got ${axis}`);
  return axis < 0 ? axis + rank : axis;
}

function oneHotAxis(axis: number, rank: number, Err: new (m: string) => Error): number {
  if (!Number.isInteger(axis) || axis < -1 || axis > rank) throw new Err(`Expected axis to be -1 or between [0, ${rank + 1}).  But received: ${axis}`);
  return axis === -1 ? rank : axis;
}

/**
 * Reshape's static shape from a partially known target (TF1's Reshape shape function with
 * constant_value_as_shape): known entries stay; -1 and unknown entries are unknown dims, except
 * that a single one of them is inferred when x's size and every other entry are known.
 */
function reshapeStatic(x: Shape, shapeSig: TensorSig, target: Dim[] | null): Shape {
  checkShapeInput('shape', shapeSig);
  if (target === null) {
    const k = shapeSig.shape?.[0];
    return k === null || k === undefined ? null : unknownDims(k);
  }
  checkDimCount(target.length);
  if (shapeSig.shape !== null && shapeSig.shape[0] !== null && shapeSig.shape[0] !== target.length)
    throw new OpTypeError(`attribute 'shape' has ${target.length} entries for a shape input of ${shapeSig.shape[0]}`);
  let minusOne = -1;
  target.forEach((d, i) => {
    if (d === null) return;
    if (d === -1) {
      if (minusOne >= 0) throw new ShapeError(`Only one input size may be -1, not both ${minusOne} and ${i}`);
      minusOne = i;
    } else if (!Number.isInteger(d) || d < 0) throw new ShapeError(`Size ${i} must be non-negative, not ${d}`);
  });
  const out: Dim[] = target.map((d) => (d === -1 ? null : d));
  const unknown = out.flatMap((d, i) => (d === null ? [i] : []));
  const known = (out.filter((d) => d !== null) as number[]).reduce((a, d) => a * d, 1);
  if (isFullyDefined(x)) {
    const n = sizeOf(x);
    if (unknown.length === 0 && known !== n)
      throw new ShapeError(`Cannot reshape a tensor with ${n} elements to shape [${target.join(',')}] (${known} elements)`);
    if (unknown.length === 1 && known > 0) {
      if (n % known !== 0) throw new ShapeError(`Dimension size must be evenly divisible by ${known} but is ${n}`);
      out[unknown[0]] = n / known;
    }
  }
  return out;
}

/** Slice's static shape from partially known begin and size (unknown entries: unknown dims). */
function sliceStatic(x: Shape, begin: Dim[] | null, size: Dim[] | null, beginShape: Shape, sizeShape: Shape): Shape {
  const rank = x?.length ?? size?.length ?? begin?.length ?? beginShape?.[0] ?? sizeShape?.[0] ?? null;
  if (rank === null) return null;
  const b = begin ?? new Array<Dim>(rank).fill(null);
  const z = size ?? new Array<Dim>(rank).fill(null);
  const s = x ?? new Array<Dim>(rank).fill(null);
  if (b.length !== rank || z.length !== rank) {
    throw new ShapeError(`Expected begin and size arguments to be 1-D tensors of size ${rank}, but got shapes [${b.length}] and [${z.length}] instead.`);
  }
  if (b.every((d) => d !== null) && z.every((d) => d !== null)) return sliceShape(s, b as number[], z as number[], ShapeError);
  return s.map((d, i) => {
    const zi = z[i];
    const bi = b[i];
    if (zi !== null && zi !== -1) {
      if (!Number.isInteger(zi) || zi < 0) throw new ShapeError(`Expected size[${i}] in [0, ${d ?? '?'}], but got ${zi}`);
      return zi;
    }
    if (zi === -1 && bi !== null && d !== null) return d - bi;
    return null;
  });
}

function concatTensors(xs: Tensor[], axis: number): Tensor {
  const x0 = xs[0];
  const shape = [...x0.shape];
  shape[axis] = xs.reduce((a, x) => a + x.shape[axis], 0);
  const out = allocArray(x0.dtype, sizeOf(shape));
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  const chunks = xs.map((x) => (outer === 0 ? 0 : x.size / outer));
  let o = 0;
  for (let a = 0; a < outer; a++) {
    xs.forEach((x, j) => {
      const c = chunks[j];
      out.set(x.data.subarray(a * c, (a + 1) * c) as never, o);
      o += c;
    });
  }
  return new Tensor(x0.dtype, shape, out);
}

// ---------------------------------------------------------------- symbolic shapes and views

const asNums = (v: unknown): number[] => (Array.isArray(v) ? (v as number[]) : []);

/** transpose as index arithmetic: input dim perm[k] walks as output dim k. */
function transposeView(n: Node, v: View, ctx: ViewContext): View {
  const xs = ctx.shape(n.inputs[0]);
  const perm = n.attrs.perm === null || n.attrs.perm === undefined ? xs.map((_, i) => xs.length - 1 - i) : (n.attrs.perm as number[]);
  const m: number[][] = new Array(xs.length);
  const o: Poly[] = new Array(xs.length);
  perm.forEach((p, k) => {
    m[p] = v.m[k];
    o[p] = v.o[k];
  });
  return { m, o };
}

/** squeeze as index arithmetic: a squeezed dim (size 1) is always index 0. */
function squeezeView(n: Node, v: View, ctx: ViewContext): View {
  const xs = ctx.shape(n.inputs[0]);
  const axes =
    n.attrs.axis === null || n.attrs.axis === undefined
      ? xs.flatMap((d, i) => (d.equals(1) ? [i] : []))
      : (n.attrs.axis as number[]).map((a) => normAxis(a, xs.length));
  const m: number[][] = [];
  const o: Poly[] = [];
  let k = 0;
  for (let i = 0; i < xs.length; i++) {
    if (axes.includes(i)) {
      m.push(new Array<number>(ctx.cols).fill(0));
      o.push(Poly.const(0));
    } else {
      m.push(v.m[k]);
      o.push(v.o[k++]);
    }
  }
  return { m, o };
}

/** The view of x a strided_slice node reads for output view `v` (x of symbolic shape `xs`). */
export function stridedSliceView(n: Node, v: View, xs: Poly[], cols: number): View {
  const index = n.attrs.index as Array<number | 'newaxis' | { start: number | null; stop: number | null; step: number | null }>;
  const m: number[][] = [];
  const o: Poly[] = [];
  let k = 0;
  const zero = (): number[] => new Array(cols).fill(0);
  for (const it of index) {
    const d = m.length;
    if (it === 'newaxis') {
      k++;
      continue;
    }
    if (typeof it === 'number') {
      m.push(zero());
      o.push(it < 0 ? xs[d].add(it) : Poly.const(it));
      continue;
    }
    const step = it.step ?? 1;
    const dim = xs[d];
    let start: Poly;
    if (dim.isConst()) {
      const len = dim.constValue();
      let s = it.start ?? (step > 0 ? 0 : len - 1);
      if (s < 0) s += len;
      s = step > 0 ? Math.min(Math.max(s, 0), len) : Math.min(Math.max(s, -1), len - 1);
      start = Poly.const(s);
    } else {
      start = it.start === null ? (step > 0 ? Poly.const(0) : dim.sub(1)) : it.start < 0 ? dim.add(it.start) : Poly.const(it.start);
    }
    m.push(v.m[k].map((x) => x * step));
    o.push(v.o[k].scale(step).add(start));
    k++;
  }
  while (m.length < xs.length) {
    m.push(v.m[k]);
    o.push(v.o[k++]);
  }
  return { m, o };
}

/** Python basic indexing over symbolic dims; only unit steps over unknown dims. */
function stridedSliceRule(index: unknown, x: Poly[]): (Poly | null)[] | null {
  if (!Array.isArray(index)) return null;
  const out: (Poly | null)[] = [];
  let d = 0;
  for (const it of index as unknown[]) {
    if (it === 'newaxis') {
      out.push(Poly.const(1));
      continue;
    }
    if (typeof it === 'number') {
      d++;
      continue;
    }
    const sl = it as { start: number | null; stop: number | null; step: number | null };
    const dim = x[d++];
    const step = sl.step ?? 1;
    if (!dim) {
      out.push(null);
      continue;
    }
    if (!dim.isConst() && Math.abs(step) !== 1)
      throw new ScheduleError(
        `Cannot compile a strided slice with step ${step} over the unknown dimension ${d - 1} (every unknown dim is the batch size B; only steps of 1 and -1 are planned)`,
      );
    const len = sliceLen(dim, sl.start, sl.stop, step);
    if (len && len.isConst() && len.constValue() < 0)
      throw new ScheduleError(
        `Cannot compile the slice [${sl.start ?? ''}:${sl.stop ?? ''}] over the unknown dimension ${d - 1}: its length depends on clamping to the run-time size`,
      );
    out.push(len);
  }
  for (; d < x.length; d++) out.push(x[d]);
  return out;
}

/** Length of x[start:stop:±1] over a symbolic dim, assuming indices within range. */
function sliceLen(dim: Poly, start: number | null, stop: number | null, step: number): Poly | null {
  const norm = (v: number): Poly => (v < 0 ? dim.add(v) : Poly.const(v));
  if (step === 1) {
    const s = start === null ? Poly.const(0) : norm(start);
    const e = stop === null ? dim : norm(stop);
    return e.sub(s);
  }
  const s = start === null ? dim.sub(1) : norm(start);
  const e = stop === null ? Poly.const(-1) : norm(stop);
  return s.sub(e);
}

// ---------------------------------------------------------------- opaque lowerings

/** concat and stack: each input's rows copied to its offset in every output row. */
function concatRows(e: OpaqueEmitter, n: Node): Expr[] {
  const { m, f } = e;
  const P = (p: Poly): Expr => e.poly(p);
  const es = byteSize(n.dtype!);
  const os = e.shape(n);
  const axis = normAxis((n.attrs.axis as number) ?? 0, os.length);
  const outer = numel(os.slice(0, axis));
  const outRow = numel(os.slice(axis)).scale(es);
  const out: Expr[] = [];
  let at = Poly.const(0);
  const o = f.local('i32');
  for (const x of n.inputs) {
    const xRow = numel(e.shape(x).slice(axis)).scale(es);
    const off = at;
    out.push(
      m.forRange(o, m.i32(0), () => P(outer), 1, [
        m.memoryCopy(
          m.binary('i32.add', m.binary('i32.add', e.addr(n), m.binary('i32.mul', f.get(o), P(outRow))), P(off)),
          m.binary('i32.add', e.addr(x), m.binary('i32.mul', f.get(o), P(xRow))),
          P(xRow),
        ),
      ]),
    );
    at = at.add(xRow);
  }
  return out;
}

/** gather: one row copy per index (outer × indices), each index checked first. */
function gatherRows(e: OpaqueEmitter, n: Node): Expr[] {
  const { m, f } = e;
  const P = (p: Poly): Expr => e.poly(p);
  const A = (x: Node): Expr => e.addr(x);
  const es = byteSize(n.dtype!);
  const ps = e.shape(n.inputs[0]);
  const axis = normAxis((n.attrs.axis as number) ?? 0, ps.length);
  const { outer, len, inner } = splitSym(ps, axis);
  const ni = numel(e.shape(n.inputs[1]));
  const [o, i, ix, no, nni, nlen, rowBytes] = [0, 0, 0, 0, 0, 0, 0].map(() => f.local('i32'));
  const vb = e.values();
  vb.fail(
    m.binary('i32.or', m.binary('i32.lt_s', f.get(ix), m.i32(0)), m.binary('i32.ge_s', f.get(ix), f.get(nlen))),
    FAIL.indexOutOfRange,
    f.get(i),
    f.get(ix),
  );
  const check = [...vb.stmts];
  return [
    f.set(no, P(outer)),
    f.set(nni, P(ni)),
    f.set(nlen, P(len)),
    f.set(rowBytes, P(inner.scale(es))),
    m.forRange(o, m.i32(0), () => f.get(no), 1, [
      m.forRange(i, m.i32(0), () => f.get(nni), 1, [
        f.set(ix, m.load('i32', m.binary('i32.add', A(n.inputs[1]), m.binary('i32.shl', f.get(i), m.i32(2))))),
        ...check,
        m.if(m.binary('i32.ne', m.load('i32', m.i32(STATUS_ADDR)), m.i32(0)), m.return(m.i32(1))),
        m.memoryCopy(
          m.binary('i32.add', A(n), m.binary('i32.mul', m.binary('i32.add', m.binary('i32.mul', f.get(o), f.get(nni)), f.get(i)), f.get(rowBytes))),
          m.binary('i32.add', A(n.inputs[0]), m.binary('i32.mul', m.binary('i32.add', m.binary('i32.mul', f.get(o), f.get(nlen)), f.get(ix)), f.get(rowBytes))),
          f.get(rowBytes),
        ),
      ]),
    ]),
  ];
}

/** shape, size, rank: the symbolic facts stored as int32. */
function storeShapeFacts(e: OpaqueEmitter, n: Node): Expr[] {
  const s = e.shape(n.inputs[0]);
  const vals = n.op === 'shape' ? s : n.op === 'size' ? [numel(s)] : [Poly.const(s.length)];
  return vals.map((v, i) => e.m.store('i32', e.addr(n), e.poly(v), i * 4));
}

/** one_hot: on_value where the index equals the depth position, else off_value. */
function oneHotLoop(e: OpaqueEmitter, n: Node): Expr[] {
  const { m, f } = e;
  const P = (p: Poly): Expr => e.poly(p);
  const A = (x: Node): Expr => e.addr(x);
  const dt = n.dtype!;
  const es = byteSize(dt);
  const vb = e.values();
  const is = e.shape(n.inputs[0]);
  const a = n.attrs.axis === undefined || n.attrs.axis === null || (n.attrs.axis as number) === -1 ? is.length : (n.attrs.axis as number);
  const depth = n.attrs.depth as number;
  const outer = numel(is.slice(0, a));
  const inner = numel(is.slice(a));
  const [o, d, i, v] = [0, 0, 0, 0].map(() => f.local('i32'));
  const on = vb.const((n.attrs.on_value as number) ?? 1, dt);
  const off = vb.const((n.attrs.off_value as number) ?? 0, dt);
  const sel = vb.scalar();
  const addr = (): Expr =>
    m.binary(
      'i32.add',
      A(n),
      m.binary(
        'i32.mul',
        m.binary('i32.add', m.binary('i32.mul', m.binary('i32.add', m.binary('i32.mul', f.get(o), m.i32(depth)), f.get(d)), P(inner)), f.get(i)),
        m.i32(es),
      ),
    );
  const valL = f.local(scalarType(dt));
  const st = sel.store({ dtype: dt, get: () => f.get(valL) } as KValue, addr);
  return [
    ...vb.stmts,
    m.forRange(o, m.i32(0), () => P(outer), 1, [
      m.forRange(d, m.i32(0), m.i32(depth), 1, [
        m.forRange(i, m.i32(0), () => P(inner), 1, [
          f.set(
            v,
            m.load(
              'i32',
              m.binary('i32.add', A(n.inputs[0]), m.binary('i32.shl', m.binary('i32.add', m.binary('i32.mul', f.get(o), P(inner)), f.get(i)), m.i32(2))),
            ),
          ),
          f.set(valL, m.select(m.binary('i32.eq', f.get(v), f.get(d)), on.get(), off.get())),
          st,
        ]),
      ]),
    ]),
  ];
}

// ---- the internal gradient ops (checkedKernel: their run-time shape checks, then the body) ----
//
// Shape facts the symbolic shapes cannot prove are checked at run time and fail with
// `FAIL.shapeCheck` (the loader words the reference's error from the node's op and the run-time
// shapes of its inputs).

/** broadcast_like: a copy with stride 0 on the broadcast dims. */
function broadcastLike(e: OpaqueEmitter, vb: ValueOps, n: Node): Expr[] {
  const g = n.inputs[0];
  const gs = e.shape(g);
  const out = e.shape(n);
  const lead = out.length - gs.length;
  if (lead < 0) throw new LoweringError(`broadcast_like: rank ${gs.length} does not broadcast to rank ${out.length}`, n);
  const gst = contiguousStrides(gs);
  const strides = out.map((d, i) => {
    const j = i - lead;
    if (j < 0) return Poly.const(0);
    if (gs[j].equals(1) && !d.equals(1)) return Poly.const(0);
    checkEq(e, vb, gs[j], d);
    return gst[j];
  });
  const dt = n.dtype!;
  return copyNest(e, out, access(e, g, dt, strides), access(e, n, dt, contiguousStrides(out)));
}

/** reshape_like: a copy (the sizes checked). */
function reshapeLike(e: OpaqueEmitter, vb: ValueOps, n: Node): Expr[] {
  const m = e.m;
  const x = n.inputs[0];
  const size = numel(e.shape(x));
  const want = numel(e.shape(n));
  if (!size.equals(want)) vb.fail(m.binary('i32.ne', e.poly(size), e.poly(want)), FAIL.reshapeMismatch);
  return [m.memoryCopy(e.addr(n), e.addr(x), e.poly(want.scale(byteSize(n.dtype!))))];
}

/** strided_slice_grad: zero fill, then dy stored through the slice's view of x. */
function stridedSliceGrad(e: OpaqueEmitter, _vb: ValueOps, n: Node): Expr[] {
  const dy = n.inputs[0];
  const ds = e.shape(dy);
  const xs = e.shape(n);
  const cols = ds.length;
  const ident = { m: ds.map((_, i) => ds.map((__, j) => (i === j ? 1 : 0))), o: ds.map(() => Poly.const(0)) };
  const v = stridedSliceView(n, ident, xs, cols);
  const xst = contiguousStrides(xs);
  const strides = ds.map((_, j) => v.m.reduce((s, row, d) => s.add(xst[d].scale(row[j])), Poly.const(0)));
  const offset = v.o.reduce((s, o, d) => s.add(o.mul(xst[d])), Poly.const(0));
  const dt = n.dtype!;
  return [zeroFill(e, n), ...copyNest(e, ds, access(e, dy, dt, contiguousStrides(ds)), access(e, n, dt, strides, offset))];
}

/**
 * slice_grad: zeros of x's shape, then dy stored at the run-time `begin` (read from its buffer;
 * each begin[i] must lie in [0, x[i] - dy[i]], else FAIL.shapeCheck).
 */
function sliceGrad(e: OpaqueEmitter, vb: ValueOps, n: Node): Expr[] {
  const m = e.m;
  const [dy, , begin] = n.inputs;
  const ds = e.shape(dy);
  const xs = e.shape(n);
  const bs = e.shape(begin);
  if (ds.length !== xs.length || bs.length !== 1 || !bs[0].equals(xs.length))
    throw new LoweringError(`slice_grad: begin must be a vector of ${xs.length} values for dy of rank ${ds.length}`, n);
  const dt = n.dtype!;
  const xst = contiguousStrides(xs);
  const beginAt = (i: number): Expr => m.load('i32', e.addr(begin), i * 4);
  const off = e.f.local('i32');
  const body: Expr[] = [e.f.set(off, m.i32(0))];
  xs.forEach((d, i) => {
    vb.fail(m.binary('i32.lt_s', beginAt(i), m.i32(0)), FAIL.shapeCheck);
    vb.fail(m.binary('i32.gt_s', m.binary('i32.add', beginAt(i), e.poly(ds[i])), e.poly(d)), FAIL.shapeCheck);
    body.push(e.f.set(off, m.binary('i32.add', e.f.get(off), m.binary('i32.mul', beginAt(i), e.poly(xst[i].scale(byteSize(dt)))))));
  });
  const dst = access(e, n, dt, xst, Poly.const(0), () => m.binary('i32.add', e.addr(n), e.f.get(off)));
  return [...body, zeroFill(e, n), ...copyNest(e, ds, access(e, dy, dt, contiguousStrides(ds)), dst)];
}

/** concat_slice: a copy of the window of dy input `index` occupies. */
function concatSlice(e: OpaqueEmitter, vb: ValueOps, n: Node): Expr[] {
  const m = e.m;
  const dy = n.inputs[0];
  const ds = e.shape(dy);
  const xs = n.inputs.slice(1);
  const axis = normAxis(n.attrs.axis as number, ds.length);
  const index = n.attrs.index as number;
  let offset = Poly.const(0);
  for (let j = 0; j < index; j++) offset = offset.add(e.shape(xs[j])[axis]);
  const out = e.shape(n);
  if (out.length !== ds.length) throw new LoweringError(`concat_slice: rank ${out.length} input of a rank ${ds.length} concat`, n);
  const end = offset.add(out[axis]);
  if (!end.le(ds[axis])) vb.fail(m.binary('i32.gt_s', e.poly(end), e.poly(ds[axis])), FAIL.shapeCheck);
  const st = contiguousStrides(ds);
  const dt = n.dtype!;
  return copyNest(e, out, access(e, dy, dt, st, offset.mul(st[axis])), access(e, n, dt, contiguousStrides(out)));
}

/** scatter_add: every index checked, zero fill, then each updates row added at its index. */
function scatterAdd(e: OpaqueEmitter, outer_vb: ValueOps, n: Node): Expr[] {
  const { f } = e;
  const m = e.m;
  const [params, indices, updates] = n.inputs;
  const ps = e.shape(params);
  const is = e.shape(indices);
  const us = e.shape(updates);
  const axis = normAxis((n.attrs.axis as number) ?? 0, ps.length);
  const want = [...ps.slice(0, axis), ...is, ...ps.slice(axis + 1)];
  if (want.length !== us.length) throw new LoweringError(`scatter_add: updates of rank ${us.length}, expected rank ${want.length}`, n);
  want.forEach((d, i) => checkEq(e, outer_vb, d, us[i]));
  const outer = numel(ps.slice(0, axis));
  const len = ps[axis];
  const inner = numel(ps.slice(axis + 1));
  const kk = numel(is);
  const dt = n.dtype!;
  const t = scalarType(dt);
  const es = byteSize(dt);
  const [a, i, c, ix, no, nk, nlen, ninner, dst, src] = Array.from({ length: 10 }, () => f.local('i32'));
  const vb = e.values();
  vb.fail(
    m.binary('i32.or', m.binary('i32.lt_s', f.get(ix), m.i32(0)), m.binary('i32.ge_s', f.get(ix), f.get(nlen))),
    FAIL.indexOutOfRange,
    f.get(i),
    f.get(ix),
  );
  const ldIx = (): Expr => m.load('i32', m.binary('i32.add', e.addr(indices), m.binary('i32.shl', f.get(i), m.i32(2))));
  const at = (base: Local): Expr => m.binary('i32.add', f.get(base), m.binary('i32.mul', f.get(c), m.i32(es)));
  const load = (p: Expr): Expr => (dt === 'bool' ? m.load8u(p) : m.load(t, p));
  const store = (p: Expr, v: Expr): Expr => (dt === 'bool' ? m.store8(p, v) : m.store(t, p, v));
  const add = (x: Expr, y: Expr): Expr => m.binary(`${t}.add`, x, y);
  return [
    f.set(no, e.poly(outer)),
    f.set(nk, e.poly(kk)),
    f.set(nlen, e.poly(len)),
    f.set(ninner, e.poly(inner)),
    // every index is checked before anything is written (as the reference does)
    m.forRange(i, m.i32(0), () => f.get(nk), 1, [
      f.set(ix, ldIx()),
      ...vb.stmts,
      m.if(m.binary('i32.ne', m.load('i32', m.i32(STATUS_ADDR)), m.i32(0)), m.return(m.i32(1))),
    ]),
    zeroFill(e, n),
    m.forRange(a, m.i32(0), () => f.get(no), 1, [
      m.forRange(i, m.i32(0), () => f.get(nk), 1, [
        f.set(ix, ldIx()),
        f.set(
          dst,
          m.binary(
            'i32.add',
            e.addr(n),
            m.binary('i32.mul', m.binary('i32.mul', m.binary('i32.add', m.binary('i32.mul', f.get(a), f.get(nlen)), f.get(ix)), f.get(ninner)), m.i32(es)),
          ),
        ),
        f.set(
          src,
          m.binary(
            'i32.add',
            e.addr(updates),
            m.binary('i32.mul', m.binary('i32.mul', m.binary('i32.add', m.binary('i32.mul', f.get(a), f.get(nk)), f.get(i)), f.get(ninner)), m.i32(es)),
          ),
        ),
        m.forRange(c, m.i32(0), () => f.get(ninner), 1, [store(at(dst), add(load(at(dst)), load(at(src))))]),
      ]),
    ]),
  ];
}
