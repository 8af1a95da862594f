/**
 * @fileoverview Contractions: matmul (rank 2, or batch matmul for rank > 2 with equal batch
 * dims, optional transposes; dot products accumulated in f64, int32 wrapping) and
 * matrix_inverse (LU with partial pivoting in f64 over the last two dims).
 */
import { matmulShape as matmulShapeRt } from '../../session/shapes.js';
import { allocArray } from '../../session/dtype.js';
import { InvalidArgumentError } from '../../session/errors.js';
import { Tensor, sizeOf } from '../../session/tensor.js';
import { type Dim, type Shape, ShapeError } from '../ir/shape.js';
import { numel } from '../ir/sym.js';
import { type OpDef } from './def.js';
import { FAIL } from './lowering.js';
import { FLOAT, NUMERIC, attrBool, checkArity, checkDType, checkRankAtLeast, checkSameDType, dtypeList, mergeDim } from './kernels.js';

/** Static rule of MatMul / BatchMatMul. */
function matmulShape(a: Shape, b: Shape, ta: boolean, tb: boolean): Shape {
  if (a === null && b === null) return null;
  const rank = (a ?? b)!.length;
  if (a !== null && b !== null && a.length !== b.length) {
    if (a.length === 2 || b.length === 2) throw new ShapeError(`Shape must be rank 2 but is rank ${a.length === 2 ? b.length : a.length}`);
    throw new ShapeError(`Shapes must be equal rank, but are ${a.length} and ${b.length}`);
  }
  if (rank < 2) throw new ShapeError(`Shape must be rank 2 but is rank ${rank}`);
  const A: Dim[] = a ?? new Array<Dim>(rank).fill(null);
  const B: Dim[] = b ?? new Array<Dim>(rank).fill(null);
  const batch: Dim[] = [];
  for (let i = 0; i < rank - 2; i++) batch.push(mergeDim(A[i], B[i]));
  const m = ta ? A[rank - 1] : A[rank - 2];
  const ka = ta ? A[rank - 2] : A[rank - 1];
  const kb = tb ? B[rank - 1] : B[rank - 2];
  const n = tb ? B[rank - 2] : B[rank - 1];
  mergeDim(ka, kb);
  return [...batch, m, n];
}

