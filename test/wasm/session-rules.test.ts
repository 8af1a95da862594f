/**
 * @fileoverview The reference Session's Session.run rules (test/interp/session.test.ts, TF1's
 * session.py) parameterised over backends: the same .tfg program and the same calls on the
 * ReferenceSession, the wasm Session on its generic path (no signatures) and the wasm Session
 * through signatures. Where a rule applies to a compiled model (names, not Node objects; the
 * registry's ops, not a test op table) the results and errors must be the same: fetch
 * structures and names, pruning, once-per-run, seeds, feeds and their conversion, feed shape
 * and key errors, unfed placeholders, uninitialized variables (and the writes before an error),
 * variables across runs and sessions, control inputs, op errors with node and location,
 * closed sessions. The rule code is shared (session/run-common.ts), and this checks it is used.
 */
import t, { type Test } from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileGraph, compileProgram } from '../../compiler/driver.js';
import { Graph } from '../../compiler/ir/graph.js';
import { makeNode } from '../../compiler/ops/build.js';
import { sig } from './helpers.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { FailedPreconditionError, InvalidArgumentError, type OpError, RuntimeError, TypeError_, ValueError } from '../../session/errors.js';
import { type Tensor, fromNested } from '../../session/tensor.js';

/** What the rule tests use of a Session, by names. */
interface Sess {
  run(fetches: unknown, feeds?: Record<string, unknown>): unknown;
  readVariable(name: string): Tensor;
  writeVariable(name: string, value: unknown): void;
  variableNames(): string[];
  isInitialized(name: string): boolean;
  close(): void;
}

const PROGRAM = `inp = placeholder(f32, shape=[None, 3], name="inp")
x = variable(3, dtype=int32, name="x")
y = variable(4, dtype=int32, name="y")
init = global_variables_initializer()
f = add(x * x * y + y, 2, name="f")
two = constant(2.0, name="two")
scaled = multiply(inp, two, name="scaled")
shifted = add(scaled, two, name="shifted")
unused = add(inp, inp, name="unused")
c = add(constant(1.0, name="a"), constant(2.0, name="b"), name="c")
r = random_uniform([3], seed=5, name="r")
r1 = add(r, 0.0, name="r1")
r2 = add(r, 0.0, name="r2")
I = placeholder(int32, name="I")
Bo = placeholder(bool, name="Bo")
S = placeholder(int32, shape=[], name="S")
v = variable(0.0, name="v")
v_init = assign(v, 1.0, name="v_init")
inc = assign_add(v, 1.0, name="inc")
with control_dependencies([inc]) {
  after = identity(v, name="after")
}
ten_x = assign(x, 10, name="ten_x")
both = add(ten_x, y, name="both")
p = constant([1.0, 2.0, 3.0], name="p")
idx = placeholder(int32, shape=[], name="idx")
bad = gather(p, idx, name="bad")
`;

const SIGNATURES = `signature compute() -> f
signature scale(inp) -> scaled
signature lists() -> [f, c]
signature gather_at(idx) -> bad
signature step() -> after
`;

type Make = (seed?: number) => Sess;

function backends(): Array<[string, Make]> {
  const plain = buildProgram(PROGRAM, 'prog.tfg');
  const withSigs = buildProgram(PROGRAM + SIGNATURES, 'prog.tfg');
  for (const r of [plain, withSigs]) if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  const generic = loadModelSync(compileProgram(plain).wasm as Uint8Array<ArrayBuffer>);
  const sigs = loadModelSync(compileProgram(withSigs).wasm as Uint8Array<ArrayBuffer>);
  return [
    ['reference', (seed = 1) => new ReferenceSession(plain.defaultGraph, { seed }) as unknown as Sess],
    ['wasm generic', (seed = 1) => generic.createSession({ seed }) as unknown as Sess],
    ['wasm signatures', (seed = 1) => sigs.createSession({ seed }) as unknown as Sess],
  ];
}

function catchErr(fn: () => unknown): Error & Partial<OpError> {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return new Error('expected an error, none was thrown');
}

const data = (x: unknown): number[] => Array.from((x as Tensor).data);

