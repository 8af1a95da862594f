/**
 * @fileoverview The reference Session's memory limit (maxMemoryBytes, default 1 GiB as the
 * wasm Session's): a run whose live tensors plus variables would pass it raises
 * ResourceExhaustedError at the node about to allocate, before allocating (zeros([2**31]) used to
 * grow past 6 GB); fed, computed and value-dependent sizes all count; views count once; values
 * are dropped after their last reader; variables count across runs; the session stays usable.
 */
import t, { type Test } from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { ReferenceSession, VIEW_OPS } from '../../compiler/interp/session.js';
import { Graph, Operation } from '../../compiler/ir/graph.js';
import { makeNode } from '../../compiler/ops/build.js';
import { getOp } from '../../compiler/ops/registry.js';
import { ResourceExhaustedError } from '../../session/errors.js';
import { Tensor } from '../../session/tensor.js';

function program(src: string): Graph {
  const r = buildProgram(src, 'mem.tfg');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.defaultGraph;
}

function oom(t: Test, fn: () => unknown, node: string, what: string): void {
  try {
    fn();
    t.fail(`${what}: no error`);
  } catch (e) {
    t.ok(e instanceof ResourceExhaustedError, `${what}: ${String(e)}`);
    t.equal((e as ResourceExhaustedError).nodeName, node, `${what}: at ${node}`);
    t.match(
      (e as Error).message,
      /OOM when allocating tensor with shape\[[\d,]*\] and type \w+: \d+ bytes on top of the \d+ bytes of this run's live tensors and the variables, more than the session's limit of \d+ bytes \(maxMemoryBytes\)/,
    );
  }
}

