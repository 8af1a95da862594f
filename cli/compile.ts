/**
 * @fileoverview `tfg compile FILE [-o DIR] [--no-fuse] [--graph G]`: compile a program's graph
 * (its signatures + the generic plan) to `DIR/<name>.wasm` (manifest, constants and runtime
 * embedded) and `DIR/<name>.manifest.json`, validated before writing, and print a summary.
 * `tfg wat FILE [--graph G] [--no-fuse]`: print the module as text (wabt's `readWasm().toText()`).
 */
import type { Command } from 'commander';
import { compileProgram, writeCompiled } from '../compiler/emit/index.js';
import { CliError, type Io, processIo, renderError, reportDiagnostics } from './io.js';
import { loadProgram } from './program.js';

export interface CompileCliOptions {
  output?: string;
  fuse?: boolean;
  graph?: string;
}

export function runCompile(file: string, opts: CompileCliOptions, io: Io = processIo): number {
  try {
    const r = loadProgram(file);
    if (reportDiagnostics(r.diagnostics, io) || !r.ok) return 1;
    const c = compileProgram(r, { graph: opts.graph, fuse: opts.fuse !== false });
    const paths = writeCompiled(c, opts.output ?? '.', file);
    const m = c.manifest;
    io.out(`${paths.wasm}: ${c.wasm.length} bytes, graph '${m.graph}'`);
    m.signatures.forEach((s, i) => io.out(`  export ${s.export}(B): ${c.kernelCounts[i]} kernel${c.kernelCounts[i] === 1 ? '' : 's'}${opts.fuse === false ? ' (unfused)' : ''}`));
    if (m.generic !== null) io.out(`  generic path: ${m.plans[m.generic].kernels.filter((k) => k.export).length} per-node kernels`);
    else io.out(`  generic path unavailable: ${m.genericError ?? '?'}`);
    io.out(`${paths.manifest}: manifest v${m.manifestVersion}, ${m.variables.length} variables, ${m.placeholders.length} placeholders`);
    return 0;
  } catch (e) {
    io.err(renderError(e, [], io.color));
    return 1;
  }
}

export async function runWat(file: string, opts: CompileCliOptions, io: Io = processIo): Promise<number> {
  try {
    const r = loadProgram(file);
    if (reportDiagnostics(r.diagnostics, io) || !r.ok) return 1;
    const c = compileProgram(r, { graph: opts.graph, fuse: opts.fuse !== false, embedRuntime: false });
    const wabtMod = (await import('wabt')) as unknown as { default: () => Promise<{ readWasm(b: Uint8Array, o: object): { toText(o: object): string; destroy(): void } }> };
    const wabt = await wabtMod.default();
    const mod = wabt.readWasm(c.wasm, { readDebugNames: true, simd: true, bulk_memory: true, mutable_globals: true, sign_extension: true, sat_float_to_int: true });
    io.out(mod.toText({ foldExprs: false, inlineExport: false }));
    mod.destroy();
    return 0;
  } catch (e) {
    io.err(renderError(e instanceof Error ? e : new CliError(String(e)), [], io.color));
    return 1;
  }
}

export function registerCompileCommands(program: Command, io: Io = processIo): void {
  program
    .command('compile')
    .description('compile a .tfg program to a WebAssembly module and manifest')
    .argument('<file>', 'the .tfg program')
    .option('-o, --output <dir>', 'output directory', '.')
    .option('--no-fuse', 'one kernel per node (for comparison)')
    .option('--graph <name>', 'which graph (default: the default graph)')
    .action((file: string, opts: CompileCliOptions) => {
      process.exitCode = runCompile(file, opts, io);
    });
  program
    .command('wat')
    .description('print the compiled module as WebAssembly text')
    .argument('<file>', 'the .tfg program')
    .option('--no-fuse', 'one kernel per node')
    .option('--graph <name>', 'which graph')
    .action(async (file: string, opts: CompileCliOptions) => {
      process.exitCode = await runWat(file, opts, io);
    });
}
