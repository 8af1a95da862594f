/**
 * @fileoverview Large graphs compile, and nothing overflows (issue 12 §2): each case at the
 * smallest size that broke before, run on the wasm backend and compared bit for bit with the
 * reference Session, plus one large case (16 MB of constants). docs/limits.md has the sizes
 * measured beyond these (100,000 nodes, 200 MB of constants).
 *
 * - custom sections are appended to binaryen's bytes (compiler/emit/sections.ts): a 6,000-node
 *   manifest and a 16 MB constant region overflowed binaryen's stack-bound copy;
 * - add_n sums through a barrier every 256 terms (codegen/expr.ts `sumF64`): binaryen -O3 sank
 *   4,000 terms into one tree and overflowed the stack;
 * - fused chains stop at MAX_INLINE_DEPTH inlined nodes (schedule/fuse.ts rule 9): a fused
 *   chain of 2,000 steps overflowed the kernel builder;
 * - concrete arena placement is a sweep (schedule/memory.ts): 500 values live at once took
 *   over a minute;
 * - range is a loop, not compile-time data; tf_range refuses ints an int32 cannot hold;
 * - a stage that runs out of a JS resource is TFG4006 (the CLI falls back to the reference).
 */
import t from 'tap';
import { WasmModule } from '../../compiler/codegen/module.js';
import { ValueBuilder } from '../../compiler/codegen/expr.js';
import { CompileError } from '../../compiler/diagnostics/diagnostic.js';
import { compileGraph } from '../../compiler/driver.js';
import { appendCustomSections, uleb128 } from '../../compiler/emit/sections.js';
import { buildProgram } from '../../compiler/frontend/index.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { openSession } from '../../compiler/session.js';
import { MAX_INLINE_DEPTH } from '../../compiler/schedule/fuse.js';
import { ResourceExhaustedError } from '../../session/errors.js';
import { Tensor } from '../../session/tensor.js';
import { loadModelSync } from '../../session/wasm/sync.js';

/**
 * These cases test sizes, not stage invariants: TFG_VERIFY's checks after every stage take
 * minutes on a 6,000-node graph (the 6,000-node chain: 121 s with them, 8 s without).
 */
const NO_VERIFY = { verify: false };

function build(text: string, limits: Record<string, number> = {}): ReturnType<typeof buildProgram> {
  const p = buildProgram(text, 'large.tfg', { limits });
  if (!p.ok) throw new Error(p.diagnostics.map((d) => d.message).join('\n'));
  return p;
}

/** Run `fetches` on the default wasm backend (as `tfg run`: unoptimised) and on the reference. */
function both(text: string, fetches: string[], feeds: Record<string, Tensor> = {}, limits: Record<string, number> = {}): { wasm: Tensor[]; ref: Tensor[] } {
  const p = build(text, limits);
  const c = compileGraph(p.defaultGraph, p.signatures, { optimize: false }, NO_VERIFY);
  const w = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>).createSession();
  const r = new ReferenceSession(p.defaultGraph);
  return { wasm: w.run(fetches, feeds) as Tensor[], ref: r.run(fetches, feeds) as Tensor[] };
}

const bits = (x: Tensor): number[] => Array.from(new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength));

