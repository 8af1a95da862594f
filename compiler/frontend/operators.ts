/**
 * @fileoverview Python operators. Between Python numbers they are computed at once with
 * Python's rules (`/` gives a float, `//` floors, `%` takes the divisor's sign, `**`); as soon
 * as a tensor (or variable) is involved they build ops as TF1's operator overloads do:
 * `+` → `add` (node `add`, a Python operand converted to the tensor's dtype as `add/y`, or
 * `add/x` when it is on the left), `-` → `sub`, `*` → `mul`, `/` → `truediv` (int32 cast to
 * float64 first: `truediv/Cast`, `truediv/Cast_1`), `//` → `floordiv`, `%` → `mod`, `**` → `pow`,
 * `@` → `matmul`, unary `-` → `Neg`, `<` → `Less` (reflected when the tensor is on the right).
 * `==`/`!=` between tensors compare identity, as in TF1.
 */
import type { DType } from '../../session/dtype.js';
import { pyDTypeName } from '../../session/dtype.js';
import type { BinaryOp, CompareOp } from '../../grammar/ast.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { Ctx } from './context.js';
import { applyOp, convertInputs, convertToTensor, node, requireOp } from './convert.js';
import { checkItems } from './budget.js';
import { type FrontendError, overflowError, typeError, valueError, zeroDivision } from './errors.js';
import {
  type Value,
  asTensorNode,
  bool,
  exactInt,
  float,
  int,
  intOverflow,
  isNumber,
  isTensorLike,
  list,
  numberOf,
  pyEquals,
  pyFloatRepr,
  pyRepr,
  pyStr,
  str,
  tensor,
  truthy,
  tuple,
  typeName,
} from './values.js';

interface TensorBinary {
  op: string;
  tfType: string;
  scope: string;
}

const TENSOR_BINARY: Record<Exclude<BinaryOp, '/'>, TensorBinary> = {
  '+': { op: 'add', tfType: 'Add', scope: 'add' },
  '-': { op: 'sub', tfType: 'Sub', scope: 'sub' },
  '*': { op: 'mul', tfType: 'Mul', scope: 'mul' },
  '//': { op: 'floordiv', tfType: 'FloorDiv', scope: 'floordiv' },
  '%': { op: 'floormod', tfType: 'FloorMod', scope: 'mod' },
  '**': { op: 'pow', tfType: 'Pow', scope: 'pow' },
  '@': { op: 'matmul', tfType: 'MatMul', scope: 'matmul' },
};

/** `left op right` for any values. */
export function binaryOp(ctx: Ctx, op: BinaryOp, left: Value, right: Value): Value {
  if (isTensorLike(left) || isTensorLike(right)) return tensorBinary(ctx, op, left, right);
  return pyBinary(op, left, right);
}

function tensorBinary(ctx: Ctx, op: BinaryOp, left: Value, right: Value): Value {
  const leftIsTensor = isTensorLike(left);
  if (op !== '/') {
    const spec = TENSOR_BINARY[op];
    requireOp(spec.op, `the ${op} operator on tensors`);
  } else requireOp('div', 'the / operator on tensors');
  const scopeName = op === '/' ? 'truediv' : TENSOR_BINARY[op].scope;
  const n = ctx.graph.withNameScope(scopeName, (scope) => {
    // binary_op_wrapper / r_binary_op_wrapper: convert the Python operand to the tensor's dtype.
    let x: Node;
    let y: Node;
    if (leftIsTensor) {
      x = asTensorNode(left)!;
      y = asTensorNode(right) ?? convertToTensor(ctx, right, { dtype: x.dtype, name: 'y' });
    } else {
      y = asTensorNode(right)!;
      x = convertToTensor(ctx, left, { dtype: y.dtype, name: 'x' });
    }
    if (op === '/') return truediv(ctx, x, y, scope);
    const spec = TENSOR_BINARY[op];
    const inputs = convertInputs(ctx, spec.tfType, [
      { arg: op === '@' ? 'a' : 'x', value: tensor(x), type: 'T' },
      { arg: op === '@' ? 'b' : 'y', value: tensor(y), type: 'T' },
    ]);
    const attrs: Attrs = op === '@' ? { transpose_a: false, transpose_b: false } : {};
    return node(ctx, spec.op, inputs, attrs, scope);
  });
  return tensor(n);
}

