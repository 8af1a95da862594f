/**
 * @fileoverview Every variable_scope / get_variable rule and error, with TF1's message and
 * the line:col of the expression that raised it; plus the printed form of a diagnostic.
 */
import t from 'tap';
import { formatDiagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { build, buildOk, firstError, strs } from './helpers.js';

const errorCases: [string, string, string][] = [
  [
    'reuse=False and the variable exists',
    `with variable_scope("foo") { v = get_variable("v", [1]) }
with variable_scope("foo") { w = get_variable("v", [1]) }`,
    '2:34: ValueError: Variable foo/v already exists, disallowed. Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope? Originally defined at:',
  ],
  [
    'reuse=True and the variable is missing',
    `with variable_scope("foo", reuse=True) {
  v = get_variable("u", [1])
}`,
    '2:7: ValueError: Variable foo/u does not exist, or was not created with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?',
  ],
  [
    'a tf.Variable is not in the get_variable store',
    `with variable_scope("foo") { v1 = Variable(1.0, name="v1") }
with variable_scope("foo", reuse=True) { v = get_variable("v1") }`,
    '2:46: ValueError: Variable foo/v1 does not exist, or was not created with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?',
  ],
  [
    'sharing with another shape',
    `with variable_scope("foo") { v = get_variable("v", [3]) }
with variable_scope("foo", reuse=True) { v = get_variable("v", [2]) }`,
    '2:46: ValueError: Trying to share variable foo/v, but specified shape (2,) and found shape (3,).',
  ],
  [
    'sharing with another dtype',
    `with variable_scope("foo") { v = get_variable("v", [1]) }
with variable_scope("foo", reuse=True) { v = get_variable("v", [1], dtype=int32) }`,
    '2:46: ValueError: Trying to share variable foo/v, but specified dtype int32 and found dtype float32_ref.',
  ],
  [
    'new variable without a full shape',
    `with variable_scope("foo") {
  v = get_variable("v")
}`,
    '2:7: ValueError: Shape of a new variable (foo/v) must be fully defined, but instead was <unknown>.',
  ],
  [
    'new variable with a partial shape',
    `e2 = get_variable("e2", [None, 64])`,
    '1:6: ValueError: Shape of a new variable (e2) must be fully defined, but instead was (?, 64).',
  ],
  [
    'constant initializer with a shape',
    `init = constant(0.1)
u = get_variable("u", [1], initializer=init)`,
    '2:5: ValueError: If initializer is a constant, do not specify shape.',
  ],
  [
    "initializer dtype and explicit dtype don't match",
    `init = constant(1, dtype=int32)
s = get_variable("s", initializer=init, dtype=float64)`,
    "2:5: ValueError: Initializer type '<dtype: 'int32'>' and explicit dtype '<dtype: 'float64'>' don't match.",
  ],
  [
    'reuse inherited by a sub-scope (testVarScopeGetVar)',
    `with variable_scope("towerA") as tower_a { va = get_variable("v", [1]) }
with variable_scope(tower_a, reuse=True) {
  with variable_scope("baz") { v = get_variable("v", [1]) }
}`,
    '3:36: ValueError: Variable towerA/baz/v does not exist, or was not created with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?',
  ],
  [
    'reuse=False cannot turn reuse off in a sub-scope',
    `with variable_scope("a") { v = get_variable("v", []) }
with variable_scope("a", reuse=True) {
  with variable_scope("b", reuse=False) { w = get_variable("w", []) }
}`,
    '3:47: ValueError: Variable a/b/w does not exist, or was not created with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?',
  ],
  [
    'reuse=True without a name',
    `with variable_scope(None, "default", reuse=True) { pass }`,
    '1:6: ValueError: reuse=True cannot be used without a name_or_scope',
  ],
  ['default_name missing', `with variable_scope(None) { pass }`, '1:6: TypeError: If default_name is None then name_or_scope is required'],
  ['invalid scope name', `with variable_scope("_") { pass }`, "1:6: ValueError: '_' is not a valid scope name"],
  [
    'auxiliary_name_scope must be a bool',
    `with variable_scope("scope", auxiliary_name_scope="invalid") { pass }`,
    '1:6: TypeError: The value of auxiliary_name_scope can only be boolean.',
  ],
];

t.test('variable scope errors: TF1 message and location', async (t) => {
  for (const [name, src, expected] of errorCases) {
    const r = build(src);
    t.equal(firstError(r), expected, name);
    t.notOk(r.ok, `${name}: the build fails`);
  }
});

t.test('the "already exists" error points back at the first definition', async (t) => {
  const r = build(`with variable_scope("foo") { v = get_variable("v", [1]) }
with variable_scope("foo") { w = get_variable("v", [1]) }`);
  const d = r.diagnostics.find((x) => x.severity === 'error')!;
  t.equal(d.code, 2006);
  t.equal(d.related?.length, 1);
  t.equal(d.related![0].span.file.lineCol(d.related![0].span.start).line, 1);
  const text = formatDiagnostic(d);
  t.match(text, /^test\.tfg:2:34: error TFG2006: ValueError: Variable foo\/v already exists/);
  t.match(text, /\n  2 \| with variable_scope\("foo"\) \{ w = get_variable\("v", \[1\]\) \}\n    \| {34}\^{22}/);
  t.match(text, /test\.tfg:1:34: note: variable foo\/v was first created here/);
});

t.test('AUTO_REUSE creates once, then returns the existing variable (testVarScopeGetOrCreateReuse)', async (t) => {
  const r = buildOk(`
def test_value(value) {
  x = constant(value)
  with variable_scope("testVarScopeGetOrCreateReuse_bar", reuse=AUTO_REUSE) {
    _ = assign(get_variable("var", []), x)
  }
  with variable_scope("testVarScopeGetOrCreateReuse_bar", reuse=AUTO_REUSE) {
    return get_variable("var", [])
  }
}
a = test_value(42.)
b = test_value(13.)
c = test_value(17.)
same = a == b and b == c
n = len(global_variables())
name = a.name
`);
  t.same(strs(r, ['same', 'n', 'name']), { same: 'True', n: '1', name: 'testVarScopeGetOrCreateReuse_bar/var:0' });
});

t.test('initializer and dtype are inherited from scopes; an explicit argument wins', async (t) => {
  const r = buildOk(`
with variable_scope("tower0") as tower {
  with variable_scope("foo", initializer=constant_initializer(0.3)) {
    v = get_variable("v", [])
    with variable_scope("sub") { v2 = get_variable("v2", []) }
    v3 = get_variable("v3", [], initializer=zeros_initializer())
  }
  with variable_scope(tower, initializer=constant_initializer(0.3)) { w = get_variable("w", []) }
}
with variable_scope("d", dtype=float64) {
  x = get_variable("x", [2])
  with variable_scope("e") { y = get_variable("y", [2]) }
  z = get_variable("z", [2], dtype=float32)
}
i = get_variable("i", [2], dtype=int32)
`);
  const init = (n: string) => {
    const v = r.bindings.get(n)!;
    if (v.kind !== 'variable') throw new Error('not a variable');
    return v.info.initialValue;
  };
  t.equal(init('v').name, 'tower0/foo/v/Initializer/Const');
  t.same(init('v').attrs.value, [Math.fround(0.3)]);
  t.equal(init('v2').op, 'const', 'sub-scope inherits the initializer');
  t.equal(init('v3').name, 'tower0/foo/v3/Initializer/zeros', 'explicit initializer wins');
  t.equal(init('w').name, 'tower0/w/Initializer/Const', 'initializer on a re-entered scope object');
  const dt = (n: string) => {
    const v = r.bindings.get(n)!;
    return v.kind === 'variable' ? v.info.node.dtype : null;
  };
  t.same([dt('x'), dt('y'), dt('z'), dt('i')], ['f64', 'f64', 'f32', 'i32']);
  t.equal(init('x').op, 'random_uniform', 'float default: glorot_uniform');
  t.equal(init('i').op, 'const', 'int default: zeros');
  t.same(init('i').attrs.value, [0, 0]);
});

t.test('glorot_uniform limit is sqrt(6 / (fan_in + fan_out))', async (t) => {
  const r = buildOk(`set_random_seed(1)
w = get_variable("w", [3, 5])`);
  const v = r.bindings.get('w')!;
  if (v.kind !== 'variable') throw new Error('not a variable');
  const a = v.info.initialValue.attrs;
  t.equal(v.info.initialValue.name, 'w/Initializer/random_uniform');
  t.ok(Math.abs((a.maxval as number) - Math.sqrt(6 / 8)) < 1e-12);
  t.ok(Math.abs((a.minval as number) + Math.sqrt(6 / 8)) < 1e-12);
});

t.test('get_variable node names: Initializer scope, variable, Assign', async (t) => {
  const r = buildOk(`with variable_scope("relu") { threshold = get_variable("threshold", shape=(), initializer=constant_initializer(0.0)) }`);
  t.same(
    r.defaultGraph.nodes.map((n) => n.name),
    ['relu/threshold/Initializer/Const', 'relu/threshold', 'relu/threshold/Assign'],
  );
  t.same(
    r.defaultGraph.getCollection('trainable_variables').map((n) => n.name),
    ['relu/threshold'],
  );
  t.equal(r.defaultGraph.varStore.get('relu/threshold')?.fromGetVariable, true);
});

t.test('a shape error names the node as TF1 does, also for ops made in their own name scope', async (t) => {
  const e1 = firstError(build('a = constant([[1.0, 2.0]])\nb = constant([[1.0, 2.0]])\nc = matmul(a, b)\n'));
  t.match(e1, "Dimensions must be equal, but are 2 and 1 for 'MatMul' (op: 'MatMul') with input shapes: [1,2], [1,2].");
  const e2 = firstError(build('with name_scope("layer") {\n  c = matmul(constant([[1.0, 2.0]]), constant([[1.0, 2.0]]), name="mm")\n}\n'));
  t.match(e2, "for 'layer/mm' (op: 'MatMul')");
  const e3 = firstError(build('with name_scope("s") {\n  c = constant([1.0, 2.0]) + constant([1.0, 2.0, 3.0])\n}\n'));
  t.match(e3, "for 's/add' (op: 'Add')");
  t.end();
});

t.test("op names follow TF1's rule (ops.py _VALID_OP_NAME_REGEX), like scope names", async (t) => {
  const cases: [string, string][] = [
    ['z = constant(1.0, name="c d")', "1:5: ValueError: 'c d' is not a valid node name"],
    ['z = constant(1.0, name="a\\nb/")', "1:5: ValueError: 'a\nb' is not a valid node name"],
    ['z = constant(1.0, name="_x")', "1:5: ValueError: '_x' is not a valid node name"],
    ['z = constant(1.0, name="x!")', "1:5: ValueError: 'x!' is not a valid node name"],
  ];
  for (const [src, expected] of cases) t.equal(firstError(build(src)), expected, src);
  // Valid: dots, dashes, '>' and, inside a scope, a leading underscore (scope/_x).
  const r = buildOk('a = constant(1.0, name="a.b-c>d")\nwith name_scope("s") { b = constant(1.0, name="_x") }\nc = constant(1.0, name="ok/")');
  t.same(
    r.defaultGraph.nodes.map((n) => n.name),
    ['a.b-c>d', 's/_x', 'ok'],
  );
});
