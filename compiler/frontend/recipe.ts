/**
 * @fileoverview Checks a `train { }` block (evaluated by the frontend into `TrainRecipe` entries)
 * against the recipe schema and turns it into a `TrainPlan` (session/train/plan.ts): node names,
 * numbers and lazy data-source descriptors, all plain JSON. Every problem is a located
 * diagnostic (codes 2101–2112, listed in compiler/diagnostics/catalogue.ts): unknown keys (with the keys allowed there), wrong value types, a
 * `feed` entry naming something that is not a placeholder or a column the source lacks, a train
 * op that is not an operation, tensors the recipe needs that depend on placeholders it does not
 * feed. A note (2113) says when the train step holds random ops (resume is then not bitwise).
 *
 * Schema (docs/language.md, "Training recipes"):
 *   data { train = SOURCE; validation = SOURCE | FRACTION; test = SOURCE | FRACTION;
 *          split_seed = INT; scale = True | [COLUMN...]; limit = INT }
 *   feed { PLACEHOLDER = "column" ... }
 *   op = OPERATION (alias train_op); loss = TENSOR; init = OPERATION
 *   epochs, batch_size, seed, eval_every, eval_batch_size = INT; logdir = STR
 *   metrics { NAME = TENSOR ... }
 *   early_stopping { metric = STR; mode = "min" | "max"; patience = INT; min_delta = NUMBER; on = "validation" | "test" }
 *   checkpoint { dir = STR; every_epochs = INT; every_steps = INT; max_to_keep = INT }
 *   summaries { every_steps = INT; scalars = [TENSOR...] | {TAG: TENSOR} | merge_all(); histograms_every_steps = INT }
 */
import { RECIPE } from '../diagnostics/catalogue.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { type Diagnostic, error } from '../diagnostics/diagnostic.js';
import type { Span } from '../diagnostics/span.js';
import type { BuildResult, TrainRecipe, TrainRecipeEntry, Value } from './index.js';
import { typeName } from './values.js';
import { type Graph, type Node, Operation } from '../ir/graph.js';
import { makeNode } from '../ops/build.js';
import { HYPERPARAMETERS } from '../grad/optimizers.js';
import type { Signature } from './evaluate.js';
import { type DataSourceSpec, TRAIN_SIGNATURES, type TrainPlan } from '../../session/train/plan.js';
import { InvalidArgumentError } from '../../session/errors.js';
import { DATA_SOURCE, SOURCE_COLUMNS, SUMMARIES } from './builtins/sources.js';

/** Diagnostic codes of recipes (21xx): in the catalogue. */
export { RECIPE };

class RecipeError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

type Kind = 'int' | 'number' | 'str' | 'bool' | 'tensor' | 'op' | 'source' | 'block' | 'any';

interface KeySpec {
  kind: Kind;
  /** Allowed nested keys for a block. */
  block?: Record<string, KeySpec> | 'free';
}

const SCHEMA: Record<string, KeySpec> = {
  data: {
    kind: 'block',
    block: {
      train: { kind: 'source' },
      validation: { kind: 'any' },
      test: { kind: 'any' },
      split_seed: { kind: 'int' },
      scale: { kind: 'any' },
      limit: { kind: 'int' },
    },
  },
  feed: { kind: 'block', block: 'free' },
  op: { kind: 'op' },
  train_op: { kind: 'op' },
  loss: { kind: 'tensor' },
  init: { kind: 'op' },
  epochs: { kind: 'int' },
  batch_size: { kind: 'int' },
  seed: { kind: 'int' },
  eval_every: { kind: 'int' },
  eval_batch_size: { kind: 'int' },
  logdir: { kind: 'str' },
  metrics: { kind: 'block', block: 'free' },
  early_stopping: {
    kind: 'block',
    block: { metric: { kind: 'str' }, mode: { kind: 'str' }, patience: { kind: 'int' }, min_delta: { kind: 'number' }, on: { kind: 'str' } },
  },
  checkpoint: { kind: 'block', block: { dir: { kind: 'str' }, every_epochs: { kind: 'int' }, every_steps: { kind: 'int' }, max_to_keep: { kind: 'int' } } },
  summaries: { kind: 'block', block: { every_steps: { kind: 'int' }, scalars: { kind: 'any' }, histograms_every_steps: { kind: 'int' } } },
};

