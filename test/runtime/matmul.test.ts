/**
 * @fileoverview runtime.wasm matmul kernels (f32, f64, f32 accumulated in f64; plain and batched)
 * against a naive f64 matmul, over every transpose combination and sizes that leave every tail
 * (M%4, N%8, K%4; an f32 last panel of ≤ 4 columns has its own micro-kernel), cross the cache blocks
 * (f32: MB=1024 rows, MC=64, N in equal blocks of ≤ 320, KC=512; f64: MC=64, NC=128, KC=256) and are 0.
 *
 * Tolerances: |c − ref| ≤ 2·K·ε·Σ_k|a_ik·b_kj| + tiny, with ε = 2^-24 (f32) or 2^-53 (f64)
 * (the standard dot-product error bound); acc64: one f32 rounding, |c − ref| ≤ 2^-24·|ref|·1.01.
 * Writes past C and past the scratch size the runtime asks for are checked untouched (guard values).
 */
import t from 'tap';
import { matmulF32ScratchBytes, matmulF64ScratchBytes, matmulScratchBound } from '../../runtime-as/abi.js';
import { Harness, naiveMatmul, randomArray, rng } from './harness.js';

type Variant = 'f32' | 'f64' | 'acc64';
const EPS = { f32: 2 ** -24, f64: 2 ** -53 };
const GUARD = 12345.5;

function runCase(h: Harness, v: Variant, M: number, N: number, K: number, ta: boolean, tb: boolean, seed: number): string | null {
  h.reset();
  const r = rng(seed);
  const dt = v === 'f64' ? 'f64' : 'f32';
  const round = dt === 'f32' ? Math.fround : (x: number) => x;
  const a = randomArray(M * K, r).map(round),
    b = randomArray(K * N, r).map(round);
  const pa = h.put(dt, a),
    pb = h.put(dt, b);
  const pc = h.put(dt, new Array(M * N + 8).fill(GUARD));
  const scratchBytes = v === 'f32' ? h.rt.matmul_f32_scratch(M, N, K) : h.rt.matmul_f64_scratch(M, N, K);
  const ps = h.alloc(scratchBytes);
  const guard = h.put('f32', new Array(1024).fill(GUARD));
  const fn = v === 'f32' ? h.rt.matmul_f32 : v === 'f64' ? h.rt.matmul_f64 : h.rt.matmul_f32_acc64;
  fn(pa, pb, pc, M, N, K, ta ? 1 : 0, tb ? 1 : 0, ps);
  if (h.f32(guard, 1024).some((x) => x !== GUARD)) return `wrote past the ${scratchBytes} bytes of scratch`;
  const c = dt === 'f32' ? h.f32(pc, M * N + 8) : h.f64(pc, M * N + 8);
  const { c: ref, mag } = naiveMatmul(a, b, M, N, K, ta, tb);
  for (let i = 0; i < M * N; i++) {
    const tol = v === 'acc64' ? EPS.f32 * Math.abs(ref[i]!) * 1.01 + 1e-37 : 2 * Math.max(K, 1) * EPS[dt] * mag[i]! + 1e-300;
    if (!(Math.abs(c[i]! - ref[i]!) <= tol)) return `C[${Math.floor(i / N)},${i % N}] = ${c[i]} vs ${ref[i]} (tol ${tol})`;
  }
  for (let i = M * N; i < M * N + 8; i++) if (c[i] !== GUARD) return `wrote past C at ${i}`;
  return null;
}

const SIZES = [0, 1, 3, 5, 7, 9, 17, 33];
const h = new Harness();

for (const v of ['f32', 'f64', 'acc64'] as const) {
  t.test(`matmul ${v}: all transposes, sizes ${SIZES.join(',')}`, async (t) => {
    let seed = 1;
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const failures: string[] = [];
        for (const M of SIZES)
          for (const N of SIZES)
            for (const K of SIZES) {
              const f = runCase(h, v, M, N, K, ta, tb, seed++);
              if (f) failures.push(`M=${M} N=${N} K=${K}: ${f}`);
            }
        t.same(failures, [], `transA=${ta} transB=${tb}: ${SIZES.length ** 3} shapes`);
      }
    }
  });
  t.test(`matmul ${v}: shapes crossing the cache blocks`, async (t) => {
    const shapes: Array<[number, number, number]> = [
      [70, 300, 260],
      [130, 129, 513],
      [4, 8, 1000],
      [65, 257, 2],
      [128, 128, 128],
      [1030, 9, 300],
      [517, 260, 3],
      // f32: more rows than MB, N in two blocks (168 + 156, the last panel half wide), two K slices.
      ...(v === 'f32' ? [[1028, 324, 516] as [number, number, number]] : []),
    ];
    for (const [M, N, K] of shapes) {
      for (const ta of [false, true])
        for (const tb of [false, true]) {
          t.equal(runCase(h, v, M, N, K, ta, tb, M * 7 + N * 3 + K), null, `${M}x${N}x${K} transA=${ta} transB=${tb}`);
        }
    }
  });
}

