/**
 * @fileoverview The reference Session's Session.run rules (TF1's client/session.py and
 * session_test.py): fetch structures, names, pruning, once-per-run, feeds and their checks,
 * variables, errors with TF1's messages + node name + `.tfg` location, closed sessions.
 * Graphs are built directly on a test op table (test-ops.ts).
 */
import t, { type Test } from 'tap';
import { SourceFile, span } from '../../compiler/diagnostics/span.js';
import { Graph, Operation } from '../../compiler/ir/graph.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { FailedPreconditionError, InternalError, InvalidArgumentError, type OpError, RuntimeError, TypeError_, ValueError } from '../../session/errors.js';
import { type Tensor, fromNested } from '../../session/tensor.js';
import { constant, node, testOps } from './test-ops.js';

/** The error `fn` throws (tap's t.throws treats a predicate as a class, so we match instead). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function catchErr(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return new Error('expected an error, none was thrown');
}

/** Match an error against a pattern object, a class, or a predicate (an arrow function). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function expectErr(tt: Test, e: unknown, p: any, msg?: string): void {
  if (typeof p === 'function' && !p.prototype) tt.ok(p(e), msg ?? `error matches: ${String(e)}`);
  else tt.match(e, p, msg ?? 'error matches');
}

const src = new SourceFile(
  'prog.tfg',
  'X = placeholder(f32, shape=[None, 3], name="X")\nx = variable(3, name="x")\nr = random_uniform([2])\nbad = gather(p, 7)\n',
);
const line = (n: number): ReturnType<typeof span> => {
  let off = 0;
  for (let i = 1; i < n; i++) off = src.text.indexOf('\n', off) + 1;
  return span(src, off, src.text.indexOf('\n', off));
};

function setup() {
  const evals = new Map<string, number>();
  const g = new Graph();
  const sess = (seed = 1) => new ReferenceSession(g, { ops: testOps(evals), seed });
  return { g, evals, sess };
}

function xyf(g: Graph) {
  const x = node(g, 'variable', 'x', [], { dtype: 'i32', shape: [], trainable: true }, 'i32', [], { span: line(2) });
  const y = node(g, 'variable', 'y', [], { dtype: 'i32', shape: [], trainable: true }, 'i32', []);
  const three = constant(g, 3, 'Const', 'i32');
  const four = constant(g, 4, 'Const', 'i32');
  const ax = node(g, 'assign', 'Assign', [x, three], {}, 'i32', []);
  const ay = node(g, 'assign', 'Assign', [y, four], {}, 'i32', []);
  const init = node(g, 'group', 'init', [], {}, null, null, { controlInputs: [ax, ay] });
  const xx = node(g, 'mul', 'mul', [x, x], {}, 'i32', []);
  const xxy = node(g, 'mul', 'mul', [xx, y], {}, 'i32', []);
  const s = node(g, 'add', 'add', [xxy, y], {}, 'i32', []);
  const two = constant(g, 2, 'Const', 'i32');
  const f = node(g, 'add', 'f', [s, two], {}, 'i32', []);
  return { x, y, init, f };
}

t.test('the seed graph: f = x*x*y + y + 2 is 42 after init; fetching an op gives null', (t) => {
  const { g, sess } = setup();
  const { init, f } = xyf(g);
  const s = sess();
  t.equal(s.run(init), null);
  const v = s.run(f);
  t.equal(v.dtype, 'i32');
  t.same(v.shape, []);
  t.equal(v.data[0], 42);
  t.equal(s.run(new Operation(f)), null, 'an Operation handle of a tensor node gives null');
  t.same(s.variableNames(), ['x', 'y']);
  t.equal(s.readVariable('x').data[0], 3);
  t.end();
});

t.test('fetch structures: lists, nested lists, dicts, duplicates and names', (t) => {
  const { g, sess } = setup();
  const { init, f, x } = xyf(g);
  const s = sess();
  s.run(init);
  const r = s.run([f, [x, 'f:0'], { a: f, b: [init, 'init'], c: 'x:0' }, f] as const);
  t.equal(r[0].data[0], 42);
  t.equal(r[1][0].data[0], 3);
  t.equal((r[1][1] as Tensor).data[0], 42);
  t.equal(r[2].a.data[0], 42);
  t.same(r[2].b, [null, null]);
  t.equal((r[2].c as Tensor).data[0], 3);
  t.equal(r[3], r[0], 'a duplicate fetch is one value');
  t.same(s.run([]), []);
  t.same(s.run({}), {});
  t.equal(s.run('f'), null, 'a bare op name fetches the operation');
  t.equal(s.runOne(f)!.data[0], 42);
  t.end();
});

t.test('unknown and malformed fetch names raise TF1 errors', (t) => {
  const { g, sess } = setup();
  const { init } = xyf(g);
  const s = sess();
  expectErr(
    t,
    catchErr(() => s.run('q:0')),
    {
      name: 'ValueError',
      message: `Fetch argument 'q:0' cannot be interpreted as a Tensor. ("The name 'q:0' refers to a Tensor which does not exist. The operation, 'q', does not exist in the graph.")`,
    },
  );
  expectErr(
    t,
    catchErr(() => s.run('q')),
    { name: 'ValueError', message: `Fetch argument 'q' cannot be interpreted as a Tensor. ("The name 'q' refers to an Operation not in the graph.")` },
  );
  expectErr(
    t,
    catchErr(() => s.run('f:1')),
    {
      message: `Fetch argument 'f:1' cannot be interpreted as a Tensor. ("The name 'f:1' refers to a Tensor which does not exist. The operation, 'f', exists but only has 1 outputs.")`,
    },
  );
  expectErr(
    t,
    catchErr(() => s.run('init:0')),
    { message: /The operation, 'init', exists but only has 0 outputs/ },
  );
  expectErr(
    t,
    catchErr(() => s.run('f:x')),
    { message: /looks a like a Tensor name, but is not a valid one/ },
  );
  expectErr(
    t,
    catchErr(() => s.run(null as never)),
    (e: Error) => e instanceof TypeError_ && e.message === "Fetch argument None has invalid type <class 'NoneType'>",
  );
  expectErr(
    t,
    catchErr(() => s.run([init, 3] as never)),
    { name: 'TypeError', message: "Fetch argument 3 has invalid type <class 'int'>" },
  );
  const other = new Graph();
  const o = constant(other, 1);
  expectErr(
    t,
    catchErr(() => s.run(o)),
    {
      name: 'ValueError',
      message: `Fetch argument <tf.Tensor 'Const:0' shape=() dtype=float32> cannot be interpreted as a Tensor. (Tensor Tensor("Const:0", shape=(), dtype=float32) is not an element of this graph.)`,
    },
  );
  t.end();
});

t.test('only the needed subgraph runs: an unneeded unfed placeholder is no error', (t) => {
  const { g, evals, sess } = setup();
  const X = node(g, 'placeholder', 'X', [], { dtype: 'f32', shape: [null, 3] }, 'f32', [null, 3], { span: line(1) });
  const a = constant(g, 1, 'a');
  const b = constant(g, 2, 'b');
  const c = node(g, 'add', 'c', [a, b], {}, 'f32', []);
  node(g, 'add', 'unused', [X, X], {}, 'f32', [null, 3]);
  const unusedConst = constant(g, 9, 'unused_const');
  const s = sess();
  t.equal(s.run(c).data[0], 3);
  t.equal(evals.get('a'), 1);
  t.equal(evals.get(unusedConst.name), undefined, 'nodes not needed are not evaluated');
  t.end();
});

t.test('each node runs at most once per run: run([r + 1, r + 2]) sees one r', (t) => {
  const { g, evals, sess } = setup();
  const r = node(g, 'random_bits', 'r', [], { shape: [3], seed: 5, seed2: 7 }, 'f64', [3]);
  const one = constant(g, 0, 'zero', 'f64');
  const r1 = node(g, 'add', 'add', [r, one], {}, 'f64', [3]);
  const r2 = node(g, 'add', 'add', [r, one], {}, 'f64', [3]);
  const s = sess();
  const [v1, v2, v3] = s.run([r1, r2, r]);
  t.same([...v1.data], [...v2.data]);
  t.same([...v1.data], [...v3.data]);
  t.equal(evals.get('r'), 1);
  const [w] = s.run([r1]);
  t.notSame([...w.data], [...v1.data], 'the stream advances across runs');
  // Another session with the same seeds starts the stream over: sessions share nothing.
  const s2 = sess();
  t.same([...s2.run(r).data], [...v3.data]);
  t.end();
});

t.test('seedless random ops follow the session seed', (t) => {
  const { g, sess } = setup();
  const r = node(g, 'random_bits', 'r', [], { shape: [4], seed: 0, seed2: 0 }, 'f64', [4]);
  t.same([...sess(11).run(r).data], [...sess(11).run(r).data]);
  t.notSame([...sess(11).run(r).data], [...sess(12).run(r).data]);
  t.end();
});

t.test('feeds: placeholders and any tensor, by node or by name; fed inputs are pruned', (t) => {
  const { g, evals, sess } = setup();
  const X = node(g, 'placeholder', 'X', [], { dtype: 'f32', shape: [null, 3] }, 'f32', [null, 3], { span: line(1) });
  const two = constant(g, 2, 'two');
  const y = node(g, 'mul', 'y', [X, two], {}, 'f32', [null, 3]);
  const s = sess();
  t.same(s.run(y, new Map([[X, [[1, 2, 3]]]])).toNested(), [[2, 4, 6]]);
  t.same(
    s
      .run(y, {
        'X:0': [
          [1, 2, 3],
          [4, 5, 6],
        ],
      })
      .toNested(),
    [
      [2, 4, 6],
      [8, 10, 12],
    ],
  );
  t.same(s.run(y, { 'X:0': fromNested('f64', [[1, 1, 1]]) }).toNested(), [[2, 2, 2]], 'a Tensor of another dtype is converted');
  const before = evals.get('two');
  t.same(s.run(y, { 'X:0': [[1, 1, 1]], 'two:0': 10 }).toNested(), [[10, 10, 10]], 'any tensor can be fed');
  t.equal(evals.get('two'), before, 'a fed constant is not evaluated');
  t.same(s.run(X, { 'X:0': [[7, 8, 9]] }).toNested(), [[7, 8, 9]], 'fetching a fed tensor gives the fed value');
  // A fed tensor's inputs are not evaluated (the unfed placeholder X above y is not needed).
  const z = node(g, 'add', 'z', [y, two], {}, 'f32', [null, 3]);
  t.same(s.run(z, { 'y:0': [[1, 1, 1]] }).toNested(), [[3, 3, 3]]);
  t.end();
});

t.test('feed values are converted like np.asarray(value, dtype)', (t) => {
  const { g, sess } = setup();
  const I = node(g, 'placeholder', 'I', [], { dtype: 'i32', shape: null }, 'i32', null);
  const B = node(g, 'placeholder', 'B', [], { dtype: 'bool', shape: null }, 'bool', null);
  const s = sess();
  t.same(s.run(I, { 'I:0': [1.9, -1.9, true] }).toNested(), [1, -1, 1], 'floats in a list truncate toward zero, as numpy casts');
  t.equal(s.run(I, { 'I:0': 2.5 }).data[0], 2, 'TF1 casts a Python float scalar with numpy (no error)');
  t.same(s.run(B, { 'B:0': [0, 3, false] }).toNested(), [false, true, false]);
  expectErr(
    t,
    catchErr(() => s.run(I, { 'I:0': 3e9 })),
    {
      name: 'TypeError',
      message:
        "Type of feed value 3000000000 with type <class 'int'> is not compatible with Tensor type <class 'numpy.int32'>. Try explicitly setting the type of the feed tensor to a larger type (e.g. int64).",
    },
  );
  expectErr(
    t,
    catchErr(() => s.run(I, { 'I:0': [[1, 2], [3]] })),
    { name: 'ValueError', message: 'setting an array element with a sequence.', nodeName: 'I' },
  );
  expectErr(
    t,
    catchErr(() => s.run(I, { 'I:0': [NaN] })),
    { name: 'ValueError', message: 'cannot convert float NaN to integer' },
  );
  expectErr(
    t,
    catchErr(() => s.run(I, { 'I:0': null as never })),
    { name: 'TypeError', message: "int() argument must be a string, a bytes-like object or a number, not 'NoneType'" },
  );
  expectErr(
    t,
    catchErr(() => s.run(I, { 'I:0': I as never })),
    { name: 'TypeError', message: /^The value of a feed cannot be a tf.Tensor object\./ },
  );
  t.end();
});

t.test('feed shape and key errors', (t) => {
  const { g, sess } = setup();
  const X = node(g, 'placeholder', 'X', [], { dtype: 'f32', shape: [null, 3] }, 'f32', [null, 3], { span: line(1) });
  const init = node(g, 'group', 'init', [], {}, null, null);
  const s = sess();
  expectErr(
    t,
    catchErr(() => s.run(X, { 'X:0': [1, 2] })),
    (e: unknown) => {
      t.ok(e instanceof ValueError);
      t.equal((e as Error).message, "Cannot feed value of shape (2,) for Tensor 'X:0', which has shape '(?, 3)'");
      t.equal((e as { nodeName: string }).nodeName, 'X');
      t.match((e as { location: object }).location, { file: 'prog.tfg', line: 1, col: 1 });
      return true;
    },
  );
  expectErr(
    t,
    catchErr(() => s.run(X, { 'X:0': 5 })),
    { message: "Cannot feed value of shape () for Tensor 'X:0', which has shape '(?, 3)'" },
  );
  expectErr(
    t,
    catchErr(() => s.run(X, { init: 1 })),
    {
      name: 'TypeError',
      message: `Cannot interpret feed_dict key as Tensor: The name 'init' refers to an Operation, not a Tensor. Tensor names must be of the form "<op_name>:<output_index>".`,
    },
  );
  expectErr(
    t,
    catchErr(() => s.run(X, new Map([[init, 1]]))),
    { name: 'TypeError', message: 'Cannot interpret feed_dict key as Tensor: Can not convert a Operation into a Tensor.' },
  );
  expectErr(
    t,
    catchErr(() => s.run(X, { 'nope:0': 1 })),
    {
      name: 'TypeError',
      message:
        "Cannot interpret feed_dict key as Tensor: The name 'nope:0' refers to a Tensor which does not exist. The operation, 'nope', does not exist in the graph.",
    },
  );
  t.end();
});

t.test('a needed placeholder not fed: InvalidArgumentError with dtype and shape, node and location', (t) => {
  const { g, sess } = setup();
  const X = node(g, 'placeholder', 'X', [], { dtype: 'f32', shape: [null, 3] }, 'f32', [null, 3], { span: line(1) });
  const S = node(g, 'placeholder', 'S', [], { dtype: 'i32', shape: [] }, 'i32', []);
  const y = node(g, 'add', 'y', [X, X], {}, 'f32', [null, 3]);
  const s = sess();
  expectErr(
    t,
    catchErr(() => s.run(y)),
    (e: unknown) => {
      t.ok(e instanceof InvalidArgumentError);
      const err = e as InvalidArgumentError;
      t.equal(err.tfMessage, "You must feed a value for placeholder tensor 'X' with dtype float and shape [?,3]");
      t.equal(err.nodeName, 'X');
      t.match(err.location, { file: 'prog.tfg', line: 1, col: 1 });
      t.match(err.message, /defined at prog\.tfg:1:1/);
      return true;
    },
  );
  expectErr(
    t,
    catchErr(() => s.run(S)),
    { tfMessage: "You must feed a value for placeholder tensor 'S' with dtype int32" },
    'scalars print no shape, as TF1',
  );
  t.end();
});

t.test('uninitialized variable: FailedPreconditionError; writes before an error stay; session still usable', (t) => {
  const { g, sess } = setup();
  const { x, y, f } = xyf(g);
  const s = sess();
  expectErr(
    t,
    catchErr(() => s.run(f)),
    (e: unknown) => {
      t.ok(e instanceof FailedPreconditionError);
      const err = e as OpError;
      t.equal(err.tfMessage, 'Attempting to use uninitialized value x');
      t.equal(err.nodeName, 'x');
      t.match(err.location, { file: 'prog.tfg', line: 2, col: 1 });
      return true;
    },
  );
  expectErr(
    t,
    catchErr(() => s.readVariable('y')),
    { tfMessage: 'Attempting to use uninitialized value y' },
  );
  // Initialize only x through a run that then fails on y.
  const ten = constant(g, 10, 'ten', 'i32');
  const ax = node(g, 'assign', 'Assign', [x, ten], {}, 'i32', []);
  const both = node(g, 'add', 'both', [ax, y], {}, 'i32', []);
  expectErr(
    t,
    catchErr(() => s.run(both)),
    { tfMessage: 'Attempting to use uninitialized value y' },
  );
  t.equal(s.readVariable('x').data[0], 10, 'the assign that ran before the error is kept');
  s.writeVariable('y', 1);
  t.equal(s.run(f).data[0], 10 * 10 * 1 + 1 + 2, 'the session is still usable');
  t.equal(s.run(both).data[0], 11);
  t.end();
});

t.test('errors from an op carry the node name and location; JS errors are wrapped', (t) => {
  const { g, sess } = setup();
  const bad = node(g, 'fail_plain', 'bad', [], {}, 'f32', [], { span: line(4) });
  const js = node(g, 'fail_js', 'js', [], {}, 'f32', []);
  const wrong = node(g, 'wrong_dtype', 'wrong', [], {}, 'f32', []);
  const s = sess();
  expectErr(
    t,
    catchErr(() => s.run(bad)),
    (e: unknown) => {
      t.ok(e instanceof InvalidArgumentError);
      t.equal((e as OpError).tfMessage, 'indices[0] = 7 is not in [0, 3)');
      t.equal((e as OpError).nodeName, 'bad');
      t.match((e as OpError).location, { file: 'prog.tfg', line: 4, col: 1, endLine: 4 });
      return true;
    },
  );
  expectErr(
    t,
    catchErr(() => s.run(js)),
    (e: unknown) => e instanceof InternalError && e.nodeName === 'js' && e.tfMessage === 'boom',
  );
  expectErr(
    t,
    catchErr(() => s.run(wrong)),
    (e: unknown) => e instanceof InternalError && /produced int32\[\] but the graph says float\[\]/.test(e.tfMessage),
  );
  t.end();
});

t.test('variables persist across runs; two sessions share nothing', (t) => {
  const { g, sess } = setup();
  const v = node(g, 'variable', 'v', [], { dtype: 'f32', shape: [] }, 'f32', []);
  const zero = constant(g, 0, 'zero');
  const one = constant(g, 1, 'one');
  const init = node(g, 'assign', 'init', [v, zero], {}, 'f32', []);
  const inc = node(g, 'assign_add', 'inc', [v, one], {}, 'f32', []);
  const a = sess();
  const b = sess();
  a.run(init);
  a.run(inc);
  a.run(inc);
  t.equal(a.run(v).data[0], 2);
  expectErr(
    t,
    catchErr(() => b.run(v)),
    FailedPreconditionError,
  );
  b.run(init);
  t.equal(b.run(v).data[0], 0);
  t.equal(a.run(v).data[0], 2);
  expectErr(
    t,
    catchErr(() => a.writeVariable('v', [1, 2])),
    { tfMessage: 'Assign requires shapes of both tensors to match. lhs shape= [] rhs shape= [2]' },
  );
  expectErr(
    t,
    catchErr(() => a.readVariable('nope')),
    { name: 'ValueError' },
  );
  t.end();
});

t.test('control inputs run first; variables are read when their consumer runs', (t) => {
  const { g, sess } = setup();
  const v = node(g, 'variable', 'v', [], { dtype: 'f32', shape: [] }, 'f32', []);
  const one = constant(g, 1, 'one');
  const init = node(g, 'assign', 'init', [v, one], {}, 'f32', []);
  const inc = node(g, 'assign_add', 'inc', [v, one], {}, 'f32', []);
  // with control_dependencies([inc]): after = identity(v)
  const after = node(g, 'identity', 'after', [v], {}, 'f32', [], { controlInputs: [inc] });
  const s = sess();
  s.run(init);
  t.equal(s.run(after).data[0], 2, 'identity under control_dependencies reads the updated value');
  t.equal(s.run(after).data[0], 3);
  t.end();
});

t.test('a closed session raises RuntimeError; an empty graph too', (t) => {
  const { g, sess } = setup();
  const { f } = xyf(g);
  const s = sess();
  s.close();
  expectErr(
    t,
    catchErr(() => s.run(f)),
    (e: unknown) => e instanceof RuntimeError && e.message === 'Attempted to use a closed Session.',
  );
  expectErr(
    t,
    catchErr(() => s.readVariable('x')),
    RuntimeError,
  );
  const empty = new ReferenceSession(new Graph(), { ops: testOps() });
  expectErr(
    t,
    catchErr(() => empty.run([])),
    { message: 'The Session graph is empty.  Add operations to the graph before calling run().' },
  );
  t.end();
});

t.test('a 10k-node chain evaluates without recursion limits', (t) => {
  const { g, sess } = setup();
  let n = constant(g, 0, 'c0');
  const one = constant(g, 1, 'one');
  for (let i = 0; i < 10000; i++) n = node(g, 'add', 'add', [n, one], {}, 'f32', []);
  const s = sess();
  t.equal(s.run(n).data[0], 10000);
  // A 10k chain of control dependencies too.
  let c = node(g, 'group', 'g', [], {}, null, null);
  for (let i = 0; i < 10000; i++) c = node(g, 'group', 'g', [], {}, null, null, { controlInputs: [c] });
  t.equal(s.run(c), null);
  t.end();
});
