/**
 * @fileoverview The naming table: cases ported from TF1's ops_test.py (testNameScope,
 * unique names) and variable_scope_test.py (testVarScope, testVarScopeNameScope,
 * testVarScopeOriginalNameScope, testVarOpScope, testVarScopeGetVar, testVarScopeOuterScope,
 * testReuseScopeWithoutNameScopeCollision, ...) written as `.tfg` sources; each expected
 * string is the one TF1's test asserts.
 */
import t from 'tap';
import { buildOk, strs } from './helpers.js';

interface Case {
  name: string;
  src: string;
  expect: Record<string, string>;
}

const cases: Case[] = [
  {
    name: 'ops_test testNameScope',
    src: `
with name_scope("foo") as foo {
  with name_scope("foo2") as foo2 { pass }
  with name_scope(None) as empty1 {
    with name_scope("foo3") as foo3 { pass }
  }
  with name_scope("") as empty2 { pass }
}
c0 = constant(1.0, name="FloatOutput").op.name
with name_scope("bar") as scope {
  c1 = constant(1.0, name="FloatOutput").op.name
  c2 = constant(1.0, name="FloatOutput").op.name
  c3 = constant(1.0, name=scope).op.name
}
with name_scope("baz") as scope {
  with name_scope("quux") { c4 = constant(1.0, name="FloatOutput").op.name }
  with name_scope(scope) {
    c5 = constant(1.0, name="FloatOutput").op.name
    c6 = constant(1.0, name=scope).op.name
    c7 = constant(1.0, name="trailing/").op.name
  }
}
with name_scope("bar") { c8 = constant(1.0, name="FloatOutput").op.name }
with name_scope("bar/") { c9 = constant(1.0, name="FloatOutput").op.name }
`,
    expect: {
      foo: 'foo/',
      foo2: 'foo/foo2/',
      empty1: '',
      foo3: 'foo3/',
      empty2: '',
      c0: 'FloatOutput',
      c1: 'bar/FloatOutput',
      c2: 'bar/FloatOutput_1',
      c3: 'bar',
      c4: 'baz/quux/FloatOutput',
      c5: 'baz/FloatOutput',
      c6: 'baz',
      c7: 'trailing',
      c8: 'bar_1/FloatOutput',
      c9: 'bar/FloatOutput_2',
    },
  },
  {
    name: 'ops_test unique names through constants (case-insensitive, skipping taken names)',
    src: `
a = constant(1, name="foo").op.name
b = constant(1, name="foo").op.name
c = constant(1, name="foo_1").op.name
d = constant(1, name="Foo").op.name
with name_scope("bar") { pass }
e = constant(1, name="bar").op.name
`,
    expect: { a: 'foo', b: 'foo_1', c: 'foo_1_1', d: 'Foo_2', e: 'bar_1' },
  },
  {
    name: 'testVarScope',
    src: `
with variable_scope("tower4") as tower {
  n1 = tower.name
  with name_scope("scope") as sc1 { pass }
}
with variable_scope("tower5") {
  with variable_scope("bar") as bar {
    n2 = bar.name
    with name_scope("scope") as sc2 { pass }
  }
}
with variable_scope("tower6") {
  with variable_scope(tower, reuse=True) as tower_shared {
    n3 = tower_shared.name
    with name_scope("scope") as sc3 { pass }
  }
}
`,
    expect: { n1: 'tower4', sc1: 'tower4/scope/', n2: 'tower5/bar', sc2: 'tower5/bar/scope/', n3: 'tower4', sc3: 'tower6/tower4/scope/' },
  },
  {
    name: 'testVarScopeNameScope',
    src: `
with name_scope("testVarScopeNameScope1") {
  with variable_scope("tower") as tower {
    with name_scope("scope2") as a { pass }
  }
  with variable_scope(tower) {
    with name_scope("scope2") as b { pass }
  }
  with variable_scope("tower") {
    with name_scope("scope2") as c { pass }
  }
}
with name_scope("testVarScopeNameScope2") {
  with variable_scope("tower") {
    with name_scope("scope2") as d { pass }
  }
  with variable_scope(tower) {
    with name_scope("scope2") as e { pass }
  }
}
root_var_scope = get_variable_scope()
with name_scope("testVarScopeNameScope3") {
  with variable_scope(root_var_scope) {
    with name_scope("scope2") as f { pass }
  }
}
`,
    expect: {
      a: 'testVarScopeNameScope1/tower/scope2/',
      b: 'testVarScopeNameScope1/tower_1/scope2/',
      c: 'testVarScopeNameScope1/tower_2/scope2/',
      d: 'testVarScopeNameScope2/tower/scope2/',
      e: 'testVarScopeNameScope2/tower_1/scope2/',
      f: 'testVarScopeNameScope3/scope2/',
    },
  },
  {
    name: 'testVarScopeOriginalNameScope',
    src: `
with name_scope("scope1") {
  with variable_scope("tower") as tower {
    a = tower.original_name_scope
    with name_scope("scope2") as b { pass }
  }
}
with name_scope("scope2") {
  with variable_scope(tower) as tower1 {
    c = tower1.original_name_scope
    with name_scope("foo") as d { pass }
  }
  with name_scope(tower.original_name_scope) {
    with name_scope("bar") as e { pass }
  }
}
with name_scope("scope2") {
  with variable_scope(tower) {
    with name_scope(tower.original_name_scope) {
      with name_scope("bar") as f { pass }
    }
  }
}
`,
    expect: { a: 'scope1/tower/', b: 'scope1/tower/scope2/', c: 'scope1/tower/', d: 'scope2/tower/foo/', e: 'scope1/tower/bar/', f: 'scope1/tower/bar_1/' },
  },
  {
    name: 'testVarScopeObjectReuse',
    src: `
with variable_scope("jump", reuse=True) as scope { vs = scope }
with variable_scope(vs) as jump { a = jump.reuse }
with variable_scope(vs, reuse=True) as jump_reuse { b = jump_reuse.reuse }
with variable_scope(vs, reuse=False) as jump_no_reuse { c = jump_no_reuse.reuse }
with variable_scope("jump", reuse=False) as scope { vs = scope }
with variable_scope(vs) as jump { d = jump.reuse }
with variable_scope(vs, reuse=True) as jump_reuse { e = jump_reuse.reuse }
with variable_scope(vs, reuse=False) as jump_no_reuse { f = jump_no_reuse.reuse }
`,
    expect: { a: 'True', b: 'True', c: 'True', d: 'False', e: 'True', f: 'False' },
  },
  {
    name: 'testVarOpScope',
    src: `
with name_scope("testVarOpScope1") {
  with variable_scope("tower", "default", []) {
    a = get_variable("w", []).name
    with name_scope("testVarOpScope2") as b { pass }
  }
  with variable_scope("tower", "default", []) {
    with name_scope("testVarOpScope2") as c { pass }
  }
}
with name_scope("testVarOpScope2") {
  with variable_scope(None, "default", []) {
    d = get_variable("w", []).name
    with name_scope("testVarOpScope2") as e { pass }
  }
  with variable_scope(None, "default", []) {
    f = get_variable("w", []).name
    with name_scope("testVarOpScope2") as g { pass }
  }
}
`,
    expect: {
      a: 'tower/w:0',
      b: 'testVarOpScope1/tower/testVarOpScope2/',
      c: 'testVarOpScope1/tower_1/testVarOpScope2/',
      d: 'default/w:0',
      e: 'testVarOpScope2/default/testVarOpScope2/',
      f: 'default_1/w:0',
      g: 'testVarOpScope2/default_1/testVarOpScope2/',
    },
  },
  {
    name: 'testVarOpScopeUniqueNamesInterleavedSubstringScopes',
    src: `
with variable_scope(None, "defaultScope1") { with variable_scope(None, "layer") { a = get_variable("w", []).name } }
with variable_scope(None, "defaultScope1") { with variable_scope(None, "layer") { b = get_variable("w", []).name } }
with variable_scope(None, "defaultScope") { with variable_scope(None, "layer") { c = get_variable("w", []).name } }
with variable_scope(None, "defaultScope1") { with variable_scope(None, "layer") { d = get_variable("w", []).name } }
`,
    expect: { a: 'defaultScope1/layer/w:0', b: 'defaultScope1_1/layer/w:0', c: 'defaultScope/layer/w:0', d: 'defaultScope1_2/layer/w:0' },
  },
  {
    name: 'testVarOpScopeUniqueNamesWithJump',
    src: `
with variable_scope("default") as default {
  with variable_scope(None, "layer") { a = get_variable("w", []).name }
  with variable_scope(None, "layer") { b = get_variable("w", []).name }
  with variable_scope(default) { pass }
  with variable_scope(None, "layer") { c = get_variable("w", []).name }
}
`,
    expect: { a: 'default/layer/w:0', b: 'default/layer_1/w:0', c: 'default/layer_2/w:0' },
  },
  {
    name: 'testVarOpScopeReuse',
    src: `
with variable_scope("outer") as outer {
  with variable_scope("tower", "default", []) {
    a = get_variable("w", []).name
    with name_scope("scope2") as b { pass }
  }
  with variable_scope(None, "default", []) {
    c = get_variable("w", []).name
    with name_scope("scope2") as d { pass }
  }
}
with variable_scope(outer, reuse=True) as outer {
  with variable_scope("tower", "default", []) {
    e = get_variable("w", []).name
    with name_scope("scope2") as f { pass }
  }
  with variable_scope(None, "default", []) {
    g = get_variable("w", []).name
    with name_scope("scope2") as h { pass }
  }
}
`,
    expect: {
      a: 'outer/tower/w:0',
      b: 'outer/tower/scope2/',
      c: 'outer/default/w:0',
      d: 'outer/default/scope2/',
      e: 'outer/tower/w:0',
      f: 'outer_1/tower/scope2/',
      g: 'outer/default/w:0',
      h: 'outer_1/default/scope2/',
    },
  },
  {
    name: 'testVarScopeGetVar (sharing through a captured scope)',
    src: `
with variable_scope("root") {
  with variable_scope("towerA") as tower_a { va = get_variable("v", [1]); a = va.name }
  with variable_scope(tower_a, reuse=True) { b = get_variable("v", [1]) == va }
  with variable_scope("towerB") { c = get_variable("v", [1]).name }
  with variable_scope("towerA", reuse=True) { d = get_variable("v", [1]) == va }
  with variable_scope("foo") {
    with variable_scope("bar") {
      e = get_variable("v", [1]).name
      with variable_scope(tower_a, reuse=True) { f = get_variable("v", [1]) == va }
    }
  }
}
`,
    expect: { a: 'root/towerA/v:0', b: 'True', c: 'root/towerB/v:0', d: 'True', e: 'root/foo/bar/v:0', f: 'True' },
  },
  {
    name: 'testVarScopeOuterScope',
    src: `
with variable_scope("outer") as outer { pass }
with variable_scope(outer) {
  a = get_variable("w", []).name
  with name_scope("scope2") as b { pass }
  with variable_scope("default") {
    c = get_variable("w", []).name
    with name_scope("scope2") as d { pass }
  }
}
with variable_scope(outer, reuse=True) {
  e = get_variable("w", []).name
  with name_scope("scope2") as f { pass }
  with variable_scope("default", reuse=True) {
    g = get_variable("w", []).name
    with name_scope("scope2") as h { pass }
  }
}
`,
    expect: {
      a: 'outer/w:0',
      b: 'outer_1/scope2/',
      c: 'outer/default/w:0',
      d: 'outer_1/default/scope2/',
      e: 'outer/w:0',
      f: 'outer_2/scope2/',
      g: 'outer/default/w:0',
      h: 'outer_2/default/scope2/',
    },
  },
  {
    name: 'testVarScopeNestedOuterScope',
    src: `
with variable_scope("outer") as outer {
  with variable_scope(outer) {
    a = get_variable("w", []).name
    with name_scope("scope2") as b { pass }
  }
  with variable_scope("default") {
    c = get_variable("w", []).name
    with name_scope("scope2") as d { pass }
  }
  with variable_scope(outer, reuse=True) {
    e = get_variable("w", []).name
    with name_scope("scope2") as f { pass }
  }
  with variable_scope("default", reuse=True) {
    g = get_variable("w", []).name
    with name_scope("scope2") as h { pass }
  }
}
`,
    expect: {
      a: 'outer/w:0',
      b: 'outer/outer/scope2/',
      c: 'outer/default/w:0',
      d: 'outer/default/scope2/',
      e: 'outer/w:0',
      f: 'outer/outer_1/scope2/',
      g: 'outer/default/w:0',
      h: 'outer/default_1/scope2/',
    },
  },
  {
    name: 'testVarOpScopeReuseParam (reuse_variables)',
    src: `
with variable_scope("outer") as outer {
  with variable_scope("tower", "default", []) { a = get_variable("w", []).name }
  with variable_scope(None, "default", []) { b = get_variable("w", []).name }
}
with variable_scope(outer) as outer {
  with variable_scope("tower", "default", reuse=True) {
    c = get_variable("w", []).name
    with name_scope("scope2") as d { pass }
  }
  outer.reuse_variables()
  with variable_scope(None, "default", []) {
    e = get_variable("w", []).name
    with name_scope("scope2") as f { pass }
  }
}
`,
    expect: {
      a: 'outer/tower/w:0',
      b: 'outer/default/w:0',
      c: 'outer/tower/w:0',
      d: 'outer_1/tower/scope2/',
      e: 'outer/default/w:0',
      f: 'outer_1/default/scope2/',
    },
  },
  {
    name: 'testVarOpScopeOuterScope',
    src: `
with variable_scope("outer") as outer { pass }
with variable_scope(outer, "default", []) {
  a = get_variable("w", []).name
  with name_scope("scope2") as b { pass }
  with variable_scope(None, "default", []) {
    c = get_variable("w", []).name
    with name_scope("scope2") as d { pass }
  }
}
with variable_scope(outer, "default", reuse=True) {
  e = get_variable("w", []).name
  with name_scope("scope2") as f { pass }
  outer.reuse_variables()
  with variable_scope(None, "default", []) {
    g = get_variable("w", []).name
    with name_scope("scope2") as h { pass }
  }
}
`,
    expect: {
      a: 'outer/w:0',
      b: 'outer_1/scope2/',
      c: 'outer/default/w:0',
      d: 'outer_1/default/scope2/',
      e: 'outer/w:0',
      f: 'outer_2/scope2/',
      g: 'outer/default/w:0',
      h: 'outer_2/default/scope2/',
    },
  },
  {
    name: 'testBasicWhenAuxiliaryNameScopeIsFalse',
    src: `
with variable_scope("scope", auxiliary_name_scope=False) as scope {
  a = scope.original_name_scope
  b = get_variable("w", []).name
  c = constant([], name="c").name
}
with variable_scope(scope, auxiliary_name_scope=False) {
  d = scope.original_name_scope
  e = get_variable("w1", []).name
  f = constant([], name="c1").name
}
with name_scope("scope") { g = constant([], name="c").name }
with variable_scope("outer") {
  with variable_scope("inner", auxiliary_name_scope=False) as inner {
    h = inner.original_name_scope
    i = get_variable("w", []).name
    j = constant([], name="c").name
  }
  with name_scope("inner") { k = constant([], name="c").name }
}
`,
    expect: {
      a: '',
      b: 'scope/w:0',
      c: 'c:0',
      d: '',
      e: 'scope/w1:0',
      f: 'c1:0',
      g: 'scope/c:0',
      h: 'outer/',
      i: 'outer/inner/w:0',
      j: 'outer/c:0',
      k: 'outer/inner/c:0',
    },
  },
  {
    name: 'testReuseScopeWithoutNameScopeCollision',
    src: `
with variable_scope("outer") {
  with variable_scope("inner") as inner { pass }
}
with variable_scope(inner, auxiliary_name_scope=False) as scope {
  with name_scope(scope.original_name_scope) {
    a = get_variable("w", []).name
    b = constant([], name="c").name
  }
  with name_scope("inner") { c = constant([], name="c").name }
}
with variable_scope("another") {
  with variable_scope(inner, auxiliary_name_scope=False) as scope1 {
    with name_scope(scope1.original_name_scope) {
      d = get_variable("w1", []).name
      e = constant([], name="c1").name
    }
    with name_scope("inner") { f = constant([], name="c").name }
  }
}
`,
    expect: { a: 'outer/inner/w:0', b: 'outer/inner/c:0', c: 'inner/c:0', d: 'outer/inner/w1:0', e: 'outer/inner/c1:0', f: 'another/inner/c:0' },
  },
  {
    name: 'testGetCollection via scope.global_variables / trainable_variables',
    src: `
_ = get_variable("testGetCollection_a", [])
_ = get_variable("testGetCollection_b", [], trainable=False)
with variable_scope("testGetCollection_foo_") as scope1 {
  _ = get_variable("testGetCollection_a", [])
  _ = get_variable("testGetCollection_b", [], trainable=False)
  a = [v.name for v in scope1.trainable_variables()]
  b = [v.name for v in scope1.global_variables()]
}
c = [v.name for v in global_variables()]
d = [v.name for v in trainable_variables()]
`,
    expect: {
      a: "['testGetCollection_foo_/testGetCollection_a:0']",
      b: "['testGetCollection_foo_/testGetCollection_a:0', 'testGetCollection_foo_/testGetCollection_b:0']",
      c: "['testGetCollection_a:0', 'testGetCollection_b:0', 'testGetCollection_foo_/testGetCollection_a:0', 'testGetCollection_foo_/testGetCollection_b:0']",
      d: "['testGetCollection_a:0', 'testGetCollection_foo_/testGetCollection_a:0']",
    },
  },
  {
    name: 'get_variable ignores name scopes; Variable uses them (TF1 docs example)',
    src: `
with variable_scope("foo") {
  with name_scope("bar") {
    v = get_variable("v", [1])
    x = 1.0 + v
    w = Variable(1.0, name="w")
  }
}
a = v.name
b = x.op.name
c = w.name
with variable_scope("foo", reuse=True) {
  with name_scope("bar") {
    v1 = get_variable("v", [1])
    x1 = 1.0 + v1
  }
}
d = v1 == v
e = x1.op.name
`,
    expect: { a: 'foo/v:0', b: 'foo/bar/add', c: 'foo/bar/w:0', d: 'True', e: 'foo_1/bar/add' },
  },
];

t.test('naming table', async (t) => {
  t.ok(cases.length >= 15, 'at least 15 ported cases');
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const r = buildOk(c.src);
      t.same(strs(r, Object.keys(c.expect)), c.expect);
    });
  }
});