t.test('small M (the no-packing GEMV path, M ≤ 4, ≤ 8 with transB): row pairs, column blocks of 16/8/4/2/1 and tails, every transpose', async (t) => {
  const Ns = [1, 2, 3, 4, 5, 8, 15, 16, 17, 19, 33, 47, 300];
  const Ks = [0, 1, 2, 3, 4, 5, 9, 784];
  for (const v of ['f32', 'f64', 'acc64'] as const) {
    for (const M of [1, 2, 3, 4, 5, 8, 9]) {
      const failures: string[] = [];
      let n = 0;
      for (const ta of [false, true])
        for (const tb of [false, true])
          for (const N of Ns)
            for (const K of Ks) {
              const f = runCase(h, v, M, N, K, ta, tb, 1000 + M * 131 + N * 17 + K + (ta ? 7 : 0) + (tb ? 3 : 0));
              n++;
              if (f) failures.push(`M=${M} N=${N} K=${K} transA=${ta} transB=${tb}: ${f}`);
            }
      t.same(failures, [], `${v} M=${M}: ${n} shapes`);
    }
  }
});

t.test('small M in the batched form (strides, broadcast B)', async (t) => {
  for (const v of ['f32', 'f64'] as const) {
    for (const tb of [false, true]) {
      h.reset();
      const r = rng(7);
      const round = v === 'f32' ? Math.fround : (x: number) => x;
      const batch = 3,
        M = 1,
        N = 21,
        K = 13;
      const a = randomArray(batch * M * K, r).map(round),
        b = randomArray(K * N, r).map(round);
      const pa = h.put(v, a),
        pb = h.put(v, b),
        pc = h.alloc(batch * M * N * 8);
      const fn = v === 'f32' ? h.rt.matmul_f32_batched : h.rt.matmul_f64_batched;
      fn(pa, pb, pc, batch, M, N, K, 0, tb ? 1 : 0, h.alloc(h.rt.matmul_f64_scratch(M, N, K)), M * K, 0);
      const c = v === 'f32' ? h.f32(pc, batch * M * N) : h.f64(pc, batch * M * N);
      let worst = 0;
      for (let i = 0; i < batch; i++) {
        const { c: ref } = naiveMatmul(a.slice(i * M * K, (i + 1) * M * K), b, M, N, K, false, tb);
        for (let j = 0; j < M * N; j++) worst = Math.max(worst, Math.abs(c[i * M * N + j]! - ref[j]!));
      }
      t.ok(worst < (v === 'f32' ? 1e-5 : 1e-13), `${v} transB=${tb}: max error ${worst}`);
    }
  }
});

t.test('batched matmul with strides (0 broadcasts)', async (t) => {
  for (const v of ['f32', 'f64', 'acc64'] as const) {
    h.reset();
    const dt = v === 'f64' ? 'f64' : 'f32';
    const round = dt === 'f32' ? Math.fround : (x: number) => x;
    const r = rng(99);
    const batch = 3,
      M = 5,
      N = 9,
      K = 7;
    const a = randomArray(batch * M * K, r).map(round),
      b = randomArray(K * N, r).map(round);
    const pa = h.put(dt, a),
      pb = h.put(dt, b),
      pc = h.alloc(batch * M * N * 8);
    const ps = h.alloc(Math.max(h.rt.matmul_f32_scratch(M, N, K), h.rt.matmul_f64_scratch(M, N, K)));
    const fn = v === 'f32' ? h.rt.matmul_f32_batched : v === 'f64' ? h.rt.matmul_f64_batched : h.rt.matmul_f32_acc64_batched;
    fn(pa, pb, pc, batch, M, N, K, 0, 0, ps, M * K, 0);
    const c = dt === 'f32' ? h.f32(pc, batch * M * N) : h.f64(pc, batch * M * N);
    let worst = 0;
    for (let i = 0; i < batch; i++) {
      const { c: ref } = naiveMatmul(a.slice(i * M * K, (i + 1) * M * K), b, M, N, K, false, false);
      for (let j = 0; j < M * N; j++) worst = Math.max(worst, Math.abs(c[i * M * N + j]! - ref[j]!));
    }
    t.ok(worst < (dt === 'f32' ? 1e-5 : 1e-13), `${v}: max error ${worst}`);
  }
});

