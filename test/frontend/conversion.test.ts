/**
 * @fileoverview TF1's convert_to_tensor rules and operator names: Python operands take the
 * tensor's dtype and become `<op>/y` (or `<op>/x` on the left), standalone Python ints are
 * int32, floats float32, bools bool; incompatible values raise TF1's TypeError; `/` on int32
 * casts to float64; the op builtins use TF1's default names (`Add`, `MatMul`, `Sum`, ...).
 */
import t from 'tap';
import { build, buildOk, firstError, nodeNames, strs } from './helpers.js';

t.test('operator node names and converted constants', async (t) => {
  const r = buildOk(`
x = placeholder(f32, shape=[None, 3], name="x")
a = x + 2
b = 2 + x
c = x - 1
d = x * x
e = x / 2
f = -x
g = x ** 2
h = x < 1.5
i = 1 < x
w = constant([[1.0], [2.0], [3.0]])
m = x @ w
`);
  t.same(strs(r, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'm']), {
    a: 'Tensor("add:0", shape=(?, 3), dtype=float32)',
    b: 'Tensor("add_1:0", shape=(?, 3), dtype=float32)',
    c: 'Tensor("sub:0", shape=(?, 3), dtype=float32)',
    d: 'Tensor("mul:0", shape=(?, 3), dtype=float32)',
    e: 'Tensor("truediv:0", shape=(?, 3), dtype=float32)',
    f: 'Tensor("Neg:0", shape=(?, 3), dtype=float32)',
    g: 'Tensor("pow:0", shape=(?, 3), dtype=float32)',
    h: 'Tensor("Less:0", shape=(?, 3), dtype=bool)',
    i: 'Tensor("Greater:0", shape=(?, 3), dtype=bool)',
    m: 'Tensor("matmul:0", shape=(?, 1), dtype=float32)',
  });
  t.same(nodeNames(r), [
    'x',
    'add/y',
    'add',
    'add_1/x',
    'add_1',
    'sub/y',
    'sub',
    'mul',
    'truediv/y',
    'truediv',
    'Neg',
    'pow/y',
    'pow',
    'Less/y',
    'Less',
    'Greater/y',
    'Greater',
    'Const',
    'matmul',
  ]);
  const addY = r.defaultGraph.get('add/y')!;
  t.equal(addY.dtype, 'f32', '2 converted to the tensor dtype');
  t.same(addY.attrs.value, [2]);
});

t.test('// and % on tensors: floordiv and mod (FloorDiv, FloorMod); floordiv(), floormod(), mod(), leaky_relu() names', async (t) => {
  const r = buildOk(`
x = placeholder(f32, shape=[None, 3], name="x")
a = x // 2
b = 7 % x
c = floordiv(x, x)
d = floormod(x, 2.0)
e = mod(x, x)
i = constant([1, -2, 3])
f = leaky_relu(x)
g = leaky_relu(i, alpha=0.1)
h = 7 // 2 + 7 % -3
`);
  t.same(strs(r, ['a', 'b', 'c', 'd', 'e', 'f', 'g']), {
    a: 'Tensor("floordiv:0", shape=(?, 3), dtype=float32)',
    b: 'Tensor("mod:0", shape=(?, 3), dtype=float32)',
    c: 'Tensor("floordiv_1:0", shape=(?, 3), dtype=float32)',
    d: 'Tensor("FloorMod:0", shape=(?, 3), dtype=float32)',
    e: 'Tensor("FloorMod_1:0", shape=(?, 3), dtype=float32)',
    f: 'Tensor("LeakyRelu:0", shape=(?, 3), dtype=float32)',
    g: 'Tensor("LeakyRelu_1:0", shape=(3,), dtype=float32)',
  });
  t.same(nodeNames(r), [
    'x',
    'floordiv/y',
    'floordiv',
    'mod/x',
    'mod',
    'floordiv_1',
    'FloorMod/y',
    'FloorMod',
    'FloorMod_1',
    'Const',
    'LeakyRelu',
    'LeakyRelu_1/Cast',
    'LeakyRelu_1',
  ]);
  t.equal(r.defaultGraph.get('floordiv')!.op, 'floordiv');
  t.equal(r.defaultGraph.get('mod')!.op, 'floormod');
  t.same(r.defaultGraph.get('LeakyRelu_1')!.attrs, { alpha: 0.1 });
  t.equal(strs(r, ['h']).h, '1', 'between Python numbers: Python floor division and modulo (3 + -2)');
});

