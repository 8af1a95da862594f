/**
 * @fileoverview Transcendental elementwise ops (exp, sigmoid, tanh) over n f32 values: ours
 * through the public Session.run (1 thread, and N threads where the loop splits) and the compiled
 * entry alone, against tfjs-wasm (`tf.exp`, `tf.sigmoid`, `tf.tanh`, inputs resident, one
 * thread in Node) and onnxruntime-web's wasm EP (Exp, Sigmoid, Tanh, default options), all
 * interleaved in this process. Ours computes each value in f64 with fdlibm's exp / musl's tanh and
 * rounds once (the reference interpreter's bits, the same in every engine); the peers use f32
 * approximations. Inputs: uniform in [−4, 4] (both signs and both sides of every branch of the
 * scalar algorithms, as a layer's pre-activations would be). With fast math (`LoadOptions.fastMath`,
 * `--fast-math`: the relaxed runtime, where this engine has relaxed SIMD) ours computes f32
 * approximations too (runtime-as/assembly/fast-math.ts: at most 2, 4 and 7 ulp), timed at 1 and
 * N threads in the same rounds.
 *
 *   node dist/bench/math.js [--min-ms 2000] [--n 1048576] [--ops exp,sigmoid,tanh] [--threads 2]
 */
import { setFlagsFromString } from 'node:v8';
import '../session/node/threads.js';
import { compileProgram } from '../compiler/driver.js';
import { readRuntimeWasm } from '../runtime-as/node.js';
import { loadModelSync } from '../session/wasm/sync.js';
import { Tensor } from '../session/tensor.js';
import { loadOrt, onnxModel, ortSession } from './onnx.js';
import {
  buildSource,
  compileModel,
  fillUniform,
  fmtMs,
  fmtRatio,
  isMain,
  loadTfjs,
  machineLine,
  markdownTable,
  maxRelDiff,
  parseArgs,
  runMain,
  signatureEntry,
  timeInterleaved,
  useBackend,
} from './common.js';

const USAGE = 'usage: node dist/bench/math.js [--min-ms 2000] [--n 1048576] [--ops exp,sigmoid,tanh] [--threads 2]';

const OPS = { exp: 'Exp', sigmoid: 'Sigmoid', tanh: 'Tanh' } as const;
type Op = keyof typeof OPS;

