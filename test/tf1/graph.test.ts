/**
 * @fileoverview TF1's tensorflow/python/framework/ops_test.py Graph tests ported to `.tfg`:
 * NameStackTest.testBasics (Graph.unique_name), the lookups CreateOpFromTFOperationTest and
 * GraphTest use (get_operation_by_name, get_tensor_by_name, as_graph_element, get_operations)
 * with TF1's errors (ops.py `_as_graph_element_locked`), GraphTest.testGraphContextManager
 * (as_default), and CollectionTest (collections hold graph elements in tfg, so TF1's ints and
 * strings become tensors). Elements looked up by name run on every backend.
 *
 * Not ported: default-graph stacks and reset_default_graph, eager and function graphs,
 * prevent_feeding/prevent_fetching, devices, colocation, attr scopes, kernel labels,
 * get_collection_ref (a live list), _as_graph_element objects.
 */
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { backends, build, str, values } from './helpers.js';

/** The first error of a program that must not build, as `Type: message`. */
function buildError(src: string): string {
  const r = buildProgram(src, 'tf1.tfg', { print: () => {} });
  const d = r.diagnostics.find((x) => x.severity === 'error');
  return d ? d.message : '<no error>';
}

t.test('ops_test.py NameStackTest.testBasics: Graph.unique_name(name, mark_as_used)', async (t) => {
  const pairs: [string, string][] = [
    ['g.unique_name("foo", mark_as_used=False)', 'foo'],
    ['g.unique_name("foo", mark_as_used=False)', 'foo'],
    ['g.unique_name("foo")', 'foo'],
    ['g.unique_name("foo", mark_as_used=False)', 'foo_1'],
    ['g.unique_name("foo")', 'foo_1'],
    ['g.unique_name("foo", mark_as_used=False)', 'foo_2'],
    ['g.unique_name("foo")', 'foo_2'],
    ['g.unique_name("foo_1", mark_as_used=False)', 'foo_1_1'],
    ['g.unique_name("foo_1")', 'foo_1_1'],
    ['g.unique_name("foo_1", mark_as_used=False)', 'foo_1_2'],
    ['g.unique_name("foo_1")', 'foo_1_2'],
    ['g.unique_name("foo_1_2", mark_as_used=False)', 'foo_1_2_1'],
    ['g.unique_name("foo_1_2")', 'foo_1_2_1'],
  ];
  const lines = ['g = get_default_graph()', 'out = []'];
  const want: string[] = [];
  for (const [e, w] of pairs) {
    lines.push(`out.append(${e})`);
    want.push(w);
  }
  lines.push(`with g.name_scope("bar") {
  out.append(g.unique_name("foo", mark_as_used=False))
  out.append(g.unique_name("foo"))
  out.append(g.unique_name("foo", mark_as_used=False))
  out.append(g.unique_name("foo"))
  with g.name_scope(None) {
    out.append(g.unique_name("foo", mark_as_used=False))
    out.append(g.unique_name("foo"))
  }
  with g.name_scope("baz") {
    out.append(g.unique_name("foo", mark_as_used=False))
    out.append(g.unique_name("foo"))
    out.append(g.unique_name("foo", mark_as_used=False))
    out.append(g.unique_name("foo"))
  }
  with g.name_scope("baz") {
    out.append(g.unique_name("foo", mark_as_used=False))
    out.append(g.unique_name("foo"))
    out.append(g.unique_name("foo", mark_as_used=False))
    out.append(g.unique_name("foo"))
  }
}
with g.name_scope("quux") {
  out.append(g.unique_name("foo", mark_as_used=False))
  out.append(g.unique_name("foo"))
}
with g.name_scope("bar") {
  with g.name_scope("baz") {
    out.append(g.unique_name("foo", mark_as_used=False))
    out.append(g.unique_name("foo"))
  }
}
out.append(g.unique_name("foo", mark_as_used=False))
out.append(g.unique_name("foo"))
out.append(g.unique_name("bar", mark_as_used=False))
out.append(g.unique_name("bar"))`);
  want.push(
    'bar/foo',
    'bar/foo',
    'bar/foo_1',
    'bar/foo_1',
    'foo_3',
    'foo_3',
    'bar/baz/foo',
    'bar/baz/foo',
    'bar/baz/foo_1',
    'bar/baz/foo_1',
    'bar/baz_1/foo',
    'bar/baz_1/foo',
    'bar/baz_1/foo_1',
    'bar/baz_1/foo_1',
    'quux/foo',
    'quux/foo',
    'bar_1/baz/foo',
    'bar_1/baz/foo',
    'foo_4',
    'foo_4',
    'bar_2',
    'bar_2',
  );
  const r = build(lines.join('\n'));
  t.equal(str(r, 'out'), `[${want.map((w) => `'${w}'`).join(', ')}]`);
});

