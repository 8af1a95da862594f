/**
 * @fileoverview Static rules (infer) with unknown dims and ranks, and the TF1-worded errors the
 * builder reports at construction: shape mismatches (with the builder's `for 'X' (op: ...)`
 * suffix) and dtype mismatches.
 */
import t from 'tap';
import { CompileError } from '../../compiler/diagnostics/diagnostic.js';
import { Graph, type Node } from '../../compiler/ir/graph.js';
import { type Shape } from '../../compiler/ir/shape.js';
import { makeNode } from '../../compiler/ops/build.js';
import { type TensorSig } from '../../compiler/ops/def.js';
import { getOp } from '../../compiler/ops/registry.js';
import { type DType } from '../../session/dtype.js';

function ph(g: Graph, dtype: DType, shape: Shape): Node {
  return makeNode(g, 'placeholder', [], { dtype, shape });
}

function sig(dtype: DType, shape: Shape): TensorSig {
  return { dtype, shape };
}

function infer(op: string, inputs: TensorSig[], attrs = {}): TensorSig | null {
  return getOp(op).infer(inputs, attrs);
}

/** The message of the CompileError that building `op` raises. */
function buildError(op: string, inputs: [DType, Shape][], attrs = {}, name?: string): string {
  const g = new Graph();
  const nodes = inputs.map(([d, s]) => ph(g, d, s));
  try {
    makeNode(g, op, nodes, attrs, { name });
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics[0].message;
    throw e;
  }
  return '(no error)';
}

const f32 = 'f32' as const;
const i32 = 'i32' as const;

t.test('elementwise: broadcasting with unknown dims', (t) => {
  t.same(infer('add', [sig(f32, [null, 3]), sig(f32, [3])]), sig(f32, [null, 3]));
  t.same(infer('add', [sig(f32, [null, 1]), sig(f32, [1, 4])]), sig(f32, [null, 4]));
  t.same(infer('mul', [sig(f32, [2, null]), sig(f32, [null])]), sig(f32, [2, null]));
  t.same(infer('sub', [sig(f32, null), sig(f32, [3])]), sig(f32, null));
  t.same(infer('less', [sig(i32, [2]), sig(i32, [])]), sig('bool', [2]));
  t.same(infer('select', [sig('bool', [null, 1]), sig(f32, [3]), sig(f32, [2, 1, 1])]), sig(f32, [2, null, 3]));
  t.same(infer('add_n', [sig(f32, [null, 3]), sig(f32, [2, null])]), sig(f32, [2, 3]));
  t.same(infer('cast', [sig(f32, [null])], { dtype: 'i32' }), sig(i32, [null]));
  t.end();
});

t.test('elementwise errors, TF1 wording', (t) => {
  t.equal(
    buildError('add', [
      [f32, [2, 3]],
      [f32, [4, 3]],
    ]),
    "Dimensions must be equal, but are 2 and 4 for 'Add' (op: 'Add') with input shapes: [2,3], [4,3].",
  );
  t.equal(
    buildError(
      'add',
      [
        [f32, [2, 3]],
        [f32, [2, 4]],
      ],
      {},
      'add',
    ),
    "Dimensions must be equal, but are 3 and 4 for 'add' (op: 'Add') with input shapes: [2,3], [2,4].",
  );
  t.equal(
    buildError('add', [
      [f32, [2]],
      [i32, [2]],
    ]),
    "Input 'y' of 'Add' Op has type int32 that does not match type float32 of argument 'x'.",
  );
  t.match(buildError('sqrt', [[i32, [2]]]), /Value passed to parameter 'x' has DataType int32 not in list of allowed values: float32, float64/);
  t.match(buildError('exp', [[i32, []]]), /not in list of allowed values/);
  t.match(
    buildError('logical_and', [
      [f32, []],
      [f32, []],
    ]),
    /DataType float32 not in list of allowed values: bool/,
  );
  t.match(
    buildError('select', [
      [f32, [2]],
      [f32, [2]],
      [f32, [2]],
    ]),
    /parameter 'condition' has DataType float32/,
  );
  t.equal(
    buildError('select', [
      ['bool', [2]],
      [f32, [2]],
      [i32, [2]],
    ]),
    "Input 'y' of 'Select' Op has type int32 that does not match type float32 of argument 'x'.",
  );
  t.match(
    buildError('add_n', [
      [f32, [2]],
      [i32, [2]],
    ]),
    /Tensors in list passed to 'inputs' of 'AddN' Op have types \[float32, int32\] that don't all match/,
  );
  t.match(
    buildError('add_n', [
      [f32, [2]],
      [f32, [3]],
    ]),
    /Dimension 0 in both shapes must be equal, but are 2 and 3/,
  );
  t.end();
});

