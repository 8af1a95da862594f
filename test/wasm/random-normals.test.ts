/**
 * @fileoverview Normal samples (random_normal, truncated_normal; f32 and f64) are the same bits
 * on the reference and on wasm, fused and unfused, on a signature and on the generic path. Both
 * Sessions draw them with fdlibm's log/sin/cos in JavaScript (session/random.ts FDLIBM). Before,
 * the reference used the host's Math and the loader the runtime's musl-derived math_*_f64, and
 * about 4% of f64 samples differed in the last bit (the tests compared them within a tolerance).
 * A module with random initializers no longer embeds the runtime's log/sin/cos or their tables.
 */
import t from 'tap';
import { compileProgram } from '../../compiler/driver.js';
import { buildProgram } from '../../compiler/frontend/index.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { cos, log, sin } from '../../session/io/libm.js';
import { FDLIBM } from '../../session/random.js';
import type { Tensor } from '../../session/tensor.js';
import { loadModelSync } from '../../session/wasm/sync.js';

const SRC = `a = random_normal([4099], dtype=f64, seed=1, name="a")
b = random_normal([4099], seed=2, mean=3.0, stddev=0.5, name="b")
c = truncated_normal([2049], dtype=f64, seed=3, name="c")
d = truncated_normal([2049], seed=4, name="d")
e = random_normal([3, 5], dtype=f64, name="e")
w = variable(random_normal([64, 8], dtype=f64, seed=7), name="w")
x = placeholder(f64, shape=[None, 64], name="x")
y = matmul(x, w, name="y")
init = global_variables_initializer()
signature draw() -> [a, b, c, d, e]
signature forward(x) -> y
`;

const bitsEqual = (p: Tensor, q: Tensor): number => {
  let diff = 0;
  for (let i = 0; i < p.size; i++) if (!Object.is(p.data[i], q.data[i])) diff++;
  return diff;
};

t.test('FDLIBM is session/io/libm.ts', async (t) => {
  t.equal(FDLIBM.log, log);
  t.equal(FDLIBM.sin, sin);
  t.equal(FDLIBM.cos, cos);
});

t.test('normal samples: the reference and every wasm path give the same bits', async (t) => {
  const res = buildProgram(SRC, 'normals.tfg');
  if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  const names = ['a:0', 'b:0', 'c:0', 'd:0', 'e:0'];
  for (const seed of [5, 123456]) {
    const ref = new ReferenceSession(res.defaultGraph, { seed });
    // two runs: the second continues every node's stream
    const want = [ref.run(names) as Tensor[], ref.run(names) as Tensor[]];
    for (const fuse of [true, false]) {
      const s = loadModelSync(compileProgram(res, { fuse }).wasm as Uint8Array<ArrayBuffer>).createSession({ seed });
      for (let run = 0; run < 2; run++) {
        const got = s.run(names) as Tensor[];
        const diffs = got.map((g, i) => bitsEqual(g, want[run][i]));
        t.same(diffs, [0, 0, 0, 0, 0], `seed ${seed}, fuse=${fuse}, run ${run + 1}: differing samples per fetch`);
      }
      // the generic path (a fetch list no signature has) draws from the same streams
      const g = loadModelSync(compileProgram(res, { fuse }).wasm as Uint8Array<ArrayBuffer>).createSession({ seed });
      const [ga, gc] = g.run(['a:0', 'c:0']) as Tensor[];
      t.same([bitsEqual(ga, want[0][0]), bitsEqual(gc, want[0][2])], [0, 0], `seed ${seed}, fuse=${fuse}: generic path`);
    }
  }
});

t.test('a random initializer entry: same variable values, and no runtime math embedded', async (t) => {
  const res = buildProgram(SRC, 'normals.tfg');
  if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  const ref = new ReferenceSession(res.defaultGraph);
  ref.run('init');
  // x = the identity: y = w exactly (one product and zeros per element, in any order)
  const eye = Array.from({ length: 64 }, (_, i) => Array.from({ length: 64 }, (_, j) => (i === j ? 1 : 0)));
  const [wantW] = ref.run(['y:0'], { 'x:0': eye }) as Tensor[];
  const out = compileProgram(res, { signatures: ['forward'], generic: false });
  const model = loadModelSync(out.wasm as Uint8Array<ArrayBuffer>);
  const s = model.createSession();
  s.initialize();
  const [w] = s.run(['y:0'], { 'x:0': eye }) as Tensor[];
  t.equal(bitsEqual(w, wantW), 0, 'w initialized to the reference bits');
  const mod = new WebAssembly.Module(out.wasm as Uint8Array<ArrayBuffer>);
  const [rt] = WebAssembly.Module.customSections(mod, 'tfg.runtime');
  t.ok(rt, 'the runtime is embedded');
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(rt)).map((e) => e.name);
  t.same(
    exports.filter((n) => n.startsWith('math_')),
    [],
    `the embedded runtime exports no math_* (${exports.join(', ')})`,
  );
});
