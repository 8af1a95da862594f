/**
 * @fileoverview session/io/libm.ts: engine-independent sin, cos and log (fdlibm's algorithms),
 * which make the `moons()` rows the same bits in Node and in a browser.
 *
 * - within 1 ulp of the correctly rounded value (computed with mpmath at 200 bits) at fixed
 *   arguments, special cases as IEEE 754 says;
 * - within 1 ulp of this engine's `Math.*` over a sweep (engines are faithful, not identical);
 * - the moons rows of the default recipe (`moons()`: 1000 rows, noise 0.1, seed 42) have fixed
 *   bits, whatever engine draws them.
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import { cos, log, sin } from '../../session/io/libm.js';
import { makeMoons } from '../../session/io/moons.js';
import { mulberry32 } from '../../session/random.js';

/** Distance in ulps between two finite doubles of the same sign. */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const buf = new Float64Array([a, b]);
  const w = new BigInt64Array(buf.buffer);
  const key = (x: bigint): bigint => (x < 0n ? -(x & 0x7fffffffffffffffn) : x);
  const d = key(w[0]) - key(w[1]);
  return Number(d < 0n ? -d : d);
}

// [x, the correctly rounded f(x)] from mpmath (prec 200).
const SIN: [number, number][] = [
  [0.5, 0.479425538604203],
  [1.0, 0.8414709848078965],
  [2.0, 0.9092974268256817],
  [3.0, 0.1411200080598672],
  [3.141592653589793, 1.2246467991473532e-16],
  [1.5707963267948966, 1.0],
  [0.7853981633974483, 0.7071067811865475],
  [4.71238898038469, -1.0],
  [6.283185307179586, -2.4492935982947064e-16],
  [1e-9, 1e-9],
  [0.3, 0.29552020666133955],
  [0.78125, 0.7041675114545337],
  [100.0, -0.5063656411097588],
  [12345.678, -0.7040813137533816],
  [0.8442354444173306, 0.7474634341555553],
  [5.324583204732311, -0.8183890459789518],
  [4.798937463950548, -0.9962570173162119],
  [1.602645954842546, 0.9994928434703693],
  [3.112910459877322, 0.02867826121927997],
  [2.8242356539891067, 0.31205663525394123],
  [4.094079392473133, -0.8148594822282192],
  [4.955694971284102, -0.970546825412592],
  [0.5897371765578201, 0.5561426130101277],
  [0.17811244797868833, 0.1771721994496844],
  [5.251267021202746, -0.8582849810008765],
  [2.7191556824922216, 0.4099844114051139],
];
const COS: [number, number][] = [
  [0.5, 0.8775825618903728],
  [1.0, 0.5403023058681398],
  [2.0, -0.4161468365471424],
  [3.0, -0.9899924966004454],
  [3.141592653589793, -1.0],
  [1.5707963267948966, 6.123233995736766e-17],
  [0.7853981633974483, 0.7071067811865476],
  [4.71238898038469, -1.8369701987210297e-16],
  [6.283185307179586, 1.0],
  [1e-9, 1.0],
  [0.3, 0.955336489125606],
  [0.78125, 0.7100338835660797],
  [100.0, 0.8623188722876839],
  [12345.678, 0.7101193587160628],
  [0.8442354444173306, 0.6643029539301958],
  [5.324583204732311, 0.5746645712253898],
  [4.798937463950548, 0.08644047343811254],
  [1.602645954842546, -0.03184424361664005],
  [3.112910459877322, -0.9995886940804396],
  [2.8242356539891067, -0.9500635012429373],
  [4.094079392473133, -0.579658541059095],
  [4.955694971284102, 0.2409125560894237],
  [0.5897371765578201, 0.8310868751185205],
  [0.17811244797868833, 0.9841798675761262],
  [5.251267021202746, 0.513173354129309],
  [2.7191556824922216, -0.9120925295192381],
];
const LOG: [number, number][] = [
  [1e-300, -690.7755278982137],
  [7.41691286169067e-309, -709.4950308209322],
  [0.1, -2.3025850929940455],
  [0.5, -0.6931471805599453],
  [0.999999, -1.000000500029089e-6],
  [1.0000001, 9.999999505838704e-8],
  [2.0, 0.6931471805599453],
  [10.0, 2.302585092994046],
  [1e300, 690.7755278982137],
  [2.3283064365386963e-10, -22.18070977791825],
  [0.9999999997671694, -2.328306436809747e-10],
  [0.762280082457942, -0.2714412285491939],
  [0.0021060533511106927, -6.1629395326801655],
  [0.4453871940548014, -0.8088112761330448],
  [0.7215400323407826, -0.326367417427631],
  [0.22876222127045265, -1.4750721499347226],
  [0.9452706955539223, -0.05628394218584369],
  [0.9014274576114836, -0.10377570811620607],
  [0.030589983033553536, -3.4870826754597686],
  [0.0254458609934608, -3.6712021820816743],
  [0.5414124727934966, -0.6135738640298187],
  [0.9391491627785106, -0.06278095959037826],
  [0.38120423768821243, -0.9644199905581812],
];

