/**
 * @fileoverview The op table: every OpDef of every family file, keyed by op name.
 * Family files export a record of OpDefs; add a family here and its ops exist everywhere
 * (builder, interpreter, docs table, op tests that loop over OPS).
 */
import type { OpDef } from './def.js';

const families: Record<string, OpDef>[] = [];

export const OPS: Readonly<Record<string, OpDef>> = Object.assign({}, ...families);

export function getOp(name: string): OpDef {
  const def = OPS[name];
  if (!def) throw new Error(`unknown op '${name}'`);
  return def;
}

export function hasOp(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(OPS, name);
}