t.test('reductions', (t) => {
  t.same(infer('reduce_sum', [sig(f32, [null, 3, 4])], { axis: [1], keepdims: false }), sig(f32, [null, 4]));
  t.same(infer('reduce_mean', [sig(f32, [null, 3, 4])], { axis: [-1, 0], keepdims: true }), sig(f32, [1, 3, 1]));
  t.same(infer('reduce_max', [sig(f32, null)], { axis: null, keepdims: false }), sig(f32, []));
  t.same(infer('reduce_max', [sig(f32, null)], { axis: [0], keepdims: false }), sig(f32, null));
  t.same(infer('argmax', [sig(f32, [null, 10])], { axis: 1 }), sig(i32, [null]));
  t.equal(
    buildError('reduce_sum', [[f32, [2, 3]]], { axis: [2] }),
    "Invalid reduction dimension 2 for input with 2 dimensions for 'Sum' (op: 'Sum') with input shapes: [2,3].",
  );
  t.match(buildError('reduce_sum', [['bool', [2]]], { axis: null }), /not in list of allowed values/);
  t.end();
});

t.test('matmul and matrix_inverse', (t) => {
  t.same(infer('matmul', [sig(f32, [null, 3]), sig(f32, [3, 5])]), sig(f32, [null, 5]));
  t.same(infer('matmul', [sig(f32, [4, null]), sig(f32, [4, 5])], { transpose_a: true }), sig(f32, [null, 5]));
  t.same(infer('matmul', [sig(f32, [2, 7, 3]), sig(f32, [null, 5, 3])], { transpose_b: true }), sig(f32, [2, 7, 5]));
  t.same(infer('matmul', [sig(f32, null), sig(f32, [3, 5])]), sig(f32, [null, 5]));
  t.equal(
    buildError(
      'matmul',
      [
        [f32, [2, 3]],
        [f32, [4, 5]],
      ],
      {},
      'MatMul',
    ),
    "Dimensions must be equal, but are 3 and 4 for 'MatMul' (op: 'MatMul') with input shapes: [2,3], [4,5].",
  );
  t.match(
    buildError('matmul', [
      [f32, [3]],
      [f32, [3, 5]],
    ]),
    /^Shape must be rank 2 but is rank 1/,
  );
  t.match(
    buildError('matmul', [
      [f32, [2, 2, 3]],
      [f32, [3, 3, 5]],
    ]),
    /^Dimensions must be equal, but are 2 and 3/,
  );
  t.equal(
    buildError('matmul', [
      [f32, [2, 3]],
      [i32, [3, 5]],
    ]),
    "Input 'b' of 'MatMul' Op has type int32 that does not match type float32 of argument 'a'.",
  );
  t.same(infer('matrix_inverse', [sig('f64', [null, 3, null])]), sig('f64', [null, 3, 3]));
  t.match(buildError('matrix_inverse', [[f32, [2, 3]]]), /^Dimensions must be equal, but are 2 and 3/);
  t.match(buildError('matrix_inverse', [[i32, [2, 2]]]), /DataType int32 not in list of allowed values: float32, float64/);
  t.match(buildError('matrix_inverse', [[f32, [2]]]), /^Shape must be at least rank 2 but is rank 1/);
  t.end();
});

