/**
 * @fileoverview End-to-end `tfg` commands on the fixtures in test/cli/fixtures, run in-process
 * through `runCli` (the same command table and implementations as the binary): run (text, JSON,
 * feeds from literals and files, --out, --graph, --no-init, backends), check (ok and located
 * errors with a caret), graph (text, DOT clusters), exit codes, --help and --version, and no
 * stack traces anywhere. A few cases spawn the real binary: the bin entry, `--version`, and a
 * reader that closes the pipe early (`| head -1`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { readNpy } from '../../session/io/npy.js';
import { runCli } from '../../cli/main.js';
import { repoPath } from '../helpers.js';

// tfg run keeps its compiles in a cache folder: this file's own, not the user's.
process.env.TFG_CACHE_DIR = mkdtempSync(join(tmpdir(), 'tfg-cache-'));

const MAIN = repoPath('dist/cli/main.js');
const fx = (name: string): string => join('test', 'cli', 'fixtures', name);

/** A command line, in-process; stdout and stderr as the terminal would show them. */
async function tfg(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const line = (s: string): string => (s.endsWith('\n') ? s : s + '\n');
  const code = await runCli(args, { out: (s) => void out.push(line(s)), err: (s) => void err.push(line(s)), color: false });
  return { code, out: out.join(''), err: err.join('') };
}

