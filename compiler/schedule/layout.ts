/**
 * @fileoverview The module's static memory layout (stage `memory`, after the per-entry buffer
 * plans): where the status words, the variables, the random states, the runtime's scratch, each
 * entry's slot table and the constants live. Everything above is the per-call arena, which the
 * loader lays out from the entry's polynomial offsets for the fed batch size.
 *
 * ```
 * [0, 64 KiB) runtime · status words · variables · random states · runtime scratch ·
 * slot tables (one per entry) · constants · arena
 * ```
 * A slot table has one i32 per buffer-holding node of its entry (slot 0: the per-call scratch);
 * generated code reads every buffer address through it, so the loader can place the arena.
 */
import { byteSize, type DType } from '../../session/dtype.js';
import { STATUS_ADDR, STATUS_BYTES } from '../../session/wasm/status.js';
import { matmulScratchBound } from '../../runtime-as/abi.js';
import { MAX_REDUCE_SEGMENTS } from './kernel.js';
import { getOp } from '../ops/registry.js';
import { CompileError, error } from '../diagnostics/diagnostic.js';
import type { Graph, Node } from '../ir/graph.js';
import type { Tensor } from '../../session/tensor.js';
import { matchCheckpoint } from '../../session/train/saver.js';
import { constValue } from '../passes/fold.js';
import type { EntryPlan } from './entries.js';
import type { BufferPlan } from './memory.js';
import { Poly, numel } from './sym.js';
import { BACKEND } from '../diagnostics/catalogue.js';

export const a16 = (x: number): number => Math.ceil(x / 16) * 16;

/** A run of the constant region: stored bytes, or one element repeated (a zero or constant fill). */
export interface ConstChunk {
  at: number;
  bytes: number;
  /** The repeated element's bytes; absent: the chunk's bytes are stored in the section. */
  fill?: number[];
}

/** Chunks at least this long whose elements are all equal are fills, not stored bytes. */
const FILL_MIN_BYTES = 64;

/**
 * Constant bytes placed after the slot tables; `add` returns an absolute address. A constant
 * whose elements are all the same (zeros of an optimizer's slot, ones, a constant fill) is
 * recorded as a fill and not stored byte by byte: the section holds only the other chunks, and
 * the loader expands the region.
 */
export class ConstPool {
  private parts: { chunk: ConstChunk; data?: Uint8Array }[] = [];
  private top: number;
  constructor(readonly base: number) {
    this.top = base;
  }

  /** Place `bytes` (elements of `elementBytes` each) and return its address. */
  add(bytes: Uint8Array, elementBytes = 1): number {
    const at = this.top;
    const size = a16(bytes.length);
    const fill = repeatedElement(bytes, elementBytes);
    if (fill && bytes.length >= FILL_MIN_BYTES) {
      this.parts.push({ chunk: { at, bytes: bytes.length, fill } });
      if (size > bytes.length) this.parts.push({ chunk: { at: at + bytes.length, bytes: size - bytes.length, fill: [0] } });
    } else {
      const data = new Uint8Array(size);
      data.set(bytes);
      this.parts.push({ chunk: { at, bytes: size }, data });
    }
    this.top += size;
    return at;
  }

  /** One past the last constant byte (16-aligned). */
  get end(): number {
    return this.top;
  }

  /** The runs of the region, in address order. */
  chunks(): ConstChunk[] {
    return this.parts.map((p) => p.chunk);
  }

  /** The stored bytes (the `tfg.consts` section): the non-fill chunks, concatenated. */
  stored(): Uint8Array {
    const n = this.parts.reduce((a, p) => a + (p.data?.length ?? 0), 0);
    const out = new Uint8Array(n);
    let off = 0;
    for (const p of this.parts) {
      if (!p.data) continue;
      out.set(p.data, off);
      off += p.data.length;
    }
    return out;
  }
}

/** The element every `elementBytes`-sized element of `bytes` equals, or null. */
function repeatedElement(bytes: Uint8Array, elementBytes: number): number[] | null {
  if (bytes.length === 0 || bytes.length % elementBytes !== 0) return null;
  // The first 8 bytes one by one; then, for an element of 1, 2, 4 or 8 bytes (whose period
  // divides 8), 32-bit words against the first two (an optimizer slot's zeros are megabytes).
  const head = Math.min(bytes.length, 8);
  for (let i = elementBytes; i < head; i++) if (bytes[i] !== bytes[i % elementBytes]) return null;
  if (8 % elementBytes === 0 && bytes.byteOffset % 4 === 0 && bytes.length % 4 === 0 && bytes.length >= 8) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const w0 = w[0],
      w1 = w[1];
    for (let i = 2; i < w.length; i += 2) if (w[i] !== w0 || (i + 1 < w.length && w[i + 1] !== w1)) return null;
  } else {
    for (let i = head; i < bytes.length; i++) if (bytes[i] !== bytes[i % elementBytes]) return null;
  }
  const e = Array.from(bytes.subarray(0, elementBytes));
  return e.every((x) => x === 0) ? [0] : e;
}