t.test('the seed example: x*x*y + y + 2 and its names', async (t) => {
  const r = buildOk(`
x = Variable(3, name="x")
y = Variable(4, name="y")
f = x*x*y + y + 2
`);
  t.same(nodeNames(r), ['x/initial_value', 'x', 'x/Assign', 'y/initial_value', 'y', 'y/Assign', 'mul', 'mul_1', 'add', 'add_1/y', 'add_1']);
  t.equal(r.defaultGraph.get('add_1')!.dtype, 'i32');
});

t.test('int32 true division casts both operands to float64 (truediv/Cast, truediv/Cast_1)', async (t) => {
  const r = buildOk(`
w = constant(3)
q = w / 2
`);
  t.same(nodeNames(r), ['Const', 'truediv/y', 'truediv/Cast', 'truediv/Cast_1', 'truediv']);
  t.equal(r.defaultGraph.get('truediv')!.dtype, 'f64');
  t.equal(r.defaultGraph.get('truediv/y')!.dtype, 'i32');
});

t.test('standalone Python values: int → int32, float → float32, bool → bool, lists inferred', async (t) => {
  const r = buildOk(`
a = constant(1)
b = constant(1.5)
c = constant(True)
d = constant([1, 2.5])
e = constant([[1, 2], [3, 4]])
f = constant(7, dtype=float64)
g = constant(0, shape=[2, 3])
h = constant([1, 2], shape=[4])
`);
  const dt = (n: string) => {
    const v = r.bindings.get(n)!;
    return v.kind === 'tensor' ? `${v.node.dtype}${JSON.stringify(v.node.shape)}` : '?';
  };
  t.same(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map(dt), ['i32[]', 'f32[]', 'bool[]', 'f32[2]', 'i32[2,2]', 'f64[]', 'i32[2,3]', 'i32[4]']);
  const h = r.bindings.get('h')!;
  t.same(h.kind === 'tensor' && h.node.attrs.value, [1, 2, 2, 2], 'a shorter list is padded with its last element');
});

t.test('conversion errors are TF1 TypeErrors at the expression', async (t) => {
  t.equal(firstError(build(`x = constant(1)\ny = x + 2.5`)), "2:5: TypeError: Expected int32, got 2.5 of type 'float' instead.");
  t.equal(firstError(build(`y = constant(2.5, dtype=int32)`)), "1:5: TypeError: Expected int32, got 2.5 of type 'float' instead.");
  t.equal(
    firstError(build(`y = constant(True, dtype=float32) + constant([1, 0.5], dtype=bool)`)),
    "1:37: TypeError: Expected bool, got 1 of type 'int' instead.",
  );
  t.equal(
    firstError(build(`x = constant(1.0)\ny = add(2, x)`)),
    "2:5: TypeError: Input 'y' of 'Add' Op has type float32 that does not match type int32 of argument 'x'.",
  );
  t.equal(
    firstError(build(`x = constant(1)\ny = add(x, 2.5)`)),
    "2:5: TypeError: Expected int32 passed to parameter 'y' of op 'Add', got 2.5 of type 'float' instead. Error: Expected int32, got 2.5 of type 'float' instead.",
  );
  t.equal(
    firstError(build(`x = constant(1.0)\ny = constant(1)\nz = x + y`)),
    "3:5: TypeError: Input 'y' of 'Add' Op has type int32 that does not match type float32 of argument 'x'.",
  );
  t.equal(
    firstError(build(`x = constant([[1, 2], [3]])`)),
    '1:5: ValueError: Argument must be a dense tensor: [[1, 2], [3]] - got shape [2], but wanted [2, 2].',
  );
  t.equal(firstError(build(`x = constant(1.0)\nif x > 0 { pass }`)).slice(0, 60), '2:4: TypeError: Using a `tf.Tensor` as a Python `bool` is no');
});

