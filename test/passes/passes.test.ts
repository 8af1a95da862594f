import t from 'tap';
import { cse } from '../../compiler/passes/cse.js';
import { dce } from '../../compiler/passes/dce.js';
import { fold } from '../../compiler/passes/fold.js';
import { DEFAULT_PIPELINE, PipelineError, runPipeline } from '../../compiler/passes/pipeline.js';
import { prune } from '../../compiler/passes/prune.js';
import { type GraphUnit, PassError, type PassResult, makeUnit } from '../../compiler/passes/rewrite.js';
import { simplify } from '../../compiler/passes/simplify.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import { golden } from '../helpers.js';
import { B, show } from './build.js';

/** Golden of a pass: input and output IR side by side. */
function goldenPass(file: string, before: GraphUnit, r: PassResult): { actual: string; expected: string; problems: string[] } {
  const text = `## before\n${show(before)}\n## after\n${show(r.unit)}`;
  return { ...golden(`test/passes/golden/${file}`, text), problems: verifyGraph(r.unit.graph) };
}

t.test('prune keeps what the fetches need and cuts fed nodes off', (t) => {
  const b = new B();
  const a = b.ph('a', [2]);
  const h = b.op('exp', [a]);
  const y = b.op('add', [h, h]);
  b.op('neg', [a]);
  const u = makeUnit(b.g, [y], [h]);
  const r = prune(u);
  const gp = goldenPass('prune.txt', u, r);
  t.equal(gp.actual, gp.expected, 'golden prune.txt');
  t.same(gp.problems, [], 'output verifies');
  t.same(
    r.unit.graph.nodes.map((n) => `${n.name}:${n.op}`),
    ['Exp:placeholder', 'Add:add'],
  );
  t.equal(r.map.get(h)!.op, 'placeholder');
  t.same(r.unit.feeds, [r.map.get(h)]);
  t.equal(r.map.get(a), undefined, 'ancestor of a feed is not needed');
  t.equal(b.g.nodes.length, 4, 'the input graph is untouched');
  t.equal(h.op, 'exp');
  t.end();
});

t.test('prune keeps control inputs and an unneeded feed is dropped', (t) => {
  const b = new B();
  const v = b.v('v', [2]);
  const one = b.c(1, [2]);
  const asg = b.op('assign', [v, one]);
  const x = b.ph('x', [2]);
  const unused = b.ph('u', [2]);
  const y = b.op('mul', [x, x], {}, undefined, [asg]);
  const r = prune(makeUnit(b.g, [y], [unused]));
  t.same(r.unit.graph.nodes.map((n) => n.name).sort(), ['Assign', 'Const', 'Mul', 'v', 'x'].sort());
  t.same(r.unit.feeds, []);
  t.same(
    r.map.get(y)!.controlInputs.map((n) => n.name),
    ['Assign'],
  );
  t.end();
});

t.test('prune refuses to feed a variable that is assigned in the same run', (t) => {
  const b = new B();
  const v = b.v('v', [2]);
  const asg = b.op('assign', [v, b.c(1, [2])]);
  t.throws(() => prune(makeUnit(b.g, [asg], [v])), PassError);
  t.end();
});

t.test('cse merges equal pure nodes, never stateful ones or different control inputs', (t) => {
  const b = new B();
  const x = b.ph('x', [3]);
  const x2 = b.ph('x2', [3]);
  const e1 = b.op('exp', [x]);
  const e2 = b.op('exp', [x]);
  const r1 = b.op('random_uniform', [], { shape: [3], dtype: 'f32', minval: 0, maxval: 1, seed: 1, seed2: 2 });
  const r2 = b.op('random_uniform', [], { shape: [3], dtype: 'f32', minval: 0, maxval: 1, seed: 1, seed2: 2 });
  const s1 = b.op('add', [e1, r1]);
  const s2 = b.op('add', [e2, r2]);
  const n1 = b.op('neg', [x], {}, undefined, [s1]);
  const n2 = b.op('neg', [x], {}, undefined, [s2]);
  const y = b.op('add_n', [s1, s2, n1, n2, x2]);
  const u = makeUnit(b.g, [y, e2]);
  const r = cse(u);
  const gp = goldenPass('cse.txt', u, r);
  t.equal(gp.actual, gp.expected, 'golden cse.txt');
  t.same(gp.problems, [], 'output verifies');
  t.equal(r.map.get(e2), r.map.get(e1), 'exp(x) twice is one node');
  t.not(r.map.get(r2), r.map.get(r1), 'random ops are never merged');
  t.not(r.map.get(n2), r.map.get(n1), 'different control inputs are not merged');
  t.not(r.map.get(x2), r.map.get(x), 'placeholders are never merged');
  t.same(
    r.unit.fetches.map((n) => n.name),
    ['AddN', 'Exp'],
    'a merged fetch maps to the survivor',
  );
  t.end();
});

