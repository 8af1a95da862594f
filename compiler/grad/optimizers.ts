/**
 * @fileoverview TF1's optimizers over the IR (tensorflow/python/training/optimizer.py,
 * gradient_descent.py, momentum.py, adam.py): `computeGradients`, `applyGradients`,
 * `minimize`, with TF1's names and update rules.
 *
 * Input: a graph, a float loss node, variables (VariableInfo). Output: update nodes built in
 * the graph: slot variables (`theta/Momentum`, `theta/Adam`, `theta/Adam_1`, zero-initialized,
 * non-trainable, in GLOBAL_VARIABLES) and Adam's `beta1_power`/`beta2_power` made once per
 * optimizer and graph at the root scope without control dependencies (TF1's init_scope);
 * inside `name_scope(<name or "GradientDescent"/"Momentum"/"Adam">)` the hyper-parameter
 * constants (`GradientDescent/learning_rate`, ...), one `update_<var>` scope per variable whose
 * last node is an `assign_sub` named after TF1's kernel (`ApplyGradientDescent`,
 * `ApplyMomentum`, `ApplyAdam`), then a group named as the scope (or, with a global step,
 * `<scope>/update` and an `assign_add(global_step, 1)` named as the scope with control
 * dependencies on it). The result is the node to run for one training step.
 */
import { type DType, isFloat, pyDTypeName } from '../../session/dtype.js';
import { pyRepr } from '../../session/run-common.js';
import { CompileError, error } from '../diagnostics/diagnostic.js';
import type { Span } from '../diagnostics/span.js';
import { GLOBAL_VARIABLES, type Attrs, type Graph, Node, type VariableInfo } from '../ir/graph.js';
import { formatShapePy } from '../ir/shape.js';
import { makeNode } from '../ops/build.js';
import { GRAD } from './builder.js';
import { gradients } from './gradients.js';

/**
 * Graph collections where optimizers record their hyper-parameter tensors, so tools find them by
 * role, not by name (`tfg train --lr` feeds every recorded learning rate).
 */
export const HYPERPARAMETERS = {
  learningRate: 'hyperparameters/learning_rate',
  momentum: 'hyperparameters/momentum',
  beta1: 'hyperparameters/beta1',
  beta2: 'hyperparameters/beta2',
  epsilon: 'hyperparameters/epsilon',
} as const;

/** A learning rate or hyper-parameter: a Python number (a float32 Const, as TF1) or a tensor. */
export type Hyper = number | Node;

/**
 * What compute_gradients differentiates with respect to: a variable, or a plain tensor (TF1's
 * `_TensorProcessor`: its gradient can be computed, but apply_gradients cannot update it).
 */
export type OptTarget = VariableInfo | Node;

export type GradAndVar = [Node | null, OptTarget];

const targetNode = (t: OptTarget): Node => (t instanceof Node ? t : t.node);

function notImplementedError(msg: string, span: Span | null): never {
  throw new CompileError(error(GRAD.BAD_ARGUMENT, `NotImplementedError: ${msg}`, span));
}

export const GLOBAL_STEP = 'global_step';
/** TF1's GraphKeys.TRAIN_OP: the ops apply_gradients made. */
export const TRAIN_OP = 'train_op';

function valueError(msg: string, span: Span | null): never {
  throw new CompileError(error(GRAD.BAD_ARGUMENT, `ValueError: ${msg}`, span));
}

function typeError(msg: string, span: Span | null): never {
  throw new CompileError(error(GRAD.BAD_ARGUMENT, `TypeError: ${msg}`, span));
}

function varRepr(v: VariableInfo): string {
  return `<tf.Variable '${v.node.tensorName}' shape=${formatShapePy(v.node.shape)} dtype=${pyDTypeName(v.node.dtype!)}_ref>`;
}

/** TF1's `repr(tensor)`: `<tf.Tensor 'x:0' shape=() dtype=float32>`. */
function tensorRepr(n: Node): string {
  return `<tf.Tensor '${n.tensorName}' shape=${formatShapePy(n.shape)} dtype=${pyDTypeName(n.dtype!)}>`;
}

/** `str(v)` of a var_list entry: a variable's repr, or a tensor's `Tensor("x:0", ...)`. */
function targetStr(t: OptTarget): string {
  if (!(t instanceof Node)) return varRepr(t);
  return `Tensor("${t.tensorName}", shape=${formatShapePy(t.shape)}, dtype=${pyDTypeName(t.dtype!)})`;
}

