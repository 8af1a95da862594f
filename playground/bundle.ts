/**
 * @fileoverview Builds `dist/web/`, the playground's static folder (`npm run build:web`, part of
 * `npm run build`), with esbuild (platform `browser`, ES modules, code splitting):
 *
 * - `tfg-compiler.js`: the browser compiler (compiler/browser.ts) with binaryen, usable alone;
 * - `worker.js`: the playground's Web Worker (compile, graph, run, train, bench), sharing the
 *   compiler's chunk with `tfg-compiler.js`;
 * - `app.js`: the page (CodeMirror 6 editor, views);
 * - `index.html`, `app.css`, `tfg-runtime.wasm` (the AssemblyScript runtime), `samples/` (every
 *   `samples/*.tfg` with `index.json`, and `samples/data/`).
 *
 * Input is tsc's output (`dist/compiler/browser.js`, `dist/playground/*.js`). `nodeGuard` makes
 * any Node built-in import an error; the one exception is binaryen's own
 * `await import("node:module")`, which its Emscripten glue runs only under Node (left external,
 * never fetched by a browser). test/web/bundle.test.ts bundles the compiler entry with it.
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Is `path` (an import specifier) a Node built-in? */
export function isNodeBuiltin(path: string): boolean {
  return path.startsWith('node:') || NODE_BUILTINS.has(path) || NODE_BUILTINS.has(path.split('/')[0]);
}

/** Node-guarded imports allowed: binaryen's Emscripten glue, under `if (ENVIRONMENT_IS_NODE)`. */
function allowed(path: string, importer: string, kind: string): boolean {
  return kind === 'dynamic-import' && path === 'node:module' && /[\\/]node_modules[\\/]binaryen[\\/]index\.js$/.test(importer);
}

/** An esbuild plugin: a Node built-in import is an error naming the importer (see the file comment). */
export function nodeGuard(seen: string[] = []): Plugin {
  return {
    name: 'tfg-node-guard',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!isNodeBuiltin(args.path)) return undefined;
        if (allowed(args.path, args.importer, args.kind)) return { path: args.path, external: true };
        seen.push(`${args.importer} imports ${args.path}`);
        return { errors: [{ text: `Node built-in '${args.path}' imported by ${args.importer}: code a browser page needs imports no Node built-in` }] };
      });
    },
  };
}

/** The package root (this file is dist/playground/bundle.js). */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export interface WebBuild {
  outdir: string;
  metafile: Metafile;
}

/** Bundle `dist/web/` (see the file comment). */
export async function buildWeb(opts: { root?: string; outdir?: string; minify?: boolean } = {}): Promise<WebBuild> {
  const root = opts.root ?? packageRoot();
  const outdir = opts.outdir ?? join(root, 'dist', 'web');
  mkdirSync(outdir, { recursive: true });
  const r = await build({
    absWorkingDir: root,
    entryPoints: {
      'tfg-compiler': 'dist/compiler/browser.js',
      worker: 'dist/playground/worker.js',
      app: 'dist/playground/app.js',
    },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: opts.minify ?? true,
    sourcemap: false,
    metafile: true,
    logLevel: 'silent',
    chunkNames: 'chunks/[name]-[hash]',
    // csv-parse's `sync` entry is its Node build (it uses the global Buffer); its browser build
    // has the same API.
    alias: { 'csv-parse/sync': 'csv-parse/browser/esm/sync' },
    plugins: [nodeGuard()],
  });
  const src = join(root, 'playground');
  for (const f of ['index.html', 'app.css']) copyFileSync(join(src, f), join(outdir, f));
  copyFileSync(join(root, 'runtime-as', 'build', 'runtime.wasm'), join(outdir, 'tfg-runtime.wasm'));
  const samplesOut = join(outdir, 'samples');
  mkdirSync(samplesOut, { recursive: true });
  const samples = readdirSync(join(root, 'samples'))
    .filter((f) => f.endsWith('.tfg'))
    .sort();
  for (const f of samples) copyFileSync(join(root, 'samples', f), join(samplesOut, f));
  if (existsSync(join(root, 'samples', 'data'))) cpSync(join(root, 'samples', 'data'), join(samplesOut, 'data'), { recursive: true });
  writeFileSync(join(samplesOut, 'index.json'), JSON.stringify(samples) + '\n');
  return { outdir, metafile: r.metafile };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  buildWeb().catch((e: Error & { errors?: { text: string }[] }) => {
    process.stderr.write(`build:web: ${e.errors?.map((x) => x.text).join('\n') ?? e.message}\n`);
    process.exit(1);
  });
}
