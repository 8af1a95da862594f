/**
 * The compiled-module cache of `tfg run` (cli/cache.ts, cli/run-exec.ts): a run from the cache
 * prints exactly what a compiled run prints (values, JSON, structured fetches, feeds from files,
 * checkpoints, and every error with its message and `file:line:col` code frame); a changed data
 * file, a rebuilt entry or a corrupt one is a miss, never an error; a nondeterministic build is
 * not kept; the folder stays within its bound; and the hit path loads no part of the compiler
 * but its diagnostics and host layer.
 */
import { mkdirSync, mkdtempSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import t from 'tap';
import { runCli } from '../../cli/main.js';
import { cacheDir, cacheEvents, cacheStats, clearCache, pruneCache, writeEntry, readEntry } from '../../cli/cache.js';
import { type Host, host, setHost } from '../../compiler/host.js';
import { writeNpz } from '../../session/io/npz.js';
import { writeSafetensors } from '../../session/io/safetensors.js';
import { Tensor } from '../../session/tensor.js';
import { repoPath } from '../helpers.js';

const CACHE = mkdtempSync(join(tmpdir(), 'tfg-cache-'));
process.env.TFG_CACHE_DIR = CACHE;
const tmp = mkdtempSync(join(tmpdir(), 'tfg-cache-files-'));
const fx = (name: string): string => join('test', 'cli', 'fixtures', name);

/** The program's print() output goes to the host; collect it with the command's output. */
const printed: string[] = [];
const base = host();
const capture: Host = {
  readBytes: (p) => base.readBytes(p),
  readText: (p) => base.readText(p),
  resolvePath: (f, r) => base.resolvePath(f, r),
  runtimeWasm: (v) => base.runtimeWasm(v),
  print: (s) => void printed.push(s),
};
setHost(capture);

interface Result {
  code: number;
  out: string;
  err: string;
  printed: string;
}

async function tfg(...args: string[]): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  printed.length = 0;
  const line = (s: string): string => (s.endsWith('\n') ? s : s + '\n');
  const code = await runCli(args, { out: (s) => void out.push(line(s)), err: (s) => void err.push(line(s)), color: false });
  return { code, out: out.join(''), err: err.join(''), printed: printed.join('') };
}

const npz = join(tmp, 'feeds.npz');
writeFileSync(npz, writeNpz({ X: new Tensor('f32', [2, 3], Float32Array.from([1, 1, 1, 1, 0, 0])) }));
const ckpt = join(tmp, 'f.safetensors');
writeFileSync(ckpt, writeSafetensors({ x: new Tensor('i32', [], Int32Array.from([5])), y: new Tensor('i32', [], Int32Array.from([2])) }));
const badCkpt = join(tmp, 'bad.safetensors');
writeFileSync(badCkpt, writeSafetensors({ x: new Tensor('f32', [2], Float32Array.from([5, 1])), y: new Tensor('i32', [], Int32Array.from([2])) }));
const printing = join(tmp, 'printing.tfg');
writeFileSync(printing, 'a = constant([1.0, 2.0])\nprint("built", 6 * 7)\nb = reduce_sum(a, name="total")\n');

interface Case {
  what: string;
  args: string[];
  /** A run of the same compile that succeeds (fills the cache when `args` fails before compiling). */
  warm?: string[];
}

const cases: Case[] = [
  { what: 'values of bindings and tensor names', args: ['run', fx('f.tfg'), '--fetch', 'f', 'x', 'y:0'] },
  { what: 'a literal feed, a scoped name, an operation', args: ['run', fx('linear.tfg'), '--fetch', 'y', 'loss/mse', 'init', '--feed', 'X=[[1,1,1],[1,0,0]]'] },
  { what: 'a CSV feed, --json', args: ['run', fx('linear.tfg'), '--fetch', 'loss/mse', '--feed', `X=@${fx('X.csv')}`, '--json'] },
  { what: 'an .npz feed', args: ['run', fx('linear.tfg'), '--fetch', 'y', '--feed', `@${npz}`] },
  { what: 'list, tuple and dict bindings', args: ['run', fx('grads.tfg'), '--fetch', 'grads', 'd'] },
  { what: 'structured fetches as JSON', args: ['run', fx('grads.tfg'), '--fetch', 'grads', 'd', 'f', '--json'] },
  { what: 'a named graph', args: ['run', fx('linear.tfg'), '--graph', 'other', '--fetch', 'z'] },
  { what: '--checkpoint', args: ['run', fx('f.tfg'), '--fetch', 'f', '--checkpoint', ckpt] },
  { what: '--seed', args: ['run', fx('f.tfg'), '--fetch', 'f', '--seed', '7'] },
  { what: 'print() while building', args: ['run', printing, '--fetch', 'b', 'total'] },
  { what: 'error: an unfed placeholder (code frame)', args: ['run', fx('linear.tfg'), '--fetch', 'y'] },
  { what: 'error: an uninitialized variable', args: ['run', fx('f.tfg'), '--fetch', 'f', '--no-init'] },
  { what: 'error: a feed of the wrong shape', args: ['run', fx('linear.tfg'), '--fetch', 'y', '--feed', 'X=[1,2]'] },
  { what: 'error: a kernel failure', args: ['run', fx('rt_error.tfg'), '--fetch', 'g', '--feed', 'i=7'] },
  { what: 'error: an unknown name (did you mean)', args: ['run', fx('f.tfg'), '--fetch', 'ff'], warm: ['run', fx('f.tfg'), '--fetch', 'f'] },
  { what: 'error: an unknown feed name', args: ['run', fx('linear.tfg'), '--fetch', 'y', '--feed', 'Q=1'], warm: ['run', fx('linear.tfg'), '--fetch', 'w'] },
  { what: 'error: an unknown tensor', args: ['run', fx('f.tfg'), '--fetch', 'q:0'], warm: ['run', fx('f.tfg'), '--fetch', 'f'] },
  { what: 'error: a checkpoint of the wrong dtype', args: ['run', fx('f.tfg'), '--fetch', 'f', '--checkpoint', badCkpt] },
];

