/**
 * @fileoverview Dense-layer epilogues fused into the runtime matmul (`matmul_*_ep`, chosen by
 * compiler/codegen/kernels.ts `runtimeEpilogue`): act(x·W + b) for act ∈ {none, relu, sigmoid,
 * tanh}, f32 and f64, 2-D and batched, transposed operands, batch sizes that leave tile tails and
 * K beyond one block. The fused module must call the `_ep` kernel, give the same bits as the
 * unfused module (matmul, then one loop per op), and agree with the reference Session within the
 * tolerance of helpers.ts. An epilogue of another form keeps its own loop.
 */
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import type { Tensor } from '../../session/tensor.js';
import { compareTensors, rng } from './helpers.js';

const K = 300;
const SRC = `x = placeholder(f32, shape=[None, ${K}], name="x")
W = variable(random_uniform([${K}, 13], -0.2, 0.2, seed=1), name="W")
Wt = variable(random_uniform([13, ${K}], -0.2, 0.2, seed=2), name="Wt")
b = variable(random_uniform([13], -1.0, 1.0, seed=3), name="b")
plain = matmul(x, W) + b
relu_l = relu(matmul(x, W) + b, name="relu_l")
sigmoid_l = sigmoid(matmul(x, W) + b, name="sigmoid_l")
tanh_l = tanh(b + matmul(x, Wt, transpose_b=True), name="tanh_l")
act_only = relu(matmul(x, W), name="act_only")
other = matmul(x, W) * 2.0 + b
x64 = placeholder(f64, shape=[None, 7], name="x64")
W64 = variable(random_uniform([7, 5], -1.0, 1.0, dtype=f64, seed=4), name="W64")
b64 = variable(random_uniform([5], -1.0, 1.0, dtype=f64, seed=5), name="b64")
sig64 = sigmoid(matmul(x64, W64) + b64, name="sig64")
xb = placeholder(f32, shape=[3, None, 6], name="xb")
Wb = variable(random_uniform([3, 6, 10], -1.0, 1.0, seed=6), name="Wb")
bb = variable(random_uniform([10], -1.0, 1.0, seed=7), name="bb")
batched = tanh(matmul(xb, Wb) + bb, name="batched")
init = global_variables_initializer()
signature dense(x) -> {"plain": plain, "relu": relu_l, "sigmoid": sigmoid_l, "tanh": tanh_l, "act_only": act_only, "other": other}
signature dense64(x64) -> sig64
signature dense_batched(xb) -> batched
`;

async function wasmText(bytes: Uint8Array): Promise<string> {
  const wabt = await (await import('wabt')).default();
  const m = wabt.readWasm(bytes, { simd: true, bulk_memory: true, readDebugNames: true });
  m.generateNames();
  m.applyNames();
  const text = m.toText({});
  m.destroy();
  return text;
}

t.test('dense epilogues run in the runtime matmul and equal the unfused module bit for bit', async (t) => {
  const res = buildProgram(SRC, 'dense.tfg');
  if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  const fused = compileProgram(res, { fuse: true });
  const unfused = compileProgram(res, { fuse: false });
  const text = await wasmText(fused.wasm);
  for (const k of ['matmul_f32_ep', 'matmul_f64_ep', 'matmul_f32_batched_ep'])
    t.match(text, new RegExp(`call \\$tfg_rt\\.${k}\\b`), `the fused module calls ${k}`);
  t.notMatch(await wasmText(unfused.wasm), /call \$tfg_rt\.matmul_f\d\d(_batched)?_ep\b/, 'the unfused module does not');

  const fs = loadModelSync(fused.wasm as Uint8Array<ArrayBuffer>).createSession({ seed: 11 });
  const us = loadModelSync(unfused.wasm as Uint8Array<ArrayBuffer>).createSession({ seed: 11 });
  const ref = new ReferenceSession(res.defaultGraph, { seed: 11 });
  for (const s of [fs, us, ref]) s.run('init');
  const names = ['add:0', 'relu_l:0', 'sigmoid_l:0', 'tanh_l:0', 'act_only:0', 'add_1:0'];
  const r = rng(5);
  for (const B of [1, 2, 3, 4, 5, 9, 70]) {
    const x = Array.from({ length: B }, () => Array.from({ length: K }, () => r() * 4 - 2));
    const x64 = Array.from({ length: B }, () => Array.from({ length: 7 }, () => r() * 8 - 4));
    const xb = Array.from({ length: 3 }, () => Array.from({ length: B }, () => Array.from({ length: 6 }, () => r() * 2 - 1)));
    type Run = (fetches: string[], feeds: Record<string, number[][] | number[][][]>) => unknown;
    const run = (s: Run): Tensor[] => [
      ...(s(names, { 'x:0': x }) as Tensor[]),
      ...(s(['sig64:0'], { 'x64:0': x64 }) as Tensor[]),
      ...(s(['batched:0'], { 'xb:0': xb }) as Tensor[]),
    ];
    const [f, u, want] = [run((a, b) => fs.run(a, b)), run((a, b) => us.run(a, b)), run((a, b) => ref.run(a, b))];
    const labels = [...names, 'sig64:0', 'batched:0'];
    labels.forEach((name, i) => {
      const a = f[i]!.data,
        b = u[i]!.data;
      let bad = -1;
      for (let j = 0; j < a.length && bad < 0; j++) if (!Object.is(a[j], b[j])) bad = j;
      t.equal(bad, -1, `B=${B} ${name}: fused = unfused bit for bit${bad >= 0 ? ` (element ${bad}: ${a[bad]} vs ${b[bad]})` : ''}`);
      t.equal(compareTensors(f[i]!, want[i]!), null, `B=${B} ${name}: within tolerance of the reference`);
    });
  }
});
