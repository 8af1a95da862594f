/**
 * The seed's chapter 9 examples as .tfg samples, each with TF1's answer.
 */
import t, { type Test } from 'tap';
import { Node, Operation } from '../../compiler/ir/graph.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { Tensor } from '../../session/tensor.js';
import { buildSample, bindingValue } from './helpers.js';

function tensorOf(r: ReturnType<typeof buildSample>, name: string): Node {
  const n = r.lookup(name);
  if (!(n instanceof Node)) throw new Error(`${name} is not a tensor`);
  return n;
}

t.test('9.2 f = x*x*y + y + 2 is 42 with x=3, y=4', (t) => {
  const r = buildSample('samples/f.tfg');
  const s = new ReferenceSession(r.defaultGraph);
  const x = r.lookup('x') as Node;
  const y = r.lookup('y') as Node;
  // The seed's way: run each initializer, then f.
  s.run(new Operation(r.defaultGraph.variables.get(x.name)!.initializer));
  s.run(new Operation(r.defaultGraph.variables.get(y.name)!.initializer));
  const f = s.run(tensorOf(r, 'f'));
  t.equal(f.dtype, 'i32');
  t.equal(f.data[0], 42);
  // Or with global_variables_initializer in a fresh session.
  const s2 = new ReferenceSession(r.defaultGraph);
  t.equal(s2.run(r.lookup('init')!), null, 'fetching an operation gives None');
  t.equal(s2.run(tensorOf(r, 'f')).data[0], 42);
  t.equal(r.signatures[0].name, 'compute');
  t.end();
});

t.test('9.3 graphs: default graph and a named one', (t) => {
  const r = buildSample('samples/graphs.tfg');
  t.equal(bindingValue(r, 'x1_in_default'), true);
  t.equal(bindingValue(r, 'x2_in_other'), true);
  t.equal(bindingValue(r, 'x2_in_named'), true);
  t.equal(bindingValue(r, 'x2_in_default'), false);
  t.equal(r.graphs.get('other')!.get('Variable')!.op, 'variable');
  t.equal(r.defaultGraph.get('Variable')!.op, 'variable');
  t.end();
});

t.test('9.4 node lifecycle: y = 10, z = 15, one run evaluates w and x once', (t) => {
  const r = buildSample('samples/lifecycle.tfg');
  const s = new ReferenceSession(r.defaultGraph);
  const [y, z] = s.run([tensorOf(r, 'y'), tensorOf(r, 'z')]);
  t.equal(y.data[0], 10);
  t.equal(z.data[0], 15);
  t.end();
});

t.test('9.7 placeholders fed with batches of one and two rows', (t) => {
  const r = buildSample('samples/placeholders.tfg');
  const s = new ReferenceSession(r.defaultGraph);
  const A = tensorOf(r, 'A');
  const B = tensorOf(r, 'B');
  t.same(s.run(B, new Map([[A, [[1, 2, 3]]]])).toNested(), [[6, 7, 8]]);
  t.same(
    s
      .run(
        B,
        new Map([
          [
            A,
            [
              [4, 5, 6],
              [7, 8, 9],
            ],
          ],
        ]),
      )
      .toNested(),
    [
      [9, 10, 11],
      [12, 13, 14],
    ],
  );
  t.throws(() => s.run(B), { message: /You must feed a value for placeholder tensor 'Placeholder' with dtype float and shape \[\?,3\]/ });
  t.end();
});

t.test('exercise 10: assign a fed value to a variable', (t) => {
  const r = buildSample('samples/assign_feed.tfg');
  const s = new ReferenceSession(r.defaultGraph);
  const x = tensorOf(r, 'x');
  s.run(new Operation(r.defaultGraph.variables.get(x.name)!.initializer));
  const v0 = s.run(x).data[0];
  t.ok(v0 >= 0 && v0 < 1, 'initial value in [0, 1)');
  const out = s.run(tensorOf(r, 'x_assign'), new Map([[tensorOf(r, 'x_new_val'), 5.0]]));
  t.equal(out.data[0], 5, 'assign returns the new value');
  t.equal(s.run(x).data[0], 5);
  t.end();
});

t.test('9.10 name scopes: loss/sub and loss/mse', (t) => {
  const r = buildSample('samples/name_scope.tfg');
  t.equal(tensorOf(r, 'error').name, 'loss/sub');
  t.equal(tensorOf(r, 'mse').name, 'loss/mse');
  t.equal(bindingValue(r, 'scope'), 'loss/');
  t.end();
});

