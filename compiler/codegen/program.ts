/**
 * @fileoverview A whole compiled model: every signature of a graph → one exported entry
 * `sig_<name>(B) → status` running its pruned, optimised, fused plan; plus the generic plan (the
 * whole graph unfused, every value in its own buffer, every kernel exported as `g_k<i>`) the
 * loader schedules for any other fetch/feed combination. Writes the manifest (session/wasm/
 * manifest.ts) alongside: memory layout, nodes, variables, random streams, plans.
 *
 * Memory: [0, 64 KiB) runtime · status words · variables · random states · runtime scratch ·
 * slot tables · constants · arena (per call, laid out by the loader from B).
 */
import { byteSize } from '../../session/dtype.js';
import { spanInfo } from '../diagnostics/span.js';
import { CompileError, error } from '../diagnostics/diagnostic.js';
import { type Graph, Node, Operation } from '../ir/graph.js';
import { getOp, hasOp } from '../ops/registry.js';
import { shapeInputsOf, staticValue } from '../ops/static-value.js';
import { constValue } from '../passes/fold.js';
import { runPipeline } from '../passes/pipeline.js';
import type { GraphUnit } from '../passes/rewrite.js';
import { type SchedulePlan, schedule } from '../schedule/schedule.js';
import { Poly, numel } from '../schedule/sym.js';
import { uncompilableNodes } from '../schedule/symshape.js';
import type { FetchSpec, Signature } from '../frontend/index.js';
import { RUNTIME_ABI_VERSION, RUNTIME_IMPORT_MODULE, RUNTIME_KERNELS, RUNTIME_RESERVED_BYTES, matmulF32ScratchBytes, matmulF64ScratchBytes, matrixInverseScratchBytes } from '../../runtime-as/abi.js';
import type { FetchStructure, Manifest, ManifestBuffer, ManifestCheck, ManifestNode, ManifestPlan, ManifestPoly } from '../../session/wasm/manifest.js';
import { MANIFEST_VERSION } from '../../session/wasm/manifest.js';
import { STATUS_ADDR, addHelpers } from './expr.js';
import { LoweringError, emitKernel, opaqueScratchBytes, type KernelContext } from './kernels.js';
import { WasmModule, type Expr, type FunctionBuilder } from './module.js';

export const DEFAULT_MAX_MEMORY_BYTES = 1 << 30;
export const HOST_MODULE = 'tfg_host';

export interface ModelOptions {
  fuse?: boolean;
  optimize?: boolean;
  /** Vectorise loops (default true). */
  simd?: boolean;
  /** Build the generic plan (default true). */
  generic?: boolean;
}

export interface BuiltModel {
  module: WasmModule;
  manifest: Manifest;
  consts: Uint8Array;
  /** Kernel counts per plan, for summaries. */
  kernelCounts: number[];
}

const a16 = (x: number): number => Math.ceil(x / 16) * 16;

export function toManifestPoly(p: Poly): ManifestPoly {
  return Object.fromEntries(p.terms);
}

function codegenError(e: unknown, n: Node | null): CompileError {
  return new CompileError(error(4001, e instanceof Error ? e.message : String(e), n?.span ?? null));
}

/** Fetch nodes of a FetchSpec, and its structure in names. */
function fetchStructure(f: FetchSpec, out: Node[]): FetchStructure {
  if (f instanceof Operation) {
    out.push(f.node);
    return { op: f.node.name };
  }
  if (Array.isArray(f)) return f.map((x) => fetchStructure(x, out));
  if (!(f instanceof Node)) {
    return { dict: Object.entries(f as Record<string, FetchSpec>).map(([k, v]) => [k, fetchStructure(v, out)] as [string, FetchStructure]) };
  }
  const n = f as Node;
  out.push(n);
  return n.hasOutput ? `${n.name}:0` : { op: n.name };
}

export function buildModel(graph: Graph, signatures: readonly Signature[], opts: ModelOptions = {}): BuiltModel {
  const fuse = opts.fuse ?? true;
  const m = new WasmModule({ kind: 'import', initialPages: 1 });
  try {
    return buildInto(m, graph, signatures, fuse, opts);
  } catch (e) {
    m.dispose();
    throw e;
  }
}

