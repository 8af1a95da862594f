/**
 * @fileoverview Run-time shapes on the generic path: the nodes the compiler could not plan (a
 * placeholder of unknown rank and what depends on it; their manifest entry has `dynamic`). Each
 * runs when the reference Session would run it: its output shape comes from its inputs' run-time
 * shapes by TF1's rules (session/shapes.ts: the same functions the reference's ops call, so the
 * errors are the reference's, class and message), its buffer is taken from a run-time arena above
 * the plan's buffers (memory grows as needed; the arena is reused by the next run), and its
 * kernel (compiler/codegen/dynamic.ts) is called with a descriptor of dims and byte strides:
 *
 * - map: elementwise ops over broadcast inputs (and transpose, slice, strided_slice: a strided
 *   copy of input 0 from an offset; concat and stack: one copy per input into its place),
 *   dims of size 1 dropped and
 *   adjacent dims merged where every access walks them as one;
 * - reduce: kept dims outer, reduced dims inner, each group merged the same way;
 * - matmul: batch, M, N, K; rows: softmax/log_softmax's outer × len × inner;
 * - alias: the input's buffer under the new shape (identity, reshape, expand_dims, squeeze);
 * - host: written here (shape, size, rank, zeros_like, ones_like; gather's row copies, indices
 *   range-checked first).
 *
 * Dynamic kernels run on the calling thread (a matmul inside one may still split across the
 * session's threads through the runtime import, as planned matmuls do).
 */
import { type DType, allocArray, byteSize, tfDTypeName } from '../dtype.js';
import { InternalError, InvalidArgumentError, OpError, UnimplementedError } from '../errors.js';
import {
  type IndexItem,
  axisOf,
  broadcastShapes,
  checkSameShapes,
  concatShape,
  expandAxis,
  located,
  matmulShape,
  permutation,
  planSlice,
  reductionAxes,
  reshapeShape,
  reshapeUnknown,
  sliceShape,
  squeezeAxes,
  stackShape,
  vectorValue,
} from '../shapes.js';
import { Tensor, sizeOf, stridesOf } from '../tensor.js';
import { sliceDebugString } from './errors.js';
import type { ManifestNode } from './manifest.js';
import { type ModelMemory, align16 } from './memory.js';

/** A value of the run: its dtype, run-time shape and address in wasm memory. */
export interface DynValue {
  dtype: DType;
  shape: number[];
  addr: number;
}

/** What the dynamic path needs of the session and of the running generic plan. */
export interface DynamicHost {
  readonly mem: ModelMemory;
  /** Call a dynamic kernel export with its descriptor; a failure raises the error its status words describe. */
  callDynamic(exportName: string, desc: number, shapeOf: (name: string) => number[], valueOf: (name: string) => Tensor | null): void;
}

const nums = (v: unknown): number[] | null => (v === null || v === undefined ? null : typeof v === 'number' ? [v] : (v as number[]));

/** strided_slice's index attr (JSON) as the shape rule takes it: absent bounds are null. */
function sliceIndex(v: unknown): IndexItem[] {
  const num = (x: unknown): number | null => (typeof x === 'number' ? x : null);
  return (v as unknown[]).map((e) =>
    typeof e === 'number' || e === 'newaxis'
      ? e
      : { start: num((e as { start?: unknown }).start), stop: num((e as { stop?: unknown }).stop), step: num((e as { step?: unknown }).step) },
  );
}

/** One access of a nest: byte strides per dim. */
interface Nest {
  dims: number[];
  /** strides[d][a] in bytes. */
  strides: number[][];
}

/** Drop dims of size 1 and merge adjacent dims every access walks as one (compiler/codegen/loops.ts does the same over symbolic dims). */
function simplify(n: Nest, A: number): Nest {
  const dims: number[] = [];
  const strides: number[][] = [];
  n.dims.forEach((d, i) => {
    if (d === 1) return;
    const k = dims.length - 1;
    if (k >= 0 && strides[k].every((s, a) => s === n.strides[i][a] * d)) {
      dims[k] *= d;
      strides[k] = n.strides[i];
    } else {
      dims.push(d);
      strides.push(n.strides[i]);
    }
  });
  if (dims.some((d) => d === 0)) return { dims: [0], strides: [new Array<number>(A).fill(0)] };
  if (dims.length === 0) return { dims: [1], strides: [new Array<number>(A).fill(0)] };
  return { dims, strides };
}