t.test('scratch sizes: TS mirror in abi.ts equals the runtime; the unbounded shape bounds them all', async (t) => {
  const mismatches: string[] = [];
  // compiler/schedule/layout.ts reserves the scratch of the unbounded shape for any product.
  const worst = matmulF32ScratchBytes(1 << 20, 1 << 20, 1 << 20);
  for (const M of [0, 1, 4, 63, 64, 65, 128, 129, 1000, 1 << 20])
    for (const N of [0, 1, 8, 255, 256, 300, 320, 321, 1 << 20])
      for (const K of [0, 1, 255, 256, 511, 512, 513, 1000, 1024, 1025, 1 << 20]) {
        if (matmulF32ScratchBytes(M, N, K) > worst) mismatches.push(`f32 ${M},${N},${K} needs more than the unbounded shape`);
        if (h.rt.matmul_f32_scratch(M, N, K) !== matmulF32ScratchBytes(M, N, K)) mismatches.push(`f32 ${M},${N},${K}`);
        if (h.rt.matmul_f64_scratch(M, N, K) !== matmulF64ScratchBytes(M, N, K)) mismatches.push(`f64 ${M},${N},${K}`);
        if (h.rt.matmul_f32_acc64_scratch(M, N, K) !== matmulF64ScratchBytes(M, N, K)) mismatches.push(`acc64 ${M},${N},${K}`);
      }
  t.same(mismatches, []);
});

t.test('matmulScratchBound: a dimension left unknown bounds the scratch of every size it can take', async (t) => {
  // compiler/schedule/layout.ts sizes a module's scratch with it; the scratch is not monotonic in
  // M, N or K (a wide slice has no f64 accumulator; the column block peaks at N = 320).
  const dims = [
    1, 3, 4, 5, 8, 9, 63, 64, 65, 127, 128, 129, 130, 300, 319, 320, 321, 511, 512, 513, 640, 784, 1000, 1023, 1024, 1025, 1028, 2047, 2048, 4096, 20640,
  ];
  const bad: string[] = [];
  let checked = 0;
  for (const dt of ['f32', 'f64'] as const) {
    const exact = dt === 'f32' ? matmulF32ScratchBytes : matmulF64ScratchBytes;
    for (const M of dims)
      for (const N of dims)
        for (const K of dims) {
          const need = exact(M, N, K);
          for (let mask = 0; mask < 8; mask++) {
            const b = matmulScratchBound(dt, mask & 1 ? null : M, mask & 2 ? null : N, mask & 4 ? null : K);
            checked++;
            if (b < need) bad.push(`${dt} ${M}x${N}x${K} mask ${mask}: bound ${b} < ${need}`);
          }
          if (matmulScratchBound(dt, M, N, K) !== need) bad.push(`${dt} ${M}x${N}x${K}: a known shape's bound is not its scratch`);
        }
  }
  t.same(bad.slice(0, 10), [], `${checked} (shape, unknown dims) pairs`);
  t.equal(matmulScratchBound('f32', null, null, null), matmulF32ScratchBytes(1 << 20, 1 << 20, 1 << 20), 'all unknown: the former reservation of every module');
});

t.test('acc64 is more accurate than f32 accumulation on a cancelling sum', async (t) => {
  h.reset();
  // Row [1e4, 1, -1e4, ...] · ones: exact sum is K/4 * 1 but f32 accumulation loses the ones.
  const K = 1024;
  const a = Array.from({ length: K }, (_, k) => (k % 4 === 0 ? 1e4 : k % 4 === 2 ? -1e4 : k % 4 === 1 ? 1e-3 : 0));
  const b = new Array(K).fill(1);
  const pa = h.put('f32', a),
    pb = h.put('f32', b),
    pc = h.alloc(16),
    ps = h.alloc(h.rt.matmul_f64_scratch(1, 1, K));
  h.rt.matmul_f32_acc64(pa, pb, pc, 1, 1, K, 0, 0, ps);
  const exact = a.map(Math.fround).reduce((s, x) => s + x, 0);
  t.equal(h.f32(pc, 1)[0], Math.fround(exact));
});

