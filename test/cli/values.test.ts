/**
 * @fileoverview The CLI's pieces as functions: `--feed` parsing (literals and files), fetch
 * printing (numpy text laid out and summarised as numpy's str(), JSON), `.npy` output, error
 * rendering with node and location.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SourceFile, span } from '../../compiler/diagnostics/span.js';
import { Graph } from '../../compiler/ir/graph.js';
import { CliError, renderError } from '../../cli/io.js';
import { runRun } from '../../cli/run.js';
import {
  MAX_JSON_CHARS,
  fetchToJson,
  formatFetchText,
  formatFetchesJson,
  loadFeedValue,
  npyFileName,
  parseFeedArg,
  parseLiteral,
  writeFetches,
} from '../../cli/values.js';
import { InvalidArgumentError } from '../../session/errors.js';
import { readNpy, writeNpy } from '../../session/io/npy.js';
import { Tensor, fromNested } from '../../session/tensor.js';
import { formatTensor } from '../../session/format.js';

// tfg run keeps its compiles in a cache folder: this file's own, not the user's.
process.env.TFG_CACHE_DIR = mkdtempSync(join(tmpdir(), 'tfg-cache-'));

t.test('--feed NAME=VALUE parsing', (t) => {
  t.same(parseFeedArg('X=[[1,2,3]]'), { name: 'X', text: '[[1,2,3]]' });
  t.same(parseFeedArg('a/b:0=1=2'), { name: 'a/b:0', text: '1=2' });
  t.throws(() => parseFeedArg('X'), CliError);
  t.throws(() => parseFeedArg('=3'), CliError);
  t.same(parseLiteral('[[1, 2.5], [true, False]]', 'x'), [
    [1, 2.5],
    [true, false],
  ]);
  t.equal(parseLiteral(' 42 ', 'x'), 42);
  t.ok(Number.isNaN(parseLiteral('nan', 'x') as number));
  t.equal(parseLiteral('-inf', 'x'), -Infinity);
  t.throws(() => parseLiteral('[1,', 'x'), { message: "x: cannot parse '[1,' as a number or a JSON array" });
  t.throws(() => parseLiteral('"s"', 'x'), { message: 'x: expected a number, a boolean or nested arrays of them' });
  t.end();
});

t.test('--feed X=@file: npy, csv (header detected), json', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfg-cli-'));
  writeFileSync(
    join(dir, 'a.npy'),
    writeNpy(
      fromNested('f32', [
        [1, 2],
        [3, 4],
      ]),
    ),
  );
  writeFileSync(join(dir, 'h.csv'), 'a,b\n1,2\n3,4.5\n');
  writeFileSync(join(dir, 'n.csv'), '1,2\n3,4\n');
  writeFileSync(join(dir, 'v.json'), '[[1, 2, 3]]');
  const npy = loadFeedValue({ name: 'X', text: '@a.npy' }, dir) as Tensor;
  t.same(npy.toNested(), [
    [1, 2],
    [3, 4],
  ]);
  const h = loadFeedValue({ name: 'X', text: '@h.csv' }, dir) as Tensor;
  t.same(h.shape, [2, 2]);
  t.same(h.toNested(), [
    [1, 2],
    [3, 4.5],
  ]);
  t.same((loadFeedValue({ name: 'X', text: '@n.csv' }, dir) as Tensor).shape, [2, 2], 'no header: every row is data');
  t.same(loadFeedValue({ name: 'X', text: '@v.json' }, dir), [[1, 2, 3]]);
  t.throws(() => loadFeedValue({ name: 'X', text: '@missing.npy' }, dir), { message: "--feed X: cannot read 'missing.npy' (ENOENT)" });
  writeFileSync(join(dir, 'x.txt'), '1');
  t.throws(() => loadFeedValue({ name: 'X', text: '@x.txt' }, dir), { message: "--feed X: unsupported file type '.txt' (expected .npy, .csv or .json)" });
  t.end();
});

t.test('printing fetches: numpy text, JSON, .npy files', (t) => {
  t.equal(formatFetchText('f', Tensor.scalar('i32', 42)), 'f = 42');
  t.equal(
    formatFetchText(
      'w',
      fromNested('f32', [
        [1, 2],
        [3, 4],
      ]),
    ),
    'w = [[1. 2.]\n [3. 4.]]',
  );
  t.equal(formatFetchText('init', null), 'init = None');
  t.equal(JSON.stringify({ f: fetchToJson(Tensor.scalar('i32', 42)) }), '{"f":{"dtype":"int32","shape":[],"value":42}}');
  t.same(fetchToJson(fromNested('f64', [NaN, Infinity, 1])), { dtype: 'float64', shape: [3], value: ['NaN', 'Infinity', 1] });
  t.same(fetchToJson(fromNested('bool', [true, false])), { dtype: 'bool', shape: [2], value: [true, false] });
  t.equal(fetchToJson(null), null);
  t.equal(npyFileName('loss/mse'), 'loss_mse.npy');
  const dir = mkdtempSync(join(tmpdir(), 'tfg-out-'));
  const written = writeFetches(join(dir, 'o'), [
    ['loss/mse', Tensor.scalar('f32', 0.5)],
    ['init', null],
  ]);
  t.same(written, [join(dir, 'o', 'loss_mse.npy')]);
  t.equal(readNpy(new Uint8Array(readFileSync(written[0]))).data[0], 0.5);
  t.end();
});

t.test('errors render with node name and location, no stack', (t) => {
  const src = new SourceFile('p.tfg', 'X = placeholder(f32, shape=[None, 3], name="X")\n');
  const g = new Graph();
  g.addNode('placeholder', 'X', [], {}, 'f32', [null, 3], { span: span(src, 4, 47) });
  const e = new InvalidArgumentError("You must feed a value for placeholder tensor 'X' with dtype float and shape [?,3]", 'X', {
    file: 'p.tfg',
    line: 1,
    col: 5,
  });
  const text = renderError(e, [g]);
  t.equal(
    text,
    [
      "p.tfg:1:5: error TFG5001: InvalidArgumentError: You must feed a value for placeholder tensor 'X' with dtype float and shape [?,3] [node X]",
      '  1 | X = placeholder(f32, shape=[None, 3], name="X")',
      '    |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
    ].join('\n'),
  );
  t.equal(
    renderError(e, []),
    "p.tfg:1:5: error TFG5001: InvalidArgumentError: You must feed a value for placeholder tensor 'X' with dtype float and shape [?,3] [node X]",
  );
  t.equal(renderError(new CliError('no graph named q')), 'tfg: no graph named q');
  t.equal(renderError(new RangeError('x')), 'tfg: RangeError: x (internal error)');
  t.end();
});

/** An int32 tensor 0, 1, 2, ... of a shape. */
const iota = (shape: number[]): Tensor =>
  new Tensor(
    'i32',
    shape,
    Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i),
  );

