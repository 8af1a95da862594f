/**
 * @fileoverview Kernel A/B timing (not a test): the runtime's matmul called directly from
 * one or more built runtime files (e.g. the current `runtime-as/build/runtime.wasm` against a
 * copy of an earlier build), interleaved call by call in this process so that machine load hits
 * every build alike; GFLOP/s median and best per shape, and the best as a fraction of the probed
 * wasm SIMD peak. The tool behind the tuning notes of docs/runtime.md.
 *
 *   node dist/bench/kernel-ab.js [--wasm a.wasm,b.wasm] [--shapes 512x512x512,1x300x784t]
 *                                [--kernel matmul_f32] [--min-ms 2000]
 *
 * A shape is MxNxK with optional suffixes `a` (transA) and `b` (transB); `--wasm` defaults to the
 * exact and the fast-math builds.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { probePeak } from './peak.js';
import { fillUniform, isMain, markdownTable, parseArgs, runMain, summarize } from './common.js';

const USAGE = 'usage: node dist/bench/kernel-ab.js [--wasm a.wasm,b.wasm] [--shapes 512x512x512,1x300x784] [--kernel matmul_f32] [--min-ms 2000]';

interface Shape {
  M: number;
  N: number;
  K: number;
  ta: number;
  tb: number;
  label: string;
}

function parseShape(s: string): Shape {
  const m = /^(\d+)x(\d+)x(\d+)([ab]*)$/.exec(s);
  if (!m) throw new Error(`bad shape '${s}' (want MxNxK, optional suffix a/b for transA/transB)`);
  return { M: Number(m[1]), N: Number(m[2]), K: Number(m[3]), ta: m[4]!.includes('a') ? 1 : 0, tb: m[4]!.includes('b') ? 1 : 0, label: s };
}

export async function kernelAb(opts: { wasm: string[]; shapes: Shape[]; kernel: string; minMs: number }): Promise<string> {
  const peak = await probePeak({ minMs: 800 }); // also sets the relaxed-SIMD flag before compiling
  const abi = await import('../runtime-as/abi.js');
  const maxBytes = Math.max(...opts.shapes.map((s) => (s.M * s.K + s.K * s.N + s.M * s.N) * 4 + 64));
  const rts = opts.wasm.map((file) => {
    const memory = abi.createSharedMemory(Math.ceil((abi.RUNTIME_RESERVED_BYTES + maxBytes + (8 << 20)) / 65536));
    const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { memory } });
    const fn = inst.exports[opts.kernel];
    if (typeof fn !== 'function') throw new Error(`${file} exports no ${opts.kernel}`);
    return { file, memory, fn: fn as (...a: number[]) => void };
  });
  const rows: string[][] = [];
  for (const s of opts.shapes) {
    const calls = rts.map(({ memory, fn }) => {
      const a16 = (x: number): number => Math.ceil(x / 16) * 16;
      const pa = abi.RUNTIME_RESERVED_BYTES,
        pb = a16(pa + s.M * s.K * 4),
        pc = a16(pb + s.K * s.N * 4),
        ps = a16(pc + s.M * s.N * 4);
      fillUniform(new Float32Array(memory.buffer, pa, s.M * s.K), 1, -0.5, 0.5);
      fillUniform(new Float32Array(memory.buffer, pb, s.K * s.N), 2, -0.5, 0.5);
      return () => fn(pa, pb, pc, s.M, s.N, s.K, s.ta, s.tb, ps);
    });
    for (let w = 0; w < 2; w++) calls.forEach((c) => c());
    const times: number[][] = calls.map(() => []);
    const start = performance.now();
    while (performance.now() - start < opts.minMs || times[0]!.length < 5) {
      calls.forEach((c, i) => {
        const t0 = performance.now();
        c();
        times[i]!.push(performance.now() - t0);
      });
    }
    const flop = 2 * s.M * s.N * s.K;
    rows.push([
      s.label,
      ...times.map((ts) => {
        const t = summarize(ts);
        const g = (ms: number): number => flop / (ms * 1e6);
        return `${g(t.median).toFixed(1)} (${g(t.best).toFixed(1)}, ${((100 * g(t.best)) / peak.mulAdd).toFixed(0)}%)`;
      }),
    ]);
  }
  return [
    `${opts.kernel}, GFLOP/s median (best, best / probed mul+add peak ${peak.mulAdd.toFixed(1)} GFLOP/s), builds interleaved call by call`,
    '',
    markdownTable(['shape', ...opts.wasm.map((w) => w.split('/').pop()!)], rows),
  ].join('\n');
}

if (isMain(import.meta.url)) {
  runMain('bench/kernel-ab', async () => {
    const { runtimeWasmPath } = await import('../runtime-as/node.js');
    const o = parseArgs(process.argv.slice(2), { wasm: '', shapes: '256x256x256,512x512x512,1024x1024x1024', kernel: 'matmul_f32', minMs: 2000 }, USAGE);
    const wasm = o.wasm ? o.wasm.split(',') : [runtimeWasmPath('simd'), runtimeWasmPath('relaxed')];
    console.log(await kernelAb({ wasm, shapes: o.shapes.split(',').map(parseShape), kernel: o.kernel, minMs: o.minMs }));
  });
}