t.test('ops_test.py: names unique_name marks as used are skipped by ops (one namespace)', async (t) => {
  const r = build(`
g = get_default_graph()
n = g.unique_name("c")
c = constant(1.0, name="c")
s = g.get_name_scope()
with name_scope("outer") { inner = g.get_name_scope() }
`);
  t.equal(str(r, 'n'), 'c');
  t.equal(str(r, 'c'), 'Tensor("c_1:0", shape=(), dtype=float32)');
  t.equal(str(r, 's'), '');
  t.equal(str(r, 'inner'), 'outer');
});

t.test('ops_test.py CreateOpFromTFOperationTest.testBasic: get_operation_by_name, get_tensor_by_name, get_operations; they run on every backend', async (t) => {
  const src = `
x = constant(2.0, name="x")
with name_scope("myscope") { y = multiply(x, 3.0, name="myop") }
g = get_default_graph()
op = g.get_operation_by_name("myscope/myop")
ten = g.get_tensor_by_name("myscope/myop:0")
same_op = op == y.op
same_tensor = ten == y
ops = [o.name for o in g.get_operations()]
el_t = g.as_graph_element("x:0")
el_o = g.as_graph_element("x")
el_v = g.as_graph_element(y)
only_t = g.as_graph_element("x:0", allow_operation=False)
signature get() -> ten
`;
  const r = build(src);
  t.equal(str(r, 'op'), "<tf.Operation 'myscope/myop' type=Mul>");
  t.equal(str(r, 'same_op'), 'True');
  t.equal(str(r, 'same_tensor'), 'True');
  t.equal(str(r, 'ops'), "['x', 'myscope/myop/y', 'myscope/myop']");
  t.equal(str(r, 'el_t'), 'Tensor("x:0", shape=(), dtype=float32)');
  t.equal(str(r, 'el_o'), "<tf.Operation 'x' type=Const>");
  t.equal(str(r, 'el_v'), 'Tensor("myscope/myop:0", shape=(), dtype=float32)');
  for (const [name, make] of backends(src)) t.same(values(make().run('myscope/myop:0')), [6], name);
});

t.test("ops.py _as_graph_element_locked: TF1's errors for names of the wrong kind or missing", async (t) => {
  const pre = 'a = constant(1.0, name="a")\ng = get_default_graph()\n';
  t.equal(buildError(`${pre}x = g.get_operation_by_name("a:0")`), "ValueError: Name 'a:0' appears to refer to a Tensor, not a Operation.");
  t.equal(
    buildError(`${pre}x = g.get_tensor_by_name("a")`),
    `ValueError: The name 'a' refers to an Operation, not a Tensor. Tensor names must be of the form "<op_name>:<output_index>".`,
  );
  t.equal(
    buildError(`${pre}x = g.get_tensor_by_name("b")`),
    `ValueError: The name 'b' looks like an (invalid) Operation name, not a Tensor. Tensor names must be of the form "<op_name>:<output_index>".`,
  );
  t.equal(buildError(`${pre}x = g.get_operation_by_name("q")`), `KeyError: "The name 'q' refers to an Operation not in the graph."`);
  t.equal(
    buildError(`${pre}x = g.get_tensor_by_name("q:0")`),
    `KeyError: "The name 'q:0' refers to a Tensor which does not exist. The operation, 'q', does not exist in the graph."`,
  );
  t.equal(
    buildError(`${pre}x = g.get_tensor_by_name("a:1")`),
    `KeyError: "The name 'a:1' refers to a Tensor which does not exist. The operation, 'a', exists but only has 1 outputs."`,
  );
  t.equal(
    buildError(`${pre}x = g.get_tensor_by_name("a:x")`),
    `ValueError: The name 'a:x' looks a like a Tensor name, but is not a valid one. Tensor names must be of the form "<op_name>:<output_index>".`,
  );
  t.equal(buildError(`${pre}x = g.get_operation_by_name(3)`), 'TypeError: Operation names are strings (or similar), not int.');
  t.equal(buildError(`${pre}x = g.get_tensor_by_name(3)`), 'TypeError: Tensor names are strings (or similar), not int.');
  t.equal(buildError(`${pre}x = g.as_graph_element(3)`), 'TypeError: Can not convert a int into a Tensor or Operation.');
  t.equal(buildError(`${pre}x = g.as_graph_element(a, allow_tensor=False)`), 'TypeError: Can not convert a Tensor into a Operation.');
  t.equal(
    buildError(`${pre}graph other { b = constant(2.0, name="b") }\nx = g.as_graph_element(b)`),
    'ValueError: Tensor Tensor("b:0", shape=(), dtype=float32) is not an element of this graph.',
  );
});

t.test('ops_test.py ControlDependenciesTest through Graph.control_dependencies and Graph.name_scope', async (t) => {
  const r = build(`
g = get_default_graph()
a = constant(1.0, name="a")
with g.control_dependencies([a]) {
  with g.name_scope("s") as scope { b = constant(2.0, name="b") }
}
`);
  t.equal(str(r, 'scope'), 's/');
  t.equal(
    r.defaultGraph
      .get('s/b')!
      .controlInputs.map((n) => n.name)
      .join(),
    'a',
  );
});

