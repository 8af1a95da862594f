/**
 * @fileoverview Entries: the plans a module is made of — one per exported signature (its pruned,
 * optimised, fused subgraph) and the generic plan (the whole graph unfused, one kernel per node,
 * for any other fetch/feed combination). The compile driver (compiler/driver.ts) takes them
 * through the stages one step at a time, each step filling in a field:
 *
 * ```
 * entryUnits      graph + signatures  → EntryPlan{input}          what each entry computes
 * optimizeEntries passes (pipeline)    → EntryPlan{unit}           signatures only; generic as is
 * fuseEntries     fusion               → EntryPlan{fusion, counts} kernels, unordered
 * orderEntries    kernel order         → EntryPlan{kernels}
 * planEntries     memory plan          → EntryPlan{plan}           buffers, offsets in B
 * ```
 * Each step has a printer (`formatEntries`) for `tfg compile --dump STAGE`.
 */
import { Node, Operation } from '../ir/graph.js';
import { printGraph } from '../ir/printer.js';
import { CompileError, error } from '../diagnostics/diagnostic.js';
import type { FetchSpec, Signature } from '../frontend/index.js';
import type { Graph } from '../ir/graph.js';
import { runPipeline, type PipelineOptions } from '../passes/pipeline.js';
import { shapeInputsOf, staticValue } from '../ops/static-value.js';
import type { GraphUnit } from '../passes/rewrite.js';
import type { FetchStructure } from '../../session/wasm/manifest.js';
import { fuse, type FusionResult } from './fuse.js';
import type { Kernel } from './kernel.js';
import { planMemory } from './memory.js';
import { formatFusion, formatMemory, formatOrder, orderKernels, type SchedulePlan } from './schedule.js';
import { runtimeShapedNodes, uncompilableNodes } from './symshape.js';
import { BACKEND } from '../diagnostics/catalogue.js';

export interface EntryPlan {
  kind: 'signature' | 'generic';
  /** The signature's name, or 'generic'. */
  name: string;
  sig?: Signature;
  /** The signature's fetch structure in names (manifest). */
  fetchStruct?: FetchStructure;
  /** What the entry computes, before the passes. */
  input: GraphUnit;
  /** Generic plan: nodes left out (unknown rank, and what depends on them), with the reason. */
  skipped?: Map<Node, string>;
  /** Generic plan: planned nodes that also get a run-time-shape kernel (fed unknown dims that no single B describes). */
  runtimeShaped?: Set<Node>;
  /** After the passes (the generic plan: the input). */
  unit?: GraphUnit;
  fusion?: FusionResult;
  /** Compiled fused (signatures; the generic plan is one kernel per node). */
  fused?: boolean;
  /** Kernel counts fused and unfused (signatures: both modes are fused, one is compiled). */
  counts?: { fused: number; unfused: number };
  /** Kernels in execution order. */
  kernels?: Kernel[];
  plan?: SchedulePlan;
}

export interface EntryOptions {
  /** Fuse the signature plans (default true). */
  fuse?: boolean;
  /** Build the generic plan (default true). */
  generic?: boolean;
  /** Pipeline options (debug: verify the IR after every pass). */
  pipeline?: PipelineOptions;
}

