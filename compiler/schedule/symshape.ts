/**
 * @fileoverview Symbolic shapes: the static shape of every node with its unknown dims
 * written in terms of the run-time batch symbol `B`.
 *
 * Convention (documented in docs/fusion.md): every unknown dim of a placeholder is the batch
 * size `B`. Unknown dims of other nodes follow from their inputs by the op's shape rule
 * (broadcasting, reductions, matmul, transpose, reshape with -1, concat, slices, ...); a dim
 * the static shape knows is always taken from it. A dim no rule explains also becomes `B`.
 * An unknown rank cannot be compiled and is reported with the node's name.
 */
import type { Node } from '../ir/graph.js';
import { normAxis } from '../ir/shape.js';
import { opKind } from '../passes/opinfo.js';
import { Poly, numel } from './sym.js';

export const BATCH = 'B';

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

/**
 * Nodes a whole-graph plan must leave out: those whose rank is unknown even to the symbolic
 * rules (a placeholder of unknown rank no consumer fixes, and what it reaches through data or
 * control inputs), with the reason. The loader raises UnimplementedError when a run needs one.
 */
export function uncompilableNodes(nodes: readonly Node[]): Map<Node, string> {
  const bad = new Map<Node, string>();
  inferSymShapes(nodes, bad);
  return bad;
}

/**
 * The symbolic shape of every value node. With `skipped`, a node whose rank cannot be known
 * (or that depends on such a node) is recorded there with the reason instead of throwing.
 */
export function inferSymShapes(nodes: readonly Node[], skipped?: Map<Node, string>): Map<Node, Poly[]> {
  const out = new Map<Node, Poly[]>();
  const get = (n: Node): Poly[] => {
    const s = out.get(n);
    if (!s) throw new ScheduleError(`internal: no symbolic shape for '${n.name}'`);
    return s;
  };
  const refined = refineUnknownRanks(nodes);
  for (const n of nodes) {
    if (skipped) {
      const dep = [...n.inputs, ...n.controlInputs].find((x) => skipped.has(x));
      if (dep) {
        skipped.set(n, `it depends on '${dep.name}', which cannot be compiled`);
        continue;
      }
      const why = unknownStaticOperand(n);
      if (why) {
        skipped.set(n, why);
        continue;
      }
    }
    if (n.dtype === null) continue;
    const known = refined.get(n);
    if (known) {
      out.set(n, known);
      continue;
    }
    if (n.shape === null) {
      // Unknown static rank downstream of a refined placeholder: the op's rule over its inputs.
      let r: (Poly | null)[] | null = null;
      if (n.op !== 'placeholder' && n.inputs.every((i) => i.dtype === null || out.has(i))) {
        try {
          r = symRule(n, n.inputs.map((i) => (i.dtype === null ? [] : get(i))), get);
        } catch {
          r = null;
        }
      }
      if (!r || r.some((d) => d === null)) {
        const msg = `Cannot compile '${n.name}' (op ${n.op}): its rank is unknown; give the placeholder a shape`;
        if (!skipped) throw new ScheduleError(msg);
        skipped.set(n, msg);
        continue;
      }
      out.set(n, r as Poly[]);
      continue;
    }
    let rule: (Poly | null)[] | null = null;
    if (n.shape.some((d) => d === null) && n.op !== 'placeholder') {
      try {
        rule = symRule(n, n.inputs.map((i) => (i.dtype === null ? [] : get(i))), get);
      } catch (e) {
        if (e instanceof ScheduleError) throw e;
        rule = null;
      }
    }
    out.set(
      n,
      n.shape.map((d, i) => (d !== null ? Poly.const(d) : rule && rule.length === n.shape!.length && rule[i] ? rule[i]! : Poly.sym(BATCH))),
    );
  }
  return out;
}

/**
 * A node whose kernel needs a shape-like input's value when it is compiled but whose value was
 * not known when the graph was built: a slice with begin and size inputs lowers to a view at a
 * fixed offset, so its begin must be known (its size may follow the batch convention; the loader
 * checks both at run time).
 */
export function unknownStaticOperand(n: Node): string | null {
  if (n.op === 'slice' && n.inputs.length === 3) {
    const begin = n.attrs.begin;
    if (!Array.isArray(begin) || begin.some((d) => typeof d !== 'number')) {
      return `its begin ('${n.inputs[1].name}') is only known at run time; the WebAssembly backend compiles a slice at a begin known when the graph is built`;
    }
  }
  return null;
}

/**
 * Placeholders of unknown rank (TF1's `shape=(None)`) whose rank a consumer fixes: the labels of
 * sparse_softmax_cross_entropy_with_logits are logits' shape without the last dim, in_top_k's
 * targets are [batch]. Their dims follow the batch convention; the loader checks fed values
 * against them like any placeholder's.
 */