t.test('fold evaluates pure constant subgraphs and static shape queries, keeping names', (t) => {
  const b = new B();
  const two = b.c(2, [], 'two');
  const three = b.c(3, [], 'three');
  const c = b.op('mul', [two, three], {}, 'c');
  const x = b.ph('x', [null, 3]);
  const s = b.op('shape', [x]);
  const w = b.ph('w', [2, 3]);
  const sw = b.op('shape', [w]);
  const rk = b.op('rank', [x]);
  const big = b.op('fill', [two], { shape: [1000] }, 'big');
  const y = b.op('add', [x, c], {}, 'y');
  const r1 = b.op('random_uniform', [], { shape: [], dtype: 'f32', minval: 0, maxval: 1, seed: 1, seed2: 2 });
  const z = b.op('mul', [r1, c], {}, 'z');
  const u = makeUnit(b.g, [y, s, sw, rk, big, z]);
  const r = fold(u, { maxElements: 100 });
  const gp = goldenPass('fold.txt', u, r);
  t.equal(gp.actual, gp.expected, 'golden fold.txt');
  t.same(gp.problems, [], 'output verifies');
  const nc = r.map.get(c)!;
  t.equal(nc.op, 'const');
  t.equal(nc.name, 'c');
  t.same(nc.attrs.value, [6]);
  t.equal(r.map.get(s)!.op, 'shape', 'shape of [?,3] is not static');
  t.same(r.map.get(sw)!.attrs.value, [2, 3]);
  t.same(r.map.get(rk)!.attrs.value, [2]);
  t.equal(r.map.get(big)!.op, 'fill', 'over the size cap');
  t.equal(r.map.get(z)!.op, 'mul', 'a random input is not constant');
  t.equal(fold(u).unit.graph.get('big')!.op, 'const', 'under the default cap');
  t.end();
});

t.test("fold moves a folded const input's control inputs to the result (TF1 prunes a block's edge onto a constant)", (t) => {
  const b = new B();
  const v = b.v('v', []);
  const one = b.c(1, [], 'one');
  const inc = b.op('assign_add', [v, one], {}, 'inc');
  const c = b.op('const', [], { dtype: 'f32', shape: [], value: [1] }, 'c', [inc]);
  const e = b.op('identity', [c], {}, 'e');
  const f = b.op('mul', [e, e], {}, 'f');
  const r = fold(makeUnit(b.g, [f]));
  t.equal(r.map.get(f)!.op, 'const');
  t.same(
    r.map.get(e)!.controlInputs.map((n) => n.name),
    ['inc'],
    'e = identity(c) carries ^inc',
  );
  t.same(
    r.map.get(f)!.controlInputs.map((n) => n.name),
    ['inc'],
    'and so does what is folded from e',
  );
  t.same(
    dce(r.unit).unit.graph.nodes.map((n) => n.name),
    ['v', 'one', 'inc', 'f'],
    'inc stays needed',
  );
  t.end();
});

t.test('fold: known dims picked from a partially known shape fold (shape(X)[1] with X [?, 3])', (t) => {
  const b = new B();
  const x = b.ph('x', [null, 3]);
  const s = b.op('shape', [x]);
  const d1 = b.op('strided_slice', [s], { index: [1] }, 'd1');
  const d0 = b.op('strided_slice', [s], { index: [0] }, 'd0');
  const r = fold(makeUnit(b.g, [d1, d0]));
  t.same(r.map.get(d1)!.attrs.value, [3]);
  t.equal(r.map.get(d0)!.op, 'strided_slice', 'the unknown dim is not folded');
  t.end();
});

t.test('simplify rewrites a reshape with a shape input only when that input is a constant', (t) => {
  const b = new B();
  const x = b.ph('x', [2, 3]);
  const p = b.ph('p', [2], 'i32');
  const k = b.c([2, 3], [2], 'k', 'i32');
  const rp = b.op('reshape', [x, p], { shape: [2, 3] }, 'rp');
  const rk = b.op('reshape', [x, k], { shape: [2, 3] }, 'rk');
  const r = simplify(makeUnit(b.g, [rp, rk]));
  t.equal(r.map.get(rp)!.op, 'reshape', 'the run-time shape is kept');
  t.equal(r.map.get(rk), r.map.get(x), "a constant shape equal to x's: x");
  t.end();
});

t.test('fold leaves a failing evaluation for run time', (t) => {
  const b = new B();
  const p = b.c([1, 2, 3], [3], 'p');
  const i = b.c([5], [1], 'i', 'i32');
  const gth = b.op('gather', [p, i], { axis: 0 });
  const r = fold(makeUnit(b.g, [gth]));
  t.equal(r.map.get(gth)!.op, 'gather');
  t.end();
});

