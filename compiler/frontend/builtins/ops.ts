/**
 * @fileoverview Language bindings of the op table: one builtin per TF1 function, with TF1's
 * Python signature and defaults and TF1's default node names (`Add` for `add()`, `MatMul`,
 * `Sum` for reduce_sum, `transpose`, `Reshape`, `random_uniform`, `AddN`, ...). Ops are
 * looked up in the registry when called, so a binding whose op is not there yet still
 * compiles and reports a clear error when used.
 */
import { type DType, isFloat } from '../../../session/dtype.js';
import type { Node } from '../../ir/graph.js';
import { type Shape, formatShapePy } from '../../ir/shape.js';
import { filled, filledDynamic, randomNode } from '../builders.js';
import { staticShapeValue } from '../../ops/static-value.js';
import type { Ctx } from '../context.js';
import {
  applyOp,
  axesArg,
  boolArg,
  containsTensor,
  convertInputs,
  convertToTensor,
  dtypeArg,
  fullShapeArg,
  intArg,
  makeConst,
  node,
  numberArg,
  optDTypeArg,
  optStrArg,
  requireOp,
  shapeArg,
  validateScopeName,
} from '../convert.js';
import { typeError, valueError } from '../errors.js';
import { binaryOp, truediv } from '../operators.js';
import { type Value, NONE, asTensorNode, float, int, iterate, numberOf, tensor } from '../values.js';
import { type Args, type BuiltinDef, arg, builtin } from './spec.js';

const nameOf = (a: Args): string | null => optStrArg(arg(a, 'name'), 'name');
const t = (n: Node): Value => tensor(n);

/** Open the op's name scope (user name or default) and run fn with the scope string. */
function scoped<T>(ctx: Ctx, name: string | null, def: string, fn: (scope: string) => T): T {
  if (name) validateScopeName(ctx.graph, name);
  return ctx.graph.withNameScope(name ?? def, (s) => fn(s || `${def}/`));
}

function unary(group: string, name: string, op: string, tfType: string, tf1: string, doc: string, argName = 'x'): BuiltinDef {
  return builtin(group, name, `${argName}, name=None`, tf1, doc, (a, ctx) =>
    t(applyOp(ctx, { op, tfType, name: nameOf(a), defaultName: tfType, inputs: [{ arg: 'x', value: arg(a, argName), type: 'T' }] })),
  );
}

function binary(group: string, name: string, op: string, tfType: string, tf1: string, doc: string): BuiltinDef {
  return builtin(group, name, 'x, y, name=None', tf1, doc, (a, ctx) =>
    t(
      applyOp(ctx, {
        op,
        tfType,
        name: nameOf(a),
        defaultName: tfType,
        inputs: [
          { arg: 'x', value: arg(a, 'x'), type: 'T' },
          { arg: 'y', value: arg(a, 'y'), type: 'T' },
        ],
      }),
    ),
  );
}

function valuesList(v: Value, what: string): Value[] {
  if (v.kind === 'list' || v.kind === 'tuple') return v.items;
  if (asTensorNode(v)) return [v];
  throw typeError(`${what} must be a list of tensors`);
}

/** TF1's keepdims/keep_dims and axis/reduction_indices deprecation aliases. */
function reductionArgs(a: Args): { axis: number[] | null; keepdims: boolean } {
  const axisV = arg(a, 'axis');
  const ri = arg(a, 'reduction_indices');
  if (axisV.kind !== 'none' && ri.kind !== 'none') throw valueError("Cannot specify both 'axis' and 'reduction_indices'");
  const kd = arg(a, 'keepdims');
  const kd2 = arg(a, 'keep_dims');
  if (kd.kind !== 'none' && kd2.kind !== 'none') throw valueError("Cannot specify both 'keep_dims' and 'keepdims'");
  const keep = kd.kind !== 'none' ? kd : kd2;
  return { axis: axesArg(axisV.kind !== 'none' ? axisV : ri), keepdims: keep.kind === 'none' ? false : boolArg(keep, 'keepdims') };
}

function reduction(name: string, op: string, tfType: string, doc: string): BuiltinDef {
  return builtin(
    'Reductions',
    name,
    'input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None',
    `tf.${name}`,
    doc,
    (a, ctx) => {
      const { axis, keepdims } = reductionArgs(a);
      const x = arg(a, 'input_tensor');
      const xn = asTensorNode(x);
      // TF1's _ReductionDims makes a `Const` (or `Rank`+`range`) for axis=None before the op: keep its names taken.
      if (axis === null && xn) {
        if (xn.shape !== null) ctx.graph.uniqueName('Const');
        else {
          ctx.graph.uniqueName('Rank');
          ctx.graph.uniqueName('range');
        }
      }
      return t(applyOp(ctx, { op, tfType, name: nameOf(a), defaultName: tfType, inputs: [{ arg: 'input', value: x, type: 'T' }], attrs: { axis, keepdims } }));
    },
  );
}

function argReduction(name: string, op: string, tfType: string, doc: string): BuiltinDef {
  return builtin('Reductions', name, 'input, axis=None, name=None, dimension=None, output_type=int32', `tf.${name}`, doc, (a, ctx) => {
    const axisV = arg(a, 'axis');
    const dim = arg(a, 'dimension');
    if (axisV.kind !== 'none' && dim.kind !== 'none') throw valueError("Cannot specify both 'axis' and 'dimension'");
    const ax = axisV.kind !== 'none' ? axisV : dim;
    const axis = ax.kind === 'none' ? 0 : intArg(ax, 'axis');
    if (dtypeArg(arg(a, 'output_type'), 'output_type') !== 'i32') throw typeError('output_type must be int32 (tfg has no int64)');
    return t(
      applyOp(ctx, { op, tfType, name: nameOf(a), defaultName: tfType, inputs: [{ arg: 'input', value: arg(a, 'input'), type: 'T' }], attrs: { axis } }),
    );
  });
}

