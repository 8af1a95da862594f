/**
 * @fileoverview "Did you mean": unknown names, attributes, keyword arguments, recipe keys and
 * CLI names suggest the closest known word when one is close (a typo, a swap, a case slip), and
 * nothing when none is.
 */
import t from 'tap';
import { closest, editDistance } from '../../compiler/diagnostics/suggest.js';
import { build, firstError } from './helpers.js';
import { memoryIo } from '../../cli/io.js';
import { runCli } from '../../cli/main.js';

t.test('edit distance with swaps; closeness', (t) => {
  t.equal(editDistance('nmae', 'name'), 1);
  t.equal(editDistance('reduce_men', 'reduce_mean'), 1);
  t.equal(editDistance('', 'abc'), 3);
  t.equal(closest('nmae', ['name', 'axis']), 'name');
  t.equal(closest('Relu', ['relu', 'elu']), 'relu', 'a case slip always');
  t.equal(closest('zzzzzz', ['name', 'axis']), null, 'nothing close');
  t.equal(closest('x', ['y']), null, 'one letter is not a suggestion for another');
  t.end();
});

t.test('NameError, AttributeError and keyword arguments suggest', (t) => {
  t.match(firstError(build('x = constant(1.0)\ny = reduce_men(x)\n')), "2:5: NameError: name 'reduce_men' is not defined. Did you mean: 'reduce_mean'?");
  t.match(firstError(build('learning_rate = 0.1\ny = learnig_rate * 2\n')), "NameError: name 'learnig_rate' is not defined. Did you mean: 'learning_rate'?");
  t.match(firstError(build('x = constant(1.0)\ny = x.shap\n')), "AttributeError: 'Tensor' object has no attribute 'shap'. Did you mean: 'shape'?");
  t.match(
    firstError(build('x = constant(1.0)\ny = reduce_mean(x, nmae="a")\n')),
    "TypeError: reduce_mean() got an unexpected keyword argument 'nmae'. Did you mean 'name'?",
  );
  t.match(
    firstError(build('def f(alpha) {\n  return alpha\n}\ny = f(aplha=1)\n')),
    "TypeError: f() got an unexpected keyword argument 'aplha'. Did you mean 'alpha'?",
  );
  t.match(firstError(build('y = qqqqqqq(1)\n')), /NameError: name 'qqqqqqq' is not defined$/, 'no suggestion when nothing is close');
  t.end();
});

t.test('the CLI suggests node names', async (t) => {
  const io = memoryIo();
  t.equal(await runCli(['run', 'test/cli/fixtures/linear.tfg', '--fetch', 'loss/mes'], io), 1);
  t.match(io.stderr.join(''), "no variable or node named 'loss/mes' in graph 'default'. Did you mean 'loss/mse'?");
  t.end();
});
