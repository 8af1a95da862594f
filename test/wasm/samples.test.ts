/**
 * @fileoverview Every sample on the wasm backend: each `samples/*.tfg` (every graph of it)
 * compiles to a valid module (what `tfg compile` writes), with its signatures plus, for a
 * `train { }` recipe, the trainer's signatures (`tfg_train_step`, `tfg_eval_step`, ...). Then a
 * wasm Session and a ReferenceSession with the same seed run the initializer, every signature
 * (three times when it writes variables: a few training steps) with seeded random feeds, and
 * must agree within the tolerance of helpers.ts — outputs after every run and every variable at
 * the end. The values the sample tests of test/samples/ assert are asserted on wasm too: f = 42,
 * lifecycle 10/15, placeholders, assign_feed, and the normal equation (f64 intercept and MSE to
 * 1e-6 of the least-squares check values; the f32 intercept within 0.05 of the f64 one, which
 * needs the runtime matmul's f64 combination of f32 K blocks for XᵀX over 20,640 rows).
 */
import { readdirSync } from 'node:fs';
import t, { type Test } from 'tap';
import { compileGraph } from '../../compiler/driver.js';
import type { BuildResult, Signature } from '../../compiler/frontend/index.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { type Graph, Node, Operation } from '../../compiler/ir/graph.js';
import { recipeSignatures } from '../../compiler/frontend/recipe.js';
import { checkRecipe } from '../../compiler/frontend/recipe.js';
import { type WasmSession } from '../../session/wasm/model.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { Tensor } from '../../session/tensor.js';
import type { FetchStructure } from '../../session/wasm/manifest.js';
import { repoPath } from '../helpers.js';
import { buildSample } from '../samples/helpers.js';
import { compareTensors, rng } from './helpers.js';

const SAMPLES = readdirSync(repoPath('samples'))
  .filter((f) => f.endsWith('.tfg'))
  .sort();
const BATCH = 5;

/** Seeded feed values for a signature's feeds (unknown dims = BATCH; int32 = class indices 0/1). */
function feedsFor(sig: Signature, seed: number): Record<string, Tensor> {
  const r = rng(seed);
  const out: Record<string, Tensor> = {};
  for (const n of sig.feeds) {
    const shape = (n.shape ?? [null]).map((d) => d ?? BATCH);
    const v = Tensor.zeros(n.dtype!, shape);
    for (let i = 0; i < v.size; i++) v.data[i] = n.dtype === 'i32' ? Math.floor(r() * 2) : n.dtype === 'bool' ? (r() < 0.5 ? 1 : 0) : r() * 2 - 1;
    out[`${n.name}:0`] = v;
  }
  return out;
}

/** Fetch names of a compiled signature, flat. */
function flatFetches(f: FetchStructure, out: string[] = []): string[] {
  if (typeof f === 'string') out.push(f);
  else if (Array.isArray(f)) f.forEach((x) => flatFetches(x, out));
  else if ('op' in f) out.push(f.op);
  else f.dict.forEach(([, v]) => flatFetches(v, out));
  return out;
}

function initName(r: BuildResult, g: Graph): string[] {
  const init = r.lookup('init', g === r.defaultGraph ? undefined : g.name);
  if (init instanceof Operation) return [init.node.name];
  if (init instanceof Node && init.graph === g) return [init.name];
  return [...g.variables.values()].map((v) => v.initializer.name);
}

function compareRun(t: Test, what: string, got: unknown[], want: unknown[]): void {
  want.forEach((w, i) => {
    const msg = compareTensors(got[i] as Tensor | null, w as Tensor | null);
    t.equal(msg, null, `${what}: fetch ${i}${msg ? ` ${msg}` : ''}`);
  });
}

interface Opened {
  s: WasmSession;
  ref: ReferenceSession;
  sigs: Signature[];
  kernels: number[];
}

function open(t: Test, r: BuildResult, g: Graph, file: string): Opened {
  const sigs = r.signatures.filter((s) => s.graph === g);
  for (const recipe of r.trainRecipes.filter((x) => x.graph === g)) {
    const checked = checkRecipe(r, recipe);
    if (!checked.plan) throw new Error(`${file}: recipe does not check: ${checked.diagnostics.map((d) => d.message).join('; ')}`);
    sigs.push(...recipeSignatures(g, checked.plan));
  }
  const c = compileGraph(g, sigs);
  t.ok(WebAssembly.validate(c.wasm as Uint8Array<ArrayBuffer>), `${file} (${g.name}): a valid module`);
  t.same(
    c.manifest.signatures.map((s) => s.name),
    sigs.map((s) => s.name),
    'one entry per signature',
  );
  const s = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>).createSession({ seed: 11 });
  const ref = new ReferenceSession(g, { seed: 11 });
  return { s, ref, sigs, kernels: c.kernelCounts };
}