function randomBuiltin(name: string, op: string, sig: string, doc: string): BuiltinDef {
  return builtin('Random', name, sig, `tf.${name}`, doc, (a, ctx) => {
    const shape = fullShapeArg(arg(a, 'shape'), `${name}(): shape`);
    const dtype = dtypeArg(arg(a, 'dtype'));
    const seedV = arg(a, 'seed');
    const seed = seedV.kind === 'none' ? null : intArg(seedV, 'seed');
    let params: Record<string, number>;
    if (op === 'random_uniform') {
      const maxv = arg(a, 'maxval');
      if (maxv.kind === 'none' && !isFloat(dtype)) throw valueError(`Must specify maxval for integer dtype <dtype: '${dtype === 'i32' ? 'int32' : dtype}'>`);
      params = { minval: numberArg(arg(a, 'minval'), 'minval'), maxval: maxv.kind === 'none' ? 1 : numberArg(maxv, 'maxval') };
    } else {
      if (!isFloat(dtype)) throw typeError(`${name}() needs a float dtype`);
      params = { mean: numberArg(arg(a, 'mean'), 'mean'), stddev: numberArg(arg(a, 'stddev'), 'stddev') };
    }
    const n = nameOf(a);
    if (n) validateScopeName(ctx.graph, n);
    return t(randomNode(ctx, op, shape, dtype, params, seed, n ?? name));
  });
}

function placeholderShape(v: Value): Shape {
  if (v.kind === 'none') return null;
  return shapeArg(v, 'placeholder(): shape', { allowUnknown: true });
}

function sentinel(name: string, a: Args): { labels: Value; logits: Value } {
  if (arg(a, '_sentinel').kind !== 'none') throw valueError(`Only call \`${name}\` with named arguments (labels=..., logits=..., ...)`);
  const labels = arg(a, 'labels');
  const logits = arg(a, 'logits');
  if (labels.kind === 'none' || logits.kind === 'none') throw valueError(`Both labels=None and logits=None must be given to ${name}`);
  return { labels, logits };
}

function softmaxAxis(a: Args): number {
  const ax = arg(a, 'axis');
  const dim = arg(a, 'dim');
  if (ax.kind !== 'none' && dim.kind !== 'none') throw valueError("Cannot specify both 'axis' and 'dim'");
  const v = ax.kind !== 'none' ? ax : dim;
  return v.kind === 'none' ? -1 : intArg(v, 'axis');
}

