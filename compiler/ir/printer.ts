/**
 * @fileoverview The text form of a graph IR, one node per line like a jaxpr:
 * ```
 * %X: f32[?,3] = placeholder() {dtype=f32, shape=[?,3]} @ prog.tfg:1:5
 * %loss/mse: f32[] = reduce_mean(%loss/Square) {axis=null, keepdims=false} @ prog.tfg:4:9
 * %init = group() ^[%Assign, %Assign_1] @ prog.tfg:7:8
 * ```
 * `%name: dtype[shape]` (`?` unknown dim, `[*]` unknown rank; no type for operations without
 * output), the op, its data inputs, its attrs, its control inputs (`^[...]`) and the `.tfg`
 * location of the expression that made it. Used by `tfg graph`, golden tests and pass dumps.
 */
import { formatLocation } from '../diagnostics/span.js';
import type { AttrValue, Graph, Node } from './graph.js';
import type { Shape } from './shape.js';

export interface PrintOptions {
  /** Print `@ file:line:col` (default true). */
  locations?: boolean;
  /** Longest flat list printed in full inside attrs (default 8); longer ones are elided. */
  maxListItems?: number;
}

/** `f32[?,3]`, `f32[]`, `f32[*]` (unknown rank). */
export function formatType(dtype: string | null, shape: Shape): string {
  if (dtype === null) return '';
  if (shape === null) return `${dtype}[*]`;
  return `${dtype}[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

function isFlatList(v: AttrValue[]): boolean {
  return v.every((x) => x === null || typeof x !== 'object');
}

/** An attribute value in the printer's compact notation. */
export function formatAttrValue(v: AttrValue, maxItems = 8): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isNaN(v) ? 'nan' : Object.is(v, -0) ? '-0' : Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : '-inf';
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (isFlatList(v) && v.length > maxItems) {
      return `[${v
        .slice(0, maxItems)
        .map((x) => formatAttrValue(x, maxItems))
        .join(', ')}, ... (${v.length} values)]`;
    }
    return `[${v.map((x) => formatAttrValue(x, maxItems)).join(', ')}]`;
  }
  return `{${Object.entries(v)
    .map(([k, x]) => `${k}=${formatAttrValue(x, maxItems)}`)
    .join(', ')}}`;
}

/** Shape attrs print like types (`[?,3]`, null dims unknown); dtype attrs bare (`f32`). */
function formatAttr(key: string, v: AttrValue, maxItems: number): string {
  if ((key === 'dtype' || key.endsWith('_dtype')) && typeof v === 'string') return v;
  if ((key === 'shape' || key.endsWith('_shape')) && Array.isArray(v) && v.every((d) => d === null || typeof d === 'number')) {
    return `[${v.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
  }
  return formatAttrValue(v, maxItems);
}

/** One node as a line (without a trailing newline). */
export function printNode(n: Node, opts: PrintOptions = {}): string {
  const max = opts.maxListItems ?? 8;
  const type = formatType(n.dtype, n.shape);
  const lhs = type ? `%${n.name}: ${type}` : `%${n.name}`;
  const args = n.inputs.map((i) => `%${i.name}`).join(', ');
  const attrKeys = Object.keys(n.attrs);
  const attrs = attrKeys.length ? ` {${attrKeys.map((k) => `${k}=${formatAttr(k, n.attrs[k], max)}`).join(', ')}}` : '';
  const ctrl = n.controlInputs.length ? ` ^[${n.controlInputs.map((c) => `%${c.name}`).join(', ')}]` : '';
  const loc = opts.locations !== false && n.span ? ` @ ${formatLocation(n.span)}` : '';
  return `${lhs} = ${n.op}(${args})${attrs}${ctrl}${loc}`;
}

/** The whole graph, one node per line in creation order (inputs precede users). */
export function printGraph(g: Graph, opts: PrintOptions = {}): string {
  const lines = [`graph ${g.name} {  # ${g.nodes.length} nodes`];
  for (const n of g.nodes) lines.push(`  ${printNode(n, opts)}`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
