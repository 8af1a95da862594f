/**
 * @fileoverview The memory plan: a buffer in one linear memory for every materialised value.
 *
 * Layout: `[constants][variables][arena]`. Constants and variables are persistent (live
 * across calls; a variable's buffer is never reused). Everything else — feeds, fetched
 * values and temporaries — lives in the arena, placed by interval allocation over the kernel
 * order, greedy by size: a buffer is live from the kernel that writes it (feeds: from the
 * start) to the last kernel that reads it or any alias of it (fetches: to the end), and two
 * buffers share bytes only when their live ranges are disjoint. Every offset and size is a
 * multiple of 16 bytes, for v128 loads.
 *
 * Sizes and offsets are `Poly`s in the run-time symbols (`B`): a `[?, 784]` f32 input is
 * `3136*B` bytes. Placement only takes decisions that hold for every B ≥ 1 (`Poly.le`), so
 * the loader evaluates the offsets once per call for the fed batch size and grows memory to
 * `peakBytes({B})` (B = 0 uses the layout of B = 1). Symbolic sizes are aligned coefficient
 * by coefficient (a `[?]` f32 vector takes `16*B` bytes), which keeps every offset aligned
 * for all B.
 */
import { byteSize, type DType } from '../../session/dtype.js';
import type { Node } from '../ir/graph.js';
import type { Kernel } from './kernel.js';
import { type Env, Poly, numel } from './sym.js';

export const ALIGN = 16;
/** Batch size at which placements are compared when several are valid for every B. */
const REF_ENV_VALUE = 64;

export type BufferRole = 'const' | 'variable' | 'feed' | 'temp';
export type Region = 'const' | 'variable' | 'arena';

export interface BufferPlan {
  id: number;
  /** The node that owns the buffer; `nodes` adds the aliases that share it. */
  node: Node;
  nodes: Node[];
  dtype: DType;
  shape: Poly[];
  /** Exact byte size of the tensor. */
  bytes: Poly;
  /** Reserved bytes (aligned). */
  size: Poly;
  /** Absolute byte offset in linear memory. */
  offset: Poly;
  region: Region;
  role: BufferRole;
  /** Fetched (directly or through an alias): the loader reads it after the call. */
  fetched: boolean;
  /** Kernel steps [first, last] during which the buffer holds a live value (-1 = before). */
  live: [number, number];
}

export interface MemoryPlan {
  buffers: BufferPlan[];
  /** Bytes of constants + variables (static). */
  persistentBytes: number;
  symbols: string[];
  bufferOf(node: Node): BufferPlan | undefined;
  /** Highest byte used for the given symbol values. */
  peakBytes(env?: Env): number;
  /** Concrete offset of every buffer for the given symbol values. */
  layout(env?: Env): Map<BufferPlan, number>;
}

export interface MemoryInput {
  /** Kernels in execution order. */
  kernels: Kernel[];
  shapes: Map<Node, Poly[]>;
  /** alias → base node. */
  aliases: Map<Node, Node>;
  fetches: Node[];
  feeds: Node[];
}

