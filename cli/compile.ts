/**
 * @fileoverview `tfg compile FILE [-o DIR] [--signature NAME...] [--generic] [--no-fuse]
 * [--graph G] [--dump STAGE|all] [--verify]`: compile a program's graph to `DIR/<name>.wasm`
 * (manifest, constants and runtime embedded) and `DIR/<name>.manifest.json`, and print a
 * summary. With `--signature` only those entry points are compiled, and the generic path only
 * with `--generic`. `--dump STAGE` prints the program after a stage of the driver
 * (compiler/driver.ts: parse, build, passes, fuse, schedule, memory, lower, emit); `--dump all`
 * writes every stage into `DIR/<name>.dump/`. `--verify` checks every stage's invariants.
 * `tfg wat FILE [--graph G] [--no-fuse]`: print the module as text (wabt's `readWasm().toText()`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compileProgram } from '../compiler/driver.js';
import { STAGE_NAMES, type StageName, compileSource } from '../compiler/driver.js';
import { writeCompiled } from '../compiler/emit/write.js';
import { readCheckpointTensors } from '../session/node/checkpoint.js';
import { writeSafetensors } from '../session/io/safetensors.js';
import { matchCheckpoint } from '../session/train/saver.js';
import { limitsFromOptions } from './limits.js';
import { CliError, type Io, processIo, renderError, reportDiagnostics } from './io.js';
import { loadProgram, readSource } from './program.js';

export interface CompileCliOptions {
  output?: string;
  fuse?: boolean;
  graph?: string;
  signature?: string[];
  generic?: boolean;
  dump?: string;
  verify?: boolean;
  /** Embed the runtime (default true; `--no-embed-runtime`: the loader brings it). */
  embedRuntime?: boolean;
  /** A checkpoint whose values are baked in (or written beside the module with weightsFile). */
  checkpoint?: string;
  weightsFile?: boolean;
}

export function runCompile(file: string, opts: CompileCliOptions, io: Io = processIo): number {
  try {
    const dump = opts.dump;
    if (dump !== undefined && dump !== 'all' && !(STAGE_NAMES as readonly string[]).includes(dump)) {
      throw new CliError(`unknown stage '${dump}' for --dump (stages: ${STAGE_NAMES.join(', ')}, or all)`);
    }
    const outDir = opts.output ?? '.';
    const stem = basename(file).replace(/\.tfg$/, '');
    const dumpDir = join(outDir, `${stem}.dump`);
    if (dump === 'all') mkdirSync(dumpDir, { recursive: true });
    const onDump = (stage: StageName, text: string): void => {
      if (dump === 'all') writeFileSync(join(dumpDir, `${STAGE_NAMES.indexOf(stage) + 1}-${stage}.txt`), text);
      else io.out(text);
    };
    if (opts.weightsFile && !opts.checkpoint) throw new CliError('--weights-file writes the values of a checkpoint: give --checkpoint PATH');
    const ckpt = opts.checkpoint ? readCheckpointTensors(opts.checkpoint, { warn: (m) => io.err(`warning: ${m}`) }) : null;
    const state = compileSource(
      readSource(file),
      file,
      {
        graph: opts.graph,
        fuse: opts.fuse !== false,
        signatures: opts.signature,
        generic: opts.generic ?? (opts.signature ? false : true),
        embedRuntime: opts.embedRuntime !== false,
        ...(ckpt && !opts.weightsFile ? { variables: ckpt.tensors } : {}),
      },
      {
        verify: opts.verify,
        dump: dump === undefined ? undefined : onDump,
        dumpStages: dump === undefined || dump === 'all' ? undefined : new Set([dump as StageName]),
        until: dump === undefined || dump === 'all' ? 'emit' : (dump as StageName),
      },
      { limits: limitsFromOptions(opts as Record<string, unknown>) },
    );
    if (state.build && reportDiagnostics(state.build.diagnostics, io)) return 1;
    if (!state.compiled) return 0; // --dump of an earlier stage: printed, nothing written
    const c = state.compiled;
    const paths = writeCompiled(c, outDir, file);
    const m = c.manifest;
    io.out(
      `${paths.wasm}: ${c.wasm.length} bytes, graph '${m.graph}'${m.runtimeEmbedded ? '' : ' (runtime not embedded: the loader brings tfg-runtime.wasm)'}`,
    );
    m.signatures.forEach((s, i) =>
      io.out(`  export ${s.export}(B): ${c.kernelCounts[i]} kernel${c.kernelCounts[i] === 1 ? '' : 's'}${opts.fuse === false ? ' (unfused)' : ''}`),
    );
    if (m.generic !== null) io.out(`  generic path: ${m.plans[m.generic].kernels.filter((k) => k.export).length} per-node kernels`);
    else
      io.out(
        m.genericError ? `  generic path unavailable: ${m.genericError}` : '  no generic path (compile with --generic for runs other than the signatures)',
      );
    io.out(`${paths.manifest}: manifest v${m.manifestVersion}, ${m.variables.length} variables, ${m.placeholders.length} placeholders`);
    if (ckpt && !opts.weightsFile) io.out(`  ${m.bakedVariables?.length ?? 0} of ${m.variables.length} variables baked in from ${ckpt.source}`);
    if (ckpt && opts.weightsFile) {
      // Weights apart: the module's variables, in a safetensors file session.restore() loads.
      const wanted = new Map(m.variables.map((v) => [v.name, { dtype: v.dtype, shape: v.shape }]));
      const tensors = matchCheckpoint(ckpt.tensors, wanted);
      const wpath = join(outDir, `${stem}.safetensors`);
      writeFileSync(wpath, writeSafetensors(tensors, { format: 'tfg', graph: m.graph, source: basename(ckpt.source) }));
      io.out(`${wpath}: the ${tensors.size} variables from ${ckpt.source} (session.restore)`);
    }
    if (dump === 'all') io.out(`${dumpDir}/: the program after each stage (${STAGE_NAMES.join(', ')})`);
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
    const wabtMod = (await import('wabt')) as unknown as {
      default: () => Promise<{ readWasm(b: Uint8Array, o: object): { toText(o: object): string; destroy(): void } }>;
    };
    const wabt = await wabtMod.default();
    const mod = wabt.readWasm(c.wasm, {
      readDebugNames: true,
      simd: true,
      bulk_memory: true,
      mutable_globals: true,
      sign_extension: true,
      sat_float_to_int: true,
    });
    io.out(mod.toText({ foldExprs: false, inlineExport: false }));
    mod.destroy();
    return 0;
  } catch (e) {
    io.err(renderError(e instanceof Error ? e : new CliError(String(e)), [], io.color));
    return 1;
  }
}