export const OP_BUILTINS: BuiltinDef[] = [
  // ---- tensors ----
  builtin(
    'Tensors',
    'constant',
    'value, dtype=None, shape=None, name="Const", verify_shape=False',
    'tf.constant',
    'A Const node from Python data; a scalar fills `shape`, a shorter list is padded with its last element.',
    (a, ctx) => {
      const shapeV = arg(a, 'shape');
      const shape = shapeV.kind === 'none' ? null : fullShapeArg(shapeV, 'constant(): shape');
      const v = arg(a, 'value');
      if (asTensorNode(v)) throw typeError('constant() takes Python data, not a Tensor (use identity())');
      const name = optStrArg(arg(a, 'name'), 'name') ?? 'Const';
      const n = makeConst(ctx, v, optDTypeArg(arg(a, 'dtype')), name, shape);
      if (shape && boolArg(arg(a, 'verify_shape'), 'verify_shape')) {
        const vs = v.kind === 'list' || v.kind === 'tuple' ? null : [];
        if (vs === null) {
          // verify_shape demands the value's own shape be the requested one
          const own = convertShapeOf(v);
          if (own.join(',') !== shape.join(',')) throw typeError(`Expected Tensor's shape: ${formatShapePy(shape)}, got ${formatShapePy(own)}.`);
        }
      }
      return t(n);
    },
  ),
  builtin(
    'Tensors',
    'placeholder',
    'dtype, shape=None, name=None',
    'tf.placeholder',
    'A value fed at run time; `None` dims (or shape=None) are unknown.',
    (a, ctx) => {
      const dtype = dtypeArg(arg(a, 'dtype'));
      const shape = placeholderShape(arg(a, 'shape'));
      return t(scoped(ctx, nameOf(a), 'Placeholder', (s) => node(ctx, 'placeholder', [], { dtype, shape }, s)));
    },
  ),
  builtin(
    'Tensors',
    'zeros',
    'shape, dtype=float32, name=None',
    'tf.zeros',
    'All zeros (a Const below 1000 elements, else fill; a shape tensor makes a Fill reading it at run time).',
    (a, ctx) => {
      const n = nameOf(a);
      if (n) validateScopeName(ctx.graph, n);
      const sh = arg(a, 'shape');
      if (containsTensor(sh)) return t(filledDynamic(ctx, sh, dtypeArg(arg(a, 'dtype')), 0, n ?? 'zeros'));
      return t(filled(ctx, fullShapeArg(sh, 'zeros(): shape'), dtypeArg(arg(a, 'dtype')), 0, n ?? 'zeros'));
    },
  ),
  builtin(
    'Tensors',
    'ones',
    'shape, dtype=float32, name=None',
    'tf.ones',
    'All ones (a Const below 1000 elements, else fill; a shape tensor makes a Fill reading it at run time).',
    (a, ctx) => {
      const n = nameOf(a);
      if (n) validateScopeName(ctx.graph, n);
      const sh = arg(a, 'shape');
      if (containsTensor(sh)) return t(filledDynamic(ctx, sh, dtypeArg(arg(a, 'dtype')), 1, n ?? 'ones'));
      return t(filled(ctx, fullShapeArg(sh, 'ones(): shape'), dtypeArg(arg(a, 'dtype')), 1, n ?? 'ones'));
    },
  ),
  builtin(
    'Tensors',
    'zeros_like',
    'tensor, dtype=None, name=None, optimize=True',
    'tf.zeros_like',
    'Zeros of the shape of a tensor (a Const when the shape is static).',
    (a, ctx) => likeOp(ctx, a, 'zeros_like', 0),
  ),
  builtin('Tensors', 'ones_like', 'tensor, dtype=None, name=None, optimize=True', 'tf.ones_like', 'Ones of the shape of a tensor.', (a, ctx) =>
    likeOp(ctx, a, 'ones_like', 1),
  ),
  builtin(
    'Tensors',
    'fill',
    'dims, value, name=None',
    'tf.fill',
    'A tensor of shape `dims` filled with a scalar (a dims tensor is read at run time).',
    (a, ctx) => {
      const dims = arg(a, 'dims');
      if (containsTensor(dims)) {
        return t(
          applyOp(ctx, {
            op: 'fill_dims',
            tfType: 'Fill',
            name: nameOf(a),
            defaultName: 'Fill',
            inputs: [
              { arg: 'dims', value: dims, type: 'i32' },
              { arg: 'value', value: arg(a, 'value'), type: 'any' },
            ],
            attrs: (ns) => ({ shape: staticShapeValue(ns[0]) }),
          }),
        );
      }
      const shape = fullShapeArg(dims, 'fill(): dims');
      return t(
        applyOp(ctx, {
          op: 'fill',
          tfType: 'Fill',
          name: nameOf(a),
          defaultName: 'Fill',
          inputs: [{ arg: 'value', value: arg(a, 'value'), type: 'any' }],
          attrs: { shape },
        }),
      );
    },
  ),
  builtin(
    'Tensors',
    'tf_range',
    'start, limit=None, delta=1, dtype=None, name="range"',
    'tf.range',
    "TF's range op (`range` is Python's builtin for loops): [start, limit) by delta.",
    (a, ctx) => {
      let start = arg(a, 'start');
      let limit = arg(a, 'limit');
      if (limit.kind === 'none') {
        limit = start;
        start = int(0);
      }
      const delta = arg(a, 'delta');
      const vals = [start, limit, delta];
      const inferred: DType = vals.some((v) => v.kind === 'float' || asTensorNode(v)?.dtype === 'f32') ? 'f32' : 'i32';
      const dtype = optDTypeArg(arg(a, 'dtype')) ?? inferred;
      const [s, l, d] = vals.map((v, i) => numberArg(v, ['start', 'limit', 'delta'][i]));
      // as constant(): a Python int an int32 cannot hold is an error, not a wrapped bound
      if (dtype === 'i32')
        for (const x of [s, l, d]) if (x > 2147483647 || x < -2147483648) throw valueError(`Can't convert Python int ${x} to int32 (tfg has no int64).`);
      if (d === 0) throw valueError('Requires delta != 0');
      const name = optStrArg(arg(a, 'name'), 'name') ?? 'range';
      return t(scoped(ctx, name, 'range', (sc) => node(ctx, 'range', [], { start: s, limit: l, delta: d, dtype }, sc)));
    },
  ),
  builtin(
    'Tensors',
    'convert_to_tensor',
    'value, dtype=None, name=None, preferred_dtype=None',
    'tf.convert_to_tensor',
    'A tensor or variable as is (its dtype checked), Python data as a Const named `name` (default Const), a list holding tensors packed.',
    (a, ctx) => {
      const v = arg(a, 'value');
      const dtype = optDTypeArg(arg(a, 'dtype'));
      const name = nameOf(a) ?? undefined;
      if (name) validateScopeName(ctx.graph, name);
      const preferred = optDTypeArg(arg(a, 'preferred_dtype'), 'preferred_dtype');
      if (dtype === null && preferred !== null && !asTensorNode(v)) {
        // TF1: try the preferred dtype, fall back to the value's own when it does not fit
        try {
          return t(convertToTensor(ctx, v, { dtype: preferred, name }));
        } catch {
          return t(convertToTensor(ctx, v, { name }));
        }
      }
      return t(convertToTensor(ctx, v, { dtype, name }));
    },
  ),
  builtin('Tensors', 'identity', 'input, name=None', 'tf.identity', 'Returns its input (a new node).', (a, ctx) =>
    t(
      applyOp(ctx, {
        op: 'identity',
        tfType: 'Identity',
        name: nameOf(a),
        defaultName: 'Identity',
        inputs: [{ arg: 'input', value: arg(a, 'input'), type: 'T' }],
      }),
    ),
  ),
  builtin('Tensors', 'stop_gradient', 'input, name=None', 'tf.stop_gradient', 'Identity that blocks gradients.', (a, ctx) =>
    t(
      applyOp(ctx, {
        op: 'stop_gradient',
        tfType: 'StopGradient',
        name: nameOf(a),
        defaultName: 'StopGradient',
        inputs: [{ arg: 'input', value: arg(a, 'input'), type: 'T' }],
      }),
    ),
  ),
  builtin('Tensors', 'cast', 'x, dtype, name=None', 'tf.cast', 'Converts to a dtype (no node when it already has it, as TF1).', (a, ctx) =>
    castOp(ctx, arg(a, 'x'), dtypeArg(arg(a, 'dtype')), nameOf(a), 'Cast'),
  ),
  builtin('Tensors', 'to_float', 'x, name="ToFloat"', 'tf.to_float', 'cast(x, float32).', (a, ctx) => castOp(ctx, arg(a, 'x'), 'f32', nameOf(a), 'ToFloat')),
  builtin('Tensors', 'to_double', 'x, name="ToDouble"', 'tf.to_double', 'cast(x, float64).', (a, ctx) =>
    castOp(ctx, arg(a, 'x'), 'f64', nameOf(a), 'ToDouble'),
  ),
  builtin('Tensors', 'to_int32', 'x, name="ToInt32"', 'tf.to_int32', 'cast(x, int32).', (a, ctx) => castOp(ctx, arg(a, 'x'), 'i32', nameOf(a), 'ToInt32')),
  builtin(
    'Tensors',
    'shape',
    'input, name=None, out_type=int32',
    'tf.shape',
    'The run-time shape as an int32 vector (known at build time when static).',
    (a, ctx) =>
      t(applyOp(ctx, { op: 'shape', tfType: 'Shape', name: nameOf(a), defaultName: 'Shape', inputs: [{ arg: 'input', value: arg(a, 'input'), type: 'any' }] })),
  ),
  builtin('Tensors', 'size', 'input, name=None, out_type=int32', 'tf.size', 'Number of elements (int32 scalar).', (a, ctx) =>
    t(applyOp(ctx, { op: 'size', tfType: 'Size', name: nameOf(a), defaultName: 'Size', inputs: [{ arg: 'input', value: arg(a, 'input'), type: 'any' }] })),
  ),
  builtin('Tensors', 'rank', 'input, name=None', 'tf.rank', 'Number of dimensions (int32 scalar).', (a, ctx) =>
    t(applyOp(ctx, { op: 'rank', tfType: 'Rank', name: nameOf(a), defaultName: 'Rank', inputs: [{ arg: 'input', value: arg(a, 'input'), type: 'any' }] })),
  ),
  // ---- layout ----
  builtin(
    'Layout',
    'reshape',
    'tensor, shape, name=None',
    'tf.reshape',
    'Same elements, new shape (one -1 allowed); a shape tensor (or a list holding tensors) is an input read at run time.',
    (a, ctx) => {
      const sh = arg(a, 'shape');
      if (containsTensor(sh)) {
        return t(
          applyOp(ctx, {
            op: 'reshape',
            tfType: 'Reshape',
            name: nameOf(a),
            defaultName: 'Reshape',
            inputs: [
              { arg: 'tensor', value: arg(a, 'tensor'), type: 'T' },
              { arg: 'shape', value: sh, type: 'i32' },
            ],
            attrs: (ns) => ({ shape: staticShapeValue(ns[1]) }),
          }),
        );
      }
      const shape = fullShapeArg(sh, 'reshape(): shape');
      return t(
        applyOp(ctx, {
          op: 'reshape',
          tfType: 'Reshape',
          name: nameOf(a),
          defaultName: 'Reshape',
          inputs: [{ arg: 'tensor', value: arg(a, 'tensor'), type: 'T' }],
          attrs: { shape },
        }),
      );
    },
  ),
  builtin(
    'Layout',
    'transpose',
    'a, perm=None, name="transpose", conjugate=False',
    'tf.transpose',
    'Permutes dimensions (reverses them when perm is None).',
    (a, ctx) => {
      const p = arg(a, 'perm');
      const perm = p.kind === 'none' ? null : (shapeArg(p, 'transpose(): perm') as number[]);
      return t(
        applyOp(ctx, {
          op: 'transpose',
          tfType: 'Transpose',
          name: nameOf(a),
          defaultName: 'transpose',
          inputs: [{ arg: 'x', value: arg(a, 'a'), type: 'T' }],
          attrs: { perm },
        }),
      );
    },
  ),
  builtin('Layout', 'expand_dims', 'input, axis=None, name=None, dim=None', 'tf.expand_dims', 'Inserts a dimension of size 1 at axis.', (a, ctx) => {
    const ax = arg(a, 'axis').kind !== 'none' ? arg(a, 'axis') : arg(a, 'dim');
    if (ax.kind === 'none') throw valueError('Must specify an axis argument to tf.expand_dims()');
    return t(
      applyOp(ctx, {
        op: 'expand_dims',
        tfType: 'ExpandDims',
        name: nameOf(a),
        defaultName: 'ExpandDims',
        inputs: [{ arg: 'input', value: arg(a, 'input'), type: 'T' }],
        attrs: { axis: intArg(ax, 'axis') },
      }),
    );
  }),
  builtin(
    'Layout',
    'squeeze',
    'input, axis=None, name=None, squeeze_dims=None',
    'tf.squeeze',
    'Removes dimensions of size 1 (all, or those in axis).',
    (a, ctx) => {
      const ax = arg(a, 'axis').kind !== 'none' ? arg(a, 'axis') : arg(a, 'squeeze_dims');
      return t(
        applyOp(ctx, {
          op: 'squeeze',
          tfType: 'Squeeze',
          name: nameOf(a),
          defaultName: 'Squeeze',
          inputs: [{ arg: 'input', value: arg(a, 'input'), type: 'T' }],
          attrs: { axis: axesArg(ax) },
        }),
      );
    },
  ),
  builtin(
    'Layout',
    'concat',
    'values, axis, name="concat"',
    'tf.concat',
    'Joins tensors along an existing axis (one value: an identity named like the op, as TF1).',
    (a, ctx) => {
      const vals = valuesList(arg(a, 'values'), 'concat(): values');
      const axis = intArg(arg(a, 'axis'), 'axis');
      const name = nameOf(a) ?? 'concat';
      if (vals.length === 1) {
        return t(
          scoped(ctx, name, 'concat', (s) => {
            const x = convertToTensor(ctx, vals[0], { name: 'values' });
            return node(ctx, 'identity', [x], {}, s);
          }),
        );
      }
      return t(
        applyOp(ctx, {
          op: 'concat',
          tfType: 'ConcatV2',
          name,
          defaultName: 'concat',
          inputs: vals.map((v, i) => ({ arg: `values_${i}`, value: v, type: 'T' as const })),
          attrs: { axis },
        }),
      );
    },
  ),
  builtin('Layout', 'stack', 'values, axis=0, name="stack"', 'tf.stack', 'Stacks tensors along a new axis.', (a, ctx) => {
    const vals = valuesList(arg(a, 'values'), 'stack(): values');
    return t(
      applyOp(ctx, {
        op: 'stack',
        tfType: 'Pack',
        name: nameOf(a) ?? 'stack',
        defaultName: 'stack',
        inputs: vals.map((v, i) => ({ arg: `values_${i}`, value: v, type: 'T' as const })),
        attrs: { axis: intArg(arg(a, 'axis'), 'axis') },
      }),
    );
  }),
  builtin(
    'Layout',
    'slice',
    'input_, begin, size, name=None',
    'tf.slice',
    'The block starting at `begin` of `size` (-1: to the end); tensors for begin or size are inputs read at run time.',
    (a, ctx) => {
      const bv = arg(a, 'begin');
      const sv = arg(a, 'size');
      if (containsTensor(bv) || containsTensor(sv)) {
        return t(
          applyOp(ctx, {
            op: 'slice',
            tfType: 'Slice',
            name: nameOf(a),
            defaultName: 'Slice',
            inputs: [
              { arg: 'input', value: arg(a, 'input_'), type: 'T' },
              { arg: 'begin', value: bv, type: 'i32' },
              { arg: 'size', value: sv, type: 'i32' },
            ],
            attrs: (ns) => ({ begin: staticShapeValue(ns[1]), size: staticShapeValue(ns[2]) }),
          }),
        );
      }
      const begin = fullShapeArg(bv, 'slice(): begin');
      const size = fullShapeArg(sv, 'slice(): size');
      return t(
        applyOp(ctx, {
          op: 'slice',
          tfType: 'Slice',
          name: nameOf(a),
          defaultName: 'Slice',
          inputs: [{ arg: 'input', value: arg(a, 'input_'), type: 'T' }],
          attrs: { begin, size },
        }),
      );
    },
  ),
  builtin(
    'Layout',
    'gather',
    'params, indices, validate_indices=None, name=None, axis=0',
    'tf.gather',
    'Picks slices of params along axis by int32 indices.',
    (a, ctx) =>
      t(
        applyOp(ctx, {
          op: 'gather',
          tfType: 'GatherV2',
          name: nameOf(a),
          defaultName: 'GatherV2',
          inputs: [
            { arg: 'params', value: arg(a, 'params'), type: 'T' },
            { arg: 'indices', value: arg(a, 'indices'), type: 'i32' },
          ],
          attrs: { axis: intArg(arg(a, 'axis'), 'axis') },
        }),
      ),
  ),
  builtin(
    'Layout',
    'one_hot',
    'indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None',
    'tf.one_hot',
    'One-hot vectors from int32 indices (on 1, off 0, float32 by default).',
    (a, ctx) => {
      const on = arg(a, 'on_value');
      const off = arg(a, 'off_value');
      const inferred: DType | null = [on, off].some((v) => v.kind === 'float')
        ? 'f32'
        : [on, off].some((v) => v.kind === 'int')
          ? 'i32'
          : [on, off].some((v) => v.kind === 'bool')
            ? 'bool'
            : null;
      const dtype = optDTypeArg(arg(a, 'dtype')) ?? inferred ?? 'f32';
      const ax = arg(a, 'axis');
      const name = nameOf(a);
      return t(
        scoped(ctx, name, 'one_hot', (s) => {
          const idx = convertInputs(ctx, 'OneHot', [{ arg: 'indices', value: arg(a, 'indices'), type: 'i32' }]);
          return node(
            ctx,
            'one_hot',
            idx,
            {
              depth: intArg(arg(a, 'depth'), 'depth'),
              on_value: on.kind === 'none' ? 1 : numberArg(on, 'on_value'),
              off_value: off.kind === 'none' ? 0 : numberArg(off, 'off_value'),
              axis: ax.kind === 'none' ? -1 : intArg(ax, 'axis'),
              dtype,
            },
            s,
          );
        }),
      );
    },
  ),
  builtin(
    'Math',
    'where',
    'condition, x=None, y=None, name=None',
    'tf.where',
    'Elementwise choice: x where condition is true, else y (TF1 Select).',
    (a, ctx) => {
      if (arg(a, 'x').kind === 'none' || arg(a, 'y').kind === 'none') {
        if (arg(a, 'x').kind !== arg(a, 'y').kind) throw valueError('x and y must both be non-None or both be None.');
        throw valueError('where(condition) without x and y (coordinates of true elements) has a data-dependent shape, which tfg graphs do not support');
      }
      return t(
        applyOp(ctx, {
          op: 'select',
          tfType: 'Select',
          name: nameOf(a),
          defaultName: 'Select',
          inputs: [
            { arg: 'condition', value: arg(a, 'condition'), type: 'bool' },
            { arg: 'x', value: arg(a, 'x'), type: 'T' },
            { arg: 'y', value: arg(a, 'y'), type: 'T' },
          ],
        }),
      );
    },
  ),
  // ---- math ----
  binary('Math', 'add', 'add', 'Add', 'tf.add', 'x + y (node `Add`; the `+` operator makes `add`).'),
  binary('Math', 'subtract', 'sub', 'Sub', 'tf.subtract', 'x - y.'),
  binary('Math', 'multiply', 'mul', 'Mul', 'tf.multiply', 'x * y.'),
  binary('Math', 'realdiv', 'div', 'RealDiv', 'tf.realdiv', 'x / y for floats.'),
  builtin('Math', 'truediv', 'x, y, name=None', 'tf.truediv', 'x / y; int32 operands are cast to float64 first (as the `/` operator).', (a, ctx) =>
    truedivOp(ctx, a, 'truediv'),
  ),
  builtin('Math', 'divide', 'x, y, name=None', 'tf.divide', 'x / y (Python 3 division: as truediv).', (a, ctx) => truedivOp(ctx, a, 'truediv')),
  builtin(
    'Math',
    'floordiv',
    'x, y, name=None',
    'tf.floordiv',
    'x / y rounded toward -∞ (FloorDiv, named `floordiv` as TF1; the `//` operator on tensors makes it too).',
    (a, ctx) =>
      t(
        scoped(ctx, nameOf(a), 'floordiv', (s) =>
          node(
            ctx,
            'floordiv',
            convertInputs(ctx, 'FloorDiv', [
              { arg: 'x', value: arg(a, 'x'), type: 'T' },
              { arg: 'y', value: arg(a, 'y'), type: 'T' },
            ]),
            {},
            s,
          ),
        ),
      ),
  ),
  binary(
    'Math',
    'floormod',
    'floormod',
    'FloorMod',
    'tf.floormod',
    'Remainder of floor division, with the sign of y (the `%` operator on tensors makes `mod`).',
  ),
  binary('Math', 'mod', 'floormod', 'FloorMod', 'tf.mod', 'tf.floormod.'),
  binary('Math', 'pow', 'pow', 'Pow', 'tf.pow', 'x to the power y.'),
  binary('Math', 'maximum', 'maximum', 'Maximum', 'tf.maximum', 'Elementwise max.'),
  binary('Math', 'minimum', 'minimum', 'Minimum', 'tf.minimum', 'Elementwise min.'),
  binary('Math', 'equal', 'equal', 'Equal', 'tf.equal', 'Elementwise x == y (bool); `==` on tensors compares identity, as TF1.'),
  binary('Math', 'not_equal', 'not_equal', 'NotEqual', 'tf.not_equal', 'Elementwise x != y (bool).'),
  binary('Math', 'less', 'less', 'Less', 'tf.less', 'x < y (bool).'),
  binary('Math', 'less_equal', 'less_equal', 'LessEqual', 'tf.less_equal', 'x <= y (bool).'),
  binary('Math', 'greater', 'greater', 'Greater', 'tf.greater', 'x > y (bool).'),
  binary('Math', 'greater_equal', 'greater_equal', 'GreaterEqual', 'tf.greater_equal', 'x >= y (bool).'),
  binary('Math', 'logical_and', 'logical_and', 'LogicalAnd', 'tf.logical_and', 'Boolean and.'),
  binary('Math', 'logical_or', 'logical_or', 'LogicalOr', 'tf.logical_or', 'Boolean or.'),
  unary('Math', 'logical_not', 'logical_not', 'LogicalNot', 'tf.logical_not', 'Boolean not.'),
  unary('Math', 'negative', 'neg', 'Neg', 'tf.negative', '-x (the unary `-` operator makes `Neg` too).'),
  unary('Math', 'square', 'square', 'Square', 'tf.square', 'x * x.'),
  unary('Math', 'sqrt', 'sqrt', 'Sqrt', 'tf.sqrt', 'Square root.'),
  unary('Math', 'rsqrt', 'rsqrt', 'Rsqrt', 'tf.rsqrt', '1 / sqrt(x).'),
  unary('Math', 'exp', 'exp', 'Exp', 'tf.exp', 'e to the x.'),
  unary('Math', 'log', 'log', 'Log', 'tf.log', 'Natural logarithm.'),
  unary('Math', 'sign', 'sign', 'Sign', 'tf.sign', '-1, 0 or 1.'),
  unary('Math', 'floor', 'floor', 'Floor', 'tf.floor', 'The largest integer not greater than x (no gradient, as TF1).'),
  unary('Math', 'sin', 'sin', 'Sin', 'tf.sin', 'Sine.'),
  unary('Math', 'cos', 'cos', 'Cos', 'tf.cos', 'Cosine.'),
  unary('Math', 'sigmoid', 'sigmoid', 'Sigmoid', 'tf.sigmoid', 'Logistic function.'),
  unary('Math', 'tanh', 'tanh', 'Tanh', 'tf.tanh', 'Hyperbolic tangent.'),
  unary('NN', 'relu', 'relu', 'Relu', 'tf.nn.relu', 'max(features, 0).', 'features'),
  builtin(
    'NN',
    'leaky_relu',
    'features, alpha=0.2, name=None',
    'tf.nn.leaky_relu',
    'features where features > 0, else alpha·features (node `LeakyRelu`; int32 features are cast to float32 first, as TF1).',
    (a, ctx) =>
      t(
        scoped(ctx, nameOf(a), 'LeakyRelu', (s) => {
          let x = convertToTensor(ctx, arg(a, 'features'), { name: 'features' });
          if (x.dtype === 'i32') x = asTensorNode(castOp(ctx, tensor(x), 'f32', null, 'Cast'))!;
          return node(ctx, 'leaky_relu', [x], { alpha: numberArg(arg(a, 'alpha'), 'leaky_relu(): alpha') }, s);
        }),
      ),
  ),
  builtin('Math', 'abs', 'x, name=None', 'tf.abs / Python abs', "Python's abs on numbers; on tensors the `Abs` op.", (a, ctx) => {
    const x = arg(a, 'x');
    if (x.kind === 'int' || x.kind === 'bool') return int(Math.abs(numberOf(x)));
    if (x.kind === 'float') return float(Math.abs(x.value));
    return t(applyOp(ctx, { op: 'abs', tfType: 'Abs', name: nameOf(a), defaultName: 'Abs', inputs: [{ arg: 'x', value: x, type: 'T' }] }));
  }),
  builtin('Math', 'add_n', 'inputs, name=None', 'tf.add_n', 'Sum of a list of same-shape tensors (one input: returned as is, as TF1).', (a, ctx) => {
    const vals = valuesList(arg(a, 'inputs'), 'add_n(): inputs');
    if (vals.length === 0) throw valueError('inputs must be a list of at least one Tensor/IndexedSlices with the same dtype and shape');
    const name = nameOf(a);
    if (vals.length === 1) {
      const x = convertToTensor(ctx, vals[0]);
      return name
        ? t(applyOp(ctx, { op: 'identity', tfType: 'Identity', name, defaultName: 'Identity', inputs: [{ arg: 'input', value: tensor(x), type: 'T' }] }))
        : t(x);
    }
    return t(
      applyOp(ctx, {
        op: 'add_n',
        tfType: 'AddN',
        name,
        defaultName: 'AddN',
        inputs: vals.map((v, i) => ({ arg: `inputs_${i}`, value: v, type: 'T' as const })),
      }),
    );
  }),
  builtin(
    'Math',
    'matmul',
    'a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, a_is_sparse=False, b_is_sparse=False, name=None',
    'tf.matmul',
    'Matrix product (batched for rank > 2); the `@` operator makes `matmul`.',
    (a, ctx) => {
      const ta = boolArg(arg(a, 'transpose_a'), 'transpose_a') || boolArg(arg(a, 'adjoint_a'), 'adjoint_a');
      const tb = boolArg(arg(a, 'transpose_b'), 'transpose_b') || boolArg(arg(a, 'adjoint_b'), 'adjoint_b');
      return t(
        applyOp(ctx, {
          op: 'matmul',
          tfType: 'MatMul',
          name: nameOf(a),
          defaultName: 'MatMul',
          inputs: [
            { arg: 'a', value: arg(a, 'a'), type: 'T' },
            { arg: 'b', value: arg(a, 'b'), type: 'T' },
          ],
          attrs: { transpose_a: ta, transpose_b: tb },
        }),
      );
    },
  ),
  builtin('Math', 'matrix_inverse', 'input, adjoint=False, name=None', 'tf.matrix_inverse', 'Inverse of square matrices.', (a, ctx) =>
    t(
      applyOp(ctx, {
        op: 'matrix_inverse',
        tfType: 'MatrixInverse',
        name: nameOf(a),
        defaultName: 'MatrixInverse',
        inputs: [{ arg: 'input', value: arg(a, 'input'), type: 'T' }],
        attrs: { adjoint: boolArg(arg(a, 'adjoint'), 'adjoint') },
      }),
    ),
  ),
  // ---- reductions ----
  reduction('reduce_sum', 'reduce_sum', 'Sum', 'Sum over axis (None: all axes).'),
  reduction('reduce_mean', 'reduce_mean', 'Mean', 'Mean over axis.'),
  reduction('reduce_max', 'reduce_max', 'Max', 'Max over axis.'),
  reduction('reduce_min', 'reduce_min', 'Min', 'Min over axis.'),
  reduction('reduce_prod', 'reduce_prod', 'Prod', 'Product over axis.'),
  argReduction('argmax', 'argmax', 'ArgMax', 'Index of the largest value along axis (int32).'),
  argReduction('argmin', 'argmin', 'ArgMin', 'Index of the smallest value along axis (int32).'),
  // ---- random ----
  randomBuiltin(
    'random_uniform',
    'random_uniform',
    'shape, minval=0, maxval=None, dtype=float32, seed=None, name=None',
    'Uniform in [minval, maxval) (maxval 1 for floats).',
  ),
  randomBuiltin('random_normal', 'random_normal', 'shape, mean=0.0, stddev=1.0, dtype=float32, seed=None, name=None', 'Normal(mean, stddev).'),
  randomBuiltin(
    'truncated_normal',
    'truncated_normal',
    'shape, mean=0.0, stddev=1.0, dtype=float32, seed=None, name=None',
    'Normal, redrawn beyond two stddevs.',
  ),
  // ---- nn ----
  builtin('NN', 'softmax', 'logits, axis=None, name=None, dim=None', 'tf.nn.softmax', 'exp(x) / sum(exp(x)) along axis (default -1).', (a, ctx) =>
    t(
      applyOp(ctx, {
        op: 'softmax',
        tfType: 'Softmax',
        name: nameOf(a),
        defaultName: 'Softmax',
        inputs: [{ arg: 'logits', value: arg(a, 'logits'), type: 'T' }],
        attrs: { axis: softmaxAxis(a) },
      }),
    ),
  ),
  builtin('NN', 'log_softmax', 'logits, axis=None, name=None, dim=None', 'tf.nn.log_softmax', 'log(softmax(x)) along axis.', (a, ctx) =>
    t(
      applyOp(ctx, {
        op: 'log_softmax',
        tfType: 'LogSoftmax',
        name: nameOf(a),
        defaultName: 'LogSoftmax',
        inputs: [{ arg: 'logits', value: arg(a, 'logits'), type: 'T' }],
        attrs: { axis: softmaxAxis(a) },
      }),
    ),
  ),
  builtin(
    'NN',
    'sparse_softmax_cross_entropy_with_logits',
    '_sentinel=None, labels=None, logits=None, name=None',
    'tf.nn.sparse_softmax_cross_entropy_with_logits',
    'Per-row cross-entropy from int32 class labels (node `X/X` for name X, as TF1).',
    (a, ctx) => {
      const { labels, logits } = sentinel('sparse_softmax_cross_entropy_with_logits', a);
      const name = nameOf(a);
      return t(
        scoped(ctx, name, 'SparseSoftmaxCrossEntropyWithLogits', () => {
          const lg = convertToTensor(ctx, logits, { name: 'logits' });
          const lb = convertToTensor(ctx, labels, { name: 'labels' });
          return applyOp(ctx, {
            op: 'sparse_softmax_cross_entropy_with_logits',
            tfType: 'SparseSoftmaxCrossEntropyWithLogits',
            name,
            defaultName: 'SparseSoftmaxCrossEntropyWithLogits',
            inputs: [
              { arg: 'labels', value: tensor(lb), type: 'i32' },
              { arg: 'features', value: tensor(lg), type: 'T' },
            ],
          });
        }),
      );
    },
  ),
  builtin(
    'NN',
    'softmax_cross_entropy_with_logits',
    '_sentinel=None, labels=None, logits=None, dim=-1, name=None, axis=None',
    'tf.nn.softmax_cross_entropy_with_logits',
    'Per-row cross-entropy from probability labels (labels behind stop_gradient, node `softmax_cross_entropy_with_logits_sg`, as TF1).',
    (a, ctx) => {
      const { labels, logits } = sentinel('softmax_cross_entropy_with_logits', a);
      const axV = arg(a, 'axis').kind !== 'none' ? arg(a, 'axis') : arg(a, 'dim');
      const axis = intArg(axV, 'axis');
      return t(
        scoped(ctx, nameOf(a), 'softmax_cross_entropy_with_logits_sg', (s) => {
          const lb = applyOp(ctx, {
            op: 'stop_gradient',
            tfType: 'StopGradient',
            name: 'labels_stop_gradient',
            defaultName: 'StopGradient',
            inputs: [{ arg: 'input', value: labels, type: 'T' }],
          });
          const ins = convertInputs(ctx, 'SoftmaxCrossEntropyWithLogits', [
            { arg: 'labels', value: tensor(lb), type: 'T' },
            { arg: 'features', value: logits, type: 'T' },
          ]);
          return node(ctx, 'softmax_cross_entropy_with_logits', ins, { axis }, s);
        }),
      );
    },
  ),
  builtin(
    'NN',
    'softmax_cross_entropy_with_logits_v2',
    '_sentinel=None, labels=None, logits=None, axis=None, name=None, dim=None',
    'tf.nn.softmax_cross_entropy_with_logits_v2',
    'Per-row cross-entropy, gradients flow into labels too.',
    (a, ctx) => {
      const { labels, logits } = sentinel('softmax_cross_entropy_with_logits_v2', a);
      const axis = softmaxAxis(a);
      return t(
        scoped(ctx, nameOf(a), 'softmax_cross_entropy_with_logits', (s) => {
          const ins = convertInputs(ctx, 'SoftmaxCrossEntropyWithLogits', [
            { arg: 'labels', value: labels, type: 'T' },
            { arg: 'features', value: logits, type: 'T' },
          ]);
          return node(ctx, 'softmax_cross_entropy_with_logits', ins, { axis }, s);
        }),
      );
    },
  ),
  builtin(
    'NN',
    'sigmoid_cross_entropy_with_logits',
    '_sentinel=None, labels=None, logits=None, name=None',
    'tf.nn.sigmoid_cross_entropy_with_logits',
    'Elementwise logistic loss (node `logistic_loss`).',
    (a, ctx) => {
      const { labels, logits } = sentinel('sigmoid_cross_entropy_with_logits', a);
      return t(
        scoped(ctx, nameOf(a), 'logistic_loss', (s) => {
          const ins = convertInputs(ctx, 'SigmoidCrossEntropyWithLogits', [
            { arg: 'logits', value: logits, type: 'T' },
            { arg: 'labels', value: labels, type: 'T' },
          ]);
          requireOp('sigmoid_cross_entropy_with_logits', 'sigmoid_cross_entropy_with_logits()');
          return node(ctx, 'sigmoid_cross_entropy_with_logits', [ins[1], ins[0]], {}, s);
        }),
      );
    },
  ),
  builtin(
    'NN',
    'in_top_k',
    'predictions, targets, k, name=None',
    'tf.nn.in_top_k',
    'Whether each target is among the k largest predictions (bool).',
    (a, ctx) => {
      const k = intArg(arg(a, 'k'), 'k');
      return t(
        scoped(ctx, nameOf(a), 'in_top_k', () =>
          applyOp(ctx, {
            op: 'in_top_k',
            tfType: 'InTopKV2',
            name: null,
            defaultName: 'InTopKV2',
            inputs: [
              { arg: 'predictions', value: arg(a, 'predictions'), type: 'f32' },
              { arg: 'targets', value: arg(a, 'targets'), type: 'i32' },
            ],
            attrs: { k },
          }),
        ),
      );
    },
  ),
];