export interface CheckedRecipe {
  plan: TrainPlan | null;
  diagnostics: Diagnostic[];
}

const fail = (code: number, message: string, span: Span | null, extra: Partial<Diagnostic> = {}): never => {
  throw new RecipeError(error(code, message, span, extra));
};

function describe(v: Value): string {
  if (v.kind === 'object') return v.typeName;
  return typeName(v);
}

/** The graph element a value stands for, or null. */
function nodeOfValue(v: Value): Node | null {
  if (v.kind === 'tensor' || v.kind === 'op') return v.node;
  if (v.kind === 'variable') return v.info.node;
  return null;
}

function attr(v: Value, name: string): Value | undefined {
  return v.kind === 'object' ? v.attrs.get(name) : undefined;
}

function sourceSpec(v: Value, span: Span, what: string): DataSourceSpec {
  if (v.kind !== 'object' || v.typeName !== DATA_SOURCE)
    fail(RECIPE.TYPE, `${what} must be a data source (mnist(...), csv(...), npz(...), moons(...)), got ${describe(v)}`, span);
  const get = (k: string): Value => attr(v, k)!;
  const s = (k: string): string => (get(k) as { value: string }).value;
  const n = (k: string): number | null => (get(k).kind === 'none' ? null : (get(k) as { value: number }).value);
  switch (s('kind')) {
    case 'mnist':
      return { kind: 'mnist', split: s('split') as 'train' | 'test', normalize: (get('normalize') as { value: boolean }).value, limit: n('limit') };
    case 'csv': {
      const cols = get('columns_selected');
      return {
        kind: 'csv',
        path: s('path'),
        target: get('target').kind === 'none' ? null : s('target'),
        columns_selected: cols.kind === 'list' ? cols.items.map((c) => (c as { value: string | number }).value) : null,
      };
    }
    case 'npz':
      return { kind: 'npz', path: s('path') };
    default:
      return { kind: 'moons', n_samples: n('n_samples')!, noise: n('noise')!, seed: n('seed') };
  }
}

/** Nodes a set of targets needs (data and control inputs, transitively; variables are leaves). */
function needed(targets: Node[], fed: Set<Node>): Node[] {
  const seen = new Set<Node>();
  const stack = [...targets];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (fed.has(n)) continue;
    for (const i of n.inputs) stack.push(i);
    for (const c of n.controlInputs) stack.push(c);
  }
  return [...seen];
}

class Checker {
  readonly notes: Diagnostic[] = [];
  private graph: Graph;
  constructor(
    readonly result: BuildResult,
    readonly recipe: TrainRecipe,
  ) {
    this.graph = recipe.graph;
  }

  private entries(list: TrainRecipeEntry[], schema: Record<string, KeySpec> | 'free', where: string): Map<string, TrainRecipeEntry> {
    const out = new Map<string, TrainRecipeEntry>();
    for (const e of list) {
      if (out.has(e.key))
        fail(RECIPE.DUPLICATE, `${where}: key '${e.key}' given twice`, e.keySpan, {
          related: [{ span: out.get(e.key)!.keySpan, message: 'first given here' }],
        });
      if (schema !== 'free') {
        const spec = schema[e.key];
        if (!spec)
          fail(RECIPE.UNKNOWN_KEY, `${where}: unknown key '${e.key}'${didYouMean(e.key, Object.keys(schema), 'plain')}`, e.keySpan, {
            expected: Object.keys(schema).join(', '),
          });
        if (spec.kind === 'block' && e.entries === null) fail(RECIPE.TYPE, `${where}: '${e.key}' is a block: write ${e.key} { ... }`, e.span);
        if (spec.kind !== 'block' && e.entries !== null) fail(RECIPE.TYPE, `${where}: '${e.key}' takes a value (${e.key} = ...), not a block`, e.keySpan);
      } else if (e.entries !== null) fail(RECIPE.TYPE, `${where}: '${e.key}' takes a value, not a block`, e.keySpan);
      out.set(e.key, e);
    }
    return out;
  }

