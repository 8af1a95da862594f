import t from 'tap';
import { makeUnit } from '../../compiler/passes/rewrite.js';
import { schedule } from '../../compiler/schedule/schedule.js';
import { ALIGN } from '../../compiler/schedule/memory.js';
import { Poly } from '../../compiler/schedule/sym.js';
import { B } from '../passes/build.js';

t.test('a chain reuses buffers by liveness: the arena peak is the largest adjacent pair', (t) => {
  const b = new B();
  const x = b.ph('x', [4]); // 16 B
  const m = b.op('mul', [x, b.c(1, [64, 4], 'ones')], {}, 'm'); // 1024 B
  const r = b.op('reduce_sum', [m], { axis: [1], keepdims: false }, 'r'); // 256 B
  const q = b.op('neg', [r], {}, 'q'); // 256 B
  const s = b.op('reduce_sum', [q], { axis: null, keepdims: false }, 's'); // 16 B
  const p = schedule(makeUnit(b.g, [s], [x]), { noFuse: true });
  t.same(
    p.kernels.map((k) => k.name),
    ['m', 'r', 'q', 's'],
  );
  const mem = p.memory;
  t.equal(mem.persistentBytes, 1024, 'the constant');
  const sizes = [x, m, r, q, s].map((n) => mem.bufferOf(n)!.size.constValue());
  t.same(sizes, [16, 1024, 256, 256, 16]);
  const adjacent = Math.max(...sizes.slice(1).map((z, i) => z + sizes[i]));
  t.equal(mem.peakBytes() - mem.persistentBytes, adjacent);
  t.equal(mem.bufferOf(q)!.offset.constValue(), mem.bufferOf(m)!.offset.constValue(), 'q reuses m');
  // No two buffers that are live together overlap.
  for (const a of mem.buffers) {
    for (const c of mem.buffers) {
      if (a === c || a.live[1] < c.live[0] || c.live[1] < a.live[0]) continue;
      const [ao, co] = [a.offset.constValue(), c.offset.constValue()];
      t.ok(ao + a.size.constValue() <= co || co + c.size.constValue() <= ao, `${a.node.name} and ${c.node.name} are apart`);
    }
  }
  t.end();
});

t.test('variables and constants are persistent and never reused; everything is 16-byte aligned', (t) => {
  const b = new B();
  const w = b.v('w', [3]);
  const v = b.v('v', [5], 'f64');
  const x = b.ph('x', [null, 3]);
  const h = b.op('exp', [b.op('mul', [x, w])], {}, 'h');
  const h2 = b.op('exp', [h], {}, 'h2');
  const y = b.op(
    'add',
    [b.op('reduce_sum', [h2], { axis: [1], keepdims: false }), b.op('cast', [b.op('reduce_sum', [v], { axis: null, keepdims: false })], { dtype: 'f32' })],
    {},
    'y',
  );
  const p = schedule(makeUnit(b.g, [y], [x]), { noFuse: true });
  const mem = p.memory;
  const bw = mem.bufferOf(w)!;
  const bv = mem.bufferOf(v)!;
  t.equal(bw.region, 'variable');
  t.equal(bv.region, 'variable');
  t.same([bw.bytes.constValue(), bw.size.constValue(), bv.bytes.constValue(), bv.size.constValue()], [12, 16, 40, 48]);
  const pers = mem.persistentBytes;
  for (const buf of mem.buffers) {
    for (const B of [1, 3, 7, 100]) {
      t.equal(buf.offset.eval({ B }) % ALIGN, 0, `${buf.node.name} aligned at B=${B}`);
      t.equal(buf.size.eval({ B }) % ALIGN, 0);
      t.ok(buf.size.eval({ B }) >= buf.bytes.eval({ B }));
    }
    if (buf.region === 'arena') t.ok(buf.offset.le(Poly.const(pers)) === false || buf.offset.equals(pers), `${buf.node.name} is above the variables`);
  }
  t.ok(mem.buffers.filter((x) => x.region === 'arena').every((a) => Poly.const(pers).le(a.offset)));
  t.end();
});

t.test('symbolic sizes: a*B + c bytes, evaluated for several batch sizes', (t) => {
  const b = new B();
  const x = b.ph('x', [null, 784]);
  const W = b.v('W', [784, 10]);
  const logits = b.op('matmul', [x, W], { transpose_a: false, transpose_b: false }, 'logits');
  const flat = b.op('reshape', [x], { shape: [-1] }, 'flat');
  const mean = b.op('reduce_mean', [flat], { axis: null, keepdims: false }, 'mean');
  const p = schedule(makeUnit(b.g, [logits, mean], [x]));
  const mem = p.memory;
  t.same(mem.symbols, ['B']);
  t.equal(mem.bufferOf(x)!.bytes.toString(), '3136*B');
  t.equal(mem.bufferOf(flat), mem.bufferOf(x), 'reshape to [-1] is [784*B] sharing x');
  t.equal(p.fusion.shapes.get(flat)!.map(String).join(), '784*B');
  t.equal(mem.bufferOf(logits)!.bytes.toString(), '40*B');
  t.equal(mem.bufferOf(logits)!.size.toString(), '48*B');
  for (const B of [1, 2, 17, 1000]) {
    const peak = mem.peakBytes({ B });
    const lay = mem.layout({ B });
    const need = mem.persistentBytes + 3136 * B + 48 * B + 16;
    t.equal(peak, need, `peak at B=${B}`);
    const spans = mem.buffers.map((buf) => [lay.get(buf)!, lay.get(buf)! + buf.size.eval({ B })]).sort((a, c) => a[0] - c[0]);
    for (let i = 1; i < spans.length; i++) t.ok(spans[i - 1][1] <= spans[i][0], `disjoint at B=${B}`);
  }
  t.equal(mem.peakBytes({ B: 0 }), mem.peakBytes({ B: 1 }), 'an empty batch uses the layout of B = 1');
  t.throws(() => mem.peakBytes({}), /symbol B/);
  t.end();
});

t.test('Poly arithmetic and the sound ≤ used for placement', (t) => {
  const Bp = Poly.sym('B');
  const p = Bp.scale(12).add(5);
  t.equal(p.toString(), '12*B + 5');
  t.equal(p.alignUp(16).toString(), '16*B + 16');
  t.equal(Bp.mul(Bp).scale(3).toString(), '3*B*B');
  t.equal(p.eval({ B: 10 }), 125);
  t.ok(Poly.const(16).le(Bp.scale(16)));
  t.notOk(Bp.scale(16).le(Poly.const(16 * 64)), 'not true for every B');
  t.ok(Bp.sub(1).le(Bp));
  t.equal(Bp.scale(784).divExact(784)!.toString(), 'B');
  t.equal(Bp.scale(6).divExact(4), null);
  t.end();
});