function rules(t: Test, sess: Make): void {
  t.test('f = x*x*y + y + 2 is 42 after init; fetching an op gives null', (t) => {
    const s = sess();
    t.equal(s.run('init'), null);
    const v = s.run('f:0') as Tensor;
    t.equal(v.dtype, 'i32');
    t.same(v.shape, []);
    t.equal(v.data[0], 42);
    t.equal(s.run('f'), null, 'a bare op name fetches the operation');
    t.same(s.variableNames().slice(0, 2), ['x', 'y']);
    t.equal(s.readVariable('x').data[0], 3);
    t.end();
  });

  t.test('fetch structures: lists, nested lists, dicts, duplicates and names', (t) => {
    const s = sess();
    s.run('init');
    const r = s.run(['f:0', ['x:0', 'f:0'], { a: 'f:0', b: ['init', 'init'], c: 'x:0' }, 'f:0']) as [
      Tensor,
      Tensor[],
      { a: Tensor; b: null[]; c: Tensor },
      Tensor,
    ];
    t.equal(r[0].data[0], 42);
    t.equal(r[1][0].data[0], 3);
    t.equal(r[1][1].data[0], 42);
    t.equal(r[2].a.data[0], 42);
    t.same(r[2].b, [null, null]);
    t.equal(r[2].c.data[0], 3);
    t.same(data(r[3]), data(r[0]), 'a duplicate fetch is one value');
    t.same(s.run([]), []);
    t.same(s.run({}), {});
    t.same(
      (s.run(['f:0', 'c:0']) as Tensor[]).map((x) => x.data[0]),
      [42, 3],
    );
    t.end();
  });

  t.test('unknown and malformed fetch names raise TF1 errors', (t) => {
    const s = sess();
    t.match(
      catchErr(() => s.run('q:0')),
      {
        name: 'ValueError',
        message: `Fetch argument 'q:0' cannot be interpreted as a Tensor. ("The name 'q:0' refers to a Tensor which does not exist. The operation, 'q', does not exist in the graph.")`,
      },
    );
    t.match(
      catchErr(() => s.run('q')),
      { name: 'ValueError', message: `Fetch argument 'q' cannot be interpreted as a Tensor. ("The name 'q' refers to an Operation not in the graph.")` },
    );
    t.match(
      catchErr(() => s.run('f:1')),
      {
        message: `Fetch argument 'f:1' cannot be interpreted as a Tensor. ("The name 'f:1' refers to a Tensor which does not exist. The operation, 'f', exists but only has 1 outputs.")`,
      },
    );
    t.match(
      catchErr(() => s.run('init:0')),
      { message: /The operation, 'init', exists but only has 0 outputs/ },
    );
    t.match(
      catchErr(() => s.run('f:x')),
      { message: /looks a like a Tensor name, but is not a valid one/ },
    );
    const none = catchErr(() => s.run(null));
    t.ok(none instanceof TypeError_ && none.message === "Fetch argument None has invalid type <class 'NoneType'>", none.message);
    t.match(
      catchErr(() => s.run(['init', 3])),
      { name: 'TypeError', message: "Fetch argument 3 has invalid type <class 'int'>" },
    );
    t.end();
  });

  t.test('only the needed subgraph runs: an unneeded unfed placeholder is no error', (t) => {
    t.equal((sess().run('c:0') as Tensor).data[0], 3);
    t.end();
  });

  t.test('each node runs at most once per run; streams advance; sessions restart them', (t) => {
    const s = sess();
    const [v1, v2, v3] = s.run(['r1:0', 'r2:0', 'r:0']) as Tensor[];
    t.same(data(v1), data(v2));
    t.same(data(v1), data(v3));
    const [w] = s.run(['r1:0']) as Tensor[];
    t.notSame(data(w), data(v1), 'the stream advances across runs');
    t.same(data(sess().run('r:0')), data(v3), 'another session starts the stream over');
    t.end();
  });

  t.test('feeds: placeholders and any tensor, by tensor name; fed inputs are pruned', (t) => {
    const s = sess();
    t.same((s.run('scaled:0', { 'inp:0': [[1, 2, 3]] }) as Tensor).toNested(), [[2, 4, 6]]);
    t.same(
      (
        s.run('scaled:0', {
          'inp:0': [
            [1, 2, 3],
            [4, 5, 6],
          ],
        }) as Tensor
      ).toNested(),
      [
        [2, 4, 6],
        [8, 10, 12],
      ],
    );
    t.same((s.run('scaled:0', { 'inp:0': fromNested('f64', [[1, 1, 1]]) }) as Tensor).toNested(), [[2, 2, 2]], 'a Tensor of another dtype is converted');
    t.same((s.run('scaled:0', { 'inp:0': [[1, 1, 1]], 'two:0': 10 }) as Tensor).toNested(), [[10, 10, 10]], 'any tensor can be fed');
    t.same((s.run('inp:0', { 'inp:0': [[7, 8, 9]] }) as Tensor).toNested(), [[7, 8, 9]], 'fetching a fed tensor gives the fed value');
    t.same((s.run('shifted:0', { 'scaled:0': [[1, 1, 1]] }) as Tensor).toNested(), [[3, 3, 3]], "a fed tensor's inputs (the unfed inp) are not needed");
    t.end();
  });

  t.test('feed values are converted like np.asarray(value, dtype)', (t) => {
    const s = sess();
    t.same((s.run('I:0', { 'I:0': [1.9, -1.9, true] }) as Tensor).toNested(), [1, -1, 1], 'floats truncate toward zero, as numpy casts');
    t.equal((s.run('I:0', { 'I:0': 2.5 }) as Tensor).data[0], 2);
    t.same((s.run('Bo:0', { 'Bo:0': [0, 3, false] }) as Tensor).toNested(), [false, true, false]);
    t.match(
      catchErr(() => s.run('I:0', { 'I:0': 3e9 })),
      {
        name: 'TypeError',
        message:
          "Type of feed value 3000000000 with type <class 'int'> is not compatible with Tensor type <class 'numpy.int32'>. Try explicitly setting the type of the feed tensor to a larger type (e.g. int64).",
      },
    );
    t.match(
      catchErr(() => s.run('I:0', { 'I:0': [[1, 2], [3]] })),
      { name: 'ValueError', message: 'setting an array element with a sequence.', nodeName: 'I' },
    );
    t.match(
      catchErr(() => s.run('I:0', { 'I:0': [NaN] })),
      { name: 'ValueError', message: 'cannot convert float NaN to integer' },
    );
    t.match(
      catchErr(() => s.run('I:0', { 'I:0': null })),
      { name: 'TypeError', message: "int() argument must be a string, a bytes-like object or a number, not 'NoneType'" },
    );
    t.end();
  });

  t.test('feed shape and key errors', (t) => {
    const s = sess();
    const e = catchErr(() => s.run('inp:0', { 'inp:0': [1, 2] }));
    t.ok(e instanceof ValueError);
    t.equal(e.message, "Cannot feed value of shape (2,) for Tensor 'inp:0', which has shape '(?, 3)'");
    t.equal(e.nodeName, 'inp');
    t.match(e.location, { file: 'prog.tfg', line: 1, col: 7 });
    t.match(
      catchErr(() => s.run('inp:0', { 'inp:0': 5 })),
      { message: "Cannot feed value of shape () for Tensor 'inp:0', which has shape '(?, 3)'" },
    );
    t.match(
      catchErr(() => s.run('inp:0', { init: 1 })),
      {
        name: 'TypeError',
        message: `Cannot interpret feed_dict key as Tensor: The name 'init' refers to an Operation, not a Tensor. Tensor names must be of the form "<op_name>:<output_index>".`,
      },
    );
    t.match(
      catchErr(() => s.run('inp:0', { inp: [[1, 2, 3]] })),
      {
        name: 'TypeError',
        message: `Cannot interpret feed_dict key as Tensor: The name 'inp' refers to an Operation, not a Tensor. Tensor names must be of the form "<op_name>:<output_index>".`,
      },
      "session_test.py FeedDictKeyException: a feed key must be a tensor name ('inp:0'), a bare op name is TF1's TypeError",
    );
    t.match(
      catchErr(() => s.run('inp:0', { nope: 1 })),
      {
        name: 'TypeError',
        message: `Cannot interpret feed_dict key as Tensor: The name 'nope' looks like an (invalid) Operation name, not a Tensor. Tensor names must be of the form "<op_name>:<output_index>".`,
      },
    );
    t.match(
      catchErr(() => s.run('inp:0', { 'nope:0': 1 })),
      {
        name: 'TypeError',
        message:
          "Cannot interpret feed_dict key as Tensor: The name 'nope:0' refers to a Tensor which does not exist. The operation, 'nope', does not exist in the graph.",
      },
    );
    t.end();
  });

  t.test('a needed placeholder not fed: InvalidArgumentError with dtype and shape, node and location', (t) => {
    const s = sess();
    const e = catchErr(() => s.run('scaled:0'));
    t.ok(e instanceof InvalidArgumentError);
    t.equal(e.tfMessage, "You must feed a value for placeholder tensor 'inp' with dtype float and shape [?,3]");
    t.equal(e.nodeName, 'inp');
    t.match(e.location, { file: 'prog.tfg', line: 1, col: 7 });
    t.match(
      catchErr(() => s.run('S:0')),
      { tfMessage: "You must feed a value for placeholder tensor 'S' with dtype int32" },
      'scalars print no shape',
    );
    t.end();
  });

  t.test('uninitialized variable: FailedPreconditionError; writes before an error stay; still usable', (t) => {
    const s = sess();
    const e = catchErr(() => s.run('f:0'));
    t.ok(e instanceof FailedPreconditionError);
    t.equal(e.tfMessage, 'Attempting to use uninitialized value x');
    t.equal(e.nodeName, 'x');
    t.match(e.location, { file: 'prog.tfg', line: 2, col: 5 });
    t.match(
      catchErr(() => s.readVariable('y')),
      { tfMessage: 'Attempting to use uninitialized value y' },
    );
    t.match(
      catchErr(() => s.run('both:0')),
      { tfMessage: 'Attempting to use uninitialized value y' },
    );
    t.equal(s.readVariable('x').data[0], 10, 'the assign that ran before the error is kept');
    s.writeVariable('y', 1);
    t.equal((s.run('f:0') as Tensor).data[0], 10 * 10 * 1 + 1 + 2, 'the session is still usable');
    t.equal((s.run('both:0') as Tensor).data[0], 11);
    t.end();
  });

  t.test('errors from an op carry the node name and location; the session stays usable', (t) => {
    const s = sess();
    const e = catchErr(() => s.run('bad:0', { 'idx:0': 7 }));
    t.ok(e instanceof InvalidArgumentError);
    t.equal(e.tfMessage, 'indices = 7 is not in [0, 3)');
    t.equal(e.nodeName, 'bad');
    t.match(e.location, { file: 'prog.tfg', line: 27 });
    t.equal((s.run('bad:0', { 'idx:0': 2 }) as Tensor).data[0], 3);
    t.end();
  });

  t.test('variables persist across runs; two sessions share nothing', (t) => {
    const a = sess();
    const b = sess();
    a.run('v_init');
    a.run('inc');
    a.run('inc');
    t.equal((a.run('v:0') as Tensor).data[0], 3);
    t.ok(catchErr(() => b.run('v:0')) instanceof FailedPreconditionError);
    b.run('v_init');
    t.equal((b.run('v:0') as Tensor).data[0], 1);
    t.equal((a.run('v:0') as Tensor).data[0], 3);
    t.ok(a.isInitialized('v') && !b.isInitialized('x'));
    t.match(
      catchErr(() => a.writeVariable('v', [1, 2])),
      { tfMessage: 'Assign requires shapes of both tensors to match. lhs shape= [] rhs shape= [2]' },
    );
    t.match(
      catchErr(() => a.readVariable('nope')),
      { name: 'ValueError' },
    );
    t.end();
  });

  t.test('control inputs run first: identity under control_dependencies reads the update', (t) => {
    const s = sess();
    s.run('v_init');
    t.equal((s.run('after:0') as Tensor).data[0], 2);
    t.equal((s.run('after:0') as Tensor).data[0], 3);
    t.end();
  });

  t.test('a closed session raises RuntimeError', (t) => {
    const s = sess();
    s.close();
    const e = catchErr(() => s.run('f:0'));
    t.ok(e instanceof RuntimeError && e.message === 'Attempted to use a closed Session.', e.message);
    t.ok(catchErr(() => s.readVariable('x')) instanceof RuntimeError);
    t.end();
  });
}

