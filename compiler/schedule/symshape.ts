/**
 * @fileoverview Symbolic shapes: the static shape of every node with its unknown dims
 * written in terms of the run-time batch symbol `B`.
 *
 * Convention (documented in docs/fusion.md): every unknown dim of a placeholder is the batch
 * size `B`. Unknown dims of other nodes follow from their inputs by the op's symbolic shape
 * rule (`OpDef.symShape` in compiler/ops/: broadcasting, reductions, matmul, transpose, reshape
 * with -1, concat, slices, ...); a dim the static shape knows is always taken from it. A dim no
 * rule explains also becomes `B`. An unknown rank cannot be compiled and is reported with the
 * node's name.
 */
import type { Node } from '../ir/graph.js';
import { Poly, ScheduleError } from '../ir/sym.js';
import { opDef } from '../passes/opinfo.js';

export { ScheduleError };

export const BATCH = 'B';

/**
 * Nodes a whole-graph plan must leave out: those whose rank is unknown even to the symbolic
 * rules (a placeholder of unknown rank no consumer fixes, and what it reaches through data or
 * control inputs), with the reason. The loader raises UnimplementedError when a run needs one.
 */
export function uncompilableNodes(nodes: readonly Node[]): Map<Node, string> {
  const bad = new Map<Node, string>();
  inferSymShapes(nodes, bad);
  return bad;
}

/**
 * Planned nodes that also get a run-time-shape kernel: when the graph's placeholders have two or
 * more unknown dims between them, fed values may disagree on them (`[None, None]` fed `[2, 3]`,
 * or `x: [None, 3]` and `y: [None]` fed 5 and 7 rows), which no single batch size B describes;
 * such a run runs every node that depends on them with run-time shapes, as the nodes of
 * `skipped` always do. Empty when at most one dim is unknown.
 */
export function runtimeShapedNodes(nodes: readonly Node[], skipped: ReadonlyMap<Node, string>): Set<Node> {
  const out = new Set<Node>();
  const sources = nodes.filter((n) => n.op === 'placeholder' && n.shape !== null && n.shape.some((d) => d === null) && !skipped.has(n));
  if (sources.reduce((k, n) => k + n.shape!.filter((d) => d === null).length, 0) < 2) return out;
  const reached = new Set<Node>(sources);
  for (const n of nodes) {
    if (skipped.has(n) || reached.has(n) || !n.inputs.some((x) => reached.has(x))) continue;
    reached.add(n);
    if (n.dtype !== null) out.add(n);
  }
  return out;
}

/**
 * The symbolic shape of every value node. With `skipped`, a node whose rank cannot be known
 * (or that depends on such a node) is recorded there with the reason instead of throwing.
 */
export function inferSymShapes(nodes: readonly Node[], skipped?: Map<Node, string>): Map<Node, Poly[]> {
  const out = new Map<Node, Poly[]>();
  const get = (n: Node): Poly[] => {
    const s = out.get(n);
    if (!s) throw new ScheduleError(`internal: no symbolic shape for '${n.name}'`);
    return s;
  };
  const refined = refineUnknownRanks(nodes);
  for (const n of nodes) {
    if (skipped) {
      const dep = [...n.inputs, ...n.controlInputs].find((x) => skipped.has(x));
      if (dep) {
        skipped.set(n, `it depends on '${dep.name}', whose shape is known only at run time`);
        continue;
      }
      const why = unknownStaticOperand(n);
      if (why) {
        skipped.set(n, why);
        continue;
      }
    }
    if (n.dtype === null) continue;
    const known = refined.get(n);
    if (known) {
      out.set(n, known);
      continue;
    }
    if (n.shape === null) {
      // Unknown static rank downstream of a refined placeholder: the op's rule over its inputs.
      let r: (Poly | null)[] | null = null;
      if (n.op !== 'placeholder' && n.inputs.every((i) => i.dtype === null || out.has(i))) {
        try {
          r = symRule(
            n,
            n.inputs.map((i) => (i.dtype === null ? [] : get(i))),
            get,
          );
        } catch {
          r = null;
        }
      }
      if (!r || r.some((d) => d === null)) {
        const msg = `Cannot compile '${n.name}' (op ${n.op}): its rank is unknown; give the placeholder a shape`;
        if (!skipped) throw new ScheduleError(msg);
        skipped.set(n, msg);
        continue;
      }
      out.set(n, r as Poly[]);
      continue;
    }
    let rule: (Poly | null)[] | null = null;
    if (n.shape.some((d) => d === null) && n.op !== 'placeholder') {
      try {
        rule = symRule(
          n,
          n.inputs.map((i) => (i.dtype === null ? [] : get(i))),
          get,
        );
      } catch (e) {
        if (e instanceof ScheduleError) throw e;
        rule = null;
      }
    }
    out.set(
      n,
      n.shape.map((d, i) => (d !== null ? Poly.const(d) : rule && rule.length === n.shape!.length && rule[i] ? rule[i]! : Poly.sym(BATCH))),
    );
  }
  return out;
}

/**
 * A node whose kernel needs a shape-like input's value when it is compiled but whose value was
 * not known when the graph was built (the op's `compileCheck`: a slice with begin and size
 * inputs lowers to a view at a fixed offset, so its begin must be known).
 */
export function unknownStaticOperand(n: Node): string | null {
  return opDef(n.op)?.compileCheck?.(n) ?? null;
}

/**
 * Placeholders of unknown rank (TF1's `shape=(None)`) whose rank a consumer fixes (its op's
 * `refinesInputs`: the labels of sparse_softmax_cross_entropy_with_logits are logits' shape
 * without the last dim, in_top_k's targets are [batch]). Their dims follow the batch
 * convention; the loader checks fed values against them like any placeholder's.
 */
function refineUnknownRanks(nodes: readonly Node[]): Map<Node, Poly[]> {
  const out = new Map<Node, Poly[]>();
  const sym = (s: readonly (number | null)[]): Poly[] => s.map((d) => (d === null ? Poly.sym(BATCH) : Poly.const(d)));
  for (const n of nodes) {
    for (const { index, shape } of opDef(n.op)?.refinesInputs?.(n) ?? []) {
      const x = n.inputs[index];
      if (!x || x.op !== 'placeholder' || x.shape !== null || shape === null || out.has(x)) continue;
      out.set(x, sym(shape));
    }
  }
  return out;
}

/** The op's symbolic shape rule; null entries (or a null result) mean "unknown". */
function symRule(n: Node, ins: Poly[][], symShapeOf: (n: Node) => Poly[]): (Poly | null)[] | null {
  const rule = opDef(n.op)?.symShape;
  return rule ? rule(n, ins, symShapeOf) : null;
}