t.test('layout', (t) => {
  t.same(infer('transpose', [sig(f32, [null, 3, 4])], { perm: [2, 0, 1] }), sig(f32, [4, null, 3]));
  t.same(infer('transpose', [sig(f32, [2, 3])], { perm: null }), sig(f32, [3, 2]));
  t.same(infer('reshape', [sig(f32, [null, 4])], { shape: [-1, 2] }), sig(f32, [null, 2]));
  t.same(infer('reshape', [sig(f32, [6, 4])], { shape: [-1, 3] }), sig(f32, [8, 3]));
  t.match(buildError('reshape', [[f32, [2, 3]]], { shape: [4] }), /^Cannot reshape a tensor with 6 elements to shape \[4\] \(4 elements\) for 'Reshape'/);
  t.match(buildError('reshape', [[f32, [2, 3]]], { shape: [-1, 4] }), /^Dimension size must be evenly divisible by 4 but is 6/);
  t.match(buildError('reshape', [[f32, [2, 3]]], { shape: [-1, -1] }), /^Only one input size may be -1, not both 0 and 1/);
  t.same(infer('expand_dims', [sig(f32, [null, 3])], { axis: -1 }), sig(f32, [null, 3, 1]));
  t.match(buildError('expand_dims', [[f32, [2]]], { axis: 3 }), /Tried to expand dim index 3 for tensor with 1 dimensions/);
  t.same(infer('squeeze', [sig(f32, [1, null, 1])], { axis: [0] }), sig(f32, [null, 1]));
  t.same(infer('squeeze', [sig(f32, [1, null, 1])], { axis: null }), sig(f32, null));
  t.match(buildError('squeeze', [[f32, [2, 3]]], { axis: [1] }), /Can not squeeze dim\[1\], expected a dimension of 1, got 3/);
  t.same(infer('concat', [sig(f32, [null, 3]), sig(f32, [2, 3]), sig(f32, [4, null])], { axis: 0 }), sig(f32, [null, 3]));
  t.same(infer('concat', [sig(f32, [5, 3]), sig(f32, [2, null])], { axis: -2 }), sig(f32, [7, 3]));
  t.match(
    buildError(
      'concat',
      [
        [f32, [2, 3]],
        [f32, [2, 4]],
      ],
      { axis: 0 },
    ),
    /^Dimension 1 in both shapes must be equal, but are 3 and 4\. Shapes are \[2,3\] and \[2,4\]\./,
  );
  t.match(
    buildError(
      'concat',
      [
        [f32, [2, 3]],
        [f32, [2]],
      ],
      { axis: 0 },
    ),
    /^Shape must be rank 2 but is rank 1/,
  );
  t.same(infer('stack', [sig(f32, [null, 3]), sig(f32, [2, null])], { axis: 1 }), sig(f32, [2, 2, 3]));
  t.match(
    buildError(
      'stack',
      [
        [f32, [2]],
        [f32, [3]],
      ],
      { axis: 0 },
    ),
    /Dimension 0 in both shapes must be equal, but are 2 and 3/,
  );
  t.same(infer('slice', [sig(f32, [null, 5])], { begin: [1, 1], size: [-1, 2] }), sig(f32, [null, 2]));
  t.match(buildError('slice', [[f32, [2, 5]]], { begin: [1, 1], size: [2, 2] }), /Expected size\[0\] in \[0, 1\], but got 2/);
  t.same(infer('strided_slice', [sig(f32, [null, 5])], { index: [{ start: null, stop: null, step: null }, 1] }), sig(f32, [null]));
  t.same(infer('strided_slice', [sig(f32, [4, 5])], { index: ['newaxis', { start: 1, stop: null, step: 2 }] }), sig(f32, [1, 2, 5]));
  t.match(buildError('strided_slice', [[f32, [4, 5]]], { index: [4] }), /slice index 4 of dimension 0 out of bounds\./);
  t.match(buildError('strided_slice', [[f32, [4]]], { index: [0, 0] }), /Index out of range using input dim 1; input has only 1 dims/);
  t.same(infer('gather', [sig(f32, [null, 3]), sig(i32, [null, 2])], { axis: 0 }), sig(f32, [null, 2, 3]));
  t.match(
    buildError(
      'gather',
      [
        [f32, [5]],
        [f32, [2]],
      ],
      { axis: 0 },
    ),
    /parameter 'indices' has DataType float32 not in list of allowed values: int32/,
  );
  t.same(infer('shape', [sig(f32, null)]), sig(i32, [null]));
  t.same(infer('shape', [sig(f32, [null, 2])]), sig(i32, [2]));
  t.same(infer('size', [sig(f32, null)]), sig(i32, []));
  t.same(infer('one_hot', [sig(i32, [null])], { depth: 10, axis: -1 }), sig(f32, [null, 10]));
  t.same(infer('one_hot', [sig(i32, [4, 2])], { depth: 3, axis: 0, dtype: 'f64' }), sig('f64', [3, 4, 2]));
  t.end();
});

