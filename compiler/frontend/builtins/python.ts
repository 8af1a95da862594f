/**
 * @fileoverview Python's builtins that construction code uses: len, range (Python's: a list
 * of ints for loops; TF's op is `tf_range`), print (to stderr at construction time), int,
 * float, str, repr, abs (in ops.ts: it is also tf.abs), min, max, sum, enumerate, zip, list,
 * tuple, dict, sorted, reversed, any, all, round, and hasattr/getattr/setattr (function
 * attributes, for the `relu.threshold` idiom). `isinstance` is deliberately absent.
 */
import { checkItems } from '../budget.js';
import { binaryOp, pyCompare } from '../operators.js';
import { typeError, valueError } from '../errors.js';
import { getAttribute, hasAttribute } from '../attributes.js';
import {
  type Value,
  FALSE,
  NONE,
  TRUE,
  bool,
  dict,
  float,
  exactInt,
  int,
  isNumber,
  iterate,
  list,
  numberOf,
  pyRepr,
  pyStr,
  str,
  truthy,
  tuple,
  typeName,
} from '../values.js';
import { type BuiltinDef, arg, builtin, rest } from './spec.js';
import { strArg } from '../convert.js';

function toInt(v: Value): Value {
  if (v.kind === 'int') return v;
  if (v.kind === 'bool') return int(v.value ? 1 : 0);
  if (v.kind === 'float') {
    if (!Number.isFinite(v.value)) throw valueError(`cannot convert float ${v.value > 0 ? 'infinity' : 'NaN'} to integer`);
    return exactInt(Math.trunc(v.value));
  }
  if (v.kind === 'str') {
    if (!/^\s*[-+]?\d+\s*$/.test(v.value)) throw valueError(`invalid literal for int() with base 10: ${pyRepr(v)}`);
    return int(Number(v.value));
  }
  throw typeError(`int() argument must be a string, a bytes-like object or a number, not '${typeName(v)}'`);
}

function toFloat(v: Value): Value {
  if (isNumber(v)) return float(numberOf(v));
  if (v.kind === 'str') {
    const s = v.value.trim().toLowerCase();
    const x = s === 'inf' || s === '+inf' ? Infinity : s === '-inf' ? -Infinity : s === 'nan' ? NaN : Number(s);
    if (s === '' || (Number.isNaN(x) && s !== 'nan')) throw valueError(`could not convert string to float: ${pyRepr(v)}`);
    return float(x);
  }
  throw typeError(`float() argument must be a string or a number, not '${typeName(v)}'`);
}

/** Python conversions a dtype value performs when called (`float(x)`, `bool(x)`; float is also float32). */
export function callDTypeAsPython(dtype: string, args: Value[]): Value {
  if (args.length !== 1) throw typeError(`${dtype}() takes exactly one argument (${args.length} given)`);
  if (dtype === 'bool') return bool(truthy(args[0]));
  if (dtype === 'i32') return toInt(args[0]);
  return toFloat(args[0]);
}

function extremum(name: 'min' | 'max', vals: Value[]): Value {
  const items = vals.length === 1 ? iterate(vals[0]) : vals;
  if (items.length === 0) throw valueError(`${name}() arg is an empty sequence`);
  let best = items[0];
  for (const v of items.slice(1)) if (pyCompare(name === 'min' ? '<' : '>', v, best)) best = v;
  return best;
}

