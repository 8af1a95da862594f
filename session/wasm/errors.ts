/**
 * @fileoverview Run-time errors of the WebAssembly Session, worded as the reference's (TF1's
 * messages, the failing node's name and `.tfg` location): the status words a kernel leaves
 * (session/wasm/status.ts), the shape facts a plan could not prove at compile time (manifest
 * `checks`), shape inputs whose run-time value differs from the compiled one, the shape errors a
 * run with disagreeing batch sizes would meet, unfed placeholders and uninitialized variables.
 * The shape rules and their messages are session/shapes.ts's, shared with the reference.
 */
import { tfDTypeName } from '../dtype.js';
import { FailedPreconditionError, InternalError, InvalidArgumentError, type OpError, type SourceLocation, UnimplementedError } from '../errors.js';
import { formatShape } from '../run-common.js';
import { broadcastShapes, fmtShape, located, matmulShape, reshapeShape } from '../shape-core.js';
import type { Tensor } from '../tensor.js';
import { type ManifestCheck, type ManifestNode, type ManifestPoly, evalPoly } from './manifest.js';
import type { Status } from './memory.js';
import { STATUS } from './status.js';

/** What decoding a failure needs to know of the run: shapes and values of the failing node's inputs. */
export interface FailureContext {
  node(name: string): ManifestNode | undefined;
  /** The run-time shape of a node's value. */
  shapeOf(name: string): number[];
  /** The run-time value of a node, when it has a buffer in the running plan. */
  valueOf(name: string): Tensor | null;
  /** The shape a node was compiled for, at this B. */
  plannedShape(name: string): number[] | null;
}

const normAxis = (a: number, rank: number): number => (a < 0 ? a + rank : a);

/** `[1,2]` index of a flat position, as TF1's SliceDebugString. */
export function sliceDebugString(shape: readonly number[], flat: number): string {
  if (shape.length === 0) return '';
  if (shape.length === 1) return `[${flat}]`;
  const st: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return `[${st.map((s, i) => Math.floor(flat / s) % shape[i]).join(',')}]`;
}

/** The typed error the status words describe. */
export function statusError(s: Status, nodes: readonly ManifestNode[], ctx: FailureContext): OpError {
  const node = nodes[s.node];
  const name = node?.name ?? null;
  const loc: SourceLocation | null = node?.location ?? null;
  const err = (m: string): InvalidArgumentError => new InvalidArgumentError(m, name, loc);
  switch (s.code) {
    case STATUS.intDivZero:
      return err('Integer division by zero');
    case STATUS.intPowNegative:
      return err('Integers to negative integers are not allowed');
    case STATUS.indexOutOfRange: {
      const ps = ctx.shapeOf(node.inputs[0]);
      const is = ctx.shapeOf(node.inputs[1]);
      const axis = normAxis((node.attrs.axis as number) ?? 0, ps.length);
      return err(`indices${sliceDebugString(is, s.a0)} = ${s.a1} is not in [0, ${ps[axis]})`);
    }
    case STATUS.notInvertible:
      return err('Input is not invertible.');
    case STATUS.labelOutOfRange: {
      const labels = ctx.valueOf(node.inputs[0]);
      const ls = ctx.shapeOf(node.inputs[1]);
      const l = labels ? labels.data[s.a0] : NaN;
      return err(
        `Received a label value of ${l} which is outside the valid range of [0, ${ls[ls.length - 1]}).  Label values: ${labels ? Array.from(labels.data).join(' ') : ''}`,
      );
    }
    case STATUS.emptyReduction: {
      const xs = ctx.shapeOf(node.inputs[0]);
      const axis = normAxis((node.attrs.axis as number) ?? 0, xs.length);
      return err(`Reduction axis ${axis} is empty in shape [${xs.join(',')}]`);
    }
    case STATUS.reshapeMismatch: {
      const have = ctx.shapeOf(node.inputs[0]).reduce((a, d) => a * d, 1);
      const want = node.op === 'reshape_like' ? ctx.shapeOf(node.inputs[1]).reduce((a, d) => a * d, 1) : s.a0;
      return err(`Input to reshape is a tensor with ${have} values, but the requested shape has ${want}`);
    }
    case STATUS.shapeCheck:
      return shapeCheckError(node, ctx);
    case STATUS.randomRange:
      return err(`Need minval < maxval: ${String(node.attrs.minval ?? 0)} >= ${String(node.attrs.maxval)}`);
  }
  return new InternalError(`kernel failed with status ${s.code}`, name, loc);
}