t.test('zeros([2**31]) is refused before allocating, with the default 1 GiB limit', (t) => {
  const g = program('big = zeros([2**31], name="big")\nsmall = zeros([4], name="small")\n');
  const s = new ReferenceSession(g);
  t.equal(s.maxMemoryBytes, 2 ** 30);
  const rss = process.memoryUsage().rss;
  oom(t, () => s.run(g.get('big')!), 'big', 'zeros([2**31])');
  t.ok(process.memoryUsage().rss - rss < 256 * 2 ** 20, 'nothing large was allocated');
  t.match(
    String(catchError(() => s.run(g.get('big')!))),
    /OOM when allocating tensor with shape\[2147483648\] and type float: 8589934592 bytes on top of the \d+ bytes/,
  );
  t.same(Array.from((s.run(g.get('small')!) as Tensor).data), [0, 0, 0, 0], 'the session stays usable');
  t.equal(s.memoryBytes, 0, 'nothing held between runs without variables');
  t.end();
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return null;
}

t.test('live tensors: fed, computed, value-dependent shapes; views once; dead values dropped', (t) => {
  const g = program(
    [
      'X = placeholder(f32, shape=[None, 256], name="X")',
      'a = X * 2.0',
      'b = a + 1.0',
      'r = reshape(b, [-1])',
      'e = expand_dims(r, 0)',
      'c = multiply(e, 3.0, name="c")',
      'total = reduce_sum(c, name="total")',
      '',
    ].join('\n'),
  );
  const X = new Tensor('f32', [1024, 256], new Float32Array(1024 * 256).fill(1)); // 1 MiB
  // X (1 MiB) + a (1 MiB) + b (1 MiB); a is dropped once b is computed; r and e are views of b
  // (b's bytes stay while they live); c (1 MiB) is allocated beside X and b only.
  const s3 = new ReferenceSession(g, { maxMemoryBytes: 3 * 2 ** 20 + 64 });
  t.equal((s3.run('total:0', { 'X:0': X }) as Tensor).data[0], 9 * 1024 * 256);
  t.equal(s3.memoryBytes, 0);
  // With room for two of them, b does not fit: X and a are live when it is allocated.
  const s2 = new ReferenceSession(g, { maxMemoryBytes: 2 * 2 ** 20 + 64 });
  oom(t, () => s2.run('total:0', { 'X:0': X }), 'add', 'a 1 MiB b over X and a');
  // Fetching a keeps it live (it is never dropped): then c does not fit in s3's limit.
  oom(t, () => s3.run(['total:0', 'mul:0'], { 'X:0': X }), 'c', 'fetched values stay live');
  t.equal(s3.memoryBytes, 0, 'a failed run releases what it held');
  // A shape that depends on a fed value (fill_dims, gradients' ones): counted when it appears.
  const n = makeNode(g, 'placeholder', [], { dtype: 'i32', shape: [1] }, { name: 'n' });
  const one = makeNode(g, 'const', [], { dtype: 'f32', shape: [], value: [1] }, { name: 'one' });
  makeNode(g, 'fill_dims', [n, one], { shape: [null] }, { name: 'filled' });
  const sf = new ReferenceSession(g, { maxMemoryBytes: 2 ** 20 });
  t.equal((sf.run('filled:0', { 'n:0': [1000] }) as Tensor).size, 1000);
  oom(t, () => sf.run('filled:0', { 'n:0': [300000] }), 'filled', 'fill to a fed size');
  t.end();
});

t.test('variables count across runs, and assign shares the value it stores', (t) => {
  const g = program(
    ['w = variable(zeros([262144]), name="w")', 'init = global_variables_initializer()', 'double = assign(w, w * 2.0, name="double")', ''].join('\n'),
  );
  const s = new ReferenceSession(g, { maxMemoryBytes: 2 * 2 ** 20 + 64 });
  s.run(new Operation(g.get('init')!));
  t.equal(s.memoryBytes, 2 ** 20, 'the 1 MiB variable is held between runs');
  // w (1 MiB) + w * 2 (1 MiB); assign stores that same tensor: no third MiB.
  s.run(new Operation(g.get('double')!));
  t.equal(s.memoryBytes, 2 ** 20);
  const tight = new ReferenceSession(g, { maxMemoryBytes: 2 ** 20 + 2 ** 19 });
  tight.run(new Operation(g.get('init')!));
  oom(t, () => tight.run(new Operation(g.get('double')!)), 'mul', 'the new value does not fit beside the variable');
  tight.close();
  t.equal(tight.memoryBytes, 0);
  t.throws(() => new ReferenceSession(g, { maxMemoryBytes: 0 }), { name: 'ValueError' });
  t.end();
});

t.test('VIEW_OPS really return a view (no allocation) on the real op table', (t) => {
  const g = new Graph();
  const c = makeNode(g, 'const', [], { dtype: 'f32', shape: [2, 3], value: [1, 2, 3, 4, 5, 6] }, { name: 'c' });
  const v = makeNode(g, 'variable', [], { dtype: 'f32', shape: [2, 3], trainable: true }, { name: 'v' });
  const x = new Tensor('f32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
  const x1 = new Tensor('f32', [1, 2, 3], x.data);
  const cases: Record<string, { node: ReturnType<typeof makeNode>; inputs: (Tensor | null)[] }> = {
    reshape: { node: makeNode(g, 'reshape', [c], { shape: [3, 2] }), inputs: [x] },
    expand_dims: { node: makeNode(g, 'expand_dims', [c], { axis: 0 }), inputs: [x] },
    squeeze: { node: makeNode(g, 'squeeze', [makeNode(g, 'expand_dims', [c], { axis: 0 })], { axis: [0] }), inputs: [x1] },
    assign: { node: makeNode(g, 'assign', [v, c]), inputs: [null, x] },
    variable: { node: v, inputs: [] },
  };
  t.same([...VIEW_OPS].sort(), Object.keys(cases).sort(), 'every view op is checked');
  for (const [op, { node, inputs }] of Object.entries(cases)) {
    const ctx = { node, readVariable: () => x, writeVariable: () => {}, randomBits: () => new Uint32Array(0) };
    const out = getOp(op).eval(inputs, node.attrs, ctx);
    t.ok(out instanceof Tensor && out.data === x.data, `${op} returns a view of its input's data`);
  }
  t.end();
});