export function planMemory(input: MemoryInput): MemoryPlan {
  const base = (n: Node): Node => input.aliases.get(n) ?? n;
  const steps = input.kernels.length;
  const fed = new Set(input.feeds.map(base));
  const info = new Map<Node, { nodes: Set<Node>; def: number; last: number; fetched: boolean }>();
  const touch = (n: Node): { nodes: Set<Node>; def: number; last: number; fetched: boolean } => {
    const b = base(n);
    let r = info.get(b);
    if (!r) info.set(b, (r = { nodes: new Set([b]), def: Infinity, last: -1, fetched: false }));
    r.nodes.add(n);
    return r;
  };
  input.kernels.forEach((k, step) => {
    for (const n of k.inputs) {
      const r = touch(n);
      r.last = Math.max(r.last, step);
    }
    for (const n of k.outputs) {
      const r = touch(n);
      r.def = Math.min(r.def, step);
      r.last = Math.max(r.last, step);
    }
  });
  for (const f of input.fetches) {
    if (f.dtype === null) continue;
    const r = touch(f);
    r.fetched = true;
    r.last = steps;
  }
  for (const f of input.feeds) if (f.dtype !== null && info.has(base(f))) touch(f);

  const buffers: BufferPlan[] = [];
  for (const [node, r] of [...info].sort((p, q) => p[0].id - q[0].id)) {
    const role: BufferRole = fed.has(node) ? 'feed' : node.op === 'const' ? 'const' : node.op === 'variable' ? 'variable' : 'temp';
    const shape = input.shapes.get(node);
    if (!shape || node.dtype === null) throw new Error(`internal: no shape for buffer '${node.name}'`);
    const bytes = numel(shape).scale(byteSize(node.dtype));
    const first = role === 'feed' || role === 'const' || role === 'variable' ? -1 : r.def === Infinity ? 0 : r.def;
    buffers.push({
      id: buffers.length,
      node,
      nodes: [...r.nodes].sort((p, q) => p.id - q.id),
      dtype: node.dtype,
      shape,
      bytes,
      size: bytes.alignUp(ALIGN),
      offset: Poly.const(0),
      region: role === 'const' || role === 'variable' ? role : 'arena',
      role,
      fetched: r.fetched,
      live: [first, Math.max(r.last, first)],
    });
  }

  // Persistent regions: constants, then variables, each at a static offset.
  let top = 0;
  for (const region of ['const', 'variable'] as const) {
    for (const b of buffers.filter((x) => x.region === region)) {
      if (!b.size.isConst()) throw new Error(`internal: ${region} '${b.node.name}' has a symbolic size`);
      b.offset = Poly.const(top);
      top += b.size.constValue();
    }
  }
  const persistentBytes = top;

  // Arena: interval allocation, greedy by size (TFLite's arena planner): larger buffers first,
  // each at the lowest offset free of every placed buffer whose live range meets its own.
  const symbols = [...new Set(buffers.flatMap((b) => b.size.symbols()))].sort();
  const ref: Record<string, number> = Object.fromEntries(symbols.map((s) => [s, REF_ENV_VALUE]));
  const ones: Record<string, number> = Object.fromEntries(symbols.map((s) => [s, 1]));
  const arena = buffers.filter((b) => b.region === 'arena').sort((p, q) => q.size.eval(ref) - p.size.eval(ref) || p.live[0] - q.live[0] || p.id - q.id);
  const placed: BufferPlan[] = [];
  if (arena.every((b) => b.live[1] >= steps)) {
    // Every buffer lives to the end (a plan fetching every node: the generic plan), so no two
    // can share bytes: stack them (the greedy search below is cubic in the buffer count).
    let at = Poly.const(persistentBytes);
    for (const b of arena) {
      b.offset = at;
      at = at.add(b.size);
    }
    arena.length = 0;
  }
  if (symbols.length === 0) {
    // Every size is a number: the same placement by a sweep over the live buffers in offset
    // order (the lowest gap that holds the buffer is the lowest fitting candidate below), in
    // O(n² log n) instead of the Poly search's O(n³) (4,000 buffers live at once took minutes).
    placeConcrete(arena, persistentBytes);
    arena.length = 0;
  }
  for (const b of arena) {
    const live = placed.filter((x) => x.live[0] <= b.live[1] && b.live[0] <= x.live[1]);
    const ends = live.map((x) => x.offset.add(x.size));
    const fits = (o: Poly): boolean => live.every((x) => o.add(b.size).le(x.offset) || x.offset.add(x.size).le(o));
    const cands = [Poly.const(persistentBytes), ...ends].filter(fits);
    if (cands.length === 0) cands.push(Poly.upper([Poly.const(persistentBytes), ...ends]));
    cands.sort((p, q) => p.eval(ref) - q.eval(ref) || p.eval(ones) - q.eval(ones));
    b.offset = cands[0];
    placed.push(b);
  }

  const byNode = new Map<Node, BufferPlan>();
  for (const b of buffers) for (const n of b.nodes) byNode.set(n, b);
  // Placements are proven for symbol values ≥ 1; an empty batch (B = 0) uses B = 1's layout,
  // which is at least as large for every buffer.
  const clamp = (env: Env): Env => {
    const out: Record<string, number> = { ...env };
    for (const s of symbols) {
      const v = env[s];
      if (v === undefined || !Number.isInteger(v) || v < 0) throw new Error(`memory plan: symbol ${s} needs a non-negative integer value`);
      out[s] = Math.max(1, v);
    }
    return out;
  };
  return {
    buffers,
    persistentBytes,
    symbols,
    bufferOf: (n) => byNode.get(n) ?? byNode.get(base(n)),
    peakBytes(env = {}) {
      const e = clamp(env);
      return buffers.reduce((m, b) => Math.max(m, b.offset.add(b.size).eval(e)), persistentBytes);
    },
    layout(env = {}) {
      const e = clamp(env);
      return new Map(buffers.map((b) => [b, b.offset.eval(e)]));
    },
  };
}

/** Concrete first-fit (see planMemory): each buffer, in order, at the lowest offset ≥ base free of the placed buffers live with it. */
function placeConcrete(arena: BufferPlan[], base: number): void {
  const placed: { b: BufferPlan; off: number; end: number }[] = [];
  for (const b of arena) {
    const size = b.size.constValue();
    const live = placed.filter((x) => x.b.live[0] <= b.live[1] && b.live[0] <= x.b.live[1]).sort((p, q) => p.off - q.off);
    let at = base;
    for (const x of live) {
      if (at + size <= x.off) break;
      at = Math.max(at, x.end);
    }
    b.offset = Poly.const(at);
    placed.push({ b, off: at, end: at + size });
  }
}
