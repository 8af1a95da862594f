/**
 * @fileoverview schedule: the kernel order and the printable plan (`tfg --dump=fused`).
 *
 * Kernels run in a deterministic topological order (Kahn's algorithm, ties broken by the
 * graph position of each kernel's root) over three kinds of edges:
 * - data: a kernel runs after the kernels that write what it reads (through aliases);
 * - control: after the kernels computing its members' control inputs (no_op/group pass
 *   their own control inputs on);
 * - state: an assign to a variable runs after every kernel that reads the variable's old
 *   value and does not depend on the assign (writes are in place, so readers go first),
 *   and readers that depend on it (data or control) see the new value, as with TF1's
 *   reference variables.
 *
 * `formatPlan` prints one block per kernel: its kind, iteration space, member nodes, loads
 * and stores with buffer offsets and access patterns, the expression DAG, and bytes moved
 * (input buffers read once + outputs written), which `tfg bench` sums for fused vs unfused.
 */
import type { Node } from '../ir/graph.js';
import { byteSize } from '../../session/dtype.js';
import type { GraphUnit } from '../passes/rewrite.js';
import { type FuseOptions, type FusionResult, fuse } from './fuse.js';
import type { Access, Body, Kernel } from './kernel.js';
import { type MemoryPlan, planMemory } from './memory.js';
import { type Env, Poly, formatSymShape, numel } from './sym.js';
import { ScheduleError } from './symshape.js';

export interface SchedulePlan {
  unit: GraphUnit;
  fusion: FusionResult;
  /** Kernels in execution order (ids renumbered 0..n-1 in that order). */
  kernels: Kernel[];
  memory: MemoryPlan;
}

export function schedule(unit: GraphUnit, opts: FuseOptions = {}): SchedulePlan {
  const fusion = fuse(unit, opts);
  const kernels = orderKernels(fusion);
  const memory = planMemory({ kernels, shapes: fusion.shapes, aliases: fusion.aliases, fetches: unit.fetches, feeds: unit.feeds });
  return { unit, fusion, kernels, memory };
}

/** Deterministic topological order of the fused kernels. */
export function orderKernels(f: FusionResult): Kernel[] {
  const ks = f.kernels;
  const writer = new Map<Node, Kernel>();
  for (const k of ks) for (const n of k.outputs) writer.set(n, k);
  const members = new Map<Node, Kernel[]>();
  for (const k of ks) for (const n of k.nodes) members.set(n, [...(members.get(n) ?? []), k]);

  /** Kernels that must have run for `n`'s value or effect to exist. */
  const memo = new Map<Node, Set<Kernel>>();
  const doneBy = (n: Node): Set<Kernel> => {
    let r = memo.get(n);
    if (r) return r;
    r = new Set();
    memo.set(n, r);
    const w = writer.get(n);
    if (w) r.add(w);
    else if (members.has(n)) for (const k of members.get(n)!) r.add(k);
    else if (f.decisions.get(n) === 'alias') for (const k of doneBy(n.inputs[0])) r.add(k);
    else if (f.decisions.get(n) === 'none') for (const x of [...n.inputs, ...n.controlInputs]) for (const k of doneBy(x)) r.add(k);
    return r;
  };

  const preds = new Map<Kernel, Set<Kernel>>(ks.map((k) => [k, new Set()]));
  const edge = (from: Kernel, to: Kernel): void => {
    if (from !== to) preds.get(to)!.add(from);
  };
  for (const k of ks) {
    for (const n of k.inputs) for (const p of doneBy(n)) edge(p, k);
    for (const n of k.nodes) for (const c of n.controlInputs) for (const p of doneBy(c)) edge(p, k);
    if (k.kind === 'matmul' || k.kind === 'opaque') for (const n of k.node.inputs) for (const p of doneBy(n)) edge(p, k);
  }

  // State: readers of a variable's old value go before the assigns that do not feed them.
  const reaches = (from: Kernel, to: Kernel): boolean => {
    const seen = new Set<Kernel>();
    const stack = [to];
    while (stack.length) {
      const k = stack.pop()!;
      if (k === from) return true;
      if (seen.has(k)) continue;
      seen.add(k);
      for (const p of preds.get(k)!) stack.push(p);
    }
    return false;
  };
  const variableRead = (n: Node): Node | null => {
    let x = n;
    while (f.decisions.get(x) === 'alias') x = x.inputs[0];
    return x.op === 'variable' ? x : null;
  };
  for (const a of ks) {
    for (const s of a.outputs) {
      if (s.op !== 'assign' && s.op !== 'assign_add' && s.op !== 'assign_sub') continue;
      const v = variableRead(s.inputs[0]);
      if (!v) continue;
      for (const k of ks) {
        if (k === a || !k.inputs.some((n) => variableRead(n) === v)) continue;
        if (!reaches(a, k)) edge(k, a);
      }
    }
  }

  // Kahn, smallest kernel id first (kernel ids follow the graph order of their roots).
  const order: Kernel[] = [];
  const left = new Map<Kernel, number>(ks.map((k) => [k, preds.get(k)!.size]));
  const succ = new Map<Kernel, Kernel[]>(ks.map((k) => [k, []]));
  for (const k of ks) for (const p of preds.get(k)!) succ.get(p)!.push(k);
  const ready = ks.filter((k) => left.get(k) === 0);
  while (ready.length) {
    ready.sort((p, q) => p.id - q.id);
    const k = ready.shift()!;
    order.push(k);
    for (const s of succ.get(k)!) {
      const c = left.get(s)! - 1;
      left.set(s, c);
      if (c === 0) ready.push(s);
    }
  }
  if (order.length !== ks.length) {
    const stuck = ks.filter((k) => !order.includes(k)).map((k) => k.name);
    throw new ScheduleError(`Cannot order kernels (variables read and assigned in a cycle): ${stuck.join(', ')}`);
  }
  order.forEach((k, i) => (k.id = i));
  return order;
}

