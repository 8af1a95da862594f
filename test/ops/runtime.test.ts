/**
 * @fileoverview Run-time behaviour of the reference kernels that fixtures cannot express: TF1's
 * InvalidArgument errors (shape checks where static dims were unknown, gather out of range,
 * singular inverse, bad labels, reshape sizes, assign shapes), uninitialized variables, random
 * streams advancing across runs, and f32 accuracy of the normal equation on California housing.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { fromNested, Tensor } from '../../session/tensor.js';
import { repoPath } from '../helpers.js';
import { evalOp } from './harness.js';
import { getOp } from '../../compiler/ops/registry.js';

const f32 = (v: number[] | number[][] | number) => fromNested('f32', v);
const i32 = (v: number[] | number[][] | number) => fromNested('i32', v);
const UNKNOWN2 = [null, null];

function err(fn: () => unknown): { name: string; message: string } {
  try {
    fn();
  } catch (e) {
    const x = e as Error & { tfMessage?: string };
    return { name: x.name, message: x.tfMessage ?? x.message };
  }
  return { name: 'none', message: '' };
}

t.test('broadcasting of fed values is checked at run time', (t) => {
  const a = f32([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const b = f32([
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
    [1, 1, 1],
  ]);
  t.same(
    err(() => evalOp('add', [a, b], {}, { statics: [UNKNOWN2, UNKNOWN2] })),
    { name: 'InvalidArgumentError', message: 'Incompatible shapes: [2,3] vs. [4,3]' },
  );
  t.same(
    err(() => evalOp('select', [fromNested('bool', [true, false]), a, a], {}, { statics: [[null], UNKNOWN2, UNKNOWN2] })).message,
    'Incompatible shapes: [2] vs. [2,3]',
  );
  t.end();
});

t.test('matmul size checks at run time', (t) => {
  const a = f32([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const b = Tensor.zeros('f32', [4, 5]);
  t.same(
    err(() => evalOp('matmul', [a, b], {}, { statics: [UNKNOWN2, UNKNOWN2] })),
    { name: 'InvalidArgumentError', message: 'Matrix size-incompatible: In[0]: [2,3], In[1]: [4,5]' },
  );
  const c = Tensor.zeros('f32', [2, 2, 3]);
  const d = Tensor.zeros('f32', [3, 3, 4]);
  t.match(
    err(() =>
      evalOp(
        'matmul',
        [c, d],
        {},
        {
          statics: [
            [null, 2, 3],
            [null, 3, 4],
          ],
        },
      ),
    ).message,
    /must have compatible batch dimensions: \[2,2,3\] vs\. \[3,3,4\]/,
  );
  t.end();
});

t.test('matrix_inverse of a singular matrix', (t) => {
  t.same(
    err(() =>
      evalOp('matrix_inverse', [
        fromNested('f64', [
          [1, 2],
          [2, 4],
        ]),
      ]),
    ),
    { name: 'InvalidArgumentError', message: 'Input is not invertible.' },
  );
  t.same(
    err(() =>
      evalOp('matrix_inverse', [
        f32([
          [0, 0],
          [0, 0],
        ]),
      ]),
    ).message,
    'Input is not invertible.',
  );
  t.end();
});

t.test('gather out of range', (t) => {
  const p = f32([1, 2, 3, 4, 5]);
  t.same(
    err(() => evalOp('gather', [p, i32([1, 7])], { axis: 0 })),
    { name: 'InvalidArgumentError', message: 'indices[1] = 7 is not in [0, 5)' },
  );
  t.equal(
    err(() =>
      evalOp(
        'gather',
        [
          p,
          i32([
            [0, 1],
            [-1, 2],
          ]),
        ],
        { axis: 0 },
      ),
    ).message,
    'indices[1,0] = -1 is not in [0, 5)',
  );
  t.equal(err(() => evalOp('gather', [p, i32(5)], { axis: 0 })).message, 'indices = 5 is not in [0, 5)');
  t.end();
});

t.test('reshape sizes at run time', (t) => {
  const x = f32([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  t.same(
    err(() => evalOp('reshape', [x], { shape: [4] }, { statics: [UNKNOWN2] })),
    {
      name: 'InvalidArgumentError',
      message: 'Input to reshape is a tensor with 6 values, but the requested shape has 4',
    },
  );
  t.equal(
    err(() => evalOp('reshape', [x], { shape: [-1, 4] }, { statics: [UNKNOWN2] })).message,
    'Input to reshape is a tensor with 6 values, but the requested shape requires a multiple of 4',
  );
  t.end();
});

t.test('sparse cross-entropy label out of range', (t) => {
  const logits = Tensor.zeros('f32', [2, 10]);
  const e = err(() => evalOp('sparse_softmax_cross_entropy_with_logits', [i32([1, 10]), logits]));
  t.equal(e.name, 'InvalidArgumentError');
  t.match(e.message, /^Received a label value of 10 which is outside the valid range of \[0, 10\)\./);
  t.end();
});

t.test('integer division by zero and negative integer powers', (t) => {
  t.equal(err(() => evalOp('div', [i32([1]), i32([0])])).message, 'Integer division by zero');
  t.equal(err(() => evalOp('pow', [i32([2]), i32([-1])])).name, 'InvalidArgumentError');
  t.end();
});

t.test('squeeze/slice/strided_slice checks where static dims were unknown', (t) => {
  const x = Tensor.zeros('f32', [2, 3]);
  t.match(err(() => evalOp('squeeze', [x], { axis: [1] }, { statics: [UNKNOWN2] })).message, /Can not squeeze dim\[1\], expected a dimension of 1, got 3/);
  t.match(err(() => evalOp('slice', [x], { begin: [0, 2], size: [1, 2] }, { statics: [UNKNOWN2] })).message, /Expected size\[1\] in \[0, 1\], but got 2/);
  t.equal(err(() => evalOp('strided_slice', [x], { index: [5] }, { statics: [UNKNOWN2] })).message, 'slice index 5 of dimension 0 out of bounds.');
  t.match(
    err(() => evalOp('concat', [x, Tensor.zeros('f32', [2, 4])], { axis: 0 }, { statics: [UNKNOWN2, UNKNOWN2] })).message,
    /^ConcatOp : Dimensions of inputs should match: shape\[0\] = \[2,3\] vs\. shape\[1\] = \[2,4\]/,
  );
  t.end();
});

t.test('assign shape validation and uninitialized variables', (t) => {
  const v = f32([1, 2]);
  const r = err(() => evalOp('assign', [f32([1, 2, 3])], {}, { variable: v, statics: [[null]] }));
  t.same(r, { name: 'InvalidArgumentError', message: 'Assign requires shapes of both tensors to match. lhs shape= [2] rhs shape= [3]' });
  t.match(
    err(() => evalOp('assign_add', [f32([1, 2, 3])], {}, { variable: v, statics: [[null]] })).message,
    /Cannot update variable with shape \[2\] using a Tensor with shape \[3\]/,
  );
  t.same(
    err(() => evalOp('variable', [], { dtype: 'f32', shape: [2] })),
    { name: 'FailedPreconditionError', message: 'Attempting to use uninitialized value Variable' },
  );
  t.end();
});

t.test('placeholder eval is an internal error', (t) => {
  t.equal(err(() => evalOp('placeholder', [], { dtype: 'f32', shape: [2] })).name, 'InternalError');
  t.end();
});

t.test('random ops advance their stream across runs', (t) => {
  const attrs = { shape: [3], dtype: 'f32', minval: 0, maxval: 1, seed: 7, seed2: 11 };
  const r = evalOp('random_uniform', [], attrs);
  const first = Array.from(r.out!.data);
  const second = Array.from(getOp('random_uniform').eval([], attrs, r.ctx)!.data);
  t.not(first.join(), second.join(), 'a second run draws new numbers');
  const again = Array.from(evalOp('random_uniform', [], attrs).out!.data);
  t.same(again, first, 'same seeds in a new session: same numbers');
  t.end();
});

t.test('f32 normal equation on California housing lands near the f64 intercept', (t) => {
  const lines = readFileSync(repoPath('samples/data/california_housing.csv'), 'utf8').trim().split('\n').slice(1);
  const m = lines.length;
  const X64 = new Float64Array(m * 9);
  const y64 = new Float64Array(m);
  lines.forEach((line, i) => {
    const v = line.split(',').map(Number);
    X64[i * 9] = 1;
    for (let j = 0; j < 8; j++) X64[i * 9 + 1 + j] = v[j];
    y64[i] = v[8];
  });
  const theta = (dtype: 'f32' | 'f64'): Tensor => {
    const X = new Tensor(dtype, [m, 9], dtype === 'f32' ? Float32Array.from(X64) : X64);
    const y = new Tensor(dtype, [m, 1], dtype === 'f32' ? Float32Array.from(y64) : y64);
    const XtX = evalOp('matmul', [X, X], { transpose_a: true }).out!;
    const inv = evalOp('matrix_inverse', [XtX]).out!;
    const Xty = evalOp('matmul', [X, y], { transpose_a: true }).out!;
    return evalOp('matmul', [inv, Xty]).out!;
  };
  const t64 = theta('f64');
  const t32 = theta('f32');
  t.ok(Math.abs(t64.data[0] - -36.94192) < 1e-3, `f64 intercept ${t64.data[0]} (sklearn: -36.94192)`);
  t.ok(Math.abs(t32.data[0] - t64.data[0]) < 0.05, `f32 intercept ${t32.data[0]} within 0.05 of ${t64.data[0]}`);
  t.end();
});
