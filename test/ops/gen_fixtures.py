#!/usr/bin/env python3
"""Generate test/ops/fixtures.json: expected values of every op computed independently with
numpy (and a plain-Python Philox4x32-10 for the random ops). Run from the repo root:

    python3 test/ops/gen_fixtures.py

Float32 expectations are computed in float64 from the float32 inputs and rounded once, the
rule the reference kernels follow. The tests read the JSON only; they never need Python.
"""
import json
import math
import os

import numpy as np

rng = np.random.default_rng(20240601)
NP = {'f32': np.float32, 'f64': np.float64, 'i32': np.int32, 'bool': np.bool_}
CASES = []


def enc(a, dtype):
    a = np.asarray(a).astype(NP[dtype])
    flat = []
    for v in a.reshape(-1).tolist():
        if dtype == 'bool':
            flat.append(1 if v else 0)
        elif dtype in ('f32', 'f64') and not math.isfinite(v):
            flat.append('nan' if math.isnan(v) else ('inf' if v > 0 else '-inf'))
        else:
            flat.append(v)
    return {'dtype': dtype, 'shape': list(a.shape), 'data': flat}


def case(op, inputs, attrs, expected, out_dtype, note='', **extra):
    """inputs: list of (array, dtype) or (array, dtype, static_shape)."""
    ins = []
    for i in inputs:
        t = enc(i[0], i[1])
        if len(i) > 2:
            t['static'] = i[2]
        ins.append(t)
    c = {'op': op, 'note': note, 'inputs': ins, 'attrs': attrs,
         'expected': None if expected is None else enc(expected, out_dtype)}
    c.update(extra)
    CASES.append(c)


def rand(shape, dtype, lo=-3.0, hi=3.0):
    if dtype == 'i32':
        return rng.integers(int(lo), int(hi) + 1, size=shape).astype(np.int32)
    if dtype == 'bool':
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    return rng.uniform(lo, hi, size=shape).astype(NP[dtype])


def f64(x):
    return np.asarray(x).astype(np.float64)


def out(x, dtype):
    return np.asarray(x).astype(NP[dtype])


# ---------------------------------------------------------------- unary
UNARY = {
    # name: (numpy fn on f64 / int, dtypes, domain)
    'identity': (lambda x: x, ['f32', 'f64', 'i32', 'bool'], (-3, 3)),
    'stop_gradient': (lambda x: x, ['f32', 'f64', 'i32', 'bool'], (-3, 3)),
    'neg': (lambda x: -x, ['f32', 'f64', 'i32'], (-3, 3)),
    'square': (lambda x: x * x, ['f32', 'f64', 'i32'], (-3, 3)),
    'sqrt': (np.sqrt, ['f32', 'f64'], (0, 5)),
    'rsqrt': (lambda x: 1 / np.sqrt(x), ['f32', 'f64'], (0.1, 5)),
    'exp': (np.exp, ['f32', 'f64'], (-3, 3)),
    'log': (np.log, ['f32', 'f64'], (0.05, 5)),
    'abs': (np.abs, ['f32', 'f64', 'i32'], (-3, 3)),
    'sign': (np.sign, ['f32', 'f64', 'i32'], (-3, 3)),
    'sin': (np.sin, ['f32', 'f64'], (-4, 4)),
    'cos': (np.cos, ['f32', 'f64'], (-4, 4)),
    'relu': (lambda x: np.maximum(x, 0), ['f32', 'f64', 'i32'], (-3, 3)),
    'sigmoid': (lambda x: 1 / (1 + np.exp(-x)), ['f32', 'f64'], (-8, 8)),
    'tanh': (np.tanh, ['f32', 'f64'], (-3, 3)),
    'logical_not': (np.logical_not, ['bool'], (0, 1)),
}
for name, (fn, dts, (lo, hi)) in UNARY.items():
    for dt in dts:
        for shape in [(2, 3), (5,), ()]:
            x = rand(shape, dt, lo, hi)
            y = fn(x if dt in ('i32', 'bool') else f64(x))
            case(name, [(x, dt)], {}, out(y, dt), dt, f'{dt} {shape}')
    dt = dts[0]
    x = rand((0, 3), dt, lo, hi)
    case(name, [(x, dt)], {}, out(fn(x if dt in ('i32', 'bool') else f64(x)), dt), dt, 'size-0')

# int32 wrap-around
big = np.array([2**31 - 1, -2**31, 65536], dtype=np.int32)
case('neg', [(big, 'i32')], {}, -big, 'i32', 'int32 wraps')
case('square', [(big, 'i32')], {}, big * big, 'i32', 'int32 wraps')
# special values
spec = np.array([0.0, -0.0, np.inf, -np.inf, 1e-30], dtype=np.float32)
sat = np.array([-100, 100, 0, -800, 800], np.float64)
with np.errstate(over='ignore'):
    case('sigmoid', [(sat, 'f64')], {}, 1 / (1 + np.exp(-sat)), 'f64', 'saturation')
case('exp', [(spec, 'f32')], {}, out(np.exp(f64(spec)), 'f32'), 'f32', 'inf and zeros')

# cast
for src, dst, lo, hi in [('f32', 'i32', -5, 5), ('f64', 'f32', -5, 5), ('i32', 'f64', -5, 5), ('f32', 'bool', -1, 1), ('bool', 'f32', 0, 1), ('i32', 'bool', -2, 2), ('f64', 'i32', -1e3, 1e3)]:
    x = rand((3, 4), src, lo, hi)
    if src == 'f32' and dst == 'bool':
        x[0, 0] = 0
    if dst == 'i32':
        y = np.trunc(f64(x))
    elif dst == 'bool':
        y = x != 0
    else:
        y = x
    case('cast', [(x, src)], {'dtype': dst}, out(y, dst), dst, f'{src}->{dst}')

# ---------------------------------------------------------------- binary
def tdiv(a, b):
    q = np.abs(a.astype(np.int64)) // np.abs(b.astype(np.int64))
    return (np.sign(a.astype(np.int64)) * np.sign(b.astype(np.int64)) * q).astype(np.int32)


