/**
 * @fileoverview Numeric tables from CSV rows: header detection, column selection by name or
 * index, a target column split off, and clear `file:line:col` errors for missing or non-numeric
 * cells. Browser-safe: it takes rows already split into cells (session/node/csv.ts parses files
 * with csv-parse and calls this).
 */
import { type DType } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { InvalidArgumentError } from '../errors.js';

/** A column named by its header text or by its 0-based index. */
export type ColumnRef = string | number;

export interface CsvOptions {
  /** Whether the first row is a header: true, false, or 'auto' (default): a header when any of
   * its non-empty cells is not a number. */
  header?: boolean | 'auto';
  /** Feature columns, in this order (default: every column but the target). */
  columns?: ColumnRef[];
  /** A column split off as `target`. */
  target?: ColumnRef;
  /** dtype of the features (default f32). */
  dtype?: DType;
  /** dtype of the target (default: the features' dtype). */
  targetDtype?: DType;
  /** Name used in error messages (default `<csv>`). */
  source?: string;
}

export interface CsvTable {
  /** [rows, columns.length] */
  features: Tensor;
  /** [rows], when a target column was asked for. */
  target?: Tensor;
  /** Names of the feature columns (header text, or `col<i>` without a header). */
  columns: string[];
  /** Name of the target column. */
  targetColumn?: string;
}

/** A row of cells and the 1-based line it starts on in the source. */
export interface CsvRow {
  cells: string[];
  line: number;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

/** Parse a numeric cell the way numpy's `float()` would (also `inf`, `nan`); null if not a number. */
export function parseNumberCell(s: string): number | null {
  const t = s.trim();
  if (!NUMBER_RE.test(t)) return null;
  const l = t.toLowerCase().replace(/^\+/, '');
  if (l === 'nan' || l === '-nan') return NaN;
  if (l === 'inf' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  return Number(t);
}

function toValue(v: number, dtype: DType, where: () => string, raw: string): number {
  if (dtype === 'i32') {
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new InvalidArgumentError(`${where()}: "${raw}" is not an int32`);
  } else if (dtype === 'bool') {
    if (v !== 0 && v !== 1) throw new InvalidArgumentError(`${where()}: "${raw}" is not a bool (0 or 1)`);
  }
  return v;
}

/** Build the feature/target tensors from parsed rows. */
export function tableFromRows(rows: CsvRow[], opts: CsvOptions = {}): CsvTable {
  const source = opts.source ?? '<csv>';
  const dtype = opts.dtype ?? 'f32';
  const targetDtype = opts.targetDtype ?? dtype;
  if (rows.length === 0) throw new InvalidArgumentError(`${source}: the CSV file is empty`);
  const width = rows[0].cells.length;
  let hasHeader: boolean;
  if (opts.header === 'auto' || opts.header === undefined) hasHeader = rows[0].cells.some((c) => c.trim() !== '' && parseNumberCell(c) === null);
  else hasHeader = opts.header;
  const names = hasHeader ? rows[0].cells.map((c, i) => c.trim() || `col${i}`) : Array.from({ length: width }, (_, i) => `col${i}`);
  const body = hasHeader ? rows.slice(1) : rows;

  const resolve = (ref: ColumnRef, role: string): number => {
    if (typeof ref === 'number') {
      const i = ref < 0 ? width + ref : ref;
      if (!Number.isInteger(ref) || i < 0 || i >= width)
        throw new InvalidArgumentError(`${source}: ${role} column index ${ref} is out of range (the file has ${width} columns)`);
      return i;
    }
    const i = names.indexOf(ref);
    if (i < 0) {
      throw new InvalidArgumentError(
        hasHeader
          ? `${source}: no ${role} column named "${ref}" (columns: ${names.join(', ')})`
          : `${source}: ${role} column "${ref}" given by name, but the file has no header row`,
      );
    }
    if (names.indexOf(ref, i + 1) >= 0)
      throw new InvalidArgumentError(`${source}: ${role} column name "${ref}" is ambiguous (it appears more than once in the header)`);
    return i;
  };
  const targetIdx = opts.target !== undefined ? resolve(opts.target, 'target') : -1;
  const featIdx = opts.columns ? opts.columns.map((c) => resolve(c, 'feature')) : names.map((_, i) => i).filter((i) => i !== targetIdx);
  if (featIdx.includes(targetIdx)) throw new InvalidArgumentError(`${source}: column "${names[targetIdx]}" is both a feature and the target`);

  const n = body.length;
  const d = featIdx.length;
  const features = Tensor.zeros(dtype, [n, d]);
  const target = targetIdx >= 0 ? Tensor.zeros(targetDtype, [n]) : undefined;
  for (let r = 0; r < n; r++) {
    const { cells, line } = body[r];
    if (cells.length !== width)
      throw new InvalidArgumentError(
        `${source}:${line}: row has ${cells.length} fields, expected ${width}${hasHeader ? ' (as in the header)' : ' (as in the first row)'}`,
      );
    const cell = (c: number, into: Tensor, at: number, dt: DType): void => {
      const raw = cells[c];
      const where = () => `${source}:${line}:${c + 1}`;
      if (raw.trim() === '') throw new InvalidArgumentError(`${where()}: missing value in column "${names[c]}"`);
      const v = parseNumberCell(raw);
      if (v === null) throw new InvalidArgumentError(`${where()}: "${raw}" in column "${names[c]}" is not a number`);
      into.data[at] = toValue(v, dt, where, raw);
    };
    for (let j = 0; j < d; j++) cell(featIdx[j], features, r * d + j, dtype);
    if (target) cell(targetIdx, target, r, targetDtype);
  }
  const out: CsvTable = { features, columns: featIdx.map((i) => names[i]) };
  if (target) {
    out.target = target;
    out.targetColumn = names[targetIdx];
  }
  return out;
}