export const MATMUL_OPS = {
  matmul: {
    name: 'matmul',
    tfType: 'MatMul',
    doc: 'Matrix product a·b (optionally transposed); rank > 2 multiplies matching batches.',
    kind: 'matmul',
    signature: '[a, b]; {transpose_a, transpose_b}',
    shapeRule: '[..., m, k]·[..., k, n] → [..., m, n]; batch dims equal',
    dtypes: dtypeList(NUMERIC),
    // the runtime's packed SIMD matmul, with output fusion of an elementwise epilogue
    // (compiler/codegen/kernels.ts emitMatmul)
    lower: {
      fusion: 'contraction',
      operands: (n) => ({ a: n.inputs[0], b: n.inputs[1], transposeA: !!n.attrs.transpose_a, transposeB: !!n.attrs.transpose_b }),
    },
    symShape(n, [x, b]) {
      const r = x.length;
      const m = n.attrs.transpose_a ? x[r - 1] : x[r - 2];
      const nn = n.attrs.transpose_b ? b[b.length - 2] : b[b.length - 1];
      return [...x.slice(0, r - 2), m, nn];
    },
    infer(inputs, attrs) {
      checkArity('MatMul', inputs, 2);
      checkSameDType('MatMul', inputs, ['a', 'b']);
      checkDType('a', inputs[0].dtype, NUMERIC);
      return {
        dtype: inputs[0].dtype,
        shape: matmulShape(inputs[0].shape, inputs[1].shape, attrBool(attrs, 'transpose_a', false), attrBool(attrs, 'transpose_b', false)),
      };
    },
    eval(inputs, attrs) {
      const a = inputs[0]!;
      const b = inputs[1]!;
      const ta = attrBool(attrs, 'transpose_a', false);
      const tb = attrBool(attrs, 'transpose_b', false);
      const rank = a.rank;
      // the output shape, or TF1's error (one rule for both backends: session/shapes.ts)
      const batch = matmulShapeRt(a.shape, b.shape, ta, tb).slice(0, rank - 2);
      const m = ta ? a.shape[rank - 1] : a.shape[rank - 2];
      const k = ta ? a.shape[rank - 2] : a.shape[rank - 1];
      const n = tb ? b.shape[rank - 2] : b.shape[rank - 1];
      const nb = sizeOf(batch);
      const out = allocArray(a.dtype, nb * m * n);
      const ad = a.data;
      const bd = b.data;
      // element (i, p) of a's matrix and (p, j) of b's, honouring the transposes
      const aRow = ta ? 1 : k;
      const aCol = ta ? m : 1;
      const bRow = tb ? 1 : n;
      const bCol = tb ? k : 1;
      const isInt = a.dtype === 'i32';
      for (let t = 0; t < nb; t++) {
        const ao = t * m * k;
        const bo = t * k * n;
        const oo = t * m * n;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let acc = 0;
            if (isInt) for (let p = 0; p < k; p++) acc = (acc + Math.imul(ad[ao + i * aRow + p * aCol], bd[bo + p * bRow + j * bCol])) | 0;
            else for (let p = 0; p < k; p++) acc += ad[ao + i * aRow + p * aCol] * bd[bo + p * bRow + j * bCol];
            out[oo + i * n + j] = acc;
          }
        }
      }
      return new Tensor(a.dtype, [...batch, m, n], out);
    },
    grad(b, node, dy) {
      // TF1's _MatMulGrad / _BatchMatMul grad, per transpose combination
      const [x, y] = node.inputs;
      const ta = attrBool(node.attrs, 'transpose_a', false);
      const tb = attrBool(node.attrs, 'transpose_b', false);
      if (!ta && !tb) return [b.matmul(dy, y, false, true), b.matmul(x, dy, true, false)];
      if (!ta && tb) return [b.matmul(dy, y), b.matmul(dy, x, true, false)];
      if (ta && !tb) return [b.matmul(y, dy, false, true), b.matmul(x, dy)];
      return [b.matmul(y, dy, true, true), b.matmul(dy, x, true, true)];
    },
  },
  matrix_inverse: {
    name: 'matrix_inverse',
    tfType: 'MatrixInverse',
    doc: 'Inverse of each square matrix in the last two dims (LU with partial pivoting in f64); adjoint inverts the transpose.',
    kind: 'matmul',
    signature: '[x]; {adjoint}',
    shapeRule: '[..., n, n] → [..., n, n]',
    dtypes: dtypeList(FLOAT),
    // the runtime's LU inverse (runtime-as/assembly/linalg.ts); a singular matrix fails the run
    lower: {
      fusion: 'opaque',
      emit(e, n) {
        const { m, f } = e;
        const vb = e.values();
        const s = e.shape(n.inputs[0]);
        const nn = s[s.length - 1];
        const st = f.local('i32');
        const out = [
          f.set(
            st,
            m.call(
              `rt_matrix_inverse_${n.dtype!}`,
              [e.addr(n.inputs[0]), e.addr(n), e.poly(numel(s.slice(0, -2))), e.poly(nn), m.i32(n.attrs.adjoint ? 1 : 0), e.scratch()],
              'i32',
            ),
          ),
        ];
        vb.fail(f.get(st), FAIL.notInvertible);
        return [...out, ...vb.stmts];
      },
      // The LU's f64 copy, pivots and row order (runtime-as/abi.ts matrixInverseScratchBytes:
      // a16(8n²) + a16(8n) + a16(4n) ≤ 8n² + 12n + 48) in the per-call scratch, sized for the run's
      // n: in the fixed runtime scratch, an n known only at run time outgrew it past n ≈ 650.
      scratch(n, shape) {
        const s = shape(n.inputs[0]);
        const k = s[s.length - 1]!;
        return k.mul(k).scale(8).add(k.scale(12)).add(48);
      },
    },
    infer(inputs) {
      checkArity('MatrixInverse', inputs, 1);
      checkDType('input', inputs[0].dtype, FLOAT);
      const s = inputs[0].shape;
      if (s === null) return { dtype: inputs[0].dtype, shape: null };
      checkRankAtLeast(s, 2);
      const n = mergeDim(s[s.length - 2], s[s.length - 1]);
      return { dtype: inputs[0].dtype, shape: [...s.slice(0, -2), n, n] };
    },
    eval(inputs, attrs) {
      const x = inputs[0]!;
      if (x.rank < 2) throw new InvalidArgumentError(`Input tensor 0 must have rank >= 2, got ${x.rank}`);
      const n = x.shape[x.rank - 1];
      if (x.shape[x.rank - 2] !== n) throw new InvalidArgumentError(`Input matrices must be squares, got ${x.shape[x.rank - 2]} != ${n}`);
      const adjoint = attrBool(attrs, 'adjoint', false);
      const out = allocArray(x.dtype, x.size);
      const nb = n === 0 ? 0 : x.size / (n * n);
      const lu = new Float64Array(n * n);
      const inv = new Float64Array(n * n);
      const piv = new Int32Array(n);
      for (let t = 0; t < nb; t++) {
        const o = t * n * n;
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) lu[i * n + j] = adjoint ? x.data[o + j * n + i] : x.data[o + i * n + j];
        luInverse(lu, n, piv, inv);
        for (let i = 0; i < n * n; i++) out[o + i] = inv[i];
      }
      return new Tensor(x.dtype, x.shape, out);
    },
    grad(b, node, dy) {
      // TF1's _MatrixInverseGrad: -A^-T · dy · A^-T (adjoint: -A^-1 · dy^T... per the attr)
      const adj = attrBool(node.attrs, 'adjoint', false);
      return [b.neg(b.matmul(node, b.matmul(dy, node, adj, !adj), !adj, false))];
    },
  },
} satisfies Record<string, OpDef>;

