/**
 * @fileoverview `tfg` for a browser page or worker: the whole toolchain (parse and check with
 * diagnostics, build, compile to `.wasm` + manifest, the graph as DOT or printed IR, the
 * reference Session, the wasm loader, the training recipe and its Trainer) with no Node
 * built-in anywhere in what it imports. Files come from the host (compiler/host.ts): the page
 * installs a `MemoryHost`, gives it the runtime's bytes, and adds the files a program reads
 * (fetched URLs or files the user picked). `npm run build` bundles this file with esbuild into
 * `dist/web/tfg-compiler.js`; test/web/bundle.test.ts fails when a Node import creeps in.
 */
import { type BuildResult, buildProgram } from './frontend/index.js';
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { host } from './host.js';
import { Dataset } from '../session/io/dataset.js';
import { readIdxImages, readIdxLabels } from '../session/io/idx.js';
import { readNpz } from '../session/io/npz.js';
import { parseCsv } from '../session/io/csv-text.js';
import { NotFoundError } from '../session/errors.js';
import { Tensor } from '../session/tensor.js';
import type { DataSourceSpec, TrainPlan } from '../session/train/plan.js';
import { cut, moonsSource } from '../session/train/data.js';

export { type Host, MemoryHost, host, setHost, posixResolve } from './host.js';
export { buildProgram, type BuildResult, type BuildOptions, type Signature, type TrainRecipe } from './frontend/index.js';
export {
  STAGES,
  STAGE_NAMES,
  type StageName,
  type CompileOptions,
  type CompileState,
  StageError,
  compileSource,
  compileProgram,
  compileGraph,
  runStages,
  selectSignatures,
} from './driver.js';
export type { CompiledProgram } from './emit/index.js';
export { openSession, type OpenOptions, type OpenedSession } from './session.js';
export { ReferenceSession, type SessionOptions } from './interp/session.js';
export { checkProgramRecipe, checkRecipe, ensureInit, overrideLearningRate, recipeSignatures, recipeGraph } from './frontend/recipe.js';
export { CompileError, type Diagnostic, formatDiagnostic, formatDiagnostics } from './diagnostics/diagnostic.js';
export { Graph, Node, Operation } from './ir/graph.js';
export { printGraph, formatType } from './ir/printer.js';
export { graphToDot } from './ir/dot.js';
export { signatureTraffic, type SignatureTraffic, type KernelTraffic } from './schedule/traffic.js';
export { OPS } from './ops/registry.js';
export * from '../session/index.js';
export { readNpy, writeNpy } from '../session/io/npy.js';
export { parseCsv } from '../session/io/csv-text.js';
export { Trainer, type TrainEvent, type TrainResult, type TrainState } from '../session/train/trainer.js';
export { loadTrainData, moonsSource, type TrainData } from '../session/train/data.js';
export type { TrainPlan, DataSourceSpec } from '../session/train/plan.js';
export { Dataset } from '../session/io/dataset.js';
export { writeSafetensors } from '../session/io/safetensors.js';

/** A diagnostic with its line and column (1-based) and end, as an editor wants it. */
export interface LocatedDiagnostic {
  code: number;
  severity: Diagnostic['severity'];
  message: string;
  from: number;
  to: number;
  line: number;
  col: number;
}

/** Parse and build `text` (the construction phase); the diagnostics located in it. */
export function check(text: string, fileName: string): { result: BuildResult; diagnostics: LocatedDiagnostic[] } {
  const result = buildProgram(text, fileName);
  const diagnostics = result.diagnostics.map((d) => {
    const s = d.span && d.span.file.name === fileName ? d.span : null;
    const from = s ? s.start : 0;
    const to = s ? Math.max(s.end, s.start) : 0;
    const lc = s ? s.file.lineCol(from) : { line: 1, col: 1 };
    return { code: d.code, severity: d.severity, message: d.message, from, to, line: lc.line, col: lc.col };
  });
  return { result, diagnostics };
}

/** The idx files of an MNIST split in `mnistDir/` (images, labels). */
export function mnistPaths(split: 'train' | 'test', mnistDir = 'mnist'): [string, string] {
  const base = split === 'train' ? 'train' : 't10k';
  return [`${mnistDir}/${base}-images-idx3-ubyte`, `${mnistDir}/${base}-labels-idx1-ubyte`];
}

/** A file a recipe's data source reads through the host. */
export interface DataFile {
  /** `train`, `validation` or `test`. */
  split: string;
  /** The source, as the recipe wrote it (`mnist(split="train")`). */
  source: string;
  /** What the file holds (`images`, `labels`, `rows`). */
  role: string;
  /** The host path `hostSourceLoader` reads. */
  path: string;
}

/** Every file the recipe's data sources read through the host (moons and fractions read none). */
export function dataFiles(plan: TrainPlan, mnistDir = 'mnist'): DataFile[] {
  const out: DataFile[] = [];
  for (const split of ['train', 'validation', 'test'] as const) {
    const s = plan.data[split];
    if (s === null || typeof s !== 'object') continue;
    if (s.kind === 'mnist') {
      const [images, labels] = mnistPaths(s.split, mnistDir);
      const source = `mnist(split="${s.split}")`;
      out.push({ split, source, role: 'images', path: images }, { split, source, role: 'labels', path: labels });
    } else if (s.kind === 'csv' || s.kind === 'npz') out.push({ split, source: `${s.kind}("${s.path}")`, role: 'rows', path: s.path });
  }
  return out;
}

/**
 * A recipe's data sources read through the host (the browser's `loadNodeSource`): MNIST's idx
 * files from `<mnistDir>/`, CSV and npz files by path, moons generated.
 */
export function hostSourceLoader(mnistDir = 'mnist'): (s: DataSourceSpec, limit: number | null) => Dataset {
  const read = (path: string, what: string): Uint8Array => {
    try {
      return host().readBytes(path);
    } catch (e) {
      throw new NotFoundError(`${what}: cannot read ${path} (${(e as { code?: string }).code ?? (e as Error).message})`);
    }
  };
  return (s, limit) => {
    const lim = (n: number | null): number | null => (n === null ? limit : limit === null ? n : Math.min(n, limit));
    switch (s.kind) {
      case 'mnist': {
        const [images, labelFile] = mnistPaths(s.split, mnistDir);
        const l = lim(s.limit) ?? undefined;
        let f = readIdxImages(read(images, 'MNIST'), { limit: l, source: images });
        const labels = readIdxLabels(read(labelFile, 'MNIST'), { limit: l, source: labelFile });
        if (!s.normalize) {
          const d = new Float32Array(f.size);
          for (let i = 0; i < d.length; i++) d[i] = Math.round((f.data as Float32Array)[i] * 255);
          f = new Tensor('f32', f.shape, d);
        }
        return new Dataset({ features: f, labels });
      }
      case 'csv': {
        const t = parseCsv(new TextDecoder().decode(read(s.path, `csv("${s.path}")`)), {
          target: s.target ?? undefined,
          columns: s.columns_selected ?? undefined,
          dtype: 'f64',
          source: s.path,
        });
        const cols: Record<string, Tensor> = { features: t.features };
        if (t.target) cols.target = t.target;
        return cut(new Dataset(cols), limit);
      }
      case 'npz':
        return cut(new Dataset(Object.fromEntries(readNpz(read(s.path, `npz("${s.path}")`), s.path))), limit);
      default:
        return moonsSource(s, limit);
    }
  };
}
