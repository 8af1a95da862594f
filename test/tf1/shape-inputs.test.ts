/**
 * @fileoverview Shape tensors as TF1 takes them (array_ops.reshape, fill, zeros, ones, slice:
 * the shape, dims, begin and size are tensor inputs of Reshape, Fill and Slice), beyond
 * session_test.py testFeedShapeCompatibility (test/tf1/session-feeds.test.ts): static shapes
 * from what is known when the graph is built, run-time values on every backend, gradients
 * (none for the shape input; slice's through slice_grad at the run-time begin), and the wasm
 * rule — the compiled value is used only when the run-time value is that value.
 */
import t from 'tap';
import { UnimplementedError } from '../../session/errors.js';
import { backends, build, catchErr, nested, str, values } from './helpers.js';

t.test('reshape, fill, zeros and slice with tensor shapes: static shapes and values on every backend', async (t) => {
  const src = `
X = placeholder(float32, shape=[None, 3], name="X")
flat = reshape(X, [-1], name="flat")
rows = reshape(X, [shape(X)[0], 3], name="rows")
z = zeros(shape(X), name="z")
o = ones([shape(X)[0], 2], dtype=int32, name="o")
f = fill(constant([2, 2]), 0.5, name="f")
s = slice(X, constant([0, 1]), [-1, 2], name="s")
signature all(X) -> [flat, z, o, f, s]
`;
  const r = build(src);
  t.equal(str(r, 'rows'), 'Tensor("rows:0", shape=(?, 3), dtype=float32)');
  t.equal(str(r, 'z'), 'Tensor("z:0", shape=(?, 3), dtype=float32)');
  t.equal(str(r, 'o'), 'Tensor("o:0", shape=(?, 2), dtype=int32)');
  t.equal(str(r, 'f'), 'Tensor("f:0", shape=(2, 2), dtype=float32)');
  t.equal(str(r, 's'), 'Tensor("s:0", shape=(?, 2), dtype=float32)');
  const x = [
    [1, 2, 3],
    [4, 5, 6],
  ];
  for (const [name, make] of backends(src)) {
    const sess = make();
    const [flat, z, o, f, s] = sess.run(['flat:0', 'z:0', 'o:0', 'f:0', 's:0'], { 'X:0': x }) as unknown[];
    t.same(nested(flat), [1, 2, 3, 4, 5, 6], `${name}: flat`);
    t.same(
      nested(z),
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
      `${name}: zeros(shape(X))`,
    );
    t.same(
      nested(o),
      [
        [1, 1],
        [1, 1],
      ],
      `${name}: ones([shape(X)[0], 2])`,
    );
    t.same(
      nested(f),
      [
        [0.5, 0.5],
        [0.5, 0.5],
      ],
      `${name}: fill`,
    );
    t.same(
      nested(s),
      [
        [2, 3],
        [5, 6],
      ],
      `${name}: slice`,
    );
    if (name !== 'wasm signatures') t.same(nested(sess.run('rows:0', { 'X:0': x })), x, `${name}: reshape to [shape(X)[0], 3]`);
  }
});

t.test('a fed begin: the reference slices there; wasm refuses a begin other than the compiled one, never silently', async (t) => {
  const src = `
x = constant([10.0, 11.0, 12.0, 13.0], name="x")
b = constant([0], name="b")
s = slice(x, b, [2], name="s")
signature get() -> s
`;
  for (const [name, make] of backends(src)) {
    const sess = make();
    t.same(values(sess.run('s:0')), [10, 11], name);
    t.same(values(sess.run('s:0', { 'b:0': [0] })), [10, 11], `${name}: the compiled begin fed`);
    if (name === 'reference') t.same(values(sess.run('s:0', { 'b:0': [1] })), [11, 12]);
    else {
      const e = catchErr(() => sess.run('s:0', { 'b:0': [1] }));
      t.ok(e instanceof UnimplementedError, `${name}: ${e.message}`);
      t.equal(e.nodeName, 's');
    }
    t.match(
      catchErr(() => sess.run('s:0', { 'b:0': [3] })),
      { name: 'InvalidArgumentError', tfMessage: 'Expected size[0] in [0, 1], but got 2' },
      `${name}: the reference's error`,
    );
  }
});

t.test('gradients: slice with a tensor begin pads dy at the run-time begin (slice_grad; begin and size get none); reshape with a shape tensor', async (t) => {
  const src = `
x = placeholder(float64, shape=[4], name="x")
b = constant([1], name="b")
w = constant([2.0, 3.0], dtype=float64, name="w")
y = reduce_sum(slice(x, b, [2]) * w, name="y")
gx = gradients(y, [x])[0]
r = reshape(x, constant([2, 2]), name="r")
gr = gradients(reduce_sum(r * r), x)[0]
signature grads(x) -> [gx, gr]
`;
  const r = build(src);
  t.match(str(r, 'gx'), /^Tensor\("gradients\/Slice_grad\/Pad:0", shape=\(4,\), dtype=float64\)$/);
  const name = (n: string): string => (r.bindings.get(n) as { node: { name: string } }).node.name;
  const feeds = { 'x:0': [1, 2, 3, 4] };
  for (const [backend, make] of backends(src)) {
    const sess = make();
    const [gx, gr] = sess.run([`${name('gx')}:0`, `${name('gr')}:0`], feeds) as unknown[];
    t.same(values(gx), [0, 2, 3, 0], `${backend}: d/dx of sum(x[1:3] * w)`);
    t.same(values(gr), [2, 4, 6, 8], `${backend}: reshape's gradient`);
    if (backend === 'reference') {
      // the gradient follows the begin fed in the run
      t.same(values(sess.run(`${name('gx')}:0`, { ...feeds, 'b:0': [0] })), [2, 3, 0, 0]);
      t.same(values(sess.run(`${name('gx')}:0`, { ...feeds, 'b:0': [2] })), [0, 0, 2, 3]);
    } else if (backend === 'wasm generic') {
      // its forward slice was compiled for begin [1] (the gradient reads its shape): refused
      t.ok(catchErr(() => sess.run(`${name('gx')}:0`, { ...feeds, 'b:0': [2] })) instanceof UnimplementedError, backend);
    }
  }
});
