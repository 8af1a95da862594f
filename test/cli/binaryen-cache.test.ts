/**
 * @fileoverview The `tfg` command's code-cached binaryen (cli/binaryen-cache.ts): binaryen's text
 * rewritten into a script loads a binaryen that compiles and runs a module; the first load writes
 * V8's cached data, the next takes it; a damaged cache file (CRC) or data V8 rejects is rewritten; text
 * of another shape, or TFG_NO_CODE_CACHE, falls back to the plain import. Never an error.
 */
import { mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';
import t from 'tap';
import { FLAG_SETS_KEPT, flagsHash, lastLoad, loadBinaryenCached, unpackCache, wrapBinaryenSource } from '../../cli/binaryen-cache.js';

/** A binaryen that builds, validates and emits a module computing 6·7, run here. */
async function works(b: Awaited<ReturnType<typeof loadBinaryenCached>>): Promise<number> {
  const m = new b.Module();
  m.addFunction('f', b.none, b.i32, [], m.i32.mul(m.i32.const(6), m.i32.const(7)));
  m.addFunctionExport('f', 'f');
  if (!m.validate()) throw new Error('invalid module');
  const bytes = m.emitBinary();
  m.dispose();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(bytes)));
  return (instance.exports.f as () => number)();
}

t.test('the rewrite of binaryen’s text', async (t) => {
  const src = readFileSync(createRequire(import.meta.url).resolve('binaryen'), 'utf8');
  const w = wrapBinaryenSource(src);
  t.ok(w, 'the installed binaryen has the shapes the rewrite knows');
  t.ok(w!.startsWith('(async function (__tfgUrl, __tfgRequireFactory) {'));
  t.notOk(w!.includes('import.meta'), 'no import.meta left');
  t.notOk(w!.includes('await import("node:module")'));
  t.match(w!.slice(-60), /return [\w$]+;\n\}\)$/);
  t.equal(wrapBinaryenSource('var a = 1; export { a as default };'), null, 'no node:module import: not rewritten');
  t.equal(wrapBinaryenSource('await import("node:module"); await import("node:module"); export{a as default};'), null, 'twice: not rewritten');
  t.equal(wrapBinaryenSource('await import("node:module"); export const a = 1;'), null, 'another export: not rewritten');
});

