/**
 * @fileoverview Language bindings of gradients and training (issue 3): `gradients(ys, xs, ...)`
 * (TF1's tf.gradients: a list with None for unconnected xs), the optimizers
 * `GradientDescentOptimizer`, `MomentumOptimizer`, `AdamOptimizer` as construction-time objects
 * with `minimize`, `compute_gradients`, `apply_gradients`, `get_slot`, `get_slot_names`,
 * `get_name`, and the global-step helpers. The graph work is done by compiler/grad/.
 */
import { gradients } from '../../grad/gradients.js';
import {
  AdamOptimizer,
  type GradAndVar,
  GradientDescentOptimizer,
  type Hyper,
  MomentumOptimizer,
  type OptTarget,
  type Optimizer,
  createGlobalStep,
  getGlobalStep,
  getOrCreateGlobalStep,
} from '../../grad/optimizers.js';
import { Node, type VariableInfo } from '../../ir/graph.js';
import type { Ctx } from '../context.js';
import { boolArg, optStrArg, strArg } from '../convert.js';
import { attributeError, typeError } from '../errors.js';
import { exponentialDecay } from './ops.js';
import { type BuiltinValue, type Value, NONE, asTensorNode, list, numberOf, object, operation, pyStr, str, tensor, tuple, typeName } from '../values.js';
import { type Args, type BuiltinDef, arg, bindArgs, builtin } from './spec.js';

function method(owner: string, name: string, sig: string, impl: (a: Args, ctx: Ctx) => Value): BuiltinValue {
  const def = builtin('', `${owner}.${name}`, sig, '', '', impl);
  return { kind: 'builtin', name: def.name, call: (args, kwargs, ctx) => impl(bindArgs(def, args, kwargs), ctx as Ctx) };
}

/** A tensor or a list/tuple of tensors (variables stand for their value). */
function tensorList(v: Value, what: string, allowNone = false): (Node | null)[] {
  const items = v.kind === 'list' || v.kind === 'tuple' ? v.items : [v];
  return items.map((x, i) => {
    if (allowNone && x.kind === 'none') return null;
    const n = asTensorNode(x);
    if (!n) throw typeError(`${what}[${i}] must be a Tensor or Variable, got ${typeName(x)}`);
    return n;
  });
}

/** A var_list entry as TF1's `_get_processor` takes it: a variable or a tensor. */
function optTarget(x: Value): OptTarget {
  if (x.kind === 'variable') return x.info;
  if (x.kind === 'tensor') return x.node;
  throw attributeError(`'${typeName(x)}' object has no attribute 'op'`);
}

/** var_list: None (the trainable variables), or variables and tensors (nest.flatten'ed). */
function targetList(v: Value): OptTarget[] | null {
  if (v.kind === 'none') return null;
  const flat = (x: Value): Value[] => (x.kind === 'list' || x.kind === 'tuple' ? x.items.flatMap(flat) : [x]);
  return flat(v).map(optTarget);
}

/** grad_loss: the gradient of the loss (TF1's grad_ys for it), or None for ones. */
function gradLossArg(v: Value): Node | null {
  if (v.kind === 'none') return null;
  const n = asTensorNode(v);
  if (!n) throw typeError(`grad_loss must be a Tensor, got ${typeName(v)}`);
  return n;
}

function targetValue(t: OptTarget): Value {
  return t instanceof Node ? tensor(t) : { kind: 'variable', info: t };
}

function hyperArg(v: Value, what: string): Hyper {
  if (v.kind === 'int' || v.kind === 'float' || v.kind === 'bool') return numberOf(v);
  const n = asTensorNode(v);
  if (n) return n;
  throw typeError(`${what} must be a number or a tensor, got ${typeName(v)}`);
}

function globalStepArg(v: Value): VariableInfo | null {
  if (v.kind === 'none') return null;
  if (v.kind !== 'variable') throw typeError(`global_step must be a variable, got ${typeName(v)}`);
  return v.info;
}

function gradsAndVarsValue(gv: GradAndVar[]): Value {
  return list(gv.map(([g, v]) => tuple([g ? tensor(g) : NONE, targetValue(v)])));
}