t.test('a run from the cache prints what a compiled run prints', async (t) => {
  for (const c of cases) {
    clearCache(CACHE);
    const writes = cacheEvents.writes;
    const plain = await tfg(...c.args, '--no-cache');
    t.equal(cacheEvents.writes, writes, `${c.what}: --no-cache writes nothing`);
    const miss = await tfg(...c.args);
    if (c.warm) t.equal((await tfg(...c.warm)).code, 0, `${c.what}: warm-up`);
    t.equal(cacheStats(CACHE).entries, 1, `${c.what}: the compile is kept`);
    const hits = cacheEvents.hits;
    const hit = await tfg(...c.args);
    t.equal(cacheEvents.hits, hits + 1, `${c.what}: run from the cache`);
    t.same(miss, plain, `${c.what}: compiling and caching prints the same`);
    t.same(hit, plain, `${c.what}: from the cache prints the same`);
    t.notMatch(hit.err, /internal error|\n\s+at /, `${c.what}: no internal error`);
  }
  t.end();
});

t.test('the cases print what they should (so the comparison compares real output)', async (t) => {
  t.equal((await tfg('run', fx('f.tfg'), '--fetch', 'f', '--checkpoint', ckpt)).out, 'f = 54\n');
  const unfed = await tfg('run', fx('linear.tfg'), '--fetch', 'y');
  t.match(unfed.err, /linear\.tfg:2:5: error TFG5001: InvalidArgumentError: You must feed a value for placeholder tensor 'X'/);
  t.match(unfed.err, /\n {2}2 \| X = placeholder/);
  const p = await tfg('run', printing, '--fetch', 'total');
  t.equal(p.printed, 'built 42\n');
  t.equal(p.out, 'total = 3.\n');
  t.match((await tfg('run', fx('f.tfg'), '--fetch', 'ff')).err, /Did you mean 'f'\?/);
  t.end();
});

t.test('a data file the build read is part of the entry: changed, it is a miss', async (t) => {
  clearCache(CACHE);
  const dir = mkdtempSync(join(tmp, 'data-'));
  const prog = join(dir, 'sum.tfg');
  const csv = join(dir, 'd.csv');
  writeFileSync(prog, 'd = load_csv("d.csv")\ns = reduce_sum(constant(d.data), name="s")\n');
  writeFileSync(csv, 'a,b\n1,2\n3,4\n');
  t.equal((await tfg('run', prog, '--fetch', 's')).out, 's = 10.\n');
  let hits = cacheEvents.hits;
  t.equal((await tfg('run', prog, '--fetch', 's')).out, 's = 10.\n');
  t.equal(cacheEvents.hits, hits + 1, 'unchanged: a hit');
  // Same size, new content, the mtime moved: a miss, and the new value.
  writeFileSync(csv, 'a,b\n5,2\n3,4\n');
  const later = new Date(Date.now() + 5000);
  utimesSync(csv, later, later);
  hits = cacheEvents.hits;
  t.equal((await tfg('run', prog, '--fetch', 's')).out, 's = 14.\n');
  t.equal(cacheEvents.hits, hits, 'changed: a miss');
  // Touched but the same content: still a hit.
  const later2 = new Date(Date.now() + 10000);
  utimesSync(csv, later2, later2);
  t.equal((await tfg('run', prog, '--fetch', 's')).out, 's = 14.\n');
  t.equal(cacheEvents.hits, hits + 1, 'touched, same bytes: a hit');
  t.end();
});

