/**
 * @fileoverview The generic path: a run no signature covers. The needed nodes run in the
 * reference Session's depth-first order (control inputs, then non-reference data inputs), each by
 * its exported per-node kernel `g_k<i>` of the unfused whole-graph plan. Fed values are written
 * into their node's buffer and replace its computation; a fed member of an alias group (or a fed
 * variable or constant) gets a buffer of its own above the plan's, and the aliases that follow a
 * fed node read the fed value. Before each node the loader checks what the plan could not prove
 * at compile time (errors.ts), so failures are the reference's, at the same node.
 */
import { FailedPreconditionError, InternalError, UnimplementedError } from '../errors.js';
import { formatShape } from '../run-common.js';
import type { Tensor } from '../tensor.js';
import { checkPlanFact, placeholderError, uninitializedError } from './errors.js';
import { checkShapeInputs, shapeWalk } from './shape-checks.js';
import { type ManifestCheck, type ManifestNode, type ManifestPlan, evalPoly } from './manifest.js';
import { type ModelMemory, align16 } from './memory.js';
import { nodeShape, solveB } from './plans.js';
import { type DynValue, type DynamicHost, DynamicRun } from './dynamic.js';

/** What the generic path needs of the session running it. */
export interface GenericRunner extends DynamicHost {
  readonly mem: ModelMemory;
  readonly initialized: Set<string>;
  node(name: string): ManifestNode;
  /** Call a kernel export for B with the plan's addresses; a failure raises its decoded error. */
  call(plan: ManifestPlan, B: number, exportName: string, addrOf: (name: string) => number | undefined): void;
}

/** The reference Session's evaluation order of what `targets` need: control inputs, then non-ref data inputs, depth first. */
export function evaluationOrder(
  targets: readonly ManifestNode[],
  fed: ReadonlyMap<ManifestNode, Tensor>,
  nodeOf: (name: string) => ManifestNode,
): ManifestNode[] {
  const out: ManifestNode[] = [];
  const done = new Set<ManifestNode>();
  const expanded = new Set<ManifestNode>();
  const inProgress = new Set<ManifestNode>();
  for (const t of targets) {
    if (fed.has(t) || done.has(t)) continue;
    const stack = [t];
    while (stack.length) {
      const n = stack[stack.length - 1];
      if (done.has(n) || fed.has(n)) {
        stack.pop();
        continue;
      }
      if (!expanded.has(n)) {
        expanded.add(n);
        inProgress.add(n);
        const refs = new Set(n.refInputs);
        const deps = [...n.controlInputs, ...n.inputs.filter((_, i) => !refs.has(i))].map(nodeOf);
        for (let i = deps.length - 1; i >= 0; i--) {
          const d = deps[i];
          if (done.has(d) || fed.has(d)) continue;
          if (inProgress.has(d)) throw new InternalError(`Graph has a cycle through ${d.name}`, n.name, n.location);
          stack.push(d);
        }
        continue;
      }
      stack.pop();
      inProgress.delete(n);
      done.add(n);
      out.push(n);
    }
  }
  return out;
}

const ASSIGN_OPS = new Set(['assign', 'assign_add', 'assign_sub']);

