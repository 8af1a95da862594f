/**
 * @fileoverview Python-level evaluation: numbers (int/float distinction, /, //, %, **),
 * closures (late binding), defaults evaluated at definition, comprehensions with their own
 * scope, loops with break/continue, tuple unpacking, augmented assignment, local scoping
 * errors, recursion guard, printing, and the errors Python would raise.
 */
import t from 'tap';
import { build, buildOk, firstError, strs } from './helpers.js';

t.test('numbers follow Python', async (t) => {
  const r = buildOk(`
a = 7 / 2
b = 7 // 2
c = -7 // 2
d = -7 % 3
e = 7.5 % 2
f = 2 ** 10
g = 2 ** -1
h = 1 + True
i = 3 * "ab"
j = [1, 2] + [3]
k = (1,) * 3
l = 0.1 + 0.2
m = 1e16
n = 10 / 5
o = "%d items, %.2f loss, %s" % (3, 0.12345, "ok")
p = "{} and {}".format(1, 2.5)
`);
  t.same(strs(r, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p']), {
    a: '3.5',
    b: '3',
    c: '-4',
    d: '2',
    e: '1.5',
    f: '1024',
    g: '0.5',
    h: '2',
    i: 'ababab',
    j: '[1, 2, 3]',
    k: '(1, 1, 1)',
    l: '0.30000000000000004',
    m: '1e+16',
    n: '2.0',
    o: '3 items, 0.12 loss, ok',
    p: '1 and 2.5',
  });
  t.equal(firstError(build('x = 1 // 0')), '1:5: ZeroDivisionError: integer division or modulo by zero');
  t.equal(firstError(build('x = 1 / 0')), '1:5: ZeroDivisionError: division by zero');
  t.equal(firstError(build('x = "a" + 1')), '1:5: TypeError: can only concatenate str (not "int") to str');
});

t.test('functions: closures, defaults at definition, keyword arguments, recursion', async (t) => {
  const r = buildOk(`
n = 1
def make_adder(k) {
  def add(x) { return x + k + n }
  return add
}
add2 = make_adder(2)
n = 10
a = add2(5)
base = 3
def f(x, y=base * 2) { return x * y }
base = 100
b = f(2)
c = f(2, y=3)
d = f(y=4, x=5)
def fact(k) { return 1 if k <= 1 else k * fact(k - 1) }
e = fact(10)
def noret() { pass }
g = noret()
`);
  t.same(strs(r, ['a', 'b', 'c', 'd', 'e', 'g']), { a: '17', b: '12', c: '6', d: '20', e: '3628800', g: 'None' });
});

t.test('comprehensions, loops, unpacking, augmented assignment', async (t) => {
  const r = buildOk(`
sq = [i * i for i in range(6) if i % 2 == 0]
pairs = [(i, c) for i, c in enumerate(["a", "b"])]
total = 0
for i in range(10) {
  if i == 7 { break }
  if i % 2 == 1 { continue }
  total += i
}
a, b = 1, 2
a, b = b, a
(p, (q, r)) = (1, (2, 3))
xs = []
for k in range(3) { xs.append(k) }
xs += [9]
i_after = i
d = {"a": 1, "b": 2}
keys = [k for k, v in d.items()]
z = list(zip([1, 2, 3], "ab"))
m = max([3, 7, 1]) + min(4, 2) + sum([1, 2, 3])
s = sorted([3, 1, 2])
`);
  t.same(strs(r, ['sq', 'pairs', 'total', 'a', 'b', 'p', 'q', 'r', 'xs', 'i_after', 'keys', 'z', 'm', 's']), {
    sq: '[0, 4, 16]',
    pairs: "[(0, 'a'), (1, 'b')]",
    total: '12',
    a: '2',
    b: '1',
    p: '1',
    q: '2',
    r: '3',
    xs: '[0, 1, 2, 9]',
    i_after: '7',
    keys: "['a', 'b']",
    z: "[(1, 'a'), (2, 'b')]",
    m: '15',
    s: '[1, 2, 3]',
  });
  t.notOk(buildOk('y = [q for q in range(3)]').bindings.has('q'), 'comprehension targets do not leak');
});

t.test('Python errors with locations', async (t) => {
  t.equal(firstError(build('x = 1\ny = z + 1')), "2:5: NameError: name 'z' is not defined");
  t.equal(firstError(build('x = 1\ndef f() {\n  y = x\n  x = 2\n}\nf()')), "3:7: UnboundLocalError: local variable 'x' referenced before assignment");
  t.equal(firstError(build('a, b = [1, 2, 3]')), '1:1: ValueError: too many values to unpack (expected 2)');
  t.equal(firstError(build('def f(x) { return x }\nf(1, 2)')), '2:1: TypeError: f() takes 1 positional argument but 2 were given');
  t.equal(firstError(build('def f(x) { return x }\nf()')), "2:1: TypeError: f() missing 1 required positional argument: 'x'");
  t.equal(firstError(build('def f(x) { return x }\nf(y=1)')), "2:1: TypeError: f() got an unexpected keyword argument 'y'");
  t.equal(firstError(build('x = [1, 2][5]')), '1:5: IndexError: list index out of range');
  t.equal(firstError(build('x = {"a": 1}["b"]')), "1:5: KeyError: 'b'");
  t.equal(firstError(build('n = 1\nx = n.foo')), "2:5: AttributeError: 'int' object has no attribute 'foo'");
  const rec = build('def f(n) { return f(n + 1) }\nf(0)');
  t.match(firstError(rec), /^1:19: RecursionError: maximum recursion depth exceeded: more than 200 nested calls \(in f\(\)\)$/);
  t.ok((rec.diagnostics[0].related?.length ?? 0) > 0, 'the call chain is attached');
});

t.test('evaluation stops at the first error; bindings before it remain', async (t) => {
  const r = build('a = 1\nb = undefined_name\nc = 3');
  t.equal(r.diagnostics.filter((d) => d.severity === 'error').length, 1);
  t.ok(r.bindings.has('a'));
  t.notOk(r.bindings.has('c'));
});

t.test('print writes Python str() of values at construction time', async (t) => {
  const out: string[] = [];
  buildOk('x = constant([1.0, 2.0], name="x")\nprint("x is", x, 3, 2.0, None, [True], sep=" | ")', out);
  t.equal(out.join(''), 'x is | Tensor("x:0", shape=(2,), dtype=float32) | 3 | 2.0 | None | [True]\n');
});

t.test('dtype names double as Python float()/bool()', async (t) => {
  const r = buildOk('a = float(3)\nb = bool(0)\nc = int("12")\nd = str(1.5)\ne = float32 == float');
  t.same(strs(r, ['a', 'b', 'c', 'd', 'e']), { a: '3.0', b: 'False', c: '12', d: '1.5', e: 'True' });
});

t.test('parse errors are all reported and nothing is evaluated', async (t) => {
  const out: string[] = [];
  const r = build('print("hi")\nx = = 1\ny = (\n', out);
  t.notOk(r.ok);
  t.ok(r.diagnostics.filter((d) => d.severity === 'error').length >= 1);
  t.ok(
    r.diagnostics.every((d) => d.code < 2000 || d.severity !== 'error'),
    'only syntax errors',
  );
  t.same(out, [], 'nothing ran');
});
