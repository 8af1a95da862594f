/**
 * @fileoverview Adam's update fused into one loop per variable (compiler/schedule/fuse.ts rule 7:
 * an assign read only by one loop kernel, element for element, is computed and stored by it).
 *
 * - The fused step is one kernel per variable that reads the gradient, m, v and the variable and
 *   writes m, v and the variable (plus the two β-power updates), and it gives the reference
 *   Session's bits for m, v and the variable after every step: f32 and f64 variables, sizes that
 *   are and are not multiples of 4 (the vector loop's scalar tail), one and several variables,
 *   at 1, 2 and 3 threads with the split threshold at 1 (every loop splits), each thread count
 *   the same bits.
 * - Where the fusion must not happen, it does not, and the results are still the reference's: a
 *   kernel that reads the variable itself besides the assign (it must see the new value), an
 *   assign another node waits for by a control edge, an assign read under a broadcast view, an
 *   assign read by two kernels.
 */
import t from 'tap';
import { compileProgram } from '../../compiler/driver.js';
import { buildProgram, type BuildResult } from '../../compiler/frontend/index.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import '../../session/node/threads.js';
import { Tensor } from '../../session/tensor.js';
import type { WasmSession } from '../../session/wasm/model.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { SPLIT } from '../../session/wasm/threads.js';
import { rng } from './helpers.js';

const THREADS = [1, 2, 3];
SPLIT.minElems = 1;
// Every loop splits, whether or not the workers slept before it (SPLIT.wakeElems).
SPLIT.wakeElems = 0;
SPLIT.wakeMacs = 0;

function build(src: string): BuildResult {
  const r = buildProgram(src, 'adam.tfg');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r;
}

function sameBits(got: Tensor, want: Tensor): string | null {
  if (got.dtype !== want.dtype || got.shape.join() !== want.shape.join()) return `dtype/shape ${got.dtype}[${got.shape}] vs ${want.dtype}[${want.shape}]`;
  for (let i = 0; i < got.data.length; i++) if (!Object.is(got.data[i], want.data[i])) return `element ${i}: ${got.data[i]} vs ${want.data[i]}`;
  return null;
}

/** A gradient with zeros, exact ties, large and tiny values among uniform ones. */
function gradient(dtype: 'f32' | 'f64', shape: number[], seed: number): Tensor {
  const r = rng(seed);
  const x = Tensor.zeros(dtype, shape);
  for (let i = 0; i < x.size; i++) {
    const k = i % 11;
    x.data[i] = k === 0 ? 0 : k === 1 ? 1 : k === 2 ? -1e4 : k === 3 ? 3e-20 : (r() * 2 - 1) * (k === 4 ? 1e3 : 1);
  }
  return x;
}

interface Case {
  what: string;
  src: string;
  /** Placeholders fed with gradients: name → shape. */
  feeds: Record<string, number[]>;
  dtype: 'f32' | 'f64';
  /** Kernels of the `step` signature's plan. */
  kernels: number;
  /** Variables compared after each step (with their Adam slots). */
  vars: string[];
}

const DT = { f32: 'float32', f64: 'float64' } as const;

function adamCase(dtype: 'f32' | 'f64', shapes: number[][]): Case {
  const lines = shapes.map(
    (s, i) => `g${i} = placeholder(${DT[dtype]}, shape=[${s.join(', ')}], name="g${i}")
W${i} = Variable(cast(random_uniform([${s.join(', ')}], -1.0, 1.0, seed=${i + 1}), ${DT[dtype]}), name="W${i}")`,
  );
  const pairs = shapes.map((_, i) => `[g${i}, W${i}]`).join(', ');
  return {
    what: `${dtype} ${shapes.map((s) => `[${s}]`).join(' ')}`,
    src: `${lines.join('\n')}
opt = AdamOptimizer(0.01)
upd = opt.apply_gradients([${pairs}], name="upd")
init = global_variables_initializer()
signature step(${shapes.map((_, i) => `g${i}`).join(', ')}) -> upd
`,
    feeds: Object.fromEntries(shapes.map((s, i) => [`g${i}`, s])),
    dtype,
    // one Adam kernel per variable, then beta1_power and beta2_power
    kernels: shapes.length + 2,
    vars: shapes.flatMap((_, i) => [`W${i}`, `W${i}/Adam`, `W${i}/Adam_1`]),
  };
}

function sessions(wasm: Uint8Array): WasmSession[] {
  return THREADS.map((threads) => loadModelSync(wasm as Uint8Array<ArrayBuffer>, { threads }).createSession({ seed: 3 }));
}