// ---- blocked accumulation (f32 within a K block, f64 across blocks), K around block sizes ----

/**
 * Tighter than the dot-product bound for long K: the packed kernel sums 64 terms in f32 registers
 * and adds at most 16 such sums into an f32 tile per slice (8 per KC = 512 slice, 16 in a wide slice
 * of ≤ 1024 above 128 rows), the small-M path sums chunks of
 * 64 terms; slices/chunks are added in f64 and C rounded once, so
 * |c − ref| ≤ 80·ε·Σ|a||b| + ε·|ref| (+ the f64 part, ≤ K·2⁻⁵³·Σ|a||b|) whatever K is.
 */
function blockedCase(M: number, N: number, K: number, ta: boolean, tb: boolean, seed: number): string | null {
  h.reset();
  const r = rng(seed);
  const a = randomArray(M * K, r).map(Math.fround),
    b = randomArray(K * N, r).map(Math.fround);
  const pa = h.put('f32', a),
    pb = h.put('f32', b),
    pc = h.put('f32', new Array(M * N + 8).fill(GUARD));
  const scratchBytes = h.rt.matmul_f32_scratch(M, N, K),
    ps = h.alloc(scratchBytes),
    guard = h.put('f32', new Array(1024).fill(GUARD));
  h.rt.matmul_f32(pa, pb, pc, M, N, K, ta ? 1 : 0, tb ? 1 : 0, ps);
  if (h.f32(guard, 1024).some((x) => x !== GUARD)) return `wrote past the ${scratchBytes} bytes of scratch`;
  const c = h.f32(pc, M * N + 8);
  const { c: ref, mag } = naiveMatmul(a, b, M, N, K, ta, tb);
  for (let i = 0; i < M * N; i++) {
    const tol = (80 * EPS.f32 + K * EPS.f64) * mag[i]! + EPS.f32 * Math.abs(ref[i]!) + 1e-30;
    if (!(Math.abs(c[i]! - ref[i]!) <= tol)) return `C[${Math.floor(i / N)},${i % N}] = ${c[i]} vs ${ref[i]} (tol ${tol})`;
  }
  for (let i = M * N; i < M * N + 8; i++) if (c[i] !== GUARD) return `wrote past C at ${i}`;
  return null;
}

t.test('f32: K around the block sizes (KF = KCS = 64, KC = 512, KCL = 1024 above 128 rows, equal slices), packed and small M, all transposes', async (t) => {
  const Ks = [4, 63, 64, 65, 127, 128, 129, 252, 255, 256, 257, 260, 511, 512, 513, 516, 767, 768, 769, 1020, 1024, 1028, 2047, 2048, 2049];
  for (const [M, N] of [
    [1, 19],
    [2, 33],
    [3, 8],
    [8, 5],
    [9, 17],
    [37, 70],
    [128, 9],
    [129, 9],
  ] as const) {
    const failures: string[] = [];
    for (const K of Ks)
      for (const ta of [false, true])
        for (const tb of [false, true]) {
          const f = blockedCase(M, N, K, ta, tb, M * 1000 + N * 10 + K + (ta ? 3 : 0) + (tb ? 5 : 0));
          if (f) failures.push(`${M}x${N}x${K} transA=${ta} transB=${tb}: ${f}`);
        }
    t.same(failures, [], `${M}x${N}: ${Ks.length * 4} depths × transposes`);
  }
});

t.test(
  'f32: wide slices at full size (one K slice of ≤ 1024 above 128 rows: the widest B block, several column and MB blocks) within the bound and the scratch',
  async (t) => {
    for (const [M, N, K, tas] of [
      [132, 640, 1024, [false]],
      [1030, 90, 1000, [false]],
      [129, 321, 516, [false, true]],
    ] as const)
      for (const ta of tas)
        for (const tb of [false, true])
          t.equal(blockedCase(M, N, K, ta, tb, M + N + K + (ta ? 1 : 0) + (tb ? 2 : 0)), null, `${M}x${N}x${K} transA=${ta} transB=${tb}`);
  },
);

