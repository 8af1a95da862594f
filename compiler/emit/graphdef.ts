/**
 * @fileoverview The graph IR → a TF1 `GraphDef` (graph.proto), as `graph.as_graph_def(add_shapes=True)`
 * gives it to `tf.summary.FileWriter(logdir, graph)`, so TensorBoard's Graphs tab shows the model
 * with its name scopes. Input: a Graph. Output: `GraphDefJson` (plain data; session/io/events.ts
 * serialises it). Example:
 *
 *   %dnn/hidden1/MatMul: f32[?,300] = matmul(%X, %dnn/hidden1/kernel) {transpose_a=false, transpose_b=false}
 *   →  node { name: "dnn/hidden1/MatMul" op: "MatMul" input: "X" input: "dnn/hidden1/kernel"
 *             attr { key: "T" value { type: DT_FLOAT } } attr { key: "_output_shapes" value { list { shape { dim { size: -1 } dim { size: 300 } } } } }
 *             attr { key: "transpose_a" value { b: false } } attr { key: "transpose_b" value { b: false } } }
 *
 * - Node names are the IR's TF1 names (scopes included); inputs are the data inputs in IR order
 *   (`name`, every IR node has one output), then the control inputs as `^name`.
 * - The op is TF1's op type (`OpDef.tfType`) except where the graph op differs from the default
 *   node name: a variable is `VariableV2`, in_top_k `InTopKV2`, a float division `RealDiv`, a batched matmul
 *   `BatchMatMulV2` (tfOpType); an identity in the `summaries` collection is the
 *   `ScalarSummary` `scalar()` made, with its `<name>/tags` Const as TF1 builds it.
 * - Attrs: `T` (the dtype of the first data input; `SrcT`/`DstT` for Cast; `T`/`Tlabels` for
 *   the sparse cross-entropy), `dtype` as a DataType, `shape` as a TensorShapeProto (-1 for an
 *   unknown dim, `unknown_rank`), `value` of a Const as a TensorProto (a splat as one typed
 *   value, else `tensor_content`; values past `maxConstBytes` are left out, the dtype and shape
 *   stay), `keepdims` as TF1's `keep_dims`, other attrs by kind (bool `b`, integer `i`, number
 *   `f`, string `s`, number lists `list`; `mean`, `stddev`, `minval`, `maxval`, `alpha` and a float
 *   one_hot's `on_value`/`off_value` always `f`), VariableV2's `container`/`shared_name` and the
 *   assignments' `use_locking` as TF1 sets them, and `_output_shapes` (add_shapes=True).
 * - IR ops with no single TF1 kernel keep their tfType: `ProdExcept` (the gradient of prod),
 *   `logistic_loss` (TF1 builds sigmoid_cross_entropy_with_logits from several ops in a
 *   `logistic_loss` scope).
 */
import type { DType } from '../../session/dtype.js';
import type { AttrValueJson, GraphDefJson, NodeDefJson, TensorProtoJson, TensorShapeJson, TfDataType } from '../../session/io/events.js';
import type { AttrValue, Graph, Node } from '../ir/graph.js';
import type { Shape } from '../ir/shape.js';
import { getOp, hasOp } from '../ops/registry.js';

export interface GraphDefOptions {
  /** Const values larger than this many bytes are left out of the GraphDef (default 1 MiB). */
  maxConstBytes?: number;
}

/** TF 1.15's GRAPH_DEF_VERSION (core/public/version.h), the producer TF1's FileWriter records. */
export const TF1_GRAPH_DEF_VERSION = 134;

const DT: Record<DType, TfDataType> = { f32: 'DT_FLOAT', f64: 'DT_DOUBLE', i32: 'DT_INT32', bool: 'DT_BOOL' };

/** TF1 op types that differ from the IR op's default node name (OpDef.tfType). */
const OP_TYPE: Partial<Record<string, string>> = {
  variable: 'VariableV2',
  // TF 1.15's tf.nn.in_top_k makes InTopKV2 (k as a tensor) in an `in_top_k` scope; the IR keeps k as an attr.
  in_top_k: 'InTopKV2',
};