  private int(e: TrainRecipeEntry | undefined, dflt: number, min: number): number {
    if (!e) return dflt;
    const v = e.value!;
    if (v.kind !== 'int') fail(RECIPE.TYPE, `'${e.key}' must be an int, got ${describe(v)}`, e.span);
    const x = (v as { value: number }).value;
    if (x < min) fail(RECIPE.VALUE, `'${e.key}' must be at least ${min}, got ${x}`, e.span);
    return x;
  }

  private optInt(e: TrainRecipeEntry | undefined, min: number): number | null {
    if (!e || e.value!.kind === 'none') return null;
    return this.int(e, 0, min);
  }

  private number(e: TrainRecipeEntry | undefined, dflt: number): number {
    if (!e) return dflt;
    const v = e.value!;
    if (v.kind !== 'int' && v.kind !== 'float') fail(RECIPE.TYPE, `'${e.key}' must be a number, got ${describe(v)}`, e.span);
    return (v as { value: number }).value;
  }

  private str(e: TrainRecipeEntry | undefined): string | null {
    if (!e || e.value!.kind === 'none') return null;
    const v = e.value!;
    if (v.kind !== 'str') fail(RECIPE.TYPE, `'${e.key}' must be a string, got ${describe(v)}`, e.span);
    return (v as { value: string }).value;
  }

  private inGraph(n: Node, e: TrainRecipeEntry, what: string): Node {
    if (n.graph !== this.graph) fail(RECIPE.GRAPH, `${what} belongs to graph '${n.graph.name}', but the recipe is in graph '${this.graph.name}'`, e.span);
    return n;
  }

  private tensor(e: TrainRecipeEntry, what: string): Node {
    const v = e.value!;
    const n = nodeOfValue(v);
    if (!n || !n.hasOutput) fail(RECIPE.TYPE, `${what} must be a tensor, got ${v.kind === 'op' ? 'an Operation' : describe(v)}`, e.span);
    return this.inGraph(n!, e, what);
  }

  private op(e: TrainRecipeEntry, what: string): Node {
    const v = e.value!;
    const n = nodeOfValue(v);
    if (!n) fail(RECIPE.NOT_OP, `${what} must be an operation (such as optimizer.minimize(loss)), got ${describe(v)}`, e.span);
    return this.inGraph(n!, e, what);
  }

  /** A scalar tensor (metric, summary, loss). */
  private scalar(e: TrainRecipeEntry, what: string, value: Value = e.value!): Node {
    const n = nodeOfValue(value);
    if (!n || !n.hasOutput) fail(RECIPE.TYPE, `${what} must be a scalar tensor, got ${describe(value)}`, e.span);
    if (n!.shape !== null && n!.shape.length !== 0)
      fail(RECIPE.VALUE, `${what} must be a scalar tensor (a mean over the batch), got shape ${JSON.stringify(n!.shape)}`, e.span);
    if (n!.dtype === 'bool') fail(RECIPE.TYPE, `${what} must be numeric, got a bool tensor (cast it)`, e.span);
    return this.inGraph(n!, e, what);
  }

