/**
 * @fileoverview fold: constant folding with the ops' reference `eval`.
 *
 * A node is folded into a `const` when its op is pure (not stateful, not a placeholder or
 * variable, not a control op), all its inputs are consts (after folding), and its result has
 * at most `maxElements` elements, so a big constant (a `fill` of 10⁶ zeros) is not
 * materialised a second time. `shape`, `size` and `rank` fold as soon as the input's static
 * shape (or rank) is known, whatever the input is, and so do known dims picked from a partially
 * known shape (`shape(X)[1]` with X [?, 3]): compiler/ops/static-value.ts's rules. The folded
 * const keeps the node's name, span and control inputs, and takes over the control inputs of
 * its const inputs (TF1 prunes a control edge that a data edge implies, so a block's edge may
 * sit on a constant: folding must not drop it). An evaluation that fails (an out-of-range
 * gather index) is left for run time, so the error is raised when and where TF1 raises it.
 * Inputs left unused are removed by `dce`.
 *
 * Before:
 * ```
 * a = const f32[] 2
 * b = const f32[] 3
 * c = mul(a, b)
 * x = placeholder f32[?,3]
 * s = shape(x)
 * y = add(x, c)
 * ```
 * After:
 * ```
 * a = const f32[] 2
 * b = const f32[] 3
 * c = const f32[] 6
 * x = placeholder f32[?,3]
 * s = shape(x)
 * y = add(x, c)
 * ```
 */
import type { Attrs, Node } from '../ir/graph.js';
import { isFullyDefined } from '../ir/shape.js';
import type { EvalContext } from '../ops/def.js';
import { type Tensor } from '../../session/tensor.js';
import { staticEval } from '../ops/static-value.js';
import { hasIdentity, opDef, opKind } from './opinfo.js';
import { GraphRewriter, type GraphUnit, type PassResult } from './rewrite.js';

export interface FoldOptions {
  /** Largest result (in elements) folded into a constant. */
  maxElements?: number;
}

export const DEFAULT_FOLD_MAX_ELEMENTS = 1 << 16;

/** The value of a const node as a Tensor (by the const op's own reference eval). */
export function constValue(n: Node): Tensor {
  const def = opDef('const');
  const t = def ? def.eval([], n.attrs, pureContext(n)) : null;
  if (!t) throw new Error(`internal: const '${n.name}' has no value`);
  return t;
}

/** Const attrs for a tensor: `{dtype, shape, value}` with the value flat and row-major. */
export function constAttrs(t: Tensor): Attrs {
  return { dtype: t.dtype, shape: [...t.shape], value: Array.from(t.data as ArrayLike<number>) };
}

const pureContext = (node: Node): EvalContext => ({
  node,
  readVariable: () => {
    throw new Error('not foldable: reads a variable');
  },
  writeVariable: () => {
    throw new Error('not foldable: writes a variable');
  },
  randomBits: () => {
    throw new Error('not foldable: random');
  },
});

export function fold(unit: GraphUnit, opts: FoldOptions = {}): PassResult {
  const cap = opts.maxElements ?? DEFAULT_FOLD_MAX_ELEMENTS;
  const fed = new Set(unit.feeds);
  const rw = new GraphRewriter(unit.graph);
  /** Values of new const nodes, computed once. */
  const values = new Map<Node, Tensor>();
  const valueOf = (m: Node): Tensor => {
    let v = values.get(m);
    if (!v) values.set(m, (v = constValue(m)));
    return v;
  };
  for (const n of unit.graph.nodes) {
    const inputs = n.inputs.map((i) => rw.get(i));
    const folded = fed.has(n) ? null : tryFold(n, inputs, valueOf, cap);
    if (folded) {
      // The inputs' control inputs move to the constant: what had to run before them still runs
      // before its consumers (a dependency carried by a folded input is not lost).
      const controlInputs = [...new Set([...n.controlInputs.map((c) => rw.get(c)), ...inputs.flatMap((i) => (i.op === 'const' ? i.controlInputs : []))])];
      const m = rw.copy(n, { op: 'const', inputs: [], controlInputs, attrs: constAttrs(folded), dtype: folded.dtype, shape: [...folded.shape] });
      values.set(m, folded);
    } else {
      rw.copy(n, { inputs });
    }
  }
  return rw.finish(unit);
}

function tryFold(n: Node, inputs: Node[], valueOf: (m: Node) => Tensor, cap: number): Tensor | null {
  if (n.dtype === null || n.op === 'const' || hasIdentity(n)) return null;
  const kind = opKind(n.op);
  if (kind === 'control' || kind === 'state') return null;
  // Results bigger than the cap stay computed (also avoids evaluating them here).
  if (!isFullyDefined(n.shape)) return null;
  const size = n.shape.reduce((a, b) => a * b, 1);
  if (size > cap) return null;
  // compiler/ops/static-value.ts: consts, shape queries on static shapes (and known dims picked
  // from a partially known shape), pure ops of known inputs. An evaluation that fails is left
  // for run time.
  return staticEval(n, inputs, (i) => (i.op === 'const' ? valueOf(i) : null));
}
