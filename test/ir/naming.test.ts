import t from 'tap';
import { Graph } from '../../compiler/ir/graph.js';

// Cases ported from tensorflow/python/framework/ops_test.py (testUniqueName and friends).
t.test('unique_name dedups with _N suffixes', (t) => {
  const g = new Graph();
  t.equal(g.uniqueName('foo'), 'foo');
  t.equal(g.uniqueName('foo'), 'foo_1');
  t.equal(g.uniqueName('foo'), 'foo_2');
  t.equal(g.uniqueName('foo_1'), 'foo_1_1');
  t.equal(g.uniqueName('foo_1'), 'foo_1_2');
  t.equal(g.uniqueName('foo_1_2'), 'foo_1_2_1');
  t.end();
});

t.test('a name already taken is skipped', (t) => {
  const g = new Graph();
  t.equal(g.uniqueName('foo_2'), 'foo_2');
  t.equal(g.uniqueName('foo'), 'foo');
  t.equal(g.uniqueName('foo'), 'foo_1');
  t.equal(g.uniqueName('foo'), 'foo_3');
  t.end();
});

t.test('names are case-insensitive', (t) => {
  const g = new Graph();
  t.equal(g.uniqueName('foo'), 'foo');
  t.equal(g.uniqueName('Foo'), 'Foo_1');
  t.end();
});

t.test('name scopes', (t) => {
  const g = new Graph();
  g.withNameScope('bar', (s) => {
    t.equal(s, 'bar/');
    t.equal(g.uniqueName('foo'), 'bar/foo');
  });
  g.withNameScope('bar', (s) => t.equal(s, 'bar_1/'));
  t.equal(g.uniqueName('bar'), 'bar_2');
  g.withNameScope('bar/', (s) => {
    t.equal(s, 'bar/');
    t.equal(g.uniqueName('foo'), 'bar/foo_1');
  });
  g.withNameScope('Bar', (s) => t.equal(s, 'Bar_3/'));
  g.withNameScope('a', () =>
    g.withNameScope('b', (s) => {
      t.equal(s, 'a/b/');
      g.withNameScope(null, (r) => t.equal(r, ''));
    }),
  );
  t.end();
});
