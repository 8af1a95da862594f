/**
 * @fileoverview The runtime scratch a module reserves (compiler/schedule/layout.ts
 * `runtimeScratchBytes`): sized from the module's own products, so a small model reserves
 * kilobytes, not the 3.25 MiB any product could need; a dimension known only at run time counts as
 * any size; and every size the run can take fits (the products run at sizes across the runtime's
 * block boundaries give the reference's values: an overrun would corrupt the slot tables and
 * constants above the scratch).
 */
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { Tensor } from '../../session/tensor.js';
import { matmulF32ScratchBytes, matmulScratchBound } from '../../runtime-as/abi.js';
import { compareTensors, rng } from '../wasm/helpers.js';

function build(src: string) {
  const res = buildProgram(src, 'scratch.tfg');
  if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  return res;
}

function feed(shape: number[], seed: number): Tensor {
  const r = rng(seed);
  const x = Tensor.zeros('f32', shape);
  for (let i = 0; i < x.size; i++) x.data[i] = r() * 2 - 1;
  return x;
}

const SMALL = `X = placeholder(f32, shape=[None, 3], name="X")
w = variable([[1.0], [2.0], [3.0]], name="w")
y = relu(matmul(X, w) + 0.5, name="y")
g = matmul(X, y - 1.0, transpose_a=True, name="g")
signature predict(X) -> {"y": y, "g": g}
init = global_variables_initializer()
`;

t.test('a small model reserves the scratch of its products, and runs them at any batch', (t) => {
  const res = build(SMALL);
  for (const generic of [false, true]) {
    const c = compileProgram(res, { generic });
    const bytes = c.manifest.memory.runtimeScratchBytes;
    // matmul(X, w): M any, N = 1, K = 3; Xᵀ·(y − 1): M = 3, N = 1, K any.
    t.equal(bytes, Math.max(matmulScratchBound('f32', null, 1, 3), matmulScratchBound('f32', 3, 1, null), 512), `generic ${generic}: ${bytes} bytes`);
    t.ok(bytes < 32 << 10, 'kilobytes, not megabytes');
    const s = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>).createSession({ threads: 1 });
    const ref = new ReferenceSession(res.defaultGraph);
    s.initialize();
    ref.run('init');
    for (const batch of [1, 5, 129, 700, 5000]) {
      const f = { 'X:0': feed([batch, 3], batch) };
      const got = s.run(['y:0', 'g:0'], f) as Tensor[];
      const want = ref.run(['y:0', 'g:0'], f) as Tensor[];
      t.equal(compareTensors(got[0]!, want[0]!), null, `generic ${generic}, batch ${batch}: y`);
      t.equal(compareTensors(got[1]!, want[1]!), null, `generic ${generic}, batch ${batch}: Xᵀ·(y − 1)`);
    }
  }
  t.end();
});

t.test('products whose every dimension is fed: the bound of any product, and sizes across the blocks fit', (t) => {
  // Both operands fed with unknown dims: M, N and K are known only at run time.
  const res = build(`a = placeholder(f32, shape=[None, None], name="a")
b = placeholder(f32, shape=[None, None], name="b")
c = matmul(a, b, name="c")
signature mm(a, b) -> c
`);
  const c = compileProgram(res);
  t.equal(c.manifest.memory.runtimeScratchBytes, matmulScratchBound('f32', null, null, null));
  const s = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>).createSession({ threads: 1 });
  const ref = new ReferenceSession(res.defaultGraph);
  for (const [M, N, K] of [
    [129, 320, 1024],
    [1030, 40, 1025],
    [128, 321, 600],
    [3, 9, 2048],
  ]) {
    const f = { 'a:0': feed([M!, K!], M!), 'b:0': feed([K!, N!], N!) };
    t.equal(compareTensors(s.run('c:0', f) as Tensor, ref.run('c:0', f) as Tensor), null, `${M}×${N}×${K}`);
  }
  t.end();
});

t.test('an unknown rank (the generic path) leaves its dimensions unknown; an inverse of unknown size keeps the bound of any product', (t) => {
  const unknownRank = compileProgram(
    build(`a = placeholder(f32, shape=None, name="a")
w = constant([[1.0, 2.0], [3.0, 4.0]], name="w")
c = matmul(a, w, name="c")
`),
  );
  // a·w with a of unknown rank: M and K unknown (K is 2 at run time, but the bound does not use it), N = 2.
  t.equal(unknownRank.manifest.memory.runtimeScratchBytes, matmulScratchBound('f32', null, 2, null), 'unknown rank');
  t.end();
});

t.test('an inverse of a size known only at run time takes its scratch per call: n = 50, 700, 1000', (t) => {
  // Until 2026-12-05 it used the fixed runtime scratch (3.25 MiB), which n = 700 outgrew: the run
  // failed with a wasm "memory access out of bounds" (or, with more memory above, overwrote the
  // slot tables and constants).
  const c = compileProgram(
    build(`m = placeholder(f64, shape=[None, None], name="m")
i = matrix_inverse(m, name="i")
d = matmul(m, i, name="d")
signature inv(m) -> {"i": i, "d": d}
`),
  );
  const s = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>).createSession({ threads: 1 });
  for (const n of [50, 700, 1000]) {
    const x = Tensor.zeros('f64', [n, n]);
    for (let r = 0; r < n; r++) for (let q = 0; q < n; q++) x.data[r * n + q] = (r === q ? n : 0) + Math.sin(r * 7 + q * 3);
    const d = (s.run(['d:0'], { 'm:0': x }) as Tensor[])[0]!;
    let err = 0;
    for (let r = 0; r < n; r++) for (let q = 0; q < n; q++) err = Math.max(err, Math.abs(d.data[r * n + q]! - (r === q ? 1 : 0)));
    t.ok(err < 1e-12, `n = ${n}: max |m·inv(m) − I| = ${err}`);
  }
  t.end();
});

t.test('the MNIST MLP reserves what its largest product needs', (t) => {
  const res = build(`X = placeholder(f32, shape=[None, 784], name="X")
W1 = variable(zeros([784, 300]), name="W1")
W2 = variable(zeros([300, 10]), name="W2")
y = matmul(relu(matmul(X, W1)), W2, name="y")
signature predict(X) -> y
`);
  const bytes = compileProgram(res, { generic: false }).manifest.memory.runtimeScratchBytes;
  t.ok(bytes >= matmulF32ScratchBytes(1000, 300, 784) && bytes >= matmulF32ScratchBytes(50, 300, 784), `${bytes} bytes cover batch 50 and 1000`);
  t.ok(bytes < matmulScratchBound('f32', null, null, null), 'less than the bound of any product');
  t.end();
});