function refineUnknownRanks(nodes: readonly Node[]): Map<Node, Poly[]> {
  const out = new Map<Node, Poly[]>();
  const sym = (s: readonly (number | null)[]): Poly[] => s.map((d) => (d === null ? Poly.sym(BATCH) : Poly.const(d)));
  for (const n of nodes) {
    const target = (i: number, shape: (number | null)[] | null): void => {
      const x = n.inputs[i];
      if (!x || x.op !== 'placeholder' || x.shape !== null || shape === null || out.has(x)) return;
      out.set(x, sym(shape));
    };
    if (n.op === 'sparse_softmax_cross_entropy_with_logits') target(0, n.inputs[1].shape === null ? null : n.inputs[1].shape.slice(0, -1));
    else if (n.op === 'in_top_k') target(1, n.inputs[0].shape === null ? null : n.inputs[0].shape.slice(0, 1));
  }
  return out;
}

const asNums = (v: unknown): number[] => (Array.isArray(v) ? (v as number[]) : []);

/** The op's shape rule over symbolic dims; null entries (or a null result) mean "unknown". */
function symRule(n: Node, ins: Poly[][], symShapeOf: (n: Node) => Poly[]): (Poly | null)[] | null {
  const a = n.attrs;
  const x = ins[0];
  switch (n.op) {
    case 'reduce_sum':
    case 'reduce_mean':
    case 'reduce_max':
    case 'reduce_min':
    case 'reduce_prod': {
      const axes = a.axis === null || a.axis === undefined ? x.map((_, i) => i) : (Array.isArray(a.axis) ? asNums(a.axis) : [a.axis as number]).map((ax) => normAxis(ax, x.length));
      if (a.keepdims) return x.map((d, i) => (axes.includes(i) ? Poly.const(1) : d));
      return x.filter((_, i) => !axes.includes(i));
    }
    case 'argmax':
    case 'argmin': {
      const ax = normAxis(a.axis as number, x.length);
      return x.filter((_, i) => i !== ax);
    }
    case 'matmul': {
      const b = ins[1];
      const r = x.length;
      const m = a.transpose_a ? x[r - 1] : x[r - 2];
      const nn = a.transpose_b ? b[b.length - 2] : b[b.length - 1];
      return [...x.slice(0, r - 2), m, nn];
    }
    case 'transpose': {
      const perm = a.perm === null || a.perm === undefined ? x.map((_, i) => x.length - 1 - i) : asNums(a.perm);
      return perm.map((p) => x[p]);
    }
    case 'expand_dims': {
      const ax = normAxis(a.axis as number, x.length + 1);
      return [...x.slice(0, ax), Poly.const(1), ...x.slice(ax)];
    }
    case 'squeeze': {
      const st = n.shape!;
      if (a.axis === null || a.axis === undefined) return x.filter((d) => !d.equals(1)).length === st.length ? x.filter((d) => !d.equals(1)) : null;
      const axes = asNums(a.axis).map((ax) => normAxis(ax, x.length));
      return x.filter((_, i) => !axes.includes(i));
    }
    case 'reshape': {
      // With a shape input the attr is what was known of it when the graph was built: null
      // entries are unknown (a single unknown or -1 entry is inferred from x's size; the loader
      // checks the run-time value against the plan).
      if (!Array.isArray(a.shape)) return null;
      const target = a.shape as (number | null)[];
      const open = target.filter((d) => d === null || d === -1).length;
      const known = (target.filter((d) => d !== null && d !== -1) as number[]).reduce((p, d) => p * d, 1);
      const rest = open !== 1 || known === 0 ? null : numel(x).divExact(known);
      return target.map((d) => (d === null || d === -1 ? rest : Poly.const(d)));
    }
    case 'concat': {
      const ax = normAxis(a.axis as number, x.length);
      return x.map((d, i) => (i === ax ? ins.reduce((s, t) => s.add(t[ax]), Poly.const(0)) : d));
    }
    case 'stack': {
      const ax = normAxis(a.axis as number, x.length + 1);
      return [...x.slice(0, ax), Poly.const(ins.length), ...x.slice(ax)];
    }
    case 'slice': {
      // begin and size may be partly unknown (inputs read at run time): unknown dims follow B
      const begin = Array.isArray(a.begin) ? (a.begin as (number | null)[]) : [];
      const size = Array.isArray(a.size) ? (a.size as (number | null)[]) : [];
      return x.map((d, i) => {
        const z = size[i] ?? null;
        const b = begin[i] ?? null;
        if (z === null) return null;
        if (z === -1) return b === null ? null : d.sub(b);
        return Poly.const(z);
      });
    }
    case 'strided_slice':
      return stridedSliceRule(a.index, x);
    case 'gather': {
      const ax = normAxis(a.axis as number, x.length);
      return [...x.slice(0, ax), ...ins[1], ...x.slice(ax + 1)];
    }
    case 'one_hot': {
      const axis = (a.axis as number | undefined) ?? -1;
      const depth = Poly.const(a.depth as number);
      const ax = axis === -1 ? x.length : axis;
      return [...x.slice(0, ax), depth, ...x.slice(ax)];
    }
    case 'sparse_softmax_cross_entropy_with_logits':
    case 'softmax_cross_entropy_with_logits':
      return ins[1].slice(0, -1);
    case 'in_top_k':
      return [x[0]];
    case 'shape':
      return [Poly.const(x.length)];
    // internal gradient ops: the run-time shape of an input (checked by their kernels)
    case 'broadcast_like':
    case 'reshape_like':
    case 'sum_to_like':
    case 'strided_slice_grad':
    case 'slice_grad':
      return ins[1];
    case 'prod_except':
      return x;
    case 'scatter_add':
      return x;
    case 'concat_slice':
      return ins[1 + (a.index as number)];
    case 'fill_dims': {
      // dims is usually shape(y): y's symbolic shape (the kernel checks the values)
      const dims = n.inputs[0];
      if (dims.op === 'shape' && dims.inputs[0].dtype !== null && dims.inputs[0].shape !== null) return symShapeOf(dims.inputs[0]);
      if (dims.op === 'const' && Array.isArray(dims.attrs.value) && (dims.attrs.value as unknown[]).length === (n.shape ?? []).length) {
        return (dims.attrs.value as number[]).map((d) => Poly.const(d));
      }
      return null;
    }
    case 'assign':
    case 'assign_add':
    case 'assign_sub':
    case 'softmax':
    case 'log_softmax':
    case 'sigmoid_cross_entropy_with_logits':
    case 'zeros_like':
    case 'ones_like':
      return n.op === 'sigmoid_cross_entropy_with_logits' ? ins[1] : x;
    default:
      // Elementwise ops broadcast their inputs; other ops fall back to the batch convention.
      if (ins.length === 0 || opKind(n.op) !== 'elementwise') return null;
      return broadcastSym(ins);
  }
}

