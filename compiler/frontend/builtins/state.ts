/**
 * @fileoverview Bindings for variables, scopes and graph-level state: Variable/variable,
 * get_variable, assign ops, initializers, global_variables_initializer, name_scope,
 * variable_scope, control_dependencies, group, no_op, set_random_seed, collections and
 * get_default_graph — each with TF1's signature and naming.
 */
import { GLOBAL_VARIABLES, type Graph, type Node, TRAINABLE_VARIABLES } from '../../ir/graph.js';
import type { Ctx } from '../context.js';
import { applyOp, boolArg, dtypeArg, intArg, node, numberArg, optDTypeArg, optStrArg, shapeArg, strArg, validateScopeName } from '../convert.js';
import { typeError, valueError } from '../errors.js';
import {
  AUTO_REUSE,
  constantInitializer,
  constantLikeInitializer,
  createVariable,
  getVariable,
  glorotNormal,
  glorotUniform,
  nameScopeContext,
  normalInitializer,
  randomUniformInitializer,
  variableScopeContext,
  VariableScope,
} from '../scopes.js';
import { type ContextValue, type Value, NONE, asTensorNode, list, operation, str, tensor, typeName } from '../values.js';
import { type Args, type BuiltinDef, arg, builtin, rest } from './spec.js';

const nameOf = (a: Args): string | null => optStrArg(arg(a, 'name'), 'name');

function unsupported(a: Args, names: string[], fn: string): void {
  for (const n of names) if (arg(a, n).kind !== 'none') throw typeError(`${fn}(): the argument '${n}' is not supported by tfg`);
}

function collectionsArg(v: Value): string[] | null {
  if (v.kind === 'none') return null;
  if (v.kind === 'list' || v.kind === 'tuple') return v.items.map((x) => strArg(x, 'collections'));
  throw typeError('collections must be a list of strings');
}

/** The node a control input or group member stands for (tensor → its op). */
export function controlNode(v: Value, what: string): Node {
  if (v.kind === 'op') return v.node;
  if (v.kind === 'variable') return v.info.node;
  const n = asTensorNode(v);
  if (n) return n;
  throw typeError(`${what}: Can not convert a ${typeName(v)} into a Tensor or Operation.`);
}

/**
 * TF1's `Graph.control_dependencies(control_inputs)` as a `with` context, on `graph` (null: the
 * default graph when the block is entered).
 */
export function controlDependenciesContext(ctx: Ctx, ci: Value, graph: Graph | null): ContextValue {
  const deps = ci.kind === 'none' ? null : ci.kind === 'list' || ci.kind === 'tuple' ? ci.items.map((v) => controlNode(v, 'control_dependencies()')) : null;
  if (ci.kind !== 'none' && !deps) throw typeError('control_inputs must be a list of tensors or operations, or None');
  const exits: (() => void)[] = [];
  return {
    kind: 'context',
    label: 'control_dependencies',
    enter: () => {
      exits.push((graph ?? ctx.graph).enterControlDependencies(deps));
      return NONE;
    },
    exit: () => exits.pop()!(),
  };
}

/**
 * TF1's `Graph.get_collection(name, scope)`: the members in order (variables as variables);
 * with a scope, those whose name (`x:0` for tensors and variables, `x` for operations)
 * `re.match`es it.
 */
export function collectionItems(graph: Graph, key: string, scope: string | null): Value[] {
  let re: RegExp | null = null;
  if (scope !== null) {
    try {
      re = new RegExp(`^(?:${scope})`);
    } catch (e) {
      throw valueError(`get_collection(): scope ${JSON.stringify(scope)} is not a regular expression: ${(e as Error).message}`);
    }
  }
  const out: Value[] = [];
  for (const n of graph.getCollection(key)) {
    const info = graph.variables.get(n.name);
    const v: Value = info ? { kind: 'variable', info } : graph.isOperationMember(key, n) ? operation(n) : tensor(n);
    if (re && !re.test(n.hasOutput ? n.tensorName : n.name)) continue;
    out.push(v);
  }
  return out;
}

function varList(ctx: Ctx, key: string, scope: Value): Value {
  return list(collectionItems(ctx.graph, key, optStrArg(scope, 'scope')).filter((v) => v.kind === 'variable'));
}

function groupOf(ctx: Ctx, deps: Node[], name: string): Value {
  if (deps.length === 0) return operation(applyOp(ctx, { op: 'no_op', tfType: 'NoOp', name, defaultName: 'NoOp', inputs: [] }));
  validateScopeName(ctx.graph, name);
  return operation(ctx.graph.withNameScope(name, (s) => ctx.graph.withControlDependencies(deps, () => node(ctx, 'group', [], {}, s))));
}