const names = (r: ReturnType<typeof buildSample>) => r.defaultGraph.nodes.map((n) => n.name);

t.test('9.11 modular relu: five name scopes, one output', (t) => {
  const r = buildSample('samples/relu_modular.tfg');
  const ns = names(r);
  for (const s of ['relu', 'relu_1', 'relu_2', 'relu_3', 'relu_4']) {
    t.ok(ns.includes(`${s}/weights`), `${s}/weights`);
    t.ok(ns.includes(`${s}/bias`), `${s}/bias`);
    t.ok(ns.includes(`${s}/z`), `${s}/z`);
    t.ok(ns.includes(`${s}/relu`), `${s}/relu`);
  }
  t.equal(tensorOf(r, 'output').name, 'output');
  t.end();
});

/** relu(X) summed five times, computed by hand from the variables' values. */
function checkSharedThreshold(t: Test, file: string, thresholdName: string) {
  const r = buildSample(file);
  const s = new ReferenceSession(r.defaultGraph);
  s.run(r.lookup('init') ?? new Operation(r.defaultGraph.nodes.find((n) => n.op === 'group')!));
  const X = tensorOf(r, 'X');
  const thresholds = r.defaultGraph.nodes.filter((n) => n.op === 'variable' && n.name.endsWith('threshold'));
  t.same(
    thresholds.map((n) => n.name),
    [thresholdName],
    `one shared variable ${thresholdName}`,
  );
  const xs = [
    [1, 2, 3],
    [-1, 0.5, 2],
  ];
  s.writeVariable(thresholdName, Tensor.scalar('f32', 1.5));
  const out = s.run(tensorOf(r, 'output'), new Map([[X, xs]]));
  const weights = r.defaultGraph.nodes.filter((n) => n.op === 'variable' && /(^|\/)weights(_\d+)?$/.test(n.name));
  t.equal(weights.length, 5);
  for (let row = 0; row < 2; row++) {
    let sum = 0;
    for (const w of weights) {
      const wv = s.readVariable(w.name).data;
      const z = xs[row][0] * wv[0] + xs[row][1] * wv[1] + xs[row][2] * wv[2];
      sum += Math.max(z, 1.5);
    }
    t.ok(Math.abs(out.data[row] - sum) < 1e-5, `row ${row}: ${out.data[row]} vs ${sum}`);
  }
}

t.test('9.12 shared threshold, four ways', (t) => {
  t.test('param', (t) => {
    checkSharedThreshold(t, 'samples/threshold_param.tfg', 'threshold');
    t.end();
  });
  t.test('attr', (t) => {
    checkSharedThreshold(t, 'samples/threshold_attr.tfg', 'relu/threshold');
    t.end();
  });
  t.test('get_variable', (t) => {
    checkSharedThreshold(t, 'samples/threshold_get_variable.tfg', 'relu/threshold');
    t.end();
  });
  t.test('auto_reuse', (t) => {
    checkSharedThreshold(t, 'samples/threshold_auto_reuse.tfg', 'relu/threshold');
    t.end();
  });
  t.end();
});

t.test('9.5 normal equation on California housing, float64 and float32', (t) => {
  const r = buildSample('samples/normal_equation.tfg');
  const s = new ReferenceSession(r.defaultGraph);
  const out = s.run({ theta64: tensorOf(r, 'theta64'), mse64: tensorOf(r, 'mse64'), theta32: tensorOf(r, 'theta32'), mse32: tensorOf(r, 'mse32') });
  t.equal(out.theta64.dtype, 'f64');
  t.equal(out.theta32.dtype, 'f32');
  t.same(out.theta64.shape, [9, 1]);
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
  // Check values from ../shared/data/README.md (least squares in float64).
  t.ok(rel(out.theta64.data[0], -36.9419202) < 1e-6, `f64 intercept ${out.theta64.data[0]}`);
  t.ok(rel(out.mse64.data[0], 0.524321) < 1e-6, `f64 mse ${out.mse64.data[0]}`);
  t.ok(Math.abs(out.theta32.data[0] - out.theta64.data[0]) < 0.05, `f32 intercept ${out.theta32.data[0]} within 0.05 of f64`);
  t.end();
});