def ipow(a, b):
    return np.array([pow(int(x), int(y)) for x, y in zip(*[v.reshape(-1) for v in np.broadcast_arrays(a, b)])], dtype=np.int64).astype(np.int32).reshape(np.broadcast_shapes(a.shape, b.shape))


BINARY = {
    'add': (lambda a, b: a + b, ['f32', 'f64', 'i32'], None),
    'sub': (lambda a, b: a - b, ['f32', 'f64', 'i32'], None),
    'mul': (lambda a, b: a * b, ['f32', 'f64', 'i32'], None),
    'div': (lambda a, b: a / b, ['f32', 'f64', 'i32'], 'nonzero'),
    'pow': (np.power, ['f32', 'f64', 'i32'], 'pow'),
    'maximum': (np.maximum, ['f32', 'f64', 'i32'], None),
    'minimum': (np.minimum, ['f32', 'f64', 'i32'], None),
    'equal': (np.equal, ['f32', 'i32', 'bool'], 'ties'),
    'not_equal': (np.not_equal, ['f64', 'i32', 'bool'], 'ties'),
    'less': (np.less, ['f32', 'f64', 'i32'], 'ties'),
    'less_equal': (np.less_equal, ['f32', 'f64', 'i32'], 'ties'),
    'greater': (np.greater, ['f32', 'f64', 'i32'], 'ties'),
    'greater_equal': (np.greater_equal, ['f32', 'f64', 'i32'], 'ties'),
    'logical_and': (np.logical_and, ['bool'], None),
    'logical_or': (np.logical_or, ['bool'], None),
}
CMP = {'equal', 'not_equal', 'less', 'less_equal', 'greater', 'greater_equal'}
SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1, 3), (2, 1)), ((), (2, 3)), ((0, 3), (1, 3)), ((3, 1), (1, 4)), ((1,), ())]
for name, (fn, dts, kind) in BINARY.items():
    for dt in dts:
        for sa, sb in SHAPES:
            if kind == 'pow' and dt != 'i32':
                a, b = rand(sa, dt, 0.2, 3), rand(sb, dt, -2, 2)
            elif kind == 'pow':
                a, b = rand(sa, dt, -3, 3), rand(sb, dt, 0, 4)
            elif kind == 'ties' and dt != 'bool':
                a, b = rand(sa, dt, -2, 2).round(), rand(sb, dt, -2, 2).round()
            else:
                a, b = rand(sa, dt, -5, 5), rand(sb, dt, -5, 5)
            if kind == 'nonzero':
                b = np.where(np.abs(b) < 0.5, 1, b).astype(NP[dt])
            odt = 'bool' if name in CMP else dt
            if dt == 'i32' and name == 'div':
                y = tdiv(a, b)
            elif dt == 'i32' and name == 'pow':
                y = ipow(a, b)
            elif dt in ('i32', 'bool'):
                y = fn(a, b)
            else:
                y = fn(f64(a), f64(b))
            case(name, [(a, dt), (b, dt)], {}, out(y, odt), odt, f'{dt} {sa} {sb}')
# int32 overflow wraps, div truncates toward zero
a = np.array([2**31 - 1, -7, 7, -7, 46341], np.int32)
b = np.array([1, 2, -2, -2, 46341], np.int32)
case('add', [(a, 'i32'), (b, 'i32')], {}, (a.astype(np.int64) + b).astype(np.int32), 'i32', 'wraps')
case('mul', [(a, 'i32'), (b, 'i32')], {}, (a.astype(np.int64) * b).astype(np.int32), 'i32', 'wraps')
case('div', [(a, 'i32'), (b, 'i32')], {}, tdiv(a, b), 'i32', 'truncates toward zero')
# NaN propagation in maximum/minimum
a = np.array([np.nan, 1, 2], np.float64)
b = np.array([0, np.nan, 1], np.float64)
case('maximum', [(a, 'f64'), (b, 'f64')], {}, np.maximum(a, b), 'f64', 'NaN propagates')
case('minimum', [(a, 'f64'), (b, 'f64')], {}, np.minimum(a, b), 'f64', 'NaN propagates')

# select (TF2 where broadcasting)
for sc, sx, sy, dt in [((2, 3), (2, 3), (2, 3), 'f32'), ((2, 1), (2, 3), (3,), 'f64'), ((), (2, 2), (2, 2), 'i32'), ((3,), (2, 3), (), 'bool')]:
    c, x, y = rand(sc, 'bool'), rand(sx, dt), rand(sy, dt)
    case('select', [(c, 'bool'), (x, dt), (y, dt)], {}, np.where(c, x, y), dt, f'{dt} {sc} {sx} {sy}')

# add_n
for n, dt, shape in [(3, 'f32', (2, 3)), (1, 'f64', (4,)), (4, 'i32', (2, 2)), (2, 'f32', (0, 2))]:
    xs = [rand(shape, dt) for _ in range(n)]
    s = sum(f64(x) for x in xs) if dt != 'i32' else sum(x.astype(np.int64) for x in xs)
    case('add_n', [(x, dt) for x in xs], {}, out(s, dt), dt, f'{n} x {dt}')

# ---------------------------------------------------------------- reductions
def red(name, x, axis, keep, dt):
    ax = None if axis is None else tuple(axis)
    if dt == 'i32':
        xi = x.astype(np.int64)
        if name == 'reduce_sum':
            return np.sum(xi, axis=ax, keepdims=keep)
        if name == 'reduce_mean':
            s = np.sum(xi, axis=ax, keepdims=keep)
            cnt = x.size // max(np.sum(xi, axis=ax, keepdims=True).size, 1) if x.size else 0
            return np.trunc(s / cnt) if cnt else s * 0
        if name == 'reduce_prod':
            return np.prod(xi, axis=ax, keepdims=keep)
        if name == 'reduce_max':
            return np.max(xi, axis=ax, keepdims=keep, initial=-2**31)
        return np.min(xi, axis=ax, keepdims=keep, initial=2**31 - 1)
    xf = f64(x)
    if name == 'reduce_sum':
        return np.sum(xf, axis=ax, keepdims=keep)
    if name == 'reduce_mean':
        with np.errstate(all='ignore'):
            return np.sum(xf, axis=ax, keepdims=keep) / (x.size / max(np.sum(xf, axis=ax, keepdims=True).size, 1) if x.size else 0)
    if name == 'reduce_prod':
        return np.prod(xf, axis=ax, keepdims=keep)
    if name == 'reduce_max':
        return np.max(xf, axis=ax, keepdims=keep, initial=-np.inf)
    return np.min(xf, axis=ax, keepdims=keep, initial=np.inf)


