/**
 * @fileoverview maximum/minimum and reduce_max/reduce_min on signed zeros and NaN: the reference,
 * constant folding and every wasm path (fused and unfused signatures, the generic per-node path)
 * give the same bits. They are IEEE 754-2019 maximum/minimum (docs/language.md): NaN propagates
 * and -0 < +0 in either operand order. The reference used to return the second operand on ties
 * (`maximum(0.0, -0.0)` was -0) while the wasm kernels, whose f32x4.max is IEEE's, gave +0; the
 * differential tests never fed signed zeros, so the mismatch went unseen. Feeding them found two
 * more wrong values in the passes: cse merged constant(0.0) with constant(-0.0) (its key used
 * JSON.stringify, which prints -0 as 0), and simplify rewrote `x + 0.0` and `x - (-0.0)` to x,
 * which is wrong for x = -0 (only `x + (-0.0)` and `x - 0.0` are identities).
 */
import t from 'tap';
import { compileProgram } from '../../compiler/driver.js';
import { buildProgram } from '../../compiler/frontend/index.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import type { Tensor } from '../../session/tensor.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { rng } from './helpers.js';

/** Each element as text that tells -0 from +0 (NaN is NaN). */
const bits = (xs: ArrayLike<number>): string[] => Array.from(xs, (v) => (Object.is(v, -0) ? '-0' : String(v)));

/** Mostly zeros of both signs, so ties are common; some NaN and infinities. */
const POOL = [-0, 0, -0, 0, -0, 0, NaN, 1, -1, Infinity, -Infinity];

const FETCHES = [
  'a0',
  'an0',
  'ap0',
  'an1',
  's0',
  'sn0',
  'mxy',
  'myx',
  'nxy',
  'nyx',
  'mx0',
  'm0x',
  'rmax',
  'rmin',
  'rmax0',
  'rmin1',
  'cmax',
  'cmin',
  'crmax',
  'crmin',
];

function source(dtype: 'f32' | 'f64', n: number, consts: number[]): string {
  const lit = (v: number): string =>
    Number.isNaN(v) ? 'float("nan")' : v === Infinity ? 'float("inf")' : v === -Infinity ? '-float("inf")' : Object.is(v, -0) ? '-0.0' : `${v}.0`;
  const c = `[${consts.map(lit).join(', ')}]`;
  return `x = placeholder(${dtype}, shape=[${n}], name="x")
y = placeholder(${dtype}, shape=[${n}], name="y")
z = placeholder(${dtype}, shape=[2, ${n}], name="z")
a0 = add(x, 0.0, name="a0")
an0 = add(constant(-0.0, dtype=${dtype}), x, name="an0")
ap0 = add(constant(0.0, dtype=${dtype}), x, name="ap0")
an1 = add(x, -0.0, name="an1")
s0 = subtract(x, 0.0, name="s0")
sn0 = subtract(x, -0.0, name="sn0")
mxy = maximum(x, y, name="mxy")
myx = maximum(y, x, name="myx")
nxy = minimum(x, y, name="nxy")
nyx = minimum(y, x, name="nyx")
mx0 = maximum(x, cast(0.0, ${dtype}), name="mx0")
m0x = maximum(cast(-0.0, ${dtype}), x, name="m0x")
rmax = reduce_max(x, name="rmax")
rmin = reduce_min(x, name="rmin")
rmax0 = reduce_max(z, axis=0, name="rmax0")
rmin1 = reduce_min(z, axis=1, name="rmin1")
k = constant(${c}, dtype=${dtype}, name="k")
cmax = maximum(k, -k, name="cmax")
cmin = minimum(-k, k, name="cmin")
crmax = reduce_max(k, name="crmax")
crmin = reduce_min(-k, name="crmin")
signature s(x, y, z) -> [${FETCHES.join(', ')}]
`;
}

