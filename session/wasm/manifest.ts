/**
 * @fileoverview The manifest of a compiled tfg model (schema owned by the loader; the compiler
 * writes it): everything the Session needs besides the wasm code — the graph's nodes (for the
 * generic path and for error names/locations), variables, random streams, the memory layout,
 * and one plan per entry point (slot table, buffers as polynomials in the batch size B,
 * kernels, checks). Embedded in the module's custom section `tfg.manifest` as UTF-8 JSON (and
 * written beside it as `.manifest.json` by `tfg compile`). `validateManifest` checks a parsed
 * object before use. See docs/backend.md.
 */
import type { DType } from '../dtype.js';
import type { SourceLocation } from '../errors.js';
import { STATUS_ADDR, STATUS_BYTES } from './status.js';

export const MANIFEST_VERSION = 1;
export const MANIFEST_SECTION = 'tfg.manifest';
export const CONSTS_SECTION = 'tfg.consts';
/** The entry that runs every variable's initializer, in modules compiled without the generic path (`session.initialize()`). */
export const INIT_SIGNATURE = 'tfg_init';

/** A polynomial in the batch symbol(s): monomial ('' constant, 'B', 'B*B') → coefficient. */
export type ManifestPoly = Record<string, number>;

export interface ManifestNode {
  name: string;
  op: string;
  dtype: DType | null;
  /** Static shape (null dims unknown), or null for an unknown rank / no output. */
  shape: (number | null)[] | null;
  inputs: string[];
  controlInputs: string[];
  /** Inputs passed by reference (the variable of an assign): not evaluated. */
  refInputs: number[];
  /** Attributes (without a const's values). */
  attrs: Record<string, unknown>;
  location: SourceLocation | null;
  /** Node id in the source graph (seeds random streams whose seeds are 0). */
  id: number;
  stateful: boolean;
  /** Generic plan: kernel computing the node (null: a leaf, an alias, no output, or not lowered). */
  kernel: number | null;
  /** Generic plan: the node shares its first input's buffer under its own shape (identity, reshape, expand_dims, squeeze, stop_gradient). */
  alias?: boolean;
  /** Generic plan: why the node has no kernel when it needs one. */
  unsupported?: string;
  /** The op's kind in the op table (elementwise, reduce, ...), for run-time shape errors. */
  kind?: string;
  /** Generic plan: how a node left out of the planned kernels (its shapes are known only at run time) runs (session/wasm/dynamic.ts). */
  dynamic?: ManifestDynamic;
}

/**
 * How the generic path runs a node whose shapes are known only at run time (a placeholder of
 * unknown rank and what depends on it): `map` (elementwise over broadcast inputs, transpose),
 * `reduce`, `matmul`, `rows` (softmax, log_softmax) call the node's kernel `export(desc) → status`
 * over a descriptor of run-time dims and strides; `alias` shares its input's buffer under the new
 * shape; `host` is written by the loader (shape, size, rank, zeros_like, ones_like). Planned
 * nodes carry it too when the graph's placeholders have two or more unknown dims: a run whose fed
 * values disagree on them (no single batch size B) runs them this way.
 */
export interface ManifestDynamic {
  /** `none`: a planned node that cannot run with run-time shapes (`reason`); a run whose fed unknown dims no single B describes does not run it. */
  kind: 'map' | 'reduce' | 'matmul' | 'rows' | 'alias' | 'host' | 'none';
  export?: string;
  reason?: string;
}

export interface ManifestBuffer {
  region: 'const' | 'variable' | 'arena';
  dtype: DType;
  shape: ManifestPoly[];
  /** Arena: offset from the arena base; const/variable: absolute address. */
  offset: ManifestPoly;
  size: ManifestPoly;
  variable?: string;
}

export interface ManifestKernel {
  export: string;
  kind: 'loop' | 'reduce' | 'matmul' | 'opaque';
  nodes: string[];
  outputs: string[];
}

/**
 * A run-time shape fact the symbolic plan assumes but cannot prove (every unknown dim is B):
 * `reshape` — shapes [input, output] hold as many elements; `broadcast` — two inputs of an
 * elementwise node broadcast (dims equal or 1); `matmul` — [a, b] inner dims agree (with the
 * node's transposes). The loader evaluates them for B before the node runs and raises the
 * reference's error (TF1's wording, the node's name and location).
 */