for name in ['reduce_sum', 'reduce_mean', 'reduce_max', 'reduce_min', 'reduce_prod']:
    for dt in ['f32', 'f64', 'i32']:
        for shape, axis, keep in [((2, 3, 4), None, False), ((2, 3, 4), [1], False), ((2, 3, 4), [-1], True), ((2, 3, 4), [0, 2], False), ((2, 3, 4), [0, -1], True), ((5,), [0], False), ((3, 5), None, True), ((0, 3), [0], False), ((3, 0), [1], True)]:
            x = rand(shape, dt, -3, 3) if name != 'reduce_prod' else rand(shape, dt, 0.5, 1.5) if dt != 'i32' else rand(shape, dt, -2, 2)
            if dt == 'i32' and shape == (3, 0) and name == 'reduce_mean':
                continue  # TF's integer mean of nothing divides by zero; not a defined value
            case(name, [(x, dt)], {'axis': axis, 'keepdims': keep}, out(red(name, x, axis, keep, dt), dt), dt, f'{dt} {shape} axis={axis} keepdims={keep}')
x = rand((1000,), 'f32', 0, 1)
case('reduce_sum', [(x, 'f32')], {'axis': None, 'keepdims': False}, out(np.sum(f64(x)), 'f32'), 'f32', 'f64 accumulation, 1000 elements')
case('reduce_mean', [(np.array([1, 2, 2, -7], np.int32), 'i32')], {'axis': None, 'keepdims': False}, np.int32(-0), 'i32', 'integer mean truncates: -2/4 -> 0')
case('reduce_mean', [(np.array([7, 2], np.int32), 'i32')], {'axis': None, 'keepdims': False}, np.int32(4), 'i32', 'integer mean truncates: 9/2 -> 4')

for name, fn in [('argmax', np.argmax), ('argmin', np.argmin)]:
    for dt in ['f32', 'f64', 'i32']:
        for shape, axis in [((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 1), ((7,), 0)]:
            x = rand(shape, dt, -3, 3)
            if dt == 'i32':
                x = rand(shape, dt, -1, 1)  # many ties: first index wins
            case(name, [(x, dt)], {'axis': axis}, fn(x, axis=axis), 'i32', f'{dt} {shape} axis={axis}')

# ---------------------------------------------------------------- matmul
def mm(a, b, ta, tb, dt):
    A = np.swapaxes(a, -1, -2) if ta else a
    B = np.swapaxes(b, -1, -2) if tb else b
    if dt == 'i32':
        return np.matmul(A.astype(np.int64), B.astype(np.int64))
    return np.matmul(f64(A), f64(B))


for sa, sb, ta, tb, dt in [((2, 3), (3, 4), False, False, 'f32'), ((3, 2), (3, 4), True, False, 'f64'), ((2, 3), (4, 3), False, True, 'f32'), ((3, 2), (4, 3), True, True, 'f64'),
                           ((5, 7), (7, 1), False, False, 'f32'), ((2, 3), (3, 4), False, False, 'i32'), ((2, 2, 3), (2, 3, 5), False, False, 'f32'), ((2, 3, 2, 3), (2, 3, 4, 3), False, True, 'f64'),
                           ((2, 0), (0, 3), False, False, 'f32'), ((0, 3), (3, 2), False, False, 'f64'), ((1, 1), (1, 1), False, False, 'f32')]:
    a, b = rand(sa, dt, -3, 3), rand(sb, dt, -3, 3)
    case('matmul', [(a, dt), (b, dt)], {'transpose_a': ta, 'transpose_b': tb}, out(mm(a, b, ta, tb, dt), dt), dt, f'{dt} {sa}x{sb} ta={ta} tb={tb}')

for shape, dt, adj in [((3, 3), 'f64', False), ((4, 4), 'f32', False), ((2, 3, 3), 'f64', True), ((1, 1), 'f32', False), ((5, 5), 'f64', False)]:
    x = rand(shape, dt, -1, 1) + np.eye(shape[-1], dtype=NP[dt]) * 3
    xs = np.swapaxes(x, -1, -2) if adj else x
    case('matrix_inverse', [(x, dt)], {'adjoint': adj}, out(np.linalg.inv(f64(xs)), dt), dt, f'{dt} {shape} adjoint={adj}')
p = np.array([[0, 1, 2], [1, 0, 3], [4, -3, 8]], np.float64)
case('matrix_inverse', [(p, 'f64')], {'adjoint': False}, np.linalg.inv(p), 'f64', 'needs pivoting (zero on the diagonal)')

# ---------------------------------------------------------------- layout
for shape, perm, dt in [((2, 3), None, 'f32'), ((2, 3, 4), [1, 0, 2], 'f64'), ((2, 3, 4), [2, 0, 1], 'i32'), ((2, 3, 4), None, 'bool'), ((0, 3), [1, 0], 'f32'), ((5,), [0], 'f32')]:
    x = rand(shape, dt)
    case('transpose', [(x, dt)], {'perm': perm}, np.transpose(x, perm), dt, f'{shape} perm={perm}')
for shape, target in [((2, 3), [3, 2]), ((2, 3), [-1]), ((2, 3, 4), [4, -1]), ((6,), [1, 2, 1, 3]), ((), [1, 1]), ((0, 3), [3, 0])]:
    x = rand(shape, 'f32')
    case('reshape', [(x, 'f32')], {'shape': target}, np.reshape(x, target), 'f32', f'{shape} -> {target}')
for shape, axis in [((2, 3), 0), ((2, 3), 1), ((2, 3), 2), ((2, 3), -1), ((2, 3), -3), ((), 0)]:
    x = rand(shape, 'i32')
    case('expand_dims', [(x, 'i32')], {'axis': axis}, np.expand_dims(x, axis), 'i32', f'{shape} axis={axis}')
for shape, axis in [((1, 2, 1, 3), None), ((1, 2, 1, 3), [2]), ((1, 2, 1, 3), [0, -2]), ((1, 1), None), ((3,), None)]:
    x = rand(shape, 'f64')
    case('squeeze', [(x, 'f64')], {'axis': axis}, np.squeeze(x, None if axis is None else tuple(axis)), 'f64', f'{shape} axis={axis}')
for shapes, axis, dt in [([(2, 3), (2, 4)], 1, 'f32'), ([(2, 3), (1, 3), (3, 3)], 0, 'i32'), ([(2, 3, 1), (2, 3, 2)], -1, 'f64'), ([(2, 0), (2, 2)], 1, 'f32'), ([(3,)], 0, 'bool'), ([(2, 2), (2, 2)], -2, 'f32')]:
    xs = [rand(s, dt) for s in shapes]
    case('concat', [(x, dt) for x in xs], {'axis': axis}, np.concatenate(xs, axis), dt, f'{shapes} axis={axis}')
for shape, n, axis, dt in [((2, 3), 3, 0, 'f32'), ((2, 3), 2, 1, 'f64'), ((2, 3), 2, 2, 'i32'), ((2, 3), 2, -1, 'f32'), ((), 4, 0, 'f32'), ((0,), 2, 1, 'f32')]:
    xs = [rand(shape, dt) for _ in range(n)]
    case('stack', [(x, dt) for x in xs], {'axis': axis}, np.stack(xs, axis), dt, f'{n} x {shape} axis={axis}')
for shape, begin, size in [((3, 4), [1, 0], [2, 3]), ((3, 4), [0, 1], [-1, -1]), ((2, 3, 4), [1, 1, 1], [1, 2, -1]), ((5,), [2], [0]), ((5,), [0], [5])]:
    x = rand(shape, 'f32')
    sl = tuple(slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))
    case('slice', [(x, 'f32')], {'begin': begin, 'size': size}, x[sl], 'f32', f'{shape} begin={begin} size={size}')