t.test('dce removes what the fetches do not reach', (t) => {
  const b = new B();
  b.c(2, [], 'a');
  b.c(3, [], 'b');
  const c = b.c(6, [], 'c');
  const x = b.ph('x', [3]);
  const y = b.op('add', [x, c], {}, 'y');
  const u = makeUnit(b.g, [y]);
  const r = dce(u);
  const gp = goldenPass('dce.txt', u, r);
  t.equal(gp.actual, gp.expected, 'golden dce.txt');
  t.same(gp.problems, [], 'output verifies');
  t.same(
    r.unit.graph.nodes.map((n) => n.name),
    ['c', 'x', 'y'],
  );
  t.end();
});

t.test('simplify applies algebraic identities only when shapes allow', (t) => {
  const b = new B();
  const x = b.ph('x', [2, 3]);
  const one = b.c(1, [], 'one');
  const a = b.op('mul', [x, one], {}, 'a');
  const i = b.op('identity', [a], {}, 'b');
  const r1 = b.op('reshape', [i], { shape: [6] }, 'r1');
  const r2 = b.op('reshape', [r1], { shape: [3, 2] }, 'r2');
  const ones = b.c(1, [4, 2, 3], 'ones');
  const grow = b.op('mul', [x, ones], {}, 'grow');
  // -0 is the additive identity of floats: -0 + x is x for every x (+0 + -0 is +0)
  const zero = b.c(-0, [], 'zero');
  const nn = b.op('neg', [b.op('neg', [b.op('add', [zero, x])])], {}, 'nn');
  const pz = b.c(0, [], 'pz');
  const addPz = b.op('add', [x, pz], {}, 'add_pz');
  const subPz = b.op('sub', [x, pz], {}, 'sub_pz');
  const subNz = b.op('sub', [x, zero], {}, 'sub_nz');
  const u = makeUnit(b.g, [r2, grow, nn, addPz, subPz, subNz]);
  const r = simplify(u);
  const gp = goldenPass('simplify.txt', u, r);
  t.equal(gp.actual, gp.expected, 'golden simplify.txt');
  t.same(gp.problems, [], 'output verifies');
  t.equal(r.map.get(a), r.map.get(x));
  t.same(
    r.map.get(r2)!.inputs.map((n) => n.name),
    ['x'],
  );
  t.equal(r.map.get(grow)!.op, 'mul', 'x * ones[4,2,3] broadcasts: kept');
  t.equal(r.map.get(nn), r.map.get(x));
  t.equal(r.map.get(addPz)!.op, 'add', 'x + (+0) is kept: it is +0 where x is -0');
  t.equal(r.map.get(subPz), r.map.get(x), 'x - (+0) is x');
  t.equal(r.map.get(subNz)!.op, 'sub', 'x - (-0) is kept: it is +0 where x is -0');
  const after = dce(r.unit);
  t.same(
    after.unit.graph.nodes.map((n) => n.name),
    ['x', 'r2', 'ones', 'grow', 'zero', 'pz', 'add_pz', 'sub_nz'],
  );
  t.end();
});

t.test('the default pipeline, debug mode, and the pass that breaks the IR is named', (t) => {
  t.same(DEFAULT_PIPELINE, ['prune', 'cse', 'fold', 'dce']);
  const b = new B();
  const x = b.ph('x', [3]);
  const k = b.op('add', [b.c(1, [], 'k1'), b.c(2, [], 'k2')], {}, 'k');
  const e1 = b.op('mul', [x, k], {}, 'e1');
  const e2 = b.op('mul', [x, k], {}, 'e2');
  const y = b.op('add', [e1, e2], {}, 'y');
  b.op('neg', [y], {}, 'unused');
  const u = makeUnit(b.g, [y]);
  const seen: string[] = [];
  const r = runPipeline(u, { debug: true, onPass: (n) => seen.push(n) });
  t.same(seen, ['prune', 'cse', 'fold', 'dce']);
  const g = golden('test/passes/golden/pipeline.txt', `## before\n${show(u)}\n## after\n${show(r.unit)}`);
  t.equal(g.actual, g.expected);
  t.same(
    r.unit.graph.nodes.map((n) => n.name),
    ['x', 'k', 'e1', 'y'],
  );
  t.equal(r.map.get(e2), r.map.get(e1), 'composed map follows cse');
  t.equal(r.map.get(k)!.op, 'const');
  let n = 0;
  const err = (() => {
    try {
      runPipeline(u, { debug: true, verify: () => (++n === 3 ? ['broken on purpose'] : []) });
    } catch (e) {
      return e;
    }
    return null;
  })();
  t.ok(err instanceof PipelineError);
  t.equal((err as PipelineError).pass, 'cse', 'the verifier call after cse failed (input, prune, cse)');
  t.throws(() => runPipeline(u, { passes: ['nope'] }), PassError);
  t.end();
});
