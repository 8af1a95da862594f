/**
 * The single-file browser loader (`npm run build:loader`): dist/session/index.js (tsc's output,
 * the `tfg/loader` entry) bundled and minified into dist/loader/tfg-loader.js. What a page needs
 * to load a module and run its signatures is in that one file (at most 15 KB gzipped:
 * test/package/loader-bundle.test.ts); the code of optional features sits in chunks beside it,
 * fetched (a dynamic import relative to the loader's URL) only when a model or call needs them:
 * the generic path with the run-time-shape rules, safetensors with the checkpoint checks
 * (save/restore), the thread pool, the random ops' host side and the fast-math probe
 * (docs/deploy.md, "What is in the loader").
 */
import { env, stdout } from 'node:process';
import { gzipSync } from 'node:zlib';
import terser from '@rollup/plugin-terser';

/** Base64 VLQ of source maps: one line of `mappings` into segments [column, source, ...] (absolute). */
function decodeLine(line, state) {
  const segs = [];
  let col = 0;
  for (const seg of line.split(',')) {
    if (!seg) continue;
    const f = [];
    let v = 0,
      shift = 0;
    for (const ch of seg) {
      const d = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(ch);
      v += (d & 31) << shift;
      if (d & 32) shift += 5;
      else {
        f.push(v & 1 ? -(v >>> 1) : v >>> 1);
        v = shift = 0;
      }
    }
    col += f[0];
    if (f.length > 1) state.source += f[1];
    segs.push([col, f.length > 1 ? state.source : -1]);
  }
  return segs;
}

/**
 * `TFG_LOADER_SIZES=1 npm run build:loader`: print, for each output file, the bytes of its
 * minified code that come from each source module (through the source map) and those bytes
 * gzipped alone (docs/deploy.md, "What is in the loader"). The gzipped figures of the parts do
 * not add up to the file's: each part is compressed without the others' context.
 */
function moduleSizes() {
  return {
    name: 'tfg-module-sizes',
    generateBundle(_opts, bundle) {
      for (const [name, c] of Object.entries(bundle)) {
        if (name.endsWith('.map')) delete bundle[name];
        if (c.type !== 'chunk' || !c.map) continue;
        const parts = new Map();
        const add = (src, text) => parts.set(src, (parts.get(src) ?? '') + text);
        const lines = c.code.split('\n');
        const state = { source: 0 };
        c.map.mappings.split(';').forEach((m, i) => {
          const line = lines[i] ?? '';
          const segs = decodeLine(m, state);
          if (segs.length === 0 || segs[0][0] > 0) add(-1, line.slice(0, segs[0]?.[0] ?? line.length));
          segs.forEach(([col, src], k) => add(src, line.slice(col, k + 1 < segs.length ? segs[k + 1][0] : line.length)));
        });
        const gz = (text) => gzipSync(text, { level: 9 }).length;
        stdout.write(`${c.fileName}: ${c.code.length} bytes, ${gz(c.code)} gzipped (zlib -9)\n`);
        const rows = [...parts].map(([src, text]) => [src < 0 ? '(glue)' : c.map.sources[src].replace(/^(\.\.\/)+/, ''), text.length, gz(text)]);
        for (const [src, n, z] of rows.sort((a, b) => b[1] - a[1])) stdout.write(`  ${src.padEnd(36)} ${String(n).padStart(6)} ${String(z).padStart(6)}\n`);
      }
    },
  };
}
const SIZES = Boolean(env.TFG_LOADER_SIZES);

const LAZY = [
  ['generic', /\/session\/(wasm\/(generic|dynamic|shape-checks)|shapes)\.js$/],
  ['safetensors', /\/session\/(io\/(safetensors|npy)|train\/saver)\.js$/],
  ['threads', /\/session\/wasm\/(threads|pool-ctl)\.js$/],
  ['random', /\/session\/(wasm\/random-host|random|io\/libm)\.js$/],
  ['fast-math', /\/session\/wasm\/fast-math\.js$/],
];

export default {
  // The Web Worker of threads (session/wasm/threads.ts spawns ./pool-worker-web.js beside the loader).
  input: { 'tfg-loader': 'dist/session/index.js', 'pool-worker-web': 'dist/session/wasm/pool-worker-web.js' },
  // The entry file also exports what the lazy chunks import from it (no facade file).
  preserveEntrySignatures: 'allow-extension',
  output: {
    dir: 'dist/loader',
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: 'tfg-loader-[name].js',
    // Shared code stays in the entry file; only the lazy features get chunks of their own (a
    // module listed here must be imported only dynamically from the entry's modules, else the
    // entry would import its chunk statically: loader-bundle.test.ts checks it does not).
    manualChunks(id) {
      for (const [name, re] of LAZY) if (re.test(id)) return name;
      // The worker's code stays in the worker's file (its entry sets the worker's onmessage).
      if (/\/session\/wasm\/pool-worker(-web)?\.js$/.test(id)) return 'pool-worker-web';
      return 'tfg-loader';
    },
    // The size report reads a source map; 'hidden' leaves the code as without one.
    sourcemap: SIZES ? 'hidden' : false,
    plugins: [terser({ ecma: 2022, module: true, compress: { passes: 2 }, format: { comments: false } }), ...(SIZES ? [moduleSizes()] : [])],
  },
  onwarn(w, warn) {
    if (w.code !== 'CIRCULAR_DEPENDENCY') warn(w);
  },
};