/** Compile, run `steps` steps at every thread count and in the reference; every variable must have the reference's bits. */
function check(t: import('tap').Test, c: Case, steps = 3): void {
  const r = build(c.src);
  const comp = compileProgram(r, { fuse: true });
  const plan = comp.manifest.plans[comp.manifest.signatures[0]!.plan]!;
  t.equal(plan.kernels.length, c.kernels, `${c.what}: ${c.kernels} kernels`);
  const ss = sessions(comp.wasm);
  t.same(
    ss.map((s) => s.threads),
    THREADS,
  );
  const ref = new ReferenceSession(r.defaultGraph, { seed: 3 });
  ref.run('init');
  for (const s of ss) {
    s.run('init');
    for (const v of s.variableNames()) s.writeVariable(v, ref.run(`${v}:0`) as Tensor);
  }
  for (let step = 0; step < steps; step++) {
    const feeds = Object.fromEntries(Object.entries(c.feeds).map(([n, shape], i) => [`${n}:0`, gradient(c.dtype, shape, 100 * step + i)]));
    ref.run(['upd'], feeds);
    for (const s of ss) s.run(['upd'], feeds);
    for (const v of c.vars) {
      const want = ref.run(`${v}:0`) as Tensor;
      ss.forEach((s, k) => {
        const d = sameBits(s.readVariable(v), want);
        if (d !== null) t.fail(`${c.what} step ${step}: ${v} at ${THREADS[k]} threads differs from the reference: ${d}`);
      });
    }
  }
  t.pass(`${c.what}: ${c.vars.join(', ')} have the reference's bits after ${steps} steps at ${THREADS.join(', ')} threads`);
  ss.forEach((s) => s.close());
}

t.test('fused Adam: one kernel per variable, the reference bits, 1/2/3 threads', (t) => {
  for (const dtype of ['f32', 'f64'] as const) {
    for (const shapes of [[[1]], [[7]], [[4, 4]], [[13, 5]], [[33, 31]], [[300, 100]], [[3, 5], [9], [6, 7]]]) check(t, adamCase(dtype, shapes));
  }
  t.end();
});

t.test('the fused kernel reads the gradient, m, v and the variable once and writes m, v and the variable', (t) => {
  const r = build(adamCase('f32', [[13, 5]]).src);
  const c = compileProgram(r, { fuse: true });
  const plan = c.manifest.plans[c.manifest.signatures[0]!.plan]!;
  const k = plan.kernels[0]!;
  t.same(k.outputs, ['upd/update_W0/AssignAdd', 'upd/update_W0/AssignAdd_1', 'upd/update_W0/ApplyAdam']);
  t.same(plan.varWrites.slice(0, 3), ['W0/Adam', 'W0/Adam_1', 'W0']);
  t.end();
});

/** A hand-written update graph around `m1 = assign_add(m, <value>)` with `tail` reading it. */
function custom(what: string, tail: string, kernels: number, vars: string[], value = 'g * 0.5'): Case {
  const gshape = [6, 5];
  return {
    what,
    src: `g = placeholder(float32, shape=[${gshape.join(', ')}], name="g")
m = Variable(cast(random_uniform([6, 5], -1.0, 1.0, seed=1), float32), name="m")
w = Variable(cast(random_uniform([6, 5], -1.0, 1.0, seed=2), float32), name="w")
m1 = assign_add(m, ${value})
${tail}
init = global_variables_initializer()
signature step(g) -> upd
`,
    feeds: { g: gshape },
    dtype: 'f32',
    kernels,
    vars,
  };
}

t.test('where the assign is not fused, and the results are still the reference', (t) => {
  // fused: w reads only the new m (one kernel)
  check(t, custom('fused: w -= m1 * 0.25', 'upd = group(assign_sub(w, m1 * 0.25), name="upd")', 1, ['m', 'w']));
  // the consumer reads the variable m too: it must see the new value, so m1 runs first
  check(t, custom('the consumer also reads m', 'upd = group(assign_sub(w, m1 * 0.25 + m), name="upd")', 2, ['m', 'w']));
  // m1's own value reads m (old value): still fusable
  check(t, custom('the assign reads its variable', 'upd = group(assign_sub(w, m1 * 0.25), name="upd")', 1, ['m', 'w'], '(g - m) * 0.1'));
  // the consumer is another assign to the same variable: its update reads the new value
  check(t, custom('a second assign to the same variable', 'upd = group(assign_add(m, m1 * 0.5), name="upd")', 2, ['m']));
  // a control edge on the assign
  check(
    t,
    custom(
      'a control edge on the assign',
      `with control_dependencies([m1]) { s = reduce_sum(m) }
upd = group(assign_sub(w, m1 * s), name="upd")`,
      3,
      ['m', 'w'],
    ),
  );
  // read under a broadcast view: m1 is [5], w is [6, 5]
  const bc: Case = {
    what: 'an assign read under a broadcast view',
    src: `g = placeholder(float32, shape=[5], name="g")
m = Variable(cast(random_uniform([5], -1.0, 1.0, seed=1), float32), name="m")
w = Variable(cast(random_uniform([6, 5], -1.0, 1.0, seed=2), float32), name="w")
m1 = assign_add(m, g * 0.5)
upd = group(assign_sub(w, zeros([6, 5]) + m1 * 0.25), name="upd")
init = global_variables_initializer()
signature step(g) -> upd
`,
    feeds: { g: [5] },
    dtype: 'f32',
    kernels: 2,
    vars: ['m', 'w'],
  };
  check(t, bc);
  // read by two kernels
  check(
    t,
    custom(
      'an assign read by two kernels',
      `w2 = Variable(zeros([6, 5]), name="w2")
upd = group(assign_sub(w, m1 * 0.25), assign_add(w2, m1), name="upd")`,
      3,
      ['m', 'w', 'w2'],
    ),
  );
  t.end();
});