/** Run `targets` (the fetched nodes; `asOp` ones give null) on the generic plan. */
export function runGeneric(
  r: GenericRunner,
  plan: ManifestPlan,
  targets: readonly { node: ManifestNode; asOp: boolean }[],
  fed: ReadonlyMap<ManifestNode, Tensor>,
): (Tensor | null)[] {
  const nodeOf = (n: string): ManifestNode => r.node(n);
  const order = evaluationOrder(
    targets.map((e) => e.node),
    fed,
    nodeOf,
  );
  const slot = new Map(plan.slots.map((s, i) => [s.node, { buffer: s.buffer, index: i + 1 }]));
  const solved = solveB(plan, fed);
  const B = solved ?? 1;
  // No single B describes the fed unknown dims (`[None, None]` fed [2, 3]): the plan is laid out
  // for B = 1, fed values it cannot hold move to the run-time arena, and every node depending on
  // one runs with run-time shapes (dynamic.ts). When one of them cannot, the reference's error
  // (shapeWalk) or the disagreement.
  const moved = new Set<string>();
  if (solved === null) {
    for (const [n, t] of fed) {
      const shape = slot.has(n.name) ? nodeShape(plan, n.name).map((p) => evalPoly(p, 1)) : null;
      if (!shape || shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) moved.add(n.name);
    }
    let stuck: ManifestNode | null = null;
    for (const n of order) {
      if (!n.inputs.some((i) => moved.has(i))) continue;
      moved.add(n.name);
      if (!stuck && (!n.dynamic || n.dynamic.kind === 'none')) stuck = n;
    }
    if (stuck) {
      shapeWalk(order, fed, nodeOf);
      const feeds = [...fed].map(([n, t]) => `${n.name}: ${formatShape(t.shape)}`).join(', ');
      const why = stuck.dynamic?.reason ?? `op ${stuck.op} has no kernel for run-time shapes`;
      throw new UnimplementedError(
        `'${stuck.name}' (op ${stuck.op}) cannot run on the WebAssembly backend with these feeds: their unknown dimensions disagree (${feeds}), which no single batch size B describes, and ${why}`,
        stuck.name,
        stuck.location,
      );
    }
  }
  // Fed aliases, variables and constants get buffers of their own above the plan's; a node
  // sharing a buffer (an alias group) is read at the address of what it aliases *in this run*:
  // the fed value when its source is fed (the shared buffer holds nothing then).
  const owners = new Map<number, number>();
  for (const s of plan.slots) owners.set(s.buffer, (owners.get(s.buffer) ?? 0) + 1);
  let extra = 0;
  const own: [ManifestNode, Tensor][] = [];
  for (const [node, t] of fed) {
    const s = slot.get(node.name);
    if (!s || moved.has(node.name)) continue;
    if (node.op === 'variable' || plan.buffers[s.buffer].region !== 'arena' || (owners.get(s.buffer) ?? 0) > 1) {
      own.push([node, t]);
      extra += align16(t.data.byteLength);
    }
  }
  const { addr, free } = r.mem.layout(plan, B, extra);
  let at = free;
  const runAddr = new Map<string, number>();
  for (const [node, t] of own) {
    runAddr.set(node.name, at);
    r.mem.write(t, at);
    at += align16(t.data.byteLength);
  }
  for (const [node, t] of fed) {
    const s = slot.get(node.name);
    if (s && !runAddr.has(node.name) && !moved.has(node.name)) r.mem.write(t, addr[s.buffer]);
  }
  const addrOf = (name: string): number | undefined => {
    const s = slot.get(name);
    return runAddr.get(name) ?? (s ? addr[s.buffer] : undefined);
  };
  // Slots are in graph order, so an alias's source is resolved before the alias.
  for (const s of plan.slots) {
    const node = nodeOf(s.node);
    if (!node.alias || fed.has(node) || !slot.has(node.inputs[0])) continue;
    const a = addrOf(node.inputs[0])!;
    if (a !== addr[s.buffer]) runAddr.set(node.name, a);
  }
  const table = r.mem.i32();
  for (const [name, a] of runAddr) table[(plan.slotTable >> 2) + slot.get(name)!.index] = a;

  const checks = new Map<string, ManifestCheck[]>();
  for (const c of plan.checks ?? []) checks.set(c.node, [...(checks.get(c.node) ?? []), c]);
  const shapeOf = (name: string): number[] => {
    const f = fed.get(nodeOf(name));
    return f ? [...f.shape] : nodeShape(plan, name).map((p) => evalPoly(p, B));
  };
  const valueOf = (name: string): Tensor => {
    const n = nodeOf(name);
    const f = fed.get(n);
    if (f) return f;
    const s = slot.get(name);
    if (!s) throw new InternalError(`no buffer for '${name}'`, n.name, n.location);
    return r.mem.read(plan.buffers[s.buffer].dtype, shapeOf(name), addrOf(name)!);
  };
  // Nodes whose shapes are known only at run time (dynamic.ts) read planned values at their
  // buffers and fed ones copied into the run-time arena, above everything of the plan.
  const placed = new Map<string, DynValue>();
  const dyn: DynamicRun = new DynamicRun(
    r,
    at,
    (name): DynValue | undefined => {
      const n = nodeOf(name);
      const f = fed.get(n);
      const s = slot.get(name);
      if (f && (!s || moved.has(name))) {
        let v = placed.get(name);
        if (!v) placed.set(name, (v = dyn.place(f)));
        return v;
      }
      if (!s || moved.has(name)) return undefined;
      return { dtype: plan.buffers[s.buffer].dtype, shape: f ? [...f.shape] : shapeOf(name), addr: addrOf(name)! };
    },
    nodeOf,
  );
  for (const node of order) {
    if (node.op === 'placeholder') throw placeholderError(node);
    if (moved.has(node.name)) {
      dyn.run(node);
      continue;
    }
    if ((node.op === 'reshape' || node.op === 'slice') && slot.has(node.name)) checkShapeInputs(node, B, shapeOf(node.name), valueOf, shapeOf);
    for (const c of checks.get(node.name) ?? []) checkPlanFact(c, B, node);
    if (node.op === 'variable') {
      if (!r.initialized.has(node.name)) throw uninitializedError(node);
      continue;
    }
    // assign_add/assign_sub read the variable they update.
    if ((node.op === 'assign_add' || node.op === 'assign_sub') && !r.initialized.has(node.inputs[0])) {
      throw new FailedPreconditionError(`Attempting to use uninitialized value ${node.inputs[0]}`, node.name, node.location);
    }
    if (node.op === 'const' || node.dtype === null) continue;
    if (node.dynamic && !slot.has(node.name)) {
      dyn.run(node);
      continue;
    }
    if (node.kernel === null) {
      if (node.unsupported)
        throw new UnimplementedError(`'${node.name}' (op ${node.op}) cannot run on the WebAssembly backend: ${node.unsupported}`, node.name, node.location);
      continue; // an alias: shares its input's buffer
    }
    try {
      r.call(plan, B, plan.kernels[node.kernel].export, addrOf);
    } finally {
      if (ASSIGN_OPS.has(node.op)) r.initialized.add(node.inputs[0]);
    }
  }
  return targets.map((e) => {
    if (e.asOp) return null;
    const f = fed.get(e.node);
    if (f) return f;
    const d = dyn.values.get(e.node.name);
    if (d) return dyn.read(d);
    if (!slot.has(e.node.name)) throw new InternalError(`no buffer for '${e.node.name}'`, e.node.name, e.node.location);
    return valueOf(e.node.name);
  });
}
