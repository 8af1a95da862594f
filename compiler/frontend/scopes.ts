/**
 * @fileoverview Name scopes, variable scopes and variables, exactly as TF1
 * (tensorflow/python/ops/variable_scope.py, variables.py, framework/ops.py):
 * - `name_scope(name)`: unique scope names, `None` resets, `"loss/"` re-enters;
 * - `variable_scope(name_or_scope, default_name, reuse, initializer, dtype,
 *   auxiliary_name_scope)`: opens a name scope too; reuse is inherited and cannot be turned
 *   off in sub-scopes; re-entering by string opens a fresh name scope (`foo_1/`) while
 *   get_variable names stay `foo/...`; default names made unique per variable scope;
 * - `Variable(...)` (tf.Variable): name scope `x/`, initial value `x/initial_value`, variable
 *   node `x`, initializer `x/Assign`; made outside any control-dependency context (init_scope);
 * - `get_variable(...)`: the per-graph store, the TF1 errors verbatim, default initializers
 *   (glorot_uniform for floats, zeros otherwise), initializer and dtype inherited from scopes.
 */
import { type DType, isFloat, pyDTypeName } from '../../session/dtype.js';
import type { Related } from '../diagnostics/diagnostic.js';
import { GLOBAL_VARIABLES, type Graph, type Node, TRAINABLE_VARIABLES, type VariableInfo } from '../ir/graph.js';
import { formatShapePy, isFullyDefined, shapesCompatible, type Shape } from '../ir/shape.js';
import type { Ctx } from './context.js';
import { filled, randomNode } from './builders.js';
import { convertToTensor, inferPyDType, makeConst, node, pyData, validateScopeName } from './convert.js';
import { FE, FrontendError, typeError, valueError } from './errors.js';
import { type ContextValue, type InitializerValue, type Value, type VariableValue, NONE, asTensorNode, isCallable, str } from './values.js';

export type Reuse = boolean | 'auto';

export class VariableScope {
  constructor(
    public reuse: Reuse,
    readonly name: string,
    public initializer: Value | null,
    public dtype: DType,
    /** TF1's original_name_scope: the name scope this variable scope was first opened in. */
    readonly nameScope: string,
  ) {}
}

/** TF1's _VariableScopeStore: the current scope and the use counts of scope names. */
export class VarScopeStore {
  current = new VariableScope(false, '', null, 'f32', '');
  counts = new Map<string, number>();
  open(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }
  count(name: string): number {
    return this.counts.get(name) ?? 0;
  }
  closeSubscopes(name: string): void {
    const prefix = `${name}/`;
    for (const k of this.counts.keys()) if (k.startsWith(prefix)) this.counts.set(k, 0);
  }
}

/** The AUTO_REUSE constant is an object value; this tells it apart. */
export const AUTO_REUSE: Value = { kind: 'object', typeName: '_ReuseMode', attrs: new Map([['name', str('AUTO_REUSE')]]) };

function parseReuse(v: Value): Reuse | null {
  if (v === AUTO_REUSE) return 'auto';
  if (v.kind === 'none') return null;
  if (v.kind === 'bool') return v.value ? true : null; // False means None: scopes cannot turn reuse off
  throw typeError(`reuse must be True, False, None or AUTO_REUSE, got ${v.kind}`);
}

// ---- name_scope ----

/** TF1's `name_scope(name, default_name=None)` as a `with` context; `as` binds the scope string. */
export function nameScopeContext(ctx: Ctx, name: string | null, defaultName: string | null, graph: Graph | null = null): ContextValue {
  const stack: { graph: Graph; previous: string }[] = [];
  return {
    kind: 'context',
    label: 'name_scope',
    enter: () => {
      const g = graph ?? ctx.graph;
      const n = name ?? defaultName;
      if (n) validateScopeName(g, n);
      const { scope, previous } = g.enterNameScope(n);
      stack.push({ graph: g, previous });
      return str(scope);
    },
    exit: () => {
      const s = stack.pop()!;
      s.graph.exitNameScope(s.previous);
    },
  };
}

