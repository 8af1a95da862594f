/**
 * @fileoverview The manifest (schema: session/wasm/manifest.ts) from the planned, laid-out and
 * lowered entries: the graph's nodes (for the generic path and for error names and locations),
 * variables, random streams, the static memory layout, and one plan per entry (slot table,
 * buffers as polynomials in B, kernels, run-time shape checks, variable reads and writes).
 */
import { spanInfo } from '../diagnostics/span.js';
import type { SourceLocation } from '../../session/errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { getOp, hasOp } from '../ops/registry.js';
import type { LoweredModule } from '../codegen/lower.js';
import type { EntryPlan } from '../schedule/entries.js';
import type { ModuleLayout } from '../schedule/layout.js';
import type { SchedulePlan } from '../schedule/schedule.js';
import { Poly, numel } from '../schedule/sym.js';
import { byteSize } from '../../session/dtype.js';
import { DEFAULT_MAX_MEMORY_BYTES } from '../../session/run-common.js';
import { RUNTIME_ABI_VERSION } from '../../runtime-as/abi.js';
import {
  MANIFEST_VERSION,
  type Manifest,
  type ManifestBuffer,
  type ManifestCheck,
  type ManifestNode,
  type ManifestPlan,
  type ManifestPoly,
} from '../../session/wasm/manifest.js';
import { opaqueScratchBytes } from '../codegen/kernels.js';

export { DEFAULT_MAX_MEMORY_BYTES };

export function toManifestPoly(p: Poly): ManifestPoly {
  return Object.fromEntries(p.terms);
}

const ASSIGN_OPS = new Set(['assign', 'assign_add', 'assign_sub']);

/**
 * A node's location as the artifact carries it: relative to the source file's folder (the
 * program is one file, so its name), never the compiling machine's absolute path.
 */
function relativeLocation(l: SourceLocation | null): SourceLocation | null {
  if (!l) return null;
  const slash = Math.max(l.file.lastIndexOf('/'), l.file.lastIndexOf('\\'));
  return slash < 0 ? l : { ...l, file: l.file.slice(slash + 1) };
}

export function buildManifest(graph: Graph, entries: readonly EntryPlan[], layout: ModuleLayout, lowered: LoweredModule): Manifest {
  const index = new Map<string, number>(layout.nodes.map((n, i) => [n.name, i]));
  const nodes: ManifestNode[] = layout.nodes.map((n) => {
    const { value: _v, ...attrs } = n.attrs;
    const def = hasOp(n.op) ? getOp(n.op) : null;
    return {
      name: n.name,
      op: n.op,
      dtype: n.dtype,
      shape: n.shape,
      inputs: n.inputs.map((x) => x.name),
      controlInputs: n.controlInputs.map((x) => x.name),
      refInputs: [...(def?.refInputs ?? [])],
      attrs,
      location: relativeLocation(spanInfo(n.span)),
      id: n.id,
      stateful: !!def?.stateful,
      kernel: null,
      ...(def ? { kind: def.kind } : {}),
    };
  });
  const nodeOf = (n: Node): ManifestNode | undefined => nodes[index.get(n.name) ?? -1];
  const plans: ManifestPlan[] = [];
  const signatures: Manifest['signatures'] = [];
  let generic: number | null = null;
  entries.forEach((e, ei) => {
    const plan = e.plan!;
    const low = lowered.entries[ei];
    if (e.kind === 'generic') {
      generic = ei;
      for (const [n, why] of e.skipped ?? []) {
        const d = low.dynamic.get(n);
        const mn = nodeOf(n)!;
        if (d === undefined) mn.unsupported = why;
        else if (typeof d === 'string') mn.unsupported = `${d} (${why})`;
        else mn.dynamic = d;
      }
      for (const n of e.runtimeShaped ?? []) {
        const d = low.dynamic.get(n)!;
        nodeOf(n)!.dynamic = typeof d === 'string' ? { kind: 'none', reason: d } : d;
      }
      for (const [n, why] of low.unsupported) {
        const mn = nodeOf(n);
        if (mn) mn.unsupported = why;
      }
      for (const [n, d] of plan.fusion.decisions) {
        const mn = d === 'alias' && n.graph === graph ? nodeOf(n) : undefined;
        if (mn) mn.alias = true;
      }
      plan.kernels.forEach((k, ki) => {
        if (low.kernels[ki] === null) return;
        for (const n of k.nodes) {
          const mn = nodeOf(n);
          if (mn && n.graph === graph) mn.kernel = ki;
        }
      });
    }
    plans.push(manifestPlan(e, plan, layout, ei, low.kernels, low.entry));
    if (e.kind === 'signature')
      signatures.push({
        name: e.name,
        feeds: e.sig!.feeds.map((n) => n.name),
        fetches: e.fetchStruct!,
        plan: ei,
        export: low.entry!,
        batchSymbol: 'B',
        kernels: e.counts,
      });
  });
  return {
    manifestVersion: MANIFEST_VERSION,
    graph: graph.name,
    runtimeAbiVersion: RUNTIME_ABI_VERSION,
    runtimeEmbedded: false,
    memory: {
      statusAddr: layout.statusAddr,
      constBase: layout.consts.base,
      constBytes: layout.consts.end - layout.consts.base,
      runtimeScratch: layout.runtimeScratch,
      runtimeScratchBytes: layout.runtimeScratchBytes,
      arenaBase: layout.consts.end,
      maxMemoryBytes: DEFAULT_MAX_MEMORY_BYTES,
      constChunks: layout.consts.chunks(),
    },
    nodes,
    variables: layout.variables,
    placeholders: layout.nodes.filter((n) => n.op === 'placeholder').map((n) => n.name),
    randoms: layout.randoms,
    plans,
    signatures,
    generic,
    ...(layout.baked.length ? { bakedVariables: layout.baked } : {}),
  };
}