function initializersOf(vars: Value[]): Node[] {
  return vars.map((v) => {
    if (v.kind !== 'variable') throw typeError(`variables_initializer() expects a list of variables, got ${typeName(v)}`);
    return v.info.initializer;
  });
}

function variableImpl(a: Args, ctx: Ctx): Value {
  if (arg(a, 'caching_device').kind !== 'none') throw typeError('Variable(): caching_device is not supported by tfg');
  const tr = arg(a, 'trainable');
  return createVariable(ctx, {
    initialValue: arg(a, 'initial_value'),
    trainable: tr.kind === 'none' ? true : boolArg(tr, 'trainable'),
    collections: collectionsArg(arg(a, 'collections')),
    validateShape: boolArg(arg(a, 'validate_shape'), 'validate_shape'),
    name: nameOf(a),
    dtype: optDTypeArg(arg(a, 'dtype')),
  });
}

function assignOp(op: 'assign' | 'assign_add' | 'assign_sub', tfType: string) {
  return (a: Args, ctx: Ctx): Value => {
    const ref = arg(a, 'ref');
    if (ref.kind !== 'variable') throw typeError(`Input 'ref' of '${tfType}' Op requires l-value input`);
    return tensor(
      applyOp(ctx, {
        op,
        tfType,
        name: nameOf(a),
        defaultName: tfType,
        inputs: [
          { arg: 'ref', value: ref, type: 'T' },
          { arg: 'value', value: arg(a, 'value'), type: 'T' },
        ],
      }),
    );
  };
}

const VARIABLE_SIG = 'initial_value=None, trainable=None, collections=None, validate_shape=True, caching_device=None, name=None, dtype=None';