/** The real binary, spawned. */
function spawnTfg(args: string[], shell?: string): { code: number; out: string; err: string } {
  const r = shell
    ? spawnSync('/bin/sh', ['-c', shell], { cwd: repoPath(), encoding: 'utf8' })
    : spawnSync(process.execPath, [MAIN, ...args], { cwd: repoPath(), encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function noStack(t: Test, r: { out: string; err: string }): void {
  t.notMatch(r.err, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');
}

t.test('tfg run prints f = 42 for the seed graph (initializers run by default)', async (t) => {
  const r = await tfg('run', fx('f.tfg'), '--fetch', 'f');
  t.equal(r.code, 0, r.err);
  t.equal(r.out, 'f = 42\n');
  const several = await tfg('run', fx('f.tfg'), '--fetch', 'f', 'x', 'y:0');
  t.equal(several.out, 'f = 42\nx = 3\ny:0 = 4\n');
  t.end();
});

t.test('tfg run --json', async (t) => {
  const r = await tfg('run', fx('f.tfg'), '--fetch', 'f', 'x', '--json');
  t.equal(r.code, 0, r.err);
  t.same(JSON.parse(r.out), { f: { dtype: 'int32', shape: [], value: 42 }, x: { dtype: 'int32', shape: [], value: 3 } });
  t.end();
});

t.test('tfg run --feed: literal, csv file, scope names, operations, --out', async (t) => {
  const r = await tfg('run', fx('linear.tfg'), '--fetch', 'y', 'loss/mse', 'init', '--feed', 'X=[[1,1,1],[1,0,0]]');
  t.equal(r.code, 0, r.err);
  t.equal(r.out, 'y = [[6.]\n [1.]]\nloss/mse = 18.5\ninit = None\n');
  const dir = mkdtempSync(join(tmpdir(), 'tfg-run-'));
  const c = await tfg('run', fx('linear.tfg'), '--fetch', 'loss/mse', '--feed', `X=@${fx('X.csv')}`, '--out', dir, '--json');
  t.equal(c.code, 0, c.err);
  t.same(JSON.parse(c.out), { 'loss/mse': { dtype: 'float32', shape: [], value: 18.5 } });
  const npy = join(dir, 'loss_mse.npy');
  t.ok(existsSync(npy));
  t.equal(readNpy(new Uint8Array(readFileSync(npy))).data[0], 18.5);
  t.end();
});

t.test('tfg run --graph selects a named graph', async (t) => {
  t.equal((await tfg('run', fx('linear.tfg'), '--graph', 'other', '--fetch', 'z')).out, 'z = 7\n');
  const r = await tfg('run', fx('linear.tfg'), '--graph', 'nope', '--fetch', 'z');
  t.equal(r.code, 1);
  t.equal(r.err, "tfg: no graph named 'nope' (graphs: default, other)\n");
  t.end();
});

t.test('tfg run errors: exit 1, TF1 message, node name and file:line:col, no stack', async (t) => {
  const unfed = await tfg('run', fx('linear.tfg'), '--fetch', 'y');
  t.equal(unfed.code, 1);
  t.equal(unfed.out, '');
  t.match(
    unfed.err,
    `test/cli/fixtures/linear.tfg:2:5: error TFG5001: InvalidArgumentError: You must feed a value for placeholder tensor 'X' with dtype float and shape [?,3] [node X]`,
  );
  t.match(unfed.err, /\n {2}2 \| X = placeholder/);
  noStack(t, unfed);

  const noInit = await tfg('run', fx('f.tfg'), '--fetch', 'f', '--no-init');
  t.equal(noInit.code, 1);
  t.match(noInit.err, 'f.tfg:2:5: error TFG5001: FailedPreconditionError: Attempting to use uninitialized value x [node x]');

  const shape = await tfg('run', fx('linear.tfg'), '--fetch', 'y', '--feed', 'X=[1,2]');
  t.equal(shape.code, 1);
  t.match(shape.err, "ValueError: Cannot feed value of shape (2,) for Tensor 'X:0', which has shape '(?, 3)' [node X]");

  const op = await tfg('run', fx('rt_error.tfg'), '--fetch', 'g', '--feed', 'i=7');
  t.equal(op.code, 1);
  t.match(op.err, /rt_error\.tfg:3:5: error TFG5001: InvalidArgumentError: .*7.* \[node pick\]/);
  noStack(t, op);

  const unknown = await tfg('run', fx('f.tfg'), '--fetch', 'q');
  t.equal(unknown.err, "tfg: no variable or node named 'q' in graph 'default'\n");
  const unknownTensor = await tfg('run', fx('f.tfg'), '--fetch', 'q:0');
  t.equal(
    unknownTensor.err,
    `tfg: ValueError: Fetch argument 'q:0' cannot be interpreted as a Tensor. ("The name 'q:0' refers to a Tensor which does not exist. The operation, 'q', does not exist in the graph.")\n`,
  );
  const badFeed = await tfg('run', fx('linear.tfg'), '--fetch', 'y', '--feed', 'X=[1,');
  t.equal(badFeed.err, "tfg: --feed X: cannot parse '[1,' as a number or a JSON array\n");
  const missing = await tfg('run', fx('missing.tfg'), '--fetch', 'f');
  t.equal(missing.code, 1);
  t.match(missing.err, /^tfg: cannot read 'test\/cli\/fixtures\/missing.tfg' \(ENOENT\)/);
  t.end();
});

t.test('tfg run --backend: reference and wasm print the same', async (t) => {
  t.equal((await tfg('run', fx('f.tfg'), '--fetch', 'f', '--backend', 'reference')).out, 'f = 42\n');
  const w = await tfg('run', fx('f.tfg'), '--fetch', 'f', '--backend', 'wasm');
  t.equal(w.code, 0, w.err);
  t.equal(w.out, 'f = 42\n');
  t.equal((await tfg('run', fx('f.tfg'), '--fetch', 'f', '--backend', 'gpu')).code, 1);
  for (const args of [
    ['run', fx('linear.tfg'), '--fetch', 'y', 'loss/mse', 'init', '--feed', 'X=[[1,1,1],[1,0,0]]', '--json'],
    ['run', fx('linear.tfg'), '--fetch', 'y', '--feed', 'X=[1,2]'],
    ['run', fx('rt_error.tfg'), '--fetch', 'g', '--feed', 'i=7'],
    ['run', fx('linear.tfg'), '--fetch', 'y'],
  ]) {
    const ref = await tfg(...args, '--backend', 'reference');
    const wasm = await tfg(...args, '--backend', 'wasm');
    t.same([wasm.code, wasm.out, wasm.err], [ref.code, ref.out, ref.err], `the same output and errors: ${args.join(' ')}`);
  }
  t.end();
});

t.test('tfg run compiles to WebAssembly by default; a graph it cannot compile runs on the reference after a note', async (t) => {
  const auto = await tfg('run', fx('unknown_rank.tfg'), '--fetch', 'b', '--feed', 'a=[1,2]');
  t.equal(auto.code, 0, auto.err);
  t.equal(auto.out, 'b = [2. 3.]\n');
  t.match(
    auto.err,
    /^note: graph 'default' does not compile to WebAssembly \(TFG4002: signature 'inc' cannot be compiled: Cannot compile 'a' \(op placeholder\): its rank is unknown; give the placeholder a shape\); running it on the reference Session\n$/,
  );
  const strict = await tfg('run', fx('unknown_rank.tfg'), '--fetch', 'b', '--feed', 'a=[1,2]', '--backend', 'wasm');
  t.equal(strict.code, 1, 'an explicit --backend wasm does not fall back');
  t.match(strict.err, /TFG4002|cannot be compiled/);
  noStack(t, strict);
  t.equal((await tfg('run', fx('f.tfg'), '--fetch', 'f')).err, '', 'no note when the program compiles');
  t.end();
});

t.test('tfg check: ok with node and graph counts; errors with file:line:col and a caret', async (t) => {
  const ok = await tfg('check', fx('linear.tfg'));
  t.equal(ok.code, 0, ok.err);
  t.match(ok.out, /^ok: \d+ nodes in 2 graphs\n$/);
  const bad = await tfg('check', fx('broken.tfg'));
  t.equal(bad.code, 1);
  t.match(bad.err, /^test\/cli\/fixtures\/broken\.tfg:2:5: error TFG2001: Dimensions must be equal, but are 2 and 3/);
  t.match(bad.err, /\n {2}2 \| b = a \+ constant\(\[1\.0, 2\.0, 3\.0\]\)\n {4}\| {5}\^+/);
  t.notMatch(bad.err, /\x1b\[/, 'no colors when not a TTY');
  const syn = await tfg('check', fx('syntax.tfg'));
  t.equal(syn.code, 1);
  t.match(syn.err, /^test\/cli\/fixtures\/syntax\.tfg:2:\d+: error TFG1\d{3}: /);
  t.match(syn.err, /\n {4}\| +\^/);
  noStack(t, syn);
  t.end();
});

t.test('tfg graph: text IR and DOT with name-scope clusters', async (t) => {
  const text = await tfg('graph', fx('linear.tfg'));
  t.equal(text.code, 0, text.err);
  t.match(text.out, /^graph default \{/);
  t.match(text.out, /\n {2}%X: f32\[\?,3\] = placeholder\(\) \{dtype=f32, shape=\[\?,3\]\} @ test\/cli\/fixtures\/linear\.tfg:2:5\n/);
  t.match(text.out, /\n {2}%loss\/mse: f32\[\] = reduce_mean\(%loss\/\S+\) .*@ test\/cli\/fixtures\/linear\.tfg:6:\d+\n/);
  const other = await tfg('graph', fx('linear.tfg'), '--graph', 'other');
  t.match(other.out, /^graph other \{/);
  const dot = await tfg('graph', fx('linear.tfg'), '--format', 'dot');
  t.equal(dot.code, 0, dot.err);
  t.match(dot.out, /^digraph default \{/);
  t.match(dot.out, /subgraph cluster_loss \{/);
  t.match(dot.out, /"X" -> "loss\/\S+"/);
  // svg is laid out by Graphviz compiled to WebAssembly: no system package needed.
  const svg = await tfg('graph', fx('linear.tfg'), '--format', 'svg');
  t.equal(svg.code, 0);
  t.match(svg.out, /<svg[\s\S]*cluster_loss[\s\S]*<\/svg>/);
  const bad = await tfg('graph', fx('linear.tfg'), '--format', 'png');
  t.equal(bad.code, 1);
  t.equal(bad.err, "tfg: unknown --format 'png' (expected text, dot or svg)\n");
  t.end();
});

t.test('--help on every command, --version', async (t) => {
  const v = await tfg('--version');
  t.equal(v.code, 0);
  t.equal(v.out.trim(), JSON.parse(readFileSync(repoPath('package.json'), 'utf8')).version);
  const help = await tfg('--help');
  for (const c of ['check', 'graph', 'run', 'plot']) t.match(help.out, new RegExp(`\\n {2}${c}\\b`));
  for (const c of ['check', 'graph', 'run']) {
    const h = await tfg(c, '--help');
    t.equal(h.code, 0);
    t.match(h.out, new RegExp(`^Usage: tfg ${c} \\[options\\] <file>`));
  }
  t.end();
});

t.test('the binary itself: bin entry, --version, a reader that stops early', (t) => {
  const v = spawnTfg(['--version']);
  t.equal(v.code, 0, v.err);
  t.equal(v.out.trim(), JSON.parse(readFileSync(repoPath('package.json'), 'utf8')).version);
  const r = spawnTfg(['run', fx('f.tfg'), '--fetch', 'f', '--backend', 'reference']);
  t.equal(r.code, 0, r.err);
  t.equal(r.out, 'f = 42\n');
  // `tfg graph ... | head -1`: the pipe closes early; no EPIPE stack trace.
  const h = spawnTfg([], `${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} graph ${fx('long_chain.tfg')} --format dot | head -1`);
  t.equal(h.out, 'digraph default {\n');
  t.equal(h.err, '', 'nothing on stderr');
  noStack(t, h);
  t.end();
});

t.test('tfg run fetches a binding holding a list, tuple or dict as Session.run does', async (t) => {
  const r = await tfg('run', fx('grads.tfg'), '--fetch', 'grads', 'd', 'f');
  t.equal(r.code, 0, r.err);
  t.equal(r.out, "grads[0] = 12.\ngrads[1] = 9.\nd['f'] = 18.\nd['pair'][0] = 3.\nd['pair'][1] = 2.\nf = 18.\n");
  const j = await tfg('run', fx('grads.tfg'), '--fetch', 'grads', '--json');
  t.same(JSON.parse(j.out), {
    grads: [
      { dtype: 'float32', shape: [], value: 12 },
      { dtype: 'float32', shape: [], value: 9 },
    ],
  });
  const ref = await tfg('run', fx('grads.tfg'), '--fetch', 'grads', 'd', 'f', '--backend', 'reference');
  t.equal(ref.out, r.out, 'the reference prints the same');
  t.end();
});
