/**
 * The single-file browser loader (`npm run build:loader`): dist/session/index.js (tsc's output,
 * the `tfg/loader` entry) bundled and minified into dist/loader/tfg-loader.js. Everything a page
 * needs to load a module and run its signatures is in that one file; the code of two optional
 * features sits in chunks beside it, fetched only when used: the generic path (loadModel of a
 * module compiled with one) and safetensors (session.save/restore).
 */
import terser from '@rollup/plugin-terser';

const LAZY = [
  ['generic', /\/session\/(wasm\/(generic|dynamic|shape-checks)|shapes)\.js$/],
  ['safetensors', /\/session\/(io\/(safetensors|npy)|train\/saver)\.js$/],
  ['threads', /\/session\/wasm\/(threads|pool-ctl)\.js$/],
  ['random', /\/session\/(wasm\/random-host|random)\.js$/],
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
    // Shared code stays in the entry file; only the lazy features get chunks of their own.
    manualChunks(id) {
      for (const [name, re] of LAZY) if (re.test(id)) return name;
      // The worker's code stays in the worker's file (its entry sets the worker's onmessage).
      if (/\/session\/wasm\/pool-worker(-web)?\.js$/.test(id)) return 'pool-worker-web';
      return 'tfg-loader';
    },
    plugins: [terser({ ecma: 2022, module: true, compress: { passes: 2 }, format: { comments: false } })],
  },
  onwarn(w, warn) {
    if (w.code !== 'CIRCULAR_DEPENDENCY') warn(w);
  },
};