const TRUEDIV_TABLE: Record<DType, DType | null | 'invalid'> = { i32: 'f64', f32: null, f64: null, bool: 'invalid' };

/** TF1's _truediv_python3: int32 operands are cast to float64, then RealDiv, named `scope`. */
export function truediv(ctx: Ctx, x: Node, y: Node, scope: string): Node {
  if (x.dtype !== y.dtype) throw typeError(`x and y must have the same dtype, got tf.${pyDTypeName(x.dtype!)} != tf.${pyDTypeName(y.dtype!)}`);
  const target = TRUEDIV_TABLE[x.dtype!];
  if (target === 'invalid') throw typeError(`Invalid dtype tf.${pyDTypeName(x.dtype!)} in __truediv__`);
  if (target) {
    x = ctx.graph.withNameScope('Cast', (s) => node(ctx, 'cast', [x], { dtype: target }, s));
    y = ctx.graph.withNameScope('Cast', (s) => node(ctx, 'cast', [y], { dtype: target }, s));
  }
  return node(ctx, 'div', [x, y], {}, scope);
}

const TENSOR_COMPARE: Record<'<' | '<=' | '>' | '>=', { op: string; tfType: string; mirror: '<' | '<=' | '>' | '>=' }> = {
  '<': { op: 'less', tfType: 'Less', mirror: '>' },
  '<=': { op: 'less_equal', tfType: 'LessEqual', mirror: '>=' },
  '>': { op: 'greater', tfType: 'Greater', mirror: '<' },
  '>=': { op: 'greater_equal', tfType: 'GreaterEqual', mirror: '<=' },
};

export function compareOp(ctx: Ctx, op: CompareOp, left: Value, right: Value): Value {
  if (op === '==') return bool(pyEquals(left, right));
  if (op === '!=') return bool(!pyEquals(left, right));
  if (isTensorLike(left) || isTensorLike(right)) {
    // Python reflects `2 < x` into `x > 2`.
    const [a, b, o] = isTensorLike(left) ? [left, right, op] : [right, left, TENSOR_COMPARE[op].mirror];
    const spec = TENSOR_COMPARE[o];
    return tensor(
      applyOp(ctx, {
        op: spec.op,
        tfType: spec.tfType,
        name: null,
        defaultName: spec.tfType,
        inputs: [
          { arg: 'x', value: a, type: 'T' },
          { arg: 'y', value: b, type: 'T' },
        ],
      }),
    );
  }
  return bool(pyCompare(op, left, right));
}

export function unaryOp(ctx: Ctx, op: '-' | '+', v: Value): Value {
  if (isTensorLike(v)) {
    if (op === '+') throw typeError(`bad operand type for unary +: '${typeName(v)}'`);
    return tensor(applyOp(ctx, { op: 'neg', tfType: 'Neg', name: null, defaultName: 'Neg', inputs: [{ arg: 'x', value: v, type: 'T' }] }));
  }
  if (v.kind === 'int' || v.kind === 'bool') return exactInt(op === '-' ? -numberOf(v) : numberOf(v));
  if (v.kind === 'float') return float(op === '-' ? -v.value : v.value);
  throw typeError(`bad operand type for unary ${op}: '${typeName(v)}'`);
}

// ---- Python arithmetic ----