t.test('custom sections: LEB128 sizes, read back by WebAssembly.Module.customSections', (t) => {
  t.same(uleb128(0), [0]);
  t.same(uleb128(127), [0x7f]);
  t.same(uleb128(128), [0x80, 0x01]);
  t.same(uleb128(624485), [0xe5, 0x8e, 0x26]);
  t.same(uleb128(0xffffffff), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  const big = new Uint8Array(12 << 20).map((_, i) => (i * 7) & 0xff); // past binaryen's ~5 MiB stack
  const wasm = appendCustomSections(empty, [
    { name: 'a', payload: new Uint8Array([1, 2, 3]) },
    { name: 'tfg.é', payload: new Uint8Array(0) },
    { name: 'big', payload: big },
  ]);
  const mod = new WebAssembly.Module(wasm);
  t.same([...new Uint8Array(WebAssembly.Module.customSections(mod, 'a')[0])], [1, 2, 3]);
  t.equal(WebAssembly.Module.customSections(mod, 'tfg.é')[0].byteLength, 0);
  const got = new Uint8Array(WebAssembly.Module.customSections(mod, 'big')[0]);
  t.equal(got.length, big.length);
  t.ok(got.every((b, i) => b === big[i]));
  t.end();
});

t.test('a 6,000-node chain (a manifest past binaryen stack) compiles and runs', (t) => {
  const { wasm, ref } = both('y = constant(0.0)\nfor i in range(6000) {\n  y = y + 1.0\n}\n', ['add_5999:0']);
  t.equal(wasm[0].data[0], 6000);
  t.same(bits(wasm[0]), bits(ref[0]));
  t.end();
});

t.test('add_n of 4,000 terms: the same bits as the reference (scalar and SIMD lanes, f32 and i32)', (t) => {
  const src = [
    'x = placeholder(float32, shape=[7], name="x")',
    'k = placeholder(int32, shape=[5], name="k")',
    'a = add_n([x * float(1.0 + i * 1e-3) for i in range(4000)], name="a")',
    'b = add_n([k * i for i in range(4000)], name="b")',
    'signature go(x, k) -> [a, b]',
  ].join('\n');
  const p = build(src, { maxSteps: 50_000_000 });
  const c = compileGraph(p.defaultGraph, p.signatures, { optimize: false, generic: false }, NO_VERIFY);
  const x = new Tensor('f32', [7], new Float32Array([1e-7, 3.3, -2.7e5, 1e30, 0.1, -0, 65504.5]));
  const k = new Tensor('i32', [5], new Int32Array([1, -1, 2147483647, 7, -3]));
  const feeds = { 'x:0': x, 'k:0': k };
  const wasm = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>)
    .createSession()
    .run(['a:0', 'b:0'], feeds) as Tensor[];
  const ref = new ReferenceSession(p.defaultGraph).run(['a:0', 'b:0'], feeds) as Tensor[];
  t.same(bits(wasm[0]), bits(ref[0]), 'f32 (summed in f64, rounded once)');
  t.same(bits(wasm[1]), bits(ref[1]), 'i32 (wrapping)');
  t.end();
});

t.test('sumF64 of 4,000 terms survives binaryen -O3 and its binary writer', (t) => {
  const m = new WasmModule({ kind: 'own', initialPages: 1, exportAs: 'memory' });
  for (const [d, lanes] of [
    ['f32', 1],
    ['i32', 4],
  ] as const) {
    const f = m.func(`sum_${d}_${lanes}`, ['i32'], 'none');
    const b = new ValueBuilder(m, f, lanes);
    const p = f.param(0);
    const w = 4;
    const xs = Array.from({ length: 4000 }, (_, i) => b.load(d, () => m.binary('i32.add', f.get(p), m.i32((i % 100) * w * lanes))));
    const s = b.sumF64(xs);
    b.stmts.push(b.store(s, () => f.get(p)));
    f.finish(b.stmts, f.name);
  }
  m.validate();
  m.optimize();
  m.validate();
  const bytes = m.emitBinary();
  m.dispose();
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const mem = new Float32Array((inst.exports.memory as WebAssembly.Memory).buffer);
  for (let i = 0; i < 100; i++) mem[i] = 1 + i / 64;
  (inst.exports.sum_f32_1 as (p: number) => void)(0);
  let want = 0;
  for (let i = 0; i < 4000; i++) want += 1 + (i % 100) / 64;
  t.equal(mem[0], Math.fround(want));
  t.end();
});

t.test('a fused chain of 2,000 steps in a signature: kernels cut at MAX_INLINE_DEPTH, same bits', (t) => {
  const src =
    'x = placeholder(float32, shape=[6], name="x")\ny = x\nfor i in range(1000) {\n  y = y * 1.0001 + 0.5\n}\nz = identity(y, name="z")\nsignature go(x) -> z\n';
  const p = build(src);
  const c = compileGraph(p.defaultGraph, p.signatures, { optimize: false, generic: false }, NO_VERIFY);
  t.ok(c.kernelCounts[0] >= Math.ceil(2000 / (MAX_INLINE_DEPTH + 1)), `${c.kernelCounts[0]} kernels`);
  const model = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>);
  const x = new Tensor('f32', [6], new Float32Array([0, 1, -1, 1e-3, 123.25, -7.5]));
  const got = model.createSession().run('z:0', { 'x:0': x }) as Tensor;
  const want = new ReferenceSession(p.defaultGraph).run('z:0', { 'x:0': x }) as Tensor;
  t.same(bits(got), bits(want));
  t.end();
});

