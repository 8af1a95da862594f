/**
 * @fileoverview CSV text → rows (csv-parse: quotes, BOM, CRLF) → numeric tensors (session/io/csv.ts).
 * Browser-safe; session/node/csv.ts adds reading files. Errors name `file:line:col`.
 */
import { parse } from 'csv-parse/sync';
import { InvalidArgumentError } from '../errors.js';
import { type CsvOptions, type CsvRow, type CsvTable, tableFromRows } from './csv.js';

/** Split CSV text into rows of cells with their line numbers. */
export function splitCsv(text: string, source = '<csv>', delimiter = ','): CsvRow[] {
  try {
    const recs = parse(text, { bom: true, delimiter, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as Array<{
      record: string[];
      info: { bytes: number };
    }>;
    // csv-parse's own line counter drifts on CRLF inside quotes; derive each record's first line
    // from its end offset (info.bytes, in UTF-8 bytes) instead.
    const utf8 = new TextEncoder().encode(text);
    const breaks = (s: string): number => s.match(/\r\n|\r|\n/g)?.length ?? 0;
    const rows: CsvRow[] = [];
    let pos = 0;
    let line = 1;
    for (const r of recs) {
      let end = r.info.bytes;
      if (utf8[end - 1] === 0x0a) end--;
      if (utf8[end - 1] === 0x0d) end--;
      for (; pos < end; pos++) {
        const b = utf8[pos];
        if (b === 0x0a || (b === 0x0d && utf8[pos + 1] !== 0x0a)) line++;
      }
      rows.push({ cells: r.record, line: line - r.record.reduce((a, c) => a + breaks(c), 0) });
    }
    return rows;
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new InvalidArgumentError(`${source}${err.lines ? `:${err.lines}` : ''}: malformed CSV: ${err.message}`);
  }
}

/** Parse CSV text into features (and an optional target). */
export function parseCsv(text: string, opts: CsvOptions & { delimiter?: string } = {}): CsvTable {
  const source = opts.source ?? '<csv>';
  return tableFromRows(splitCsv(text, source, opts.delimiter), { ...opts, source });
}