/** The nest's words: dims[r], strides[r][A], counters[r]. */
function nestWords(n: Nest): number[] {
  return [...n.dims, ...n.strides.flat(), ...n.dims.map(() => 0)];
}

/** Element strides of `shape` read over `out` (right-aligned; 0 where it broadcasts). */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const st = stridesOf(shape);
  const off = out.length - shape.length;
  return out.map((d, i) => (i < off || shape[i - off] !== d ? 0 : st[i - off]));
}

/** The dynamic nodes of one generic run. */
export class DynamicRun {
  readonly values = new Map<string, DynValue>();
  private at: number;

  constructor(
    private readonly host: DynamicHost,
    base: number,
    /** A value computed outside the dynamic path (planned, or fed), by name; undefined when there is none. */
    private readonly outside: (name: string) => DynValue | undefined,
    private readonly nodeOf: (name: string) => ManifestNode,
  ) {
    this.at = align16(base);
  }

  /** `bytes` bytes of the run-time arena (memory grows as needed); `what` names them in an OOM error. */
  alloc(bytes: number, what?: string): number {
    const a = align16(this.at);
    this.at = a + Math.max(bytes, 0);
    this.host.mem.ensure(this.at, what);
    return a;
  }

  /** The OOM error's words for a tensor, as TF1's allocator says them. */
  private static tensorWords(dtype: DType, shape: readonly number[]): string {
    return `tensor with shape[${shape.join(',')}] and type ${tfDTypeName(dtype)}`;
  }

  /** A tensor written into the arena. */
  place(t: Tensor): DynValue {
    const addr = this.alloc(t.data.byteLength, DynamicRun.tensorWords(t.dtype, t.shape));
    this.host.mem.write(t, addr);
    return { dtype: t.dtype, shape: [...t.shape], addr };
  }

  value(name: string): DynValue {
    const v = this.values.get(name) ?? this.outside(name);
    if (!v) {
      const n = this.nodeOf(name);
      throw new InternalError(`no value for '${name}'`, n.name, n.location);
    }
    return v;
  }

  read(v: DynValue): Tensor {
    return this.host.mem.read(v.dtype, v.shape, v.addr);
  }

  /** Run node `n` (its inputs have run): shape, buffer, kernel. TF1's errors at the node. */
  run(n: ManifestNode): void {
    try {
      this.values.set(n.name, this.compute(n));
    } catch (e) {
      if (e instanceof OpError) throw located(e, n.name, n.location);
      throw e;
    }
  }

  private out(n: ManifestNode, shape: number[]): DynValue {
    const dtype = n.dtype!;
    return { dtype, shape, addr: this.alloc(sizeOf(shape) * byteSize(dtype), DynamicRun.tensorWords(dtype, shape)) };
  }

  /** Write the descriptor words and call the node's kernel. */
  private call(n: ManifestNode, words: number[]): void {
    const desc = this.alloc(4 * words.length);
    this.host.mem.i32().set(words, desc >> 2);
    this.host.callDynamic(
      n.dynamic!.export!,
      desc,
      (name) => this.value(name).shape,
      (name) => {
        const v = this.values.get(name) ?? this.outside(name);
        return v ? this.read(v) : null;
      },
    );
  }

  private compute(n: ManifestNode): DynValue {
    const d = n.dynamic!;
    const ins = n.inputs.map((x) => this.value(x));
    switch (d.kind) {
      case 'alias':
        return { dtype: n.dtype!, shape: this.aliasShape(n, ins), addr: ins[0].addr };
      case 'host':
        return this.place(this.hostValue(n, ins));
      case 'map':
        return this.map(n, ins);
      case 'reduce':
        return this.reduce(n, ins[0]);
      case 'matmul': {
        const ta = !!n.attrs.transpose_a;
        const tb = !!n.attrs.transpose_b;
        const [a, b] = ins;
        const shape = matmulShape(a.shape, b.shape, ta, tb);
        const o = this.out(n, shape);
        const r = shape.length;
        const K = ta ? a.shape[r - 2] : a.shape[r - 1];
        this.call(n, [a.addr, b.addr, o.addr, sizeOf(shape.slice(0, r - 2)), shape[r - 2], shape[r - 1], K]);
        return o;
      }
      case 'none':
        throw new UnimplementedError(
          `'${n.name}' (op ${n.op}) cannot run on the WebAssembly backend with these fed shapes: ${d.reason ?? 'no kernel for run-time shapes'}`,
        );
      case 'rows': {
        const x = ins[0];
        if (x.shape.length < 1) throw new InvalidArgumentError(`logits must have >= 1 dimension, got [${x.shape.join(',')}]`);
        const axis = axisOf((n.attrs.axis as number | undefined) ?? -1, x.shape.length, InvalidArgumentError);
        const o = this.out(n, [...x.shape]);
        const outer = sizeOf(x.shape.slice(0, axis));
        const inner = sizeOf(x.shape.slice(axis + 1));
        this.call(n, [x.addr, o.addr, outer, x.shape[axis], inner]);
        return o;
      }
    }
  }