function broadcastSym(ins: Poly[][]): (Poly | null)[] {
  const r = Math.max(...ins.map((s) => s.length));
  const out: (Poly | null)[] = [];
  for (let i = 0; i < r; i++) {
    let d: Poly | null = null;
    for (const s of ins) {
      const k = i - (r - s.length);
      if (k < 0) continue;
      const e = s[k];
      if (e.equals(1)) {
        if (d === null) d = e;
        continue;
      }
      if (d === null || d.equals(1)) d = e;
    }
    out.push(d);
  }
  return out;
}

/** Python basic indexing over symbolic dims; only unit steps over unknown dims. */
function stridedSliceRule(index: unknown, x: Poly[]): (Poly | null)[] | null {
  if (!Array.isArray(index)) return null;
  const out: (Poly | null)[] = [];
  let d = 0;
  for (const it of index as unknown[]) {
    if (it === 'newaxis') {
      out.push(Poly.const(1));
      continue;
    }
    if (typeof it === 'number') {
      d++;
      continue;
    }
    const sl = it as { start: number | null; stop: number | null; step: number | null };
    const dim = x[d++];
    const step = sl.step ?? 1;
    if (!dim) {
      out.push(null);
      continue;
    }
    if (!dim.isConst() && Math.abs(step) !== 1) throw new ScheduleError(`Cannot compile a strided slice with step ${step} over the unknown dimension ${d - 1} (every unknown dim is the batch size B; only steps of 1 and -1 are planned)`);
    const len = sliceLen(dim, sl.start, sl.stop, step);
    if (len && len.isConst() && len.constValue() < 0) throw new ScheduleError(`Cannot compile the slice [${sl.start ?? ''}:${sl.stop ?? ''}] over the unknown dimension ${d - 1}: its length depends on clamping to the run-time size`);
    out.push(len);
  }
  for (; d < x.length; d++) out.push(x[d]);
  return out;
}

/** Length of x[start:stop:±1] over a symbolic dim, assuming indices within range. */
function sliceLen(dim: Poly, start: number | null, stop: number | null, step: number): Poly | null {
  const norm = (v: number): Poly => (v < 0 ? dim.add(v) : Poly.const(v));
  if (step === 1) {
    const s = start === null ? Poly.const(0) : norm(start);
    const e = stop === null ? dim : norm(stop);
    return e.sub(s);
  }
  const s = start === null ? dim.sub(1) : norm(start);
  const e = stop === null ? Poly.const(-1) : norm(stop);
  return s.sub(e);
}
