/**
 * @fileoverview grammar/cst.d.ts must be what grammar/gen-cst-dts.ts generates from the current
 * parser (regenerate with `node dist/grammar/gen-cst-dts.js`, or TFG_UPDATE=1).
 */
import t from 'tap';
import { golden } from '../helpers.js';
import { cstDtsText } from '../../grammar/cst-dts.js';

t.test('cst.d.ts is up to date', (t) => {
  const g = golden('grammar/cst.d.ts', cstDtsText());
  t.equal(g.actual, g.expected);
  t.end();
});