function manifestPlan(
  e: EntryPlan,
  plan: SchedulePlan,
  layout: ModuleLayout,
  ei: number,
  kernelExports: (string | null)[],
  entry: string | null,
): ManifestPlan {
  const persistent = plan.memory.persistentBytes;
  const bufIndex = new Map(plan.memory.buffers.map((b, i) => [b, i]));
  const buffers: ManifestBuffer[] = plan.memory.buffers.map((b) => {
    const base = { dtype: b.dtype, shape: b.shape.map(toManifestPoly), size: toManifestPoly(b.size) };
    if (b.region === 'variable') return { ...base, region: 'variable', offset: { '': layout.staticAddr[ei].get(b)! }, variable: b.node.name };
    if (b.region === 'const') return { ...base, region: 'const', offset: { '': layout.staticAddr[ei].get(b)! } };
    return { ...base, region: 'arena', offset: toManifestPoly(b.offset.sub(persistent)) };
  });
  const arenaEnd = Poly.upper(plan.memory.buffers.filter((b) => b.region === 'arena').map((b) => b.offset.add(b.size).sub(persistent)));
  const scratchPolys = plan.kernels
    .filter((k) => k.kind === 'matmul' && k.epilogue)
    .map((k) =>
      numel((k as { space: Poly[] }).space)
        .scale(byteSize((k as { node: Node }).node.dtype!))
        .alignUp(16),
    );
  for (const k of plan.kernels) if (k.kind === 'opaque') scratchPolys.push(opaqueScratchBytes(k.node, plan.fusion.shapes));
  // Variable reads (with their first consumer) and writes, in kernel order.
  const base = (n: Node): Node => plan.fusion.aliases.get(n) ?? n;
  const assigned = new Set<string>();
  const varReads: ManifestPlan['varReads'] = [];
  const seenRead = new Set<string>();
  for (const k of plan.kernels) {
    for (const n of k.nodes) {
      const refs = new Set(hasOp(n.op) ? (getOp(n.op).refInputs ?? []) : []);
      n.inputs.forEach((x, i) => {
        if (refs.has(i)) return;
        let v = x;
        while (v.op !== 'variable' && plan.fusion.decisions.get(v) === 'alias') v = v.inputs[0];
        if (v.op !== 'variable' || seenRead.has(v.name)) return;
        seenRead.add(v.name);
        varReads.push({ variable: v.name, consumer: n.name, guarded: assigned.has(v.name) });
      });
    }
    for (const n of k.outputs) if (ASSIGN_OPS.has(n.op)) assigned.add(base(n).name);
  }
  const fed = new Set(plan.unit.feeds);
  const randomNodes = new Set(layout.randoms.map((r) => r.node));
  return {
    export: entry,
    fused: e.fused ?? false,
    slotTable: layout.slotTables[ei],
    slots: layout.slots[ei].map((n) => ({
      node: n.name,
      buffer: bufIndex.get(plan.memory.bufferOf(n)!)!,
      shape: plan.fusion.shapes.get(n)!.map(toManifestPoly),
    })),
    checks: planChecks(plan),
    feedShapes: plan.unit.feeds
      .filter((n) => n.dtype !== null && plan.fusion.shapes.has(n))
      .map((n) => ({ node: n.name, shape: plan.fusion.shapes.get(n)!.map(toManifestPoly) })),
    buffers,
    arenaBytes: toManifestPoly(arenaEnd),
    scratchBytes: toManifestPoly(Poly.upper(scratchPolys)),
    kernels: plan.kernels.map((k, ki) => ({
      export: kernelExports[ki] ?? '',
      kind: k.kind,
      nodes: k.nodes.map((n) => n.name),
      outputs: k.outputs.map((n) => n.name),
    })),
    feeds: plan.unit.feeds.map((n) => n.name),
    fetches: plan.unit.fetches.filter((n) => n.hasOutput).map((n) => n.name),
    varReads,
    varWrites: [...assigned],
    unfed: plan.fusion.nodes.filter((n) => n.op === 'placeholder' && !fed.has(n)).map((n) => n.name),
    randoms: plan.fusion.nodes.filter((n) => randomNodes.has(n.name)).map((n) => n.name),
  };
}

