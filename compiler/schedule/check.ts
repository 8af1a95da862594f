/**
 * @fileoverview Plan checkers: the invariants of the `fuse`, `schedule` and `memory` stages,
 * run after each by the driver in verify mode (`tfg compile --verify`, every test compile).
 * Each returns the problems as lines (empty when the plan holds).
 *
 * - fusion: every needed value has a decision; every root is a member of exactly one kernel;
 *   a kernel reads only values that are materialised (leaves, roots, aliases of them) and
 *   lists each member once; no node is computed by two kernels unless it is cheap and inlined.
 * - order: a kernel runs after the kernels that write what it reads (through aliases), and
 *   after those its members' control inputs need.
 * - memory: every value a kernel reads or writes, and every fetch, has a buffer; offsets and
 *   sizes are 16-byte aligned; arena buffers whose live ranges overlap do not overlap in memory
 *   (checked at several batch sizes); static buffers lie below the arena, variables where the
 *   layout put them, slot tables below the constants.
 */
import type { Node } from '../ir/graph.js';
import type { FusionResult } from './fuse.js';
import type { Kernel } from './kernel.js';
import type { ModuleLayout } from './layout.js';
import type { SchedulePlan } from './schedule.js';
import { ALIGN } from './memory.js';
import type { Poly } from './sym.js';

const materialised = (f: FusionResult, n: Node): boolean => {
  const d = f.decisions.get(n);
  return d === 'leaf' || d === 'root' || d === 'alias';
};

export function checkFusion(f: FusionResult): string[] {
  const out: string[] = [];
  const writers = new Map<Node, Kernel[]>();
  for (const k of f.kernels) {
    const seen = new Set<Node>();
    for (const n of k.nodes) {
      if (seen.has(n)) out.push(`k${k.id}: member '${n.name}' listed twice`);
      seen.add(n);
    }
    for (const n of k.outputs) writers.set(n, [...(writers.get(n) ?? []), k]);
    for (const n of k.inputs) {
      if (!materialised(f, n) && !writers.has(n) && !f.kernels.some((o) => o.outputs.includes(n)))
        out.push(`k${k.id} reads '${n.name}', which is not materialised (decision ${f.decisions.get(n) ?? 'none'})`);
    }
  }
  for (const n of f.nodes) {
    if (n.dtype !== null && !f.decisions.has(n)) out.push(`'${n.name}' has no fusion decision`);
    if (f.decisions.get(n) === 'root') {
      // Computed by exactly one kernel (a matmul under an epilogue is a member, not an output).
      const w = f.kernels.filter((k) => k.nodes.includes(n));
      if (w.length !== 1) out.push(`root '${n.name}' is computed by ${w.length} kernels`);
    }
    if (f.decisions.get(n) === 'alias' && !f.aliases.has(n)) out.push(`alias '${n.name}' has no base buffer`);
    if (n.dtype !== null && !f.shapes.has(n)) out.push(`'${n.name}' has no symbolic shape`);
  }
  return out;
}

export function checkOrder(f: FusionResult, kernels: readonly Kernel[]): string[] {
  const out: string[] = [];
  const pos = new Map<Kernel, number>(kernels.map((k, i) => [k, i]));
  if (pos.size !== f.kernels.length) out.push(`the order has ${pos.size} kernels, fusion made ${f.kernels.length}`);
  const base = (n: Node): Node => f.aliases.get(n) ?? n;
  const writer = new Map<Node, Kernel>();
  for (const k of kernels) for (const n of k.outputs) if (!['assign', 'assign_add', 'assign_sub'].includes(n.op)) writer.set(base(n), k);
  kernels.forEach((k, i) => {
    if (k.id !== i) out.push(`kernel at position ${i} has id ${k.id}`);
    for (const n of k.inputs) {
      const w = writer.get(base(n));
      if (w && w !== k && pos.get(w)! > i) out.push(`k${i} (${k.name}) reads '${n.name}' before k${pos.get(w)} (${w.name}) writes it`);
    }
  });
  return out;
}

export function checkMemory(plan: SchedulePlan, layout: ModuleLayout, entry: number): string[] {
  const out: string[] = [];
  const m = plan.memory;
  const needs = new Set<Node>();
  for (const k of plan.kernels) for (const n of [...k.inputs, ...k.outputs]) needs.add(n);
  for (const n of plan.unit.fetches) if (n.dtype !== null) needs.add(n);
  for (const n of needs) if (!m.bufferOf(n)) out.push(`'${n.name}' has no buffer`);
  const aligned = (p: Poly): boolean => [...p.terms.values()].every((c) => c % ALIGN === 0);
  for (const b of m.buffers) {
    if (!aligned(b.offset) || !aligned(b.size)) out.push(`buf${b.id} (${b.node.name}) is not ${ALIGN}-byte aligned: offset ${b.offset}, size ${b.size}`);
  }
  const arena = m.buffers.filter((b) => b.region === 'arena');
  for (const B of [1, 3, 64]) {
    const env = { B };
    // evaluated once per buffer: the pairs below are quadratic in the buffers
    const start = arena.map((b) => b.offset.eval(env));
    const end = arena.map((b, i) => start[i] + b.size.eval(env));
    for (let i = 0; i < arena.length; i++) {
      for (let j = i + 1; j < arena.length; j++) {
        const [p, q] = [arena[i], arena[j]];
        const liveOverlap = p.live[0] <= q.live[1] && q.live[0] <= p.live[1];
        if (!liveOverlap) continue;
        const [ps, pe] = [start[i], end[i]];
        const [qs, qe] = [start[j], end[j]];
        if (ps < qe && qs < pe && pe > ps && qe > qs)
          out.push(`buf${p.id} (${p.node.name}) and buf${q.id} (${q.node.name}) are live together and overlap at B=${B}: [${ps},${pe}) and [${qs},${qe})`);
      }
    }
  }
  const staticAddr = layout.staticAddr[entry];
  for (const b of m.buffers) {
    if (b.region === 'arena') continue;
    const a = staticAddr.get(b);
    if (a === undefined) out.push(`static buf${b.id} (${b.node.name}) has no address`);
    else if (a + b.size.eval({ B: 1 }) > layout.consts.end)
      out.push(`static buf${b.id} (${b.node.name}) at ${a} reaches past the arena base ${layout.consts.end}`);
    if (b.region === 'variable' && a !== layout.varAddr.get(b.node.name))
      out.push(`variable buffer '${b.node.name}' at ${a}, the layout says ${layout.varAddr.get(b.node.name)}`);
  }
  const table = layout.slotTables[entry];
  if (table + 4 * (layout.slots[entry].length + 1) > layout.consts.base) out.push(`slot table at ${table} runs into the constants at ${layout.consts.base}`);
  return out;
}
