/**
 * @fileoverview Bytes moved per kernel of a signature's plan, fused or unfused: what `tfg bench`
 * prints and the playground's Bench panel draws. The plan is the one the module compiles (the
 * entry steps of ./entries.ts: passes, fusion, order, memory plan); each kernel's operands are
 * its input buffers (each read once) and its outputs (each written once), sized from the
 * symbolic shapes at the given symbol values (`{ B: batch }`). A kernel's `bytes` is the
 * schedule's own `bytesMoved`, the sum of its operands' sizes.
 */
import type { Signature } from '../frontend/index.js';
import type { Node } from '../ir/graph.js';
import { byteSize, type DType } from '../../session/dtype.js';
import { entriesThrough, entryUnits } from './entries.js';
import type { Kernel } from './kernel.js';
import { bytesMoved } from './schedule.js';
import { type Env, type Poly, numel } from './sym.js';

/** One operand of a kernel: a buffer it reads or writes. */
export interface OperandBytes {
  /** The node whose value the buffer holds. */
  name: string;
  dtype: DType;
  shape: number[];
  bytes: number;
}

export interface KernelTraffic {
  /** Position in execution order. */
  id: number;
  kind: Kernel['kind'];
  /** The kernel's name (its root node). */
  name: string;
  /** Member nodes. */
  nodes: number;
  reads: OperandBytes[];
  writes: OperandBytes[];
  /** Bytes read + written. */
  bytes: number;
}

export interface SignatureTraffic {
  signature: string;
  fused: boolean;
  env: Env;
  kernels: KernelTraffic[];
  /** All kernels' bytes. */
  total: number;
}

function operand(n: Node, shapes: Map<Node, Poly[]>, env: Env): OperandBytes {
  const shape = shapes.get(n)!;
  return { name: n.name, dtype: n.dtype!, shape: shape.map((d) => d.eval(env)), bytes: numel(shape).scale(byteSize(n.dtype!)).eval(env) };
}

/** The bytes each kernel of `sig`'s compiled plan moves, at the symbol values `env` (e.g. `{ B: 32 }`). */
export function signatureTraffic(sig: Signature, opts: { fuse: boolean; env: Env }): SignatureTraffic {
  const [entry] = entriesThrough(entryUnits(sig.graph, [sig], { generic: false }), 'memory', { fuse: opts.fuse });
  const plan = entry.plan!;
  const shapes = plan.fusion.shapes;
  const kernels = plan.kernels.map((k) => ({
    id: k.id,
    kind: k.kind,
    name: k.name,
    nodes: k.nodes.length,
    reads: [...new Set(k.inputs)].map((n) => operand(n, shapes, opts.env)),
    writes: [...new Set(k.outputs)].map((n) => operand(n, shapes, opts.env)),
    bytes: bytesMoved(k, shapes).eval(opts.env),
  }));
  return { signature: sig.name, fused: opts.fuse, env: opts.env, kernels, total: kernels.reduce((a, k) => a + k.bytes, 0) };
}
