/**
 * @fileoverview Transcendental elementwise ops (exp, sigmoid, tanh) over n f32 values: ours
 * through the public Session.run (1 thread, and N threads where the loop splits) and the compiled
 * entry alone, against tfjs-wasm (`tf.exp`, `tf.sigmoid`, `tf.tanh`, inputs resident, one
 * thread in Node) and onnxruntime-web's wasm EP (Exp, Sigmoid, Tanh, default options), all
 * interleaved in this process. Ours computes each value in f64 with fdlibm's exp / musl's tanh and
 * rounds once (the reference interpreter's bits, the same in every engine); the peers use f32
 * approximations. Inputs: uniform in [−4, 4] (both signs and both sides of every branch of the
 * scalar algorithms, as a layer's pre-activations would be).
 *
 *   node dist/bench/math.js [--min-ms 2000] [--n 1048576] [--ops exp,sigmoid,tanh] [--threads 2]
 */
import '../session/node/threads.js';
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
    const feeds = { 'x:0': new Tensor('f32', [n], x) };
    const out: Record<string, Float32Array> = {};
    const run1 = (): void => void (out.ours = (s1.run('y:0', feeds) as Tensor).data as Float32Array);
    const runN = (): void => void (out.oursN = (sN!.run('y:0', feeds) as Tensor).data as Float32Array);
    run1();
    if (sN) runN();
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
    const fns: Array<() => unknown> = [() => entry(1), run1, runOrt, runTf, ...(sN ? [runN] : [])];
    const ts = await timeInterleaved(fns, { minMs: opts.minMs, minRuns: 5 });
    // Everybody computed the same function (the peers' f32 approximations within 1e-5 relative).
    for (const k of Object.keys(out)) {
      const d = maxRelDiff(Array.from(out[k]!.subarray(0, 4096)), Array.from(out.ours!.subarray(0, 4096)));
      if (d > (k === 'oursN' ? 0 : 1e-5)) throw new Error(`${op}: contender '${k}' differs from ours by ${d} (relative)`);
    }
    s1.close();
    sN?.close();
    await osess.release();
    const [e, r1, o, t, rN] = ts.map((x) => x.median);
    rows.push([
      op,
      fmtMs(e!),
      fmtMs(r1!),
      rN !== undefined ? fmtMs(rN) : '—',
      fmtMs(o!),
      fmtMs(t!),
      fmtRatio(o! / r1!),
      fmtRatio(t! / r1!),
      rN !== undefined ? fmtRatio(o! / rN) : '—',
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
  ];
  return [
    `#### Transcendentals over ${n.toLocaleString('en-US')} f32 values in [−4, 4], median of interleaved rounds`,
    '',
    machineLine(),
    '',
    markdownTable(header, rows),
    '',
    'Ratios above 1: ours is faster. Ours: f64 fdlibm exp / musl tanh rounded once (bit-exact with the reference interpreter, the same bits in every engine); the peers: f32 approximations.',
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
