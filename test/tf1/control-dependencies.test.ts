/**
 * @fileoverview TF1's tensorflow/python/framework/ops_test.py ControlDependenciesTest (and
 * InitScopeTest.testClearsControlDependencies) ported to `.tfg`. TF1's test ops `FloatOutput`
 * and `TwoFloatInputsFloatOutput` become `constant` and `multiply`. Each case checks the control
 * inputs as TF1 asserts them (ops.py `_control_dependencies_for_inputs` prunes edges a data edge
 * implies), that the compiled module carries the same edges, and, where the edges decide what
 * runs, the effect on every backend (reference Session, wasm generic, wasm signatures).
 *
 * Not ported: testRepeatedDependency (a two-output op: every tfg op has one output),
 * testBasicWithConversion (`_as_graph_element` objects), testEager (eager mode).
 */
import t from 'tap';
import { compileProgram } from '../../compiler/driver.js';
import { backends, build, controlInputs, str, values } from './helpers.js';

/** The wasm manifest's control inputs of a node (what the loader orders runs by). */
function manifestControls(src: string, node: string): string[] {
  const m = compileProgram(build(src)).manifest;
  return m.nodes.find((n) => n.name === node)!.controlInputs;
}

t.test('ops_test.py ControlDependenciesTest.testBasic: e = identity(c) is dominated by c, made in the same block', async (t) => {
  const src = `
a = constant(1.0, name="a")
b = constant(1.0, name="b")
with control_dependencies([a]) {
  c = constant(1.0, name="c")
  d = identity(b, name="d")
  e = identity(c, name="e")
}
`;
  const r = build(src);
  t.same(controlInputs(r, 'c'), ['a']);
  t.same(controlInputs(r, 'd'), ['a']);
  t.same(controlInputs(r, 'e'), [], 'e should be dominated by c');
  t.same(manifestControls(src, 'e'), [], 'the compiled module has the same edges');
  t.same(manifestControls(src, 'd'), ['a']);
});

t.test('ops_test.py ControlDependenciesTest.testBasic, run: the pruned edge still orders e after the dependency (through c), on every backend', async (t) => {
  // an observable dependency: an assign_add that the block's ops must run after
  const src = `
counter = Variable(0.0, name="counter")
inc = assign_add(counter, 1.0, name="inc")
b = constant(5.0, name="b")
with control_dependencies([inc]) {
  c = constant(1.0, name="c")
  d = identity(b, name="d")
  e = identity(c, name="e")
}
signature step_e() -> e
signature step_d() -> d
`;
  const r = build(src);
  t.same(controlInputs(r, 'e'), []);
  t.same(controlInputs(r, 'c'), ['inc']);
  for (const [name, make] of backends(src)) {
    const s = make();
    s.run('counter/Assign');
    t.same(values(s.run('e:0')), [1], `${name}: e`);
    t.same(values(s.readVariable('counter')), [1], `${name}: fetching e ran inc once (through c's edge)`);
    t.same(values(s.run('d:0')), [5], `${name}: d`);
    t.same(values(s.readVariable('counter')), [2], `${name}: fetching d ran inc (its own edge)`);
    t.same(
      (s.run(['e:0', 'd:0']) as unknown[]).map((x) => values(x)[0]),
      [1, 5],
      `${name}: both`,
    );
    t.same(values(s.readVariable('counter')), [3], `${name}: inc runs once per run`);
    if (s.stats) t.ok(name === 'wasm generic' ? s.stats.signatureCalls === 0 : s.stats.signatureCalls > 0, `${name}: ran the path it names`);
  }
});

t.test('ops_test.py ControlDependenciesTest.testNoControlDependencyWithDataDependency: an op reading a as data gets no edge on a', async (t) => {
  const src = `
a = constant(1.0, name="a")
with control_dependencies([a]) {
  b = identity(a, name="b")
}
`;
  const r = build(src);
  t.same(controlInputs(r, 'b'), []);
  t.same(manifestControls(src, 'b'), []);
  for (const [name, make] of backends(src)) t.same(values(make().run('b:0')), [1], name);
});

