/**
 * @fileoverview Values on the command line: parsing `--feed NAME=VALUE` (a JSON or number
 * literal such as `X=[[1,2,3]]`, or a file `X=@data.npy|@data.csv|@data.json`), and printing
 * fetched values (numpy-style text `name = value`, summarised as numpy does past 1000 elements,
 * or JSON `{"dtype", "shape", "value"}` with every value), and writing them as `.npy`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { pyDTypeName } from '../session/dtype.js';
import { writeNpy, readNpy } from '../session/io/npy.js';
import { readNpz } from '../session/io/npz.js';
import { parseCsv } from '../session/node/csv.js';
import { type NestedValue, type Tensor, stridesOf } from '../session/tensor.js';
import { formatTensor } from '../session/format.js';
import { CliError } from './io.js';

export interface FeedArg {
  name: string;
  /** The text after `=`. */
  text: string;
}

/** Split `NAME=VALUE` at the first `=`; `@feeds.npz` alone feeds every array of the archive by its name. */
export function parseFeedArg(arg: string): FeedArg {
  if (arg.startsWith('@') && arg.toLowerCase().endsWith('.npz')) return { name: '', text: arg };
  const i = arg.indexOf('=');
  if (i <= 0) throw new CliError(`--feed expects NAME=VALUE (e.g. X=[[1,2,3]] or X=@data.npy) or @feeds.npz, got '${arg}'`);
  return { name: arg.slice(0, i), text: arg.slice(i + 1) };
}

/** The feeds of one --feed argument as (name, value) pairs: one, or every array of an `.npz`. */
export function loadFeeds(arg: FeedArg, baseDir = process.cwd()): [string, Tensor | NestedValue][] {
  if (arg.name !== '') return [[arg.name, loadFeedValue(arg, baseDir)]];
  const path = resolve(baseDir, arg.text.slice(1));
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new CliError(`--feed ${arg.text}: cannot read '${arg.text.slice(1)}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const arrays = readNpz(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
  if (arrays.size === 0) throw new CliError(`--feed ${arg.text}: the archive holds no arrays`);
  // numpy names a member `X.npy`; a member for `loss/mse` is saved as `loss/mse`.
  return [...arrays].map(([k, t]) => [k, t]);
}

/** A JSON value that is a number, a boolean or (nested) arrays of them. */
function checkNested(v: unknown, what: string): NestedValue {
  const ok = (x: unknown): boolean => typeof x === 'number' || typeof x === 'boolean' || (Array.isArray(x) && x.every(ok));
  if (!ok(v)) throw new CliError(`${what}: expected a number, a boolean or nested arrays of them`);
  return v as NestedValue;
}

/** Parse a literal: JSON (numbers, booleans, nested arrays); also `nan`, `inf`, `-inf`. */
export function parseLiteral(text: string, what: string): NestedValue {
  const t = text.trim();
  const special: Record<string, number> = { nan: NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity };
  if (t.toLowerCase() in special) return special[t.toLowerCase()];
  let v: unknown;
  try {
    v = JSON.parse(t.replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false'));
  } catch {
    throw new CliError(`${what}: cannot parse '${text}' as a number or a JSON array`);
  }
  return checkNested(v, what);
}

/** Load a feed value: a literal, or `@file` (.npy → tensor, .csv → numeric table, .json → nested). */
export function loadFeedValue(arg: FeedArg, baseDir = process.cwd()): Tensor | NestedValue {
  const what = `--feed ${arg.name}`;
  if (!arg.text.startsWith('@')) return parseLiteral(arg.text, what);
  const path = resolve(baseDir, arg.text.slice(1));
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new CliError(`${what}: cannot read '${arg.text.slice(1)}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case '.npy':
      return readNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
    case '.csv':
      // f64 so integer columns (labels) stay exact; the Session casts to the fed tensor's dtype.
      return parseCsv(bytes.toString('utf8'), { source: path, dtype: 'f64', header: 'auto' }).features;
    case '.json': {
      let v: unknown;
      try {
        v = JSON.parse(bytes.toString('utf8'));
      } catch (e) {
        throw new CliError(`${what}: ${arg.text.slice(1)} is not valid JSON (${(e as Error).message})`);
      }
      return checkNested(v, `${what} (${arg.text.slice(1)})`);
    }
    default:
      throw new CliError(`${what}: unsupported file type '${ext || arg.text}' (expected .npy, .csv or .json)`);
  }
}