  check(): TrainPlan {
    const r = this.recipe;
    const top = this.entries(r.entries, SCHEMA, 'train');
    const where = (k: string) => `train.${k}`;
    // ---- data
    const dataE = top.get('data');
    if (!dataE) fail(RECIPE.MISSING, "train: missing 'data { train = ... }' (the data source)", r.span);
    const data = this.entries(dataE!.entries!, SCHEMA.data.block!, 'train.data');
    const trainE = data.get('train');
    if (!trainE) fail(RECIPE.MISSING, "train.data: missing 'train = SOURCE'", dataE!.keySpan);
    const trainSrc = sourceSpec(trainE!.value!, trainE!.span, 'train.data.train');
    const splitOf = (k: 'validation' | 'test'): DataSourceSpec | number | null => {
      const e = data.get(k);
      if (!e || e.value!.kind === 'none') return null;
      const v = e.value!;
      if (v.kind === 'float' || v.kind === 'int') {
        const f = (v as { value: number }).value;
        if (!(f > 0 && f < 1)) fail(RECIPE.VALUE, `train.data.${k}: a held-out fraction must be in (0, 1), got ${f}`, e.span);
        return f;
      }
      return sourceSpec(v, e.span, `train.data.${k}`);
    };
    const validation = splitOf('validation');
    const test = splitOf('test');
    if (typeof validation === 'number' && typeof test === 'number' && validation + test >= 1)
      fail(RECIPE.VALUE, 'train.data: validation and test fractions leave no training data', dataE!.span);
    let scale: string[] = [];
    const scaleE = data.get('scale');
    if (scaleE) {
      const v = scaleE.value!;
      if (v.kind === 'bool') scale = v.value ? ['features'] : [];
      else if (v.kind === 'str') scale = [v.value];
      else if ((v.kind === 'list' || v.kind === 'tuple') && v.items.every((x) => x.kind === 'str')) scale = v.items.map((x) => (x as { value: string }).value);
      else fail(RECIPE.TYPE, `train.data.scale must be True/False or a list of column names, got ${describe(v)}`, scaleE.span);
    }
    const cols = SOURCE_COLUMNS[trainSrc.kind];
    for (const c of scale)
      if (cols && !cols.includes(c))
        fail(RECIPE.COLUMN, `train.data.scale: the ${trainSrc.kind} source has no column '${c}' (columns: ${cols.join(', ')})`, scaleE!.span);

    // ---- feed
    const feedE = top.get('feed');
    if (!feedE) fail(RECIPE.MISSING, 'train: missing \'feed { PLACEHOLDER = "column" }\'', r.span);
    const feed: Record<string, string> = {};
    const fedNodes = new Set<Node>();
    for (const e of this.entries(feedE!.entries!, 'free', 'train.feed').values()) {
      const b = this.result.bindings.get(e.key);
      let n: Node | null = b ? nodeOfValue(b) : null;
      if (!n || n.graph !== this.graph) n = this.graph.get(e.key) ?? null;
      if (!n) fail(RECIPE.NOT_PLACEHOLDER, `train.feed: '${e.key}' is neither a binding nor a node of graph '${this.graph.name}'`, e.keySpan);
      if (n!.op !== 'placeholder')
        fail(RECIPE.NOT_PLACEHOLDER, `train.feed: '${e.key}' is not a placeholder (it is the ${n!.op} node '${n!.name}')`, e.keySpan);
      const v = e.value!;
      if (v.kind !== 'str') fail(RECIPE.TYPE, `train.feed.${e.key} must name a data column as a string (such as "features"), got ${describe(v)}`, e.span);
      const col = (v as { value: string }).value;
      if (cols && !cols.includes(col))
        fail(RECIPE.COLUMN, `train.feed.${e.key}: the ${trainSrc.kind} source has no column '${col}' (columns: ${cols.join(', ')})`, e.span);
      feed[n!.name] = col;
      fedNodes.add(n!);
    }
    if (fedNodes.size === 0) fail(RECIPE.MISSING, 'train.feed is empty: map at least one placeholder to a data column', feedE!.span);

    // ---- op, loss, init
    if (top.has('op') && top.has('train_op')) fail(RECIPE.DUPLICATE, "train: give 'op' or 'train_op', not both", top.get('train_op')!.keySpan);
    const opE = top.get('op') ?? top.get('train_op');
    if (!opE) fail(RECIPE.MISSING, "train: missing 'op = ...' (the train op, such as optimizer.minimize(loss))", r.span);
    const op = this.op(opE!, where(opE!.key));
    const lossE = top.get('loss');
    const loss = lossE && lossE.value!.kind !== 'none' ? this.scalar(lossE, 'train.loss') : null;
    const initE = top.get('init');
    const init = initE && initE.value!.kind !== 'none' ? this.op(initE, 'train.init') : null;

    // ---- metrics
    const metrics: Record<string, string> = {};
    const metricNodes: Node[] = [];
    const metricsE = top.get('metrics');
    if (metricsE) {
      for (const e of this.entries(metricsE.entries!, 'free', 'train.metrics').values()) {
        const n = this.scalar(e, `train.metrics.${e.key}`);
        metrics[e.key] = n.name;
        metricNodes.push(n);
      }
    }

    // ---- early stopping
    let early: TrainPlan['early_stopping'] = null;
    const esE = top.get('early_stopping');
    if (esE) {
      const es = this.entries(esE.entries!, SCHEMA.early_stopping.block!, 'train.early_stopping');
      const mE = es.get('metric');
      const metric = this.str(mE) ?? (metrics.loss ? 'loss' : (Object.keys(metrics)[0] ?? null));
      if (metric === null) fail(RECIPE.METRIC, "train.early_stopping needs a metric: add 'metrics { ... }'", esE.keySpan);
      if (!metrics[metric!] && !(metric === 'loss' && loss))
        fail(
          RECIPE.METRIC,
          `train.early_stopping.metric: no metric named '${metric}' (metrics: ${Object.keys(metrics).join(', ') || 'none'})`,
          mE?.span ?? esE.keySpan,
        );
      const modeE = es.get('mode');
      const mode = this.str(modeE) ?? (/loss|error|mse/i.test(metric!) ? 'min' : 'max');
      if (mode !== 'min' && mode !== 'max') fail(RECIPE.VALUE, `train.early_stopping.mode must be "min" or "max", got ${JSON.stringify(mode)}`, modeE!.span);
      const onE = es.get('on');
      const on = this.str(onE) ?? (validation !== null ? 'validation' : 'test');
      if (on !== 'validation' && on !== 'test')
        fail(RECIPE.VALUE, `train.early_stopping.on must be "validation" or "test", got ${JSON.stringify(on)}`, onE!.span);
      if ((on === 'validation' ? validation : test) === null)
        fail(RECIPE.VALUE, `train.early_stopping watches the ${on} data, but train.data gives none`, onE?.span ?? esE.keySpan);
      early = {
        metric: metric!,
        mode: mode as 'min' | 'max',
        patience: this.int(es.get('patience'), 5, 0),
        min_delta: this.number(es.get('min_delta'), 0),
        on: on as 'validation' | 'test',
      };
    }

    // ---- checkpoint
    const ckE = top.get('checkpoint');
    const ck = ckE ? this.entries(ckE.entries!, SCHEMA.checkpoint.block!, 'train.checkpoint') : new Map<string, TrainRecipeEntry>();
    const checkpoint: TrainPlan['checkpoint'] = {
      dir: this.str(ck.get('dir')),
      every_epochs: ck.has('every_epochs') ? this.optInt(ck.get('every_epochs'), 1) : ck.has('every_steps') ? null : 1,
      every_steps: this.optInt(ck.get('every_steps'), 1),
      max_to_keep: this.int(ck.get('max_to_keep'), 5, 0),
    };

    // ---- summaries
    const smE = top.get('summaries');
    const sm = smE ? this.entries(smE.entries!, SCHEMA.summaries.block!, 'train.summaries') : new Map<string, TrainRecipeEntry>();
    const scalars: Record<string, string> = {};
    const summaryNodes: Node[] = [];
    const scE = sm.get('scalars');
    const addScalar = (tag: string, v: Value, e: TrainRecipeEntry): void => {
      let n = this.scalar(e, `train.summaries.scalars '${tag}'`, v);
      // A summary is an identity of the value it logs: fetch the value itself, so a summary of
      // the loss is the loss (one tag for one value, not `loss/xentropy` beside `loss/loss`).
      while (n.op === 'identity' && n.controlInputs.length === 0) n = n.inputs[0];
      scalars[tag] = n.name;
      summaryNodes.push(n);
    };
    if (scE && scE.value!.kind !== 'none') {
      const v = scE.value!;
      if (v.kind === 'list' || v.kind === 'tuple') {
        for (const x of v.items) {
          const n = nodeOfValue(x);
          addScalar(n ? n.name : '?', x, scE);
        }
      } else if (v.kind === 'dict') {
        for (const { key, value } of v.map.values()) {
          if (key.kind !== 'str') fail(RECIPE.TYPE, `train.summaries.scalars: tags must be strings, got ${describe(key)}`, scE.span);
          addScalar((key as { value: string }).value, value, scE);
        }
      } else if (nodeOfValue(v)) addScalar(nodeOfValue(v)!.name, v, scE);
      else fail(RECIPE.TYPE, `train.summaries.scalars must be a list of scalar tensors, a dict {tag: tensor} or merge_all(), got ${describe(v)}`, scE.span);
    } else {
      for (const n of this.graph.getCollection(SUMMARIES))
        if (n.hasOutput) addScalar(n.name, { kind: 'tensor', node: n }, smE ?? (r as unknown as TrainRecipeEntry));
    }
    // Histograms of every trainable variable (tagged by its name, as `tf.summary.histogram(v.op.name, v)`), 0 = none.
    const histogramsEvery = this.int(sm.get('histograms_every_steps'), 0, 0);
    const summaries = {
      every_steps: this.int(sm.get('every_steps'), 100, 1),
      scalars,
      histograms_every_steps: histogramsEvery,
      histograms: this.graph.trainableVariables().map((v) => v.node.name),
    };

    // ---- numbers
    const plan: TrainPlan = {
      name: r.name,
      data: { train: trainSrc, validation, test, split_seed: this.int(data.get('split_seed'), 42, 0), scale, limit: this.optInt(data.get('limit'), 1) },
      feed,
      op: op.name,
      loss: loss?.name ?? null,
      init: init?.name ?? null,
      epochs: this.int(top.get('epochs'), 10, 0),
      batch_size: this.int(top.get('batch_size'), 32, 1),
      seed: this.int(top.get('seed'), 0, 0),
      metrics,
      eval_every: this.int(top.get('eval_every'), 1, 1),
      eval_batch_size: this.int(top.get('eval_batch_size'), 1000, 1),
      early_stopping: early,
      checkpoint,
      summaries,
      logdir: this.str(top.get('logdir')),
      constant_feeds: {},
      placeholders: Object.fromEntries([...fedNodes].map((n) => [n.name, { dtype: n.dtype!, shape: n.shape === null ? null : [...n.shape] }])),
    };

    // ---- what the runs need must be fed
    const runs: [string, Node[], TrainRecipeEntry | undefined][] = [
      ['the train step', [op, ...(loss ? [loss] : [])], opE],
      ['the metrics', metricNodes, metricsE],
      ['the summaries', summaryNodes, smE],
    ];
    for (const [what, targets, e] of runs) {
      const nodes = needed(targets, fedNodes);
      for (const n of nodes) {
        if (n.op === 'placeholder' && !fedNodes.has(n)) {
          fail(
            RECIPE.UNFED,
            `${what} needs the placeholder '${n.name}', which train.feed does not feed`,
            e?.span ?? r.span,
            n.span ? { related: [{ span: n.span, message: `'${n.name}' is made here` }] } : {},
          );
        }
      }
      if (what === 'the train step') {
        const rnd = nodes.find((n) => n.op.startsWith('random_') || n.op === 'truncated_normal');
        if (rnd) {
          this.notes.push({
            code: RECIPE.RANDOM_NOTE,
            severity: 'note',
            message: `the train step runs the random op '${rnd.name}': a resumed run draws fresh values there, so it is not bitwise identical to an uninterrupted one`,
            span: rnd.span ?? opE!.span,
          });
        }
      }
    }
    return plan;
  }
}