t.test('large tensors print summarised as numpy does (threshold 1000, 3 edge items, width 75)', (t) => {
  // Expected texts are numpy 2.x's str() of the same int32 arrays.
  t.equal(formatTensor(iota([2000])), '[   0    1    2 ... 1997 1998 1999]');
  t.equal(formatTensor(iota([1, 1001])), '[[   0    1    2 ...  998  999 1000]]');
  t.equal(formatTensor(iota([1000])).split('\n').length, 56, '1000 elements: not summarised, wrapped at 75 columns');
  t.equal(
    formatTensor(iota([40, 50])),
    '[[   0    1    2 ...   47   48   49]\n [  50   51   52 ...   97   98   99]\n [ 100  101  102 ...  147  148  149]\n ...\n [1850 1851 1852 ... 1897 1898 1899]\n [1900 1901 1902 ... 1947 1948 1949]\n [1950 1951 1952 ... 1997 1998 1999]]',
  );
  const cube = formatTensor(iota([10, 10, 30]));
  t.ok(
    cube.startsWith(
      '[[[   0    1    2 ...   27   28   29]\n  [  30   31   32 ...   57   58   59]\n  [  60   61   62 ...   87   88   89]\n  ...\n  [ 210  211  212 ...  237  238  239]\n',
    ),
    cube,
  );
  t.ok(
    cube.includes('  [ 870  871  872 ...  897  898  899]]\n\n ...\n\n [[2100 2101 2102 ... 2127 2128 2129]\n'),
    'blocks of the outer axis: blank lines around ...',
  );
  t.ok(cube.endsWith('  [2970 2971 2972 ... 2997 2998 2999]]]'));
  t.equal(
    formatTensor(
      new Tensor(
        'i32',
        [30],
        Int32Array.from({ length: 30 }, (_, i) => i * 1000),
      ),
    ),
    '[    0  1000  2000  3000  4000  5000  6000  7000  8000  9000 10000 11000\n 12000 13000 14000 15000 16000 17000 18000 19000 20000 21000 22000 23000\n 24000 25000 26000 27000 28000 29000]',
  );
  // The width comes from the items shown: a large value hidden by the summary does not widen them.
  const wide = iota([2000]);
  wide.data[1000] = 123456789;
  t.equal(formatTensor(wide), '[   0    1    2 ... 1997 1998 1999]');
  // Sizes that used to overflow the stack (Math.max(...strings) over every element).
  const big = Tensor.zeros('f32', [1 << 21]);
  t.equal(formatFetchText('a', big), 'a = [0. 0. 0. ... 0. 0. 0.]');
  t.equal(
    formatTensor(Tensor.zeros('f32', [1 << 12, 1 << 10])),
    '[[0. 0. 0. ... 0. 0. 0.]\n [0. 0. 0. ... 0. 0. 0.]\n [0. 0. 0. ... 0. 0. 0.]\n ...\n [0. 0. 0. ... 0. 0. 0.]\n [0. 0. 0. ... 0. 0. 0.]\n [0. 0. 0. ... 0. 0. 0.]]',
  );
  t.end();
});

