/**
 * @fileoverview `--threads N` and `--fast-math` on `tfg run`, `train` and `bench`: the wasm
 * Session's LoadOptions (session/wasm/threads.ts, fast-math.ts). For --fast-math the CLI turns
 * on V8's relaxed SIMD (`--experimental-wasm-relaxed-simd`, needed by Node 20; later modules
 * validate with it) before it compiles anything; an engine without it runs the exact runtime
 * and the command says so. Light: the command table imports it without loading the compiler.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { setFlagsFromString } from 'node:v8';
import type { LoadOptions } from '../session/wasm/model.js';

function parseThreads(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected a thread count from 1 to 64');
  return n;
}

/** Add `--threads <n>` and `--fast-math` to a command. */
export function addPerfOptions(cmd: Command): Command {
  return cmd
    .option('--threads <n>', 'threads of the wasm Session (default: the available cores, at most 4); results are the same bits for any count', parseThreads)
    .option(
      '--fast-math',
      'relaxed SIMD (fused multiply-add where the engine chooses) and f32 approximations of exp, sigmoid and tanh (≤ 7 ulp) in the runtime: faster, not bit-exact',
    );
}

export interface PerfOptions {
  /** --threads */
  threads?: number;
  /** --fast-math */
  fastMath?: boolean;
}

/** The LoadOptions the options ask for (enabling relaxed SIMD in V8 for --fast-math). */
export function loadOptionsFrom(opts: PerfOptions): LoadOptions {
  if (opts.fastMath) setFlagsFromString('--experimental-wasm-relaxed-simd');
  return { ...(opts.threads !== undefined ? { threads: opts.threads } : {}), ...(opts.fastMath ? { fastMath: true } : {}) };
}

/** Notes for stderr: why a session runs on fewer threads than asked, or without fast math. */
export function perfNotes(session: unknown): string[] {
  const s = session as { threadNote?: string; model?: { loadedAs?: { fastMathNote?: string } } };
  const out: string[] = [];
  if (s.threadNote) out.push(`note: ${s.threadNote}`);
  if (s.model?.loadedAs?.fastMathNote) out.push(`note: ${s.model.loadedAs.fastMathNote}`);
  return out;
}