t.test('op builtins use TF1 default names and take name=', async (t) => {
  const r = buildOk(`
x = placeholder(f32, shape=[None, 3], name="X")
a = add(x, 1.0)
b = reduce_sum(x)
c = reduce_mean(x, axis=1, name="mean")
d = matmul(x, ones([3, 2]))
e = transpose(x)
f = reshape(x, [-1])
g = maximum(x, 0., name="relu")
h = add_n([x, x, x])
i = square(x)
j = sqrt(i)
k = random_uniform([2, 2], -1.0, 1.0, seed=3)
l = cast(x, int32)
m = cast(x, float32)
n = reduce_max(x, keep_dims=True)
o = argmax(x, 1)
p = x[:, 0]
`);
  t.same(nodeNames(r), [
    'X',
    'Add/y',
    'Add',
    'Sum',
    'mean',
    'ones',
    'MatMul',
    'transpose',
    'Reshape',
    'relu/y',
    'relu',
    'AddN',
    'Square',
    'Sqrt',
    'random_uniform',
    'Cast',
    'Max',
    'ArgMax',
    'strided_slice',
  ]);
  t.equal(r.bindings.get('m'), r.bindings.get('x'), 'cast to the same dtype returns the tensor itself');
  const b = r.bindings.get('b')!;
  t.same(b.kind === 'tensor' && b.node.attrs, { axis: null, keepdims: false });
  const n = r.bindings.get('n')!;
  t.same(n.kind === 'tensor' && n.node.shape, [1, 1], 'keep_dims alias');
  const k = r.bindings.get('k')!;
  t.same(k.kind === 'tensor' && [k.node.attrs.seed, k.node.attrs.seed2], [87654321, 3], 'op seed only: DEFAULT_GRAPH_SEED');
  // reduce with axis=None took the name `Const` as TF1's _ReductionDims does
  t.equal(
    buildOk(`x = constant([1.0, 2.0])\ns = reduce_sum(x)\nc = constant(1)`).bindings.get('c')?.kind === 'tensor' &&
      (buildOk(`x = constant([1.0, 2.0])\ns = reduce_sum(x)\nc = constant(1)`).bindings.get('c') as { node: { name: string } }).node.name,
    'Const_2',
  );
});

t.test('seeds: graph seed + op seed; op seed defaults to the last node id', async (t) => {
  const r = buildOk(`
set_random_seed(42)
a = constant(1.0)
u = random_uniform([2])
v = random_normal([2], seed=7)
`);
  const at = (n: string) => {
    const v = r.bindings.get(n)!;
    return v.kind === 'tensor' ? [v.node.attrs.seed, v.node.attrs.seed2] : null;
  };
  t.same(at('u'), [42, 1]);
  t.same(at('v'), [42, 7]);
  const nd = build(`u = random_uniform([2])`);
  t.ok(nd.ok);
  t.ok(
    nd.diagnostics.some((d) => d.severity === 'note' && d.code === 2017),
    'non-deterministic seeds are noted',
  );
});

t.test('unknown keyword, missing and extra arguments name the function', async (t) => {
  t.equal(
    firstError(build(`x = reduce_sum([1.0], axes=0)`)),
    "1:5: TypeError: reduce_sum() got an unexpected keyword argument 'axes'. Did you mean 'axis'? (parameters: input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None)",
  );
  t.equal(firstError(build(`x = placeholder()`)), "1:5: TypeError: placeholder() missing 1 required positional argument: 'dtype'");
  t.equal(firstError(build(`x = square(1.0, "a", 3)`)), '1:5: TypeError: square() takes from 1 to 2 positional arguments but 3 were given');
});

t.test('shape arguments: tensors (or lists holding them) are int32 inputs, with static shapes from what is known at build time (TF1)', async (t) => {
  const r = buildOk(`
X = placeholder(f32, shape=[None, 3])
w = reshape(constant([1.0, 2.0, 3.0]), [shape(X)[1], 1])
z = zeros([size(w), 2])
y = reshape(X, [shape(X)[0], 3])
f = fill(shape(X), 1.5)
s = slice(X, constant([0, 1]), [-1, 2])
p = reshape(X, [-1])
`);
  const sh = (n: string): unknown => {
    const v = r.bindings.get(n)!;
    return v.kind === 'tensor' && v.node.shape;
  };
  const ins = (n: string): string[] => {
    const v = r.bindings.get(n)!;
    return v.kind === 'tensor' ? v.node.inputs.map((i) => `${i.name}(${i.op})`) : [];
  };
  t.same(sh('w'), [3, 1]);
  t.same(ins('w'), ['Const(const)', 'Reshape/shape(stack)'], 'the list is packed as TF1 names it: Reshape/shape');
  t.same(sh('z'), [3, 2]);
  t.same(ins('z'), ['zeros/packed(stack)', 'zeros/Const(const)'], 'zeros of a shape tensor is Fill(shape, Const), as TF1');
  t.same(sh('y'), [null, 3], 'shape(X)[0] is unknown when the graph is built: the static shape says so');
  t.same(sh('f'), [null, 3]);
  t.same(sh('s'), [null, 2]);
  t.same(ins('s'), ['Placeholder(placeholder)', 'Const_1(const)', 'Slice/size(const)']);
  t.same(ins('p'), ['Placeholder(placeholder)'], 'Python data stays an attribute');
  t.match(
    firstError(build(`x = reshape(constant([1.0, 2.0]), constant([1.0, 2.0]))`)),
    /TypeError: Input 'shape' of 'Reshape' Op has type float32 that does not match expected type of int32/,
  );
  t.match(
    firstError(build(`x = reshape(constant([1.0, 2.0, 3.0, 4.0]), constant([3, 7]))`)),
    /Cannot reshape a tensor with 4 elements to shape \[3,7\] \(21 elements\)/,
  );
});