for (const dtype of ['f32', 'f64'] as const) {
  t.test(`${dtype}: signed zeros and NaN agree bit for bit across the reference and every wasm path`, async (t) => {
    const r = rng(dtype === 'f32' ? 17 : 18);
    const pick = (): number => POOL[Math.floor(r() * POOL.length)];
    for (const n of [1, 2, 3, 4, 5, 8, 9, 16, 17, 31, 64, 257, 1000, 4099]) {
      const res = buildProgram(source(dtype, n, Array.from({ length: 7 }, pick)), 'signed-zero.tfg');
      if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
      const ref = new ReferenceSession(res.defaultGraph);
      const sessions = [true, false].map((fuse) => ({ fuse, s: loadModelSync(compileProgram(res, { fuse }).wasm as Uint8Array<ArrayBuffer>).createSession() }));
      let mismatches = 0;
      const first: string[] = [];
      for (let trial = 0; trial < 6; trial++) {
        // trial 0: zeros only, so every comparison is a ±0 tie
        const draw = (): number => (trial === 0 ? (r() < 0.5 ? -0 : 0) : pick());
        const x = Array.from({ length: n }, draw);
        const y = Array.from({ length: n }, draw);
        const z = [Array.from({ length: n }, draw), Array.from({ length: n }, draw)];
        const feeds = { 'x:0': x, 'y:0': y, 'z:0': z };
        const names = FETCHES.map((f) => `${f}:0`);
        const want = (ref.run(names, feeds) as Tensor[]).map((v) => bits(v.data));
        for (const { fuse, s } of sessions) {
          const got = (s.run(names, feeds) as Tensor[]).map((v) => bits(v.data));
          // a fetch list no signature has: the generic per-node path
          const generic = (s.run(names.slice(0, 4), feeds) as Tensor[]).map((v) => bits(v.data));
          for (let i = 0; i < names.length; i++) {
            for (const [path, g] of [
              ['signature', got[i]],
              ['generic', generic[i]],
            ] as const) {
              if (g === undefined || g.join() === want[i].join()) continue;
              mismatches++;
              if (first.length < 3)
                first.push(`${names[i]} n=${n} fuse=${fuse} ${path}: ${g.slice(0, 8).join(' ')} vs reference ${want[i].slice(0, 8).join(' ')}`);
            }
          }
        }
      }
      t.equal(mismatches, 0, `n=${n}: wasm equals the reference${first.length ? ` (${first.join('; ')})` : ''}`);
    }
  });
}

t.test('IEEE maximum/minimum on the reference: ties of ±0 in both orders, NaN either side', async (t) => {
  const res = buildProgram(source('f32', 2, [0, 0]), 'signed-zero.tfg');
  if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  const ref = new ReferenceSession(res.defaultGraph);
  const z = [
    [0, 0],
    [0, 0],
  ];
  const [mxy, myx, nxy, nyx] = ref.run(['mxy:0', 'myx:0', 'nxy:0', 'nyx:0'], { 'x:0': [0, NaN], 'y:0': [-0, 1], 'z:0': z }) as Tensor[];
  t.same(bits(mxy.data), ['0', 'NaN'], 'maximum(+0, -0) = +0; maximum(NaN, 1) = NaN');
  t.same(bits(myx.data), ['0', 'NaN'], 'maximum(-0, +0) = +0; maximum(1, NaN) = NaN');
  t.same(bits(nxy.data), ['-0', 'NaN'], 'minimum(+0, -0) = -0');
  t.same(bits(nyx.data), ['-0', 'NaN'], 'minimum(-0, +0) = -0');
  const [rmax, rmin] = ref.run(['rmax:0', 'rmin:0'], { 'x:0': [-0, 0], 'y:0': [0, 0], 'z:0': z }) as Tensor[];
  t.same([bits(rmax.data), bits(rmin.data)], [['0'], ['-0']], 'reduce_max([-0, +0]) = +0, reduce_min = -0');
});