// ---- variable_scope ----

export interface VariableScopeArgs {
  nameOrScope: Value;
  defaultName: string | null;
  reuse: Value;
  initializer: Value;
  dtype: DType | null;
  auxiliaryNameScope: Value;
}

export function variableScopeContext(ctx: Ctx, a: VariableScopeArgs): ContextValue {
  interface Frame {
    graph: Graph;
    store: VarScopeStore;
    old: VariableScope;
    previousNameStack: string | null;
    jump: boolean;
    newName: string;
    oldSubscopes: Map<string, number> | null;
  }
  const frames: Frame[] = [];
  return {
    kind: 'context',
    label: 'variable_scope',
    enter: () => {
      const graph = ctx.graph;
      const store = ctx.graphState(graph).varScopes;
      if (a.auxiliaryNameScope.kind !== 'bool') throw typeError(`The value of auxiliary_name_scope can only be boolean.`);
      const aux = a.auxiliaryNameScope.value;
      const nos = a.nameOrScope;
      if (nos.kind === 'none' && a.defaultName === null) throw typeError('If default_name is None then name_or_scope is required');
      if (nos.kind !== 'none' && nos.kind !== 'str' && nos.kind !== 'varscope')
        throw typeError('VariableScope: name_or_scope must be a string or VariableScope.');
      const reuse = parseReuse(a.reuse);
      const initializer = a.initializer.kind === 'none' ? null : a.initializer;
      let previousNameStack: string | null = null;
      let currentNameScope = '';
      const openNameScope = (n: string | null): void => {
        if (n) validateScopeName(graph, n);
        const r = graph.enterNameScope(n);
        previousNameStack = r.previous;
        currentNameScope = r.scope;
      };
      if (!aux) openNameScope(graph.nameStack ? `${graph.nameStack}/` : null);
      let frame: Frame;
      if (nos.kind !== 'none') {
        const obj = nos.kind === 'varscope' ? (nos.scope as VariableScope) : null;
        const nameScopeStr = obj ? obj.name.split('/').pop()! : (nos as { value: string }).value;
        let oldNameScope: string | undefined;
        if (nameScopeStr || !aux) {
          if (aux) openNameScope(nameScopeStr);
          oldNameScope = obj ? obj.nameScope : currentNameScope;
        }
        frame = pureEnter(graph, store, obj ?? (nos as { value: string }).value, reuse, initializer, a.dtype, oldNameScope);
      } else {
        if (reuse === true) throw valueError('reuse=True cannot be used without a name_or_scope');
        if (aux) openNameScope(a.defaultName);
        const unique = uniqueVariableScope(store, a.defaultName!);
        frame = pureEnter(graph, store, unique, reuse, initializer, a.dtype, currentNameScope);
      }
      frame.previousNameStack = previousNameStack;
      frames.push(frame);
      return { kind: 'varscope', scope: store.current };
    },
    exit: () => {
      const f = frames.pop()!;
      if (f.jump) f.store.counts = f.oldSubscopes!;
      else f.store.closeSubscopes(f.newName);
      f.store.current = f.old;
      if (f.previousNameStack !== null) f.graph.exitNameScope(f.previousNameStack);
    },
  };

  function pureEnter(
    graph: Graph,
    store: VarScopeStore,
    nameOrScope: string | VariableScope,
    reuse: Reuse | null,
    initializer: Value | null,
    dtype: DType | null,
    oldNameScope: string | undefined,
  ): Frame {
    const old = store.current;
    let vs: VariableScope;
    let oldSubscopes: Map<string, number> | null = null;
    if (nameOrScope instanceof VariableScope) {
      store.open(nameOrScope.name);
      oldSubscopes = new Map(store.counts);
      vs = new VariableScope(reuse ? reuse : nameOrScope.reuse, nameOrScope.name, nameOrScope.initializer, nameOrScope.dtype, nameOrScope.nameScope);
    } else {
      const newName = old.name ? `${old.name}/${nameOrScope}` : nameOrScope;
      vs = new VariableScope(reuse || old.reuse, newName, old.initializer, old.dtype, oldNameScope ?? nameOrScope);
      store.open(newName);
    }
    if (initializer) vs.initializer = initializer;
    if (dtype) vs.dtype = dtype;
    store.current = vs;
    return { graph, store, old, previousNameStack: null, jump: nameOrScope instanceof VariableScope, newName: vs.name, oldSubscopes };
  }
}

