/**
 * @fileoverview Numeric CSV loading: header detection, column selection, target split, and
 * located errors for missing, non-numeric or ragged cells.
 */
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsv, readCsv } from '../../session/node/csv.js';
import { parseNumberCell, tableFromRows } from '../../session/io/csv.js';
import { InvalidArgumentError, NotFoundError } from '../../session/errors.js';

const TEXT = 'x1,x2,"label"\n1,2.5,0\n-3,4e-1,1\n5,  6 ,1\n';

t.test('header detected, all columns, target split off', (t) => {
  const tab = parseCsv(TEXT, { target: 'label' });
  t.same(tab.columns, ['x1', 'x2']);
  t.equal(tab.targetColumn, 'label');
  t.same([...tab.features.shape], [3, 2]);
  t.same(Array.from(tab.features.data), [1, 2.5, -3, Math.fround(0.4), 5, 6]);
  t.same(Array.from(tab.target!.data), [0, 1, 1]);
  t.equal(tab.features.dtype, 'f32');
  t.end();
});

t.test('column selection by name or index, dtypes, no header', (t) => {
  const a = parseCsv(TEXT, { columns: ['x2', 0], target: -1, dtype: 'f64', targetDtype: 'i32' });
  t.same(a.columns, ['x2', 'x1']);
  t.same(Array.from(a.features.data), [2.5, 1, 0.4, -3, 6, 5]);
  t.equal(a.target!.dtype, 'i32');
  const b = parseCsv('1,2\n3,4\n');
  t.same(b.columns, ['col0', 'col1']);
  t.same([...b.features.shape], [2, 2]);
  t.equal(b.target, undefined);
  const c = parseCsv('1,2\n3,4\n', { header: true });
  t.same(c.columns, ['1', '2']);
  t.same([...c.features.shape], [1, 2]);
  const d = parseCsv('a;b\n1;nan\n2;-inf\n', { delimiter: ';' });
  t.ok(Number.isNaN(d.features.data[1]));
  t.equal(d.features.data[3], -Infinity);
  t.end();
});

t.test('errors name the file, line and column', (t) => {
  t.throws(() => parseCsv('a,b\n1,2\n3,\n', { source: 'd.csv' }), { message: 'd.csv:3:2: missing value in column "b"' });
  t.throws(() => parseCsv('a,b\n1,2\n\n3,x7\n', { source: 'd.csv' }), { message: 'd.csv:4:2: "x7" in column "b" is not a number' });
  t.throws(() => parseCsv('a,b\n1,2\n3\n', { source: 'd.csv' }), { message: /d\.csv:3: row has 1 fields, expected 2/ });
  t.throws(() => parseCsv('a,b\r\n"1\r\n",2\r\n3,z\r\n', { source: 'd.csv' }), { message: /^d\.csv:4:2:/ }, 'lines count quoted newlines');
  t.throws(() => parseCsv(TEXT, { target: 'nope', source: 'd.csv' }), { message: /no target column named "nope" \(columns: x1, x2, label\)/ });
  t.throws(() => parseCsv('1,2\n', { columns: ['a'], source: 'd.csv' }), { message: /given by name, but the file has no header row/ });
  t.throws(() => parseCsv(TEXT, { columns: [5] }), { message: /feature column index 5 is out of range \(the file has 3 columns\)/ });
  t.throws(() => parseCsv(TEXT, { columns: ['x1', 'label'], target: 'label' }), { message: /both a feature and the target/ });
  t.throws(() => parseCsv('a\n1.5\n', { dtype: 'i32', source: 'd.csv' }), { message: 'd.csv:2:1: "1.5" is not an int32' });
  t.throws(() => parseCsv('a,"b\n1,2\n', { source: 'q.csv' }), { message: /q\.csv.*malformed CSV/ });
  t.throws(() => parseCsv('', { source: 'e.csv' }), InvalidArgumentError);
  t.end();
});

t.test('readCsv reads files and reports missing ones', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfg-csv-'));
  const p = join(dir, 'data.csv');
  writeFileSync(p, '\ufeffa,b\n1,2\n');
  t.same(Array.from(readCsv(p).features.data), [1, 2]);
  t.throws(() => readCsv(p, { columns: ['c'] }), { message: new RegExp(`^${p.replace(/[.\\/]/g, '\\$&')}: no feature column named "c"`) });
  t.throws(() => readCsv(join(dir, 'nope.csv')), NotFoundError);
  t.end();
});

t.test('numbers parse like float()', (t) => {
  t.same(['1', ' -2.5 ', '.5', '1e3', '+4', 'Inf', '-infinity'].map(parseNumberCell), [1, -2.5, 0.5, 1000, 4, Infinity, -Infinity]);
  t.same(['', 'abc', '1,5', '0x10', '1e', '--1'].map(parseNumberCell), [null, null, null, null, null, null]);
  t.same(Array.from(tableFromRows([{ cells: ['3'], line: 7 }], { header: false }).features.data), [3]);
  t.end();
});