t.test('a corrupt or partial entry is a miss and is rewritten', async (t) => {
  clearCache(CACHE);
  const want = await tfg('run', fx('f.tfg'), '--fetch', 'f');
  const entry = join(
    CACHE,
    readdirSync(CACHE).find((n) => n.endsWith('.tfgc'))!,
  );
  const size = statSync(entry).size;
  for (const cut of [0, 7, 100, size - 1]) {
    truncateSync(entry, cut);
    const hits = cacheEvents.hits;
    t.same(await tfg('run', fx('f.tfg'), '--fetch', 'f'), want, `cut at ${cut}: the same output`);
    t.equal(cacheEvents.hits, hits, `cut at ${cut}: a miss`);
    t.equal(statSync(entry).size, size, `cut at ${cut}: rewritten`);
  }
  // Bytes flipped inside the module: its hash differs.
  const bytes = readFileSync(entry);
  bytes[bytes.length - 10] ^= 0xff;
  writeFileSync(entry, bytes);
  const hits = cacheEvents.hits;
  t.same(await tfg('run', fx('f.tfg'), '--fetch', 'f'), want);
  t.equal(cacheEvents.hits, hits, 'a flipped byte: a miss');
  t.end();
});

t.test('a build that drew random seeds is not kept', async (t) => {
  clearCache(CACHE);
  const prog = join(tmp, 'unseeded.tfg');
  writeFileSync(prog, 'r = random_uniform([2])\n');
  const a = await tfg('run', prog, '--fetch', 'r');
  t.equal(a.code, 0, a.err);
  t.equal(cacheStats(CACHE).entries, 0);
  t.end();
});

t.test('the folder stays within its bound (least recently used first)', (t) => {
  const dir = mkdtempSync(join(tmp, 'bound-'));
  const wasm = new Uint8Array(1000);
  for (const k of ['a', 'b', 'c']) {
    writeEntry(dir, k, { meta: {}, deps: [], wasm }, 1e9);
    const old = new Date(Date.now() - (k === 'a' ? 3000 : k === 'b' ? 2000 : 1000));
    utimesSync(join(dir, `${k}.tfgc`), old, old);
  }
  t.ok(readEntry(dir, 'a'), 'a is used: now the most recent');
  pruneCache(dir, 2500);
  t.same(readdirSync(dir).sort(), ['a.tfgc', 'c.tfgc'], 'b, the least recently used, removed');
  t.end();
});

t.test('tfg cache dir | info | clear, and the folder by environment', async (t) => {
  t.equal((await tfg('cache', 'dir')).out, `${CACHE}\n`);
  await tfg('run', fx('f.tfg'), '--fetch', 'f');
  // binaryen's code cache (cli/binaryen-cache.ts) lives in the same folder: counted and cleared too.
  mkdirSync(join(CACHE, 'v8'), { recursive: true });
  writeFileSync(join(CACHE, 'v8', 'binaryen-test.cache'), new Uint8Array(3 * 1024 * 1024));
  t.match((await tfg('cache', 'info')).out, /1 entry, .*; binaryen's code cache \d+\.\d MB/);
  t.match((await tfg('cache', 'clear')).out, /removed 1 entry and binaryen's code cache from /);
  t.equal(cacheStats(CACHE).entries, 0);
  t.same(readdirSync(join(CACHE, 'v8')), [], 'the code cache is gone');
  t.notMatch((await tfg('cache', 'info')).out, /code cache/);
  t.equal(cacheDir({ TFG_CACHE_DIR: '/x' }), '/x');
  t.equal(cacheDir({ XDG_CACHE_HOME: '/y' }), join('/y', 'tfg'));
  t.match(cacheDir({}), /\.cache[/\\]tfg$/);
  t.end();
});

t.test('the cached run loads no part of the compiler but its diagnostics and host layer', (t) => {
  // Walk the static imports of the hit path (cli/run-exec.js, compiled) transitively.
  const seen = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  walk(repoPath('dist/cli/run-exec.js'));
  const compiler = [...seen].map((f) => f.slice(repoPath('dist').length + 1)).filter((f) => f.startsWith('compiler/'));
  t.same(
    compiler.filter((f) => !f.startsWith('compiler/diagnostics/') && f !== 'compiler/host.js'),
    [],
    'only compiler/diagnostics and compiler/host.js',
  );
  t.notOk(
    [...packages].some((p) => /binaryen|chevrotain|vega/.test(p)),
    `packages: ${[...packages].join(', ')}`,
  );
  t.end();
});

t.teardown(() => void setHost(base));
