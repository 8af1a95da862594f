/**
 * @fileoverview f32 sum/mean reductions over sizes that cross the reduce kernel's f32x4 block
 * partials (1024 elements per block, then added into the f64 total; compiler/codegen/kernels.ts):
 * fused and unfused, whole-tensor and per-row, against the reference Session (which sums in f64)
 * within the differential tolerance of test/wasm/helpers.ts, plus a large-magnitude-spread input
 * where one long f32 sum would drift past it.
 */
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { Tensor } from '../../session/tensor.js';
import { compareTensors, rng } from './helpers.js';

const COLS = [1, 3, 1025, 4096, 5000];
const SRC = `x = placeholder(f32, shape=[None], name="x")
total = reduce_sum(x, name="total")
avg = reduce_mean(square(maximum(x * 1.5 + 0.25, 0.0)), name="avg")
signature whole(x) -> [total, avg]
${COLS.map(
  (c) => `m${c} = placeholder(f32, shape=[None, ${c}], name="m${c}")
rows${c} = reduce_sum(m${c}, axis=1, name="rows${c}")
rmean${c} = reduce_mean(m${c} * m${c}, axis=[1], name="rmean${c}")
signature perrow${c}(m${c}) -> [rows${c}, rmean${c}]
`,
).join('')}`;

function setup(fuse: boolean) {
  const res = buildProgram(SRC, 'reduce.tfg');
  if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  const c = compileProgram(res, { fuse });
  return { ref: new ReferenceSession(res.defaultGraph), sess: loadModelSync(c.wasm as Uint8Array<ArrayBuffer>).createSession() };
}

const SIZES = [0, 1, 3, 4, 1023, 1024, 1025, 1027, 2048, 4099, 65536 + 5, 300001];

for (const fuse of [true, false]) {
  t.test(`whole-tensor f32 sums across block boundaries (fuse=${fuse})`, async (t) => {
    const { ref, sess } = setup(fuse);
    const r = rng(11);
    const bad: string[] = [];
    for (const n of SIZES) {
      const x = new Tensor(
        'f32',
        [n],
        Float32Array.from({ length: n }, () => r() * 2 - 1),
      );
      const got = sess.run(['total:0', 'avg:0'], { 'x:0': x }) as Tensor[];
      const want = ref.run(['total:0', 'avg:0'], { 'x:0': x }) as Tensor[];
      for (let i = 0; i < 2; i++) {
        const d = compareTensors(got[i]!, want[i]!);
        if (d) bad.push(`n=${n} ${i === 0 ? 'total' : 'avg'}: ${d}`);
      }
    }
    t.same(bad, [], `${SIZES.length} sizes`);
  });

  t.test(`per-row f32 sums with rows longer than a block (fuse=${fuse})`, async (t) => {
    const { ref, sess } = setup(fuse);
    const r = rng(12);
    const bad: string[] = [];
    for (const [rows, cols] of [
      [3, 1025],
      [2, 5000],
      [7, 4096],
      [1, 1],
      [5, 3],
    ] as const) {
      const m = new Tensor(
        'f32',
        [rows, cols],
        Float32Array.from({ length: rows * cols }, () => r() * 4 - 2),
      );
      const fetches = [`rows${cols}:0`, `rmean${cols}:0`];
      const got = sess.run(fetches, { [`m${cols}:0`]: m }) as Tensor[];
      const want = ref.run(fetches, { [`m${cols}:0`]: m }) as Tensor[];
      for (let i = 0; i < 2; i++) {
        const d = compareTensors(got[i]!, want[i]!);
        if (d) bad.push(`${rows}x${cols} ${i === 0 ? 'rows' : 'rmean'}: ${d}`);
      }
    }
    t.same(bad, []);
  });
}

t.test('magnitude spread: one 2^24 and 2^20 − 1 ones (a running f32 sum would lose every one)', async (t) => {
  const { ref, sess } = setup(true);
  // A single f32 accumulator stays at 2^24 (2^24 + 1 rounds back to 2^24): error 2^20. With
  // block partials only the ones sharing 2^24's partial (≤ 1 block lane, < 1024 terms) are lost,
  // and the f64 total keeps the rest.
  const n = 1 << 20;
  const data = new Float32Array(n).fill(1);
  data[0] = 2 ** 24;
  const x = new Tensor('f32', [n], data);
  const got = (sess.run(['total:0', 'avg:0'], { 'x:0': x }) as Tensor[])[0]!;
  const want = (ref.run(['total:0', 'avg:0'], { 'x:0': x }) as Tensor[])[0]!;
  const exact = 2 ** 24 + n - 1;
  t.equal(compareTensors(got, want), null, 'within the differential tolerance');
  t.ok(Math.abs(got.data[0]! - exact) <= 1024, `|${got.data[0]} − ${exact}| ≤ 1024`);
});