function gradsAndVarsArg(v: Value): GradAndVar[] {
  if (v.kind !== 'list' && v.kind !== 'tuple') throw typeError(`grads_and_vars must be a list of (gradient, variable) pairs, got ${typeName(v)}`);
  return v.items.map((p, i) => {
    if ((p.kind !== 'list' && p.kind !== 'tuple') || p.items.length !== 2) throw typeError(`grads_and_vars[${i}] must be a (gradient, variable) pair`);
    const [g, x] = p.items;
    const gn = g.kind === 'none' ? null : asTensorNode(g);
    if (g.kind !== 'none' && !gn) throw typeError(`Gradient must be a Tensor, IndexedSlices, or None: ${pyStr(g)}`);
    return [gn, optTarget(x)] as GradAndVar;
  });
}

/** An optimizer as a construction-time object with TF1's methods. */
function optimizerValue(cls: string, opt: Optimizer): Value {
  const span = (ctx: Ctx) => ctx.span;
  const lossArg = (v: Value): Node => {
    const n = asTensorNode(v);
    if (!n) throw typeError(`loss must be a Tensor, got ${typeName(v)}`);
    return n;
  };
  return object(cls, {
    minimize: method(
      cls,
      'minimize',
      'loss, global_step=None, var_list=None, gate_gradients=1, aggregation_method=None, colocate_gradients_with_ops=False, name=None, grad_loss=None',
      (a, ctx) => {
        const loss = lossArg(arg(a, 'loss'));
        const op = opt.minimize(loss.graph, loss, {
          globalStep: globalStepArg(arg(a, 'global_step')),
          varList: targetList(arg(a, 'var_list')),
          gradLoss: gradLossArg(arg(a, 'grad_loss')),
          name: optStrArg(arg(a, 'name'), 'name'),
          span: span(ctx),
        });
        return operation(op);
      },
    ),
    compute_gradients: method(
      cls,
      'compute_gradients',
      'loss, var_list=None, gate_gradients=1, aggregation_method=None, colocate_gradients_with_ops=False, grad_loss=None',
      (a, ctx) => {
        const loss = lossArg(arg(a, 'loss'));
        return gradsAndVarsValue(opt.computeGradients(loss.graph, loss, targetList(arg(a, 'var_list')), span(ctx), gradLossArg(arg(a, 'grad_loss'))));
      },
    ),
    apply_gradients: method(cls, 'apply_gradients', 'grads_and_vars, global_step=None, name=None', (a, ctx) => {
      const gv = gradsAndVarsArg(arg(a, 'grads_and_vars'));
      const first = gv[0]?.[1];
      const graph = first ? (first instanceof Node ? first : first.node).graph : ctx.graph;
      return operation(
        opt.applyGradients(graph, gv, { globalStep: globalStepArg(arg(a, 'global_step')), name: optStrArg(arg(a, 'name'), 'name'), span: span(ctx) }),
      );
    }),
    get_slot: method(cls, 'get_slot', 'var, name', (a) => {
      const v = arg(a, 'var');
      if (v.kind !== 'variable') throw typeError(`get_slot(): var must be a variable, got ${typeName(v)}`);
      const s = opt.getSlot(v.info, strArg(arg(a, 'name'), 'name'));
      return s ? { kind: 'variable', info: s } : NONE;
    }),
    get_slot_names: method(cls, 'get_slot_names', '', () => list(opt.getSlotNames().map(str))),
    get_name: method(cls, 'get_name', '', () => str(opt.name)),
  });
}

const G = 'Training';

