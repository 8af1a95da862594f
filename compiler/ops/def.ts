/**
 * @fileoverview What an op is. Each op is defined once, in one `OpDef` in a family file of
 * this folder (elementwise.ts, reduce.ts, matmul.ts, ...), holding everything about it: its
 * TF1 name, its static shape/dtype rule and its symbolic shape rule, its reference evaluation,
 * its gradient (a rule on the `GradBuilder` of grad-api.ts, or NOT_DIFFERENTIABLE) and its
 * lowering (lower-api.ts: fusion class, view index map, elementwise value rule, reduce
 * combiner, opaque kernel and its scratch, or `unsupported` with the reason). Both `grad` and
 * `lower` are required, so an op missing one fails `tsc`. `registry.ts` gathers the families
 * into one table keyed by op name (`OpName`); tests loop over that table.
 *
 * Nothing in this folder imports a later stage (compiler/grad, compiler/passes,
 * compiler/schedule, compiler/codegen): those stages read the table.
 */
import type { DType } from '../../session/dtype.js';
import type { Tensor } from '../../session/tensor.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { Shape } from '../ir/shape.js';
import type { Poly } from '../ir/sym.js';
import { NOT_DIFFERENTIABLE, type GradRule } from './grad-api.js';
import type { OpLowering } from './lower-api.js';

export { NOT_DIFFERENTIABLE };

/** Static signature of a tensor: dtype and static shape. */
export interface TensorSig {
  dtype: DType;
  shape: Shape;
}

/**
 * Families, for fusion and codegen (after TVM's op patterns):
 * - elementwise: out[i] = f(in0[i], in1[i], ...) with numpy broadcasting between inputs
 * - reduce: reduces some axes of one input
 * - matmul: contraction (matmul, matrix_inverse)
 * - layout: moves or selects elements (transpose, reshape, concat, slice, gather, ...)
 * - source: no tensor inputs (const, placeholder, fill, range, random)
 * - state: variables and assignments
 * - control: no output (no_op, group)
 * - opaque: anything else (softmax, cross-entropies, one_hot, in_top_k, ...)
 */
export type OpKind = 'elementwise' | 'reduce' | 'matmul' | 'layout' | 'source' | 'state' | 'control' | 'opaque';

/** What the reference interpreter offers an op while evaluating it. */
export interface EvalContext {
  /** The node being evaluated (its attrs, name, inputs for ref ops). */
  readonly node: Node;
  /** Current value of a variable node; throws FailedPreconditionError when uninitialized. */
  readVariable(variable: Node): Tensor;
  /** Set a variable's value (assign ops). */
  writeVariable(variable: Node, value: Tensor): void;
  /**
   * Next `count` raw 32-bit random words of this node's Philox stream for the current run.
   * The stream is keyed by the node's (seed, seed2) attrs and advances across runs of one
   * session, as TF1's stateful random ops do.
   */
  randomBits(count: number): Uint32Array;
}

export interface OpDef {
  /** IR op name (snake_case), the registry key. */
  readonly name: string;
  /** TF1 op type, the default node name where the frontend does not choose one (e.g. 'MatMul'). */
  readonly tfType: string;
  /** One line for docs/language.md. */
  readonly doc: string;
  readonly kind: OpKind;
  /** True for ops whose value depends on state or randomness (never CSE'd or folded). */
  readonly stateful?: boolean;
  /** Indices of inputs passed by reference (the variable of assign ops): not evaluated first. */
  readonly refInputs?: readonly number[];
  /**
   * Shape-like arguments TF1 takes as tensors (reshape's shape, slice's begin and size, Fill's
   * dims): when the node has `arity` inputs, the inputs that carry them and, for each, the attr
   * holding what is known of its value when the graph is built (compiler/ops/static-value.ts's
   * staticShapeValue), which the static shape rule reads. The reference evaluation reads the
   * input; the input gets no gradient; the WebAssembly backend compiles the node for the static
   * value and checks the run-time value against it (docs/backend.md).
   */
  readonly shapeInputs?: ShapeInputs;
  /** docs/ops.md: inputs and attrs, e.g. `[a, b]; {transpose_a, transpose_b}`. */
  readonly signature?: string;
  /** docs/ops.md: the static shape rule in a few words. */
  readonly shapeRule?: string;
  /** docs/ops.md: the input dtypes accepted. */
  readonly dtypes?: string;
  /**
   * Static rule: dtype and shape of the output from the inputs' signatures and the attrs, or
   * null for ops with no output. Throws ShapeError (compiler/ir/shape.ts) or OpTypeError with a
   * TF1-worded message; the builder turns it into a diagnostic at the expression's span.
   */
  infer(inputs: readonly TensorSig[], attrs: Attrs): TensorSig | null;
  /**
   * Reference evaluation: the definition of what the op means. Inputs listed in refInputs are
   * passed as null. Throws OpError subclasses (session/errors.ts) for run-time failures
   * (e.g. InvalidArgumentError for an out-of-range gather index).
   */
  eval(inputs: (Tensor | null)[], attrs: Attrs, ctx: EvalContext): Tensor | null;
  /**
   * Reverse-mode gradient (compiler/grad/gradients.ts): given a GradBuilder (makes nodes in the
   * current `gradients/<op>_grad` scope, tagged with the forward node and its span), the
   * forward node and the incoming gradient dy, one gradient node (or null: none) per input.
   * `NOT_DIFFERENTIABLE` declares that the op has no gradient (TF1's ops.NotDifferentiable):
   * gradients stop there.
   */
  readonly grad: GradRule | typeof NOT_DIFFERENTIABLE;
  /**
   * WebAssembly lowering by fusion class (lower-api.ts): what fusion does with the node and
   * how its kernel or its part of a fused kernel is emitted.
   */
  readonly lower: OpLowering;
  /**
   * Symbolic shape rule (compiler/schedule/symshape.ts): the output dims in terms of the
   * inputs' symbolic dims (every unknown dim of a placeholder is the batch size `B`), null
   * entries (or null) where the rule cannot tell. Without one, unknown dims follow the batch
   * convention. A dim the static shape knows is always taken from it.
   */
  readonly symShape?: SymShapeRule;
  /**
   * Why the WebAssembly backend cannot compile this node although its shapes are known (a
   * shape-like input it needs when compiling whose value is only known at run time), or null.
   */
  compileCheck?(n: Node): string | null;
  /**
   * Inputs whose unknown rank this op fixes (the labels of the sparse cross-entropy are the
   * logits' shape without the last dim): input index and static shape, for placeholders of
   * unknown rank that feed it.
   */
  refinesInputs?(n: Node): readonly { readonly index: number; readonly shape: (number | null)[] | null }[];
}

/** See `OpDef.symShape`. `shapeOf` gives the symbolic shape of any earlier node. */
export type SymShapeRule = (n: Node, ins: Poly[][], shapeOf: (n: Node) => Poly[]) => (Poly | null)[] | null;

/** See `OpDef.shapeInputs`. */
export interface ShapeInputs {
  readonly arity: number;
  readonly inputs: readonly { readonly index: number; readonly attr: string }[];
}

/** A dtype error at graph construction (TF1 raises TypeError/ValueError). */
export class OpTypeError extends Error {
  override name = 'OpTypeError';
}

/** Helper for families: define an op with its name as the key. */
export function defineOp<T extends OpDef>(def: T): T {
  return def;
}