/** Run fn at the root name scope with no control dependencies (TF1's ops.init_scope()). */
function initScope<T>(graph: Graph, fn: () => T): T {
  const stack = graph.nameStack;
  graph.nameStack = '';
  try {
    return graph.withControlDependencies(null, fn);
  } finally {
    graph.nameStack = stack;
  }
}

/**
 * A variable made the way TF1's slot_creator / _create_non_slot_variable make them: node
 * `name`, initial value `name/<initName>`, initializer `name/Assign`; non-trainable, in
 * GLOBAL_VARIABLES (plus `collections`).
 */
export function makeVariable(
  graph: Graph,
  name: string,
  dtype: DType,
  shape: number[],
  value: number,
  opts: { initScope: string | null; initName: string; span: Span | null; trainable?: boolean; collections?: string[] },
): VariableInfo {
  return initScope(graph, () =>
    graph.withNameScope(name, (scope) => {
      const mk = (): Node => makeNode(graph, 'const', [], { dtype, shape, value: [value] }, { name: opts.initName, span: opts.span });
      const init = opts.initScope ? graph.withNameScope(opts.initScope, mk) : mk();
      const v = makeNode(graph, 'variable', [], { dtype, shape, trainable: opts.trainable ?? false }, { name: scope, span: opts.span });
      const assign = makeNode(graph, 'assign', [v, init], {}, { name: 'Assign', span: opts.span });
      const info: VariableInfo = { node: v, initializer: assign, initialValue: init, trainable: opts.trainable ?? false, fromGetVariable: false };
      graph.variables.set(v.name, info);
      for (const c of [GLOBAL_VARIABLES, ...(opts.collections ?? [])]) graph.addToCollection(c, v);
      return info;
    }),
  );
}

/** TF1's tf.train.get_global_step(): the variable of the `global_step` collection, or null. */
export function getGlobalStep(graph: Graph): VariableInfo | null {
  const list = graph.getCollection(GLOBAL_STEP);
  if (list.length > 1) throw new Error('Multiple tensors in global_step collection.');
  if (list.length === 1) return graph.variables.get(list[0].name) ?? null;
  const byName = graph.get(GLOBAL_STEP);
  return byName && byName.op === 'variable' ? (graph.variables.get(byName.name) ?? null) : null;
}

/**
 * TF1's tf.train.create_global_step(): an int32 scalar variable `global_step` initialized to
 * 0 (TF's is int64; tfg has no int64), non-trainable, in GLOBAL_VARIABLES and `global_step`.
 */
export function createGlobalStep(graph: Graph, span: Span | null): VariableInfo {
  if (getGlobalStep(graph)) valueError('"global_step" already exists.', span);
  const info = makeVariable(graph, GLOBAL_STEP, 'i32', [], 0, { initScope: 'Initializer', initName: 'zeros', span, collections: [GLOBAL_STEP] });
  info.fromGetVariable = true;
  graph.varStore.set(GLOBAL_STEP, info);
  return info;
}

export function getOrCreateGlobalStep(graph: Graph, span: Span | null): VariableInfo {
  return getGlobalStep(graph) ?? createGlobalStep(graph, span);
}

export interface MinimizeOptions {
  globalStep?: VariableInfo | null;
  varList?: OptTarget[] | null;
  /** TF1's grad_loss: the gradient of the loss (default ones). */
  gradLoss?: Node | null;
  name?: string | null;
  span?: Span | null;
}

/** The common part of TF1's Optimizer: gradients, slots, scopes, global step. */
export abstract class Optimizer {
  /** Slot variables: variable node → slot name → slot variable. */
  protected readonly slots = new Map<Node, Map<string, VariableInfo>>();

  constructor(
    /** Default name scope of the updates (`GradientDescent`, `Momentum`, `Adam`). */
    readonly name: string,
  ) {}

  /**
   * TF1's compute_gradients: `gradients(loss, var_list)` as (grad, var) pairs (grad null when
   * unconnected). var_list may hold tensors too: their gradients are computed like a variable's.
   */
  computeGradients(graph: Graph, loss: Node, varList: OptTarget[] | null = null, span: Span | null = null, gradLoss: Node | null = null): GradAndVar[] {
    for (const t of gradLoss ? [loss, gradLoss] : [loss]) {
      if (t.dtype === null || !isFloat(t.dtype)) {
        valueError(`Invalid type ${t.dtype ? `tf.${pyDTypeName(t.dtype)}` : 'None'} for ${t.tensorName}, expected: [tf.float32, tf.float64].`, span);
      }
    }
    const vars = varList ?? graph.trainableVariables();
    if (vars.length === 0) valueError('No variables to optimize.', span);
    // Integer tensors are constants to gradients (TF1): an int variable gets None, and TF1's
    // _assert_valid_dtypes only looks at the variables that got a gradient.
    const floats = vars.filter((v) => isFloat(targetNode(v).dtype!));
    const grads = floats.length ? gradients(graph, [loss], floats.map(targetNode), { span, gradYs: gradLoss ? [gradLoss] : null }) : [];
    return vars.map((v) => {
      const k = floats.indexOf(v);
      return [k >= 0 ? grads[k] : null, v];
    });
  }

