/**
 * @fileoverview Attribute access (`x.name`, `x.shape`, `v.initializer`, `scope.reuse_variables()`,
 * `d.items()`, `l.append(x)`, `f.threshold`): what TF1's Tensor, Operation, Variable, Graph,
 * DType, TensorShape and VariableScope objects expose, plus the common list/dict/str methods.
 */
import { didYouMean } from '../diagnostics/suggest.js';
import { charge, checkItems } from './budget.js';
import { type DType, isFloat, pyDTypeName } from '../../session/dtype.js';
import type { Graph, Node } from './../ir/graph.js';
import { ElementError, elementByName } from '../../session/run-common.js';
import { collectionItems, controlDependenciesContext, controlNode } from './builtins/state.js';
import { nameScopeContext } from './scopes.js';
import { isFullyDefined } from '../ir/shape.js';
import { type Args, arg, bindArgs, builtin } from './builtins/spec.js';
import type { Ctx } from './context.js';
import { applyOp, boolArg, intArg, optStrArg, strArg } from './convert.js';
import { attributeError, keyError, typeError, valueError } from './errors.js';
import { type Reuse, AUTO_REUSE, type VariableScope, callInitializer } from './scopes.js';
import { fullShapeArg } from './convert.js';
import {
  type BuiltinValue,
  type Value,
  NONE,
  bool,
  dtypeValue,
  hashKey,
  int,
  iterate,
  list,
  nodeValue,
  operation,
  pyEquals,
  pyStr,
  shapeValue,
  str,
  tensor,
  tuple,
  typeName,
} from './values.js';

function method(owner: string, name: string, sig: string, impl: (a: Args, ctx: Ctx) => Value): BuiltinValue {
  const def = builtin('', `${owner}.${name}`, sig, '', '', impl);
  return { kind: 'builtin', name: def.name, call: (args, kwargs, ctx) => impl(bindArgs(def, args, kwargs), ctx as Ctx) };
}

function graphOf(v: Value): Value {
  const n = v.kind === 'variable' ? v.info.node : (v as { node: Node }).node;
  return { kind: 'graph', graph: n.graph };
}

function reuseValue(r: Reuse): Value {
  return r === 'auto' ? AUTO_REUSE : bool(r);
}