function unsupported(op: string, a: Value, b: Value): FrontendError {
  return typeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

function isIntLike(v: Value): boolean {
  return v.kind === 'int' || v.kind === 'bool';
}

/**
 * The int result of `x op y` (`approx`, computed in doubles), or OverflowError when the exact
 * result is not a double: within the safe range doubles are exact; beyond it the result is
 * recomputed with BigInt and kept only if the double holds it exactly (`2**53 + 2` is kept,
 * `2**53 + 1` raises). `//` and `%` of large operands are computed exactly with BigInt.
 */
function intResult(op: BinaryOp, x: number, y: number, approx: number): Value {
  if (Number.isSafeInteger(approx) && Number.isSafeInteger(x) && Number.isSafeInteger(y)) return int(approx);
  if (!Number.isFinite(approx) && op !== '//' && op !== '%') throw intOverflow();
  const X = BigInt(x);
  const Y = BigInt(y);
  let exact: bigint;
  switch (op) {
    case '+':
      exact = X + Y;
      break;
    case '-':
      exact = X - Y;
      break;
    case '*':
      exact = X * Y;
      break;
    case '**':
      exact = X ** Y;
      break;
    case '//':
    case '%': {
      const q = X / Y - (X % Y !== 0n && X < 0n !== Y < 0n ? 1n : 0n);
      exact = op === '//' ? q : X - q * Y;
      break;
    }
    default:
      throw intOverflow();
  }
  const r = Number(exact);
  if (!Number.isFinite(r) || BigInt(r) !== exact) throw intOverflow();
  return exactInt(r);
}

export function pyBinary(op: BinaryOp, a: Value, b: Value): Value {
  if (isNumber(a) && isNumber(b)) {
    const x = numberOf(a);
    const y = numberOf(b);
    const ints = isIntLike(a) && isIntLike(b);
    switch (op) {
      case '+':
        return ints ? intResult(op, x, y, x + y) : float(x + y);
      case '-':
        return ints ? intResult(op, x, y, x - y) : float(x - y);
      case '*':
        return ints ? intResult(op, x, y, x * y) : float(x * y);
      case '/':
        if (y === 0) throw zeroDivision(ints ? 'division by zero' : 'float division by zero');
        return float(x / y);
      case '//':
        if (y === 0) throw zeroDivision(ints ? 'integer division or modulo by zero' : 'float divmod()');
        return ints ? intResult(op, x, y, Math.floor(x / y)) : float(Math.floor(x / y));
      case '%': {
        if (y === 0) throw zeroDivision(ints ? 'integer division or modulo by zero' : 'float modulo');
        const m = x - y * Math.floor(x / y);
        return ints ? intResult(op, x, y, m) : float(m);
      }
      case '**': {
        if (ints && y >= 0) return intResult(op, x, y, Math.pow(x, y));
        if (x === 0 && y < 0) throw zeroDivision('0.0 cannot be raised to a negative power');
        const p = Math.pow(x, y);
        // Python's float power raises where the result overflows (`10.0 ** 400`).
        if (!Number.isFinite(p) && Number.isFinite(x) && Number.isFinite(y)) throw overflowError("(34, 'Numerical result out of range')");
        return float(p);
      }
      case '@':
        throw unsupported('@', a, b);
    }
  }
  if (op === '+') {
    if (a.kind === 'str' && b.kind === 'str') {
      checkItems(a.value.length + b.value.length, 'str + str', 'characters');
      return str(a.value + b.value);
    }
    if ((a.kind === 'list' && b.kind === 'list') || (a.kind === 'tuple' && b.kind === 'tuple')) {
      checkItems(a.items.length + b.items.length, `${a.kind} + ${a.kind}`);
      const items = a.items.concat(b.items);
      return a.kind === 'list' ? list(items) : tuple(items);
    }
    if (a.kind === 'str' || b.kind === 'str') {
      if (a.kind === 'str') throw typeError(`can only concatenate str (not "${typeName(b)}") to str`);
    }
    if (a.kind === 'list') throw typeError(`can only concatenate list (not "${typeName(b)}") to list`);
  }
  if (op === '*') {
    // The size is checked before anything is allocated (`[0] * 10**9` is an error at once).
    const seq = (s: Value, n: Value): Value | null => {
      if (!isIntLike(n)) return null;
      const k = Math.max(0, numberOf(n));
      if (s.kind === 'str') {
        checkItems(s.value.length * k, `a str * ${k}`, 'characters');
        return str(s.value.repeat(k));
      }
      if (s.kind === 'list' || s.kind === 'tuple') {
        checkItems(s.items.length * k, `a ${s.kind} * ${k}`);
        const items: Value[] = new Array<Value>(s.items.length * k);
        for (let i = 0, m = 0; i < k; i++) for (const x of s.items) items[m++] = x;
        return s.kind === 'list' ? list(items) : tuple(items);
      }
      return null;
    };
    const r = seq(a, b) ?? seq(b, a);
    if (r) return r;
  }
  if (op === '%' && a.kind === 'str') return str(percentFormat(a.value, b));
  throw unsupported(op, a, b);
}

export function pyCompare(op: '<' | '<=' | '>' | '>=', a: Value, b: Value): boolean {
  const c = order(a, b, op);
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

function order(a: Value, b: Value, op: string): number {
  if (isNumber(a) && isNumber(b)) {
    const x = numberOf(a);
    const y = numberOf(b);
    return x < y ? -1 : x > y ? 1 : x === y ? 0 : NaN;
  }
  if (a.kind === 'str' && b.kind === 'str') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  if ((a.kind === 'list' && b.kind === 'list') || (a.kind === 'tuple' && b.kind === 'tuple')) {
    const n = Math.min(a.items.length, b.items.length);
    for (let i = 0; i < n; i++) {
      if (!pyEquals(a.items[i], b.items[i])) return order(a.items[i], b.items[i], op);
    }
    return a.items.length - b.items.length;
  }
  throw typeError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

/** The integer part of a number as a BigInt (exact digits in any base). */
function bigTrunc(x: number): bigint {
  if (Number.isNaN(x)) throw valueError('cannot convert float NaN to integer');
  if (!Number.isFinite(x)) throw overflowError('cannot convert float infinity to integer');
  return BigInt(Math.trunc(x));
}

/** `"%d items, loss %.3f" % (n, x)`: Python's printf-style formatting (d i f e g s r %). */
export function percentFormat(fmt: string, args: Value): string {
  const items = args.kind === 'tuple' ? args.items : [args];
  let k = 0;
  const out = fmt.replace(
    /%([-+ 0#]*)(\d+)?(?:\.(\d+))?([diouxXeEfFgGsr%])/g,
    (_m, flags: string, width: string | undefined, prec: string | undefined, conv: string) => {
      if (conv === '%') return '%';
      if (k >= items.length) throw typeError('not enough arguments for format string');
      const v = items[k++];
      let s: string;
      const p = prec === undefined ? undefined : Number(prec);
      switch (conv) {
        case 'd':
        case 'i':
        case 'u':
          s = bigTrunc(numberOf(v)).toString();
          break;
        case 'x':
          s = bigTrunc(numberOf(v)).toString(16);
          break;
        case 'X':
          s = bigTrunc(numberOf(v)).toString(16).toUpperCase();
          break;
        case 'o':
          s = bigTrunc(numberOf(v)).toString(8);
          break;
        case 'f':
        case 'F':
          s = numberOf(v).toFixed(p ?? 6);
          break;
        case 'e':
        case 'E': {
          const t = numberOf(v).toExponential(p ?? 6);
          s = t.replace(/e([+-])(\d)$/, 'e$10$2');
          if (conv === 'E') s = s.toUpperCase();
          break;
        }
        case 'g':
        case 'G': {
          const x = numberOf(v);
          s = Number(x.toPrecision(p === 0 ? 1 : (p ?? 6))).toString();
          if (/e/.test(s)) s = s.replace(/e([+-])(\d)$/, 'e$10$2');
          break;
        }
        case 'r':
          s = pyRepr(v);
          break;
        default:
          s = pyStr(v);
      }
      if (flags.includes('+') && /^[0-9]/.test(s)) s = `+${s}`;
      const w = width ? Number(width) : 0;
      if (w > s.length) checkItems(w, `the field width of '%${width}${conv}'`, 'characters');
      if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : flags.includes('0') && conv !== 's' ? s.padStart(w, '0') : s.padStart(w);
      return s;
    },
  );
  if (k < items.length && args.kind === 'tuple') throw typeError('not all arguments converted during string formatting');
  return out;
}

export { pyFloatRepr, truthy };
