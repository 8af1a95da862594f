/**
 * @fileoverview Fusion as the manifest records it: each signature's kernel counts fused and
 * unfused (`manifest.signatures[i].kernels`), asserted for the graphs of docs/fusion.md —
 * `s = reduce_mean(square(maximum(a*b + c, 0)))` is 1 kernel fused vs 5 unfused, an MLP layer
 * `relu(x @ W + b)` 1 vs 3 (matmul with its epilogue), an SGD step 1 loop — and the fused and
 * unfused modules give the same values (within the f32 tolerance of helpers.ts).
 */
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import type { Tensor } from '../../session/tensor.js';
import { compareTensors } from './helpers.js';

const SRC = `a = placeholder(f32, shape=[None, 3], name="a")
b = placeholder(f32, shape=[None, 3], name="b")
c = placeholder(f32, shape=[3], name="c")
s = reduce_mean(square(maximum(a * b + c, 0)), name="s")
x = placeholder(f32, shape=[None, 4], name="x")
W = variable([[1.0, -1.0], [0.5, 2.0], [0.0, 1.0], [-2.0, 0.25]], name="W")
bias = variable([0.1, -0.2], name="bias")
layer = relu(matmul(x, W) + bias, name="layer")
g = placeholder(f32, shape=[4, 2], name="g")
sgd = assign_sub(W, 0.01 * g, name="sgd")
init = global_variables_initializer()
signature elementwise(a, b, c) -> s
signature mlp_layer(x) -> layer
signature step(g) -> sgd
`;

const EXPECTED: Record<string, { fused: number; unfused: number }> = {
  elementwise: { fused: 1, unfused: 5 },
  mlp_layer: { fused: 1, unfused: 3 },
  step: { fused: 1, unfused: 2 },
};

t.test('kernel counts per signature, fused and unfused, in the manifest', (t) => {
  const res = buildProgram(SRC, 'fusion.tfg');
  if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  const outs: Tensor[][] = [];
  for (const fuse of [true, false]) {
    const c = compileProgram(res, { fuse });
    for (const sig of c.manifest.signatures) {
      t.same(sig.kernels, EXPECTED[sig.name], `${sig.name}: kernels fused vs unfused`);
      t.equal(
        c.manifest.plans[sig.plan].kernels.length,
        fuse ? EXPECTED[sig.name].fused : EXPECTED[sig.name].unfused,
        `${sig.name}: the compiled plan (fuse=${fuse})`,
      );
    }
    const s = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>).createSession();
    s.run('init');
    const a = [
      [1, 2, 3],
      [-4, 5, -6],
      [0.5, 0.25, 7],
    ];
    const r1 = s.run('s:0', { 'a:0': a, 'b:0': a, 'c:0': [1, -30, 2] }) as Tensor;
    const r2 = s.run('layer:0', {
      'x:0': [
        [1, 2, 3, 4],
        [-1, 0, 1, 0],
      ],
    }) as Tensor;
    const r3 = s.run('sgd:0', {
      'g:0': [
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
      ],
    }) as Tensor;
    t.equal(s.stats.signatureCalls, 3, 'each through its signature');
    outs.push([r1, r2, r3]);
  }
  outs[0].forEach((v, i) => t.equal(compareTensors(v, outs[1][i]), null, `fused and unfused agree on fetch ${i}`));
  t.end();
});
