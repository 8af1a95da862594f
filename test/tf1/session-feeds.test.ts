/**
 * @fileoverview TF1's tensorflow/python/client/session_test.py feed and fetch tests around
 * testFeedDictKeyException and testFeedShapeCompatibility, ported to `.tfg` and run on every
 * backend: the reference Session, the wasm Session's generic path and its signatures (where the
 * program declares them). TF1's Tensor objects as keys become tensor names (`"a:0"`), which the
 * wasm Session takes; the reference also takes nodes.
 *
 * Not ported: testFeedError on wasm (its feeds are values, there are no Tensor objects to feed),
 * testIncorrectGraph on wasm (a module holds one graph; names resolve in it), string feeds,
 * make_callable, run options and metadata, partial runs, device and config tests.
 */
import t from 'tap';
import { compileProgram } from '../../compiler/driver.js';
import { CompileError } from '../../compiler/diagnostics/diagnostic.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { InvalidArgumentError, UnimplementedError, ValueError } from '../../session/errors.js';
import { backends, build, catchErr, nested, values } from './helpers.js';

t.test('session_test.py testFeedDictKeyException: a feed key naming an operation is a TypeError', async (t) => {
  const src = `
a = constant(1.0, float32, name="a")
signature get() -> a
`;
  for (const [name, make] of backends(src)) {
    const s = make();
    t.match(
      catchErr(() => s.run('a:0', { a: [2.0] })),
      {
        name: 'TypeError',
        message: `Cannot interpret feed_dict key as Tensor: The name 'a' refers to an Operation, not a Tensor. Tensor names must be of the form "<op_name>:<output_index>".`,
      },
      name,
    );
    t.same(values(s.run('a:0', { 'a:0': 2.0 })), [2], `${name}: the tensor name feeds it`);
    t.equal(s.run('a'), null, `${name}: fetches are unaffected, a bare op name is the operation`);
  }
});

t.test('session_test.py testFeedShapeCompatibility: a fed shape tensor is read at run time', async (t) => {
  const src = `
some_tensor = constant([2.0, 2.0, 2.0, 2.0])
new_shape = constant([2, 2])
reshaped_tensor = reshape(some_tensor, new_shape)
signature reshaped() -> reshaped_tensor
`;
  const r = build(src);
  t.same(
    r.defaultGraph.get('Reshape')!.inputs.map((n) => n.name),
    ['Const', 'Const_1'],
    'the shape is a data input, as in TF1',
  );
  for (const [name, make] of backends(src)) {
    const s = make();
    t.same(
      nested(s.run('Reshape:0')),
      [
        [2, 2],
        [2, 2],
      ],
      `${name}: the built shape when not fed`,
    );
    if (name === 'wasm signatures') t.equal(s.stats!.signatureCalls, 1, 'that run was the signature call');
    const e1 = catchErr(() => s.run('Reshape:0', { 'Const:0': [1.0, 2.0, 3.0] }));
    t.ok(e1 instanceof ValueError, `${name}: ${e1.message}`);
    t.match(e1.message, /^Cannot feed value of shape/);
    const e2 = catchErr(() => s.run('Reshape:0', { 'Const_1:0': [3, 7] }));
    t.ok(e2 instanceof InvalidArgumentError, `${name}: ${e2.name}`);
    t.equal(e2.tfMessage, 'Input to reshape is a tensor with 4 values, but the requested shape has 21', name);
    t.equal(e2.nodeName, 'Reshape');
    t.match(e2.location, { file: 'tf1.tfg', line: 4 });
    // beyond TF1's test: the fed value is used, never the built one
    t.same(
      nested(s.run('Reshape:0', { 'Const_1:0': [2, 2] })),
      [
        [2, 2],
        [2, 2],
      ],
      `${name}: the same shape fed`,
    );
    const e3 = catchErr(() => s.run('Reshape:0', { 'Const_1:0': [4, 1] }));
    t.ok(e3 instanceof UnimplementedError, `${name}: a valid shape contradicting the static [2,2]: ${e3.message}`);
    t.equal(e3.nodeName, 'Reshape');
    t.same(
      nested(s.run('Reshape:0', { 'Const:0': [1, 2, 3, 4] })),
      [
        [1, 2],
        [3, 4],
      ],
      `${name}: the fed input`,
    );
  }
});