t.test('first load writes the cache, the next takes it; damaged data is rewritten; opt-out', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfg-v8cache-'));
  const saved = { dir: process.env.TFG_CACHE_DIR, off: process.env.TFG_NO_CODE_CACHE };
  process.env.TFG_CACHE_DIR = dir;
  delete process.env.TFG_NO_CODE_CACHE;
  t.teardown(() => {
    if (saved.dir === undefined) delete process.env.TFG_CACHE_DIR;
    else process.env.TFG_CACHE_DIR = saved.dir;
    if (saved.off !== undefined) process.env.TFG_NO_CODE_CACHE = saved.off;
  });

  t.equal(await works(await loadBinaryenCached()), 42);
  t.equal(lastLoad?.how, 'cache-written');
  const files = readdirSync(join(dir, 'v8'));
  t.equal(files.length, 1, 'one cache file');
  t.match(files[0], /^binaryen-[\w.-]+-node[\w.]+-v8[\w.-]+-\w+\.cache$/);

  t.equal(await works(await loadBinaryenCached()), 42);
  t.equal(lastLoad?.how, 'cached', 'the second load takes the cached data');

  const file = join(dir, 'v8', files[0]);
  const good = readFileSync(file);
  t.ok(unpackCache(good), 'an intact file unpacks');
  for (const [what, bytes] of [
    ['one payload byte flipped', Buffer.from(good).fill(good[good.length >> 1] ^ 1, good.length >> 1, (good.length >> 1) + 1)],
    ['truncated', good.subarray(0, good.length - 1)],
    ['empty', Buffer.alloc(0)],
    ['another format', Buffer.from('x')],
  ] as const) {
    t.equal(unpackCache(bytes), null, `${what}: not unpacked`);
    writeFileSync(file, bytes);
    t.equal(await works(await loadBinaryenCached()), 42, `${what}: still a working binaryen`);
    t.match(lastLoad, { how: 'cache-written', why: 'the cache file was damaged' });
    t.equal(await works(await loadBinaryenCached()), 42);
    t.equal(lastLoad?.how, 'cached', `${what}: the rewritten cache is taken again`);
  }
  // V8's own check (version, flags, source length): intact data of another script is rejected
  // and rewritten. In a child, since V8 reuses this process's compiled binaryen without reading
  // cached data at all. The child has other flags, so its own file (`-f<flags hash>`).
  t.match(files[0], new RegExp(`-f${flagsHash()}\\.cache$`), 'the key ends with the hash of this process’s flags');
  const childArgs = ['--input-type=module'];
  const childFile = join(
    dir,
    'v8',
    files[0].replace(/-f[0-9a-f]{8}\.cache$/, `-f${flagsHash([...childArgs, '-e', 'its script'], process.env.NODE_OPTIONS ?? '')}.cache`),
  );
  t.not(childFile, file, 'other flags, another file');
  writeFileSync(join(dir, 'v8', 'binaryen-0.0.1-old.cache'), 'old');
  const other = new Script('(function () { return 1; })');
  other.runInThisContext();
  const data = other.createCachedData();
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(data));
  writeFileSync(childFile, Buffer.concat([good.subarray(0, 8), crc, data]));
  const child = spawnSync(
    process.execPath,
    [
      ...childArgs,
      '-e',
      `const m = await import(${JSON.stringify(new URL('../../cli/binaryen-cache.js', import.meta.url).href)}); await m.loadBinaryenCached(); console.log(JSON.stringify(m.lastLoad));`,
    ],
    { env: { ...process.env, TFG_CACHE_DIR: dir }, encoding: 'utf8' },
  );
  t.equal(child.status, 0, child.stderr);
  t.match(JSON.parse(child.stdout), { how: 'cache-written', why: 'V8 rejected the cached data', cacheFile: childFile });
  t.same(
    readdirSync(join(dir, 'v8')).sort(),
    [files[0], basename(childFile)].sort(),
    'writing a cache removes the caches of other binaryen versions, and keeps this version’s for other flags',
  );
  t.ok(unpackCache(readFileSync(childFile)), 'and the file is a whole cache again');
  t.ok(unpackCache(readFileSync(file)), 'the cache of this process’s flags is untouched');

  // Of one binaryen's flag sets, the newest FLAG_SETS_KEPT stay.
  const base = files[0].replace(/-f[0-9a-f]{8}\.cache$/, '');
  const fakes = ['0000000a', '0000000b', '0000000c'].map((h, i) => {
    const f = join(dir, 'v8', `${base}-f${h}.cache`);
    writeFileSync(f, 'x');
    utimesSync(f, new Date(Date.UTC(2020, 0, 1 + i)), new Date(Date.UTC(2020, 0, 1 + i)));
    return basename(f);
  });
  utimesSync(childFile, new Date(Date.UTC(2019, 0, 1)), new Date(Date.UTC(2019, 0, 1)));
  writeFileSync(file, 'damaged');
  t.equal(await works(await loadBinaryenCached()), 42);
  t.equal(lastLoad?.how, 'cache-written');
  t.same(readdirSync(join(dir, 'v8')).sort(), [files[0], ...fakes.slice(-(FLAG_SETS_KEPT - 1))].sort(), `the ${FLAG_SETS_KEPT} newest flag sets stay`);

  process.env.TFG_NO_CODE_CACHE = '1';
  t.equal(await works(await loadBinaryenCached()), 42);
  t.match(lastLoad, { how: 'import', why: 'TFG_NO_CODE_CACHE is set' });
});

t.test('the flags hash: flags and NODE_OPTIONS count, an -e script does not', async (t) => {
  t.match(flagsHash([], ''), /^[0-9a-f]{8}$/);
  t.equal(flagsHash(['-e', 'a()'], ''), flagsHash(['-e', 'b()'], ''), 'the text of -e is a script, not a flag');
  t.equal(flagsHash(['--print', 'a'], ''), flagsHash(['--print', 'b'], ''));
  t.not(flagsHash(['--enable-source-maps'], ''), flagsHash([], ''), 'a flag changes the hash');
  t.not(flagsHash([], '--max-old-space-size=100'), flagsHash([], ''), 'NODE_OPTIONS changes the hash');
  t.not(flagsHash(['--a'], 'b'), flagsHash(['--a', 'b'], ''), 'flags and NODE_OPTIONS are kept apart');
});