export interface LayoutVariable {
  name: string;
  dtype: DType;
  shape: number[];
  initializer: string | null;
  address: number;
  bytes: number;
}

export interface ModuleLayout {
  statusAddr: number;
  /** The graph's nodes the module describes (moduleNodes), in manifest order. */
  nodes: Node[];
  /** Variables whose trained values the module carries, at constAddress. */
  baked: { variable: string; constAddress: number }[];
  variables: LayoutVariable[];
  varAddr: Map<string, number>;
  randoms: { node: string; stateAddr: number }[];
  runtimeScratch: number;
  runtimeScratchBytes: number;
  /** Per entry: its slot table's address and the nodes with a slot (slot i + 1), in graph order. */
  slotTables: number[];
  slots: Node[][];
  consts: ConstPool;
  /** Per entry: the absolute address of each const and variable buffer. */
  staticAddr: Map<BufferPlan, number>[];
}

function layoutError(message: string, n: Node): CompileError {
  return new CompileError(error(BACKEND.UNSUPPORTED, message, n.span ?? null));
}

/** Nodes with a buffer in an entry's plan (values and their aliases), in graph order. */
export function slotNodes(e: EntryPlan): Node[] {
  const plan = e.plan!;
  return plan.fusion.nodes.filter((n) => n.dtype !== null && plan.memory.bufferOf(n) !== undefined);
}

/**
 * The graph's nodes a module describes (its manifest's nodes, numbered in this order in the
 * status words): with a generic path, every node; else the nodes its entries run, their feeds and
 * fetches, and everything those read (by name, in graph order) — a deployable module carries
 * only what it runs, not the optimizer's slots or the training graph.
 */
export function moduleNodes(graph: Graph, entries: readonly EntryPlan[]): Node[] {
  if (entries.some((e) => e.kind === 'generic')) return graph.nodes;
  const want = new Set<string>();
  for (const e of entries) {
    for (const n of e.plan!.fusion.nodes) want.add(n.name);
    for (const n of [...e.input.feeds, ...e.input.fetches, ...e.unit!.feeds, ...e.unit!.fetches]) want.add(n.name);
  }
  const keep = new Set<Node>();
  const stack = graph.nodes.filter((n) => want.has(n.name));
  while (stack.length) {
    const n = stack.pop()!;
    if (keep.has(n)) continue;
    keep.add(n);
    stack.push(...n.inputs, ...n.controlInputs);
  }
  return graph.nodes.filter((n) => keep.has(n));
}

/**
 * Bytes of the runtime scratch the module's kernels can use at once (one kernel runs at a time):
 * the largest product's matmul scratch (runtime-as/abi.ts matmulScratchBound: a dimension that is
 * not a constant counts as any size) and a segmented reduction's partials. (A matrix inverse uses
 * the per-call scratch, sized for the run's n.)
 * Products come from every entry's matmul kernels (their dims after the passes) and, with a
 * generic path, from every contraction of the graph by its static shape (kernels with run-time
 * shapes run them; an unknown rank leaves every dimension unknown). A module of small products
 * reserves kilobytes where the bound of any product (3.25 MiB) was reserved for every module.
 * The scratch is shared by the kernels of every entry, so it must hold the most any one needs;
 * a product that outgrew it would overwrite the slot tables and constants above it.
 */
export function runtimeScratchBytes(nodes: readonly Node[], entries: readonly EntryPlan[]): number {
  let bytes = MAX_REDUCE_SEGMENTS * 8;
  const product = (dt: DType | null, M: number | null, N: number | null, K: number | null): void => {
    if (dt === 'f32' || dt === 'f64') bytes = Math.max(bytes, matmulScratchBound(dt, M, N, K));
  };
  const known = (p: Poly | undefined): number | null => (p !== undefined && p.isConst() ? p.constValue() : null);
  for (const e of entries) {
    if (!e.plan) continue;
    for (const k of e.plan.kernels) {
      if (k.kind !== 'matmul') continue;
      const as = e.plan.fusion.shapes.get(k.a);
      const r = k.space.length;
      const K = as ? (k.transposeA ? as[as.length - 2] : as[as.length - 1]) : undefined;
      product(k.node.dtype, known(k.space[r - 2]), known(k.space[r - 1]), known(K));
    }
  }
  if (!entries.some((e) => e.kind === 'generic')) return bytes;
  const dim = (s: Node['shape'], fromEnd: number): number | null => (s && s.length >= 2 ? (s[s.length - fromEnd] ?? null) : null);
  for (const n of nodes) {
    const low = getOp(n.op).lower;
    if (low.fusion !== 'contraction') continue;
    const { a, b, transposeA, transposeB } = low.operands(n);
    product(n.dtype, dim(a.shape, transposeA ? 1 : 2), dim(b.shape, transposeB ? 2 : 1), dim(a.shape, transposeA ? 2 : 1));
  }
  return bytes;
}