function attr(ctx: Ctx, v: Value, name: string): Value | undefined {
  switch (v.kind) {
    case 'tensor': {
      const n = v.node;
      switch (name) {
        case 'name':
          return str(n.tensorName);
        case 'op':
          return operation(n);
        case 'dtype':
          return dtypeValue(n.dtype!);
        case 'shape':
          return shapeValue(n.shape);
        case 'get_shape':
          return method('Tensor', 'get_shape', '', () => shapeValue(n.shape));
        case 'graph':
          return graphOf(v);
        case 'value_index':
          return int(0);
      }
      return undefined;
    }
    case 'variable': {
      const info = v.info;
      const vn = info.node;
      const assign = (op: 'assign' | 'assign_add' | 'assign_sub', tfType: string) =>
        method('Variable', op, 'value, use_locking=None, name=None, read_value=True', (a, c) =>
          tensor(
            applyOp(c, {
              op,
              tfType,
              name: optStrArg(arg(a, 'name'), 'name'),
              defaultName: tfType,
              inputs: [
                { arg: 'ref', value: v, type: 'T' },
                { arg: 'value', value: arg(a, 'value'), type: 'T' },
              ],
            }),
          ),
        );
      switch (name) {
        case 'name':
          return str(vn.tensorName);
        case 'op':
          return operation(vn);
        case 'dtype':
          return dtypeValue(vn.dtype!);
        case 'shape':
          return shapeValue(vn.shape);
        case 'get_shape':
          return method('Variable', 'get_shape', '', () => shapeValue(vn.shape));
        case 'graph':
          return graphOf(v);
        case 'initializer':
          return operation(info.initializer);
        case 'initial_value':
          return nodeValue(info.initialValue);
        case 'trainable':
          return bool(info.trainable);
        case 'value':
        case 'read_value':
          return method('Variable', name, '', () => tensor(vn));
        case 'assign':
          return assign('assign', 'Assign');
        case 'assign_add':
          return assign('assign_add', 'AssignAdd');
        case 'assign_sub':
          return assign('assign_sub', 'AssignSub');
      }
      return undefined;
    }
    case 'op': {
      const n = v.node;
      switch (name) {
        case 'name':
          return str(n.name);
        case 'type':
          return str(opType(n));
        case 'graph':
          return graphOf(v);
        case 'inputs':
          return list(n.inputs.map((i) => tensor(i)));
        case 'control_inputs':
          return list(n.controlInputs.map((i) => operation(i)));
        case 'outputs':
          return list(n.hasOutput ? [tensor(n)] : []);
      }
      return undefined;
    }
    case 'graph':
      return graphAttr(v.graph, name);
    case 'dtype': {
      const d: DType = v.dtype;
      switch (name) {
        case 'name':
          return str(pyDTypeName(d));
        case 'is_floating':
          return bool(isFloat(d));
        case 'is_integer':
          return bool(d === 'i32');
        case 'is_bool':
          return bool(d === 'bool');
        case 'base_dtype':
          return v;
      }
      return undefined;
    }
    case 'shape': {
      const dims = v.dims;
      switch (name) {
        case 'ndims':
        case 'rank':
          return dims === null ? NONE : int(dims.length);
        case 'dims':
          return dims === null ? NONE : list(dims.map((x) => (x === null ? NONE : int(x))));
        case 'as_list':
          return method('TensorShape', name, '', () => {
            if (dims === null) throw valueError('as_list() is not defined on an unknown TensorShape.');
            return list(dims.map((x) => (x === null ? NONE : int(x))));
          });
        case 'is_fully_defined':
          return method('TensorShape', name, '', () => bool(isFullyDefined(dims)));
        case 'num_elements':
          return method('TensorShape', name, '', () => (isFullyDefined(dims) ? int(dims.reduce((x, y) => x * y, 1)) : NONE));
      }
      return undefined;
    }
    case 'varscope': {
      const s = v.scope as VariableScope;
      const prefixed = (key: string) => () =>
        list(
          ctx.graph
            .getCollection(key)
            .filter((n) => n.name.startsWith(`${s.name}/`))
            .map((n) => ({ kind: 'variable' as const, info: ctx.graph.variables.get(n.name)! })),
        );
      switch (name) {
        case 'name':
          return str(s.name);
        case 'original_name_scope':
          return str(s.nameScope);
        case 'reuse':
          return reuseValue(s.reuse);
        case 'initializer':
          return s.initializer ?? NONE;
        case 'dtype':
          return dtypeValue(s.dtype);
        case 'reuse_variables':
          return method('VariableScope', name, '', () => {
            s.reuse = true;
            return NONE;
          });
        case 'set_initializer':
          return method('VariableScope', name, 'initializer', (a) => {
            s.initializer = arg(a, 'initializer').kind === 'none' ? null : arg(a, 'initializer');
            return NONE;
          });
        case 'global_variables':
          return method('VariableScope', name, '', prefixed('variables'));
        case 'trainable_variables':
          return method('VariableScope', name, '', prefixed('trainable_variables'));
      }
      return undefined;
    }
    case 'function':
      if (name === '__name__') return str(v.name);
      return v.attrs.get(name);
    case 'object':
      return v.attrs.get(name);
    case 'initializer':
      if (name === '__call__') return initializerCall(v);
      return undefined;
    case 'list':
      return listMethod(v, name);
    case 'dict':
      return dictMethod(v, name);
    case 'str':
      return strMethod(v.value, name);
  }
  return undefined;
}

/**
 * TF1's `Graph` methods a graph-building script calls (tensorflow/python/framework/ops.py):
 * naming (`unique_name`, `get_name_scope`, `name_scope`), lookups with TF1's errors
 * (`as_graph_element`, `get_operation_by_name`, `get_tensor_by_name`, `get_operations`),
 * collections, `control_dependencies` and `as_default`.
 */