/** In-place LU (Doolittle, partial pivoting) of the n×n matrix `a`, then inv = A⁻¹ by solving A·X = I. */
function luInverse(a: Float64Array, n: number, piv: Int32Array, inv: Float64Array): void {
  for (let i = 0; i < n; i++) piv[i] = i;
  for (let c = 0; c < n; c++) {
    let p = c;
    let best = Math.abs(a[c * n + c]);
    for (let r = c + 1; r < n; r++) {
      const v = Math.abs(a[r * n + c]);
      if (v > best) {
        best = v;
        p = r;
      }
    }
    if (!(best > 0)) throw new InvalidArgumentError('Input is not invertible.');
    if (p !== c) {
      for (let j = 0; j < n; j++) {
        const tmp = a[c * n + j];
        a[c * n + j] = a[p * n + j];
        a[p * n + j] = tmp;
      }
      const tp = piv[c];
      piv[c] = piv[p];
      piv[p] = tp;
    }
    const d = a[c * n + c];
    for (let r = c + 1; r < n; r++) {
      const f = (a[r * n + c] /= d);
      if (f !== 0) for (let j = c + 1; j < n; j++) a[r * n + j] -= f * a[c * n + j];
    }
  }
  // Solve L·U·X = P·I column by column.
  const y = new Float64Array(n);
  for (let col = 0; col < n; col++) {
    for (let i = 0; i < n; i++) {
      let s = piv[i] === col ? 1 : 0;
      for (let j = 0; j < i; j++) s -= a[i * n + j] * y[j];
      y[i] = s;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i];
      for (let j = i + 1; j < n; j++) s -= a[i * n + j] * inv[j * n + col];
      inv[i * n + col] = s / a[i * n + i];
    }
  }
}