/** Fetch nodes of a FetchSpec, and its structure in names. */
export function fetchStructure(f: FetchSpec, out: Node[]): FetchStructure {
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

function entryError(e: unknown, sig: Signature | undefined): never {
  if (e instanceof CompileError) throw e;
  throw new CompileError(error(BACKEND.SIGNATURE, `signature '${sig?.name ?? '?'}' cannot be compiled: ${(e as Error).message}`, sig?.span ?? null));
}

/** The entries of a module: each signature of `graph`, then the generic plan (unless turned off). */
export function entryUnits(graph: Graph, signatures: readonly Signature[], opts: EntryOptions = {}): EntryPlan[] {
  const out: EntryPlan[] = [];
  for (const sig of signatures) {
    const fetchNodes: Node[] = [];
    const fetchStruct = fetchStructure(sig.fetches, fetchNodes);
    out.push({ kind: 'signature', name: sig.name, sig, fetchStruct, input: { graph, fetches: [...new Set(fetchNodes)], feeds: [...sig.feeds] } });
  }
  if (opts.generic !== false) {
    // Nodes of unknown rank (and what depends on them) are left out; a run needing one raises
    // UnimplementedError naming it, unless it is fed.
    const skipped = uncompilableNodes(graph.nodes);
    const runtimeShaped = runtimeShapedNodes(graph.nodes, skipped);
    out.push({ kind: 'generic', name: 'generic', skipped, runtimeShaped, input: { graph, fetches: graph.nodes.filter((n) => !skipped.has(n)), feeds: [] } });
  }
  return out;
}

/** Stage `passes`: the default pipeline on every signature's unit (the generic plan runs the graph as built). */
export function optimizeEntries(entries: EntryPlan[], opts: EntryOptions = {}): void {
  for (const e of entries) {
    if (e.kind === 'generic') {
      e.unit = e.input;
      continue;
    }
    try {
      e.unit = runPipeline(e.input, opts.pipeline).unit;
      checkStaticOperands(e.unit, e.sig!);
    } catch (err) {
      entryError(err, e.sig);
    }
  }
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
        const agrees =
          built === null ||
          built === undefined ||
          (Array.isArray(built) && built.length === value.length && built.every((d, i) => d === null || d === value[i]));
        if (!agrees)
          throw new CompileError(
            error(
              BACKEND.SIGNATURE,
              `internal: '${n.name}' was built for ${attr} ${JSON.stringify(built)} but '${input.name}' is [${value.join(', ')}] in signature '${sig.name}'`,
              n.span,
            ),
          );
        n.attrs = { ...n.attrs, [attr]: value };
        continue;
      }
      const feed = upstreamFeed(input, fed);
      const why = feed ? `it depends on the signature's feed '${feed.tensorName}'` : 'it is computed at run time';
      throw new CompileError(
        error(
          BACKEND.SIGNATURE,
          `signature '${sig.name}' cannot be compiled: the ${attr} of '${n.name}' (op ${n.op}) comes from '${input.name}' and ${why}; the WebAssembly backend compiles ${n.op} with a ${attr} known when the module is compiled (the reference Session reads it at run time)`,
          n.span,
        ),
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

/** Stage `fuse`: kernels of every entry (signatures also fused the other way, to count). */
export function fuseEntries(entries: EntryPlan[], opts: EntryOptions = {}): void {
  const fused = opts.fuse ?? true;
  for (const e of entries) {
    try {
      if (e.kind === 'generic') {
        e.fusion = fuse(e.unit!, { noFuse: true, constImmediates: false });
        continue;
      }
      e.fusion = fuse(e.unit!, { noFuse: !fused });
      e.fused = fused;
      const other = fuse(e.unit!, { noFuse: fused }).kernels.length;
      const mine = e.fusion.kernels.length;
      e.counts = fused ? { fused: mine, unfused: other } : { fused: other, unfused: mine };
    } catch (err) {
      if (e.kind === 'generic') throw err;
      entryError(err, e.sig);
    }
  }
}

/** Stage `schedule`: the kernel order of every entry. */
export function orderEntries(entries: EntryPlan[]): void {
  for (const e of entries) {
    try {
      e.kernels = orderKernels(e.fusion!);
    } catch (err) {
      if (e.kind === 'generic') throw err;
      entryError(err, e.sig);
    }
  }
}

/** Stage `memory` (per entry): buffers and their offsets as polynomials in B. */
export function planEntries(entries: EntryPlan[]): void {
  for (const e of entries) {
    const f = e.fusion!;
    const memory = planMemory({ kernels: e.kernels!, shapes: f.shapes, aliases: f.aliases, fetches: e.unit!.fetches, feeds: e.unit!.feeds });
    e.plan = { unit: e.unit!, fusion: f, kernels: e.kernels!, memory };
  }
}

/** Run the entry steps through `last` (for the driver and for tests). */
export function entriesThrough(entries: EntryPlan[], last: 'passes' | 'fuse' | 'schedule' | 'memory', opts: EntryOptions = {}): EntryPlan[] {
  optimizeEntries(entries, opts);
  if (last === 'passes') return entries;
  fuseEntries(entries, opts);
  if (last === 'fuse') return entries;
  orderEntries(entries);
  if (last === 'schedule') return entries;
  planEntries(entries);
  return entries;
}

function header(e: EntryPlan): string {
  const u = e.unit ?? e.input;
  const names = (ns: Node[]): string => ns.map((n) => n.name).join(', ') || '-';
  return `# entry ${e.kind === 'generic' ? 'generic (every node, unfused)' : `signature ${e.name}`}; feeds: ${names(u.feeds)}; fetches: ${e.kind === 'generic' ? `${u.fetches.length} nodes` : names(u.fetches)}`;
}

/** The printer of each entry stage. */
export function formatEntries(entries: EntryPlan[], stage: 'passes' | 'fuse' | 'schedule' | 'memory'): string {
  const out: string[] = [];
  for (const e of entries) {
    out.push(header(e));
    if (e.skipped?.size) for (const [n, why] of e.skipped) out.push(`# left out: ${n.name}: ${why}`);
    switch (stage) {
      case 'passes':
        out.push(printGraph(e.unit!.graph).trimEnd());
        break;
      case 'fuse':
        if (e.counts) out.push(`# kernels fused ${e.counts.fused}, unfused ${e.counts.unfused}`);
        out.push(formatFusion(e.fusion!).trimEnd());
        break;
      case 'schedule':
        out.push(formatOrder(e.fusion!, e.kernels!).trimEnd());
        break;
      case 'memory':
        out.push(formatMemory(e.plan!).trimEnd());
        break;
    }
    out.push('');
  }
  return out.join('\n');
}