function buildInto(m: WasmModule, graph: Graph, signatures: readonly Signature[], fuse: boolean, opts: ModelOptions): BuiltModel {
  for (const [name, sig] of Object.entries(RUNTIME_KERNELS)) m.importFunction(`rt_${name}`, { module: RUNTIME_IMPORT_MODULE, base: name }, sig.params, sig.result);
  m.importFunction('host_random', { module: HOST_MODULE, base: 'random' }, ['i32', 'i32', 'i32'], 'none');
  addHelpers(m);

  // ---- nodes, variables, random states
  const index = new Map<string, number>(graph.nodes.map((n, i) => [n.name, i]));
  const nodes: ManifestNode[] = graph.nodes.map((n) => {
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
      location: spanInfo(n.span),
      id: n.id,
      stateful: !!def?.stateful,
      kernel: null,
      ...(def ? { kind: def.kind } : {}),
    };
  });
  let top = STATUS_ADDR + 64;
  const variables: Manifest['variables'] = [];
  const varAddr = new Map<string, number>();
  for (const n of graph.nodes) {
    if (n.op !== 'variable') continue;
    const shape = (n.shape ?? []).map((d) => d ?? 0);
    const bytes = numel(shape.map((d) => Poly.const(d))).constValue() * byteSize(n.dtype!);
    const info = graph.variables.get(n.name);
    variables.push({ name: n.name, dtype: n.dtype!, shape, initializer: info?.initializer.name ?? null, address: top, bytes });
    varAddr.set(n.name, top);
    top += a16(Math.max(bytes, 1));
  }
  const randoms: Manifest['randoms'] = [];
  for (const n of graph.nodes) {
    if (!n.op.startsWith('random_') && n.op !== 'truncated_normal') continue;
    randoms.push({ node: n.name, stateAddr: top });
    top += 32;
  }
  let scratchBytes = Math.max(matmulF32ScratchBytes(1 << 20, 1 << 20, 1 << 20), matmulF64ScratchBytes(1 << 20, 1 << 20, 1 << 20));
  for (const n of graph.nodes) if (n.op === 'matrix_inverse' && n.shape && typeof n.shape[n.shape.length - 1] === 'number') scratchBytes = Math.max(scratchBytes, matrixInverseScratchBytes(n.shape[n.shape.length - 1] as number));
  const runtimeScratch = a16(top);
  top = runtimeScratch + a16(scratchBytes);

  // ---- plans (scheduled first, so slot tables can be placed before the constants)
  interface PlanJob {
    plan: SchedulePlan;
    kind: 'signature' | 'generic';
    sig?: Signature;
    fetchStruct?: FetchStructure;
    slots: Node[];
    counts?: { fused: number; unfused: number };
  }
  const jobs: PlanJob[] = [];
  for (const sig of signatures) {
    const fetchNodes: Node[] = [];
    const fetchStruct = fetchStructure(sig.fetches, fetchNodes);
    const unit: GraphUnit = { graph, fetches: [...new Set(fetchNodes)], feeds: [...sig.feeds] };
    let plan: SchedulePlan;
    let other: SchedulePlan;
    try {
      const r = runPipeline(unit);
      checkStaticOperands(r.unit, sig);
      plan = schedule(r.unit, { noFuse: !fuse });
      // the other mode, only counted (manifest: kernels fused vs unfused)
      other = schedule(r.unit, { noFuse: fuse });
    } catch (e) {
      if (e instanceof CompileError) throw e;
      throw new CompileError(error(4002, `signature '${sig.name}' cannot be compiled: ${(e as Error).message}`, sig.span));
    }
    const counts = fuse ? { fused: plan.kernels.length, unfused: other.kernels.length } : { fused: other.kernels.length, unfused: plan.kernels.length };
    jobs.push({ plan, kind: 'signature', sig, fetchStruct, slots: slotNodes(plan), counts });
  }
  let genericError: string | undefined;
  if (opts.generic !== false) {
    try {
      // Nodes of unknown rank (and what depends on them) are left out; a run needing one
      // raises UnimplementedError naming it, unless it is fed.
      const skipped = uncompilableNodes(graph.nodes);
      for (const [n, why] of skipped) nodes[index.get(n.name)!].unsupported = why;
      const plan = schedule({ graph, fetches: graph.nodes.filter((n) => !skipped.has(n)), feeds: [] }, { noFuse: true, constImmediates: false });
      jobs.push({ plan, kind: 'generic', slots: slotNodes(plan) });
    } catch (e) {
      genericError = (e as Error).message;
    }
  }
  const slotAddr: number[] = [];
  for (const j of jobs) {
    slotAddr.push(a16(top));
    top = a16(top) + a16(4 * (j.slots.length + 1));
  }
  const constBase = a16(top);
  const constChunks: Uint8Array[] = [];
  let constTop = constBase;
  const constData = (bytes: Uint8Array): number => {
    const at = constTop;
    constChunks.push(bytes);
    const pad = a16(bytes.length) - bytes.length;
    if (pad) constChunks.push(new Uint8Array(pad));
    constTop += a16(bytes.length);
    return at;
  };

  // ---- kernels and entries
  const plans: ManifestPlan[] = [];
  const kernelCounts: number[] = [];
  const manifestSigs: Manifest['signatures'] = [];
  let generic: number | null = null;
  jobs.forEach((job, pi) => {
    const { plan } = job;
    const slotOf = new Map<Node, number>(job.slots.map((n, i) => [n, i + 1]));
    const table = slotAddr[pi];
    const bufIndex = new Map(plan.memory.buffers.map((b, i) => [b, i]));
    const persistent = plan.memory.persistentBytes;
    const buffers: ManifestBuffer[] = plan.memory.buffers.map((b) => {
      const base = { dtype: b.dtype, shape: b.shape.map(toManifestPoly), size: toManifestPoly(b.size) };
      if (b.region === 'variable') {
        const a = varAddr.get(b.node.name);
        if (a === undefined) throw codegenError(new Error(`variable '${b.node.name}' is not a variable of graph '${graph.name}'`), b.node);
        return { ...base, region: 'variable', offset: { '': a }, variable: b.node.name };
      }
      if (b.region === 'const') {
        const t = constValue(b.node);
        const at = constData(new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength)));
        return { ...base, region: 'const', offset: { '': at } };
      }
      return { ...base, region: 'arena', offset: toManifestPoly(b.offset.sub(persistent)) };
    });
    const arenaEnd = Poly.upper(plan.memory.buffers.filter((b) => b.region === 'arena').map((b) => b.offset.add(b.size).sub(persistent)));
    const scratchPolys = plan.kernels.filter((k) => k.kind === 'matmul' && k.epilogue).map((k) => numel((k as { space: Poly[] }).space).scale(byteSize((k as { node: Node }).node.dtype!)).alignUp(16));
    for (const k of plan.kernels) if (k.kind === 'opaque') scratchPolys.push(opaqueScratchBytes(k.node, plan.fusion.shapes));
    const scratch = Poly.upper(scratchPolys);
    const nameIndex = (n: Node): number => index.get(n.name) ?? -1;
    const ctx: KernelContext = {
      m,
      shapes: plan.fusion.shapes,
      addr: (f: FunctionBuilder, n: Node): Expr => {
        const s = slotOf.get(n) ?? slotOf.get(plan.fusion.aliases.get(n) ?? n);
        if (s === undefined) throw new LoweringError(`internal: '${n.name}' has no buffer`, n);
        return m.load('i32', m.i32(table + 4 * s));
      },
      scratch: () => m.load('i32', m.i32(table)),
      runtimeScratch,
      nodeIndex: nameIndex,
      constData,
      simd: opts.simd ?? true,
    };
    const prefix = job.kind === 'generic' ? 'g' : `s${pi}`;
    const kernels: ManifestPlan['kernels'] = [];
    const lowered: (string | null)[] = [];
    plan.kernels.forEach((k, ki) => {
      const fname = `${prefix}_k${ki}`;
      try {
        emitKernel(ctx, k, fname);
        if (job.kind === 'generic') m.exportFunction(fname, fname);
        lowered.push(fname);
      } catch (e) {
        if (job.kind !== 'generic' || !(e instanceof LoweringError)) throw codegenError(e, e instanceof LoweringError ? e.node : null);
        lowered.push(null);
        for (const n of k.nodes) {
          const mn = nodes[nameIndex(n)];
          if (mn) mn.unsupported = (e as Error).message;
        }
      }
      kernels.push({ export: lowered[ki] ?? '', kind: k.kind, nodes: k.nodes.map((n) => n.name), outputs: k.outputs.map((n) => n.name) });
    });
    let exportName: string | null = null;
    if (job.kind === 'signature') {
      exportName = `sig_${job.sig!.name}`;
      const f = m.func(exportName, ['i32'], 'i32');
      const body: Expr[] = lowered.map((name) => m.if(m.call(name!, [f.get(f.param(0))], 'i32'), m.return(m.i32(1))));
      f.finish([...body, m.i32(0)], exportName);
    } else {
      generic = pi;
      for (const [n, d] of plan.fusion.decisions) {
        const mn = d === 'alias' && n.graph === graph ? nodes[nameIndex(n)] : undefined;
        if (mn) mn.alias = true;
      }
      plan.kernels.forEach((k, ki) => {
        if (lowered[ki] === null) return;
        for (const n of k.nodes) {
          const mn = nodes[nameIndex(n)];
          if (mn && n.graph === graph) mn.kernel = ki;
        }
      });
    }
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
      for (const n of k.outputs) if (n.op === 'assign' || n.op === 'assign_add' || n.op === 'assign_sub') assigned.add(base(n).name);
    }
    const inPlan = plan.fusion.nodes;
    const fed = new Set(plan.unit.feeds);
    const mp: ManifestPlan = {
      export: exportName,
      fused: job.kind === 'signature' ? fuse : false,
      slotTable: table,
      slots: job.slots.map((n) => ({ node: n.name, buffer: bufIndex.get(plan.memory.bufferOf(n)!)!, shape: plan.fusion.shapes.get(n)!.map(toManifestPoly) })),
      checks: planChecks(plan),
      feedShapes: plan.unit.feeds.filter((n) => n.dtype !== null && plan.fusion.shapes.has(n)).map((n) => ({ node: n.name, shape: plan.fusion.shapes.get(n)!.map(toManifestPoly) })),
      buffers,
      arenaBytes: toManifestPoly(arenaEnd),
      scratchBytes: toManifestPoly(scratch),
      kernels,
      feeds: plan.unit.feeds.map((n) => n.name),
      fetches: plan.unit.fetches.filter((n) => n.hasOutput).map((n) => n.name),
      varReads,
      varWrites: [...assigned],
      unfed: inPlan.filter((n) => n.op === 'placeholder' && !fed.has(n)).map((n) => n.name),
      randoms: inPlan.filter((n) => randoms.some((r) => r.node === n.name)).map((n) => n.name),
    };
    plans.push(mp);
    kernelCounts.push(plan.kernels.length);
    if (job.kind === 'signature') {
      manifestSigs.push({ name: job.sig!.name, feeds: job.sig!.feeds.map((n) => n.name), fetches: job.fetchStruct!, plan: pi, export: exportName!, batchSymbol: 'B', kernels: job.counts });
    }
  });

  const consts = new Uint8Array(constTop - constBase);
  let off = 0;
  for (const c of constChunks) {
    consts.set(c, off);
    off += c.length;
  }
  const manifest: Manifest = {
    manifestVersion: MANIFEST_VERSION,
    graph: graph.name,
    runtimeAbiVersion: RUNTIME_ABI_VERSION,
    runtimeEmbedded: false,
    memory: { statusAddr: STATUS_ADDR, constBase, constBytes: consts.length, runtimeScratch, arenaBase: a16(constTop), maxMemoryBytes: DEFAULT_MAX_MEMORY_BYTES },
    nodes,
    variables,
    placeholders: graph.nodes.filter((n) => n.op === 'placeholder').map((n) => n.name),
    randoms,
    plans,
    signatures: manifestSigs,
    generic,
    ...(genericError ? { genericError } : {}),
  };
  if (RUNTIME_RESERVED_BYTES > STATUS_ADDR) throw new Error('internal: status words inside the runtime reserve');
  return { module: m, manifest, consts, kernelCounts };
}

