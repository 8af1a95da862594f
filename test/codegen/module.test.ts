/**
 * @fileoverview compiler/codegen/module.ts end to end with the AssemblyScript runtime on ONE
 * memory: a binaryen-built function (imports `env.memory` and the runtime's kernels from
 * `tfg_rt`) calls matmul_f32 through the import and adds a bias row with an f32x4 SIMD loop and
 * a scalar tail; compared with plain JS. Also: every RUNTIME_KERNELS signature links against the
 * real runtime, the runtime can ride in a custom section, validation errors carry binaryen's
 * message, and optimize keeps the module valid. optimizeFunctions runs each function's passes
 * by its shape: a loop loses its set-once locals, a straight-line or cold function is untouched.
 */
import t from 'tap';
import { FUNCTION_PASSES, ModuleValidationError, WasmModule, type Expr } from '../../compiler/codegen/module.js';
import {
  RUNTIME_IMPORT_MODULE,
  RUNTIME_KERNELS,
  RUNTIME_RESERVED_BYTES,
  createSharedMemory,
  embeddedRuntime,
  instantiateRuntimeSync,
  matmulF32ScratchBytes,
  modelImports,
} from '../../runtime-as/abi.js';
import { readRuntimeWasm } from '../../runtime-as/node.js';
import { naiveMatmul, randomArray, rng } from '../runtime/harness.js';

/**
 * Module with `dense(x, w, bias, y, M, N, K, scratch)`: y = x·w (runtime matmul) then
 * y[i, :] += bias with f32x4 over N/4 groups and a scalar tail.
 */
function buildDense(embed: Uint8Array | null): WasmModule {
  const m = new WasmModule({ kind: 'import', initialPages: 1 });
  for (const [name, sig] of Object.entries(RUNTIME_KERNELS)) {
    m.importFunction(name, { module: RUNTIME_IMPORT_MODULE, base: name }, sig.params, sig.result);
  }
  const f = m.func('dense', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], 'none');
  const [x, w, bias, y, M, N, K, scratch] = f.params;
  const i = f.local('i32'),
    j = f.local('i32'),
    row = f.local('i32'),
    vb = f.local('v128');
  const g = (l: typeof x) => f.get(l!);
  const addr = (base: Expr, idx: Expr) => m.binary('i32.add', base, m.binary('i32.shl', idx, m.i32(2)));
  const n4 = () => m.binary('i32.and', g(N), m.i32(~3));
  f.finish(
    [
      m.call('matmul_f32', [g(x), g(w), g(y), g(M), g(N), g(K), m.i32(0), m.i32(0), g(scratch)], 'none'),
      m.forRange(i!, m.i32(0), () => g(M), 1, [
        f.set(row, addr(g(y), m.binary('i32.mul', g(i), g(N)))),
        m.forRange(j!, m.i32(0), n4, 4, [
          f.set(vb, m.v128Load(addr(g(bias), g(j)), 0, 4)),
          m.v128Store(addr(g(row), g(j)), m.binary('f32x4.add', m.v128Load(addr(g(row), g(j)), 0, 4), g(vb)), 0, 4),
        ]),
        m.forRange(j!, n4(), () => g(N), 1, [
          m.store('f32', addr(g(row), g(j)), m.binary('f32.add', m.load('f32', addr(g(row), g(j))), m.load('f32', addr(g(bias), g(j))))),
        ]),
      ]),
    ],
    'dense',
  );
  if (embed) m.addCustomSection('tfg.runtime', embed);
  return m;
}

