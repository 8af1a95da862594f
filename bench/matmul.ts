/**
 * @fileoverview Matmul benchmark (not a test): GFLOP/s of the AssemblyScript runtime's
 * matmul_f32 (runtime-as/build/runtime.wasm) at 128–1024 against @tensorflow/tfjs-backend-wasm
 * (XNNPACK, single-threaded, .wasm files loaded from node_modules, no network) and tfjs `cpu`,
 * all in this process. Each case is warmed up, then timed as the median of several runs.
 *
 *   node dist/bench/matmul.js [--sizes 128,256,512,1024] [--relaxed] [--min-ms 400]
 *
 * `--relaxed` also times runtime-relaxed.wasm (f32x4.relaxed_madd); Node 20 needs V8's
 * --experimental-wasm-relaxed-simd, set here before any module compiles.
 */
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';

interface Options {
  sizes: number[];
  relaxed: boolean;
  minMs: number;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { sizes: [128, 256, 512, 1024], relaxed: false, minMs: 400 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--relaxed') o.relaxed = true;
    else if (a === '--sizes') o.sizes = (argv[++i] ?? '').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
    else if (a === '--min-ms') o.minMs = Number(argv[++i]);
    else {
      process.stderr.write(`bench/matmul: unknown argument ${a}\nusage: node dist/bench/matmul.js [--sizes 128,256,512,1024] [--relaxed] [--min-ms 400]\n`);
      process.exit(2);
    }
  }
  if (o.sizes.length === 0 || !(o.minMs > 0)) {
    process.stderr.write('bench/matmul: --sizes needs positive integers and --min-ms a positive number\n');
    process.exit(2);
  }
  return o;
}

interface Timing {
  median: number;
  best: number;
  runs: number;
}

/**
 * Time several contenders interleaved (one run of each per round, so all see the same machine
 * load), after 3 warm-up rounds; at least 5 rounds and at least minMs in total.
 */
function timeInterleaved(fns: ReadonlyArray<() => void>, minMs: number): Timing[] {
  for (let i = 0; i < 3; i++) for (const f of fns) f();
  const times: number[][] = fns.map(() => []);
  const start = performance.now();
  while (times[0]!.length < 5 || (performance.now() - start < minMs && times[0]!.length < 500)) {
    fns.forEach((f, i) => {
      const t0 = performance.now();
      f();
      times[i]!.push(performance.now() - t0);
    });
  }
  return times.map((ts) => {
    ts.sort((a, b) => a - b);
    return { median: ts[Math.floor(ts.length / 2)]!, best: ts[0]!, runs: ts.length };
  });
}

function fillRandom(a: Float32Array, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.relaxed) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

  const abi = await import('../runtime-as/abi.js');
  const { readRuntimeWasm } = await import('../runtime-as/node.js');
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const wasmBackend = await import('@tensorflow/tfjs-backend-wasm');

  const require = createRequire(import.meta.url);
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
  wasmBackend.setWasmPaths(wasmDir);
  wasmBackend.setThreadsCount(1);

  // Our runtime(s), each on its own memory.
  const ours: Array<{ name: string; prepare: (n: number) => () => void }> = [];
  const variants: Array<'simd' | 'relaxed'> = opts.relaxed ? ['simd', 'relaxed'] : ['simd'];
  const maxN = Math.max(...opts.sizes);
  for (const variant of variants) {
    const bytesNeeded = abi.RUNTIME_RESERVED_BYTES + 3 * maxN * maxN * 4 + abi.matmulF32ScratchBytes(maxN, maxN, maxN) + 256;
    const memory = abi.createSharedMemory(Math.ceil(bytesNeeded / 65536));
    const rt = abi.instantiateRuntimeSync(readRuntimeWasm(variant), memory);
    ours.push({
      name: variant === 'simd' ? 'tfg SIMD' : 'tfg relaxed',
      prepare: (n) => {
        const pa = abi.RUNTIME_RESERVED_BYTES, pb = pa + n * n * 4, pc = pb + n * n * 4, ps = pc + n * n * 4;
        fillRandom(new Float32Array(memory.buffer, pa, n * n), 1);
        fillRandom(new Float32Array(memory.buffer, pb, n * n), 2);
        return () => rt.matmul_f32(pa, pb, pc, n, n, n, 0, 0, ps);
      },
    });
  }

  /** A tfjs matmul on the current backend, result read back (dataSync) like a Session fetch. */
  const tfPrepare = (n: number) => {
    const av = new Float32Array(n * n), bv = new Float32Array(n * n);
    fillRandom(av, 1);
    fillRandom(bv, 2);
    const a = tf.tensor2d(av, [n, n]), b = tf.tensor2d(bv, [n, n]);
    return {
      run: () => {
        const c = tf.matMul(a, b);
        c.dataSync();
        c.dispose();
      },
      dispose: () => { a.dispose(); b.dispose(); },
    };
  };

  const gflops = (n: number, ms: number) => (2 * n * n * n) / (ms * 1e6);
  const rows: string[][] = [];
  const header = ['n', ...ours.map((o) => `${o.name} median (best)`), 'tfjs-wasm 1T median (best)', 'tfjs-cpu median', ...ours.map((o) => `${o.name} / tfjs-wasm (median, best)`)];
  const cell = (n: number, t: Timing) => `${gflops(n, t.median).toFixed(2)} (${gflops(n, t.best).toFixed(2)})`;
  for (const n of opts.sizes) {
    await tf.setBackend('wasm');
    await tf.ready();
    const w = tfPrepare(n);
    const timings = timeInterleaved([...ours.map((o) => o.prepare(n)), w.run], opts.minMs);
    w.dispose();
    const wt = timings[timings.length - 1]!;
    await tf.setBackend('cpu');
    await tf.ready();
    const c = tfPrepare(n);
    const [ct] = timeInterleaved([c.run], Math.min(opts.minMs, 200));
    c.dispose();
    rows.push([
      String(n),
      ...ours.map((_, i) => cell(n, timings[i]!)),
      cell(n, wt),
      gflops(n, ct!.median).toFixed(2),
      ...ours.map((_, i) => `${(wt.median / timings[i]!.median).toFixed(2)}×, ${(wt.best / timings[i]!.best).toFixed(2)}×`),
    ]);
    process.stderr.write(`n=${n}: ${timings[0]!.runs} interleaved runs\n`);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
  console.log(`matmul f32, C = A·B (n×n), GFLOP/s = 2n³ / time (median and best of interleaved runs); Node ${process.version}; tfjs-wasm threads: ${wasmBackend.getThreadsCount()}`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/matmul failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