def S(start=None, stop=None, step=None):
    return {'start': start, 'stop': stop, 'step': step}


def to_py(idx):
    out_ = []
    for e in idx:
        if e == 'newaxis':
            out_.append(np.newaxis)
        elif isinstance(e, dict):
            out_.append(slice(e['start'], e['stop'], e['step']))
        else:
            out_.append(e)
    return tuple(out_)


for shape, idx in [((3, 4), [1]), ((3, 4), [S(), 0]), ((3, 4), [-1]), ((3, 4), [S(None, None, -1)]), ((3, 4), [S(1, None), S(None, None, 2)]), ((5,), [S(-2, None)]),
                   ((2, 3, 4), [0, S(None, None, -2), 'newaxis', 1]), ((3, 4), ['newaxis', S(), 'newaxis']), ((6,), [S(10, -10, -3)]), ((6,), [S(4, 2)]), ((2, 3, 4), [1, 2]), ((4,), [2])]:
    x = rand(shape, 'f64')
    case('strided_slice', [(x, 'f64')], {'index': idx}, np.asarray(x[to_py(idx)]), 'f64', f'{shape}{idx}')
for pshape, ishape, axis, dt in [((5, 3), (4,), 0, 'f32'), ((5, 3), (2, 2), 0, 'f64'), ((3, 5), (3,), 1, 'i32'), ((3, 5), (), 1, 'f32'), ((2, 3, 4), (2,), -1, 'f32'), ((4,), (0,), 0, 'bool')]:
    p = rand(pshape, dt)
    ix = rng.integers(0, pshape[axis], size=ishape).astype(np.int32)
    case('gather', [(p, dt), (ix, 'i32')], {'axis': axis}, np.take(p, ix, axis=axis), dt, f'{pshape} {ishape} axis={axis}')
for shape, dt in [((2, 3), 'f32'), ((), 'i32'), ((0, 4, 1), 'bool'), ((7,), 'f64')]:
    x = rand(shape, dt)
    case('shape', [(x, dt)], {}, np.array(shape, np.int32), 'i32', str(shape))
    case('size', [(x, dt)], {}, np.int32(x.size), 'i32', str(shape))
    case('rank', [(x, dt)], {}, np.int32(x.ndim), 'i32', str(shape))
for ix, depth, axis, on, off, dt in [([0, 2, 1, 5, -1], 3, -1, 1, 0, 'f32'), ([[0, 1], [2, 0]], 3, 0, 5, -1, 'i32'), ([[0, 1], [2, 0]], 4, 1, 1.5, 0.5, 'f64'), (3, 4, -1, 1, 0, 'f32')]:
    ix = np.array(ix, np.int32)
    oh = (ix[..., None] == np.arange(depth)).astype(np.float64) * (on - off) + off
    oh = np.moveaxis(oh, -1, axis if axis >= 0 else oh.ndim - 1)
    case('one_hot', [(ix, 'i32')], {'depth': depth, 'on_value': on, 'off_value': off, 'axis': axis, 'dtype': dt}, out(oh, dt), dt, f'{ix.shape} depth={depth} axis={axis}')

