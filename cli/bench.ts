/**
 * @fileoverview `tfg bench FILE [--signature S] [--batch N] [--iterations N] [--graph G]`: time one
 * signature compiled fused, compiled unfused (one kernel per node) and on the reference Session,
 * interleaved (one call of each per round, after warm-up), printing time per call (median, p10,
 * p90) and the bytes each kernel moves (its input buffers read once + outputs written:
 * compiler/schedule/traffic.ts) for the fused and the unfused plan, at the given batch size.
 *
 * Feeds are generated from the signature's placeholders: every unknown dimension is `--batch`;
 * floats are seeded uniform in [-1, 1), int32 are zeros (valid labels and indices), bools
 * alternate. Variables are initialized first (`session.initialize()`: each session the variables it holds).
 */
// Node's worker_threads host for the session's thread pool (browser code registers Web Workers instead)
import '../session/node/threads.js';
import { performance } from 'node:perf_hooks';
import { openSession } from '../compiler/session.js';
import { type PerfOptions, loadOptionsFrom, perfNotes } from './perf.js';
import { restoreInto } from './run.js';
import type { FetchSpec } from '../compiler/frontend/index.js';
import { Node, Operation, type Graph } from '../compiler/ir/graph.js';
import { signatureTraffic } from '../compiler/schedule/traffic.js';
import { allocArray } from '../session/dtype.js';
import { Tensor } from '../session/tensor.js';
import { limitsFromOptions } from './limits.js';
import { CliError, type Io, processIo, renderError, reportDiagnostics } from './io.js';
import { allGraphs, loadProgram, selectGraph } from './program.js';