function graphAttr(g: Graph, name: string): Value | undefined {
  switch (name) {
    case 'name':
      return str(g.name);
    case 'seed':
      return g.seed === null ? NONE : int(g.seed);
    case 'unique_name':
      return method('Graph', name, 'name, mark_as_used=True', (a) =>
        str(g.uniqueName(strArg(arg(a, 'name'), 'name'), boolArg(arg(a, 'mark_as_used'), 'mark_as_used'))),
      );
    case 'get_name_scope':
      return method('Graph', name, '', () => str(g.nameStack));
    case 'name_scope':
      return method('Graph', name, 'name', (a, c) => nameScopeContext(c, optStrArg(arg(a, 'name'), 'name'), null, g));
    case 'control_dependencies':
      return method('Graph', name, 'control_inputs', (a, c) => controlDependenciesContext(c, arg(a, 'control_inputs'), g));
    case 'as_default':
      return method('Graph', name, '', (_a, c) => {
        const exits: (() => void)[] = [];
        return { kind: 'context', label: 'as_default', enter: () => (exits.push(c.pushGraph(g)), { kind: 'graph', graph: g }), exit: () => exits.pop()!() };
      });
    case 'get_operations':
      return method('Graph', name, '', () => list(g.nodes.map((n) => operation(n))));
    case 'as_graph_element':
      return method('Graph', name, 'obj, allow_tensor=True, allow_operation=True', (a) =>
        asGraphElement(g, arg(a, 'obj'), boolArg(arg(a, 'allow_tensor'), 'allow_tensor'), boolArg(arg(a, 'allow_operation'), 'allow_operation')),
      );
    case 'get_operation_by_name':
      return method('Graph', name, 'name', (a) => {
        const n = arg(a, 'name');
        if (n.kind !== 'str') throw typeError(`Operation names are strings (or similar), not ${typeName(n)}.`);
        return asGraphElement(g, n, false, true);
      });
    case 'get_tensor_by_name':
      return method('Graph', name, 'name', (a) => {
        const n = arg(a, 'name');
        if (n.kind !== 'str') throw typeError(`Tensor names are strings (or similar), not ${typeName(n)}.`);
        return asGraphElement(g, n, true, false);
      });
    case 'collections':
      return list(g.collectionKeys().map(str));
    case 'get_all_collection_keys':
      return method('Graph', name, '', () => list(g.collectionKeys().map(str)));
    case 'get_collection':
      return method('Graph', name, 'name, scope=None', (a) => list(collectionItems(g, strArg(arg(a, 'name'), 'name'), optStrArg(arg(a, 'scope'), 'scope'))));
    case 'add_to_collection':
      return method('Graph', name, 'name, value', (a) => {
        const value = arg(a, 'value');
        g.appendToCollection(strArg(arg(a, 'name'), 'name'), controlNode(value, 'add_to_collection()'), value.kind === 'op');
        return NONE;
      });
    case 'add_to_collections':
      return method('Graph', name, 'names, value', (a) => {
        const names = arg(a, 'names');
        // a string is one collection name; otherwise each name once (TF1 makes a set)
        const keys = names.kind === 'str' ? [names.value] : [...new Set(iterate(names).map((k) => strArg(k, 'names')))];
        const value = arg(a, 'value');
        const node = controlNode(value, 'add_to_collections()');
        for (const k of keys) g.appendToCollection(k, node, value.kind === 'op');
        return NONE;
      });
    case 'clear_collection':
      return method('Graph', name, 'name', (a) => {
        g.clearCollection(strArg(arg(a, 'name'), 'name'));
        return NONE;
      });
  }
  return undefined;
}

/**
 * TF1's `Graph.as_graph_element(obj, allow_tensor, allow_operation)` for a language value: a
 * name (`"x:0"` a tensor, `"x"` an operation: session/run-common.ts's rules and messages), a
 * tensor, an operation or a variable (its tensor, as `Variable._as_graph_element`).
 */