/**
 * The TF1 op type of an IR node: OP_TYPE, else the OpDef's tfType, with the choices TF1 makes
 * by type: `/` on floats is RealDiv (tf.truediv; Div is tf.div's integer form), and a matmul of
 * batches (rank > 2) is BatchMatMulV2.
 */
export function tfOpType(n: Pick<Node, 'op' | 'dtype' | 'inputs'>): string {
  if (n.op === 'div' && (n.dtype === 'f32' || n.dtype === 'f64')) return 'RealDiv';
  if (n.op === 'matmul' && n.inputs.some((i) => i.shape === null || i.shape.length > 2)) return 'BatchMatMulV2';
  return OP_TYPE[n.op] ?? (hasOp(n.op) ? getOp(n.op).tfType : n.op);
}

/** Attrs that are floats whatever their value (a `mean` of 0 is still `f`, not `i`). */
const FLOAT_ATTRS = new Set(['mean', 'stddev', 'minval', 'maxval', 'alpha']);

/** The summaries collection (GraphKeys.SUMMARIES). */
const SUMMARIES = 'summaries';

export function shapeProto(s: Shape): TensorShapeJson {
  if (s === null) return { unknown_rank: true };
  return { dim: s.map((d) => ({ size: d === null ? -1 : d })) };
}

/** A constant's elements as numbers ('nan'/'inf' spellings and booleans read as the op reads them). */
function elementNumber(v: AttrValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === 'nan' || v === 'NaN') return NaN;
  if (v === 'inf' || v === 'Infinity') return Infinity;
  if (v === '-inf' || v === '-Infinity') return -Infinity;
  return NaN;
}

/** TensorProto of a Const: a splat as one `*_val` value (TF repeats the last), else little-endian `tensor_content`. */
export function constTensorProto(dtype: DType, shape: number[], value: AttrValue, maxBytes: number): TensorProtoJson {
  const out: TensorProtoJson = { dtype: DT[dtype], tensor_shape: shapeProto(shape) };
  const raw = value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];
  const vals = raw.map(elementNumber);
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 0 || vals.length === 0) return out;
  const splat = vals.every((v) => Object.is(v, vals[0]));
  if (splat) {
    if (dtype === 'f32') out.float_val = [vals[0]];
    else if (dtype === 'f64') out.double_val = [vals[0]];
    else if (dtype === 'i32') out.int_val = [vals[0] | 0];
    else out.bool_val = [vals[0] !== 0];
    return out;
  }
  const width = dtype === 'f64' ? 8 : dtype === 'bool' ? 1 : 4;
  if (n * width > maxBytes) return out;
  const bytes = new Uint8Array(n * width);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) {
    const v = vals[Math.min(i, vals.length - 1)];
    if (dtype === 'f32') dv.setFloat32(4 * i, v, true);
    else if (dtype === 'f64') dv.setFloat64(8 * i, v, true);
    else if (dtype === 'i32') dv.setInt32(4 * i, v, true);
    else bytes[i] = v !== 0 ? 1 : 0;
  }
  out.tensor_content = bytes;
  return out;
}

/** An IR attr as an AttrValue by its kind, or null when it has none (null, nested objects). */
function attrByKind(v: AttrValue): AttrValueJson | null {
  if (typeof v === 'boolean') return { b: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { i: v } : { f: v };
  if (typeof v === 'string') return { s: v };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) return (v as number[]).every(Number.isInteger) ? { list: { i: v as number[] } } : { list: { f: v as number[] } };
    if (v.every((x) => typeof x === 'boolean')) return { list: { b: v as boolean[] } };
    if (v.every((x) => typeof x === 'string')) return { list: { s: v as string[] } };
    return null;
  }
  return null;
}