/** The reference's error for a failed run-time shape check (STATUS.shapeCheck) of `node`. */
function shapeCheckError(node: ManifestNode, ctx: FailureContext): OpError {
  const name = node.name;
  const loc = node.location;
  const ins = node.inputs.map((i) => ctx.shapeOf(i));
  switch (node.op) {
    case 'broadcast_like':
      return new InvalidArgumentError(`Unable to broadcast tensor of shape ${fmtShape(ins[0])} to tensor of shape ${fmtShape(ins[1])}`, name, loc);
    case 'sum_to_like':
      return new InvalidArgumentError(`Incompatible shapes: cannot sum ${fmtShape(ins[0])} down to ${fmtShape(ins[1])}`, name, loc);
    case 'concat_slice':
      return new InvalidArgumentError(`concat_slice: inputs do not fit in dy of shape ${fmtShape(ins[0])}`, name, loc);
    case 'scatter_add': {
      const axis = normAxis((node.attrs.axis as number) ?? 0, ins[0].length);
      const want = [...ins[0].slice(0, axis), ...ins[1], ...ins[0].slice(axis + 1)];
      return new InvalidArgumentError(`updates has shape ${fmtShape(ins[2])}, expected ${fmtShape(want)}`, name, loc);
    }
    case 'slice_grad': {
      // the reference's slice rules for dy at the run-time begin inside x (compiler/ops/layout.ts)
      const begin = ctx.valueOf(node.inputs[2]);
      const [dy, x] = ins;
      const b = begin ? Array.from(begin.data) : [];
      for (let i = 0; i < x.length; i++) {
        if (!(b[i] >= 0 && b[i] <= x[i])) return new InvalidArgumentError(`Expected begin[${i}] in [0, ${x[i]}], but got ${b[i]}`, name, loc);
        if (b[i] + dy[i] > x[i]) return new InvalidArgumentError(`Expected size[${i}] in [0, ${x[i] - b[i]}], but got ${dy[i]}`, name, loc);
      }
      return new InvalidArgumentError(`Pad: dy of shape ${fmtShape(dy)} does not fit in ${fmtShape(x)} at begin ${fmtShape(b)}`, name, loc);
    }
    case 'fill_dims': {
      const dims = ctx.valueOf(node.inputs[0]);
      const compiled = ctx.plannedShape(node.name) ?? [];
      return new UnimplementedError(
        `Fill: dims ${dims ? fmtShape(Array.from(dims.data)) : '?'} differ from the shape ${fmtShape(compiled)} this node was compiled for (every unknown dim is the batch size)`,
        name,
        loc,
      );
    }
  }
  return new InvalidArgumentError(`${node.op}: incompatible run-time shapes ${ins.map(fmtShape).join(', ')}`, name, loc);
}

/** The reshape rules' error at `node` (session/shapes.ts), for a target that may hold one -1. */
export function reshapeAt(x: readonly number[], target: readonly number[], node: ManifestNode): number[] {
  let unknown = -1;
  target.forEach((d, i) => {
    if (d === -1) {
      if (unknown >= 0) throw new InvalidArgumentError(`Only one input size may be -1, not both ${unknown} and ${i}`, node.name, node.location);
      unknown = i;
    } else if (!Number.isInteger(d) || d < 0) throw new InvalidArgumentError(`Size ${i} must be non-negative, not ${d}`, node.name, node.location);
  });
  try {
    return reshapeShape(
      x.reduce((a, d) => a * d, 1),
      target,
    );
  } catch (e) {
    throw located(e as OpError, node.name, node.location);
  }
}

/**
 * A shape fact of the plan (manifest ManifestCheck) for B: the reference's error when the
 * values break it, UnimplementedError when they are valid but not what the plan assumed.
 */
export function checkPlanFact(c: ManifestCheck, B: number, node: ManifestNode): void {
  const [a, b] = c.shapes.map((s) => s.map((p) => evalPoly(p, B)));
  const size = (s: number[]): number => s.reduce((x, y) => x * y, 1);
  const planned = (m: string): never => {
    throw new UnimplementedError(`${m}; the module was compiled with every unknown dimension equal to the batch size B = ${B}`, node.name, node.location);
  };
  if (c.kind === 'reshape') {
    // a shape input's value is checked by checkShapeInputs; an attr shape is the target
    const attr = node.attrs.shape;
    const target = Array.isArray(attr) && attr.every((d) => typeof d === 'number') ? (attr as number[]) : b;
    reshapeAt(a, target, node);
    if (size(a) !== size(b)) planned(`Reshape of ${formatShape(a)} to ${formatShape(target)} gives a shape other than the planned ${formatShape(b)}`);
  } else if (c.kind === 'matmul') {
    try {
      matmulShape(a, b, !!node.attrs.transpose_a, !!node.attrs.transpose_b);
    } catch (e) {
      throw located(e as OpError, node.name, node.location);
    }
  } else {
    const k = Math.min(a.length, b.length);
    const [pa, pb] = c.shapes;
    const isOne = (p: ManifestPoly): boolean => Object.keys(p).every((m) => m === '') && p[''] === 1;
    const same = (p: ManifestPoly, q: ManifestPoly): boolean => JSON.stringify(Object.entries(p).sort()) === JSON.stringify(Object.entries(q).sort());
    for (let d = 1; d <= k; d++) {
      const [x, y] = [a[a.length - d], b[b.length - d]];
      const [px, py] = [pa[pa.length - d], pb[pb.length - d]];
      if (x === y || isOne(px) || isOne(py) || same(px, py)) continue;
      if (x !== 1 && y !== 1) {
        try {
          broadcastShapes(a, b);
        } catch (e) {
          throw located(e as OpError, node.name, node.location);
        }
      }
      planned(`Broadcasting ${formatShape(a)} with ${formatShape(b)} was planned without a size-1 dimension`);
    }
  }
}

export function placeholderError(node: ManifestNode): InvalidArgumentError {
  const withShape = node.shape !== null && node.shape.length > 0 ? ` and shape ${formatShape(node.shape)}` : '';
  return new InvalidArgumentError(
    `You must feed a value for placeholder tensor '${node.name}' with dtype ${tfDTypeName(node.dtype!)}${withShape}`,
    node.name,
    node.location,
  );
}

/** Reading `variable` before it is initialized (raised at `at`, the variable itself by default). */
export function uninitializedError(variable: ManifestNode, at: ManifestNode = variable): FailedPreconditionError {
  return new FailedPreconditionError(`Attempting to use uninitialized value ${variable.name}`, at.name, at.location);
}