for (const file of SAMPLES) {
  t.test(file, (t) => {
    const r = buildSample(`samples/${file}`);
    for (const g of [r.defaultGraph, ...r.graphs.values()]) {
      if (g.nodes.length === 0) continue;
      const { s, ref, sigs } = open(t, r, g, file);
      for (const init of initName(r, g)) {
        ref.run(init);
        s.run(init);
      }
      sigs.forEach((sig, si) => {
        const names = flatFetches(s.manifest.signatures[si].fetches);
        const writes = s.manifest.plans[s.manifest.signatures[si].plan].varWrites.length > 0;
        for (let step = 0; step < (writes ? 3 : 1); step++) {
          const feeds = feedsFor(sig, 1000 * si + step);
          const calls = s.stats.signatureCalls;
          const got = s.run(names, feeds) as unknown[];
          const want = ref.run(names, feeds) as unknown[];
          t.equal(s.stats.signatureCalls, calls + 1, `${sig.name}: one entry call`);
          compareRun(t, `${file} ${sig.name} run ${step}`, got, want);
        }
      });
      for (const v of s.variableNames()) {
        if (!s.isInitialized(v)) continue;
        t.equal(compareTensors(s.readVariable(v), ref.run(`${v}:0`) as Tensor), null, `${file}: variable ${v} agrees`);
      }
    }
    t.end();
  });
}

/** The sample's default graph on wasm, initialized. */
function wasmOf(file: string): { r: BuildResult; s: WasmSession } {
  const r = buildSample(`samples/${file}`);
  const c = compileGraph(
    r.defaultGraph,
    r.signatures.filter((x) => x.graph === r.defaultGraph),
  );
  const s = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>).createSession({ seed: 3 });
  return { r, s };
}

t.test('the values the chapter 9 sample tests assert, on wasm', (t) => {
  {
    const { r, s } = wasmOf('f.tfg');
    t.equal(s.run('init'), null, 'fetching an operation gives None');
    t.equal((s.run(`${(r.lookup('f') as Node).name}:0`) as Tensor).data[0], 42, 'f = 42');
    t.equal(s.stats.signatureCalls, 1, 'through the compute signature');
  }
  {
    const { r, s } = wasmOf('lifecycle.tfg');
    const [y, z] = s.run([`${(r.lookup('y') as Node).name}:0`, `${(r.lookup('z') as Node).name}:0`]) as Tensor[];
    t.equal(y.data[0], 10);
    t.equal(z.data[0], 15);
  }
  {
    const { r, s } = wasmOf('placeholders.tfg');
    const A = `${(r.lookup('A') as Node).name}:0`;
    const B = `${(r.lookup('B') as Node).name}:0`;
    t.same((s.run(B, { [A]: [[1, 2, 3]] }) as Tensor).toNested(), [[6, 7, 8]]);
    t.same(
      (
        s.run(B, {
          [A]: [
            [4, 5, 6],
            [7, 8, 9],
          ],
        }) as Tensor
      ).toNested(),
      [
        [9, 10, 11],
        [12, 13, 14],
      ],
    );
    t.throws(() => s.run(B), { message: /You must feed a value for placeholder tensor 'Placeholder' with dtype float and shape \[\?,3\]/ });
  }
  {
    const { r, s } = wasmOf('assign_feed.tfg');
    const x = r.lookup('x') as Node;
    s.run(r.defaultGraph.variables.get(x.name)!.initializer.name);
    const v0 = (s.run(`${x.name}:0`) as Tensor).data[0];
    t.ok(v0 >= 0 && v0 < 1, 'initial value in [0, 1)');
    const out = s.run(`${(r.lookup('x_assign') as Node).name}:0`, { [`${(r.lookup('x_new_val') as Node).name}:0`]: 5 }) as Tensor;
    t.equal(out.data[0], 5, 'assign returns the new value');
    t.equal((s.run(`${x.name}:0`) as Tensor).data[0], 5);
  }
  t.end();
});

t.test('normal equation on wasm: f64 check values, f32 intercept within 0.05 (f32 blocks combined in f64)', (t) => {
  const { s } = wasmOf('normal_equation.tfg');
  const calls = s.stats.signatureCalls;
  const out = s.run({ theta64: 'float64/theta:0', mse64: 'float64/mse:0', theta32: 'float32/theta:0', mse32: 'float32/mse:0' }) as Record<string, Tensor>;
  t.equal(s.stats.signatureCalls, calls + 1, 'the solve signature, one call');
  const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);
  t.equal(out.theta32.dtype, 'f32');
  t.same(out.theta64.shape, [9, 1]);
  t.ok(rel(out.theta64.data[0], -36.9419202) < 1e-6, `f64 intercept ${out.theta64.data[0]}`);
  t.ok(rel(out.mse64.data[0], 0.524321) < 1e-6, `f64 mse ${out.mse64.data[0]}`);
  t.ok(Math.abs(out.theta32.data[0] - out.theta64.data[0]) < 0.05, `f32 intercept ${out.theta32.data[0]} within 0.05 of f64 ${out.theta64.data[0]}`);
  t.end();
});
