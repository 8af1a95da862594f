/**
 * @fileoverview Stage `lower`: the planned entries → one binaryen module. Every kernel of an
 * entry becomes a function `(B: i32) → i32` (kernels.ts); a signature gets an exported entry
 * `sig_<name>(B) → status` calling its kernels in order and returning at the first failure; the
 * generic plan exports each kernel as `g_k<i>` for the loader to call node by node. Kernels read
 * every buffer address from their entry's slot table (the static layout, schedule/layout.ts).
 *
 * A generic kernel that cannot be lowered is left out (its nodes are marked unsupported, and a
 * run needing one raises UnimplementedError); in a signature it is a compile error.
 */
import { CompileError, error } from '../diagnostics/diagnostic.js';
import type { Graph, Node } from '../ir/graph.js';
import type { EntryPlan } from '../schedule/entries.js';
import type { ModuleLayout } from '../schedule/layout.js';
import { RUNTIME_IMPORT_MODULE, RUNTIME_KERNELS } from '../../runtime-as/abi.js';
import { addHelpers } from './expr.js';
import { LoweringError, PAR_IMPORT, emitKernel, type KernelContext } from './kernels.js';
import { WasmModule, type Expr, type FunctionBuilder } from './module.js';
import { dynamicPlan, emitDynamicKernel } from './dynamic.js';
import type { ManifestDynamic } from '../../session/wasm/manifest.js';
import { BACKEND } from '../diagnostics/catalogue.js';

export const HOST_MODULE = 'tfg_host';

export interface LowerOptions {
  /** Vectorise loops (default true). */
  simd?: boolean;
  /** Emit f32x4.relaxed_madd for a·b + c in vector loops (kernels.ts; the module then needs relaxed SIMD). */
  fastMath?: boolean;
  /** Loop and reduce kernels of a constant size below this many elements are not split (default kernels.ts PAR_FLOOR). */
  splitFloor?: number;
}

export interface LoweredEntry {
  /** Export name of each kernel (generic plan) or its internal function name; null: not lowered. */
  kernels: (string | null)[];
  /** Generic plan: nodes whose kernel could not be lowered, with the reason. */
  unsupported: Map<Node, string>;
  /** The signature's entry export, or null for the generic plan. */
  entry: string | null;
  /** Generic plan: how each node left out of the plan runs with run-time shapes (dynamic.ts), or why it cannot. */
  dynamic: Map<Node, ManifestDynamic | string>;
}

export interface LoweredModule {
  module: WasmModule;
  entries: LoweredEntry[];
}

function codegenError(e: unknown, n: Node | null): CompileError {
  return new CompileError(error(BACKEND.UNSUPPORTED, e instanceof Error ? e.message : String(e), n?.span ?? null));
}

/** Lower every entry into a new module; disposes the module when it fails. */
export function lowerModule(graph: Graph, entries: readonly EntryPlan[], layout: ModuleLayout, opts: LowerOptions = {}): LoweredModule {
  const m = new WasmModule({ kind: 'import', initialPages: 1 });
  try {
    for (const [name, sig] of Object.entries(RUNTIME_KERNELS))
      m.importFunction(`rt_${name}`, { module: RUNTIME_IMPORT_MODULE, base: name }, sig.params, sig.result);
    m.importFunction('host_random', { module: HOST_MODULE, base: 'random' }, ['i32', 'i32', 'i32'], 'none');
    // par(id, B, outer size, unit, total elements): run a split kernel's parts (threads.ts).
    m.importFunction(PAR_IMPORT, { module: HOST_MODULE, base: 'par' }, ['i32', 'i32', 'i32', 'i32', 'i32'], 'none');
    let parIds = 0;
    const entryOpts = { ...opts, parId: () => parIds++ };
    addHelpers(m);
    const index = new Map<string, number>(layout.nodes.map((n, i) => [n.name, i]));
    const lowered = entries.map((e, ei) => lowerEntry(m, e, ei, layout, index, entryOpts));
    return { module: m, entries: lowered };
  } catch (e) {
    m.dispose();
    throw e;
  }
}

function lowerEntry(
  m: WasmModule,
  e: EntryPlan,
  ei: number,
  layout: ModuleLayout,
  index: Map<string, number>,
  opts: LowerOptions & { parId: () => number },
): LoweredEntry {
  const plan = e.plan!;
  const slotOf = new Map<Node, number>(layout.slots[ei].map((n, i) => [n, i + 1]));
  const table = layout.slotTables[ei];
  const ctx: KernelContext = {
    m,
    shapes: plan.fusion.shapes,
    addr: (_f: FunctionBuilder, n: Node): Expr => {
      const s = slotOf.get(n) ?? slotOf.get(plan.fusion.aliases.get(n) ?? n);
      if (s === undefined) throw new LoweringError(`internal: '${n.name}' has no buffer`, n);
      return m.load('i32', m.i32(table + 4 * s));
    },
    scratch: () => m.load('i32', m.i32(table)),
    runtimeScratch: layout.runtimeScratch,
    nodeIndex: (n: Node): number => index.get(n.name) ?? -1,
    constData: (bytes: Uint8Array) => layout.consts.add(bytes),
    simd: opts.simd ?? true,
    parId: opts.parId,
    fastMath: opts.fastMath ?? false,
    splitFloor: opts.splitFloor,
  };
  const prefix = e.kind === 'generic' ? 'g' : `s${ei}`;
  const kernels: (string | null)[] = [];
  const unsupported = new Map<Node, string>();
  plan.kernels.forEach((k, ki) => {
    const fname = `${prefix}_k${ki}`;
    try {
      emitKernel(ctx, k, fname);
      if (e.kind === 'generic') {
        m.exportFunction(fname, fname);
        m.markCold(fname); // node by node, off the signatures' path: not worth the optimiser's time
        m.markCold(`${fname}_part`); // (a split kernel's part function, if it has one)
      }
      kernels.push(fname);
    } catch (err) {
      if (e.kind !== 'generic' || !(err instanceof LoweringError)) throw codegenError(err, err instanceof LoweringError ? err.node : null);
      kernels.push(null);
      for (const n of k.nodes) unsupported.set(n, (err as Error).message);
    }
  });
  // Nodes left out of the plan (their shapes are known only at run time): a kernel over a
  // run-time descriptor each, or the reason they cannot run.
  const dynamic = new Map<Node, ManifestDynamic | string>();
  for (const n of [...(e.skipped?.keys() ?? []), ...(e.runtimeShaped ?? [])]) {
    if (n.dtype === null || n.op === 'placeholder') continue;
    const d = dynamicPlan(n);
    if (typeof d === 'string' || d.kind === 'alias' || d.kind === 'host') {
      dynamic.set(n, d);
      continue;
    }
    const fname = `g_d${index.get(n.name) ?? -1}`;
    try {
      emitDynamicKernel({ m, nodeIndex: (x) => index.get(x.name) ?? -1, runtimeScratch: layout.runtimeScratch }, n, d.kind, fname);
      dynamic.set(n, { ...d, export: fname });
    } catch (err) {
      if (!(err instanceof LoweringError)) throw codegenError(err, n);
      dynamic.set(n, err.message);
    }
  }
  let entry: string | null = null;
  if (e.kind === 'signature') {
    entry = `sig_${e.name}`;
    const f = m.func(entry, ['i32'], 'i32');
    const body: Expr[] = kernels.map((name) => m.if(m.call(name!, [f.get(f.param(0))], 'i32'), m.return(m.i32(1))));
    f.finish([...body, m.i32(0)], entry);
  }
  return { kernels, unsupported, entry, dynamic };
}