/**
 * A signature's entry runs without the loader between kernels, so a node compiled for the
 * static value of a shape input (reshape's shape, slice's begin and size) needs that input to be
 * known in the signature's graph: computed from constants and static shapes, not from the
 * signature's feeds or run-time values (fill_dims and slice_grad read theirs at run time).
 * Otherwise the signature does not compile, with the node's location.
 */
function checkStaticOperands(unit: GraphUnit, sig: Signature): void {
  const fed = new Set(unit.feeds);
  for (const n of unit.graph.nodes) {
    if (n.op !== 'reshape' && n.op !== 'slice') continue;
    for (const { index, attr } of shapeInputsOf(n) ?? []) {
      const input = n.inputs[index];
      const v = staticValue(input);
      if (v) {
        // The attr holds what was known when the graph was built; here the value is known: the
        // plan is made for it (the signature's graph is a copy, so the refinement stays here).
        const built = n.attrs[attr];
        const value = Array.from(v.data);
        const agrees = built === null || built === undefined || (Array.isArray(built) && built.length === value.length && built.every((d, i) => d === null || d === value[i]));
        if (!agrees) throw new CompileError(error(4002, `internal: '${n.name}' was built for ${attr} ${JSON.stringify(built)} but '${input.name}' is [${value.join(', ')}] in signature '${sig.name}'`, n.span));
        n.attrs = { ...n.attrs, [attr]: value };
        continue;
      }
      const feed = upstreamFeed(input, fed);
      const why = feed ? `it depends on the signature's feed '${feed.tensorName}'` : 'it is computed at run time';
      throw new CompileError(
        error(4002, `signature '${sig.name}' cannot be compiled: the ${attr} of '${n.name}' (op ${n.op}) comes from '${input.name}' and ${why}; the WebAssembly backend compiles ${n.op} with a ${attr} known when the module is compiled (the reference Session reads it at run time)`, n.span),
      );
    }
  }
}

/** A fed node `n` depends on through data inputs, or null. */
function upstreamFeed(n: Node, fed: Set<Node>): Node | null {
  const seen = new Set<Node>();
  const stack = [n];
  while (stack.length) {
    const x = stack.pop()!;
    if (fed.has(x)) return x;
    if (seen.has(x)) continue;
    seen.add(x);
    stack.push(...x.inputs);
  }
  return null;
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

/** Nodes with a buffer in a plan (values and their aliases), in graph order. */
function slotNodes(plan: SchedulePlan): Node[] {
  return plan.fusion.nodes.filter((n) => n.dtype !== null && plan.memory.bufferOf(n) !== undefined);
}