# ---------------------------------------------------------------- nn
def lse(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


for shape, axis, dt, scale in [((2, 5), -1, 'f32', 3), ((3, 4), 0, 'f64', 3), ((2, 3, 4), 1, 'f32', 3), ((2, 3), -1, 'f64', 1000), ((4,), 0, 'f32', 1)]:
    x = rand(shape, dt, -scale, scale)
    xf = f64(x)
    case('softmax', [(x, dt)], {'axis': axis}, out(np.exp(xf - lse(xf, axis)), dt), dt, f'{dt} {shape} axis={axis} scale={scale}')
    case('log_softmax', [(x, dt)], {'axis': axis}, out(xf - lse(xf, axis), dt), dt, f'{dt} {shape} axis={axis} scale={scale}')
for lshape, classes, dt, scale in [((3,), 5, 'f32', 3), ((2, 3), 4, 'f64', 3), ((4,), 10, 'f32', 500), ((0,), 3, 'f32', 1)]:
    labels = rng.integers(0, classes, size=lshape).astype(np.int32)
    x = rand(lshape + (classes,), dt, -scale, scale)
    xf = f64(x)
    loss = lse(xf, -1)[..., 0] - np.take_along_axis(xf, labels[..., None].astype(np.int64), -1)[..., 0]
    case('sparse_softmax_cross_entropy_with_logits', [(labels, 'i32'), (x, dt)], {}, out(loss, dt), dt, f'{dt} labels {lshape} classes {classes}')
for shape, axis, dt, scale in [((3, 5), -1, 'f32', 3), ((4, 3), 0, 'f64', 3), ((2, 3, 4), 1, 'f32', 3), ((2, 4), -1, 'f64', 800)]:
    x = rand(shape, dt, -scale, scale)
    lab = rng.uniform(0, 1, size=shape)
    lab = (lab / lab.sum(axis=axis, keepdims=True)).astype(NP[dt])
    loss = -np.sum(f64(lab) * (f64(x) - lse(f64(x), axis)), axis=axis)
    case('softmax_cross_entropy_with_logits', [(lab, dt), (x, dt)], {'axis': axis}, out(loss, dt), dt, f'{dt} {shape} axis={axis} scale={scale}')
for shape, dt in [((2, 3), 'f32'), ((5,), 'f64'), ((), 'f32')]:
    x = rand(shape, dt, -50, 50) if dt == 'f64' else rand(shape, dt, -4, 4)
    z = rand(shape, dt, 0, 1)
    xf, zf = f64(x), f64(z)
    loss = np.maximum(xf, 0) - xf * zf + np.log1p(np.exp(-np.abs(xf)))
    case('sigmoid_cross_entropy_with_logits', [(z, dt), (x, dt)], {}, out(loss, dt), dt, f'{dt} {shape}')
pred = np.array([[0.1, 0.3, 0.3, 0.2], [0.5, 0.1, 0.2, 0.2], [0.25, 0.25, 0.25, 0.25], [np.nan, 0.1, 0.2, 0.3], [0.1, 0.2, 0.3, np.inf], [0.9, 0.0, 0.05, 0.05]], np.float32)
tgt = np.array([2, 3, 0, 1, 2, 7], np.int32)
for k in [1, 2, 3]:
    ok = []
    for row, t in zip(pred, tgt):
        valid = 0 <= t < row.size and np.all(np.isfinite(row))
        ok.append(bool(valid and np.sum(row > row[t]) < k))
    case('in_top_k', [(pred, 'f32'), (tgt, 'i32')], {'k': k}, np.array(ok), 'bool', f'k={k}, ties and non-finite rows')

# ---------------------------------------------------------------- sources
for dt, shape, value, full in [('f32', [2, 3], [1, 2, 3, 4, 5, 6], None), ('i32', [4], [7, 8], [7, 8, 8, 8]), ('bool', [3], [1, 0, 1], None), ('f64', [], [2.5], None), ('f32', [2, 2], [3], [3, 3, 3, 3]), ('f32', [0, 2], [], None)]:
    exp_ = np.array(full if full is not None else value, dtype=NP[dt]).reshape(shape)
    case('const', [], {'dtype': dt, 'shape': shape, 'value': value}, exp_, dt, f'{dt} {shape} {value}')
for dt, v, shape in [('f32', 1.5, [2, 3]), ('i32', -4, [3]), ('bool', True, [2]), ('f64', 0.25, [])]:
    case('fill', [(np.array(v, NP[dt]), dt)], {'shape': shape}, np.full(shape, v, NP[dt]), dt, f'{dt} {shape}')
for dt, shape in [('f32', (2, 3)), ('i32', (4,)), ('bool', (2, 2)), ('f64', ())]:
    x = rand(shape, dt)
    case('zeros_like', [(x, dt)], {}, np.zeros(shape, NP[dt]), dt, f'{dt} {shape}')
    case('ones_like', [(x, dt)], {}, np.ones(shape, NP[dt]), dt, f'{dt} {shape}')


def tf_range(start, limit, delta, dt):
    T = NP[dt]
    s, l, d = T(start), T(limit), T(delta)
    size = (abs(int(l) - int(s)) + abs(int(d)) - 1) // abs(int(d)) if dt == 'i32' else int(math.ceil(abs(float(T((l - s) / d)))))
    vals, v = [], s
    for _ in range(size):
        vals.append(v)
        v = T(v + d)
    return np.array(vals, dtype=T)


for start, limit, delta, dt in [(0, 5, 1, 'i32'), (3, 18, 3, 'i32'), (10, 1, -3, 'i32'), (0, 1, 0.1, 'f32'), (-1.5, 2.0, 0.5, 'f64'), (5, 5, 1, 'i32'), (2.0, -1.0, -0.7, 'f64')]:
    case('range', [], {'start': start, 'limit': limit, 'delta': delta, 'dtype': dt}, tf_range(start, limit, delta, dt), dt, f'{dt} {start}:{limit}:{delta}')

# ---- random ops: an independent Philox4x32-10 in plain Python ints
M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox(key, ctr):
    k0, k1 = key
    c = list(ctr)
    for _ in range(10):
        p0 = M0 * c[0]
        p1 = M1 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k0) & MASK, p1 & MASK, ((p0 >> 32) ^ c[3] ^ k1) & MASK, p0 & MASK]
        k0 = (k0 + W0) & MASK
        k1 = (k1 + W1) & MASK
    return c


