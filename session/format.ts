/**
 * @fileoverview Tensors as numpy's `str(array)` prints them (`[[1. 2.]\n [3. 4.]]`): the CLI's
 * output and the playground's tables. Apart from session/tensor.ts so a page that only runs
 * models does not carry it.
 */
import type { DType } from './dtype.js';
import { type Tensor, stridesOf } from './tensor.js';

function formatScalar(dtype: DType, v: number): string {
  if (dtype === 'bool') return v ? 'True' : 'False';
  if (dtype === 'i32') return String(v);
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.`;
  const digits = dtype === 'f32' ? 8 : 17;
  let s = Number(v.toPrecision(digits)).toString();
  if (s.includes('e')) {
    const [m, e] = s.split('e');
    const exp = Number(e);
    s = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return s;
}

/** numpy's print options (`np.set_printoptions`) that shape the layout of `str(array)`. */
export interface PrintOptions {
  /** Arrays with more elements than this are summarised with `...` (numpy's default 1000). */
  threshold?: number;
  /** Items kept at the start and end of each summarised axis (numpy's default 3). */
  edgeitems?: number;
  /** Line width rows are wrapped at (numpy's default 75). */
  linewidth?: number;
}

/**
 * numpy-style printing, laid out as numpy's `str(array)` (`array2string`, `_formatArray`):
 * scalars as numpy prints them; arrays bracketed, one row per line, blank lines between blocks
 * of higher axes, rows wrapped at `linewidth`. Arrays of more than `threshold` elements show
 * `edgeitems` items at each end of every long axis around `...` (the element width is taken over
 * the items shown only), so printing costs O(items shown) whatever the size; an empty array is
 * `[]` whatever its shape.
 */
export function formatTensor(t: Tensor, opts: PrintOptions = {}): string {
  const threshold = opts.threshold ?? 1000;
  const edge = opts.edgeitems ?? 3;
  const linewidth = opts.linewidth ?? 75;
  if (t.shape.length === 0) return formatScalar(t.dtype, t.data[0]);
  if (t.size === 0) return '[]';
  const summary = t.size > threshold;
  const shape = t.shape;
  const strides = stridesOf(shape);
  const showSummary = (n: number): boolean => summary && 2 * edge < n;
  /** Indices shown along an axis of length n. */
  const shown = (n: number): number[] =>
    showSummary(n)
      ? [...Array.from({ length: edge }, (_, i) => i), ...Array.from({ length: edge }, (_, i) => n - edge + i)]
      : Array.from({ length: n }, (_, i) => i);
  // The element width over the items shown (numpy's _leading_trailing before _get_format_function).
  const strs = new Map<number, string>();
  let width = 0;
  const collect = (axis: number, off: number): void => {
    if (axis === shape.length) {
      const s = formatScalar(t.dtype, t.data[off]);
      strs.set(off, s);
      width = Math.max(width, s.length);
      return;
    }
    for (const i of shown(shape[axis])) collect(axis + 1, off + i * strides[axis]);
  };
  collect(0, 0);
  const word = (off: number): string => strs.get(off)!.padStart(width);
  /** numpy's _extendLine (legacy=False): wrap before `w` unless the line holds only the indent. */
  const extend = (acc: { s: string; line: string }, w: string, lineWidth: number, indent: string): void => {
    if (acc.line.length + w.length > lineWidth && acc.line.length > indent.length) {
      acc.s += `${acc.line.trimEnd()}\n`;
      acc.line = indent;
    }
    acc.line += w;
  };
  const rec = (axis: number, off: number, hanging: string, currWidth: number): string => {
    const n = shape[axis];
    const stride = strides[axis];
    const summarise = showSummary(n);
    const leading = summarise ? edge : 0;
    const trailing = summarise ? edge : n;
    let s = '';
    if (axis === shape.length - 1) {
      const elemWidth = currWidth - 1; // max(len(separator.rstrip()), len(']'))
      const acc = { s: '', line: hanging };
      for (let i = 0; i < leading; i++) {
        extend(acc, word(off + i * stride), elemWidth, hanging);
        acc.line += ' ';
      }
      if (summarise) {
        extend(acc, '...', elemWidth, hanging);
        acc.line += ' ';
      }
      for (let i = trailing; i > 1; i--) {
        extend(acc, word(off + (n - i) * stride), elemWidth, hanging);
        acc.line += ' ';
      }
      extend(acc, word(off + (n - 1) * stride), elemWidth, hanging);
      s = acc.s + acc.line;
    } else {
      const next = `${hanging} `;
      const lineSep = '\n'.repeat(shape.length - axis - 1);
      for (let i = 0; i < leading; i++) s += hanging + rec(axis + 1, off + i * stride, next, currWidth - 1) + lineSep;
      if (summarise) s += `${hanging}...${lineSep}`;
      for (let i = trailing; i > 1; i--) s += hanging + rec(axis + 1, off + (n - i) * stride, next, currWidth - 1) + lineSep;
      s += hanging + rec(axis + 1, off + (n - 1) * stride, next, currWidth - 1);
    }
    return `[${s.slice(hanging.length)}]`;
  };
  return rec(0, 0, ' ', linewidth);
}