t.test('500 values live at once (concat, stack, add_n of them) plan quickly and agree', (t) => {
  const src = [
    'x = placeholder(float32, shape=[3], name="x")',
    'xs = [x * float(i) + 0.25 for i in range(500)]',
    'c = concat(xs, 0, name="c")',
    's = stack(xs, name="s")',
    'a = add_n(xs, name="a")',
    'signature go(x) -> [c, s, a]',
  ].join('\n');
  const p = build(src);
  const c = compileGraph(p.defaultGraph, p.signatures, { optimize: false, generic: false }, NO_VERIFY);
  const model = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>);
  const x = new Tensor('f32', [3], new Float32Array([1.5, -2, 1e-4]));
  const got = model.createSession().run(['c:0', 's:0', 'a:0'], { 'x:0': x }) as Tensor[];
  const want = new ReferenceSession(p.defaultGraph).run(['c:0', 's:0', 'a:0'], { 'x:0': x }) as Tensor[];
  for (let i = 0; i < 3; i++) t.same(bits(got[i]), bits(want[i]), ['c', 's', 'a'][i]);
  t.end();
});

t.test('range: a loop with the reference bits; no compile-time values; int32 bounds', (t) => {
  const src =
    'a = tf_range(0.5, 100.0, 0.1, name="a")\nb = tf_range(3, 1000, 7, name="b")\nc = tf_range(5, -3, -2, dtype=float64, name="c")\nd = tf_range(2147483000, 2147483647, 3, name="d")\n';
  const { wasm, ref } = both(src, ['a:0', 'b:0', 'c:0', 'd:0']);
  for (let i = 0; i < 4; i++) t.same(bits(wasm[i]), bits(ref[i]), 'abcd'[i]);
  // 300M elements: compiles in no time (nothing is computed at compile time), refused at run time
  const p = build('r = tf_range(0, 300000000, name="r")\n');
  const w = openSession(p, { fallback: false, compile: { optimize: false } });
  t.ok(w.compiled!.wasm.length < 1 << 20, `${w.compiled!.wasm.length} bytes`);
  t.throws(() => w.session.run('r:0'), ResourceExhaustedError);
  const bad = buildProgram('r = tf_range(0, 10**10)\n', 'large.tfg');
  t.notOk(bad.ok);
  t.match(bad.diagnostics[0], { code: 2005, message: /Can't convert Python int 10000000000 to int32/, span: { start: 4 } });
  t.end();
});

t.test('16 MB of constants (a baked variable) compile, load and run', (t) => {
  const N = 4_000_000;
  const p = build(`w = get_variable("w", shape=[${N}], initializer=zeros_initializer())\ns = reduce_max(w, name="s")\nsignature go() -> s\n`);
  const data = new Float32Array(N);
  let v = 1;
  for (let i = 0; i < N; i++) {
    v = (Math.imul(v, 1103515245) + 12345) >>> 0;
    data[i] = (v >>> 8) / 16777216;
  }
  data[N - 3] = 2.5;
  const c = compileGraph(
    p.defaultGraph,
    p.signatures,
    { optimize: false, generic: false, variables: new Map([['w', new Tensor('f32', [N], data)]]) },
    NO_VERIFY,
  );
  t.ok(c.wasm.length > 4 * N);
  const got = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>)
    .createSession()
    .run('s:0') as Tensor;
  t.equal(got.data[0], 2.5);
  t.end();
});

t.test('a stage out of JS resources is TFG4006, so openSession falls back', async (t) => {
  const { runStages } = await import('../../compiler/driver.js');
  const p = build('y = constant(1.0) + 2.0\n');
  // a graph whose lowering throws a stack overflow: the module's lowering stands in for a huge graph
  const state = { opts: { optimize: false }, graph: p.defaultGraph, signatures: [], lowered: undefined } as Parameters<typeof runStages>[0];
  runStages(state, { until: 'memory' });
  const overflow = (): never => {
    const f = (n: number): number => f(n + 1) + 1;
    f(0);
    throw new Error('unreachable');
  };
  state.layout = new Proxy(state.layout!, { get: (o, k) => (k === 'slots' ? overflow() : (o as unknown as Record<string | symbol, unknown>)[k]) });
  try {
    runStages(state);
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof CompileError);
    t.match((e as CompileError).diagnostics[0], { code: 4006, message: /stage 'lower' ran out of resources \(RangeError: Maximum call stack size exceeded\)/ });
  }
  t.end();
});