function convertShapeOf(v: Value): number[] {
  const dims: number[] = [];
  let cur = v;
  while (cur.kind === 'list' || cur.kind === 'tuple') {
    dims.push(cur.items.length);
    cur = cur.items[0] ?? NONE;
  }
  return dims;
}

/**
 * TF1's math_ops.cast: a tensor of the dtype is returned as it is; anything else opens the scope
 * (`Cast`, `Cast_1`, ...), is converted (a Python number becomes the constant `Cast/x`, a variable
 * its value) and gets a Cast node only when its dtype differs, so `cast(0.5, float32)` is the
 * constant `Cast/x`.
 */
function castOp(ctx: Ctx, x: Value, dtype: DType, name: string | null, def: string): Value {
  if (x.kind === 'tensor' && x.node.dtype === dtype) return x;
  return t(
    scoped(ctx, name, def, (s) => {
      const xn = asTensorNode(x) ?? convertToTensor(ctx, x, { name: 'x' });
      return xn.dtype === dtype ? xn : node(ctx, 'cast', [xn], { dtype }, s);
    }),
  );
}

/**
 * TF1's tf.train.exponential_decay (training/learning_rate_decay.py, TF ≤ 1.12): under
 * `ExponentialDecay/`, learning_rate (a number becomes `learning_rate`), the step, decay_steps and
 * decay_rate cast to its dtype, `truediv`, `Floor` when staircase, `Pow`, and the product named
 * by the scope itself.
 */