export const PYTHON_BUILTINS: BuiltinDef[] = [
  builtin('Python', 'len', 'obj', 'Python', 'Length of a list, tuple, str, dict or TensorShape.', (a) => {
    const v = arg(a, 'obj');
    switch (v.kind) {
      case 'list':
      case 'tuple':
        return int(v.items.length);
      case 'str':
        return int(v.value.length);
      case 'dict':
        return int(v.map.size);
      case 'shape':
        if (v.dims === null) throw valueError('Cannot take the length of shape with unknown rank.');
        return int(v.dims.length);
      case 'tensor':
      case 'variable':
        throw typeError('len is not well defined for symbolic Tensors. Please call `x.shape` rather than `len(x)` for shape information.');
      default:
        throw typeError(`object of type '${typeName(v)}' has no len()`);
    }
  }),
  builtin(
    'Python',
    'range',
    'start, stop=None, step=1',
    'Python',
    "Python's range, as a list of ints (for loops and comprehensions); the TF op is tf_range.",
    (a) => {
      let start = arg(a, 'start');
      let stop = arg(a, 'stop');
      if (stop.kind === 'none') {
        stop = start;
        start = int(0);
      }
      const s = numberOf(toIntStrict(start));
      const e = numberOf(toIntStrict(stop));
      const st = numberOf(toIntStrict(arg(a, 'step')));
      if (st === 0) throw valueError('range() arg 3 must not be zero');
      const count = Math.max(0, Math.ceil((e - s) / st));
      checkItems(count, 'range()');
      const out: Value[] = new Array<Value>(count);
      for (let k = 0; k < count; k++) out[k] = int(s + k * st);
      return list(out);
    },
  ),
  builtin(
    'Python',
    'print',
    "*objects, sep=' ', end='\\n'",
    'Python',
    'Prints to stderr while the graph is built (tensors print as Tensor("name:0", shape=..., dtype=...)).',
    (a, ctx) => {
      const sep = arg(a, 'sep');
      const end = arg(a, 'end');
      const sepS = sep.kind === 'none' ? ' ' : strArg(sep, 'sep');
      const endS = end.kind === 'none' ? '\n' : strArg(end, 'end').replace(/\\n/g, '\n');
      ctx.print(
        rest(a, 'objects')
          .map((v) => pyStr(v))
          .join(sepS) + endS,
      );
      return NONE;
    },
  ),
  builtin('Python', 'int', 'x=0', 'Python', 'int(x): truncates floats; int(shape[i]) of a known dimension.', (a) => toInt(arg(a, 'x'))),
  builtin('Python', 'str', "object=''", 'Python', 'str(x).', (a) => str(pyStr(arg(a, 'object')))),
  builtin('Python', 'repr', 'object', 'Python', 'repr(x).', (a) => str(pyRepr(arg(a, 'object')))),
  builtin('Python', 'min', '*args', 'Python', 'Smallest of an iterable or of the arguments.', (a) => extremum('min', rest(a, 'args'))),
  builtin('Python', 'max', '*args', 'Python', 'Largest of an iterable or of the arguments.', (a) => extremum('max', rest(a, 'args'))),
  builtin('Python', 'sum', 'iterable, start=0', 'Python', 'start + x0 + x1 + ... with `+` (tensors make add nodes, as in Python).', (a, ctx) => {
    let acc = arg(a, 'start');
    for (const v of iterate(arg(a, 'iterable'))) acc = binaryOp(ctx, '+', acc, v);
    return acc;
  }),
  builtin('Python', 'enumerate', 'iterable, start=0', 'Python', 'List of (index, item) tuples.', (a) => {
    const s = numberOf(toIntStrict(arg(a, 'start')));
    return list(iterate(arg(a, 'iterable')).map((v, i) => tuple([int(s + i), v])));
  }),
  builtin('Python', 'zip', '*iterables', 'Python', 'List of tuples, as long as the shortest input.', (a) => {
    const its = rest(a, 'iterables').map(iterate);
    const n = its.length ? Math.min(...its.map((x) => x.length)) : 0;
    const out: Value[] = [];
    for (let i = 0; i < n; i++) out.push(tuple(its.map((x) => x[i])));
    return list(out);
  }),
  builtin('Python', 'list', 'iterable=None', 'Python', 'A new list (of an iterable).', (a) =>
    list(arg(a, 'iterable').kind === 'none' ? [] : iterate(arg(a, 'iterable'))),
  ),
  builtin('Python', 'tuple', 'iterable=None', 'Python', 'A tuple (of an iterable).', (a) =>
    tuple(arg(a, 'iterable').kind === 'none' ? [] : iterate(arg(a, 'iterable'))),
  ),
  builtin('Python', 'dict', 'pairs=None', 'Python', 'A dict from (key, value) pairs.', (a) => {
    const p = arg(a, 'pairs');
    if (p.kind === 'none') return dict();
    if (p.kind === 'dict') return dict([...p.map.values()].map((e) => [e.key, e.value]));
    return dict(
      iterate(p).map((e) => {
        const kv = iterate(e);
        if (kv.length !== 2) throw valueError(`dictionary update sequence element has length ${kv.length}; 2 is required`);
        return [kv[0], kv[1]] as [Value, Value];
      }),
    );
  }),
  builtin('Python', 'sorted', 'iterable, reverse=False', 'Python', 'A sorted list.', (a) => {
    const items = iterate(arg(a, 'iterable'));
    items.sort((x, y) => (pyCompare('<', x, y) ? -1 : pyCompare('<', y, x) ? 1 : 0));
    if (truthy(arg(a, 'reverse'))) items.reverse();
    return list(items);
  }),
  builtin('Python', 'reversed', 'seq', 'Python', 'The items in reverse order (a list).', (a) => list(iterate(arg(a, 'seq')).reverse())),
  builtin('Python', 'any', 'iterable', 'Python', 'True if any item is true.', (a) => (iterate(arg(a, 'iterable')).some(truthy) ? TRUE : FALSE)),
  builtin('Python', 'all', 'iterable', 'Python', 'True if every item is true.', (a) => (iterate(arg(a, 'iterable')).every(truthy) ? TRUE : FALSE)),
  builtin('Python', 'round', 'number, ndigits=None', 'Python', "Python's round (half to even).", (a) => {
    const x = numberOf(arg(a, 'number'));
    const nd = arg(a, 'ndigits');
    const k = nd.kind === 'none' ? 0 : numberOf(nd);
    const f = Math.pow(10, k);
    const y = x * f;
    const r = Math.round(y);
    const even = Math.abs(y % 1) === 0.5 ? 2 * Math.round(y / 2) : r;
    return nd.kind === 'none' ? int(even) : float(even / f);
  }),
  builtin('Python', 'hasattr', 'object, name', 'Python', 'Whether the value has the attribute (function attributes included).', (a, ctx) =>
    bool(hasAttribute(ctx, arg(a, 'object'), strArg(arg(a, 'name'), 'name'))),
  ),
  builtin('Python', 'getattr', 'object, name, default=None', 'Python', 'An attribute by name.', (a, ctx) => {
    const o = arg(a, 'object');
    const n = strArg(arg(a, 'name'), 'name');
    if (!hasAttribute(ctx, o, n) && arg(a, 'default').kind !== 'none') return arg(a, 'default');
    return getAttribute(ctx, o, n);
  }),
  builtin(
    'Python',
    'setattr',
    'object, name, value',
    'Python',
    'Sets an attribute of a user function (the TF1 `relu.threshold = ...` idiom) or object.',
    (a) => {
      const o = arg(a, 'object');
      const n = strArg(arg(a, 'name'), 'name');
      if (o.kind === 'function' || o.kind === 'object') o.attrs.set(n, arg(a, 'value'));
      else throw typeError(`cannot set attribute '${n}' of a '${typeName(o)}' value (only functions and objects have settable attributes)`);
      return NONE;
    },
  ),
];

function toIntStrict(v: Value): Value {
  if (v.kind === 'int' || v.kind === 'bool') return toInt(v);
  throw typeError(`'${typeName(v)}' object cannot be interpreted as an integer`);
}
