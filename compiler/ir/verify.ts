/**
 * @fileoverview The IR verifier (JAX's check_jaxpr, Binaryen's validate): a graph is well
 * formed when
 * - every node is listed once, and its name is unique and found by `graph.get(name)`;
 * - every input and control input is a node of the same graph listed before its user (so there
 *   are no cycles; a cycle is reported as such when an edge points forward);
 * - data inputs have an output; a node is not its own control input;
 * - every op is registered, and re-running its `infer` on the inputs' types gives the node's
 *   dtype and a shape compatible with the node's;
 * - the reference inputs of an op (the variable of `assign`) are variable nodes.
 * Returns the problems as lines (empty when valid); `assertValidGraph` throws them.
 * Its signature matches compiler/passes/pipeline.ts's `Verifier`.
 */
import { type OpDef } from '../ops/def.js';
import { getOp, hasOp } from '../ops/registry.js';
import { formatType } from './printer.js';
import type { Graph, Node } from './graph.js';
import { shapesCompatible } from './shape.js';

export interface VerifyOptions {
  /** Op lookup (default: the registry); null when the op is unknown. */
  ops?: (name: string) => OpDef | null;
  /** Re-run `infer` (default true). */
  checkTypes?: boolean;
}

export class InvalidGraphError extends Error {
  override name = 'InvalidGraphError';
  constructor(readonly problems: string[]) {
    super(`invalid graph:\n  ${problems.join('\n  ')}`);
  }
}

export function verifyGraph(g: Graph, opts: VerifyOptions = {}): string[] {
  const lookup = opts.ops ?? ((n: string) => (hasOp(n) ? getOp(n) : null));
  const problems: string[] = [];
  const index = new Map<Node, number>();
  const names = new Map<string, Node>();
  g.nodes.forEach((n, i) => {
    if (index.has(n)) problems.push(`%${n.name}: listed twice in the graph`);
    index.set(n, i);
    if (n.graph !== g) problems.push(`%${n.name}: belongs to another graph`);
    const prev = names.get(n.name);
    if (prev && prev !== n) problems.push(`%${n.name}: name is not unique`);
    names.set(n.name, n);
    if (g.get(n.name) !== n) problems.push(`%${n.name}: graph.get('${n.name}') does not return this node`);
  });
  let forward = false;
  for (const n of g.nodes) {
    const at = index.get(n)!;
    const checkEdge = (i: Node, what: string): void => {
      const j = index.get(i);
      if (j === undefined) problems.push(`%${n.name}: ${what} %${i.name} is not in the graph`);
      else if (j >= at) {
        if (i === n) problems.push(`%${n.name}: is its own ${what}`);
        else problems.push(`%${n.name}: ${what} %${i.name} does not precede its user`);
        forward = true;
      }
    };
    n.inputs.forEach((i, k) => {
      checkEdge(i, `input ${k}`);
      if (i.dtype === null) problems.push(`%${n.name}: input ${k} %${i.name} has no output`);
    });
    for (const c of n.controlInputs) checkEdge(c, 'control input');
    if (opts.checkTypes === false) continue;
    const def = lookup(n.op);
    if (!def) {
      problems.push(`%${n.name}: unknown op '${n.op}'`);
      continue;
    }
    for (const r of def.refInputs ?? []) {
      const ref = n.inputs[r];
      if (ref && ref.op !== 'variable') problems.push(`%${n.name}: reference input ${r} must be a variable, got %${ref.name} (${ref.op})`);
    }
    if (n.inputs.some((i) => i.dtype === null)) continue;
    try {
      const sig = def.infer(
        n.inputs.map((i) => ({ dtype: i.dtype!, shape: i.shape })),
        n.attrs,
      );
      const dtype = sig ? sig.dtype : null;
      if (dtype !== n.dtype) problems.push(`%${n.name}: dtype is ${n.dtype ?? 'none'} but ${n.op} infers ${dtype ?? 'none'}`);
      else if (sig && !shapesCompatible(sig.shape, n.shape)) {
        problems.push(`%${n.name}: shape is ${formatType(n.dtype, n.shape)} but ${n.op} infers ${formatType(sig.dtype, sig.shape)}`);
      }
    } catch (e) {
      problems.push(`%${n.name}: ${n.op} rejects its inputs: ${(e as Error).message}`);
    }
  }
  if (forward) {
    const cycle = findCycle(g);
    if (cycle) problems.push(`cycle: ${cycle.map((n) => `%${n.name}`).join(' -> ')}`);
  }
  return problems;
}

export function assertValidGraph(g: Graph, opts: VerifyOptions = {}): void {
  const p = verifyGraph(g, opts);
  if (p.length) throw new InvalidGraphError(p);
}

/** A cycle through data or control edges (listed from user to input), or null. Iterative. */
export function findCycle(g: Graph): Node[] | null {
  const state = new Map<Node, 1 | 2>();
  for (const start of g.nodes) {
    if (state.has(start)) continue;
    const stack: { n: Node; deps: Node[]; k: number }[] = [{ n: start, deps: [...start.inputs, ...start.controlInputs], k: 0 }];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.k >= top.deps.length) {
        state.set(top.n, 2);
        stack.pop();
        continue;
      }
      const d = top.deps[top.k++];
      const s = state.get(d);
      if (s === 1) {
        const from = stack.findIndex((f) => f.n === d);
        return [...stack.slice(from).map((f) => f.n), d];
      }
      if (s === undefined) {
        state.set(d, 1);
        stack.push({ n: d, deps: [...d.inputs, ...d.controlInputs], k: 0 });
      }
    }
  }
  return null;
}
