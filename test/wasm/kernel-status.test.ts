/**
 * @fileoverview Run-time failures reported by runtime kernels reach the caller wherever the bad
 * row is. The sparse cross-entropy kernel returns r+1 for the first out-of-range label; the
 * generated `fail` used to test that status with a bare `i32.and` against the "no failure yet"
 * flag (1), so a bad label in row 1, 3, 5, ... (status 2, 4, 6: even) was dropped and the run
 * returned zero losses, a silent wrong value on the default backend. This family puts the bad
 * value at every row position (and a batched singular matrix at every batch position), on the
 * signature and generic paths, fused and unfused, and expects the reference's error each time.
 */
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { Tensor } from '../../session/tensor.js';
import { loadModelSync } from '../../session/wasm/sync.js';

const SRC = `labels = placeholder(int32, shape=[None], name="labels")
logits = placeholder(float32, shape=[None, 3], name="logits")
loss = identity(sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits), name="loss")
mean = reduce_mean(loss, name="mean")
m = placeholder(float64, shape=[None, 2, 2], name="m")
inv = matrix_inverse(m, name="inv")
signature xent(labels, logits) -> loss
signature inverse(m) -> inv
`;

const ROWS = 6;

function errorOf(f: () => unknown): string {
  try {
    f();
    return 'no error';
  } catch (e) {
    const err = e as Error;
    return `${err.constructor.name}: ${err.message
      .split('\n')[0]
      .replace(/\s*\[\[.*$/, '')
      .replace(/\s*\[node .*$/, '')}`;
  }
}

t.test('a bad label or a singular matrix at any row fails the run as on the reference', async (t) => {
  const res = buildProgram(SRC, 'status.tfg');
  if (!res.ok) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  const ref = new ReferenceSession(res.defaultGraph);
  const logits = new Tensor(
    'f32',
    [ROWS, 3],
    Float32Array.from({ length: ROWS * 3 }, (_, i) => (i % 5) * 0.25),
  );
  for (const fuse of [true, false]) {
    const s = loadModelSync(compileProgram(res, { fuse }).wasm as Uint8Array<ArrayBuffer>).createSession();
    for (let bad = 0; bad < ROWS; bad++) {
      for (const value of [3, -1, 1000]) {
        const labels = new Tensor(
          'i32',
          [ROWS],
          Int32Array.from({ length: ROWS }, (_, r) => (r === bad ? value : r % 3)),
        );
        const feeds = { 'labels:0': labels, 'logits:0': logits };
        const want = errorOf(() => ref.run(['loss:0'], feeds));
        t.match(want, /^InvalidArgumentError: Received a label value of/, `reference, bad row ${bad}`);
        // the signature (exactly its fetch) and the generic path (a fetch list no signature has)
        t.equal(
          errorOf(() => s.run(['loss:0'], feeds)),
          want,
          `signature, fuse=${fuse}, label ${value} at row ${bad}`,
        );
        t.equal(
          errorOf(() => s.run(['mean:0', 'loss:0'], feeds)),
          errorOf(() => ref.run(['mean:0', 'loss:0'], feeds)),
          `generic, fuse=${fuse}, label ${value} at row ${bad}`,
        );
      }
      // the session is still fine after the failure
      const good = {
        'labels:0': new Tensor(
          'i32',
          [ROWS],
          Int32Array.from({ length: ROWS }, (_, r) => r % 3),
        ),
        'logits:0': logits,
      };
      const [a] = s.run(['loss:0'], good) as Tensor[];
      const [b] = ref.run(['loss:0'], good) as Tensor[];
      t.ok(
        [...a.data].every((x, i) => Math.abs(x - b.data[i]) < 1e-6),
        `good labels after bad row ${bad}, fuse=${fuse}`,
      );
      // a batch of 2x2 matrices, singular at position `bad`
      const m = new Tensor(
        'f64',
        [ROWS, 2, 2],
        Float64Array.from({ length: ROWS * 4 }, (_, i) => (Math.floor(i / 4) === bad ? 1 : i % 4 === 0 || i % 4 === 3 ? 2 : 0.5)),
      );
      const wantInv = errorOf(() => ref.run(['inv:0'], { 'm:0': m }));
      t.match(wantInv, /not invertible/, `reference, singular at ${bad}`);
      t.equal(
        errorOf(() => s.run(['inv:0'], { 'm:0': m })),
        wantInv,
        `inverse signature, fuse=${fuse}, singular at ${bad}`,
      );
    }
  }
});