t.test('ops_test.py GraphTest.testGraphContextManager: with g.as_default() as g1, g1 is g and ops go to g', async (t) => {
  const src = `
graph g0 { pass }
with g0.as_default() as g1 {
  same = g1 == g0
  c = constant(5.0, name="c")
  inner = get_default_graph() == g0
}
outer = get_default_graph() == g0
`;
  const r = build(src);
  t.equal(str(r, 'same'), 'True');
  t.equal(str(r, 'inner'), 'True');
  t.equal(str(r, 'outer'), 'False');
  t.same(
    r.graphs.get('g0')!.nodes.map((n) => n.name),
    ['c'],
  );
  t.same(
    r.defaultGraph.nodes.map((n) => n.name),
    [],
  );
  for (const [name, make] of backends(src, { graph: 'g0' })) t.same(values(make().run('c:0')), [5], name);
});

t.test('ops_test.py CollectionTest.test_get_collections and test_add_to_collection (graph elements for values)', async (t) => {
  const r = build(`
g = get_default_graph()
empty = g.collections
t12 = constant(12, name="t12")
t15 = constant(15, name="t15")
t34 = constant(34, name="t34")
foo = constant(0, name="foo")
g.add_to_collection("key", t12)
g.add_to_collection("key", t15)
one = g.collections
g.add_to_collection("other", foo)
two = sorted(g.collections)
keys = sorted(g.get_all_collection_keys())

h = get_default_graph()
h.clear_collection("key")
h.add_to_collection("key", t12)
h.add_to_collection("key", t34)
t27 = constant(27, name="t27")
h.add_to_collection("blah", t27)
with name_scope("prefix") { blank1 = constant(1, name="foo") }
h.add_to_collection("blah", blank1)
with name_scope("junk") { blank2 = constant(2, name="foo") }
h.add_to_collection("blah", blank2)
key = h.get_collection("key")
nothing = h.get_collection("nothing")
blah = h.get_collection("blah")
prefix = h.get_collection("blah", "prefix")
regex = h.get_collection("blah", ".*x")
snapshot = h.get_collection("other")
h.add_to_collection("other", t34)
after = h.get_collection("other")
t12_again = h.get_collection("key")
h.add_to_collection("key", t12)
dup = h.get_collection("key")
op_member = no_op(name="noop")
h.add_to_collection("ops", op_member)
ops = h.get_collection("ops")
`);
  const T = (n: string, d = 'int32'): string => `Tensor("${n}:0", shape=(), dtype=${d})`;
  t.equal(str(r, 'empty'), '[]');
  t.equal(str(r, 'one'), "['key']");
  t.equal(str(r, 'two'), "['key', 'other']");
  t.equal(str(r, 'keys'), "['key', 'other']");
  t.equal(str(r, 'key'), `[${T('t12')}, ${T('t34')}]`);
  t.equal(str(r, 'nothing'), '[]');
  t.equal(str(r, 'blah'), `[${T('t27')}, ${T('prefix/foo')}, ${T('junk/foo')}]`);
  t.equal(str(r, 'prefix'), `[${T('prefix/foo')}]`, 'scope re.matches the start of the name');
  t.equal(str(r, 'regex'), `[${T('prefix/foo')}]`);
  t.equal(str(r, 'snapshot'), `[${T('foo')}]`, 'get_collection returns a copy');
  t.equal(str(r, 'after'), `[${T('foo')}, ${T('t34')}]`);
  t.equal(str(r, 'dup'), `[${T('t12')}, ${T('t34')}, ${T('t12')}]`, 'collections are lists, not sets');
  t.equal(str(r, 'ops'), "[<tf.Operation 'noop' type=NoOp>]");
});

t.test('ops_test.py CollectionTest.test_add_to_collections_*: a list of names (each once) or one string', async (t) => {
  const r = build(`
g = get_default_graph()
key = constant(0, name="key")
g.add_to_collections(["a", "b", "a"], key)
a = g.get_collection("a")
b = g.get_collection("b")
g.add_to_collections(("abc", "123"), key)
abc = g.get_collection("abc")
g.add_to_collections("xyz", key)
xyz = g.get_collection("xyz")
x = g.get_collection("x")
`);
  const T = 'Tensor("key:0", shape=(), dtype=int32)';
  t.equal(str(r, 'a'), `[${T}]`, 'a name repeated in the list adds once');
  t.equal(str(r, 'b'), `[${T}]`);
  t.equal(str(r, 'abc'), `[${T}]`);
  t.equal(str(r, 'xyz'), `[${T}]`, 'a string is one collection name');
  t.equal(str(r, 'x'), '[]');
});

t.test('ops_test.py CollectionTest.test_default_graph: the module-level functions use the default graph', async (t) => {
  const r = build(`
a = constant(90, name="a")
b = constant(100, name="b")
add_to_collection("key", a)
add_to_collection("key", b)
got = get_collection("key")
same = get_default_graph().get_collection("key")
`);
  t.equal(str(r, 'got'), '[Tensor("a:0", shape=(), dtype=int32), Tensor("b:0", shape=(), dtype=int32)]');
  t.equal(str(r, 'same'), str(r, 'got'));
});