  /** TF1's apply_gradients: the op that applies one step of updates. */
  applyGradients(graph: Graph, gradsAndVars: GradAndVar[], opts: MinimizeOptions = {}): Node {
    const span = opts.span ?? null;
    if (gradsAndVars.length === 0) valueError('No variables provided.', span);
    const withTarget = gradsAndVars.filter(([g]) => g !== null) as [Node, OptTarget][];
    if (withTarget.length === 0) valueError(`No gradients provided for any variable: [${gradsAndVars.map(([, v]) => pyRepr(targetStr(v))).join(', ')}].`, span);
    // TF1's _TensorProcessor.update_op: a tensor with a gradient cannot be updated.
    for (const [, v] of withTarget) if (v instanceof Node) notImplementedError(`('Trying to update a Tensor ', ${tensorRepr(v)})`, span);
    const withGrad = withTarget as [Node, VariableInfo][];
    for (const [g, v] of withGrad) {
      if (g.dtype !== v.node.dtype)
        typeError(`gradient of dtype ${pyDTypeName(g.dtype!)} for variable ${v.node.name} of dtype ${pyDTypeName(v.node.dtype!)}`, span);
    }
    this.createSlots(
      graph,
      withGrad.map(([, v]) => v),
      span,
    );
    const train = graph.withNameScope(opts.name ?? this.name, (scope) => {
      const mk = this.maker(graph, span);
      this.prepare(graph, mk);
      const updates: Node[] = [];
      for (const [g, v] of withGrad) {
        updates.push(graph.withNameScope(`update_${v.node.name}`, () => this.applyDense(graph, mk, g, v)));
      }
      const gs = opts.globalStep ?? null;
      if (gs === null) return this.finish(graph, mk, updates, scope);
      // TF1: `with control_dependencies([finish]): assign_add(global_step, 1, name=scope)`; the
      // converted `value` is made in the block, so it carries the control edge (pruning).
      const finished = this.finish(graph, mk, updates, 'update');
      return graph.withControlDependencies([finished], () => {
        const one = mk('const', [], { dtype: gs.node.dtype!, shape: [], value: [1] }, 'value');
        return mk('assign_add', [gs.node, one], {}, scope);
      });
    });
    // TF1 records the op in GraphKeys.TRAIN_OP
    graph.addToCollection(TRAIN_OP, train, true);
    return train;
  }

  /** TF1's minimize: compute_gradients then apply_gradients; an error if no variable gets a gradient. */
  minimize(graph: Graph, loss: Node, opts: MinimizeOptions = {}): Node {
    const gv = this.computeGradients(graph, loss, opts.varList ?? null, opts.span ?? null, opts.gradLoss ?? null);
    if (!gv.some(([g]) => g !== null)) {
      valueError(
        `No gradients provided for any variable, check your graph for ops that do not support gradients, between variables [${gv.map(([, v]) => `"${targetStr(v)}"`).join(', ')}] and loss Tensor("${loss.tensorName}", shape=${formatShapePy(loss.shape)}, dtype=${pyDTypeName(loss.dtype!)}).`,
        opts.span ?? null,
      );
    }
    return this.applyGradients(graph, gv, opts);
  }

  /** The slot variable `slot` of a variable, or null. */
  getSlot(v: VariableInfo, slot: string): VariableInfo | null {
    return this.slots.get(v.node)?.get(slot) ?? null;
  }

  getSlotNames(): string[] {
    const names = new Set<string>();
    for (const m of this.slots.values()) for (const k of m.keys()) names.add(k);
    return [...names].sort();
  }

  /** A zero-initialized slot named `<var>/<optimizer name>` (TF1's _zeros_slot). */
  protected zerosSlot(graph: Graph, v: VariableInfo, slot: string, span: Span | null): VariableInfo {
    let m = this.slots.get(v.node);
    if (!m) this.slots.set(v.node, (m = new Map()));
    const have = m.get(slot);
    if (have) return have;
    const info = makeVariable(graph, `${v.node.name}/${this.name}`, v.node.dtype!, v.node.shape as number[], 0, {
      initScope: 'Initializer',
      initName: 'zeros',
      span,
    });
    m.set(slot, info);
    return info;
  }

