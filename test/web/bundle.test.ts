/**
 * @fileoverview The browser compiler bundles for the browser with no Node built-in: esbuild
 * (platform `browser`) over `compiler/browser.ts`'s build output with the playground's
 * `nodeGuard` plugin, which makes every Node built-in import an error (the one exception,
 * binaryen's own `await import("node:module")` under its Node check, stays external and is
 * listed). A file importing `node:fs` is refused, so the guard is known to bite. And the
 * compiler built against a `MemoryHost` (no file system) reads `load_csv` data and embeds the
 * runtime from the host, giving the same module bytes as in Node.
 */
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { build } from 'esbuild';
import { isNodeBuiltin, nodeGuard, packageRoot } from '../../playground/bundle.js';
import { MemoryHost, setHost, host } from '../../compiler/host.js';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { check } from '../../compiler/browser.js';

const root = packageRoot();

t.test('compiler/browser.ts bundles for the browser without any Node built-in', async (t) => {
  const seen: string[] = [];
  const r = await build({
    absWorkingDir: root,
    entryPoints: ['dist/compiler/browser.js'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    alias: { 'csv-parse/sync': 'csv-parse/browser/esm/sync' },
    plugins: [nodeGuard(seen)],
  });
  t.same(r.errors, [], 'no errors');
  t.same(seen, [], 'no Node import refused');
  const imports: string[] = [];
  for (const [file, info] of Object.entries(r.metafile.inputs))
    for (const i of info.imports) if (isNodeBuiltin(i.path)) imports.push(`${file} -> ${i.path} (${i.kind})`);
  t.equal(imports.length, 1, 'one Node import left external: ' + imports.join('; '));
  t.match(imports[0], /node_modules\/binaryen\/index\.js -> node:module \(dynamic-import\)/, "binaryen's Node-only glue");
  const out = r.outputFiles[0].text;
  // (t.ok, not t.notMatch: a failure must not print the 15 MB bundle)
  t.ok(!/\brequire\(["'](?:node:)?(?:fs|path|url|module|crypto|os)["']\)/.test(out), 'no require of a built-in');
});

t.test('the guard refuses a Node import', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfg-guard-'));
  try {
    writeFileSync(join(dir, 'bad.js'), "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
    const seen: string[] = [];
    await t.rejects(
      build({
        entryPoints: [join(dir, 'bad.js')],
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        logLevel: 'silent',
        plugins: [nodeGuard(seen)],
      }),
      /Node built-in 'node:fs' imported by/,
    );
    t.equal(seen.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.test('a MemoryHost feeds load_csv and the runtime; the module equals the Node host one', (t) => {
  const csv = readFileSync(join(root, 'samples', 'data', 'california_housing.csv'));
  const runtime = readFileSync(join(root, 'runtime-as', 'build', 'runtime.wasm'));
  const src = readFileSync(join(root, 'samples', 'housing_gd.tfg'), 'utf8');
  const nodeModule = compileProgram(buildProgram(src, join(root, 'samples', 'housing_gd.tfg'))).wasm;
  const mem = new MemoryHost();
  mem.addFile(join(root, 'samples', 'data', 'california_housing.csv'), csv);
  mem.runtime = new Uint8Array(runtime);
  const prev = setHost(mem);
  try {
    t.equal(host(), mem);
    const r = buildProgram(src, join(root, 'samples', 'housing_gd.tfg'));
    t.ok(r.ok, r.diagnostics.map((d) => d.message).join('; '));
    const wasm = compileProgram(r).wasm;
    t.ok(Buffer.from(wasm).equals(Buffer.from(nodeModule)), 'the same module bytes as with the Node host');
    const missing = check('d = load_csv("nope.csv")\n', 'x/prog.tfg');
    t.equal(missing.diagnostics.length, 1);
    t.match(missing.diagnostics[0].message, /load_csv\("nope\.csv"\): x\/nope\.csv: cannot read CSV file \(ENOENT\)/);
    t.equal(missing.diagnostics[0].line, 1);
    t.equal(missing.diagnostics[0].col, 5);
  } finally {
    if (prev) setHost(prev);
  }
  t.end();
});
