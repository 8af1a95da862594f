/**
 * @fileoverview compiler/schedule/traffic.ts: bytes moved per kernel of a signature's compiled
 * plan. For a known small graph (y = relu(x·w + b), x f32 [None, 3], w [3, 2], b [2]) at B = 4
 * every kernel's bytes are the sum of its operands' sizes, and those sizes are the ones worked
 * out by hand from the shapes: fused, one matmul kernel with its epilogue; unfused, one kernel
 * per node.
 */
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { signatureTraffic } from '../../compiler/schedule/traffic.js';

const SRC = `x = placeholder(float32, shape=(None, 3), name="x")
w = Variable(ones([3, 2]), name="w")
b = Variable(zeros([2]), name="b")
y = relu(matmul(x, w) + b, name="y")
signature forward(x) -> y
`;

t.test('bytes per kernel = the sum of its operand sizes', async (t) => {
  const r = buildProgram(SRC, 'traffic.tfg');
  t.ok(r.ok, 'builds');
  const sig = r.signatures[0];
  const B = 4;
  const f32 = 4;
  const size = { x: B * 3 * f32, w: 3 * 2 * f32, b: 2 * f32, y: B * 2 * f32 };

  const fused = signatureTraffic(sig, { fuse: true, env: { B } });
  t.equal(fused.kernels.length, 1, 'fused: one kernel (matmul with the bias and relu as its epilogue)');
  const k = fused.kernels[0];
  t.equal(k.kind, 'matmul');
  t.same(
    k.reads.map((o) => [o.name, o.shape, o.bytes]).sort(),
    [
      ['b', [2], size.b],
      ['w', [3, 2], size.w],
      ['x', [B, 3], size.x],
    ].sort(),
    'reads x, w and b',
  );
  t.same(
    k.writes.map((o) => [o.name, o.bytes]),
    [['y', size.y]],
    'writes y',
  );
  t.equal(k.bytes, size.x + size.w + size.b + size.y, `${k.bytes} bytes = x + w + b + y`);
  t.equal(fused.total, k.bytes);

  const unfused = signatureTraffic(sig, { fuse: false, env: { B } });
  t.ok(unfused.kernels.length >= 3, `unfused: ${unfused.kernels.length} kernels (${unfused.kernels.map((k) => `${k.kind} ${k.name}`).join(', ')})`);
  for (const k of unfused.kernels) {
    const sum = [...k.reads, ...k.writes].reduce((a, o) => a + o.bytes, 0);
    t.equal(k.bytes, sum, `${k.name}: ${k.bytes} bytes = its operands`);
    for (const o of [...k.reads, ...k.writes]) t.equal(o.bytes, o.shape.reduce((a, d) => a * d, 1) * f32, `${k.name}: ${o.name} [${o.shape}] f32`);
  }
  const mm = unfused.kernels.find((k) => k.kind === 'matmul')!;
  t.equal(mm.bytes, size.x + size.w + B * 2 * f32, 'the bare matmul reads x and w, writes [B, 2]');
  t.equal(
    unfused.total,
    unfused.kernels.reduce((a, k) => a + k.bytes, 0),
  );
  t.ok(unfused.total > fused.total, `fusion moves fewer bytes (${fused.total} < ${unfused.total})`);

  const at8 = signatureTraffic(sig, { fuse: true, env: { B: 8 } });
  t.equal(at8.total - fused.total, 4 * (3 + 2) * f32, 'the batch-dependent part grows with B');
});
