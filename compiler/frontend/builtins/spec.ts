/**
 * @fileoverview How builtins are declared: a name, a Python signature written as text
 * (`"input_tensor, axis=None, keepdims=None, name=None"`, `*inputs` for varargs), the TF1
 * counterpart, one line of doc and the implementation. Arguments are bound like Python's
 * (positional, keyword, defaults); an unknown keyword is a TypeError naming the function and
 * its parameters. docs/language.md's builtin list is generated from these declarations.
 */
import { didYouMean } from '../../diagnostics/suggest.js';
import type { DType } from '../../../session/dtype.js';
import type { Ctx } from '../context.js';
import { FE, FrontendError } from '../errors.js';
import { type Value, FALSE, NONE, TRUE, dtypeValue, float, int, str } from '../values.js';

export interface ParamDecl {
  name: string;
  /** undefined: required. */
  default?: Value;
}

export interface BuiltinDef {
  name: string;
  /** The Python signature as written in the docs. */
  signature: string;
  params: ParamDecl[];
  /** Name of the *varargs parameter, or null. */
  rest: string | null;
  /** TF1 counterpart (`tf.reduce_sum`), or `Python` for Python builtins. */
  tf1: string;
  doc: string;
  /** Section of the docs (Python, Tensors, Math, Reductions, ...). */
  group: string;
  impl: (a: Args, ctx: Ctx) => Value;
}

/** Bound arguments: by parameter name, plus the varargs list. */
export interface Args {
  [name: string]: Value | Value[];
}

export function arg(a: Args, name: string): Value {
  return a[name] as Value;
}
export function rest(a: Args, name: string): Value[] {
  return a[name] as Value[];
}

const DTYPE_LITERALS: Record<string, DType> = { float32: 'f32', float64: 'f64', int32: 'i32', bool: 'bool' };

function parseDefault(text: string): Value {
  const t = text.trim();
  if (t === 'None') return NONE;
  if (t === 'True') return TRUE;
  if (t === 'False') return FALSE;
  if (/^-?\d+$/.test(t)) return int(Number(t));
  if (/^-?(\d+\.\d*|\.\d+|\d+(\.\d*)?e-?\d+)$/.test(t)) return float(Number(t));
  const q = /^"(.*)"$/.exec(t) ?? /^'(.*)'$/.exec(t);
  if (q) return str(q[1]);
  if (DTYPE_LITERALS[t]) return dtypeValue(DTYPE_LITERALS[t]);
  throw new Error(`bad default literal '${t}' in a builtin signature`);
}

export function builtin(group: string, name: string, signature: string, tf1: string, doc: string, impl: (a: Args, ctx: Ctx) => Value): BuiltinDef {
  const params: ParamDecl[] = [];
  let restName: string | null = null;
  for (const part of signature
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    if (part.startsWith('*')) {
      restName = part.slice(1);
      continue;
    }
    const eq = part.indexOf('=');
    if (eq < 0) params.push({ name: part });
    else params.push({ name: part.slice(0, eq).trim(), default: parseDefault(part.slice(eq + 1)) });
  }
  return { name, signature, params, rest: restName, tf1, doc, group, impl };
}

function argError(msg: string): FrontendError {
  return new FrontendError(FE.ARGUMENTS, 'TypeError', msg);
}

/** Bind call arguments to a builtin's parameters, Python style. */
export function bindArgs(def: BuiltinDef, args: Value[], kwargs: [string, Value][]): Args {
  const out: Args = {};
  const n = def.params.length;
  const restVals: Value[] = [];
  // With *rest first (group(*inputs, name=None)), all positionals go to rest.
  const restFirst = def.rest !== null && def.signature.trim().startsWith('*');
  args.forEach((v, i) => {
    if (!restFirst && i < n) out[def.params[i].name] = v;
    else if (def.rest !== null) restVals.push(v);
    else {
      const req = def.params.filter((p) => p.default === undefined).length;
      const takes = req === n ? `${n}` : `from ${req} to ${n}`;
      throw argError(`${def.name}() takes ${takes} positional argument${n === 1 ? '' : 's'} but ${args.length} ${args.length === 1 ? 'was' : 'were'} given`);
    }
  });
  for (const [k, v] of kwargs) {
    if (!def.params.some((p) => p.name === k)) {
      throw argError(
        `${def.name}() got an unexpected keyword argument '${k}'${didYouMean(
          k,
          def.params.map((p) => p.name),
          'plain',
        )} (parameters: ${def.signature})`,
      );
    }
    if (k in out) throw argError(`${def.name}() got multiple values for argument '${k}'`);
    out[k] = v;
  }
  const missing = def.params.filter((p) => !(p.name in out) && p.default === undefined).map((p) => p.name);
  if (missing.length) {
    const names = missing.map((m) => `'${m}'`);
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    throw argError(`${def.name}() missing ${missing.length} required positional argument${missing.length === 1 ? '' : 's'}: ${list}`);
  }
  for (const p of def.params) if (!(p.name in out)) out[p.name] = p.default!;
  if (def.rest !== null) out[def.rest] = restVals;
  return out;
}