/** TF1's _get_unique_variable_scope(prefix). */
function uniqueVariableScope(store: VarScopeStore, prefix: string): string {
  const cur = store.current;
  const name = cur.name ? `${cur.name}/${prefix}` : prefix;
  if (store.count(name) === 0) return prefix;
  let idx = 1;
  while (store.count(`${name}_${idx}`) > 0) idx++;
  return `${prefix}_${idx}`;
}

// ---- variables ----

export interface CreateVariableArgs {
  initialValue: Value;
  trainable: boolean;
  collections: string[] | null;
  validateShape: boolean;
  name: string | null;
  dtype: DType | null;
  fromGetVariable?: boolean;
}

/** TF1's tf.Variable (RefVariable._init_from_args). */
export function createVariable(ctx: Ctx, a: CreateVariableArgs): VariableValue {
  const graph = ctx.graph;
  const leaveControl = graph.enterControlDependencies(null); // ops.init_scope(): control dependencies are cleared
  try {
    if (a.name) validateScopeName(graph, a.name);
    return graph.withNameScope(a.name ?? 'Variable', (scope) => {
      let init: Node;
      if (a.initialValue.kind === 'none') throw valueError('initial_value must be specified.');
      if (isCallable(a.initialValue)) {
        init = graph.withNameScope('Initializer', () => {
          const v = ctx.call(a.initialValue, []);
          return convertToTensor(ctx, v, { dtype: a.dtype, name: 'initial_value' });
        });
      } else {
        init = convertToTensor(ctx, a.initialValue, { dtype: a.dtype, name: 'initial_value' });
      }
      if (!isFullyDefined(init.shape)) {
        if (a.validateShape)
          throw valueError(
            `initial_value must have a shape specified: Tensor("${init.tensorName}", shape=${formatShapePy(init.shape)}, dtype=${pyDTypeName(init.dtype!)})`,
          );
        throw valueError(`validate_shape=False with an initial value of unknown shape is not supported: variables have static shapes`);
      }
      const v = node(ctx, 'variable', [], { dtype: init.dtype!, shape: init.shape, trainable: a.trainable }, scope, 'Variable()');
      const assign = node(ctx, 'assign', [v, init], {}, 'Assign', 'Variable()');
      const info: VariableInfo = { node: v, initializer: assign, initialValue: init, trainable: a.trainable, fromGetVariable: a.fromGetVariable ?? false };
      graph.variables.set(v.name, info);
      const cols = a.collections ?? [GLOBAL_VARIABLES];
      if (a.trainable && !cols.includes(TRAINABLE_VARIABLES)) cols.push(TRAINABLE_VARIABLES);
      for (const c of cols) graph.addToCollection(c, v);
      return { kind: 'variable', info };
    });
  } finally {
    leaveControl();
  }
}

export interface GetVariableArgs {
  name: string;
  shape: Value;
  dtype: DType | null;
  initializer: Value;
  trainable: boolean | null;
  collections: string[] | null;
  validateShape: boolean;
}

/** Where each get_variable variable was first made (for the "already exists" note). */
const origins = new WeakMap<VariableInfo, Related>();

function dtypeRepr(d: DType): string {
  return `<dtype: '${pyDTypeName(d)}'>`;
}

function valueDType(v: Value): DType {
  const n = asTensorNode(v);
  if (n) return n.dtype!;
  return pyData(v, null).dtype;
}