t.test('empty tensors print [] whatever their shape', (t) => {
  t.equal(formatTensor(Tensor.zeros('f32', [0])), '[]');
  t.equal(formatTensor(Tensor.zeros('f32', [3, 0])), '[]');
  // 2^32 empty rows: numpy prints [] without visiting them, and so does tfg.
  t.equal(formatFetchText('e', Tensor.zeros('f32', [65536, 65536, 0])), 'e = []');
  t.end();
});

t.test('--json text: every value, exactly JSON.stringify of fetchToJson, or a clean refusal', (t) => {
  const named: [string, Tensor | null][] = [
    [
      'w',
      fromNested('f32', [
        [1, 2.5],
        [-0, 4],
      ]),
    ],
    ['nan', fromNested('f64', [NaN, Infinity, -Infinity])],
    ['b', fromNested('bool', [[true], [false]])],
    ['s', Tensor.scalar('i32', 7)],
    ['e', Tensor.zeros('f32', [2, 0])],
    ['init', null],
  ];
  const obj: Record<string, unknown> = {};
  for (const [n, v] of named) obj[n] = fetchToJson(v);
  t.equal(formatFetchesJson(named), JSON.stringify(obj));
  const big = iota([3000]);
  t.same((JSON.parse(formatFetchesJson([['x', big]])) as { x: { value: number[] } }).x.value.length, 3000, 'not summarised');
  t.throws(() => formatFetchesJson([['e', Tensor.zeros('f32', [65536, 65536, 0])]]), {
    name: 'CliError',
    message: `--json: the fetched values are too large to print as one JSON text (more than ${MAX_JSON_CHARS} characters); write them with --out DIR (one .npy file per fetch)`,
  });
  t.end();
});

t.test('tfg run: --out is written before printing, so a printing failure cannot lose it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfg-big-'));
  const src = join(dir, 'big.tfg');
  writeFileSync(src, 'a = zeros([1000000])\ne = zeros([65536, 65536, 0])\n');
  const lines: string[] = [];
  const io = { out: (s: string) => lines.push(s), err: (s: string) => lines.push(`err: ${s}`), color: false };
  t.equal(runRun(src, { fetch: ['a', 'e'], backend: 'reference', out: join(dir, 'o') }, io), 0, lines.join('\n'));
  t.same(lines, ['a = [0. 0. 0. ... 0. 0. 0.]', 'e = []']);
  t.equal(readNpy(new Uint8Array(readFileSync(join(dir, 'o', 'a.npy')))).size, 1000000);
  t.same(readNpy(new Uint8Array(readFileSync(join(dir, 'o', 'e.npy')))).shape, [65536, 65536, 0]);
  // A stdout that fails (a closed pipe, say) fails the command, after the files are written.
  const failing = {
    out: () => {
      throw new Error('EPIPE');
    },
    err: (s: string) => lines.push(`err: ${s}`),
    color: false,
  };
  t.equal(runRun(src, { fetch: ['a'], backend: 'reference', out: join(dir, 'p') }, failing), 1);
  t.ok(existsSync(join(dir, 'p', 'a.npy')), '--out written');
  // --json of 2^32 empty rows is refused cleanly (and --out still written).
  lines.length = 0;
  t.equal(runRun(src, { fetch: ['e'], backend: 'reference', json: true, out: join(dir, 'q') }, io), 1);
  t.match(lines.join('\n'), /--json: the fetched values are too large to print as one JSON text/);
  t.ok(existsSync(join(dir, 'q', 'e.npy')));
  t.end();
});