t.test('within 1 ulp of the correctly rounded value', async (t) => {
  for (const [name, f, table] of [
    ['sin', sin, SIN],
    ['cos', cos, COS],
    ['log', log, LOG],
  ] as const) {
    const bad = table.filter(([x, want]) => ulps(f(x), want) > 1);
    t.same(bad, [], `${name}: ${table.length} arguments`);
    if (name !== 'log')
      t.ok(
        table.every(([x, want]) => ulps(f(-x), name === 'sin' ? -want : want) <= 1),
        `${name}(-x)`,
      );
  }
  t.equal(log(1), 0);
  t.equal(log(0), -Infinity);
  t.equal(log(-0), -Infinity);
  t.ok(Number.isNaN(log(-1)) && Number.isNaN(log(NaN)));
  t.equal(log(Infinity), Infinity);
  t.equal(log(5e-324), -744.4400719213812, 'the smallest subnormal');
  t.ok(Number.isNaN(sin(Infinity)) && Number.isNaN(cos(-Infinity)) && Number.isNaN(sin(NaN)));
  t.ok(Object.is(sin(-0), -0) && cos(0) === 1);
  t.throws(() => sin(1e7), RangeError, 'beyond 2^19·π/2: no silent wrong value');
});

t.test("within 1 ulp of this engine's Math over a sweep", async (t) => {
  const r = mulberry32(11);
  let worst = { sin: 0, cos: 0, log: 0 };
  for (let i = 0; i < 20000; i++) {
    const x = r() * 2 * Math.PI * (i % 4 === 0 ? 1000 : 1);
    const u = 1 - r();
    worst = {
      sin: Math.max(worst.sin, ulps(sin(x), Math.sin(x))),
      cos: Math.max(worst.cos, ulps(cos(x), Math.cos(x))),
      log: Math.max(worst.log, ulps(log(u), Math.log(u))),
    };
  }
  t.ok(worst.sin <= 1 && worst.cos <= 1 && worst.log <= 1, `worst distance in ulps: ${JSON.stringify(worst)}`);
});

t.test('the moons rows have fixed bits', async (t) => {
  const { X, y } = makeMoons(1000, 0.1, 42, true);
  const bits = createHash('sha256')
    .update(new Uint8Array(new Float64Array(X.flat()).buffer))
    .digest('hex');
  // The rows Node 20 (V8 11.3, whose Math.sin/cos/log are fdlibm's) drew before libm.ts existed: unchanged.
  t.equal(bits, '24dd2b7e3aab8401f8ae899eb33e8e492506999e865edc75734e00018d620aba');
  t.same(
    [X[0], X[999]],
    [
      [-0.6479331139891487, 0.9179037943511406],
      [0.20661383151928203, -0.050922490335364105],
    ],
  );
  t.equal(
    y.reduce((a, b) => a + b, 0),
    500,
  );
});