/** TF1's VariableScope.get_variable + _VariableStore._get_single_variable. */
export function getVariable(ctx: Ctx, a: GetVariableArgs, shapeOf: (v: Value) => Shape): VariableValue {
  const graph = ctx.graph;
  const store = ctx.graphState(graph).varScopes;
  const vs = store.current;
  let initializer: Value | null = a.initializer.kind === 'none' ? null : a.initializer;
  if (a.dtype && initializer && !isCallable(initializer)) {
    const initDType = valueDType(initializer);
    if (initDType !== a.dtype)
      throw valueError(`Initializer type '${dtypeRepr(initDType)}' and explicit dtype '${dtypeRepr(a.dtype)}' don't match.`, FE.VARIABLE_SCOPE);
  }
  initializer ??= vs.initializer;
  const dtype = a.dtype ?? vs.dtype;
  const reuse = vs.reuse;
  const name = vs.name ? `${vs.name}/${a.name}` : a.name;
  const prevStack = graph.nameStack;
  graph.nameStack = ''; // ops.name_scope(None): variable names depend only on variable scopes
  try {
    const initializingFromValue = initializer !== null && !isCallable(initializer);
    if (a.shape.kind !== 'none' && initializingFromValue) throw valueError('If initializer is a constant, do not specify shape.', FE.VARIABLE_SCOPE);
    const shape: Shape = a.shape.kind === 'none' ? null : shapeOf(a.shape);
    const found = graph.varStore.get(name);
    if (found) {
      if (reuse === false) {
        const origin = origins.get(found);
        throw new FrontendError(
          FE.VARIABLE_SCOPE,
          'ValueError',
          `Variable ${name} already exists, disallowed. Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?${origin ? ' Originally defined at:' : ''}`,
          null,
          origin ? [origin] : [],
        );
      }
      if (!shapesCompatible(shape, found.node.shape)) {
        throw valueError(
          `Trying to share variable ${name}, but specified shape ${formatShapePy(shape)} and found shape ${formatShapePy(found.node.shape)}.`,
          FE.VARIABLE_SCOPE,
        );
      }
      if (dtype !== found.node.dtype) {
        throw valueError(
          `Trying to share variable ${name}, but specified dtype ${pyDTypeName(dtype)} and found dtype ${pyDTypeName(found.node.dtype!)}_ref.`,
          FE.VARIABLE_SCOPE,
        );
      }
      return { kind: 'variable', info: found };
    }
    if (reuse === true) {
      throw valueError(
        `Variable ${name} does not exist, or was not created with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?`,
        FE.VARIABLE_SCOPE,
      );
    }
    if (!isFullyDefined(shape) && !initializingFromValue) {
      throw valueError(`Shape of a new variable (${name}) must be fully defined, but instead was ${formatShapePy(shape)}.`, FE.VARIABLE_SCOPE);
    }
    let initialValue: Value;
    let varDType: DType | null;
    if (initializingFromValue) {
      initialValue = initializer!;
      varDType = null;
    } else {
      let init = initializer ?? defaultInitializer(name, dtype);
      if (init.kind === 'builtin') init = ctx.call(init, []); // an initializer class passed uncalled
      const initFn = init;
      const dims = shape as number[];
      initialValue = {
        kind: 'builtin',
        name: 'initializer',
        call: () => callInitializer(ctx, initFn, dims, dtype),
      };
      varDType = dtype;
    }
    const v = createVariable(ctx, {
      initialValue,
      trainable: a.trainable ?? true,
      collections: a.collections,
      validateShape: a.validateShape,
      name,
      dtype: varDType,
      fromGetVariable: true,
    });
    graph.varStore.set(name, v.info);
    if (ctx.span) origins.set(v.info, { span: ctx.span, message: `variable ${name} was first created here` });
    return v;
  } finally {
    graph.nameStack = prevStack;
  }
}

function defaultInitializer(name: string, dtype: DType): Value {
  if (isFloat(dtype)) return glorotUniform(null, 'f32');
  if (dtype === 'i32' || dtype === 'bool') return constantLikeInitializer('zeros_initializer', 0, 'f32');
  throw valueError(`An initializer for variable ${name} of ${dtypeRepr(dtype)} is required`);
}