export interface ManifestCheck {
  node: string;
  kind: 'reshape' | 'broadcast' | 'matmul';
  shapes: ManifestPoly[][];
}

export interface ManifestPlan {
  /** Entry export (signatures); null for the generic plan (kernels are called one by one). */
  export: string | null;
  fused: boolean;
  /** Address of the plan's slot table (i32 per slot; slot 0 = per-call scratch). */
  slotTable: number;
  /** Slot i + 1: node name → buffer index, and the node's own symbolic shape (an alias's differs from its buffer's; absent in older manifests: the buffer's). */
  slots: { node: string; buffer: number; shape?: ManifestPoly[] }[];
  /** Run-time shape checks, in graph order (absent in older manifests). */
  checks?: ManifestCheck[];
  /** Symbolic shape of every feed of the plan, also those no kernel reads (B is solved from them). */
  feedShapes?: { node: string; shape: ManifestPoly[] }[];
  buffers: ManifestBuffer[];
  /** Bytes above the arena base this plan needs (buffers + scratch), as a polynomial. */
  arenaBytes: ManifestPoly;
  scratchBytes: ManifestPoly;
  kernels: ManifestKernel[];
  feeds: string[];
  fetches: string[];
  /** Variables read, with the node that reads first; guarded = assigned earlier in the plan. */
  varReads: { variable: string; consumer: string; guarded: boolean }[];
  /** Variables written by the plan (initialized after it runs). */
  varWrites: string[];
  /** Placeholders the plan needs but does not feed (the run raises TF1's error). */
  unfed: string[];
  /** Random nodes the plan runs. */
  randoms: string[];
}

export type FetchStructure = string | { op: string } | FetchStructure[] | { dict: [string, FetchStructure][] };

export interface ManifestSignature {
  name: string;
  feeds: string[];
  /** Names: `"x:0"` for a tensor, `{op: name}` for an operation. */
  fetches: FetchStructure;
  plan: number;
  export: string;
  batchSymbol: 'B';
  /** Kernels of this signature's plan fused and unfused (one per node), whichever was compiled. */
  kernels?: { fused: number; unfused: number };
}

export interface Manifest {
  manifestVersion: number;
  graph: string;
  runtimeAbiVersion: number;
  runtimeEmbedded: boolean;
  memory: {
    statusAddr: number;
    constBase: number;
    constBytes: number;
    runtimeScratch: number;
    /**
     * The constant region as runs: stored bytes (taken in order from the `tfg.consts` section)
     * or one element repeated (`fill`, its bytes). Absent: the section is the whole region.
     */
    constChunks?: { at: number; bytes: number; fill?: number[] }[];
    /** Bytes of the runtime's scratch (matmul packing, inverse) at runtimeScratch. */
    runtimeScratchBytes: number;
    /** First byte of the per-call arena (everything below is static). */
    arenaBase: number;
    maxMemoryBytes: number;
  };
  nodes: ManifestNode[];
  variables: { name: string; dtype: DType; shape: number[]; initializer: string | null; address: number; bytes: number }[];
  placeholders: string[];
  randoms: { node: string; stateAddr: number }[];
  plans: ManifestPlan[];
  signatures: ManifestSignature[];
  /** Variables whose values the module carries (compiled with a checkpoint): copied from the constants at that address when a session starts, and initialized. */
  bakedVariables?: { variable: string; constAddress: number }[];
  /** Index of the generic plan (any fetch/feed), or null when the graph could not be planned. */
  generic: number | null;
  genericError?: string;
}

export class ManifestError extends Error {
  override get name(): string {
    return 'ManifestError';
  }
}

export function evalPoly(p: ManifestPoly, B: number): number {
  let s = 0;
  for (const k in p) {
    const c = p[k];
    // '' and 'B' (nearly every term) without splitting the key: evaluated on every run.
    if (k === '') s += c;
    else if (k === 'B') s += c * B;
    else {
      let t = c;
      for (const _factor of k.split('*')) t *= B;
      s += t;
    }
  }
  return s;
}