/** Check one recipe; a plan, or null with the error diagnostic. */
export function checkRecipe(result: BuildResult, recipe: TrainRecipe): CheckedRecipe {
  const c = new Checker(result, recipe);
  try {
    const plan = c.check();
    return { plan, diagnostics: c.notes };
  } catch (e) {
    if (e instanceof RecipeError) return { plan: null, diagnostics: [...c.notes, e.diagnostic] };
    throw e;
  }
}

/** Pick a program's recipe (by name, or the only/first one) and check it. */
export function checkProgramRecipe(result: BuildResult, name?: string): CheckedRecipe {
  const rs = result.trainRecipes;
  if (rs.length === 0) return { plan: null, diagnostics: [error(RECIPE.NO_RECIPE, `${result.file.name} has no train { } block`, null)] };
  if (name !== undefined) {
    const r = rs.find((x) => x.name === name);
    if (!r)
      return {
        plan: null,
        diagnostics: [error(RECIPE.NO_RECIPE, `no train block named '${name}' (recipes: ${rs.map((x) => x.name ?? '(unnamed)').join(', ')})`, null)],
      };
    return checkRecipe(result, r);
  }
  return checkRecipe(result, rs[0]);
}

// ---------------------------------------------------------------- from a plan to what runs it

/**
 * The graph a recipe trains: with an init op (the recipe's, else a `tfg_train/init` group of every
 * global variable's initializer, made once).
 */