function asGraphElement(g: Graph, obj: Value, allowTensor: boolean, allowOperation: boolean): Value {
  const typesStr = allowTensor && allowOperation ? 'Tensor or Operation' : allowTensor ? 'Tensor' : 'Operation';
  if (obj.kind === 'str') {
    try {
      const el = elementByName<Node>({ get: (n) => g.get(n), hasOutput: (n) => n.hasOutput }, obj.value, allowOperation, allowTensor);
      return el.asOp ? operation(el.node) : tensor(el.node);
    } catch (e) {
      if (!(e instanceof ElementError)) throw e;
      if (e.kind === 'KeyError') throw keyError(e.pyStr);
      throw e.kind === 'ValueError' ? valueError(e.message) : typeError(e.message);
    }
  }
  const node = obj.kind === 'tensor' ? obj.node : obj.kind === 'variable' ? obj.info.node : null;
  if (node && allowTensor) {
    if (node.graph !== g) throw valueError(`Tensor ${pyStr(tensor(node))} is not an element of this graph.`);
    return tensor(node);
  }
  if (obj.kind === 'op' && allowOperation) {
    if (obj.node.graph !== g) throw valueError(`Operation ${pyStr(obj)} is not an element of this graph.`);
    return obj;
  }
  throw typeError(`Can not convert a ${typeName(obj).replace('RefVariable', 'Variable')} into a ${typesStr}.`);
}

export function initializerCall(v: Value & { kind: 'initializer' }): BuiltinValue {
  return method(v.name, '__call__', 'shape, dtype=None, partition_info=None', (a, c) => {
    const d = arg(a, 'dtype');
    return callInitializer(c, v, fullShapeArg(arg(a, 'shape'), `${v.name}: shape`), d.kind === 'dtype' ? d.dtype : v.dtype);
  });
}

function listMethod(l: Value & { kind: 'list' }, name: string): Value | undefined {
  switch (name) {
    case 'append':
      return method('list', name, 'x', (a) => {
        l.items.push(arg(a, 'x'));
        return NONE;
      });
    case 'extend':
      return method('list', name, 'iterable', (a) => {
        const more = iterate(arg(a, 'iterable'));
        checkItems(l.items.length + more.length, 'a list');
        for (const x of more) l.items.push(x);
        return NONE;
      });
    case 'pop':
      return method('list', name, 'index=-1', (a) => {
        if (!l.items.length) throw typeError('pop from empty list');
        let i = intArg(arg(a, 'index'), 'index');
        if (i < 0) i += l.items.length;
        return l.items.splice(i, 1)[0];
      });
    case 'index':
      return method('list', name, 'x', (a) => {
        charge(l.items.length);
        const i = l.items.findIndex((e) => pyEquals(e, arg(a, 'x')));
        if (i < 0) throw valueError(`${pyStr(arg(a, 'x'))} is not in list`);
        return int(i);
      });
    case 'count':
      return method('list', name, 'x', (a) => {
        charge(l.items.length);
        return int(l.items.filter((e) => pyEquals(e, arg(a, 'x'))).length);
      });
  }
  return undefined;
}

function dictMethod(d: Value & { kind: 'dict' }, name: string): Value | undefined {
  switch (name) {
    case 'keys':
      return method('dict', name, '', () => list([...d.map.values()].map((e) => e.key)));
    case 'values':
      return method('dict', name, '', () => list([...d.map.values()].map((e) => e.value)));
    case 'items':
      return method('dict', name, '', () => list([...d.map.values()].map((e) => tuple([e.key, e.value]))));
    case 'get':
      return method('dict', name, 'key, default=None', (a) => d.map.get(hashKey(arg(a, 'key')))?.value ?? arg(a, 'default'));
  }
  return undefined;
}