/**
 * Check a parsed manifest before anything uses it; throws ManifestError naming the first
 * problem. Beyond its structure: every static address and size (status words, variables, random
 * states, the runtime's scratch, slot tables, constants, baked variables) lies above the
 * runtime's reserved memory and below the arena, aligned, and no two overlap; every buffer's
 * offset is a const or variable address inside its region or a non-negative polynomial in B
 * inside the arena; slots, kernels, signatures and nodes refer to what exists. A hostile or
 * damaged manifest is a typed error at load, never wrong values or writes over the runtime.
 */
export function validateManifest(x: unknown, constBytes?: number): Manifest {
  const fail = (msg: string): never => {
    throw new ManifestError(`invalid tfg manifest: ${msg}`);
  };
  if (typeof x !== 'object' || x === null) fail('not an object');
  const m = x as Manifest;
  if (m.manifestVersion !== MANIFEST_VERSION) fail(`manifestVersion ${String(m.manifestVersion)} is not ${MANIFEST_VERSION}`);
  if (typeof m.graph !== 'string') fail('graph must be a string');
  for (const k of ['nodes', 'variables', 'placeholders', 'randoms', 'plans', 'signatures'] as const) if (!Array.isArray(m[k])) fail(`${k} must be an array`);
  const mem = m.memory;
  if (!mem || typeof mem !== 'object') fail('memory layout missing');
  const int = (v: unknown, what: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${what} must be a non-negative integer, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const aligned = (v: number, what: string): void => {
    if (v % 16 !== 0) fail(`${what} ${v} is not 16-byte aligned`);
  };
  for (const k of ['statusAddr', 'constBase', 'constBytes', 'runtimeScratch', 'runtimeScratchBytes', 'arenaBase', 'maxMemoryBytes'] as const)
    int(mem[k], `memory.${k}`);
  if (mem.statusAddr !== STATUS_ADDR) fail(`memory.statusAddr ${mem.statusAddr} is not the status words' address ${STATUS_ADDR}`);
  if (mem.maxMemoryBytes > 4 * 1024 ** 3) fail(`memory.maxMemoryBytes ${mem.maxMemoryBytes} exceeds wasm32's 4 GiB`);
  if (mem.constChunks !== undefined) {
    if (!Array.isArray(mem.constChunks)) fail('memory.constChunks must be an array');
    let at = mem.constBase;
    let stored = 0;
    for (const c of mem.constChunks) {
      if (int(c.at, 'a constant chunk address') !== at) fail(`constant chunk at ${c.at} does not follow the previous one (expected ${at})`);
      at += int(c.bytes, 'a constant chunk size');
      if (c.fill === undefined) stored += c.bytes;
      else if (!Array.isArray(c.fill) || c.fill.length === 0 || c.bytes % c.fill.length !== 0 || !c.fill.every((x) => Number.isInteger(x) && x >= 0 && x < 256))
        fail(`constant chunk at ${c.at} has a malformed fill`);
    }
    if (at !== mem.constBase + mem.constBytes)
      fail(`the constant chunks cover [${mem.constBase}, ${at}), the region is [${mem.constBase}, ${mem.constBase + mem.constBytes})`);
    if (constBytes !== undefined && stored !== constBytes) fail(`the constant chunks store ${stored} bytes, the constants section holds ${constBytes}`);
  } else if (constBytes !== undefined && mem.constBytes !== constBytes)
    fail(`memory.constBytes ${mem.constBytes} does not match the ${constBytes} bytes of the constants section`);
  for (const k of ['constBase', 'runtimeScratch', 'arenaBase'] as const) aligned(mem[k], `memory.${k}`);
  const staticStart = STATUS_ADDR + STATUS_BYTES;
  const arena = mem.arenaBase;
  if (mem.constBase + mem.constBytes > arena) fail(`the constants [${mem.constBase}, ${mem.constBase + mem.constBytes}) reach into the arena at ${arena}`);
  if (arena > mem.maxMemoryBytes) fail(`the arena base ${arena} is beyond memory.maxMemoryBytes ${mem.maxMemoryBytes}`);
  // Static regions: inside [staticStart, arena), disjoint.
  const regions: [number, number, string][] = [];
  const region = (at: number, bytes: number, what: string): void => {
    int(at, what);
    if (at < staticStart || at + bytes > arena)
      fail(`${what} [${at}, ${at + bytes}) is outside the static memory [${staticStart}, ${arena}) (below is the runtime's and the status words')`);
    regions.push([at, at + bytes, what]);
  };
  region(mem.runtimeScratch, mem.runtimeScratchBytes, 'the runtime scratch');
  region(mem.constBase, mem.constBytes, 'the constants');
  const dtypeBytes: Record<string, number> = { f32: 4, f64: 8, i32: 4, bool: 1 };
  const varByName = new Map<string, Manifest['variables'][number]>();
  for (const v of m.variables) {
    if (typeof v.name !== 'string' || !(v.dtype in dtypeBytes) || !Array.isArray(v.shape)) fail('a variable without name, dtype or shape');
    const n = v.shape.reduce((a, d) => a * int(d, `variable '${v.name}' shape`), 1);
    if (int(v.bytes, `variable '${v.name}' bytes`) !== n * dtypeBytes[v.dtype])
      fail(`variable '${v.name}' has ${v.bytes} bytes, its shape needs ${n * dtypeBytes[v.dtype]}`);
    aligned(int(v.address, `variable '${v.name}' address`), `variable '${v.name}' address`);
    region(v.address, v.bytes, `variable '${v.name}'`);
    varByName.set(v.name, v);
  }
  for (const r of m.randoms) region(r.stateAddr, 32, `the random state of '${r.node}'`);
  const names = new Map<string, ManifestNode>();
  for (const n of m.nodes) {
    if (typeof n.name !== 'string' || typeof n.op !== 'string' || !Array.isArray(n.inputs) || !Array.isArray(n.controlInputs))
      fail('node without name, op or inputs');
    names.set(n.name, n);
  }
  for (const n of m.nodes) for (const i of [...n.inputs, ...n.controlInputs]) if (!names.has(i)) fail(`node '${n.name}' has an unknown input '${i}'`);
  for (const v of m.variables) if (!names.has(v.name)) fail(`variable '${v.name}' is not a node`);
  for (const p of m.placeholders) if (!names.has(p)) fail(`placeholder '${p}' is not a node`);
  // Polynomials in B (integer coefficients; a dim like B - 1 has a negative one): the loader
  // checks the evaluated offsets and sizes against the arena for each B (memory.ts layout).
  const polyOk = (p: unknown): boolean =>
    typeof p === 'object' && p !== null && Object.entries(p).every(([k, c]) => /^(|B(\*B)*)$/.test(k) && typeof c === 'number' && Number.isSafeInteger(c));
  m.plans.forEach((p, i) => {
    if (!Array.isArray(p.slots) || !Array.isArray(p.buffers) || !Array.isArray(p.kernels)) fail(`plan ${i} is incomplete`);
    aligned(int(p.slotTable, `plan ${i} slotTable`), `plan ${i} slot table`);
    region(p.slotTable, 4 * (p.slots.length + 1), `the slot table of plan ${i}`);
    for (const s of p.slots) {
      if (!(Number.isInteger(s.buffer) && s.buffer >= 0 && s.buffer < p.buffers.length)) fail(`plan ${i}: slot of '${s.node}' has no buffer`);
      if (!names.has(s.node)) fail(`plan ${i}: slot of unknown node '${s.node}'`);
    }
    p.buffers.forEach((b, j) => {
      const what = `plan ${i} buffer ${j}`;
      if (!(b.dtype in dtypeBytes) || !polyOk(b.offset) || !polyOk(b.size) || !Array.isArray(b.shape) || !b.shape.every(polyOk))
        fail(`${what} has a malformed dtype, offset, size or shape`);
      const constOnly = Object.keys(b.offset).every((k) => k === '') && Object.keys(b.size).every((k) => k === '');
      const off = b.offset[''] ?? 0;
      const size = b.size[''] ?? 0;
      if (b.region === 'const') {
        if (!constOnly || off < mem.constBase || off + size > mem.constBase + mem.constBytes) fail(`${what} (a constant) at ${off} is outside the constants`);
      } else if (b.region === 'variable') {
        const v = b.variable === undefined ? undefined : varByName.get(b.variable);
        if (!v || !constOnly || off !== v.address) fail(`${what} is not the buffer of variable '${String(b.variable)}'`);
      } else if (b.region !== 'arena') fail(`${what} has an unknown region '${String(b.region)}'`);
    });
    // Arena buffers at B = 1 (the loader checks each B it lays out): inside the plan's arena.
    const arenaAt1 = polyOk(p.arenaBytes) ? evalPoly(p.arenaBytes, 1) : -1;
    p.buffers.forEach((b, j) => {
      if (b.region !== 'arena') return;
      const off = evalPoly(b.offset, 1);
      const size = evalPoly(b.size, 1);
      if (off < 0 || size < 0 || off + size > arenaAt1 || off % 16 !== 0)
        fail(`plan ${i} buffer ${j} lies at [${off}, ${off + size}) of an arena of ${arenaAt1} bytes`);
    });
    if (!polyOk(p.arenaBytes) || !polyOk(p.scratchBytes)) fail(`plan ${i} has malformed arena or scratch sizes`);
    p.kernels.forEach((k, j) => {
      if (typeof k.export !== 'string') fail(`plan ${i} kernel ${j} has no export name`);
    });
    for (const c of p.checks ?? []) if (!names.has(c.node)) fail(`plan ${i}: check of unknown node '${c.node}'`);
  });
  regions.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < regions.length; i++) if (regions[i][0] < regions[i - 1][1]) fail(`${regions[i][2]} overlaps ${regions[i - 1][2]}`);
  for (const s of m.signatures) {
    if (!(Number.isInteger(s.plan) && s.plan >= 0 && s.plan < m.plans.length)) fail(`signature '${s.name}' has no plan`);
    for (const f of s.feeds) if (!names.has(f)) fail(`signature '${s.name}' feeds unknown node '${f}'`);
  }
  if (m.generic !== null && !(Number.isInteger(m.generic) && m.generic >= 0 && m.generic < m.plans.length)) fail('generic plan index out of range');
  if (m.generic !== null) {
    const gk = m.plans[m.generic].kernels.length;
    for (const n of m.nodes)
      if (n.kernel !== null && !(Number.isInteger(n.kernel) && n.kernel >= 0 && n.kernel < gk))
        fail(`node '${n.name}' names generic kernel ${String(n.kernel)} of ${gk}`);
  }
  for (const b of m.bakedVariables ?? []) {
    const v = varByName.get(b.variable);
    if (!v) fail(`baked variable '${b.variable}' is not a variable`);
    if (!(Number.isInteger(b.constAddress) && b.constAddress >= mem.constBase && b.constAddress + v!.bytes <= mem.constBase + mem.constBytes))
      fail(`baked variable '${b.variable}' is not inside the constants`);
  }
  return m;
}