t.test('generated module calls the AS matmul on the shared memory and adds a bias with f32x4', async (t) => {
  const runtimeBytes = readRuntimeWasm();
  const m = buildDense(runtimeBytes);
  m.validate();
  const text = m.emitText();
  t.match(text, /import "env" "memory"/, 'imports env.memory');
  t.match(text, /import "tfg_rt" "matmul_f32"/, 'imports the kernel from tfg_rt');
  t.match(text, /f32x4\.add/, 'uses f32x4.add');
  m.optimize();
  m.validate();
  const bytes = m.emitBinary();
  m.dispose();

  // The loader side: one memory, the runtime taken from the model's custom section.
  const model = new WebAssembly.Module(bytes);
  const embedded = embeddedRuntime(model);
  t.ok(embedded, 'runtime embedded in the tfg.runtime section');
  const memory = createSharedMemory(64);
  const rt = instantiateRuntimeSync(embedded!, memory);
  const inst = new WebAssembly.Instance(model, modelImports(memory, rt));
  const dense = inst.exports['dense'] as (...a: number[]) => void;

  const r = rng(7);
  for (const [M, N, K] of [
    [1, 1, 1],
    [3, 7, 5],
    [9, 17, 33],
    [16, 30, 12],
    [0, 5, 3],
    [4, 4, 0],
  ] as const) {
    let top = RUNTIME_RESERVED_BYTES;
    const alloc = (bytes: number) => {
      const p = top;
      top += Math.ceil(bytes / 16) * 16;
      return p;
    };
    const xs = randomArray(M * K, r).map(Math.fround),
      ws = randomArray(K * N, r).map(Math.fround),
      bs = randomArray(N, r).map(Math.fround);
    const px = alloc(xs.length * 4),
      pw = alloc(ws.length * 4),
      pb = alloc(bs.length * 4),
      py = alloc(M * N * 4),
      ps = alloc(matmulF32ScratchBytes(M, N, K));
    t.ok(top <= memory.buffer.byteLength, 'fits');
    new Float32Array(memory.buffer, px, xs.length).set(xs);
    new Float32Array(memory.buffer, pw, ws.length).set(ws);
    new Float32Array(memory.buffer, pb, bs.length).set(bs);
    dense(px, pw, pb, py, M, N, K, ps);
    const got = new Float32Array(memory.buffer, py, M * N);
    const { c, mag } = naiveMatmul(xs, ws, M, N, K, false, false);
    let bad = -1;
    for (let q = 0; q < M * N; q++) {
      const want = c[q]! + bs[q % N]!;
      const tol = 2 * (K + 1) * 2 ** -24 * (mag[q]! + Math.abs(bs[q % N]!)) + 1e-30;
      if (!(Math.abs(got[q]! - want) <= tol)) {
        bad = q;
        break;
      }
    }
    t.equal(bad, -1, `dense ${M}x${N}x${K} equals JS x·w + bias`);
  }
});

t.test('every RUNTIME_KERNELS signature links against the built runtime', async (t) => {
  const m = new WasmModule({ kind: 'import', initialPages: 1 });
  for (const [name, sig] of Object.entries(RUNTIME_KERNELS)) m.importFunction(name, { module: RUNTIME_IMPORT_MODULE, base: name }, sig.params, sig.result);
  // Reference each import from an exported function so none is dropped.
  const f = m.func('touch', [], 'none');
  f.finish(m.nop(), 'touch');
  m.validate();
  const model = new WebAssembly.Module(m.emitBinary());
  m.dispose();
  t.equal(WebAssembly.Module.imports(model).filter((i) => i.module === RUNTIME_IMPORT_MODULE).length, Object.keys(RUNTIME_KERNELS).length);
  const memory = createSharedMemory(2);
  const rt = instantiateRuntimeSync(readRuntimeWasm(), memory);
  t.ok(rt.heap_base() <= RUNTIME_RESERVED_BYTES, `runtime static data (${rt.heap_base()} bytes) fits in the reserved ${RUNTIME_RESERVED_BYTES}`);
  // A signature mismatch would throw a LinkError here.
  t.doesNotThrow(() => new WebAssembly.Instance(model, modelImports(memory, rt)));
});