/** Bytes a kernel moves: each input buffer read once, each output written once. */
export function bytesMoved(k: Kernel, shapes: Map<Node, Poly[]>): Poly {
  const bytes = (n: Node): Poly => numel(shapes.get(n)!).scale(byteSize(n.dtype!));
  let total = Poly.const(0);
  for (const n of new Set(k.inputs)) total = total.add(bytes(n));
  for (const n of new Set(k.outputs)) total = total.add(bytes(n));
  return total;
}

export function totalBytesMoved(plan: SchedulePlan): Poly {
  return plan.kernels.reduce((s, k) => s.add(bytesMoved(k, plan.fusion.shapes)), Poly.const(0));
}

export interface FormatOptions {
  /** Also print concrete numbers for these symbol values (e.g. {B: 32}). */
  env?: Env;
}

/** The printed plan: buffers, then the kernels in order with their accesses at buffer offsets. */
export function formatPlan(plan: SchedulePlan, opts: FormatOptions = {}): string {
  const { memory } = plan;
  const lines: string[] = [];
  const peak = memory.symbols.length ? '' : ` peak ${memory.peakBytes()} bytes`;
  lines.push(
    `# ${plan.kernels.length} kernel${plan.kernels.length === 1 ? '' : 's'}, ${memory.buffers.length} buffers, persistent ${memory.persistentBytes} bytes,${peak}${memory.symbols.length ? ` symbols ${memory.symbols.join(',')}` : ''}`,
  );
  if (opts.env && memory.symbols.length)
    lines.push(
      `# peak for ${Object.entries(opts.env)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}: ${memory.peakBytes(opts.env)} bytes`,
    );
  lines.push(`# feeds: ${plan.unit.feeds.map((n) => n.name).join(', ') || '-'}; fetches: ${plan.unit.fetches.map((n) => n.name).join(', ') || '-'}`);
  lines.push(...bufferLines(memory));
  lines.push(...kernelLines(plan.kernels, plan.fusion.shapes, memory, opts));
  return lines.join('\n') + '\n';
}

/** Stage `fuse`: every value's decision and the kernels (fusion order, no buffers yet). */
export function formatFusion(f: FusionResult): string {
  const lines: string[] = [];
  const by = new Map<string, string[]>();
  for (const n of f.nodes) {
    const d = f.decisions.get(n);
    if (!d || d === 'none' || d === 'root') continue;
    by.set(d, [...(by.get(d) ?? []), n.name]);
  }
  for (const [d, ns] of by) lines.push(`# ${d}: ${ns.join(', ')}`);
  for (const [a, b] of f.aliases) if (f.decisions.get(a) === 'alias') lines.push(`# ${a.name} shares the buffer of ${b.name}`);
  lines.push(...kernelLines(f.kernels, f.shapes, null, {}));
  return lines.join('\n') + '\n';
}

/** Stage `schedule`: kernels in execution order, each with the kernels it waits for. */
export function formatOrder(f: FusionResult, kernels: Kernel[]): string {
  const writer = new Map<Node, Kernel>();
  for (const k of kernels) for (const n of k.outputs) writer.set(f.aliases.get(n) ?? n, k);
  const lines = kernels.map((k) => {
    const after = [...new Set(k.inputs.map((n) => writer.get(f.aliases.get(n) ?? n)).filter((w): w is Kernel => w !== undefined && w !== k))];
    return `k${k.id} ${k.kind} ${k.name} {${k.nodes.map((n) => n.name).join(', ')}}${after.length ? ` after ${after.map((w) => `k${w.id}`).join(', ')}` : ''}`;
  });
  return lines.join('\n') + '\n';
}

