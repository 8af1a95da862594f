/**
 * @fileoverview Recipe checking: a good recipe becomes a plan (node names, defaults, sources);
 * each kind of mistake is a located diagnostic (unknown key, wrong type, a feed that is not a
 * placeholder, an unknown column, a train op that is not an op, an unfed placeholder, an
 * unknown early-stopping metric); scalar() summaries are tagged by name scope.
 */
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { spanInfo } from '../../compiler/diagnostics/span.js';
import { RECIPE, checkProgramRecipe } from '../../compiler/frontend/recipe.js';

const MODEL = `X = placeholder(f32, shape=[None, 2], name="X")
y = placeholder(f32, shape=[None, 1], name="y")
keep = placeholder(f32, shape=[], name="keep")
w = Variable(zeros([2, 1]), name="w")
with name_scope("loss") {
  mse = reduce_mean(square(matmul(X, w) - y), name="mse")
  s = scalar("mse", mse)
}
op = GradientDescentOptimizer(0.1).minimize(mse)
`;

function check(recipe: string) {
  const r = buildProgram(MODEL + recipe, 'r.tfg');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return checkProgramRecipe(r);
}

function firstError(recipe: string) {
  const c = check(recipe);
  const d = c.diagnostics.find((x) => x.severity === 'error');
  if (!d) throw new Error('expected an error');
  const at = spanInfo(d.span);
  return { code: d.code, message: d.message, line: at?.line ?? 0, col: at?.col ?? 0, text: d.span ? d.span.file.text.slice(d.span.start, d.span.end) : '' };
}

const GOOD = `train {
  data { train = moons(n_samples=100); test = 0.25 }
  feed { X = "features"; y = "labels" }
  op = op
  loss = mse
  metrics { mse = mse }
}`;

t.test('a good recipe becomes a plan', async (t) => {
  const c = check(GOOD);
  t.same(
    c.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const p = c.plan!;
  t.same(p.feed, { X: 'features', y: 'labels' });
  t.equal(p.op, 'GradientDescent');
  t.equal(p.loss, 'loss/mse');
  t.same(p.metrics, { mse: 'loss/mse' });
  t.same(p.data.train, { kind: 'moons', n_samples: 100, noise: 0.1, seed: null });
  t.equal(p.data.test, 0.25);
  t.equal(p.batch_size, 32);
  t.equal(p.epochs, 10);
  t.same(p.checkpoint, { dir: null, every_epochs: 1, every_steps: null, max_to_keep: 5 });
  t.same(
    p.summaries.scalars,
    { 'loss/mse_1': 'loss/mse' },
    'scalar("mse") in name_scope("loss") after a node loss/mse is tagged loss/mse_1, as TF1; the value fetched is the tensor it logs',
  );
});

t.test('summaries.histograms_every_steps: the trainable variables, off by default', async (t) => {
  t.same(check(GOOD).plan!.summaries, { every_steps: 100, scalars: { 'loss/mse_1': 'loss/mse' }, histograms_every_steps: 0, histograms: ['w'] });
  const p = check(GOOD.replace('metrics {', 'summaries { every_steps = 10; histograms_every_steps = 50 }\n  metrics {')).plan!;
  t.same([p.summaries.every_steps, p.summaries.histograms_every_steps, p.summaries.histograms], [10, 50, ['w']]);
  const e = firstError(GOOD.replace('metrics {', 'summaries { histograms_every_steps = -1 }\n  metrics {'));
  t.equal(e.code, RECIPE.VALUE);
  t.equal(e.message, "'histograms_every_steps' must be at least 0, got -1");
  t.equal(e.text, 'histograms_every_steps = -1', 'located at the entry');
});

t.test('scalar() tags follow the name scope and join the summaries collection', async (t) => {
  const r = buildProgram('with name_scope("loss") { s = scalar("mse", constant(1.0)) }\nm = merge_all()\n', 's.tfg');
  t.ok(r.ok);
  t.equal(r.lookup('s')!.name, 'loss/mse');
  t.same(
    r.defaultGraph.getCollection('summaries').map((n) => n.name),
    ['loss/mse'],
  );
  const m = r.bindings.get('m')!;
  t.equal(m.kind, 'list');
  const bad = buildProgram('s = scalar("v", constant([1.0, 2.0]))\n', 'b.tfg');
  t.notOk(bad.ok);
  t.match(bad.diagnostics[0].message, /must be a scalar/);
});

t.test('errors are located diagnostics', async (t) => {
  let e = firstError(GOOD.replace('loss = mse', 'los = mse'));
  t.equal(e.code, RECIPE.UNKNOWN_KEY);
  t.match(e.message, /unknown key 'los'/);
  t.equal(e.text, 'los');
  t.equal(e.line, 14);

  e = firstError(GOOD.replace('feed { X = "features"', 'feed { mse = "features"'));
  t.equal(e.code, RECIPE.NOT_PLACEHOLDER);
  t.match(e.message, /'mse' is not a placeholder \(it is the reduce_mean node 'loss\/mse'\)/);
  t.equal(e.text, 'mse');

  e = firstError(GOOD.replace('"labels"', '"label"'));
  t.equal(e.code, RECIPE.COLUMN);
  t.match(e.message, /no column 'label' \(columns: features, labels\)/);

  e = firstError(GOOD.replace('op = op', 'op = 3'));
  t.equal(e.code, RECIPE.NOT_OP);
  t.match(e.message, /train.op must be an operation .* got int/);

  e = firstError(GOOD.replace('epochs', 'x').replace('loss = mse', 'loss = mse\n  epochs = "ten"'));
  t.equal(e.code, RECIPE.TYPE);
  t.match(e.message, /'epochs' must be an int, got str/);

  e = firstError(GOOD.replace('loss = mse', 'loss = mse * keep'));
  t.equal(e.code, RECIPE.UNFED);
  t.match(e.message, /the train step needs the placeholder 'keep'/);

  e = firstError(GOOD.replace('metrics { mse = mse }', 'metrics { mse = mse }\n  early_stopping { metric = "acc" }'));
  t.equal(e.code, RECIPE.METRIC);
  t.match(e.message, /no metric named 'acc' \(metrics: mse\)/);

  e = firstError(GOOD.replace('data { train = moons(n_samples=100)', 'data { train = 3'));
  t.equal(e.code, RECIPE.TYPE);
  t.match(e.message, /must be a data source/);

  e = firstError(GOOD.replace('metrics { mse = mse }', 'metrics { w = w }'));
  t.equal(e.code, RECIPE.VALUE);
  t.match(e.message, /scalar tensor/);

  e = firstError(GOOD.replace('feed {', 'feed = 1\n  x {'));
  t.equal(e.code, RECIPE.TYPE);
  t.match(e.message, /'feed' is a block/);

  const none = checkProgramRecipe(buildProgram(MODEL, 'n.tfg'));
  t.equal(none.plan, null);
  t.equal(none.diagnostics[0].code, RECIPE.NO_RECIPE);
});

t.test('a random op in the train step is noted (resume would not be bitwise)', async (t) => {
  const r = buildProgram(MODEL.replace('minimize(mse)', 'minimize(mse * random_uniform([], seed=1))') + GOOD, 'n.tfg');
  t.ok(r.ok);
  const c = checkProgramRecipe(r);
  t.ok(c.plan);
  t.ok(c.diagnostics.some((d) => d.code === RECIPE.RANDOM_NOTE && d.severity === 'note'));
});