/** `name = value`, numpy-style (`None` for an operation). */
export function formatFetchText(name: string, value: Tensor | null): string {
  return `${name} = ${value === null ? 'None' : formatTensor(value)}`;
}

/** A JSON-safe element: non-finite floats become the strings "NaN", "Infinity", "-Infinity". */
function jsonNumber(x: number | boolean): number | boolean | string {
  if (typeof x === 'number' && !Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  return x;
}

export interface FetchJson {
  dtype: string;
  shape: number[];
  value: unknown;
}

/** The longest JSON text `--json` builds (V8's strings stop a little above 2^29 characters). */
export const MAX_JSON_CHARS = 2 ** 28;

/**
 * The `--json` text of the fetches: `{"name": {"dtype", "shape", "value"} | null, ...}`, exactly
 * `JSON.stringify` of `fetchToJson` of each, built row by row (no nested copy of the values), and
 * refused with a CliError before building when it could not fit in one string.
 */
export function formatFetchesJson(values: readonly [string, Tensor | null][]): string {
  // A lower bound of the text's length: every element takes a character and a comma, every
  // array two brackets (a [65536, 65536, 0] tensor is 2^32 empty arrays).
  let least = 0;
  for (const [, v] of values) {
    if (!v) continue;
    let arrays = 1;
    let count = 0;
    for (const d of v.shape) {
      count += arrays;
      arrays *= d;
    }
    least += 2 * count + 2 * v.size;
  }
  const tooLarge = (): CliError =>
    new CliError(
      `--json: the fetched values are too large to print as one JSON text (more than ${MAX_JSON_CHARS} characters); write them with --out DIR (one .npy file per fetch)`,
    );
  if (least > MAX_JSON_CHARS) throw tooLarge();
  const parts: string[] = [];
  let len = 0;
  const push = (s: string): void => {
    len += s.length;
    if (len > MAX_JSON_CHARS) throw tooLarge();
    parts.push(s);
  };
  push('{');
  values.forEach(([name, v], k) => {
    push(`${k ? ',' : ''}${JSON.stringify(name)}:`);
    if (v === null) return push('null');
    push(`{"dtype":${JSON.stringify(pyDTypeName(v.dtype))},"shape":${JSON.stringify(v.shape)},"value":`);
    const elem = (i: number): string => JSON.stringify(jsonNumber(v.dtype === 'bool' ? v.data[i] !== 0 : v.data[i]));
    if (v.rank === 0) push(elem(0));
    else {
      const strides = stridesOf(v.shape);
      const rec = (axis: number, off: number): void => {
        const n = v.shape[axis];
        if (axis === v.rank - 1) {
          const row: string[] = [];
          for (let i = 0; i < n; i++) row.push(elem(off + i));
          return push(`[${row.join(',')}]`);
        }
        push('[');
        for (let i = 0; i < n; i++) {
          if (i) push(',');
          rec(axis + 1, off + i * strides[axis]);
        }
        push(']');
      };
      rec(0, 0);
    }
    push('}');
  });
  push('}');
  return parts.join('');
}

/** `{"dtype": "int32", "shape": [], "value": 42}`, or null for an operation. */
export function fetchToJson(value: Tensor | null): FetchJson | null {
  if (value === null) return null;
  const map = (v: NestedValue): unknown => (Array.isArray(v) ? v.map(map) : jsonNumber(v));
  return { dtype: pyDTypeName(value.dtype), shape: [...value.shape], value: map(value.toNested()) };
}

/** File name of a fetch in `--out DIR`: scopes and `:` become `_` (`loss/mse` → `loss_mse.npy`). */
export function npyFileName(name: string): string {
  return `${name.replace(/[/:\\]/g, '_')}.npy`;
}

/** Write each tensor as DIR/<name>.npy; returns the paths written. */
export function writeFetches(dir: string, values: readonly [string, Tensor | null][]): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, v] of values) {
    if (v === null) continue;
    const p = join(dir, npyFileName(name));
    writeFileSync(p, writeNpy(v));
    written.push(p);
  }
  return written;
}