t.test('session_test.py testFeedShapeCompatibility with a placeholder shape: the reference reads it; wasm refuses what it was not compiled for', async (t) => {
  const src = `
x = constant([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], name="x")
new_shape = placeholder(int32, shape=[2], name="new_shape")
y = reshape(x, new_shape, name="y")
z = fill(new_shape, 7, name="z")
`;
  const r = build(src);
  t.same(r.defaultGraph.get('y')!.shape, [null, null], 'nothing known of the shape when the graph is built');
  for (const [name, make] of backends(src)) {
    const s = make();
    if (name === 'reference') {
      t.same(nested(s.run('y:0', { 'new_shape:0': [2, 3] })), [
        [1, 2, 3],
        [4, 5, 6],
      ]);
      t.same(nested(s.run('y:0', { 'new_shape:0': [3, -1] })), [
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      t.same(nested(s.run('z:0', { 'new_shape:0': [1, 2] })), [[7, 7]]);
    } else {
      // compiled with every unknown dim = the batch size B (1 here): never silently
      const e = catchErr(() => s.run('y:0', { 'new_shape:0': [2, 3] }));
      t.ok(e instanceof UnimplementedError, `${name}: ${e.message}`);
      t.equal(e.nodeName, 'y');
      t.same(nested(s.run('z:0', { 'new_shape:0': [1, 1] })), [[7]], `${name}: a fill whose dims match the plan`);
      t.ok(catchErr(() => s.run('z:0', { 'new_shape:0': [1, 2] })) instanceof UnimplementedError, `${name}: fill dims other than the plan's`);
    }
    t.match(
      catchErr(() => s.run('y:0', { 'new_shape:0': [4, 2] })),
      { name: 'InvalidArgumentError', tfMessage: 'Input to reshape is a tensor with 6 values, but the requested shape has 8' },
      `${name}: the reference's error`,
    );
    t.match(
      catchErr(() => s.run('y:0')),
      { name: 'InvalidArgumentError', tfMessage: "You must feed a value for placeholder tensor 'new_shape' with dtype int32 and shape [2]" },
      name,
    );
  }
});

t.test('session_test.py testFeedShapeCompatibility: a signature that feeds the shape does not compile (the node is named)', async (t) => {
  const r = build(`
some_tensor = constant([2.0, 2.0, 2.0, 2.0])
new_shape = constant([2, 2])
reshaped_tensor = reshape(some_tensor, new_shape)
signature reshape_to(new_shape) -> reshaped_tensor
`);
  const e = catchErr(() => compileProgram(r));
  t.ok(e instanceof CompileError);
  const d = (e as CompileError).diagnostics[0];
  t.equal(d.code, 4002);
  t.equal(
    d.message,
    "signature 'reshape_to' cannot be compiled: the shape of 'Reshape' (op reshape) comes from 'Const_1' and it depends on the signature's feed 'Const_1:0'; the WebAssembly backend compiles reshape with a shape known when the module is compiled (the reference Session reads it at run time)",
  );
  t.equal(d.span?.file.lineCol(d.span.start).line, 4);
});

t.test('session_test.py testFetchByNameDifferentStringTypes: fetch by tensor name', async (t) => {
  const src = `
c = constant(42.0, name="c")
d = constant(43.0, name="d")
e = constant(44.0, name="e")
f = constant(45.0, name="f")
signature all() -> [c, d, e, f]
`;
  const r = build(src);
  t.same(
    ['c', 'd', 'e', 'f'].map((n) => (r.bindings.get(n) as { node: { tensorName: string } }).node.tensorName),
    ['c:0', 'd:0', 'e:0', 'f:0'],
  );
  for (const [name, make] of backends(src)) {
    const s = make();
    t.same(
      ['c:0', 'd:0', 'e:0', 'f:0'].map((n) => values(s.run(n))[0]),
      [42, 43, 44, 45],
      name,
    );
    t.same(
      (s.run(['c:0', 'd:0', 'e:0', 'f:0']) as unknown[]).map((x) => values(x)[0]),
      [42, 43, 44, 45],
      `${name}: all at once`,
    );
  }
});

t.test('session_test.py testFeedPrecisionLossError: an int too large for int32 is a TypeError', async (t) => {
  const src = `
feed_int_implicit_int32 = constant(1)
feed_int_explicit_int32 = constant(1, dtype=int32)
out_t = constant(1.0)
signature out() -> out_t
`;
  const largest = Number.MAX_SAFE_INTEGER; // TF1 feeds np.iinfo(np.int64).max; JS numbers hold 2^53 - 1
  for (const [name, make] of backends(src)) {
    const s = make();
    for (const key of ['Const:0', 'Const_1:0']) {
      const e = catchErr(() => s.run('Const_2:0', { [key]: largest }));
      t.equal(e.name, 'TypeError', `${name} ${key}`);
      t.match(e.message, /is not compatible with Tensor type/);
    }
  }
});

t.test('session_test.py testFeedError: a Tensor as a feed value is a TypeError (reference: wasm feeds are values)', async (t) => {
  const r = build(`
feed_t = placeholder(dtype=float32)
out_t = identity(feed_t)
feed_val = constant(5.0)
`);
  const g = r.defaultGraph;
  const s = new ReferenceSession(g);
  t.match(
    catchErr(() => s.run(g.get('Identity')!, new Map([[g.get('Placeholder')!, g.get('Const')! as never]]))),
    { name: 'TypeError', message: /cannot be a tf.Tensor object/ },
  );
});

t.test('session_test.py testIncorrectGraph: a tensor of another graph (reference), names resolve per module (wasm)', async (t) => {
  const src = `
graph g_1 { c_1 = constant(1.0, name="c") }
graph g_2 { c_2 = constant(2.0, name="c") }
`;
  const r = build(src);
  const c1 = r.graphs.get('g_1')!.get('c')!;
  const c2 = r.graphs.get('g_2')!.get('c')!;
  t.equal(c1.name, 'c');
  t.equal(c2.name, 'c');
  const s1 = new ReferenceSession(r.graphs.get('g_1')!);
  t.same(values(s1.run(c1)), [1]);
  t.ok(catchErr(() => s1.run(c2)) instanceof ValueError);
  const s2 = new ReferenceSession(r.graphs.get('g_2')!);
  t.ok(catchErr(() => s2.run(c1)) instanceof ValueError);
  t.same(values(s2.run(c2)), [2]);
  for (const [gname, want] of [
    ['g_1', 1],
    ['g_2', 2],
  ] as const) {
    for (const [name, make] of backends(src, { graph: gname })) t.same(values(make().run('c:0')), [want], `${gname} ${name}`);
  }
});
