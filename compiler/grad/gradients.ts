/**
 * @fileoverview Symbolic reverse-mode gradients, graph → graph: TF1's `gradients_impl`.
 *
 * Input: a graph, ys, xs (nodes of that graph) and options. Output: one node per x holding
 * sum over ys of dy/dx (null when no y depends on x), built as new nodes of the same graph, so
 * they can be fetched, printed, compiled and differentiated again.
 *
 * How (one backward sweep whatever the number of xs):
 * 1. `between` = the float nodes reachable forward from some x and backward from some y
 *    (integer and bool tensors carry no gradient: they are constants);
 * 2. inside `name_scope("gradients")` (unique: `gradients`, `gradients_1`, ...) the ys are
 *    seeded with grad_ys (default ones: `gradients/Shape`, `gradients/grad_ys_0`,
 *    `gradients/Fill`, TF1's names);
 * 3. nodes of `between` are visited in reverse topological order (node ids are creation
 *    order): the gradients a node received are summed with `add_n` (`gradients/AddN`), then
 *    its op's rule (`OpDef.grad`) runs inside `name_scope(<node name> + "_grad")` and sends one
 *    gradient to each input in `between`.
 * `stopGradients` nodes still receive their gradient but send none to their inputs; the
 * `stop_gradient` op is NOT_DIFFERENTIABLE, which blocks flow the same way. An op on the path
 * with no rule is TF1's LookupError, reported as diagnostic 3001 at the forward node's span.
 */
import { isFloat } from '../../session/dtype.js';
import { pyDTypeName } from '../../session/dtype.js';
import { CompileError, error } from '../diagnostics/diagnostic.js';
import type { Span } from '../diagnostics/span.js';
import type { Graph, Node } from '../ir/graph.js';
import { formatShapePy, shapesCompatible } from '../ir/shape.js';
import { NOT_DIFFERENTIABLE, type OpDef } from '../ops/def.js';
import { getOp } from '../ops/registry.js';
import { GRAD, GradBuilder } from './builder.js';

export interface GradientsOptions {
  /** Seeds of the sweep, one per y (null entries: ones). TF1's grad_ys. */
  gradYs?: readonly (Node | null)[] | null;
  /** Nodes treated as constants: they get their gradient but pass none on. */
  stopGradients?: readonly Node[] | null;
  /** Name scope of the gradient nodes (default `gradients`, made unique). */
  name?: string | null;
  /** Span of the gradients() call, for errors about its arguments. */
  span?: Span | null;
  /** Op lookup (defaults to the registry); lets tests differentiate ops of their own. */
  ops?: (name: string) => OpDef;
}

function fail(code: number, message: string, span: Span | null): never {
  throw new CompileError(error(code, message, span));
}

function describe(n: Node): string {
  return `Tensor("${n.tensorName}", shape=${formatShapePy(n.shape)}, dtype=${n.dtype ? pyDTypeName(n.dtype) : 'None'})`;
}

/** Does the node carry gradients (a float tensor)? */
function carries(n: Node): boolean {
  return n.dtype !== null && isFloat(n.dtype);
}

/**
 * The float nodes on some path from an x to a y (xs and ys included when they are on one).
 * Paths follow data inputs only (control inputs carry no values).
 */
export function nodesBetween(graph: Graph, ys: readonly Node[], xs: readonly Node[]): Set<Node> {
  const consumers = new Map<Node, Node[]>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) {
      const list = consumers.get(i);
      if (list) list.push(n);
      else consumers.set(i, [n]);
    }
  }
  const reached = new Set<Node>();
  const stack = xs.filter(carries);
  for (const x of stack) reached.add(x);
  while (stack.length) {
    const n = stack.pop()!;
    for (const c of consumers.get(n) ?? []) {
      if (!reached.has(c) && carries(c)) {
        reached.add(c);
        stack.push(c);
      }
    }
  }
  const between = new Set<Node>();
  const back = ys.filter((y) => reached.has(y));
  for (const y of back) between.add(y);
  while (back.length) {
    const n = back.pop()!;
    for (const i of n.inputs) {
      if (reached.has(i) && !between.has(i)) {
        between.add(i);
        back.push(i);
      }
    }
  }
  return between;
}

/**
 * TF1's `tf.gradients(ys, xs, grad_ys, name, stop_gradients)`: for each x, the sum over ys
 * of the gradient of y with respect to x, or null when no y depends on x.
 */