/** Stage `memory` (per entry): the buffers with offsets, sizes and live ranges. */
export function formatMemory(plan: SchedulePlan, opts: FormatOptions = {}): string {
  const m = plan.memory;
  const lines = [
    `# ${m.buffers.length} buffers, persistent ${m.persistentBytes} bytes${m.symbols.length ? `, symbols ${m.symbols.join(',')}` : `, peak ${m.peakBytes()} bytes`}`,
  ];
  if (opts.env && m.symbols.length)
    lines.push(
      `# peak for ${Object.entries(opts.env)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}: ${m.peakBytes(opts.env)} bytes`,
    );
  lines.push(...bufferLines(m));
  return lines.join('\n') + '\n';
}

function bufferLines(memory: MemoryPlan): string[] {
  return memory.buffers.map(
    (b) =>
      `# buf${b.id} ${b.role}${b.fetched ? '+fetch' : ''} ${b.nodes.map((n) => n.name).join('=')} ${b.dtype}${formatSymShape(b.shape)} @${b.offset} size ${b.size} live ${b.live[0]}..${b.live[1]}`,
  );
}

/** One block per kernel: kind, iteration space, members, loads and stores (at buffer offsets when a memory plan is given), the expression DAG, and bytes moved. */
function kernelLines(kernels: readonly Kernel[], shapes: Map<Node, Poly[]>, memory: MemoryPlan | null, opts: FormatOptions): string[] {
  const lines: string[] = [];
  const name = (n: Node): string => n.name;
  const off = (n: Node): string => {
    if (!memory) return '';
    const b = memory.bufferOf(n);
    return b ? `@${b.offset}` : '@?';
  };
  const acc = (a: Access): string =>
    `${a.node.name}:${a.dtype}${formatSymShape(shapes.get(a.node)!)}${off(a.node)} ${a.pattern}${a.pattern === 'strided' ? ` strides [${a.strides.join(',')}] +${a.offset}` : ''}`;
  const body = (b: Body, indent: string): void => {
    for (const l of b.loads) lines.push(`${indent}in  ${acc(l)}`);
    b.exprs.forEach((e, i) => {
      let rhs: string;
      if (e.op === 'load') rhs = `load ${b.loads[(e as { load: number }).load].node.name}`;
      else if (e.op === 'const') rhs = `const ${(e as { value: number }).value}`;
      else if (e.op === 'acc') rhs = 'acc';
      else {
        const x = e as { op: string; args: number[]; attrs: Record<string, unknown> };
        const at = x.op === 'cast' ? ` {dtype: ${String(x.attrs.dtype)}}` : '';
        rhs = `${x.op}(${x.args.map((a) => `%${a}`).join(', ')})${at}`;
      }
      lines.push(`${indent}%${i} = ${rhs} : ${e.dtype}`);
    });
    for (const s of b.stores) lines.push(`${indent}out ${acc(s)} <- %${s.expr}`);
  };
  for (const k of kernels) {
    const bytes = bytesMoved(k, shapes);
    const bytesStr = opts.env && !bytes.isConst() ? `${bytes} (${bytes.eval(opts.env)})` : String(bytes);
    const nodes = k.nodes.map(name).join(', ');
    switch (k.kind) {
      case 'loop':
        lines.push(`k${k.id} loop ${formatSymShape(k.space)} {${nodes}}  bytes ${bytesStr}`);
        body(k.body, '  ');
        break;
      case 'reduce':
        lines.push(
          `k${k.id} reduce ${k.combiner}${k.mean ? '/mean' : ''} ${formatSymShape(k.space)} axes [${k.axes.join(',')}] -> ${formatSymShape(k.outShape)} {${nodes}}  bytes ${bytesStr}`,
        );
        body(k.body, '  ');
        lines.push(`  out ${k.output.name}:${k.output.dtype}${formatSymShape(k.outShape)}${off(k.output)} <- ${k.combiner}(%${k.value})`);
        break;
      case 'matmul':
        lines.push(
          `k${k.id} matmul ${formatSymShape(k.space)}${k.transposeA ? ' transpose_a' : ''}${k.transposeB ? ' transpose_b' : ''} {${nodes}}  bytes ${bytesStr}`,
        );
        lines.push(`  a   ${k.a.name}:${k.a.dtype}${formatSymShape(shapes.get(k.a)!)}${off(k.a)}`);
        lines.push(`  b   ${k.b.name}:${k.b.dtype}${formatSymShape(shapes.get(k.b)!)}${off(k.b)}`);
        if (k.epilogue) body(k.epilogue, '  ');
        else lines.push(`  out ${k.node.name}:${k.node.dtype}${formatSymShape(k.space)}${off(k.node)} <- acc`);
        break;
      case 'opaque':
        lines.push(`k${k.id} call ${k.node.op} {${nodes}}  bytes ${bytesStr}`);
        for (const n of k.inputs) lines.push(`  in  ${n.name}:${n.dtype}${formatSymShape(shapes.get(n)!)}${off(n)}`);
        for (const n of k.outputs) lines.push(`  out ${n.name}:${n.dtype}${formatSymShape(shapes.get(n)!)}${off(n)}`);
        break;
    }
  }
  return lines;
}
