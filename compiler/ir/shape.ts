/**
 * @fileoverview Static shapes: a list of dims, each a number or null (unknown, printed `?`),
 * or null for an unknown rank. numpy broadcasting over static shapes lives here.
 */
export type Dim = number | null;
export type Shape = Dim[] | null;

export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** TF's TensorShape::MaxDimensions(): no tensor has more dims. */
export const MAX_DIMS = 254;

/**
 * The shape of `k` unknown dims (from a shape vector of known length `k` whose entries are not
 * known when the graph is built); a ShapeError past MAX_DIMS, before anything is allocated.
 */
export function unknownDims(k: number): Dim[] {
  checkDimCount(k);
  return new Array<Dim>(k).fill(null);
}

/** A ShapeError when a shape of `k` dims could not exist (more than MAX_DIMS). */
export function checkDimCount(k: number): void {
  if (k > MAX_DIMS) throw new ShapeError(`a shape of ${k} dimensions has more than the ${MAX_DIMS} a tensor can have`);
}

export function formatShape(s: Shape): string {
  if (s === null) return '<unknown>';
  return `[${s.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

/** TF1's Python-style rendering: `(?, 3)`, `()`, `(2,)`. */
export function formatShapePy(s: Shape): string {
  if (s === null) return '<unknown>';
  const items = s.map((d) => (d === null ? '?' : String(d)));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

export function isFullyDefined(s: Shape): s is number[] {
  return s !== null && s.every((d) => d !== null);
}

export function numElements(s: Shape): number | null {
  if (!isFullyDefined(s)) return null;
  return s.reduce((a, b) => a * b, 1);
}

/** Does a concrete shape fit a static one (TF's is_compatible_with)? */
export function isCompatible(concrete: readonly number[], s: Shape): boolean {
  if (s === null) return true;
  if (concrete.length !== s.length) return false;
  return s.every((d, i) => d === null || d === concrete[i]);
}

/** Are two static shapes compatible? */
export function shapesCompatible(a: Shape, b: Shape): boolean {
  if (a === null || b === null) return true;
  if (a.length !== b.length) return false;
  return a.every((d, i) => d === null || b[i] === null || d === b[i]);
}

/** Merge two compatible static shapes, keeping the more specific dims. */
export function mergeShapes(a: Shape, b: Shape): Shape {
  if (a === null) return b;
  if (b === null) return a;
  return a.map((d, i) => d ?? b[i]);
}

/**
 * numpy broadcasting of static shapes (unknown dims and ranks propagate); throws ShapeError with
 * TF1's wording on mismatch (the node builder appends the op and its input shapes).
 */
export function broadcastShapes(a: Shape, b: Shape): Shape {
  if (a === null || b === null) return null;
  const n = Math.max(a.length, b.length);
  const out: Dim[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === 1) out[i] = db;
    else if (db === 1) out[i] = da;
    else if (da === null) out[i] = db;
    else if (db === null) out[i] = da;
    else if (da === db) out[i] = da;
    else throw new ShapeError(`Dimensions must be equal, but are ${da} and ${db}`);
  }
  return out;
}

/** Broadcasting of concrete shapes (run time). Returns null on mismatch. */
export function broadcastConcrete(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else return null;
  }
  return out;
}

/** Normalize a possibly negative axis against a rank; throws ShapeError when out of range. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`axis ${axis} is out of bounds for a tensor of rank ${rank}`);
  return a;
}
