/**
 * @fileoverview The op table: every OpDef of every family file, keyed by op name.
 * Family files export a record of OpDefs; add a family here and its ops exist everywhere
 * (builder, interpreter, docs table, op tests that loop over OPS).
 */
import type { OpDef } from './def.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { LAYOUT_OPS } from './layout.js';
import { MATMUL_OPS } from './matmul.js';
import { NN_OPS } from './nn.js';
import { REDUCE_OPS } from './reduce.js';
import { SOURCE_OPS } from './source.js';
import { STATE_OPS } from './state.js';

const families: Record<string, OpDef>[] = [SOURCE_OPS, STATE_OPS, ELEMENTWISE_OPS, REDUCE_OPS, MATMUL_OPS, LAYOUT_OPS, NN_OPS];

export const OPS: Readonly<Record<string, OpDef>> = Object.assign({}, ...families);

export function getOp(name: string): OpDef {
  const def = OPS[name];
  if (!def) throw new Error(`unknown op '${name}'`);
  return def;
}

export function hasOp(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(OPS, name);
}
