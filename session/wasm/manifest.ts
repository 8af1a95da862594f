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

export const MANIFEST_VERSION = 1;
export const MANIFEST_SECTION = 'tfg.manifest';
export const CONSTS_SECTION = 'tfg.consts';

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
  for (const [k, c] of Object.entries(p)) {
    let t = c;
    if (k) for (const sym of k.split('*')) t *= B;
    s += t;
  }
  return s;
}

/** Check the shape of a parsed manifest; throws ManifestError naming the first problem. */
export function validateManifest(x: unknown): Manifest {
  const fail = (msg: string): never => {
    throw new ManifestError(`invalid tfg manifest: ${msg}`);
  };
  if (typeof x !== 'object' || x === null) fail('not an object');
  const m = x as Manifest;
  if (m.manifestVersion !== MANIFEST_VERSION) fail(`manifestVersion ${String(m.manifestVersion)} is not ${MANIFEST_VERSION}`);
  if (typeof m.graph !== 'string') fail('graph must be a string');
  if (!m.memory || typeof m.memory.arenaBase !== 'number') fail('memory layout missing');
  for (const k of ['nodes', 'variables', 'placeholders', 'randoms', 'plans', 'signatures'] as const) if (!Array.isArray(m[k])) fail(`${k} must be an array`);
  const names = new Set<string>();
  for (const n of m.nodes) {
    if (typeof n.name !== 'string' || typeof n.op !== 'string') fail('node without name/op');
    names.add(n.name);
  }
  for (const n of m.nodes) for (const i of [...n.inputs, ...n.controlInputs]) if (!names.has(i)) fail(`node '${n.name}' has an unknown input '${i}'`);
  m.plans.forEach((p, i) => {
    if (!Array.isArray(p.slots) || !Array.isArray(p.buffers) || !Array.isArray(p.kernels)) fail(`plan ${i} is incomplete`);
    for (const s of p.slots) if (!(s.buffer >= 0 && s.buffer < p.buffers.length)) fail(`plan ${i}: slot of '${s.node}' has no buffer`);
  });
  for (const s of m.signatures) if (!(s.plan >= 0 && s.plan < m.plans.length)) fail(`signature '${s.name}' has no plan`);
  if (m.generic !== null && !(m.generic >= 0 && m.generic < m.plans.length)) fail('generic plan index out of range');
  return m;
}