t.test('ops_test.py ControlDependenciesTest.testNested: nested blocks add their inputs', async (t) => {
  const src = `
a_1 = constant(1.0, name="a_1")
a_2 = constant(1.0, name="a_2")
a_3 = constant(1.0, name="a_3")
a_4 = constant(1.0, name="a_4")
with control_dependencies([a_1, a_2, a_3, a_4]) {
  b_1 = constant(1.0, name="b_1")
}
with control_dependencies([a_1]) {
  with control_dependencies([a_2]) {
    with control_dependencies([a_3]) {
      with control_dependencies([a_4]) {
        b_2 = constant(1.0, name="b_2")
      }
    }
  }
}
`;
  const r = build(src);
  t.same(controlInputs(r, 'b_1').sort(), ['a_1', 'a_2', 'a_3', 'a_4']);
  t.same(controlInputs(r, 'b_2').sort(), controlInputs(r, 'b_1').sort());
  t.same(manifestControls(src, 'b_2').sort(), ['a_1', 'a_2', 'a_3', 'a_4']);
});

t.test('ops_test.py ControlDependenciesTest.testClear: None clears the dependencies of the enclosing blocks', async (t) => {
  const src = `
a_1 = constant(1.0, name="a_1")
a_2 = constant(1.0, name="a_2")
a_3 = constant(1.0, name="a_3")
a_4 = constant(1.0, name="a_4")
with control_dependencies([a_1]) {
  with control_dependencies([a_2]) {
    with control_dependencies(None) {
      with control_dependencies([a_3]) {
        with control_dependencies([a_4]) {
          b_3_4 = constant(1.0, name="b_3_4")
        }
        b_3 = constant(1.0, name="b_3")
      }
      b_none = constant(1.0, name="b_none")
    }
    b_1_2 = constant(1.0, name="b_1_2")
  }
  b_1 = constant(1.0, name="b_1")
  with control_dependencies(None) {
    b_none2 = constant(1.0, name="b_none2")
  }
}
`;
  const r = build(src);
  t.same(controlInputs(r, 'b_3_4').sort(), ['a_3', 'a_4']);
  t.same(controlInputs(r, 'b_3'), ['a_3']);
  t.same(controlInputs(r, 'b_none'), []);
  t.same(controlInputs(r, 'b_1_2').sort(), ['a_1', 'a_2']);
  t.same(controlInputs(r, 'b_1'), ['a_1']);
  t.same(controlInputs(r, 'b_none2'), []);
});