/** Lay out the module's static memory for its entries (each must have its memory plan). */
export function layoutModule(graph: Graph, entries: readonly EntryPlan[], bake?: ReadonlyMap<string, Tensor>): ModuleLayout {
  let top = STATUS_ADDR + STATUS_BYTES;
  const nodes = moduleNodes(graph, entries);
  const variables: LayoutVariable[] = [];
  const varAddr = new Map<string, number>();
  for (const n of nodes) {
    if (n.op !== 'variable') continue;
    const shape = (n.shape ?? []).map((d) => d ?? 0);
    const bytes = numel(shape.map((d) => Poly.const(d))).constValue() * byteSize(n.dtype!);
    const info = graph.variables.get(n.name);
    variables.push({ name: n.name, dtype: n.dtype!, shape, initializer: info?.initializer.name ?? null, address: top, bytes });
    varAddr.set(n.name, top);
    top += a16(Math.max(bytes, 1));
  }
  const randoms: ModuleLayout['randoms'] = [];
  for (const n of nodes) {
    if (!n.op.startsWith('random_') && n.op !== 'truncated_normal') continue;
    randoms.push({ node: n.name, stateAddr: top });
    top += 32;
  }
  const scratchBytes = runtimeScratchBytes(nodes, entries);
  const runtimeScratch = a16(top);
  top = runtimeScratch + a16(scratchBytes);

  const slots = entries.map(slotNodes);
  const slotTables: number[] = [];
  for (const s of slots) {
    slotTables.push(a16(top));
    top = a16(top) + a16(4 * (s.length + 1));
  }
  const consts = new ConstPool(a16(top));
  const staticAddr = entries.map((e) => {
    const m = new Map<BufferPlan, number>();
    for (const b of e.plan!.memory.buffers) {
      if (b.region === 'variable') {
        const a = varAddr.get(b.node.name);
        if (a === undefined) throw layoutError(`variable '${b.node.name}' is not a variable of graph '${graph.name}'`, b.node);
        m.set(b, a);
      } else if (b.region === 'const') {
        const t = constValue(b.node);
        m.set(b, consts.add(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), byteSize(t.dtype)));
      }
    }
    return m;
  });
  // Trained values baked in: placed with the constants, copied into the variables at session start.
  const baked: ModuleLayout['baked'] = [];
  if (bake) {
    const expected = new Map(variables.map((v) => [v.name, { dtype: v.dtype, shape: v.shape }]));
    const tensors = matchCheckpoint(new Map([...bake].filter(([k]) => expected.has(k))), new Map([...expected].filter(([k]) => bake.has(k))));
    for (const v of variables) {
      const t = tensors.get(v.name);
      if (t)
        baked.push({
          variable: v.name,
          constAddress: consts.add(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice(), byteSize(t.dtype)),
        });
    }
  }
  return {
    statusAddr: STATUS_ADDR,
    nodes,
    variables,
    baked,
    varAddr,
    randoms,
    runtimeScratch,
    runtimeScratchBytes: a16(scratchBytes),
    slotTables,
    slots,
    consts,
    staticAddr,
  };
}

/** The printer of the static layout (appended to `--dump memory`). */
export function formatLayout(l: ModuleLayout, entries: readonly EntryPlan[]): string {
  const lines = [
    `# module layout: status @${l.statusAddr}, runtime scratch @${l.runtimeScratch}, constants @${l.consts.base}..${l.consts.end}, arena from ${l.consts.end}`,
  ];
  for (const v of l.variables) lines.push(`# variable ${v.name} ${v.dtype}[${v.shape.join(',')}] @${v.address} ${v.bytes} bytes`);
  for (const r of l.randoms) lines.push(`# random state ${r.node} @${r.stateAddr}`);
  entries.forEach((e, i) => lines.push(`# slot table of ${e.name} @${l.slotTables[i]}: ${l.slots[i].length} slots`));
  return lines.join('\n') + '\n';
}
