/**
 * @fileoverview The CLI's pieces as functions: `--feed` parsing (literals and files), fetch
 * printing (numpy text, JSON), `.npy` output, error rendering with node and location.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SourceFile, span } from '../../compiler/diagnostics/span.js';
import { Graph } from '../../compiler/ir/graph.js';
import { CliError, renderError } from '../../cli/io.js';
import { fetchToJson, formatFetchText, loadFeedValue, npyFileName, parseFeedArg, parseLiteral, writeFetches } from '../../cli/values.js';
import { InvalidArgumentError } from '../../session/errors.js';
import { readNpy, writeNpy } from '../../session/io/npy.js';
import { Tensor, fromNested } from '../../session/tensor.js';

t.test('--feed NAME=VALUE parsing', (t) => {
  t.same(parseFeedArg('X=[[1,2,3]]'), { name: 'X', text: '[[1,2,3]]' });
  t.same(parseFeedArg('a/b:0=1=2'), { name: 'a/b:0', text: '1=2' });
  t.throws(() => parseFeedArg('X'), CliError);
  t.throws(() => parseFeedArg('=3'), CliError);
  t.same(parseLiteral('[[1, 2.5], [true, False]]', 'x'), [[1, 2.5], [true, false]]);
  t.equal(parseLiteral(' 42 ', 'x'), 42);
  t.ok(Number.isNaN(parseLiteral('nan', 'x') as number));
  t.equal(parseLiteral('-inf', 'x'), -Infinity);
  t.throws(() => parseLiteral('[1,', 'x'), { message: "x: cannot parse '[1,' as a number or a JSON array" });
  t.throws(() => parseLiteral('"s"', 'x'), { message: 'x: expected a number, a boolean or nested arrays of them' });
  t.end();
});

t.test('--feed X=@file: npy, csv (header detected), json', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfg-cli-'));
  writeFileSync(join(dir, 'a.npy'), writeNpy(fromNested('f32', [[1, 2], [3, 4]])));
  writeFileSync(join(dir, 'h.csv'), 'a,b\n1,2\n3,4.5\n');
  writeFileSync(join(dir, 'n.csv'), '1,2\n3,4\n');
  writeFileSync(join(dir, 'v.json'), '[[1, 2, 3]]');
  const npy = loadFeedValue({ name: 'X', text: '@a.npy' }, dir) as Tensor;
  t.same(npy.toNested(), [[1, 2], [3, 4]]);
  const h = loadFeedValue({ name: 'X', text: '@h.csv' }, dir) as Tensor;
  t.same(h.shape, [2, 2]);
  t.same(h.toNested(), [[1, 2], [3, 4.5]]);
  t.same((loadFeedValue({ name: 'X', text: '@n.csv' }, dir) as Tensor).shape, [2, 2], 'no header: every row is data');
  t.same(loadFeedValue({ name: 'X', text: '@v.json' }, dir), [[1, 2, 3]]);
  t.throws(() => loadFeedValue({ name: 'X', text: '@missing.npy' }, dir), { message: "--feed X: cannot read 'missing.npy' (ENOENT)" });
  writeFileSync(join(dir, 'x.txt'), '1');
  t.throws(() => loadFeedValue({ name: 'X', text: '@x.txt' }, dir), { message: "--feed X: unsupported file type '.txt' (expected .npy, .csv or .json)" });
  t.end();
});

t.test('printing fetches: numpy text, JSON, .npy files', (t) => {
  t.equal(formatFetchText('f', Tensor.scalar('i32', 42)), 'f = 42');
  t.equal(formatFetchText('w', fromNested('f32', [[1, 2], [3, 4]])), 'w = [[1. 2.]\n [3. 4.]]');
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
  const e = new InvalidArgumentError("You must feed a value for placeholder tensor 'X' with dtype float and shape [?,3]", 'X', { file: 'p.tfg', line: 1, col: 5 });
  const text = renderError(e, [g]);
  t.equal(
    text,
    [
      "p.tfg:1:5: error TFG5001: InvalidArgumentError: You must feed a value for placeholder tensor 'X' with dtype float and shape [?,3] [node X]",
      '  1 | X = placeholder(f32, shape=[None, 3], name="X")',
      '    |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
    ].join('\n'),
  );
  t.equal(renderError(e, []), "p.tfg:1:5: error TFG5001: InvalidArgumentError: You must feed a value for placeholder tensor 'X' with dtype float and shape [?,3] [node X]");
  t.equal(renderError(new CliError('no graph named q')), 'tfg: no graph named q');
  t.equal(renderError(new RangeError('x')), 'tfg: RangeError: x (internal error)');
  t.end();
});