export const TRAIN_BUILTINS: BuiltinDef[] = [
  builtin(
    G,
    'gradients',
    'ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False, gate_gradients=False, aggregation_method=None, stop_gradients=None',
    'tf.gradients',
    'Symbolic gradients: a list with, per x, the sum over ys of dy/dx (None when no y depends on x); nodes under `gradients/`.',
    (a, ctx) => {
      const ys = tensorList(arg(a, 'ys'), 'ys') as Node[];
      const xs = tensorList(arg(a, 'xs'), 'xs') as Node[];
      const gy = arg(a, 'grad_ys');
      const st = arg(a, 'stop_gradients');
      const graph = ys[0]?.graph ?? ctx.graph;
      const out = gradients(graph, ys, xs, {
        gradYs: gy.kind === 'none' ? null : tensorList(gy, 'grad_ys', true),
        stopGradients: st.kind === 'none' ? null : (tensorList(st, 'stop_gradients') as Node[]),
        name: strArg(arg(a, 'name'), 'name'),
        span: ctx.span,
      });
      return list(out.map((g) => (g ? tensor(g) : NONE)));
    },
  ),
  builtin(
    G,
    'GradientDescentOptimizer',
    'learning_rate, use_locking=False, name="GradientDescent"',
    'tf.train.GradientDescentOptimizer',
    'Optimizer: var -= learning_rate * grad. Methods minimize, compute_gradients, apply_gradients.',
    (a) =>
      optimizerValue(
        'GradientDescentOptimizer',
        new GradientDescentOptimizer(hyperArg(arg(a, 'learning_rate'), 'learning_rate'), strArg(arg(a, 'name'), 'name')),
      ),
  ),
  builtin(
    G,
    'MomentumOptimizer',
    'learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False',
    'tf.train.MomentumOptimizer',
    'Optimizer: accum = momentum * accum + grad; var -= lr * accum (Nesterov: var -= lr * (grad + momentum * accum)); slot `<var>/Momentum`.',
    (a) =>
      optimizerValue(
        'MomentumOptimizer',
        new MomentumOptimizer(
          hyperArg(arg(a, 'learning_rate'), 'learning_rate'),
          hyperArg(arg(a, 'momentum'), 'momentum'),
          boolArg(arg(a, 'use_nesterov'), 'use_nesterov'),
          strArg(arg(a, 'name'), 'name'),
        ),
      ),
  ),
  builtin(
    G,
    'AdamOptimizer',
    'learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08, use_locking=False, name="Adam"',
    'tf.train.AdamOptimizer',
    "Optimizer: TF1's Adam (lr_t = lr·sqrt(1−β2^t)/(1−β1^t)); slots `<var>/Adam`, `<var>/Adam_1`, variables `beta1_power`, `beta2_power`.",
    (a) =>
      optimizerValue(
        'AdamOptimizer',
        new AdamOptimizer(
          hyperArg(arg(a, 'learning_rate'), 'learning_rate'),
          hyperArg(arg(a, 'beta1'), 'beta1'),
          hyperArg(arg(a, 'beta2'), 'beta2'),
          hyperArg(arg(a, 'epsilon'), 'epsilon'),
          strArg(arg(a, 'name'), 'name'),
        ),
      ),
  ),
  builtin(G, 'get_global_step', 'graph=None', 'tf.train.get_global_step', 'The global step variable, or None.', (a, ctx) => {
    const g = arg(a, 'graph');
    const info = getGlobalStep(g.kind === 'graph' ? g.graph : ctx.graph);
    return info ? { kind: 'variable', info } : NONE;
  }),
  builtin(
    G,
    'create_global_step',
    'graph=None',
    'tf.train.create_global_step',
    'Creates `global_step`: an int32 scalar variable (TF: int64), 0, non-trainable; an error if it exists.',
    (a, ctx) => {
      const g = arg(a, 'graph');
      return { kind: 'variable', info: createGlobalStep(g.kind === 'graph' ? g.graph : ctx.graph, ctx.span) };
    },
  ),
  builtin(
    G,
    'get_or_create_global_step',
    'graph=None',
    'tf.train.get_or_create_global_step',
    'The global step variable, created (int32, 0) when missing.',
    (a, ctx) => {
      const g = arg(a, 'graph');
      return { kind: 'variable', info: getOrCreateGlobalStep(g.kind === 'graph' ? g.graph : ctx.graph, ctx.span) };
    },
  ),
  builtin(
    G,
    'exponential_decay',
    'learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None',
    'tf.train.exponential_decay',
    'learning_rate · decay_rate ^ (global_step / decay_steps), the ratio floored when staircase; nodes under `ExponentialDecay/`, as TF1.',
    (a, ctx) => exponentialDecay(ctx, a),
  ),
];