t.test('nn', (t) => {
  t.same(infer('softmax', [sig(f32, [null, 10])]), sig(f32, [null, 10]));
  t.same(infer('sparse_softmax_cross_entropy_with_logits', [sig(i32, [null]), sig(f32, [null, 10])]), sig(f32, [null]));
  t.same(infer('sparse_softmax_cross_entropy_with_logits', [sig(i32, [null]), sig(f32, [4, 10])]), sig(f32, [4]));
  t.match(
    buildError('sparse_softmax_cross_entropy_with_logits', [
      [i32, [3, 1]],
      [f32, [3, 10]],
    ]),
    /^Rank mismatch: Rank of labels \(received 2\) should equal rank of logits minus 1 \(received 2\)\./,
  );
  t.match(
    buildError('sparse_softmax_cross_entropy_with_logits', [
      [i32, [3]],
      [f32, [2, 10]],
    ]),
    /^Shape mismatch: The shape of labels \(received \(3,\)\) should equal the shape of logits except for the last dimension \(received \(2, 10\)\)\./,
  );
  t.same(infer('softmax_cross_entropy_with_logits', [sig(f32, [null, 10]), sig(f32, [32, null])]), sig(f32, [32]));
  t.match(
    buildError('softmax_cross_entropy_with_logits', [
      ['f64', [2, 3]],
      [f32, [2, 3]],
    ]),
    /Input 'labels' of 'SoftmaxCrossEntropyWithLogits' Op has type float64 that does not match type float32 of argument 'features'/,
  );
  t.same(infer('sigmoid_cross_entropy_with_logits', [sig(f32, [null, 3]), sig(f32, [2, null])]), sig(f32, [2, 3]));
  t.match(
    buildError('sigmoid_cross_entropy_with_logits', [
      [f32, [2, 3]],
      [f32, [3]],
    ]),
    /logits and labels must have the same shape \(\(3,\) vs \(2, 3\)\)/,
  );
  t.same(infer('in_top_k', [sig(f32, [null, 10]), sig(i32, [8])], { k: 1 }), sig('bool', [8]));
  t.match(
    buildError(
      'in_top_k',
      [
        [f32, [2, 10]],
        [i32, [3]],
      ],
      { k: 1 },
    ),
    /Dimensions must be equal, but are 2 and 3/,
  );
  t.end();
});

t.test('sources and state', (t) => {
  t.same(infer('placeholder', [], { dtype: 'f32', shape: [null, 3] }), sig(f32, [null, 3]));
  t.same(infer('placeholder', [], { dtype: 'f32', shape: null }), sig(f32, null));
  t.same(infer('range', [], { start: 0, limit: 10, delta: 3, dtype: 'i32' }), sig(i32, [4]));
  t.same(infer('range', [], { start: 0, limit: 1, delta: 0.25, dtype: 'f32' }), sig(f32, [4]));
  t.throws(() => infer('range', [], { start: 0, limit: 1, delta: 0 }), { message: 'Requires delta != 0: 0' });
  t.throws(() => infer('range', [], { start: 5, limit: 1, delta: 1 }), { message: 'Requires start <= limit when delta > 0: 5/1' });
  t.throws(() => infer('const', [], { dtype: 'f32', shape: [2], value: [1, 2, 3] }), {
    message: 'Too many elements provided. Needed at most 2, but received 3',
  });
  t.same(infer('random_uniform', [], { shape: [2, 3], dtype: 'f64', minval: 0, maxval: 1, seed: 1, seed2: 2 }), sig('f64', [2, 3]));
  t.throws(() => infer('random_uniform', [], { shape: [2], dtype: 'i32', minval: 5, maxval: 3 }), { message: 'Need minval < maxval: 5 >= 3' });
  t.match(buildError('random_normal', [], { shape: [2], dtype: 'i32' }), /DataType int32 not in list of allowed values: float32, float64/);
  t.match(buildError('fill', [[f32, [2]]], { shape: [3] }), /^Shape must be rank 0 but is rank 1/);
  t.same(infer('assign', [sig(f32, [2, 3]), sig(f32, [null, 3])]), sig(f32, [2, 3]));
  t.same(infer('assign', [sig(f32, [2, 3]), sig(f32, [5])], { validate_shape: false }), sig(f32, [5]));
  t.equal(
    buildError('assign', [
      [f32, [2]],
      [i32, [2]],
    ]),
    "Input 'value' of 'Assign' Op has type int32 that does not match type float32_ref of argument 'ref'.",
  );
  t.match(
    buildError('assign', [
      [f32, [2]],
      [f32, [3]],
    ]),
    /^Dimension 0 in both shapes must be equal, but are 2 and 3/,
  );
  t.match(
    buildError('assign_add', [
      ['bool', [2]],
      ['bool', [2]],
    ]),
    /not in list of allowed values/,
  );
  t.equal(infer('no_op', []), null);
  t.equal(infer('group', []), null);
  t.end();
});