export interface BenchCliOptions extends PerfOptions {
  signature?: string;
  batch?: string;
  iterations?: string;
  graph?: string;
  /** Restore the variables from a checkpoint before timing. */
  checkpoint?: string;
}

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${name} expects a positive integer, got '${v}'`);
  return n;
}

/** Fetch names of a signature, flattened (`x:0` for tensors, the name for operations). */
function fetchNames(f: FetchSpec, out: string[]): string[] {
  if (f instanceof Operation) out.push(f.node.name);
  else if (f instanceof Node) out.push(f.hasOutput ? `${f.name}:0` : f.name);
  else if (Array.isArray(f)) f.forEach((x) => fetchNames(x, out));
  else for (const v of Object.values(f)) fetchNames(v, out);
  return out;
}

/** A seeded feed for a placeholder: unknown dims = batch. */
function makeFeed(n: Node, batch: number, seed: number): Tensor {
  if (n.shape === null) throw new CliError(`cannot generate a feed for '${n.name}': its shape is unknown (give the placeholder a shape)`);
  const shape = n.shape.map((d) => d ?? batch);
  const size = shape.reduce((a, b) => a * b, 1);
  const dtype = n.dtype!;
  const data = allocArray(dtype, size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = dtype === 'f32' || dtype === 'f64' ? (s / 4294967296) * 2 - 1 : dtype === 'bool' ? i % 2 : 0;
  }
  return new Tensor(dtype, shape, data);
}

interface Stat {
  median: number;
  p10: number;
  p90: number;
}

function stat(ts: number[]): Stat {
  const s = [...ts].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.round(p * (s.length - 1))]!;
  return { median: q(0.5), p10: q(0.1), p90: q(0.9) };
}

function ms(x: number): string {
  return x < 1 ? `${(x * 1000).toPrecision(3)} µs` : `${x.toPrecision(3)} ms`;
}

function table(header: string[], rows: string[][]): string[] {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(header), ...rows.map(line)];
}

export function runBench(file: string, opts: BenchCliOptions, io: Io = processIo): number {
  let graphs: Graph[] = [];
  try {
    const batch = positiveInt('--batch', opts.batch, 32);
    const iterations = positiveInt('--iterations', opts.iterations, 50);
    const r = loadProgram(file, limitsFromOptions(opts as Record<string, unknown>));
    if (reportDiagnostics(r.diagnostics, io) || !r.ok) return 1;
    graphs = allGraphs(r);
    const g = selectGraph(r, opts.graph);
    const sigs = r.signatures.filter((s) => s.graph === g);
    if (sigs.length === 0) throw new CliError(`graph '${g.name}' declares no signature to benchmark (add \`signature name(feeds) -> fetches\`)`);
    const sig = opts.signature === undefined ? sigs[0]! : sigs.find((s) => s.name === opts.signature);
    if (!sig) throw new CliError(`no signature '${opts.signature}' in graph '${g.name}' (signatures: ${sigs.map((s) => s.name).join(', ')})`);

    const feeds: Record<string, Tensor> = {};
    sig.feeds.forEach((n, i) => (feeds[`${n.name}:0`] = makeFeed(n, batch, 1 + i)));
    const fetches = fetchNames(sig.fetches, []);

    const t0 = performance.now();
    const load = loadOptionsFrom(opts);
    const fused = openSession(r, { graph: g, only: [sig.name], compile: { fuse: true, generic: false }, fallback: false, seed: 1, load });
    const t1 = performance.now();
    for (const n of perfNotes(fused.session)) io.err(n);
    const unfused = openSession(r, { graph: g, only: [sig.name], compile: { fuse: false, generic: false }, fallback: false, seed: 1, load });
    const ref = openSession(r, { graph: g, backend: 'reference', seed: 1 });
    const sessions: { name: string; run: () => unknown }[] = [];
    for (const [name, o] of [
      ['compiled, fused', fused],
      ['compiled, unfused', unfused],
      ['reference Session', ref],
    ] as const) {
      // Each session initializes the variables it holds: a signature-only module has only those
      // its entries use (its tfg_init entry), not every global variable of the graph.
      o.session.initialize();
      if (opts.checkpoint) restoreInto(o.session, g, opts.checkpoint, io);
      sessions.push({ name, run: () => o.session.run(fetches, feeds) });
    }

    // Warm-up, then interleaved rounds.
    for (let i = 0; i < 3; i++) for (const s of sessions) s.run();
    const times: number[][] = sessions.map(() => []);
    for (let it = 0; it < iterations; it++) {
      sessions.forEach((_, j) => {
        const k = (j + it) % sessions.length;
        const a = performance.now();
        sessions[k]!.run();
        times[k]!.push(performance.now() - a);
      });
    }
    const stats = times.map(stat);
    const base = stats[0]!.median;
    io.out(
      `tfg bench ${file}: signature ${sig.name}(${sig.feeds.map((n) => n.name).join(', ')}), batch ${batch}, ${iterations} interleaved iterations after 3 warm-up rounds`,
    );
    io.out(
      `feeds: ${
        Object.entries(feeds)
          .map(([k, t]) => `${k} ${t.dtype}[${t.shape.join(',')}]`)
          .join(', ') || '-'
      }; compile and load ${(t1 - t0).toFixed(0)} ms (fused), module ${fused.compiled!.wasm.length} bytes`,
    );
    io.out('');
    for (const l of table(
      ['session', 'median', 'p10', 'p90', 'vs fused'],
      sessions.map((s, i) => [s.name, ms(stats[i]!.median), ms(stats[i]!.p10), ms(stats[i]!.p90), `${(stats[i]!.median / base).toFixed(2)}×`]),
    ))
      io.out(l);
    for (const [label, fuse] of [
      ['fused', true],
      ['unfused', false],
    ] as const) {
      const { kernels: ks, total } = signatureTraffic(sig, { fuse, env: { B: batch } });
      io.out('');
      io.out(`bytes moved per kernel, ${label} (${ks.length} kernel${ks.length === 1 ? '' : 's'}, ${total} bytes in all):`);
      for (const l of table(
        ['kernel', 'nodes', 'bytes'],
        ks.map((k) => [`k${k.id} ${k.kind} ${k.name}`, String(k.nodes), String(k.bytes)]),
      ))
        io.out(`  ${l}`);
    }
    return 0;
  } catch (e) {
    io.err(renderError(e, graphs, io.color));
    return 1;
  }
}
