/**
 * @fileoverview The wasm Session's Session.run rules against the reference Session on a .tfg
 * program: signature fast path and generic path give the same values, fetch structures,
 * TF1 errors with messages/node names/locations (unfed placeholder, uninitialized variable,
 * bad fetch names, feed shape), run-time kernel failures (gather out of range) with the session
 * still usable, variables across runs, read/write, sessions without shared state, random
 * streams advancing across runs like the reference's, the memory limit, and that session/
 * never imports compiler/.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { FailedPreconditionError, InvalidArgumentError, OpError, ResourceExhaustedError } from '../../session/errors.js';
import { Tensor } from '../../session/tensor.js';
import { compareTensors } from './helpers.js';
import { repoPath } from '../helpers.js';

const SRC = `X = placeholder(f32, shape=[None, 3], name="X")
w = variable([[1.0], [2.0], [3.0]], name="w")
b = variable([0.5], name="b")
y = relu(matmul(X, w) + b, name="y")
loss = reduce_mean(square(y - 1.0), name="loss")
step = assign_sub(w, 0.01 * matmul(X, y - 1.0, transpose_a=True), name="step")
idx = placeholder(i32, shape=[], name="idx")
p = constant([1.0, 2.0, 3.0], name="p")
g = gather(p, idx, name="g")
r = random_uniform([4], seed=3, name="r")
init = global_variables_initializer()
signature predict(X) -> {"y": y, "loss": loss}
signature fit(X) -> [loss, step]
`;

function setup(fuse = true) {
  const res = buildProgram(SRC, 'model.tfg');
  if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  const c = compileProgram(res, { fuse });
  return { res, c, model: loadModelSync(c.wasm as Uint8Array<ArrayBuffer>) };
}

function err(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return new Error('expected an error');
}

const X = [
  [1, 2, 3],
  [4, 5, 6],
  [-7, 1, 1],
  [0.5, 0.25, 1],
  [2, 2, 2],
];

t.test('signatures and the generic path agree with the reference, fused and unfused', (t) => {
  for (const fuse of [true, false]) {
    const { res, model } = setup(fuse);
    const ref = new ReferenceSession(res.defaultGraph);
    const s = model.createSession();
    ref.run('init');
    s.run('init');
    const fetch = { y: 'y:0', loss: 'loss:0' };
    const a = s.run(fetch, { 'X:0': X }) as Record<string, Tensor>;
    const b = ref.run(fetch, { 'X:0': X }) as Record<string, Tensor>;
    t.equal(compareTensors(a.y, b.y), null);
    t.equal(compareTensors(a.loss, b.loss), null);
    // training steps: variables updated in place, across runs
    for (let i = 0; i < 3; i++) {
      const [l1, w1] = s.run(['loss:0', 'step:0'], { 'X:0': X }) as Tensor[];
      const [l2, w2] = ref.run(['loss:0', 'step:0'], { 'X:0': X }) as Tensor[];
      t.equal(compareTensors(l1, l2), null, `loss step ${i}`);
      t.equal(compareTensors(w1, w2), null, `w step ${i}`);
    }
    t.equal(compareTensors(s.readVariable('w'), ref.readVariable('w')), null);
    // a combination no signature has: the generic path
    const gen = s.run(['y:0', 'add:0', 'w:0'], { 'X:0': X.slice(0, 2) }) as Tensor[];
    const genRef = ref.run(['y:0', 'add:0', 'w:0'], { 'X:0': X.slice(0, 2) }) as Tensor[];
    gen.forEach((x, i) => t.equal(compareTensors(x, genRef[i]), null, `generic fetch ${i}`));
    // feeding an intermediate replaces its computation
    const fedAdd = [[1], [-2]];
    t.equal(compareTensors(s.run('y:0', { 'add:0': fedAdd }) as Tensor, ref.run('y:0', { 'add:0': fedAdd }) as Tensor), null);
    t.same(s.run([]), []);
    t.equal(s.run('init'), null);
  }
  t.end();
});

t.test('TF1 errors with node names and .tfg locations; the session stays usable', (t) => {
  const { res, model } = setup();
  const ref = new ReferenceSession(res.defaultGraph);
  const s = model.createSession();
  const same = (a: unknown, b: unknown, what: string): void => {
    t.equal((a as Error).constructor.name, (b as Error).constructor.name, `${what}: class`);
    t.equal((a as Error).message, (b as Error).message, `${what}: message`);
    if (b instanceof OpError) {
      t.equal((a as OpError).nodeName, b.nodeName, `${what}: node`);
      t.same((a as OpError).location, b.location, `${what}: location`);
    }
  };
  const e1 = err(() => s.run('y:0', { 'X:0': X }));
  t.ok(e1 instanceof FailedPreconditionError, String(e1));
  same(
    e1,
    err(() => ref.run('y:0', { 'X:0': X })),
    'uninitialized',
  );
  s.run('init');
  ref.run('init');
  same(
    err(() => s.run('y:0')),
    err(() => ref.run('y:0')),
    'unfed placeholder',
  );
  same(
    err(() => s.run('q:0')),
    err(() => ref.run('q:0')),
    'unknown fetch',
  );
  same(
    err(() => s.run('y:1')),
    err(() => ref.run('y:1')),
    'bad output index',
  );
  same(
    err(() => s.run('y:0', { 'X:0': [[1, 2]] })),
    err(() => ref.run('y:0', { 'X:0': [[1, 2]] })),
    'feed shape',
  );
  same(
    err(() => s.run('g:0', { 'idx:0': 7 })),
    err(() => ref.run('g:0', { 'idx:0': 7 })),
    'gather out of range',
  );
  const ge = err(() => s.run('g:0', { 'idx:0': 7 })) as OpError;
  t.ok(ge instanceof InvalidArgumentError);
  t.match(ge.location, { file: 'model.tfg', line: 9 });
  t.equal((s.run('g:0', { 'idx:0': 1 }) as Tensor).data[0], 2, 'usable after an error');
  t.end();
});

t.test('variables: read/write, sessions share no state, random streams advance like the reference', (t) => {
  const { res, model } = setup();
  const a = model.createSession();
  const b = model.createSession();
  a.run('init');
  a.writeVariable('w', [[0], [0], [1]]);
  t.same([...a.readVariable('w').data], [0, 0, 1]);
  t.notOk(b.isInitialized('w'), 'another session has its own variables');
  t.same(a.variableNames(), ['w', 'b']);
  const ref = new ReferenceSession(res.defaultGraph);
  for (let i = 0; i < 3; i++) t.equal(compareTensors(a.run('r:0') as Tensor, ref.run('r:0') as Tensor), null, `random run ${i}`);
  t.end();
});

t.test('memory beyond maxMemoryBytes is a ResourceExhaustedError, not a crash', (t) => {
  const { model } = setup();
  const s = model.createSession({ maxMemoryBytes: 4 << 20 });
  s.run('init');
  const big = new Float32Array(3 * 400000);
  const e = err(() => s.run('y:0', { 'X:0': big }));
  t.ok(e instanceof ResourceExhaustedError, String(e));
  t.match(
    String(e),
    /OOM when allocating the buffers of this run for a batch of 400000 \(the fed leading dimension\): \d+ bytes needed, more than the session's limit of 4194304 bytes \(maxMemoryBytes\)/,
    'the batch that drove the plan is named',
  );
  t.equal((s.run('y:0', { 'X:0': X }) as Tensor).shape[0], 5, 'usable afterwards');
  t.end();
});

t.test('the generic path (run-time shapes): an OOM names the node, its shape and type, as TF1 does', (t) => {
  // A placeholder of unknown rank: its consumers allocate per node at run time (session/wasm/dynamic.ts).
  const res = buildProgram('x = placeholder(f32, shape=None, name="x")\nsq = square(x, name="sq")\nt = multiply(sq, ones([1, 128]), name="t")\n', 'oom.tfg');
  if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  const s = loadModelSync(compileProgram(res).wasm as Uint8Array<ArrayBuffer>).createSession({ maxMemoryBytes: 8 << 20 });
  const x = { 'x:0': new Tensor('f32', [16384, 1], new Float32Array(16384)) };
  const e = err(() => s.run('t:0', x)) as ResourceExhaustedError;
  t.ok(e instanceof ResourceExhaustedError, String(e));
  t.match(
    e.message,
    /^OOM when allocating tensor with shape\[16384,128\] and type float: \d+ bytes needed, more than the session's limit of 8388608 bytes \(maxMemoryBytes\)/,
  );
  t.equal(e.nodeName, 't', 'at the node that allocates');
  t.match(e.message, /\[\[node t \(defined at oom\.tfg:3:/, 'with its source location');
  t.same(Array.from((s.run('sq:0', { 'x:0': new Tensor('f32', [2, 2], Float32Array.of(1, 2, 3, 4)) }) as Tensor).data), [1, 4, 9, 16], 'usable afterwards');
  t.end();
});

t.test('session/ never imports compiler/', (t) => {
  const root = repoPath('dist/session');
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.js')) files.push(p);
    }
  };
  walk(root);
  t.ok(files.length > 5);
  for (const f of files) t.notMatch(readFileSync(f, 'utf8'), /from ['"][^'"]*compiler\//, f);
  t.end();
});
