/**
 * @fileoverview NaN cast to bool is True everywhere (numpy's `bool(float('nan'))`, TF's Cast,
 * C++'s `static_cast<bool>(NAN)`): the shared `castScalar` (session/dtype.ts), the reference
 * kernel, constant folding, the wasm kernels of the fast and generic paths, and the feed
 * conversion of both Sessions (a NaN fed to a bool placeholder). There used to be two copies of
 * castScalar, and the feed one said False.
 */
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { castScalar } from '../../session/dtype.js';
import { convertFeedValue } from '../../session/run-common.js';
import { Tensor } from '../../session/tensor.js';
import { loadModelSync } from '../../session/wasm/sync.js';

const SRC = `x = placeholder(f32, shape=[3], name="x")
c = cast(x, bool, name="c")
k = cast(constant([float("nan"), 0.0, -0.0, 2.0]), bool, name="k")
d = cast(cast(x, f64) * 1.0, bool, name="d")
b = placeholder(bool, shape=[3], name="b")
nb = logical_not(b, name="nb")
signature s(x) -> [c, d, k]
signature sb(b) -> [nb]
`;

const X = [NaN, 0, -1.5];
const WANT_X = [1, 0, 1];

t.test('castScalar: NaN is True, zeros are False', async (t) => {
  t.equal(castScalar(NaN, 'bool'), 1);
  t.equal(castScalar(0, 'bool'), 0);
  t.equal(castScalar(-0, 'bool'), 0);
  t.equal(castScalar(-Infinity, 'bool'), 1);
  t.same([...convertFeedValue(NaN, 'bool').data], [1], 'a NaN number fed to bool');
  t.same([...convertFeedValue(new Tensor('f32', [3], new Float32Array(X)), 'bool').data], WANT_X, 'a float tensor fed to bool');
});

t.test('cast(NaN, bool) on the reference and wasm, fed and folded', async (t) => {
  const res = buildProgram(SRC, 'nan.tfg');
  if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  const ref = new ReferenceSession(res.defaultGraph);
  const want = { c: WANT_X, d: WANT_X, k: [1, 0, 0, 1] };
  const [rc, rd, rk] = ref.run(['c:0', 'd:0', 'k:0'], { 'x:0': X }) as Tensor[];
  t.same({ c: [...rc.data], d: [...rd.data], k: [...rk.data] }, want, 'reference');
  for (const fuse of [true, false]) {
    const model = loadModelSync(compileProgram(res, { fuse }).wasm as Uint8Array<ArrayBuffer>);
    const s = model.createSession();
    const [c, d, k] = s.run(['c:0', 'd:0', 'k:0'], { 'x:0': X }) as Tensor[];
    t.same({ c: [...c.data], d: [...d.data], k: [...k.data] }, want, `wasm signature, fuse=${fuse}`);
    // the generic path: a fetch list no signature has
    const [g] = s.run(['c:0'], { 'x:0': new Tensor('f32', [3], new Float32Array(X)) }) as Tensor[];
    t.same([...g.data], WANT_X, `wasm generic path, fuse=${fuse}`);
    // NaN fed to a bool placeholder: the feed conversion
    const [nb] = s.run(['nb:0'], { 'b:0': [NaN, 0, 1] }) as Tensor[];
    t.same([...nb.data], [0, 1, 0], `wasm feed NaN to bool, fuse=${fuse}`);
  }
  const [rnb] = ref.run(['nb:0'], { 'b:0': [NaN, 0, 1] }) as Tensor[];
  t.same([...rnb.data], [0, 1, 0], 'reference feed NaN to bool');
});