class Stream:
    def __init__(self, seed, seed2):
        self.key = (seed & MASK, (seed >> 32) & MASK)
        self.hi = (seed2 & MASK, (seed2 >> 32) & MASK)
        self.block = 0

    def next(self, count):
        words = []
        for _ in range((count + 3) // 4):
            words += philox(self.key, (self.block & MASK, self.block >> 32, self.hi[0], self.hi[1]))
            self.block += 1
        return words[:count]


def u32_to_f32(x):
    return np.array([(x & 0x7FFFFF) | 0x3F800000], np.uint32).view(np.float32)[0] - np.float32(1)


def u64_to_f64(hi, lo):
    return np.array([(((hi & 0xFFFFF) | 0x3FF00000) << 32) | lo], np.uint64).view(np.float64)[0] - 1.0


def normals(words, dt, n):
    res = []
    if dt == 'f32':
        for i in range(0, n, 2):
            u1 = max(u32_to_f32(words[i]), np.float32(1e-7))
            v1 = np.float32(2 * math.pi * float(u32_to_f32(words[i + 1])))
            r = np.float32(math.sqrt(float(np.float32(-2 * float(np.float32(math.log(float(u1))))))))
            res += [np.float32(np.float32(math.sin(v1)) * r), np.float32(np.float32(math.cos(v1)) * r)]
    else:
        for i in range(0, n, 2):
            w = words[2 * i:2 * i + 4]
            u1 = max(u64_to_f64(w[0], w[1]), 1e-20)
            v1 = 2 * math.pi * u64_to_f64(w[2], w[3])
            r = math.sqrt(-2 * math.log(u1))
            res += [math.sin(v1) * r, math.cos(v1) * r]
    return res[:n]


def nwords(dt, n):
    return 4 * ((n + 1) // 2) if dt == 'f64' else 2 * ((n + 1) // 2)


for shape, dt, lo, hi, seed, seed2 in [([2, 3], 'f32', 0, 1, 1, 2), ([5], 'f64', -2, 3, 87654321, 5), ([3, 3], 'i32', -5, 7, 42, 0), ([7], 'f32', 10, 11, 2**33 + 5, 2**40 + 3)]:
    n = int(np.prod(shape))
    s = Stream(seed, seed2)
    T = NP[dt]
    if dt == 'i32':
        vals = [np.int32(lo + (w % (hi - lo))) for w in s.next(n)]
    elif dt == 'f32':
        rngv = np.float32(np.float32(hi) - np.float32(lo))
        vals = [np.float32(np.float32(u32_to_f32(w) * rngv) + np.float32(lo)) for w in s.next(n)]
    else:
        w = s.next(2 * n)
        vals = [u64_to_f64(w[2 * i], w[2 * i + 1]) * (hi - lo) + lo for i in range(n)]
    case('random_uniform', [], {'shape': shape, 'dtype': dt, 'minval': lo, 'maxval': hi, 'seed': seed, 'seed2': seed2}, np.array(vals, T).reshape(shape), dt, f'{dt} {shape}')
for op in ['random_normal', 'truncated_normal']:
    for shape, dt, mean, std, seed, seed2 in [([2, 3], 'f32', 0, 1, 1, 2), ([5], 'f64', 1, 2, 7, 9), ([3, 3], 'f32', -1, 0.5, 123, 456)]:
        n = int(np.prod(shape))
        s = Stream(seed, seed2)
        if op == 'random_normal':
            z = normals(s.next(nwords(dt, n)), dt, n)
        else:
            z, want = [], n
            while len(z) < n:
                batch = max(want, 4)
                for v in normals(s.next(nwords(dt, batch)), dt, batch):
                    if abs(v) < 2 and len(z) < n:
                        z.append(v)
                want = n - len(z)
        T = NP[dt]
        vals = [T(T(T(v) * T(std)) + T(mean)) for v in z]
        case(op, [], {'shape': shape, 'dtype': dt, 'mean': mean, 'stddev': std, 'seed': seed, 'seed2': seed2}, np.array(vals, T).reshape(shape), dt, f'{dt} {shape}')

# ---------------------------------------------------------------- state (fake session variables)
v0 = np.array([1.5, -2.0, 3.0], np.float32)
val = np.array([0.5, 0.25, -1.0], np.float32)
case('variable', [], {'dtype': 'f32', 'shape': [3], 'trainable': True}, v0, 'f32', 'reads the current value', variable=enc(v0, 'f32'), variable_after=enc(v0, 'f32'))
case('assign', [(val, 'f32')], {}, val, 'f32', 'sets the value', variable=enc(v0, 'f32'), variable_after=enc(val, 'f32'))
case('assign', [(np.array([1, 2], np.float32), 'f32')], {'validate_shape': False}, np.array([1, 2], np.float32), 'f32', 'validate_shape=False changes the shape', variable=enc(v0, 'f32'), variable_after=enc(np.array([1, 2], np.float32), 'f32'))
case('assign_add', [(val, 'f32')], {}, v0 + val, 'f32', 'adds', variable=enc(v0, 'f32'), variable_after=enc(v0 + val, 'f32'))
iv = np.array([[1, 2], [3, 4]], np.int32)
dec = np.array([[1, 1], [5, 5]], np.int32)
case('assign_sub', [(dec, 'i32')], {}, iv - dec, 'i32', 'subtracts', variable=enc(iv, 'i32'), variable_after=enc(iv - dec, 'i32'))
case('no_op', [], {}, None, None, 'no output')
case('group', [], {}, None, None, 'no output')
case('placeholder', [], {'dtype': 'f32', 'shape': [None, 3]}, None, None, 'never evaluated', error='InternalError')

# ---------------------------------------------------------------- internal ops of the gradients
for dims, v, dt, static in [([2, 3], 1.0, 'f32', [None, None]), ([4], -2, 'i32', [4]), ([], 0.5, 'f64', [])]:
    case('fill_dims', [(np.array(dims, np.int32), 'i32'), (np.array(v, NP[dt]), dt)], {'shape': static}, np.full(dims, v, NP[dt]), dt, f'{dims}')
for gs, ls, dt in [((2, 3, 4), (3, 1), 'f32'), ((2, 3), (2, 3), 'f64'), ((4, 3), (), 'f64'), ((2, 1, 3), (1, 1, 3), 'i32')]:
    g, like = rand(gs, dt), rand(ls, dt)
    lead = len(gs) - len(ls)
    r = np.sum(g.astype(np.int64) if dt == 'i32' else f64(g), axis=tuple(range(lead))) if lead else (g.astype(np.int64) if dt == 'i32' else f64(g))
    r = np.sum(r, axis=tuple(i for i, d in enumerate(ls) if d == 1 and r.shape[i] != 1), keepdims=True) if ls else r
    case('sum_to_like', [(g, dt), (like, dt)], {}, out(np.reshape(r, ls), dt), dt, f'{gs} -> {ls}')
    case('broadcast_like', [(np.asarray(out(np.reshape(r, ls), dt)), dt), (g, dt)], {}, np.broadcast_to(out(np.reshape(r, ls), dt), gs), dt, f'{ls} -> {gs}')
for xs, ls in [((2, 3), (3, 2)), ((6,), (1, 2, 3)), ((1,), ())]:
    x, like = rand(xs, 'f32'), rand(ls, 'f32')
    case('reshape_like', [(x, 'f32'), (like, 'f32')], {}, np.reshape(x, ls), 'f32', f'{xs} -> {ls}')


def prod_except(x, axis):
    xm = np.moveaxis(f64(x), axis, -1) if axis is not None else f64(x).reshape(1, -1)
    flat = xm.reshape(-1, xm.shape[-1])
    res = np.array([[np.prod(np.delete(row, j)) for j in range(row.size)] for row in flat]).reshape(xm.shape)
    return np.moveaxis(res, -1, axis) if axis is not None else res.reshape(x.shape)


for shape, axis, dt in [((2, 3), 1, 'f32'), ((3, 2), 0, 'f64'), ((2, 2), None, 'f64')]:
    x = rand(shape, dt, 0.5, 2)
    x[0, 0] = 0
    case('prod_except', [(x, dt)], {'axis': None if axis is None else [axis]}, out(prod_except(x, axis), dt), dt, f'{shape} axis={axis} with a zero')
for shape, idx in [((3, 4), [S(), 0]), ((3, 4), [S(None, None, -1)]), ((2, 3, 4), [0, S(None, None, -2), 'newaxis', 1]), ((5,), [S(1, 4, 2)])]:
    x = rand(shape, 'f64')
    dy = rand(np.asarray(x[to_py(idx)]).shape, 'f64')
    z = np.zeros(shape)
    z[tuple(e for e in to_py(idx) if e is not None)] = dy.reshape(np.asarray(z[tuple(e for e in to_py(idx) if e is not None)]).shape)
    case('strided_slice_grad', [(dy, 'f64'), (x, 'f64')], {'index': idx}, z, 'f64', f'{shape}{idx}')
for shapes, axis in [([(2, 3), (2, 4)], 1), ([(2, 2), (1, 2), (3, 2)], 0)]:
    xs = [rand(sh, 'f32') for sh in shapes]
    dy = rand(np.concatenate(xs, axis).shape, 'f32')
    parts = np.split(dy, np.cumsum([sh[axis] for sh in shapes])[:-1], axis)
    for k in range(len(shapes)):
        case('concat_slice', [(dy, 'f32')] + [(x, 'f32') for x in xs], {'axis': axis, 'index': k}, parts[k], 'f32', f'{shapes} axis={axis} part {k}')
for pshape, ishape, axis in [((5, 3), (4,), 0), ((3, 5), (2, 2), 1), ((4,), (6,), 0)]:
    params = rand(pshape, 'f32')
    ix = rng.integers(0, pshape[axis], size=ishape).astype(np.int32)
    upd = rand(np.take(params, ix, axis=axis).shape, 'f32')
    acc = np.zeros(np.moveaxis(params, axis, 0).shape)
    np.add.at(acc, ix.reshape(-1), f64(np.moveaxis(upd, list(range(axis, axis + ix.ndim)), list(range(ix.ndim)))).reshape((-1,) + acc.shape[1:]))
    case('scatter_add', [(params, 'f32'), (ix, 'i32'), (upd, 'f32')], {'axis': axis}, out(np.moveaxis(acc, 0, axis), 'f32'), 'f32', f'{pshape} {ishape} axis={axis} (repeats add)')

# ---------------------------------------------------------------- shape-like inputs (appended: earlier draws unchanged)
# the shape as an int32 input (TF1's Reshape); attr shape: what was known of it when the graph was built
for shape, target, static in [((2, 3), [3, 2], [3, 2]), ((2, 3, 4), [4, -1], [4, -1]), ((2, 3), [6], [None]), ((2, 3), [1, 3, 2], [None, 3, None])]:
    x = rand(shape, 'f32')
    case('reshape', [(x, 'f32'), (np.array(target, np.int32), 'i32')], {'shape': static}, np.reshape(x, target), 'f32', f'{shape} -> {target} (shape input, static {static})')
x = rand((2, 2), 'f32')
case('reshape', [(x, 'f32'), (np.array([3, 7], np.int32), 'i32')], {'shape': [None, None]}, None, None, 'shape input [3, 7] for 4 values', error='InvalidArgumentError')
# begin and size as int32 inputs (TF1's Slice); attrs: what was known of them when the graph was built
for shape, begin, size, sb, ss in [((3, 4), [1, 0], [2, 3], [1, 0], [2, 3]), ((3, 4), [0, 1], [-1, -1], [0, 1], [-1, -1]), ((2, 3, 4), [1, 1, 1], [1, 2, -1], [None, 1, None], [1, None, -1])]:
    x = rand(shape, 'f32')
    sl = tuple(slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))
    case('slice', [(x, 'f32'), (np.array(begin, np.int32), 'i32'), (np.array(size, np.int32), 'i32')], {'begin': sb, 'size': ss}, x[sl], 'f32', f'{shape} begin={begin} size={size} (inputs)')
x = rand((3, 4), 'f32')
case('slice', [(x, 'f32'), (np.array([2, 0], np.int32), 'i32'), (np.array([2, 4], np.int32), 'i32')], {'begin': [None, None], 'size': [None, None]}, None, None, 'begin input [2, 0] size [2, 4] past the end', error='InvalidArgumentError')
for xshape, begin, dshape in [((3, 4), [1, 2], (2, 2)), ((2, 3, 4), [0, 1, 0], (2, 2, 4)), ((5,), [4], (1,))]:
    x = rand(xshape, 'f64')
    dy = rand(dshape, 'f64')
    z = np.zeros(xshape)
    z[tuple(slice(b, b + d) for b, d in zip(begin, dshape))] = dy
    case('slice_grad', [(dy, 'f64'), (x, 'f64'), (np.array(begin, np.int32), 'i32')], {'begin': begin}, z, 'f64', f'{dshape} at {begin} in {xshape}')
case('slice_grad', [(rand((2, 2), 'f64'), 'f64'), (rand((3, 4), 'f64'), 'f64'), (np.array([2, 0], np.int32), 'i32')], {'begin': None}, None, None, 'dy [2, 2] at [2, 0] past the end of [3, 4]', error='InvalidArgumentError')

# ---------------------------------------------------------------- floordiv, floormod, leaky_relu
# TF1's FloorDiv: floats floor(x / y) (the quotient rounded to the dtype first; numpy's
# floor_divide corrects it by fmod, TF does not: 1 // 0.1 is 10), int32 rounding toward -inf.
# TF1's FloorMod: C's remainder (fmod for floats) moved to the divisor's sign when nonzero.
def tf_floordiv(a, b, dt):
    if dt == 'i32':
        return np.floor_divide(a.astype(np.int64), b.astype(np.int64)).astype(np.int32)
    return np.floor(np.divide(a, b, dtype=NP[dt]))


def tf_floormod(a, b, dt):
    with np.errstate(invalid='ignore'):
        r = np.fmod(a, b) if dt != 'i32' else np.fmod(a.astype(np.int64), b.astype(np.int64))
        r = np.where((r != 0) & ((b < 0) != (r < 0)), r + b, r)
    return r.astype(NP[dt])


for name, fn in [('floordiv', tf_floordiv), ('floormod', tf_floormod)]:
    for dt in ['f32', 'f64', 'i32']:
        for sa, sb in SHAPES:
            a, b = rand(sa, dt, -9, 9), rand(sb, dt, -4, 4)
            b = np.where(np.abs(b) < 0.5, 3 if dt == 'i32' else 1.5, b).astype(NP[dt])
            case(name, [(a, dt), (b, dt)], {}, fn(a, b, dt), dt, f'{dt} {sa} {sb}')
    # signs, exact multiples, int32 extremes (INT_MIN // -1 wraps, INT_MIN % -1 is 0)
    a = np.array([7, -7, 7, -7, 6, -6, 0, -2**31, -2**31, 2**31 - 1], np.int32)
    b = np.array([2, 2, -2, -2, 3, 3, -5, -1, 7, -3], np.int32)
    with np.errstate(over='ignore'):
        case(name, [(a, 'i32'), (b, 'i32')], {}, fn(a, b, 'i32'), 'i32', 'int32 signs and extremes')
    a = np.array([7.5, -7.5, 7.5, -7.5, 1.0, 0.0, -0.0, np.inf, 3.0, 5.0, np.nan], np.float64)
    b = np.array([2.0, 2.0, -2.0, -2.0, 0.1, 3.0, 3.0, 2.0, 0.0, np.inf, 1.0], np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        for dt in ['f32', 'f64']:
            case(name, [(a.astype(NP[dt]), dt), (b.astype(NP[dt]), dt)], {}, fn(a.astype(NP[dt]), b.astype(NP[dt]), dt), dt, f'{dt} signs, 1 // 0.1, zeros, inf, nan')
    case(name, [(np.array([3, 4], np.int32), 'i32'), (np.array([1, 0], np.int32), 'i32')], {}, None, None, 'int32 division by zero', error='InvalidArgumentError')
for dt in ['f32', 'f64']:
    for shape in [(2, 3), (5,), ()]:
        for alpha in [0.2, 0.01, 1.5, -0.5]:
            x = rand(shape, dt, -3, 3)
            y = np.where(x > 0, x, x * NP[dt](alpha))
            case('leaky_relu', [(x, dt)], {'alpha': alpha}, out(y, dt), dt, f'{dt} {shape} alpha={alpha}')
x = np.array([np.nan, -0.0, 0.0, -np.inf, np.inf], np.float32)
case('leaky_relu', [(x, 'f32')], {'alpha': 0.2}, np.where(x > 0, x, x * np.float32(0.2)), 'f32', 'nan, zeros, infinities')
case('leaky_relu', [(rand((0, 3), 'f32'), 'f32')], {'alpha': 0.2}, np.zeros((0, 3), np.float32), 'f32', 'size-0')

# ---------------------------------------------------------------- floor (after the others: their random draws stay the same)
for dt in ['f32', 'f64']:
    for shape in [(2, 3), (5,), ()]:
        x = rand(shape, dt, -3, 3)
        case('floor', [(x, dt)], {}, out(np.floor(f64(x)), dt), dt, f'{dt} {shape}')
    x = np.array([2.0, -2.0, 0.5, -0.5, -0.0, 0.0, 2.5e9, -1e-30, np.inf, -np.inf, np.nan], NP[dt])
    case('floor', [(x, dt)], {}, out(np.floor(f64(x)), dt), dt, f'{dt} integers, signed zeros, large, tiny, infinities, nan')

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures.json')
with open(path, 'w') as f:
    json.dump({'generator': 'test/ops/gen_fixtures.py', 'numpy': np.__version__, 'cases': CASES}, f, separators=(',', ':'))
    f.write('\n')
print(f'{len(CASES)} cases -> {path}')