  /** A node maker for this optimizer's nodes (span of the minimize call). */
  protected maker(graph: Graph, span: Span | null): Maker {
    return (op, inputs, attrs = {}, name, control) => makeNode(graph, op, inputs, attrs, { name: name ?? op, span, controlInputs: control });
  }

  /**
   * A hyper-parameter as a tensor (TF1: float32 Const `name` in _prepare, cast per variable),
   * recorded in its HYPERPARAMETERS collection.
   */
  protected hyper(mk: Maker, h: Hyper, name: keyof typeof HYPERPARAMETERS_BY_NAME): Node {
    const n = typeof h === 'number' ? mk('const', [], { dtype: 'f32', shape: [], value: [Math.fround(h)] }, name) : h;
    n.graph.addToCollection(HYPERPARAMETERS_BY_NAME[name], n);
    return n;
  }

  protected cast(mk: Maker, x: Node, dtype: DType): Node {
    return x.dtype === dtype ? x : mk('cast', [x], { dtype }, 'Cast');
  }

  protected createSlots(_graph: Graph, _vars: VariableInfo[], _span: Span | null): void {}
  protected abstract prepare(graph: Graph, mk: Maker): void;
  protected abstract applyDense(graph: Graph, mk: Maker, grad: Node, v: VariableInfo): Node;

  /** TF1's _finish: a group of the updates named `name` (the scope itself when it ends in '/'). */
  protected finish(_graph: Graph, mk: Maker, updates: Node[], name: string): Node {
    return mk('group', [], {}, name, updates);
  }
}

const HYPERPARAMETERS_BY_NAME = {
  learning_rate: HYPERPARAMETERS.learningRate,
  momentum: HYPERPARAMETERS.momentum,
  beta1: HYPERPARAMETERS.beta1,
  beta2: HYPERPARAMETERS.beta2,
  epsilon: HYPERPARAMETERS.epsilon,
} as const;

export type Maker = (op: string, inputs: Node[], attrs?: Attrs, name?: string, control?: Node[]) => Node;

/** var -= lr * grad. */
export class GradientDescentOptimizer extends Optimizer {
  private lrT: Node | null = null;
  constructor(
    readonly learningRate: Hyper,
    name = 'GradientDescent',
  ) {
    super(name);
  }
  protected prepare(_graph: Graph, mk: Maker): void {
    this.lrT = this.hyper(mk, this.learningRate, 'learning_rate');
  }
  protected applyDense(_graph: Graph, mk: Maker, grad: Node, v: VariableInfo): Node {
    const lr = this.cast(mk, this.lrT!, v.node.dtype!);
    return mk('assign_sub', [v.node, mk('mul', [lr, grad], {}, 'mul')], {}, 'ApplyGradientDescent');
  }
}

/** accum = momentum * accum + grad; var -= lr * accum (Nesterov: var -= lr * (grad + momentum * accum)). */
export class MomentumOptimizer extends Optimizer {
  private lrT: Node | null = null;
  private momT: Node | null = null;
  constructor(
    readonly learningRate: Hyper,
    readonly momentum: Hyper,
    readonly useNesterov = false,
    name = 'Momentum',
  ) {
    super(name);
  }
  protected override createSlots(graph: Graph, vars: VariableInfo[], span: Span | null): void {
    for (const v of vars) this.zerosSlot(graph, v, 'momentum', span);
  }
  protected prepare(_graph: Graph, mk: Maker): void {
    this.lrT = this.hyper(mk, this.learningRate, 'learning_rate');
    this.momT = this.hyper(mk, this.momentum, 'momentum');
  }
  protected applyDense(_graph: Graph, mk: Maker, grad: Node, v: VariableInfo): Node {
    const dt = v.node.dtype!;
    const lr = this.cast(mk, this.lrT!, dt);
    const mom = this.cast(mk, this.momT!, dt);
    const accum = this.getSlot(v, 'momentum')!.node;
    // ApplyMomentum kernel: accum = accum * momentum + grad; var -= accum * lr
    const newAccum = mk('assign', [accum, mk('add', [mk('mul', [accum, mom], {}, 'mul'), grad], {}, 'add')], {}, 'Assign');
    const delta = this.useNesterov
      ? mk('add', [mk('mul', [grad, lr], {}, 'mul'), mk('mul', [mk('mul', [newAccum, mom], {}, 'mul'), lr], {}, 'mul')], {}, 'add')
      : mk('mul', [newAccum, lr], {}, 'mul');
    return mk('assign_sub', [v.node, delta], {}, 'ApplyMomentum');
  }
}