/**
 * Shape facts the symbolic shapes assume but cannot prove, checked by the loader for B before
 * the node runs: reshapes whose element counts differ as polynomials, elementwise inputs whose
 * dims differ (neither the constant 1), matmul inner dims that differ.
 */
export function planChecks(plan: SchedulePlan): ManifestCheck[] {
  const shapes = plan.fusion.shapes;
  const fed = new Set(plan.unit.feeds);
  const out: ManifestCheck[] = [];
  const mp = (s: Poly[]): ManifestPoly[] => s.map(toManifestPoly);
  for (const n of plan.fusion.nodes) {
    if (fed.has(n) || n.dtype === null) continue;
    const ins = n.inputs.map((x) => shapes.get(x));
    if (ins.some((x) => x === undefined)) continue;
    const xs = ins as Poly[][];
    if (n.op === 'reshape') {
      const out1 = shapes.get(n)!;
      if (!numel(xs[0]).equals(numel(out1))) out.push({ node: n.name, kind: 'reshape', shapes: [mp(xs[0]), mp(out1)] });
    } else if (n.op === 'matmul') {
      const [a, b] = xs;
      const ka = n.attrs.transpose_a ? a[a.length - 2] : a[a.length - 1];
      const kb = n.attrs.transpose_b ? b[b.length - 1] : b[b.length - 2];
      if (!ka.equals(kb)) out.push({ node: n.name, kind: 'matmul', shapes: [mp(a), mp(b)] });
    } else if (hasOp(n.op) && getOp(n.op).kind === 'elementwise' && xs.length >= 2) {
      for (let i = 0; i < xs.length; i++) {
        for (let j = i + 1; j < xs.length; j++) {
          const [p, q] = [xs[i], xs[j]];
          const k = Math.min(p.length, q.length);
          let ok = true;
          for (let d = 1; d <= k; d++) {
            const [x, y] = [p[p.length - d], q[q.length - d]];
            if (!x.equals(y) && !x.equals(1) && !y.equals(1)) ok = false;
          }
          if (!ok) out.push({ node: n.name, kind: 'broadcast', shapes: [mp(p), mp(q)] });
        }
      }
    }
  }
  return out;
}
