/**
 * @fileoverview The kernel plan: what fusion produces and the code generator lowers.
 *
 * A kernel is a group of IR nodes run as one loop nest (or one call into the AssemblyScript
 * runtime). Its members read materialised values (`Load`s: a buffer plus per-iteration-dim
 * element strides over the kernel's iteration space, so broadcasting, transposes and slices
 * are index arithmetic) and write materialised values (`Store`s). The computation is a small
 * expression DAG (`Expr[]`, operands before users, shared subexpressions once):
 *
 * ```
 * loop    for idx in space: exprs; stores[k] ← exprs[stores[k].expr]
 * reduce  for idx in space: v = exprs[value]; stores (extra element outputs);
 *         out[idx without axes] = combine(out, v)   (mean: × 1/count at the end)
 * matmul  acc = (A·B)[idx] (runtime micro-kernel); epilogue exprs over idx with `acc`
 * opaque  one node, a runtime call with its inputs and output buffers
 * ```
 * Loops are ready for SIMD: the innermost dim is vectorised when every load's innermost
 * stride is 1 (contiguous / row) or 0 (scalar); `pattern` tells the common cases apart.
 */
import type { DType } from '../../session/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { Poly } from './sym.js';

/**
 * Most segments a full reduction runs in (compiler/codegen/kernels.ts emitSegmentedReduce): their
 * partials, 8 bytes each, sit in the runtime scratch, which compiler/schedule/layout.ts sizes.
 */
export const MAX_REDUCE_SEGMENTS = 64;

/** How a load walks its buffer over the iteration space. */
export type AccessPattern =
  /** buffer[flat(idx)]: same shape, row-major */
  | 'contiguous'
  /** one element for every idx */
  | 'scalar'
  /** leading dims broadcast, trailing dims contiguous (a bias row over a batch) */
  | 'row'
  /** anything else: general strides (transposes, slices, middle-dim broadcasts) */
  | 'strided';

export interface Access {
  /** The materialised value (buffer) read or written. */
  node: Node;
  dtype: DType;
  /** Element stride per iteration dim (0 = broadcast). */
  strides: Poly[];
  /** Element offset of idx = 0. */
  offset: Poly;
  pattern: AccessPattern;
}

export type Load = Access;

export interface Store extends Access {
  /** The expression whose value is written. */
  expr: number;
}

export type Expr =
  | { op: 'load'; load: number; dtype: DType }
  | { op: 'const'; value: number; dtype: DType }
  /** The matmul result element (matmul epilogues only). */
  | { op: 'acc'; dtype: DType }
  /** An elementwise IR op (add, exp, select, cast, add_n, ...) applied to earlier exprs. */
  | { op: string; args: number[]; attrs: Attrs; dtype: DType; node: Node };

export interface Body {
  loads: Load[];
  exprs: Expr[];
  stores: Store[];
}

export type Combiner = 'sum' | 'max' | 'min' | 'prod' | 'argmax' | 'argmin';

interface KernelCommon {
  id: number;
  /** The root node's name. */
  name: string;
  /** Member nodes in graph order (the root last among them is not guaranteed). */
  nodes: Node[];
  /** Materialised values read. */
  inputs: Node[];
  /** Materialised values written. */
  outputs: Node[];
}

export interface LoopKernel extends KernelCommon {
  kind: 'loop';
  space: Poly[];
  body: Body;
}

export interface ReduceKernel extends KernelCommon {
  kind: 'reduce';
  /** The reduction's input space (iterated). */
  space: Poly[];
  /** Body over `space`; its stores are extra element-wise outputs (multi-output fusion). */
  body: Body;
  /** Expr reduced. */
  value: number;
  /** Reduced dims of `space`, sorted. */
  axes: number[];
  combiner: Combiner;
  /** reduce_mean: divide by the number of reduced elements at the end. */
  mean: boolean;
  keepdims: boolean;
  /** The reduction node (its buffer gets the result, shape `outShape`). */
  output: Node;
  outShape: Poly[];
}

export interface MatmulKernel extends KernelCommon {
  kind: 'matmul';
  node: Node;
  a: Node;
  b: Node;
  transposeA: boolean;
  transposeB: boolean;
  /** Output shape (batch dims..., m, n). */
  space: Poly[];
  /** Output fusion: element-wise ops over the result (`acc`), or null to store the product. */
  epilogue: Body | null;
}

export interface OpaqueKernel extends KernelCommon {
  kind: 'opaque';
  node: Node;
}

export type Kernel = LoopKernel | ReduceKernel | MatmulKernel | OpaqueKernel;
