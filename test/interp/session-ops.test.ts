/**
 * @fileoverview The reference Session on the real op table (compiler/ops), graphs built with
 * makeNode: the seed's first graph, seeded random ops (one value per run, advancing across
 * runs, reproducible per session), an assign initializer, a run-time op error with its node
 * and location, and a 10k-node chain.
 */
import t from 'tap';
import { SourceFile, span } from '../../compiler/diagnostics/span.js';
import { Graph, Operation } from '../../compiler/ir/graph.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { makeNode } from '../../compiler/ops/build.js';
import { InvalidArgumentError, type OpError } from '../../session/errors.js';

function scalar(g: Graph, v: number, dtype: 'f32' | 'i32' = 'i32') {
  return makeNode(g, 'const', [], { dtype, shape: [], value: [v] }, { name: 'Const' });
}

function variable(g: Graph, init: number, name: string) {
  const v = makeNode(g, 'variable', [], { dtype: 'i32', shape: [], trainable: true }, { name });
  const a = makeNode(g, 'assign', [v, scalar(g, init)], {}, { name: `${name}/Assign` });
  return { v, a };
}

t.test('f = x*x*y + y + 2 is 42 on the real ops', (t) => {
  const g = new Graph();
  const x = variable(g, 3, 'x');
  const y = variable(g, 4, 'y');
  const f = makeNode(g, 'add', [makeNode(g, 'add', [makeNode(g, 'mul', [makeNode(g, 'mul', [x.v, x.v]), y.v]), y.v]), scalar(g, 2)], {}, { name: 'f' });
  const s = new ReferenceSession(g);
  s.run([new Operation(x.a), new Operation(y.a)]);
  t.equal(s.run(f).data[0], 42);
  t.equal(s.run('f:0')!.data[0], 42);
  t.end();
});

t.test('random_uniform: one value per run, advancing across runs, equal across sessions', (t) => {
  const g = new Graph();
  const r = makeNode(g, 'random_uniform', [], { shape: [4], dtype: 'f32', minval: 0, maxval: 1, seed: 42, seed2: 7 }, { name: 'r' });
  const one = scalar(g, 1, 'f32');
  const r1 = makeNode(g, 'add', [r, one]);
  const r2 = makeNode(g, 'add', [r, one]);
  const s = new ReferenceSession(g);
  const [a, b] = s.run([r1, r2]);
  t.same([...a.data], [...b.data]);
  const next = s.run(r);
  t.notSame(
    [...next.data].map((v) => v + 1),
    [...a.data],
  );
  const s2 = new ReferenceSession(g);
  const first = s2.run(r);
  t.same(
    [...first.data].map((v) => Math.fround(v + 1)),
    [...a.data],
  );
  t.end();
});

t.test('a run-time op error carries the node name and .tfg location', (t) => {
  const src = new SourceFile('g.tfg', 'p = [1.0, 2.0]\nbad = gather(p, 7)\n');
  const g = new Graph();
  const p = makeNode(g, 'const', [], { dtype: 'f32', shape: [2], value: [1, 2] }, { name: 'p' });
  const idx = makeNode(g, 'placeholder', [], { dtype: 'i32', shape: [] }, { name: 'idx' });
  const bad = makeNode(g, 'gather', [p, idx], { axis: 0 }, { name: 'bad', span: span(src, 21, 33) });
  const s = new ReferenceSession(g);
  let err: unknown;
  try {
    s.run(bad, { 'idx:0': 7 });
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof InvalidArgumentError, String(err));
  t.equal((err as OpError).nodeName, 'bad');
  t.match((err as OpError).location, { file: 'g.tfg', line: 2, col: 7 });
  t.equal(s.run(bad, { 'idx:0': 1 }).data[0], 2, 'the session is still usable');
  t.end();
});

t.test('a 10k-node chain of real adds', (t) => {
  const g = new Graph();
  let n = scalar(g, 0);
  const one = scalar(g, 1);
  for (let i = 0; i < 10000; i++) n = makeNode(g, 'add', [n, one]);
  t.equal(new ReferenceSession(g).run(n).data[0], 10000);
  t.end();
});
