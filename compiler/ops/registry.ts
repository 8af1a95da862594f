/**
 * @fileoverview The op table: every OpDef of every family file, keyed by op name (`OpName`).
 * Family files export a record of OpDefs; add a family here and its ops exist everywhere
 * (builder, interpreter, gradients, fusion, codegen, docs table, op tests that loop over OPS).
 * Every entry is a whole `OpDef` (`satisfies Record<OpName, OpDef>`): its `grad` and `lower`
 * are required, so an op missing either fails `tsc`.
 */
import type { OpDef } from './def.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { LAYOUT_OPS } from './layout.js';
import { MATMUL_OPS } from './matmul.js';
import { NN_OPS } from './nn.js';
import { REDUCE_OPS } from './reduce.js';
import { SOURCE_OPS } from './source.js';
import { STATE_OPS } from './state.js';

const TABLE = { ...SOURCE_OPS, ...STATE_OPS, ...ELEMENTWISE_OPS, ...REDUCE_OPS, ...MATMUL_OPS, ...LAYOUT_OPS, ...NN_OPS };

/** The name of every op of the IR. */
export type OpName = keyof typeof TABLE;

export const OPS: Readonly<Record<OpName, OpDef>> = TABLE satisfies Record<OpName, OpDef>;

export function getOp(name: string): OpDef {
  if (!hasOp(name)) throw new Error(`unknown op '${name}'`);
  return OPS[name];
}

export function hasOp(name: string): name is OpName {
  return Object.prototype.hasOwnProperty.call(OPS, name);
}