t.test('f32: long K (the normal equation’s XᵀX shape, 9×9×20640) within the blocked bound', async (t) => {
  for (const [M, N] of [
    [9, 9],
    [1, 1],
    [9, 1],
    [4, 9],
    [132, 3],
  ] as const) {
    t.equal(blockedCase(M, N, 20640, true, false, 77 + M + N), null, `${M}x${N}x20640 transA`);
    t.equal(blockedCase(M, N, 20640, false, false, 78 + M + N), null, `${M}x${N}x20640`);
  }
});

t.test('f32: a long sum of 0.1s keeps f64-like accuracy (sequential f32 accumulation is ~6e-4 off)', async (t) => {
  const K = 20000;
  for (const [M, N, tb] of [
    [1, 1, false],
    [1, 1, true],
    [4, 16, false],
    [9, 9, false],
    [64, 64, true],
  ] as const) {
    h.reset();
    const a = new Array(M * K).fill(0.1),
      b = new Array(K * N).fill(1);
    const pa = h.put('f32', a),
      pb = h.put('f32', b),
      pc = h.alloc(M * N * 4);
    h.rt.matmul_f32(pa, pb, pc, M, N, K, 0, tb ? 1 : 0, h.alloc(h.rt.matmul_f32_scratch(M, N, K)));
    const exact = K * Math.fround(0.1);
    const worst = Math.max(...Array.from(h.f32(pc, M * N), (x) => Math.abs(x - exact) / exact));
    t.ok(worst < 1e-5, `${M}x${N}x${K} transB=${tb}: relative error ${worst.toExponential(2)}`);
  }
});

// ---- fused epilogues: bit-identical to the product followed by the unfused epilogue ----

const ACTS = ['none', 'relu', 'sigmoid', 'tanh'] as const;

/** The unfused epilogue as generated code computes it: f32/f64 add, max(x, 0), the runtime's sigmoid/tanh. */
function unfusedEpilogue(dt: 'f32' | 'f64', x: number, bias: number | null, act: (typeof ACTS)[number]): number {
  const r = dt === 'f32' ? Math.fround : (v: number) => v;
  let v = bias === null ? x : r(x + bias);
  if (act === 'relu') v = Number.isNaN(v) ? v : v > 0 ? v : 0;
  else if (act === 'sigmoid') v = dt === 'f32' ? h.rt.math_sigmoid_f32(v) : h.rt.math_sigmoid_f64(v);
  else if (act === 'tanh') v = dt === 'f32' ? h.rt.math_tanh_f32(v) : h.rt.math_tanh_f64(v);
  return v;
}

t.test('matmul_*_ep: act(A·B + bias) equals matmul then the unfused epilogue bit for bit (tails, K blocks, small M, transposes, batched)', async (t) => {
  const shapes: Array<[number, number, number]> = [
    [1, 19, 7],
    [2, 37, 600],
    [3, 8, 300],
    [8, 5, 9],
    [5, 9, 1],
    [13, 21, 257],
    [70, 300, 260],
    [33, 17, 0],
  ];
  for (const dt of ['f32', 'f64'] as const) {
    const failures: string[] = [];
    let n = 0;
    for (const [M, N, K] of shapes)
      for (const ta of [false, true])
        for (const tb of [false, true])
          for (const act of ACTS)
            for (const withBias of [false, true]) {
              for (const batch of [1, 2]) {
                h.reset();
                const r = rng(M * 31 + N * 7 + K + n);
                const round = dt === 'f32' ? Math.fround : (x: number) => x;
                const a = randomArray(batch * M * K, r, -2, 2).map(round),
                  b = randomArray(K * N, r, -2, 2).map(round);
                const bias = randomArray(N, r, -1, 1).map(round);
                const pa = h.put(dt, a),
                  pb = h.put(dt, b),
                  pbias = withBias ? h.put(dt, bias) : 0;
                const es = dt === 'f32' ? 4 : 8;
                const pc = h.put(dt, new Array(batch * M * N + 4).fill(GUARD)),
                  pref = h.alloc(batch * M * N * es);
                const ps = h.alloc(Math.max(h.rt.matmul_f32_scratch(M, N, K), h.rt.matmul_f64_scratch(M, N, K)));
                const code = ACTS.indexOf(act);
                if (batch === 1) {
                  (dt === 'f32' ? h.rt.matmul_f32_ep : h.rt.matmul_f64_ep)(pa, pb, pc, M, N, K, ta ? 1 : 0, tb ? 1 : 0, ps, pbias, code);
                  (dt === 'f32' ? h.rt.matmul_f32 : h.rt.matmul_f64)(pa, pb, pref, M, N, K, ta ? 1 : 0, tb ? 1 : 0, ps);
                } else {
                  (dt === 'f32' ? h.rt.matmul_f32_batched_ep : h.rt.matmul_f64_batched_ep)(
                    pa,
                    pb,
                    pc,
                    batch,
                    M,
                    N,
                    K,
                    ta ? 1 : 0,
                    tb ? 1 : 0,
                    ps,
                    M * K,
                    0,
                    pbias,
                    code,
                  );
                  (dt === 'f32' ? h.rt.matmul_f32_batched : h.rt.matmul_f64_batched)(pa, pb, pref, batch, M, N, K, ta ? 1 : 0, tb ? 1 : 0, ps, M * K, 0);
                }
                const view = (p: number, len: number) => (dt === 'f32' ? h.f32(p, len) : h.f64(p, len));
                const got = view(pc, batch * M * N + 4),
                  prod = view(pref, batch * M * N);
                let bad = '';
                for (let i = 0; i < batch * M * N && !bad; i++) {
                  const want = unfusedEpilogue(dt, prod[i]!, withBias ? bias[i % N]! : null, act);
                  if (!Object.is(got[i], want)) bad = `C[${i}] = ${got[i]} vs ${want}`;
                }
                for (let i = batch * M * N; i < batch * M * N + 4 && !bad; i++) if (got[i] !== GUARD) bad = `wrote past C at ${i}`;
                n++;
                if (bad) failures.push(`${dt} ${batch}×${M}x${N}x${K} transA=${ta} transB=${tb} act=${act} bias=${withBias}: ${bad}`);
              }
            }
    t.same(failures, [], `${dt}: ${n} cases`);
  }
});