t.test('ops_test.py ControlDependenciesTest.testComplex: b_i = a_3*a_4, c_i = a_1*b_1, d_i = b_i*c_i, e_i = e_(i-1)*e_(i-1) in nested blocks', async (t) => {
  const src = `
a_1 = constant(1.0, name="a_1")
a_2 = constant(1.0, name="a_2")
a_3 = constant(1.0, name="a_3")
a_4 = constant(1.0, name="a_4")
with control_dependencies([a_1]) {
  b_1 = multiply(a_3, a_4, name="b_1")
  c_1 = multiply(a_1, b_1, name="c_1")
  d_1 = multiply(b_1, c_1, name="d_1")
  e_1 = constant(1.0, name="e_1")
  with control_dependencies([a_2]) {
    b_2 = multiply(a_3, a_4, name="b_2")
    c_2 = multiply(a_1, b_1, name="c_2")
    d_2 = multiply(b_2, c_2, name="d_2")
    e_2 = multiply(e_1, e_1, name="e_2")
    with control_dependencies([a_3]) {
      b_3 = multiply(a_3, a_4, name="b_3")
      c_3 = multiply(a_1, b_1, name="c_3")
      d_3 = multiply(b_3, c_3, name="d_3")
      e_3 = multiply(e_2, e_2, name="e_3")
      with control_dependencies([a_4]) {
        b_4 = multiply(a_3, a_4, name="b_4")
        c_4 = multiply(a_1, b_1, name="c_4")
        d_4 = multiply(b_4, c_4, name="d_4")
        e_4 = multiply(e_3, e_3, name="e_4")
      }
    }
  }
}
signature all() -> [d_1, d_2, d_3, d_4, e_4]
`;
  const r = build(src);
  const ci = (n: string): string[] => controlInputs(r, n).sort();
  t.same(ci('b_1'), ['a_1']);
  t.same(ci('b_2'), ['a_1', 'a_2']);
  t.same(ci('b_3'), ['a_1', 'a_2']);
  t.same(ci('b_4'), ['a_1', 'a_2']);
  t.same(ci('c_1'), []);
  t.same(ci('c_2'), ['a_2']);
  t.same(ci('c_3'), ['a_2', 'a_3']);
  t.same(ci('c_4'), ['a_2', 'a_3', 'a_4']);
  for (const d of ['d_1', 'd_2', 'd_3', 'd_4']) t.same(ci(d), [], d);
  t.same(ci('e_1'), ['a_1']);
  t.same(ci('e_2'), ['a_2']);
  t.same(ci('e_3'), ['a_3']);
  t.same(ci('e_4'), ['a_4']);
  for (const n of ['b_2', 'c_3', 'c_4', 'e_4']) t.same(manifestControls(src, n).sort(), ci(n), `${n} in the module`);
  for (const [name, make] of backends(src)) {
    const out = make().run(['d_1:0', 'd_2:0', 'd_3:0', 'd_4:0', 'e_4:0']) as unknown[];
    t.same(
      out.map((x) => values(x)[0]),
      [1, 1, 1, 1, 1],
      name,
    );
  }
});

t.test('ops_test.py ControlDependenciesTest: a dependency already in force is not repeated by an inner block', async (t) => {
  const r = build(`
a = constant(1.0, name="a")
b = constant(1.0, name="b")
with control_dependencies([a]) {
  with control_dependencies([a, b]) {
    c = constant(1.0, name="c")
  }
}
`);
  t.same(controlInputs(r, 'c'), ['a', 'b']);
});

t.test('ops_test.py InitScopeTest.testClearsControlDependencies: variables are made with none (init_scope), and do not dominate', async (t) => {
  const src = `
a = constant(1.0, name="a")
with control_dependencies([a]) {
  v = Variable(2.0, name="v")
  h = identity(v, name="h")
  k = v + 1.0
}
signature read() -> h
`;
  const r = build(src);
  t.same(controlInputs(r, 'v'), []);
  t.same(controlInputs(r, 'v/Assign'), []);
  t.same(controlInputs(r, 'h'), ['a'], 'v was made outside the block (init_scope), so it does not dominate h');
  t.same(controlInputs(r, 'add/y'), ['a']);
  t.same(controlInputs(r, 'add'), [], 'add reads add/y, made in the block');
  for (const [name, make] of backends(src)) {
    const s = make();
    s.run('v/Assign');
    t.same(values(s.run('h:0')), [2], name);
  }
});

t.test('ops_test.py ControlDependenciesTest: group and the optimizers follow the same rule', async (t) => {
  const r = build(`
w = Variable([1.0, 2.0], name="w")
gs = Variable(0, name="global_step")
loss = reduce_sum(w * w)
step = GradientDescentOptimizer(0.1).minimize(loss, global_step=gs)
`);
  // TF1's apply_gradients: with control_dependencies([update]): assign_add(global_step, 1): the
  // converted 1 is made in the block and carries the edge; AssignAdd reads it.
  t.same(controlInputs(r, 'GradientDescent/value'), ['GradientDescent/update']);
  t.same(controlInputs(r, 'step'), []);
  t.equal(str(r, 'step'), "<tf.Operation 'GradientDescent' type=AssignAdd>");
});