export function gradients(graph: Graph, ys: readonly Node[], xs: readonly Node[], opts: GradientsOptions = {}): (Node | null)[] {
  const span = opts.span ?? null;
  const lookup = opts.ops ?? getOp;
  for (const n of [...ys, ...xs]) {
    if (n.graph !== graph) fail(GRAD.BAD_ARGUMENT, `ValueError: ${describe(n)} must be from the same graph as the gradients`, span);
    if (n.dtype === null) fail(GRAD.BAD_ARGUMENT, `TypeError: operation '${n.name}' has no output and cannot be differentiated`, span);
  }
  xs.forEach((x, i) => {
    if (!isFloat(x.dtype!)) {
      fail(
        GRAD.NOT_FLOAT,
        `TypeError: gradients(): xs[${i}] ${describe(x)} has dtype ${pyDTypeName(x.dtype!)}; gradients are defined only with respect to float tensors (float32, float64)`,
        span ?? x.span,
      );
    }
  });
  const gradYs = opts.gradYs ?? [];
  if (gradYs.length > 0 && gradYs.length !== ys.length) {
    fail(GRAD.BAD_ARGUMENT, `ValueError: Passed ${gradYs.length} grad_ys for ${ys.length} ys`, span);
  }
  const stops = new Set(opts.stopGradients ?? []);
  const between = nodesBetween(graph, ys, xs);
  const grads = new Map<Node, Node[]>();
  const done = new Map<Node, Node>();
  const push = (n: Node, g: Node): void => {
    const l = grads.get(n);
    if (l) l.push(g);
    else grads.set(n, [g]);
  };

  graph.withNameScope(opts.name ?? 'gradients', () => {
    // ---- seeds (TF1's _DefaultGradYs) ----
    ys.forEach((y, i) => {
      const given = gradYs[i] ?? null;
      let g: Node;
      if (given) {
        if (given.graph !== graph) fail(GRAD.BAD_ARGUMENT, `ValueError: grad_ys[${i}] must be from the same graph as ys`, span);
        if (given.dtype !== y.dtype) {
          fail(
            GRAD.BAD_ARGUMENT,
            `TypeError: Gradient type ${given.dtype ? pyDTypeName(given.dtype) : 'None'} generated for grad_ys[${i}] does not match the type ${pyDTypeName(y.dtype!)} of ys[${i}] ${describe(y)}`,
            span,
          );
        }
        if (!shapesCompatible(given.shape, y.shape)) {
          fail(
            GRAD.BAD_ARGUMENT,
            `ValueError: grad_ys[${i}] has shape ${formatShapePy(given.shape)}, incompatible with the shape ${formatShapePy(y.shape)} of ys[${i}] ('${y.name}')`,
            span,
          );
        }
        g = given;
      } else {
        if (!between.has(y)) return; // nothing to seed: no x below this y
        const b = new GradBuilder(graph, y);
        const shape = b.op('shape', [y]);
        const one = b.scalar(1, y.dtype!, `grad_ys_${i}`);
        g = b.op('fill_dims', [shape, one], { shape: y.shape }, 'Fill');
      }
      if (between.has(y)) push(y, g);
    });

    // ---- one sweep in reverse topological order ----
    const order = [...between].sort((a, b) => b.id - a.id);
    for (const n of order) {
      const received = grads.get(n);
      if (!received || received.length === 0) continue;
      let g = received[0];
      if (received.length > 1) {
        const b = new GradBuilder(graph, n);
        g = b.op('add_n', received, {}, 'AddN');
      }
      done.set(n, g);
      if (stops.has(n)) continue;
      const targets = n.inputs.map((i) => between.has(i));
      if (!targets.some(Boolean)) continue;
      const def = lookup(n.op);
      if (def.grad === NOT_DIFFERENTIABLE) continue;
      const rule = def.grad;
      if (!rule) {
        fail(GRAD.NO_GRADIENT, `LookupError: No gradient defined for operation '${n.name}' (op type: ${def.tfType})`, n.span ?? span);
      }
      const ins = graph.withNameScope(`${n.name}_grad`, () => rule(new GradBuilder(graph, n), n, g));
      if (ins.length !== n.inputs.length) {
        fail(
          GRAD.NO_GRADIENT,
          `InternalError: the gradient rule of ${def.name} returned ${ins.length} gradients for ${n.inputs.length} inputs of '${n.name}'`,
          n.span ?? span,
        );
      }
      ins.forEach((gi, k) => {
        if (!gi || !targets[k]) return;
        const inp = n.inputs[k];
        if (gi.dtype !== inp.dtype) {
          fail(
            GRAD.NO_GRADIENT,
            `InternalError: the gradient rule of ${def.name} made a ${gi.dtype} gradient for the ${inp.dtype} input ${k} of '${n.name}'`,
            n.span ?? span,
          );
        }
        push(inp, gi);
      });
    }
  });

  return xs.map((x) => done.get(x) ?? null);
}
