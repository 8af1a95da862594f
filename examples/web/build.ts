/**
 * @fileoverview Builds what the example page (examples/web/index.html) loads, into
 * `examples/web/gen/` (generated, not committed):
 *
 * - `tfg-loader.js` (+ its lazy chunks, its `.d.ts`) and `tfg-runtime.wasm`: the prebuilt loader
 *   bundle from `dist/loader/`;
 * - `mnist/apart/mnist_mlp.wasm` + `mnist_mlp.safetensors`: the MNIST MLP's `predict` entry
 *   without its weights and without the runtime (`tfg compile --signature predict --checkpoint
 *   LOGDIR --weights-file --no-embed-runtime`), restored by `session.restore()`;
 * - `mnist/baked/mnist_mlp.wasm`: the same entry with the trained weights and the runtime in
 *   the module (`tfg compile --signature predict --checkpoint LOGDIR`);
 * - `moons/moons_logreg_train.wasm`: the moons logistic regression's train step, eval step and
 *   `predict` (`tfg compile samples/moons_logreg_train.tfg --signature tfg_train_step
 *   --signature tfg_eval_step --signature predict`), trained in the page;
 * - `moons/data.json`: the recipe's data (`moons(n_samples=1000, ...)`, its 80/20 split), made by
 *   the same code as `tfg train`'s, so the page trains on what `tfg train` would;
 * - `config.json`: which files the page loads.
 *
 * The checkpoint is a `tfg train samples/mnist_mlp.tfg` log directory: the README's quick start
 * writes `runs/quickstart`, the full run `runs/mnist_mlp`.
 *
 *   npm run build && node dist/cli/main.js train samples/mnist_mlp.tfg --epochs 1 --limit 5000 --logdir runs/quickstart
 *   node dist/examples/web/build.js --checkpoint runs/quickstart      # npm run example:web
 *   node dist/cli/main.js serve examples/web                           # then open the printed URL
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCompile } from '../../cli/compile.js';
import { type Io, processIo, renderError, reportDiagnostics } from '../../cli/io.js';
import { loadProgram } from '../../cli/program.js';
import { checkProgramRecipe } from '../../compiler/frontend/recipe.js';
import { loadTrainData } from '../../session/train/data.js';
import type { Dataset } from '../../session/io/dataset.js';

/** The repository (dist/examples/web/build.js → ../../..). */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface ExampleConfig {
  mnist: { apart: { module: string; weights: string; runtime: string }; baked: { module: string } };
  moons: { module: string; data: string };
}

/** A split as JSON: each column's shape and values. */
type JsonSplit = Record<string, { shape: number[]; data: number[] }>;

/** The moons recipe's train and test splits and its feed map (placeholder → column), as tfg train makes them. */
export function moonsData(io: Io): { feed: Record<string, string>; train: JsonSplit; test: JsonSplit } {
  const file = join(REPO, 'samples', 'moons_logreg_train.tfg');
  const r = loadProgram(file);
  if (reportDiagnostics(r.diagnostics, io) || !r.ok) throw new Error(`${file} does not build`);
  const checked = checkProgramRecipe(r);
  if (!checked.plan) throw new Error(`${file}: ${checked.diagnostics.map((d) => d.message).join('; ')}`);
  const data = loadTrainData(checked.plan, (s) => {
    throw new Error(`the moons example expects generated data, not ${s.kind}`);
  });
  const json = (ds: Dataset | undefined): JsonSplit => {
    if (!ds) throw new Error(`${file}: the recipe has no test split`);
    return Object.fromEntries(Object.entries(ds.columns).map(([k, t]) => [k, { shape: [...t.shape], data: Array.from(t.data as ArrayLike<number>) }]));
  };
  return { feed: { ...checked.plan.feed }, train: json(data.train), test: json(data.test) };
}

export interface BuildExampleOptions {
  /** The MNIST checkpoint: a `tfg train` logdir, a checkpoint prefix or a `.safetensors` file. */
  checkpoint: string;
  /** Where the generated files go (default examples/web/gen). */
  out?: string;
  io?: Io;
}

/** Compile the page's modules and copy the loader next to them; returns the config the page reads. */
export function buildExample(opts: BuildExampleOptions): ExampleConfig {
  const io = opts.io ?? processIo;
  const out = resolve(opts.out ?? join(REPO, 'examples', 'web', 'gen'));
  const loaderDir = join(REPO, 'dist', 'loader');
  if (!existsSync(join(loaderDir, 'tfg-loader.js'))) throw new Error(`${loaderDir}/tfg-loader.js is missing: run npm run build first`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(loaderDir)) copyFileSync(join(loaderDir, f), join(out, f));

  const compile = (file: string, dir: string, flags: Parameters<typeof runCompile>[1]): void => {
    const code = runCompile(join(REPO, 'samples', file), { output: join(out, dir), ...flags }, io);
    if (code !== 0) throw new Error(`tfg compile samples/${file} failed (exit code ${code})`);
  };
  const checkpoint = resolve(opts.checkpoint);
  compile('mnist_mlp.tfg', 'mnist/apart', { signature: ['predict'], checkpoint, weightsFile: true, embedRuntime: false });
  compile('mnist_mlp.tfg', 'mnist/baked', { signature: ['predict'], checkpoint });
  compile('moons_logreg_train.tfg', 'moons', { signature: ['tfg_train_step', 'tfg_eval_step', 'predict'] });

  writeFileSync(join(out, 'moons', 'data.json'), JSON.stringify(moonsData(io)));

  const config: ExampleConfig = {
    mnist: {
      apart: { module: 'mnist/apart/mnist_mlp.wasm', weights: 'mnist/apart/mnist_mlp.safetensors', runtime: 'tfg-runtime.wasm' },
      baked: { module: 'mnist/baked/mnist_mlp.wasm' },
    },
    moons: { module: 'moons/moons_logreg_train.wasm', data: 'moons/data.json' },
  };
  writeFileSync(join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  io.out(`${out}: the loader, the MNIST predict module (weights apart and baked in) and the moons training module`);
  return config;
}

function main(argv: string[]): number {
  const usage = 'usage: node dist/examples/web/build.js [--checkpoint LOGDIR]   (default: runs/quickstart)';
  let checkpoint = join(REPO, 'runs', 'quickstart');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--checkpoint' && argv[i + 1]) checkpoint = argv[++i]!;
    else {
      processIo.err(usage);
      return 2;
    }
  }
  if (!existsSync(checkpoint)) {
    processIo.err(
      `no checkpoint at ${checkpoint}: train first (node dist/cli/main.js train samples/mnist_mlp.tfg --epochs 1 --limit 5000 --logdir runs/quickstart), or give --checkpoint\n${usage}`,
    );
    return 1;
  }
  try {
    buildExample({ checkpoint });
  } catch (e) {
    processIo.err(renderError(e, [], processIo.color));
    return 1;
  }
  processIo.out('serve it: node dist/cli/main.js serve examples/web');
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