  private aliasShape(n: ManifestNode, ins: DynValue[]): number[] {
    const x = ins[0].shape;
    switch (n.op) {
      case 'reshape': {
        const target = ins.length === 2 ? vectorValue(ins[1].shape, this.read(ins[1]).data, 'sizes input') : nums(n.attrs.shape)!;
        reshapeUnknown(target, InvalidArgumentError);
        return reshapeShape(sizeOf(x), target);
      }
      case 'expand_dims': {
        const a = expandAxis(n.attrs.axis as number, x.length, InvalidArgumentError);
        return [...x.slice(0, a), 1, ...x.slice(a)];
      }
      case 'squeeze': {
        const axes = nums(n.attrs.axis);
        if (axes === null || axes.length === 0) return x.filter((d) => d !== 1);
        const drop = squeezeAxes(axes, x, InvalidArgumentError);
        return x.filter((_, i) => !drop.has(i));
      }
      default:
        return [...x];
    }
  }

  private hostValue(n: ManifestNode, ins: DynValue[]): Tensor {
    const dtype = n.dtype!;
    const x = ins[0];
    switch (n.op) {
      case 'gather':
        return this.gather(n, this.read(x), this.read(ins[1]));
      case 'shape': {
        const dims = allocArray(dtype, x.shape.length);
        x.shape.forEach((d, i) => (dims[i] = d));
        return new Tensor(dtype, [x.shape.length], dims);
      }
      case 'size':
        return new Tensor(dtype, [], allocArray(dtype, 1).fill(sizeOf(x.shape)));
      case 'rank':
        return new Tensor(dtype, [], allocArray(dtype, 1).fill(x.shape.length));
      default: // zeros_like, ones_like
        return new Tensor(dtype, [...x.shape], allocArray(dtype, sizeOf(x.shape)).fill(n.op === 'ones_like' ? 1 : 0));
    }
  }