t.test("validate() throws with binaryen's message; own memory and i64/f64 helpers", async (t) => {
  const bad = new WasmModule({ kind: 'own', initialPages: 1, exportAs: 'memory' });
  bad.addFunction('f', [], 'i32', [], bad.f32(1));
  let caught: unknown = null;
  try {
    bad.validate();
  } catch (e) {
    caught = e;
  }
  t.ok(caught instanceof ModuleValidationError, 'throws ModuleValidationError');
  t.match((caught as Error).message, /function body type must match/, "with binaryen's validator text");
  bad.dispose();

  const m = new WasmModule({ kind: 'own', initialPages: 1, exportAs: 'memory' });
  const f = m.func('sum_sq', ['i32', 'i32'], 'f64');
  const [p, n] = f.params;
  const i = f.local('i32'),
    acc = f.local('f64');
  f.finish(
    [
      f.set(acc, m.f64(0)),
      m.forRange(i, m.i32(0), f.get(n!), 1, [
        f.set(
          acc,
          m.binary(
            'f64.add',
            f.get(acc),
            m.unary(
              'f64.promote_f32',
              m.binary(
                'f32.mul',
                m.load('f32', m.binary('i32.add', f.get(p!), m.binary('i32.shl', f.get(i), m.i32(2)))),
                m.load('f32', m.binary('i32.add', f.get(p!), m.binary('i32.shl', f.get(i), m.i32(2)))),
              ),
            ),
          ),
        ),
      ]),
      f.get(acc),
    ],
    'sum_sq',
  );
  m.validate();
  m.optimize();
  const inst = new WebAssembly.Instance(new WebAssembly.Module(m.emitBinary()), {});
  m.dispose();
  const mem = inst.exports['memory'] as WebAssembly.Memory;
  new Float32Array(mem.buffer, 0, 4).set([1, 2, 3, 0.5]);
  t.equal((inst.exports['sum_sq'] as (p: number, n: number) => number)(0, 4), 14.25);
  t.equal((inst.exports['sum_sq'] as (p: number, n: number) => number)(0, 0), 0, 'empty loop skipped');
});

t.test('optimizeFunctions: passes by shape (loop, straight-line, cold), same results', (t) => {
  /** `sum(p, n)`: sum of n f32 at p, its address and bound in set-once locals (as codegen writes them). */
  const build = (m: WasmModule, name: string): void => {
    const f = m.func(name, ['i32', 'i32'], 'f32');
    const [p, n] = f.params;
    const base = f.local('i32'),
      count = f.local('i32'),
      end = f.local('i32'),
      i = f.local('i32'),
      acc = f.local('f32');
    f.finish(
      [
        f.set(base, m.binary('i32.add', f.get(p!), m.i32(0))),
        f.set(count, m.binary('i32.mul', f.get(n!), m.i32(1))),
        f.set(end, f.get(count)), // `count` is read once, outside the loop: it sinks into `end` and goes
        f.set(acc, m.f32(0)),
        m.forRange(i, m.i32(0), () => f.get(end), 1, [
          f.set(acc, m.binary('f32.add', f.get(acc), m.load('f32', m.binary('i32.add', f.get(base), m.binary('i32.shl', f.get(i), m.i32(2)))))),
        ]),
        f.get(acc),
      ],
      name,
    );
  };
  const m = new WasmModule({ kind: 'own', initialPages: 1, exportAs: 'memory' });
  build(m, 'hot');
  build(m, 'cold');
  m.markCold('cold');
  const g = m.func('straight', ['i32'], 'i32');
  const tmp = g.local('i32');
  g.finish([g.set(tmp, m.binary('i32.mul', g.get(g.param(0)), m.i32(3))), g.get(tmp)], 'straight');
  m.validate();
  const before = m.emitText();
  m.optimizeFunctions();
  m.validate();
  const text = m.emitText();
  const body = (src: string, name: string): string =>
    src.slice(src.indexOf(`(func $${name} `), src.indexOf('\n (func', src.indexOf(`(func $${name} `) + 1) >>> 0);
  const locals = (src: string): number => (src.match(/\(local \$/g) ?? []).length;
  t.ok(FUNCTION_PASSES.loop.length > 0 && FUNCTION_PASSES.straight.length === 0 && FUNCTION_PASSES.cold.length === 0, 'loops get passes, the rest none');
  t.ok(locals(body(text, 'hot')) < locals(body(before, 'hot')), 'the loop function lost locals');
  t.equal(body(text, 'cold'), body(before, 'cold'), 'the cold function is untouched');
  t.equal(body(text, 'straight'), body(before, 'straight'), 'the straight-line function is untouched');
  const inst = new WebAssembly.Instance(new WebAssembly.Module(m.emitBinary()), {});
  m.dispose();
  new Float32Array((inst.exports['memory'] as WebAssembly.Memory).buffer, 16, 5).set([1, 2.5, -3, 0.25, 8]);
  for (const name of ['hot', 'cold']) t.equal((inst.exports[name] as (p: number, n: number) => number)(16, 5), 8.75, `${name} sums`);
  t.equal((inst.exports['straight'] as (x: number) => number)(7), 21);
  t.end();
});