export function ensureInit(graph: Graph, plan: TrainPlan): void {
  if (plan.init) return;
  const existing = graph.get('tfg_train/init');
  if (existing) {
    plan.init = existing.name;
    return;
  }
  const deps = graph.globalVariables().map((v) => v.initializer);
  const n = graph.withNameScope(null, () => makeNode(graph, deps.length ? 'group' : 'no_op', [], {}, { name: 'tfg_train/init/', controlInputs: deps }));
  plan.init = n.name;
}

/**
 * `--lr`: the learning-rate tensors of the graph's optimizers (recorded by each optimizer in the
 * `hyperparameters/learning_rate` collection, whether a number made them a constant or the user
 * passed a tensor) are fed the value every step. Returns their names.
 */
export function overrideLearningRate(graph: Graph, plan: TrainPlan, lr: number): string[] {
  const nodes = graph.getCollection(HYPERPARAMETERS.learningRate).filter((n) => n.hasOutput);
  if (nodes.length === 0) throw new InvalidArgumentError(`--lr: graph '${graph.name}' has no optimizer (no learning rate to override)`);
  for (const n of nodes) {
    const size = (n.shape ?? []).reduce<number>((a, b) => a * (b ?? 1), 1);
    if (size !== 1) throw new InvalidArgumentError(`--lr: the learning rate '${n.name}' is not a scalar (shape ${JSON.stringify(n.shape)})`);
    plan.constant_feeds[n.name] = lr;
    plan.placeholders[n.name] = { dtype: n.dtype!, shape: n.shape === null ? null : [...n.shape] };
  }
  return nodes.map((n) => n.name);
}