export async function benchMath(opts: { minMs: number; n: number; ops: Op[]; threads: number }): Promise<string> {
  const { n } = opts;
  // Fast math needs relaxed SIMD, which Node 20 validates only with this flag (set before any
  // module compiles; bench/all's peak probe sets it first too).
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  const relaxed = readRuntimeWasm('relaxed');
  let fastNote = '';
  const x = fillUniform(new Float32Array(n), 5, -4, 4) as Float32Array;
  const ort = await loadOrt(1);
  const { tf } = await loadTfjs();
  await useBackend(tf, 'wasm');
  const tx = tf.tensor1d(x);
  const rows: string[][] = [];
  for (const op of opts.ops) {
    const src = `x = placeholder(f32, shape=[${n}], name="x")\ny = ${op}(x, name="y")\nsignature f(x) -> y\n`;
    const built = buildSource(src, `${op}.tfg`);
    const s1 = compileModel(built, true).model.createSession();
    const sN = opts.threads > 1 ? compileModel(built, true, opts.threads).model.createSession() : null;
    if (sN && sN.threads !== opts.threads) throw new Error(`${opts.threads} threads not available: ${sN.threadNote ?? ''}`);
    const wasm = compileProgram(built, { fuse: true }).wasm as Uint8Array<ArrayBuffer>;
    const fastModel = (threads: number) => loadModelSync(wasm, { threads, fastMath: true, relaxedRuntime: relaxed });
    const f1 = fastModel(1);
    if (!f1.loadedAs.fastMath) fastNote = f1.loadedAs.fastMathNote ?? 'fast math off';
    const sF1 = f1.loadedAs.fastMath ? f1.createSession() : null;
    const sFN = sF1 && opts.threads > 1 ? fastModel(opts.threads).createSession() : null;
    const feeds = { 'x:0': new Tensor('f32', [n], x) };
    const out: Record<string, Float32Array> = {};
    const run1 = (): void => void (out.ours = (s1.run('y:0', feeds) as Tensor).data as Float32Array);
    const runN = (): void => void (out.oursN = (sN!.run('y:0', feeds) as Tensor).data as Float32Array);
    run1();
    if (sN) runN();
    const runF1 = (): void => void (out.fast = (sF1!.run('y:0', feeds) as Tensor).data as Float32Array);
    const runFN = (): void => void (out.fastN = (sFN!.run('y:0', feeds) as Tensor).data as Float32Array);
    const entry = signatureEntry(s1, 'f');
    const osess = await ortSession(
      ort,
      onnxModel({
        inputs: [{ name: 'x', dims: [n] }],
        outputs: [{ name: 'y', dims: [n] }],
        initializers: [],
        nodes: [{ op: OPS[op], inputs: ['x'], outputs: ['y'] }],
      }),
    );
    const ofeeds = { x: new ort.Tensor('float32', x, [n]) };
    const runOrt = async (): Promise<void> => void (out.ort = (await osess.run(ofeeds)).y!.data as Float32Array);
    const tfop = { exp: tf.exp, sigmoid: tf.sigmoid, tanh: tf.tanh }[op];
    const runTf = (): void => {
      const y = tfop(tx);
      out.tfjs = y.dataSync() as Float32Array;
      y.dispose();
    };
    const fns: Array<() => unknown> = [() => entry(1), run1, runOrt, runTf, sN ? runN : null, sF1 ? runF1 : null, sFN ? runFN : null].filter((f) => f !== null);
    const ts = await timeInterleaved(fns, { minMs: opts.minMs, minRuns: 5 });
    // Everybody computed the same function (the f32 approximations within 1e-5 relative); our
    // thread counts give the same bits, exact or fast.
    for (const k of Object.keys(out)) {
      const d = maxRelDiff(Array.from(out[k]!.subarray(0, 4096)), Array.from(out.ours!.subarray(0, 4096)));
      if (d > (k === 'oursN' ? 0 : 1e-5)) throw new Error(`${op}: contender '${k}' differs from ours by ${d} (relative)`);
    }
    if (out.fastN && out.fast!.some((v, i) => !Object.is(v, out.fastN![i]))) throw new Error(`${op}: fast math differs between 1 and ${opts.threads} threads`);
    s1.close();
    sN?.close();
    sF1?.close();
    sFN?.close();
    await osess.release();
    const med = ts.map((x) => x.median);
    const [e, r1, o, t] = med;
    const rest = med.slice(4);
    const rN = sN ? rest.shift() : undefined;
    const fF1 = sF1 ? rest.shift() : undefined;
    const fFN = sFN ? rest.shift() : undefined;
    const opt = (v: number | undefined, f: (v: number) => string): string => (v !== undefined ? f(v) : '—');
    rows.push([
      op,
      fmtMs(e!),
      fmtMs(r1!),
      rN !== undefined ? fmtMs(rN) : '—',
      fmtMs(o!),
      fmtMs(t!),
      fmtRatio(o! / r1!),
      fmtRatio(t! / r1!),
      opt(rN, (v) => fmtRatio(o! / v)),
      opt(fF1, fmtMs),
      opt(fFN, fmtMs),
      opt(fF1, (v) => fmtRatio(o! / v)),
      opt(fF1, (v) => fmtRatio(t! / v)),
      opt(fFN, (v) => fmtRatio(o! / v)),
    ]);
  }
  tx.dispose();
  const header = [
    'op',
    'ours entry (1T)',
    'ours Session.run 1T',
    `ours Session.run ${opts.threads}T`,
    'ORT-web wasm 1T',
    'tfjs-wasm',
    'ORT / ours 1T',
    'tfjs / ours 1T',
    `ORT / ours ${opts.threads}T`,
    'ours fast math 1T',
    `ours fast math ${opts.threads}T`,
    'ORT / fast 1T',
    'tfjs / fast 1T',
    `ORT / fast ${opts.threads}T`,
  ];
  return [
    `#### Transcendentals over ${n.toLocaleString('en-US')} f32 values in [−4, 4], median of interleaved rounds`,
    '',
    machineLine(),
    '',
    markdownTable(header, rows),
    '',
    'Ratios above 1: ours is faster. Ours: f64 fdlibm exp / musl tanh rounded once (bit-exact with the reference interpreter, the same bits in every engine); ours with fast math (`fastMath`, the relaxed runtime) and the peers: f32 approximations.',
    ...(fastNote ? ['', `Fast math was off: ${fastNote}.`] : []),
  ].join('\n');
}

if (isMain(import.meta.url)) {
  runMain('bench/math', async () => {
    const o = parseArgs(process.argv.slice(2), { minMs: 2000, n: 1048576, ops: 'exp,sigmoid,tanh', threads: 2 }, USAGE);
    const ops = String(o.ops).split(',') as Op[];
    for (const op of ops) if (!(op in OPS)) throw new Error(`unknown op '${op}' (have: ${Object.keys(OPS).join(', ')})`);
    console.log(await benchMath({ minMs: o.minMs, n: o.n, ops, threads: o.threads }));
  });
}