t.test('seedless random ops (seed 0, seed2 0: graphs built directly) follow the session seed', (t) => {
  const g = new Graph('seeds');
  const rs = makeNode(g, 'random_uniform', [], { shape: [4], dtype: 'f32', minval: 0, maxval: 1, seed: 0, seed2: 0 }, { name: 'rs' });
  const model = loadModelSync(compileGraph(g, [sig(g, 'draw', [], [rs])]).wasm as Uint8Array<ArrayBuffer>);
  const make: Array<[string, (seed: number) => Sess]> = [
    ['reference', (seed) => new ReferenceSession(g, { seed }) as unknown as Sess],
    ['wasm', (seed) => model.createSession({ seed }) as unknown as Sess],
  ];
  for (const [name, sess] of make) {
    t.same(data(sess(11).run('rs:0')), data(sess(11).run('rs:0')), `${name}: same seed, same draws`);
    t.notSame(data(sess(11).run('rs:0')), data(sess(12).run('rs:0')), `${name}: another seed, other draws`);
  }
  t.same(data(make[1][1](11).run('rs:0')), data(make[0][1](11).run('rs:0')), 'wasm draws what the reference draws');
  t.end();
});

for (const [name, make] of backends()) {
  t.test(name, (t) => {
    rules(t, make);
    t.end();
  });
}