/** The constant region expanded from the section's stored bytes and the manifest's chunks. */
export function expandConsts(m: Manifest, section: Uint8Array): Uint8Array {
  const chunks = m.memory.constChunks;
  if (!chunks) return section;
  const out = new Uint8Array(m.memory.constBytes);
  let off = 0;
  for (const c of chunks) {
    const at = c.at - m.memory.constBase;
    if (c.fill === undefined) {
      out.set(section.subarray(off, off + c.bytes), at);
      off += c.bytes;
    } else if (c.fill.some((x) => x !== 0)) {
      for (let i = 0; i < c.bytes; i++) out[at + i] = c.fill[i % c.fill.length];
    }
  }
  return out;
}

/** Every export a manifest names must exist in the instance (a typed error, not a call of undefined). */
export function checkExports(m: Manifest, exports: WebAssembly.Exports): void {
  for (const [i, p] of m.plans.entries()) {
    // A signature calls its kernels internally; the generic plan's kernels are called one by one.
    const dynamic = i === m.generic ? m.nodes.map((n) => n.dynamic?.export ?? null) : [];
    for (const name of i === m.generic ? [...p.kernels.map((k) => k.export), ...dynamic] : [p.export]) {
      if (name && typeof exports[name] !== 'function')
        throw new ManifestError(`invalid tfg manifest: plan ${i} names export '${name}', which the module does not have`);
    }
  }
}