function nodeAttrs(n: Node, maxConstBytes: number): Record<string, AttrValueJson> {
  const attr: Record<string, AttrValueJson> = {};
  const inDtype = n.inputs[0]?.dtype ?? null;
  for (const [k, v] of Object.entries(n.attrs)) {
    if (k === 'dtype' && typeof v === 'string' && v in DT) attr[n.op === 'cast' ? 'DstT' : 'dtype'] = { type: DT[v as DType] };
    else if (k === 'shape' && (v === null || Array.isArray(v))) {
      if (n.op === 'placeholder' || n.op === 'variable') attr.shape = { shape: shapeProto(v as Shape) };
      else if (Array.isArray(v) && v.every((d) => typeof d === 'number')) attr.shape = { list: { i: v as number[] } };
    } else if (k === 'value' && n.op === 'const') {
      attr.value = { tensor: constTensorProto(n.dtype!, (n.shape ?? []) as number[], v, maxConstBytes) };
    } else if (k === 'trainable') continue;
    else if (typeof v === 'number' && (FLOAT_ATTRS.has(k) || ((k === 'on_value' || k === 'off_value') && (n.dtype === 'f32' || n.dtype === 'f64'))))
      attr[k] = { f: v };
    else {
      const a = attrByKind(v);
      if (a) attr[k === 'keepdims' ? 'keep_dims' : k] = a;
    }
  }
  if (n.op === 'cast' && inDtype) {
    attr.SrcT = { type: DT[inDtype] };
    attr.Truncate = { b: false };
  } else if (n.op === 'sparse_softmax_cross_entropy_with_logits' && n.inputs.length === 2) {
    attr.T = { type: DT[n.inputs[1].dtype!] };
    attr.Tlabels = { type: DT[n.inputs[0].dtype!] };
  } else if (n.op === 'variable') {
    attr.container = { s: '' };
    attr.shared_name = { s: '' };
  } else if (inDtype && n.op !== 'group' && n.op !== 'no_op') attr.T = { type: DT[inDtype] };
  if (n.op === 'assign' || n.op === 'assign_add' || n.op === 'assign_sub') {
    attr.use_locking = { b: false };
    if (n.op === 'assign') attr.validate_shape = { b: true };
  }
  attr._output_shapes = { list: n.hasOutput ? { shape: [shapeProto(n.shape)] } : {} };
  return attr;
}

/** The GraphDef of `graph`: every node in creation order (TF1's `as_graph_def(add_shapes=True)`). */
export function graphToGraphDef(graph: Graph, opts: GraphDefOptions = {}): GraphDefJson {
  const maxConstBytes = opts.maxConstBytes ?? 1 << 20;
  const summaries = new Set(graph.getCollection(SUMMARIES));
  const taken = new Set(graph.nodes.map((n) => n.name));
  const node: NodeDefJson[] = [];
  for (const n of graph.nodes) {
    const input = [...n.inputs.map((i) => i.name), ...n.controlInputs.map((c) => `^${c.name}`)];
    let op = tfOpType(n);
    const attr = nodeAttrs(n, maxConstBytes);
    if (n.op === 'identity' && summaries.has(n) && !taken.has(`${n.name}/tags`)) {
      // tf.summary.scalar: ScalarSummary(tags, values) with the tag as a string Const in its scope.
      const tags = `${n.name}/tags`;
      node.push({
        name: tags,
        op: 'Const',
        input: [],
        attr: {
          dtype: { type: 'DT_STRING' },
          value: { tensor: { dtype: 'DT_STRING', tensor_shape: {}, string_val: [n.name] } },
          _output_shapes: { list: { shape: [{}] } },
        },
      });
      input.unshift(tags);
      op = 'ScalarSummary';
      attr._output_shapes = { list: { shape: [{}] } };
    }
    node.push({ name: n.name, op, input, attr });
  }
  return { node, versions: { producer: TF1_GRAPH_DEF_VERSION } };
}