/**
 * Each element of C is its own sum, so a product's first N columns must be the same bits whatever
 * columns follow them. N = 8q + r with r in 1..4 ends in a half-width panel (micro32h) and r in
 * 1..7 in an edge tile copied column by column; appending columns to B up to 8(q+1) computes the
 * same columns on a full 8-wide panel stored straight to C. Rows M % 4 ≠ 0 end in edge rows
 * likewise. With the `_ep` epilogue (bias, sigmoid) and across 1-3 K slices.
 */
t.test('f32: a column is the same bits on a half-width or edge panel as on a full panel (micro32h, copyEdge)', async (t) => {
  const failures: string[] = [];
  let n = 0;
  for (const M of [5, 12, 67])
    for (const K of [70, 300, 600, 1100])
      for (const N of [1, 4, 9, 12, 13, 100, 300, 327])
        for (const ta of [false, true])
          for (const tb of [false, true]) {
            h.reset();
            const r = rng(M * 7919 + K * 31 + N + (ta ? 2 : 0) + (tb ? 1 : 0));
            const W = Math.ceil(N / 8) * 8 + (N % 8 === 0 ? 8 : 0);
            const a = randomArray(M * K, r).map(Math.fround),
              bw = randomArray(K * W, r).map(Math.fround),
              bias = randomArray(W, r).map(Math.fround);
            // B of N columns: the first N columns of the wide B (as stored: [K][N], or [N][K] when transposed).
            const b = new Array<number>(K * N);
            for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) b[tb ? j * K + k : k * N + j] = bw[tb ? j * K + k : k * W + j]!;
            const run = (bm: number[], cols: number): Float32Array => {
              const pa = h.put('f32', a),
                pb = h.put('f32', bm),
                pbias = h.put('f32', bias.slice(0, cols)),
                pc = h.put('f32', new Array(M * cols).fill(0)),
                ps = h.alloc(h.rt.matmul_f32_scratch(M, cols, K));
              h.rt.matmul_f32_ep(pa, pb, pc, M, cols, K, ta ? 1 : 0, tb ? 1 : 0, ps, pbias, 2);
              return h.f32(pc, M * cols).slice();
            };
            const narrow = run(b, N),
              wide = run(bw, W);
            n++;
            for (let i = 0; i < M && failures.length < 10; i++)
              for (let j = 0; j < N; j++)
                if (!Object.is(narrow[i * N + j], wide[i * W + j])) {
                  failures.push(`${M}x${N}x${K} ta=${ta} tb=${tb}: C[${i},${j}] ${narrow[i * N + j]} vs ${wide[i * W + j]} with ${W} columns`);
                  break;
                }
          }
  t.same(failures, [], `${n} products, each against the same product with columns appended`);
});