/**
 * Adam as TF1's code (not its docstring): lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t);
 * m += (g - m)(1 - beta1); v += (g² - v)(1 - beta2); var -= lr_t * m / (sqrt(v) + epsilon);
 * then beta1_power *= beta1 and beta2_power *= beta2.
 */
export class AdamOptimizer extends Optimizer {
  private t: Record<'lr' | 'beta1' | 'beta2' | 'epsilon', Node> | null = null;
  private powers = new WeakMap<Graph, [VariableInfo, VariableInfo]>();
  constructor(
    readonly learningRate: Hyper = 0.001,
    readonly beta1: Hyper = 0.9,
    readonly beta2: Hyper = 0.999,
    readonly epsilon: Hyper = 1e-8,
    name = 'Adam',
  ) {
    super(name);
  }
  /** beta1_power and beta2_power of this optimizer in a graph (null before the first apply). */
  betaPowers(graph: Graph): [VariableInfo, VariableInfo] | null {
    return this.powers.get(graph) ?? null;
  }
  protected override createSlots(graph: Graph, vars: VariableInfo[], span: Span | null): void {
    if (!this.powers.has(graph)) {
      const init = (h: Hyper, name: string): VariableInfo => {
        if (typeof h !== 'number') valueError(`AdamOptimizer: ${name.replace('_power', '')} must be a Python number to initialize ${name}`, span);
        return makeVariable(graph, name, 'f32', [], Math.fround(h), { initScope: null, initName: 'initial_value', span });
      };
      this.powers.set(graph, [init(this.beta1, 'beta1_power'), init(this.beta2, 'beta2_power')]);
    }
    for (const v of vars) {
      this.zerosSlot(graph, v, 'm', span);
      this.zerosSlot(graph, v, 'v', span);
    }
  }
  protected prepare(_graph: Graph, mk: Maker): void {
    this.t = {
      lr: this.hyper(mk, this.learningRate, 'learning_rate'),
      beta1: this.hyper(mk, this.beta1, 'beta1'),
      beta2: this.hyper(mk, this.beta2, 'beta2'),
      epsilon: this.hyper(mk, this.epsilon, 'epsilon'),
    };
  }
  protected applyDense(graph: Graph, mk: Maker, grad: Node, v: VariableInfo): Node {
    const dt = v.node.dtype!;
    const [p1, p2] = this.powers.get(graph)!;
    const c = (x: Node): Node => this.cast(mk, x, dt);
    const one = mk('const', [], { dtype: dt, shape: [], value: [1] }, 'Const');
    const b1p = c(p1.node);
    const b2p = c(p2.node);
    const b1 = c(this.t!.beta1);
    const b2 = c(this.t!.beta2);
    const lrT = mk(
      'div',
      [mk('mul', [c(this.t!.lr), mk('sqrt', [mk('sub', [one, b2p], {}, 'sub')], {}, 'Sqrt')], {}, 'mul'), mk('sub', [one, b1p], {}, 'sub')],
      {},
      'truediv',
    );
    const m = this.getSlot(v, 'm')!.node;
    const vv = this.getSlot(v, 'v')!.node;
    const mT = mk('assign_add', [m, mk('mul', [mk('sub', [grad, m], {}, 'sub'), mk('sub', [one, b1], {}, 'sub')], {}, 'mul')], {}, 'AssignAdd');
    const vT = mk(
      'assign_add',
      [vv, mk('mul', [mk('sub', [mk('square', [grad], {}, 'Square'), vv], {}, 'sub'), mk('sub', [one, b2], {}, 'sub')], {}, 'mul')],
      {},
      'AssignAdd',
    );
    const denom = mk('add', [mk('sqrt', [vT], {}, 'Sqrt'), c(this.t!.epsilon)], {}, 'add');
    return mk('assign_sub', [v.node, mk('div', [mk('mul', [mT, lrT], {}, 'mul'), denom], {}, 'truediv')], {}, 'ApplyAdam');
  }
  protected override finish(graph: Graph, mk: Maker, updates: Node[], name: string): Node {
    const [p1, p2] = this.powers.get(graph)!;
    const [a1, a2] = graph.withControlDependencies(updates, () => [
      mk('assign', [p1.node, mk('mul', [p1.node, this.cast(mk, this.t!.beta1, 'f32')], {}, 'mul')], {}, 'Assign'),
      mk('assign', [p2.node, mk('mul', [p2.node, this.cast(mk, this.t!.beta2, 'f32')], {}, 'mul')], {}, 'Assign'),
    ]);
    return mk('group', [], {}, name, [...updates, a1, a2]);
  }
}