/**
 * The entry points a recipe compiles to (session/train/plan.ts TRAIN_SIGNATURES), so each train
 * and eval step is one call of the compiled module: the train step (op + loss), the train step
 * with the summary scalars, and the eval step (metrics + loss). Their feeds are the recipe's
 * placeholders and its constant feeds (a `--lr` override).
 */
export function recipeSignatures(graph: Graph, plan: TrainPlan): Signature[] {
  const ph = [...Object.keys(plan.feed), ...Object.keys(plan.constant_feeds)].map((n) => graph.get(n)!);
  const op = new Operation(graph.get(plan.op)!);
  const loss = plan.loss ? [graph.get(plan.loss)!] : [];
  const span = graph.get(plan.op)!.span!;
  const sigs: Signature[] = [{ name: TRAIN_SIGNATURES.step, graph, feeds: ph, fetches: [op, ...loss], span }];
  const summ = Object.values(plan.summaries.scalars).map((n) => graph.get(n)!);
  if (summ.length) sigs.push({ name: TRAIN_SIGNATURES.stepWithSummaries, graph, feeds: ph, fetches: [op, ...loss, ...summ], span });
  const evalNodes = [...Object.values(plan.metrics), ...(plan.loss && !Object.values(plan.metrics).includes(plan.loss) ? [plan.loss] : [])].map((n) =>
    graph.get(n)!,
  );
  if (evalNodes.length) sigs.push({ name: TRAIN_SIGNATURES.eval, graph, feeds: ph, fetches: evalNodes, span });
  return sigs;
}

/** The graph a recipe runs in. */
export function recipeGraph(result: BuildResult, plan: TrainPlan): Graph {
  return result.trainRecipes.find((x) => x.name === plan.name)!.graph;
}