/** Call an initializer (object or user callable) for a shape and dtype: TF1 `initializer(shape, dtype=dtype, partition_info=None)`. */
export function callInitializer(ctx: Ctx, init: Value, shape: number[], dtype: DType): Value {
  if (init.kind === 'initializer') return { kind: 'tensor', node: init.build(shape, dtype, ctx) };
  const shapeList: Value = { kind: 'list', items: shape.map((d) => ({ kind: 'int', value: d })) };
  return ctx.call(
    init,
    [shapeList],
    [
      ['dtype', { kind: 'dtype', dtype }],
      ['partition_info', NONE],
    ],
  );
}

// ---- initializer objects (tensorflow/python/ops/init_ops.py) ----

export function constantLikeInitializer(name: 'zeros_initializer' | 'ones_initializer', value: number, dtype: DType): InitializerValue {
  return {
    kind: 'initializer',
    name,
    dtype,
    build: (shape, dt, c) => filled(c as Ctx, shape, dt, value, value === 0 ? 'zeros' : 'ones'),
  };
}

export function constantInitializer(value: Value, dtype: DType): InitializerValue {
  return {
    kind: 'initializer',
    name: 'constant_initializer',
    dtype,
    build: (shape, dt, c) => makeConst(c as Ctx, value, dt, 'Const', shape),
  };
}

export function randomUniformInitializer(minval: number, maxval: number | null, seed: number | null, dtype: DType): InitializerValue {
  return {
    kind: 'initializer',
    name: 'random_uniform_initializer',
    dtype,
    build: (shape, dt, c) => {
      if (maxval === null && !isFloat(dt)) throw valueError(`Must specify maxval for integer dtype ${dtypeRepr(dt)}`);
      return randomNode(c as Ctx, 'random_uniform', shape, dt, { minval, maxval: maxval ?? 1 }, seed, 'random_uniform');
    },
  };
}

export function normalInitializer(
  kind: 'random_normal' | 'truncated_normal',
  mean: number,
  stddev: number,
  seed: number | null,
  dtype: DType,
): InitializerValue {
  return {
    kind: 'initializer',
    name: `${kind}_initializer`,
    dtype,
    build: (shape, dt, c) => {
      if (!isFloat(dt)) throw valueError(`Expected float dtype, got ${dtypeRepr(dt)}`);
      return randomNode(c as Ctx, kind, shape, dt, { mean, stddev }, seed, kind);
    },
  };
}

/** TF1's _compute_fans. */
export function computeFans(shape: number[]): [number, number] {
  if (shape.length < 1) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  const rf = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * rf, shape[shape.length - 1] * rf];
}

/** glorot_uniform_initializer = variance_scaling(scale=1, mode="fan_avg", distribution="uniform"). */
export function glorotUniform(seed: number | null, dtype: DType): InitializerValue {
  return {
    kind: 'initializer',
    name: 'glorot_uniform_initializer',
    dtype,
    build: (shape, dt, c) => {
      if (!isFloat(dt)) throw typeError(`Cannot create initializer for non-floating point type.`);
      const [fanIn, fanOut] = computeFans(shape);
      const scale = 1 / Math.max(1, (fanIn + fanOut) / 2);
      const limit = Math.sqrt(3 * scale);
      return randomNode(c as Ctx, 'random_uniform', shape, dt, { minval: -limit, maxval: limit }, seed, 'random_uniform');
    },
  };
}

/** glorot_normal_initializer: truncated normal with stddev sqrt(scale)/.87962566103423978. */
export function glorotNormal(seed: number | null, dtype: DType): InitializerValue {
  return {
    kind: 'initializer',
    name: 'glorot_normal_initializer',
    dtype,
    build: (shape, dt, c) => {
      if (!isFloat(dt)) throw typeError(`Cannot create initializer for non-floating point type.`);
      const [fanIn, fanOut] = computeFans(shape);
      const scale = 1 / Math.max(1, (fanIn + fanOut) / 2);
      return randomNode(c as Ctx, 'truncated_normal', shape, dt, { mean: 0, stddev: Math.sqrt(scale) / 0.87962566103423978 }, seed, 'truncated_normal');
    },
  };
}

export { inferPyDType };