export function exponentialDecay(ctx: Ctx, a: Args): Value {
  const step = arg(a, 'global_step');
  if (step.kind === 'none') throw valueError('global_step is required for exponential_decay.');
  const staircase = boolArg(arg(a, 'staircase'), 'staircase');
  return t(
    scoped(ctx, nameOf(a), 'ExponentialDecay', (s) => {
      const lrV = arg(a, 'learning_rate');
      const lr = asTensorNode(lrV) ?? convertToTensor(ctx, lrV, { name: 'learning_rate' });
      const dtype = lr.dtype!;
      const gs = castOp(ctx, step, dtype, null, 'Cast');
      const steps = castOp(ctx, arg(a, 'decay_steps'), dtype, null, 'Cast');
      const rate = castOp(ctx, arg(a, 'decay_rate'), dtype, null, 'Cast');
      let p = binaryOp(ctx, '/', gs, steps);
      if (staircase) p = t(applyOp(ctx, { op: 'floor', tfType: 'Floor', name: null, defaultName: 'Floor', inputs: [{ arg: 'x', value: p, type: 'T' }] }));
      const pw = applyOp(ctx, {
        op: 'pow',
        tfType: 'Pow',
        name: null,
        defaultName: 'Pow',
        inputs: [
          { arg: 'x', value: rate, type: 'T' },
          { arg: 'y', value: p, type: 'T' },
        ],
      });
      return applyOp(ctx, {
        op: 'mul',
        tfType: 'Mul',
        name: s,
        defaultName: 'Mul',
        inputs: [
          { arg: 'x', value: t(lr), type: 'T' },
          { arg: 'y', value: t(pw), type: 'T' },
        ],
      });
    }),
  );
}

function truedivOp(ctx: Ctx, a: Args, def: string): Value {
  return t(
    scoped(ctx, nameOf(a), def, (s) => {
      const x = convertToTensor(ctx, arg(a, 'x'), { name: 'x' });
      const y = convertToTensor(ctx, arg(a, 'y'), { dtype: x.dtype, name: 'y' });
      return truediv(ctx, x, y, s);
    }),
  );
}

function likeOp(ctx: Ctx, a: Args, def: 'zeros_like' | 'ones_like', value: number): Value {
  return t(
    scoped(ctx, nameOf(a), def, (s) => {
      const x = convertToTensor(ctx, arg(a, 'tensor'), { name: 'tensor' });
      const dtype = optDTypeArg(arg(a, 'dtype')) ?? x.dtype!;
      if (def === 'zeros_like' && boolArg(arg(a, 'optimize'), 'optimize') && x.shape !== null && x.shape.every((d) => d !== null)) {
        return filled(ctx, x.shape as number[], dtype, value, s);
      }
      const y = node(ctx, def, [x], {}, dtype === x.dtype ? s : `${def}_raw`);
      return dtype === x.dtype ? y : node(ctx, 'cast', [y], { dtype }, s);
    }),
  );
}

export { iterate };