t.test('TensorShape values: indexing, as_list, int()', async (t) => {
  const r = buildOk(`
X = placeholder(f32, shape=(None, 3))
s = X.get_shape()
a = s[1]
b = s[0]
c = s.as_list()
d = int(X.shape[1])
e = len(s)
f = X.shape == [None, 3]
g = s.ndims
`);
  t.same(strs(r, ['s', 'a', 'b', 'c', 'd', 'e', 'f', 'g']), { s: '(?, 3)', a: '3', b: 'None', c: '[None, 3]', d: '3', e: '2', f: 'True', g: '2' });
});

t.test('control dependencies, group, no_op, initializers', async (t) => {
  const r = buildOk(`
a = Variable(1.0, name="a")
b = Variable(2.0, name="b")
with control_dependencies([a.initializer]) {
  c = a + 1.0
  v = Variable(3.0, name="v")
}
g = group(a.initializer, b.initializer)
n = no_op()
init = global_variables_initializer()
init2 = variables_initializer([a], name="init_a")
`);
  const node = (n: string) => r.defaultGraph.get(n)!;
  // TF1 prunes (ops.py _control_dependencies_for_inputs): the converted 1.0 (`add/y`) is made in
  // the block and carries the edge, so `add`, which reads it, gets none.
  t.same(
    node('add/y').controlInputs.map((x) => x.name),
    ['a/Assign'],
  );
  t.same(
    node('add').controlInputs.map((x) => x.name),
    [],
  );
  t.same(
    node('v').controlInputs.map((x) => x.name),
    [],
    'variables are made in init_scope, without control deps',
  );
  t.same(
    node('group_deps').controlInputs.map((x) => x.name),
    ['a/Assign', 'b/Assign'],
  );
  t.same(
    node('init').controlInputs.map((x) => x.name),
    ['a/Assign', 'b/Assign', 'v/Assign'],
  );
  t.same(
    node('init_a').controlInputs.map((x) => x.name),
    ['a/Assign'],
  );
  t.equal(node('NoOp').op, 'no_op');
  t.same(strs(r, ['init']), { init: "<tf.Operation 'init' type=NoOp>" });
});

t.test('variable attributes', async (t) => {
  const r = buildOk(`
x = Variable(3, name="x")
a = x.name
b = x.op.name
c = x.initializer.name
d = x.initial_value.name
e = x.shape
f = x.dtype
g = x.graph == get_default_graph()
h = x.value()
i = x.assign(5).name
j = x.assign_add(1).name
k = x.graph.name
`);
  t.same(strs(r, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k']), {
    a: 'x:0',
    b: 'x',
    c: 'x/Assign',
    d: 'x/initial_value:0',
    e: '()',
    f: "<dtype: 'int32'>",
    g: 'True',
    h: 'Tensor("x:0", shape=(), dtype=int32)',
    i: 'Assign:0',
    j: 'AssignAdd:0',
    k: 'default',
  });
  t.same(
    r.defaultGraph.getCollection('variables').map((n) => n.name),
    ['x'],
  );
  t.same(
    r.defaultGraph.getCollection('trainable_variables').map((n) => n.name),
    ['x'],
  );
  t.equal(r.defaultGraph.variables.get('x')?.initializer.name, 'x/Assign');
});
