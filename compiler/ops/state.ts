/**
 * @fileoverview Variables and assignments (TF1's ref variables) and the no-output control
 * ops. `variable` reads the session's current value; `assign`, `assign_add`, `assign_sub` take
 * the variable by reference (input 0, never evaluated), write through the EvalContext and
 * return the new value. `no_op` and `group` only carry control inputs.
 */
import { InvalidArgumentError } from '../../session/errors.js';
import { type Tensor } from '../../session/tensor.js';
import type { Attrs } from '../ir/graph.js';
import { isFullyDefined } from '../ir/shape.js';
import { type EvalContext, NOT_DIFFERENTIABLE, type OpDef, OpTypeError, type TensorSig } from './def.js';
import {
  ALL,
  NUMERIC,
  attrBool,
  attrDType,
  attrNums,
  checkArity,
  checkDType,
  checkSameDType,
  dtypeList,
  fmt,
  mapBinary,
  mergeShapesStrict,
} from './kernels.js';

interface AssignSpec {
  name: string;
  tfType: string;
  doc: string;
  /** New value from the old one (null for plain assign) and the input. */
  update: ((old: Tensor, value: Tensor) => Tensor) | null;
}

function assignOp<S extends AssignSpec>(spec: S): S & OpDef {
  const { tfType, update } = spec;
  return {
    kind: 'state',
    stateful: true,
    grad: NOT_DIFFERENTIABLE,
    refInputs: [0],
    // a loop writing in place into the variable's buffer, its value computation fused in
    lower: { fusion: 'stateful', update: spec.name === 'assign_add' ? 'add' : spec.name === 'assign_sub' ? 'sub' : null },
    symShape: (_n, ins) => ins[0],
    signature: update ? '[variable (ref), value]' : '[variable (ref), value]; {validate_shape}',
    shapeRule: update ? 'variable shape (value must match)' : 'variable shape (value shape when validate_shape is false)',
    dtypes: dtypeList(update ? NUMERIC : ALL),
    ...spec,
    infer(inputs: readonly TensorSig[], attrs: Attrs) {
      checkArity(tfType, inputs, 2);
      checkSameDType(tfType, inputs, ['ref', 'value'], 0, true);
      if (update) checkDType('ref', inputs[0].dtype, NUMERIC);
      const validate = update !== null || attrBool(attrs, 'validate_shape', true);
      return { dtype: inputs[0].dtype, shape: validate ? mergeShapesStrict(inputs[0].shape, inputs[1].shape) : inputs[1].shape };
    },
    eval(inputs: (Tensor | null)[], attrs: Attrs, ctx: EvalContext) {
      const variable = ctx.node.inputs[0];
      const value = inputs[1]!;
      let next: Tensor;
      if (update) {
        const old = ctx.readVariable(variable);
        if (old.rank !== value.rank || old.shape.some((d, i) => d !== value.shape[i])) {
          throw new InvalidArgumentError(
            `Cannot update variable with shape ${fmt(old.shape)} using a Tensor with shape ${fmt(value.shape)}, shapes must be equal.`,
          );
        }
        next = update(old, value);
      } else {
        const lhs = variable.shape;
        if (attrBool(attrs, 'validate_shape', true) && isFullyDefined(lhs) && (lhs.length !== value.rank || lhs.some((d, i) => d !== value.shape[i]))) {
          throw new InvalidArgumentError(`Assign requires shapes of both tensors to match. lhs shape= ${fmt(lhs)} rhs shape= ${fmt(value.shape)}`);
        }
        next = value;
      }
      ctx.writeVariable(variable, next);
      return next;
    },
  };
}

function controlOp<S extends { name: string; tfType: string; doc: string }>(spec: S): S & OpDef {
  const { name } = spec;
  return {
    kind: 'control',
    grad: NOT_DIFFERENTIABLE,
    lower: { fusion: 'control' },
    signature: '— (control inputs only)',
    shapeRule: 'no output',
    dtypes: '—',
    ...spec,
    infer(inputs: readonly TensorSig[]) {
      if (inputs.length !== 0) throw new OpTypeError(`${name} takes no tensor inputs, got ${inputs.length}`);
      return null;
    },
    eval() {
      return null;
    },
  };
}

export const STATE_OPS = {
  variable: {
    name: 'variable',
    tfType: 'Variable',
    doc: 'A mutable tensor owned by the session (TF1 op VariableV2, default name Variable); reading an unset one is a FailedPrecondition.',
    kind: 'state',
    stateful: true,
    signature: '{dtype, shape, trainable}',
    shapeRule: 'attr shape',
    lower: { fusion: 'leaf' },
    dtypes: dtypeList(ALL),
    infer(inputs, attrs) {
      checkArity('Variable', inputs, 0);
      return { dtype: attrDType(attrs), shape: attrNums(attrs, 'shape') };
    },
    eval(_inputs, _attrs, ctx) {
      return ctx.readVariable(ctx.node);
    },
    grad: NOT_DIFFERENTIABLE,
  },
  assign: assignOp({ name: 'assign', tfType: 'Assign', doc: 'Sets the variable to value and returns it.', update: null }),
  assign_add: assignOp({
    name: 'assign_add',
    tfType: 'AssignAdd',
    doc: 'Adds value to the variable and returns the new value.',
    update: (old, v) => mapBinary(old, v, old.dtype, (a, b) => a + b),
  }),
  assign_sub: assignOp({
    name: 'assign_sub',
    tfType: 'AssignSub',
    doc: 'Subtracts value from the variable and returns the new value.',
    update: (old, v) => mapBinary(old, v, old.dtype, (a, b) => a - b),
  }),
  no_op: controlOp({ name: 'no_op', tfType: 'NoOp', doc: 'Does nothing; runs its control inputs.' }),
  group: controlOp({ name: 'group', tfType: 'NoOp', doc: 'Runs its control inputs (tf.group; TF1 names the node group_deps).' }),
} satisfies Record<string, OpDef>;