  /** concat, stack: each input copied into its place along the axis. */
  private join(n: ManifestNode, ins: DynValue[]): DynValue {
    const stack = n.op === 'stack';
    const shapes = ins.map((x) => x.shape);
    const { axis, shape } = stack ? stackShape(shapes, (n.attrs.axis as number | undefined) ?? 0) : concatShape(shapes, n.attrs.axis as number);
    const o = this.out(n, shape);
    const b = byteSize(o.dtype);
    const os = stridesOf(shape);
    let at = 0;
    for (const x of ins) {
      const dims = stack ? [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)] : x.shape;
      const xs = stridesOf(dims);
      const nest = simplify({ dims, strides: dims.map((_, d) => [xs[d] * b, os[d] * b]) }, 2);
      this.call(n, [nest.dims.length, x.addr, o.addr + at * os[axis] * b, ...nestWords(nest)]);
      at += dims[axis];
    }
    return o;
  }

  /** gather: rows of params along the axis, indices range-checked first (the reference's rule and words). */
  private gather(n: ManifestNode, p: Tensor, ix: Tensor): Tensor {
    if (p.shape.length < 1) throw new InvalidArgumentError('params must be at least 1 dimensional');
    const axis = axisOf((n.attrs.axis as number | undefined) ?? 0, p.shape.length, InvalidArgumentError);
    const limit = p.shape[axis];
    const idx = Array.from(ix.data);
    idx.forEach((v, i) => {
      if (v < 0 || v >= limit) throw new InvalidArgumentError(`indices${sliceDebugString(ix.shape, i)} = ${v} is not in [0, ${limit})`);
    });
    const outer = sizeOf(p.shape.slice(0, axis));
    const inner = sizeOf(p.shape.slice(axis + 1));
    const out = allocArray(p.dtype, outer * idx.length * inner);
    for (let a = 0; a < outer; a++)
      idx.forEach((v, j) => out.set(p.data.subarray((a * limit + v) * inner, (a * limit + v + 1) * inner) as never, (a * idx.length + j) * inner));
    return new Tensor(p.dtype, [...p.shape.slice(0, axis), ...ix.shape, ...p.shape.slice(axis + 1)], out);
  }

  private map(n: ManifestNode, inputs: DynValue[]): DynValue {
    if (n.op === 'concat' || n.op === 'stack') return this.join(n, inputs);
    let ins = inputs;
    let shape: number[];
    let strides: number[][];
    let offset = 0;
    if (n.op === 'slice' || n.op === 'strided_slice') {
      const x = ins[0].shape;
      const st = stridesOf(x);
      if (n.op === 'slice') {
        const vec = (i: number, attr: string, what: string): number[] =>
          ins.length === 3 ? vectorValue(ins[i].shape, this.read(ins[i]).data, what) : (nums(n.attrs[attr]) ?? []);
        const begin = vec(1, 'begin', 'begin');
        shape = sliceShape(x, begin, vec(2, 'size', 'size'), InvalidArgumentError) as number[];
        offset = begin.reduce((a, b, i) => a + b * st[i], 0);
        strides = [st];
      } else {
        const plan = planSlice(sliceIndex(n.attrs.index), x, InvalidArgumentError);
        for (const f of plan.fixed) offset += f.index * st[f.axis];
        for (const d of plan.dims) if (d.axis >= 0) offset += d.start * st[d.axis];
        shape = plan.dims.map((d) => d.size as number);
        strides = [plan.dims.map((d) => (d.axis < 0 ? 0 : d.step * st[d.axis]))];
      }
      ins = [{ ...ins[0], addr: ins[0].addr + offset * byteSize(ins[0].dtype) }];
    } else if (n.op === 'transpose') {
      const x = ins[0].shape;
      const permAttr = nums(n.attrs.perm);
      if (permAttr && permAttr.length !== x.length)
        throw new InvalidArgumentError(`transpose expects a vector of size ${x.length}. But input(1) is a vector of size ${permAttr.length}`);
      const perm = permutation(permAttr, x.length, InvalidArgumentError);
      shape = perm.map((p) => x[p]);
      const st = stridesOf(x);
      strides = [perm.map((p) => st[p])];
      ins = [ins[0]];
    } else {
      if (n.op === 'add_n') checkSameShapes(ins.map((x) => x.shape));
      shape = [...ins[0].shape];
      for (let i = 1; i < ins.length; i++) shape = broadcastShapes(shape, ins[i].shape);
      strides = ins.map((x) => broadcastStrides(x.shape, shape));
    }
    const o = this.out(n, shape);
    const all = [...ins, o];
    const bytes = all.map((v) => byteSize(v.dtype));
    strides.push(stridesOf(shape));
    const nest = simplify({ dims: shape, strides: shape.map((_, d) => all.map((_, a) => strides[a][d] * bytes[a])) }, all.length);
    this.call(n, [nest.dims.length, ...all.map((v) => v.addr), ...nestWords(nest)]);
    return o;
  }

  private reduce(n: ManifestNode, x: DynValue): DynValue {
    const r = x.shape.length;
    const arg = n.op === 'argmax' || n.op === 'argmin';
    const axes = arg
      ? [axisOf((n.attrs.axis as number | undefined) ?? 0, r, InvalidArgumentError)]
      : reductionAxes(nums(n.attrs.axis), r, InvalidArgumentError);
    const reduced = new Set(axes);
    const kept = x.shape.map((_, i) => i).filter((i) => !reduced.has(i));
    const shape = !arg && n.attrs.keepdims ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : kept.map((i) => x.shape[i]);
    const o = this.out(n, shape);
    const xb = byteSize(x.dtype);
    const ob = byteSize(o.dtype);
    const xs = stridesOf(x.shape);
    const os = stridesOf(kept.map((i) => x.shape[i]));
    const outer = simplify({ dims: kept.map((i) => x.shape[i]), strides: kept.map((i, k) => [xs[i] * xb, os[k] * ob]) }, 2);
    const inner = simplify({ dims: axes.map((i) => x.shape[i]), strides: axes.map((i) => [xs[i] * xb]) }, 1);
    const count = sizeOf(axes.map((i) => x.shape[i]));
    this.call(n, [outer.dims.length, inner.dims.length, count, x.addr, o.addr, ...nestWords(outer), ...nestWords(inner)]);
    return o;
  }
}