export const STATE_BUILTINS: BuiltinDef[] = [
  builtin(
    'Variables',
    'Variable',
    VARIABLE_SIG,
    'tf.Variable',
    'A variable: `x` (node), `x/initial_value`, `x/Assign` (its initializer); uses name scopes.',
    variableImpl,
  ),
  builtin('Variables', 'variable', VARIABLE_SIG, 'tf.Variable', 'Same as Variable.', variableImpl),
  builtin(
    'Variables',
    'get_variable',
    'name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=None, collections=None, caching_device=None, partitioner=None, validate_shape=True',
    'tf.get_variable',
    'Gets or creates a shared variable named by the variable scopes (name scopes are ignored).',
    (a, ctx) => {
      unsupported(a, ['regularizer', 'caching_device', 'partitioner'], 'get_variable');
      const tr = arg(a, 'trainable');
      return getVariable(
        ctx,
        {
          name: strArg(arg(a, 'name'), 'name'),
          shape: arg(a, 'shape'),
          dtype: optDTypeArg(arg(a, 'dtype')),
          initializer: arg(a, 'initializer'),
          trainable: tr.kind === 'none' ? null : boolArg(tr, 'trainable'),
          collections: collectionsArg(arg(a, 'collections')),
          validateShape: boolArg(arg(a, 'validate_shape'), 'validate_shape'),
        },
        (v) => shapeArg(v, 'get_variable(): shape', { allowUnknown: true }),
      );
    },
  ),
  builtin(
    'Variables',
    'assign',
    'ref, value, validate_shape=None, use_locking=None, name=None',
    'tf.assign',
    'Stores value into a variable; gives the new value.',
    assignOp('assign', 'Assign'),
  ),
  builtin('Variables', 'assign_add', 'ref, value, use_locking=None, name=None', 'tf.assign_add', 'ref += value.', assignOp('assign_add', 'AssignAdd')),
  builtin('Variables', 'assign_sub', 'ref, value, use_locking=None, name=None', 'tf.assign_sub', 'ref -= value.', assignOp('assign_sub', 'AssignSub')),
  builtin(
    'Variables',
    'global_variables_initializer',
    '',
    'tf.global_variables_initializer',
    'A group named `init` of every variable initializer.',
    (_a, ctx) =>
      groupOf(
        ctx,
        ctx.graph.globalVariables().map((v) => v.initializer),
        'init',
      ),
  ),
  builtin(
    'Variables',
    'variables_initializer',
    'var_list, name="init"',
    'tf.variables_initializer',
    'A group of the initializers of the given variables.',
    (a, ctx) => {
      const vl = arg(a, 'var_list');
      if (vl.kind !== 'list' && vl.kind !== 'tuple') throw typeError('var_list must be a list of variables');
      return groupOf(ctx, initializersOf(vl.items), strArg(arg(a, 'name'), 'name'));
    },
  ),
  builtin(
    'Variables',
    'global_variables',
    'scope=None',
    'tf.global_variables',
    'The variables of the GLOBAL_VARIABLES collection (with scope: those whose name re.match-es it).',
    (a, ctx) => varList(ctx, GLOBAL_VARIABLES, arg(a, 'scope')),
  ),
  builtin('Variables', 'trainable_variables', 'scope=None', 'tf.trainable_variables', 'The variables of the TRAINABLE_VARIABLES collection.', (a, ctx) =>
    varList(ctx, TRAINABLE_VARIABLES, arg(a, 'scope')),
  ),
  builtin(
    'Variables',
    'get_collection',
    'key, scope=None',
    'tf.get_collection',
    'Members of a graph collection (variables as variables); with scope, those whose name re.match-es it.',
    (a, ctx) => list(collectionItems(ctx.graph, strArg(arg(a, 'key'), 'key'), optStrArg(arg(a, 'scope'), 'scope'))),
  ),
  builtin('Variables', 'add_to_collection', 'name, value', 'tf.add_to_collection', 'Adds a tensor, op or variable to a graph collection.', (a, ctx) => {
    const value = arg(a, 'value');
    ctx.graph.appendToCollection(strArg(arg(a, 'name'), 'name'), controlNode(value, 'add_to_collection()'), value.kind === 'op');
    return NONE;
  }),
  // ---- initializers ----
  builtin(
    'Initializers',
    'constant_initializer',
    'value=0, dtype=float32, verify_shape=False',
    'tf.constant_initializer',
    'Initializer: a Const of the value (scalar fills, lists pad).',
    (a) => constantInitializer(arg(a, 'value'), dtypeArg(arg(a, 'dtype'))),
  ),
  builtin('Initializers', 'zeros_initializer', 'dtype=float32', 'tf.zeros_initializer', 'Initializer: zeros.', (a) =>
    constantLikeInitializer('zeros_initializer', 0, dtypeArg(arg(a, 'dtype'))),
  ),
  builtin('Initializers', 'ones_initializer', 'dtype=float32', 'tf.ones_initializer', 'Initializer: ones.', (a) =>
    constantLikeInitializer('ones_initializer', 1, dtypeArg(arg(a, 'dtype'))),
  ),
  builtin(
    'Initializers',
    'random_uniform_initializer',
    'minval=0, maxval=None, seed=None, dtype=float32',
    'tf.random_uniform_initializer',
    'Initializer: uniform in [minval, maxval).',
    (a) => {
      const mx = arg(a, 'maxval');
      const sd = arg(a, 'seed');
      return randomUniformInitializer(
        numberArg(arg(a, 'minval'), 'minval'),
        mx.kind === 'none' ? null : numberArg(mx, 'maxval'),
        sd.kind === 'none' ? null : intArg(sd, 'seed'),
        dtypeArg(arg(a, 'dtype')),
      );
    },
  ),
  builtin(
    'Initializers',
    'random_normal_initializer',
    'mean=0.0, stddev=1.0, seed=None, dtype=float32',
    'tf.random_normal_initializer',
    'Initializer: normal.',
    (a) => {
      const sd = arg(a, 'seed');
      return normalInitializer(
        'random_normal',
        numberArg(arg(a, 'mean'), 'mean'),
        numberArg(arg(a, 'stddev'), 'stddev'),
        sd.kind === 'none' ? null : intArg(sd, 'seed'),
        dtypeArg(arg(a, 'dtype')),
      );
    },
  ),
  builtin(
    'Initializers',
    'truncated_normal_initializer',
    'mean=0.0, stddev=1.0, seed=None, dtype=float32',
    'tf.truncated_normal_initializer',
    'Initializer: truncated normal.',
    (a) => {
      const sd = arg(a, 'seed');
      return normalInitializer(
        'truncated_normal',
        numberArg(arg(a, 'mean'), 'mean'),
        numberArg(arg(a, 'stddev'), 'stddev'),
        sd.kind === 'none' ? null : intArg(sd, 'seed'),
        dtypeArg(arg(a, 'dtype')),
      );
    },
  ),
  builtin(
    'Initializers',
    'glorot_uniform_initializer',
    'seed=None, dtype=float32',
    'tf.glorot_uniform_initializer',
    "Initializer: uniform in ±sqrt(6 / (fan_in + fan_out)) (get_variable's default for floats).",
    (a) => {
      const sd = arg(a, 'seed');
      return glorotUniform(sd.kind === 'none' ? null : intArg(sd, 'seed'), dtypeArg(arg(a, 'dtype')));
    },
  ),
  builtin(
    'Initializers',
    'glorot_normal_initializer',
    'seed=None, dtype=float32',
    'tf.glorot_normal_initializer',
    'Initializer: truncated normal with stddev sqrt(2 / (fan_in + fan_out)) / .8796.',
    (a) => {
      const sd = arg(a, 'seed');
      return glorotNormal(sd.kind === 'none' ? null : intArg(sd, 'seed'), dtypeArg(arg(a, 'dtype')));
    },
  ),
  // ---- scopes and control ----
  builtin(
    'Scopes',
    'name_scope',
    'name, default_name=None, values=None',
    'tf.name_scope',
    '`with name_scope("loss") as scope { }`: op names get `loss/`; None resets to the root; "loss/" re-enters.',
    (a, ctx) => nameScopeContext(ctx, optStrArg(arg(a, 'name'), 'name'), optStrArg(arg(a, 'default_name'), 'default_name')),
  ),
  builtin(
    'Scopes',
    'variable_scope',
    'name_or_scope, default_name=None, values=None, initializer=None, regularizer=None, caching_device=None, partitioner=None, custom_getter=None, reuse=None, dtype=None, use_resource=None, constraint=None, auxiliary_name_scope=True',
    'tf.variable_scope',
    'Names get_variable variables and opens a name scope; reuse True / AUTO_REUSE is inherited.',
    (a, ctx) => {
      unsupported(a, ['regularizer', 'caching_device', 'partitioner', 'custom_getter', 'constraint'], 'variable_scope');
      return variableScopeContext(ctx, {
        nameOrScope: arg(a, 'name_or_scope'),
        defaultName: optStrArg(arg(a, 'default_name'), 'default_name'),
        reuse: arg(a, 'reuse'),
        initializer: arg(a, 'initializer'),
        dtype: optDTypeArg(arg(a, 'dtype')),
        auxiliaryNameScope: arg(a, 'auxiliary_name_scope'),
      });
    },
  ),
  builtin(
    'Scopes',
    'get_variable_scope',
    '',
    'tf.get_variable_scope',
    'The current variable scope object (name, reuse, reuse_variables(), ...).',
    (_a, ctx) => ({ kind: 'varscope', scope: ctx.graphState().varScopes.current }),
  ),
  builtin(
    'Scopes',
    'control_dependencies',
    'control_inputs',
    'tf.control_dependencies',
    '`with control_dependencies([a, b]) { }`: ops made inside run after a and b (a node that reads one made in the block, or reads a dependency, gets no edge, as TF1); None clears.',
    (a, ctx) => controlDependenciesContext(ctx, arg(a, 'control_inputs'), null),
  ),
  builtin('Scopes', 'group', '*inputs, name=None', 'tf.group', 'An operation that runs all inputs (node `group_deps`).', (a, ctx) => {
    const deps = rest(a, 'inputs')
      .flatMap((v) => (v.kind === 'list' || v.kind === 'tuple' ? v.items : [v]))
      .map((v) => controlNode(v, 'group()'));
    return groupOf(ctx, deps, nameOf(a) ?? 'group_deps');
  }),
  builtin('Scopes', 'no_op', 'name=None', 'tf.no_op', 'An operation that does nothing (node `NoOp`).', (a, ctx) =>
    operation(applyOp(ctx, { op: 'no_op', tfType: 'NoOp', name: nameOf(a), defaultName: 'NoOp', inputs: [] })),
  ),
  builtin('Scopes', 'set_random_seed', 'seed', 'tf.set_random_seed', 'The graph-level seed (op seeds then default to the op count, as TF1).', (a, ctx) => {
    const s = arg(a, 'seed');
    ctx.graph.seed = s.kind === 'none' ? null : intArg(s, 'seed');
    return NONE;
  }),
  builtin(
    'Scopes',
    'get_default_graph',
    '',
    'tf.get_default_graph',
    'The graph being built (the enclosing `graph name { }`, else the default graph); compare with `==`.',
    (_a, ctx) => ({ kind: 'graph', graph: ctx.graph }),
  ),
];

export const STATE_CONSTANTS: Record<string, Value> = {
  AUTO_REUSE,
  GraphKeys: {
    kind: 'object',
    typeName: 'GraphKeys',
    attrs: new Map<string, Value>([
      ['GLOBAL_VARIABLES', str(GLOBAL_VARIABLES)],
      ['TRAINABLE_VARIABLES', str(TRAINABLE_VARIABLES)],
      ['SUMMARIES', str('summaries')],
      ['TRAIN_OP', str('train_op')],
      ['GLOBAL_STEP', str('global_step')],
    ]),
  },
};

export { VariableScope, valueError };
