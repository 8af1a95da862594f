/**
 * @fileoverview Node CSV loading: parse text or a file with csv-parse (quotes, BOM, CRLF), then
 * build numeric tensors with session/io/csv.ts. Errors name `file:line:col`.
 */
import { readFileSync } from 'node:fs';
import { NotFoundError } from '../errors.js';
import type { CsvOptions, CsvTable } from '../io/csv.js';
import { parseCsv } from '../io/csv-text.js';

export { splitCsv, parseCsv } from '../io/csv-text.js';

/** Read a CSV file into features (and an optional target). */
export function readCsv(path: string, opts: CsvOptions & { delimiter?: string } = {}): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new NotFoundError(`${path}: cannot read CSV file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseCsv(text, { ...opts, source: opts.source ?? path });
}
