/**
 * @fileoverview The prebuilt loader bundle (`npm run build:loader`: dist/loader/, rollup.config.mjs)
 * as a page gets it:
 * - the entry `tfg-loader.js` is at most 15 KB gzipped (issue 8 §1);
 * - it imports no chunk statically: the generic path, safetensors (with the checkpoint checks),
 *   the thread pool, the random ops' host side and the fast-math probe are chunks beside it,
 *   each fetched by a dynamic import relative to the loader's own URL, and every chunk imports
 *   only files of the folder (a page that copies dist/loader/ works);
 * - through the bundle in Node, a model with random ops and a generic path, save/restore, an
 *   explicit thread count and fast math give what the unbundled loader (`tfg/loader`) gives.
 * - its `.d.ts` type-checks on its own (it names no module beside it).
 * (The browser runs the bundle in test/web/example.test.ts: threads on, restore, training.)
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import ts from 'typescript';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import * as unbundled from '../../session/index.js';
import { repoPath } from '../helpers.js';

const DIR = repoPath('dist/loader');
const LIMIT = 15 * 1024;
const LAZY = ['tfg-loader-generic.js', 'tfg-loader-safetensors.js', 'tfg-loader-threads.js', 'tfg-loader-random.js', 'tfg-loader-fast-math.js'];

const read = (f: string): string => readFileSync(`${DIR}/${f}`, 'utf8');
const staticImports = (code: string): string[] => [...code.matchAll(/(?:^|;)\s*import\s*(?:\{[^}]*\}\s*from\s*)?"([^"]+)"/g)].map((m) => m[1]!);
const dynamicImports = (code: string): string[] => [...new Set([...code.matchAll(/\bimport\("([^"]+)"\)/g)].map((m) => m[1]!))];

t.test('the entry is at most 15 KB gzipped and imports no chunk statically', (t) => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.js'));
  const sizes = files.map((f) => `${f} ${gzipSync(readFileSync(`${DIR}/${f}`), { level: 9 }).length}`).join(', ');
  // zlib at level 9 (gzip -9 differs by a few dozen bytes).
  const entry = gzipSync(readFileSync(`${DIR}/tfg-loader.js`), { level: 9 }).length;
  t.ok(entry <= LIMIT, `tfg-loader.js is ${entry} bytes gzipped, at most ${LIMIT} (${sizes})`);
  const code = read('tfg-loader.js');
  t.strictSame(staticImports(code), [], 'the entry imports nothing statically');
  t.strictSame(dynamicImports(code).sort(), LAZY.map((f) => `./${f}`).sort(), 'its lazy chunks, by URLs relative to the loader');
  t.strictSame(files.sort(), ['pool-worker-web.js', 'tfg-loader.js', ...LAZY].sort(), 'no other file');
  for (const f of files) {
    for (const spec of [...staticImports(read(f)), ...dynamicImports(read(f))]) {
      t.match(spec, /^\.\/[\w.-]+\.js$/, `${f} imports ${spec} from its own folder`);
      t.ok(existsSync(`${DIR}/${spec.slice(2)}`), `${spec} exists`);
    }
  }
  t.end();
});

t.test('tfg-loader.d.ts type-checks on its own', (t) => {
  const dts = `${DIR}/tfg-loader.d.ts`;
  t.notMatch(readFileSync(dts, 'utf8'), /(from|import\()\s*["']\.\.?\//, 'no import of a file beside it');
  const program = ts.createProgram([dts], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  });
  const diags = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  t.strictSame(diags, [], 'no diagnostics');
  t.end();
});

// Random ops (a seeded random_normal initializer), a generic path (no signature covers `h`).
const SRC = `X = placeholder(f32, shape=[None, 3], name="X")
W = variable(random_normal([3, 4], seed=3), name="W")
b = variable(zeros([4]), name="b")
h = relu(add(matmul(X, W), b), name="h")
y = reduce_sum(h, axis=1, name="y")
signature predict(X) -> y
`;

t.test('through the bundle in Node: the same values, checkpoints and notes as tfg/loader', async (t) => {
  const bundle = (await import(pathToFileURL(`${DIR}/tfg-loader.js`).href)) as typeof unbundled;
  const r = buildProgram(SRC, 'bundle.tfg');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  const { wasm } = compileProgram(r, { optimize: false });
  const feeds = {
    'X:0': [
      [1, 2, 3],
      [-4, 5, 0.5],
    ],
  };
  const runs: string[][] = [];
  for (const loader of [unbundled, bundle]) {
    const model = await loader.loadModel(wasm);
    const sess = model.createSession({ seed: 11 });
    sess.initialize();
    const y = sess.run('y:0', feeds) as unbundled.Tensor;
    const h = sess.run('h:0', feeds) as unbundled.Tensor;
    const saved = await sess.save();
    const other = model.createSession();
    await other.restore(saved);
    const y2 = other.run('y:0', feeds) as unbundled.Tensor;
    t.equal(sess.stats.signatureCalls, 1, 'predict ran its entry');
    t.equal(sess.stats.genericRuns >= 1, true, 'h ran on the generic path');
    runs.push([y, h, y2].map((x) => Array.from(new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength)).join(',')));
    await t.rejects(other.restore(new Uint8Array(8)), /./, 'a damaged checkpoint is refused');
  }
  t.strictSame(runs[1], runs[0], 'the same bits through the bundle as through tfg/loader');
  t.equal(runs[0]![2], runs[0]![0], 'restore gives the saved values back');

  const threaded = await bundle.loadModel(wasm, { threads: 2 });
  t.equal(threaded.loadedAs.threads, 1, 'no Web Workers in Node without tfg/node: one thread');
  t.match(threaded.loadedAs.threadNote, /running on one thread: threads need Web Workers/);
  const fast = await bundle.loadModel(wasm, { fastMath: true });
  t.equal(fast.loadedAs.fastMath, false, 'fast math needs the relaxed runtime');
  t.match(fast.loadedAs.fastMathNote, /fast math off/);
});
