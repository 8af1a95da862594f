/**
 * @fileoverview The builtin table: every binding (Python builtins, op bindings, variables and
 * scopes) and the constants (dtypes and their aliases, AUTO_REUSE, GraphKeys), gathered into
 * the global environment of a program. `builtinDocs()` renders the table as the markdown list
 * in docs/language.md.
 */
import type { DType } from '../../../session/dtype.js';
import type { Ctx } from '../context.js';
import { type Value, NONE, dtypeValue } from '../values.js';
import { OP_BUILTINS } from './ops.js';
import { PYTHON_BUILTINS } from './python.js';
import { type BuiltinDef, bindArgs } from './spec.js';
import { STATE_BUILTINS, STATE_CONSTANTS } from './state.js';
import { DATA_BUILTINS } from './data.js';
import { TRAIN_BUILTINS } from './train.js';
import { TRAIN_RECIPE_BUILTINS } from './sources.js';

export const BUILTIN_TABLE: readonly BuiltinDef[] = [
  ...PYTHON_BUILTINS,
  ...OP_BUILTINS,
  ...STATE_BUILTINS,
  ...TRAIN_BUILTINS,
  ...DATA_BUILTINS,
  ...TRAIN_RECIPE_BUILTINS,
];

/** dtype constants: tfg short names, TF names, and C-style aliases (`float` and `bool` also act as Python's float()/bool() when called). */
export const DTYPE_NAMES: Record<string, DType> = {
  f32: 'f32',
  float32: 'f32',
  float: 'f32',
  f64: 'f64',
  float64: 'f64',
  double: 'f64',
  i32: 'i32',
  int32: 'i32',
  bool: 'bool',
};

export function builtinValue(def: BuiltinDef): Value {
  return { kind: 'builtin', name: def.name, call: (args, kwargs, ctx) => def.impl(bindArgs(def, args, kwargs), ctx as Ctx) };
}

/** The global environment: name → value. */
export function globalEnvironment(): Map<string, Value> {
  const env = new Map<string, Value>();
  for (const d of BUILTIN_TABLE) env.set(d.name, builtinValue(d));
  for (const [k, d] of Object.entries(DTYPE_NAMES)) env.set(k, dtypeValue(d));
  for (const [k, v] of Object.entries(STATE_CONSTANTS)) env.set(k, v);
  env.set('newaxis', NONE);
  return env;
}

/** Markdown list of every builtin by group: signature, TF1 counterpart, doc. */
export function builtinDocs(): string {
  const groups = new Map<string, BuiltinDef[]>();
  for (const d of BUILTIN_TABLE) groups.set(d.group, [...(groups.get(d.group) ?? []), d]);
  const out: string[] = [];
  for (const [g, defs] of groups) {
    out.push(`#### ${g}`, '');
    out.push('| builtin | TF1 | what |', '|---|---|---|');
    for (const d of defs)
      out.push(`| \`${d.name}(${d.signature})\` | ${d.tf1 === 'Python' ? 'Python builtin' : `\`${d.tf1}\``} | ${d.doc.replace(/\|/g, '\\|')} |`);
    out.push('');
  }
  out.push('#### Constants', '');
  out.push(
    `- dtypes: ${Object.keys(DTYPE_NAMES)
      .map((k) => `\`${k}\``)
      .join(', ')} (calling \`float(x)\`, \`bool(x)\`, \`int32(x)\` converts like Python's float/bool/int).`,
  );
  out.push(
    '- `AUTO_REUSE` (tf.AUTO_REUSE), `GraphKeys.GLOBAL_VARIABLES`, `GraphKeys.TRAINABLE_VARIABLES`, `GraphKeys.SUMMARIES`, `GraphKeys.TRAIN_OP` (the ops `apply_gradients` made), `GraphKeys.GLOBAL_STEP`, `newaxis` (None).',
  );
  return out.join('\n');
}