function strMethod(s: string, name: string): Value | undefined {
  switch (name) {
    case 'format':
      return {
        kind: 'builtin',
        name: 'str.format',
        call: (args, kwargs) => {
          let auto = 0;
          return str(
            s.replace(/\{([^{}:]*)(?::([^{}]*))?\}/g, (_m, field: string, spec: string | undefined) => {
              const v = field === '' ? args[auto++] : /^\d+$/.test(field) ? args[Number(field)] : kwargs.find(([k]) => k === field)?.[1];
              if (v === undefined) throw keyError(`'${field}'`);
              const fm = spec ? /^\.(\d+)([fe])$/.exec(spec) : null;
              if (fm && (v.kind === 'float' || v.kind === 'int')) return fm[2] === 'f' ? v.value.toFixed(Number(fm[1])) : v.value.toExponential(Number(fm[1]));
              return pyStr(v);
            }),
          );
        },
      };
    case 'join':
      return method('str', name, 'iterable', (a) =>
        str(
          iterate(arg(a, 'iterable'))
            .map((x) => strArg(x, 'join() item'))
            .join(s),
        ),
      );
    case 'upper':
      return method('str', name, '', () => str(s.toUpperCase()));
    case 'lower':
      return method('str', name, '', () => str(s.toLowerCase()));
    case 'strip':
      return method('str', name, '', () => str(s.trim()));
    case 'startswith':
      return method('str', name, 'prefix', (a) => bool(s.startsWith(strArg(arg(a, 'prefix'), 'prefix'))));
    case 'endswith':
      return method('str', name, 'suffix', (a) => bool(s.endsWith(strArg(arg(a, 'suffix'), 'suffix'))));
    case 'replace':
      return method('str', name, 'old, new', (a) => str(s.split(strArg(arg(a, 'old'), 'old')).join(strArg(arg(a, 'new'), 'new'))));
    case 'split':
      return method('str', name, 'sep=None', (a) => {
        const sep = arg(a, 'sep');
        return list((sep.kind === 'none' ? s.trim().split(/\s+/).filter(Boolean) : s.split(strArg(sep, 'sep'))).map(str));
      });
  }
  return undefined;
}

const OP_TYPES: Record<string, string> = {
  const: 'Const',
  placeholder: 'Placeholder',
  variable: 'VariableV2',
  assign: 'Assign',
  assign_add: 'AssignAdd',
  assign_sub: 'AssignSub',
  no_op: 'NoOp',
  group: 'NoOp',
  div: 'RealDiv',
  gather: 'GatherV2',
  stack: 'Pack',
  concat: 'ConcatV2',
  select: 'Select',
  random_normal: 'RandomStandardNormal',
  truncated_normal: 'TruncatedNormal',
  random_uniform: 'RandomUniform',
  in_top_k: 'InTopKV2',
};

/** TF1's op type of a node (`op.type`). */
export function opType(n: Node): string {
  if (OP_TYPES[n.op]) return OP_TYPES[n.op];
  return n.op
    .split('_')
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}

export function hasAttribute(ctx: Ctx, v: Value, name: string): boolean {
  return attr(ctx, v, name) !== undefined;
}

/** Attribute and method names some value kind has (candidates for "did you mean"). */
const ATTRIBUTE_NAMES =
  'append as_list assign assign_add assign_sub base_dtype control_inputs count dims dtype endswith extend format get get_collection get_operation_by_name get_shape get_tensor_by_name get_operations unique_name global_variables graph index initial_value initializer inputs is_bool is_floating is_fully_defined is_integer items join keys lower name ndims num_elements op original_name_scope outputs pop rank read_value replace reuse reuse_variables seed set_initializer shape split startswith strip trainable trainable_variables type upper value value_index values'.split(
    ' ',
  );

export function getAttribute(ctx: Ctx, v: Value, name: string): Value {
  const r = attr(ctx, v, name);
  if (r !== undefined) return r;
  if (v.kind === 'function') throw attributeError(`'function' object has no attribute '${name}'`);
  const known = ATTRIBUTE_NAMES.filter((n) => {
    try {
      return attr(ctx, v, n) !== undefined;
    } catch {
      return false;
    }
  });
  if (v.kind === 'object') known.push(...v.attrs.keys());
  throw attributeError(`'${typeName(v)}' object has no attribute '${name}'${didYouMean(name, known)}`);
}
