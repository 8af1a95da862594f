/**
 * @fileoverview fuse: group the nodes of a (pruned, optimised) graph into kernels.
 *
 * Every value node gets one decision:
 * - `leaf`: given by the caller or the module — placeholders and fed nodes, variables, consts;
 * - `root`: starts a kernel (its value is materialised in a buffer);
 * - `inline`: computed inside the kernels of its consumers (not materialised, unless fetched:
 *   then the one kernel that computes it also stores it — multi-output fusion);
 * - `alias`: the same buffer as its input under another shape (reshape, expand_dims, squeeze,
 *   identity of a materialised value), no kernel and no copy.
 *
 * What each op is to fusion is its fusion class, `OpDef.lower.fusion` (compiler/ops/lower-api.ts):
 * elementwise, view (with its index map), alias, reduction, contraction, opaque, stateful, leaf.
 *
 * Rules (after XLA's instruction fusion and TVM's op patterns; docs/fusion.md):
 * 1. Elementwise ops and affine layout ops (transpose, expand_dims, squeeze, slice,
 *    strided_slice, fill) are fusible: they are inlined into every kernel that consumes them,
 *    as index arithmetic on the loads beneath them.
 * 2. A reduction is always a root; its fusible producers are inlined into it (input fusion).
 * 3. matmul is a root reading materialised inputs; when its only consumer is an element-wise
 *    loop over its output, that loop becomes its epilogue (output fusion: bias add + relu).
 * 4. matrix_inverse, softmax/cross-entropies, gather, concat, one_hot, random, ... are opaque
 *    roots (runtime calls) reading materialised inputs.
 * 5. A fusible producer used by two or more kernels is recomputed in each when it is cheap
 *    (no exp/log/tanh/pow/sigmoid/sin/cos), else materialised.
 * 6. reshape is always an alias; its input is materialised (a reshape of a computed
 *    expression is not affine in general).
 * 7. assign/assign_add/assign_sub are loops writing in place into the variable's buffer, with
 *    their value computation fused in (an SGD step is one loop). An assign whose value is read
 *    only by one loop kernel, element for element, is computed inside that kernel, which also
 *    stores it into the variable (multi-output fusion): Adam's m, v and parameter updates are one
 *    pass reading the gradient, m, v and the parameter once. Not when that kernel reads the
 *    variable other than through the assign's own value (it must see the new value then), or
 *    when a node waits for the assign by a control edge.
 * 8. `noFuse`: every value that is not a leaf or an alias is a root (one kernel per node).
 * 9. A chain of inlined nodes is at most `MAX_INLINE_DEPTH` deep below its root; the next node
 *    down is materialised. The kernel builder recurses along such chains, and binaryen's passes
 *    and writer recurse on the expression trees they become (a fused `y = y * 1.5 + 1.0` loop
 *    of 2,000 steps overflowed the stack); one store and load per 128 operations costs nothing.
 */
import type { DType } from '../../session/dtype.js';
import type { Node } from '../ir/graph.js';
import { Poly, contiguousStrides, numel } from '../ir/sym.js';
import type { View, ViewContext } from '../ops/lower-api.js';
import { lowering } from '../passes/opinfo.js';
import { constValue } from '../passes/fold.js';
import { type GraphUnit, consumersOf, reachable } from '../passes/rewrite.js';
import type { AccessPattern, Body, Expr, Kernel, Load, LoopKernel, MatmulKernel, Store } from './kernel.js';
import { ScheduleError, inferSymShapes } from './symshape.js';

export type { View };

export type Decision = 'leaf' | 'root' | 'inline' | 'alias' | 'none';

/** Rule 9: inlined nodes on one path below a kernel's root. */
export const MAX_INLINE_DEPTH = 128;

export interface FuseOptions {
  /** One kernel per node (no fusion), for comparison. */
  noFuse?: boolean;
  /**
   * Scalar constants become immediates in the kernels that read them (default true). The
   * generic plan turns this off: any tensor may be fed, a constant too, so it must be read.
   */
  constImmediates?: boolean;
}

export interface FusionResult {
  unit: GraphUnit;
  /** Nodes the fetches need, in graph order. */
  nodes: Node[];
  kernels: Kernel[];
  decisions: Map<Node, Decision>;
  /** alias node → the node whose buffer it shares (resolved to a non-alias). */
  aliases: Map<Node, Node>;
  /** Symbolic shape of every value node. */
  shapes: Map<Node, Poly[]>;
}

/** Elementwise ops and views: inlined into the kernels that read them. */
export function isFusible(n: Node): boolean {
  const f = lowering(n.op).fusion;
  return f === 'elementwise' || f === 'view';
}

/** Cheap enough to recompute in each kernel that reads it (not a runtime call per element). */
export function isCheap(n: Node): boolean {
  const low = lowering(n.op);
  return !(low.fusion === 'elementwise' && low.expensive);
}

type RootKind = 'loop' | 'reduce' | 'matmul' | 'assign' | 'opaque';

function rootKind(n: Node): RootKind {
  const f = lowering(n.op).fusion;
  if (f === 'stateful') return 'assign';
  if (f === 'reduction') return 'reduce';
  if (f === 'contraction') return 'matmul';
  if (f === 'elementwise' || f === 'view') return 'loop';
  return 'opaque';
}

/** Shares its materialised input's buffer when it is a root (expand_dims, squeeze, identity). */
function sharesBuffer(n: Node): boolean {
  const low = lowering(n.op);
  return (low.fusion === 'elementwise' || low.fusion === 'view') && low.sharesBuffer === true;
}

/** Can root `c` compute its input number `i` inside its own kernel? */
function absorbs(c: Node, i: number): boolean {
  const k = rootKind(c);
  if (k === 'loop' || k === 'reduce') return true;
  if (k === 'assign') return i === 1;
  return false;
}

export function fuse(unit: GraphUnit, opts: FuseOptions = {}): FusionResult {
  const fed = new Set(unit.feeds);
  const needed = reachable(unit.fetches, fed);
  const nodes = unit.graph.nodes.filter((n) => needed.has(n));
  const shapes = inferSymShapes(nodes);
  const consumers = consumersOf(nodes);
  const fetched = new Set(unit.fetches.filter((f) => f.dtype !== null));
  const controlled = new Set(nodes.flatMap((n) => n.controlInputs));
  const forced = new Set<Node>();
  for (;;) {
    const decisions = decide(nodes, consumers, fed, fetched, controlled, forced, !!opts.noFuse);
    const aliases = resolveAliases(nodes, decisions);
    const b = new KernelBuilder(decisions, aliases, shapes, fetched, opts.constImmediates !== false);
    const kernels: Kernel[] = [];
    for (const n of nodes) if (decisions.get(n) === 'root') kernels.push(b.build(n));
    if (b.mustMaterialise.size) {
      const before = forced.size;
      for (const n of b.mustMaterialise) forced.add(n);
      if (forced.size > before) continue;
      throw new ScheduleError(`internal: fusion did not converge at ${[...b.mustMaterialise].map((n) => n.name).join(', ')}`);
    }
    const final = opts.noFuse ? kernels : fuseEpilogues(kernels, consumers, fetched);
    final.forEach((k, i) => (k.id = i));
    return { unit, nodes, kernels: final, decisions, aliases, shapes };
  }
}

function decide(
  nodes: Node[],
  consumers: Map<Node, Node[]>,
  fed: Set<Node>,
  fetched: Set<Node>,
  controlled: Set<Node>,
  forced: Set<Node>,
  noFuse: boolean,
): Map<Node, Decision> {
  const d = new Map<Node, Decision>();
  /** For inline nodes: the roots of the kernels that compute them. */
  const kernelsOf = new Map<Node, Set<Node>>();
  /** For inline nodes: how many inline nodes lie on the longest path from it up to a root. */
  const depthOf = new Map<Node, number>();
  for (let idx = nodes.length - 1; idx >= 0; idx--) {
    const n = nodes[idx];
    if (n.dtype === null) {
      d.set(n, 'none');
      continue;
    }
    if (fed.has(n) || lowering(n.op).fusion === 'leaf') {
      d.set(n, 'leaf');
      continue;
    }
    if (lowering(n.op).fusion === 'alias') {
      d.set(n, 'alias');
      continue;
    }
    const assign = rootKind(n) === 'assign';
    if (noFuse || forced.has(n) || (!isFusible(n) && !assign) || (assign && controlled.has(n))) {
      d.set(n, 'root');
      continue;
    }
    const ks = new Set<Node>();
    let needsBuffer = false;
    for (const c of consumers.get(n) ?? []) {
      const dc = d.get(c)!;
      if (dc === 'leaf') continue; // a fed consumer does not run
      if (dc === 'inline') for (const k of kernelsOf.get(c)!) ks.add(k);
      else if (dc === 'root' && c.inputs.every((x, i) => x !== n || absorbs(c, i))) ks.add(c);
      else needsBuffer = true;
    }
    // How deep n would sit under its kernel's root: a chain inlined deeper is cut (rule 9).
    let depth = 1;
    for (const c of consumers.get(n) ?? []) if (d.get(c) === 'inline') depth = Math.max(depth, depthOf.get(c)! + 1);
    // An assign (rule 7) runs once: inside one loop kernel or as its own.
    const once = assign && (ks.size !== 1 || !['loop', 'assign'].includes(rootKind([...ks][0]!)));
    if (needsBuffer || ks.size === 0 || (ks.size > 1 && (!isCheap(n) || fetched.has(n))) || depth > MAX_INLINE_DEPTH || once) d.set(n, 'root');
    else {
      d.set(n, 'inline');
      kernelsOf.set(n, ks);
      depthOf.set(n, depth);
    }
  }
  // A root that only renames a materialised value shares its buffer.
  for (const n of nodes) {
    if (d.get(n) !== 'root' || !sharesBuffer(n)) continue;
    const di = d.get(n.inputs[0]);
    if (di === 'leaf' || di === 'root' || di === 'alias') d.set(n, 'alias');
  }
  return d;
}

function resolveAliases(nodes: Node[], d: Map<Node, Decision>): Map<Node, Node> {
  const a = new Map<Node, Node>();
  for (const n of nodes) {
    if (d.get(n) === 'alias') a.set(n, a.get(n.inputs[0]) ?? n.inputs[0]);
    else if (rootKind(n) === 'assign' && (d.get(n) === 'root' || d.get(n) === 'inline')) a.set(n, a.get(n.inputs[0]) ?? n.inputs[0]);
  }
  return a;
}

const identityView = (rank: number): View => ({
  m: Array.from({ length: rank }, (_, i) => Array.from({ length: rank }, (_, j) => (i === j ? 1 : 0))),
  o: Array.from({ length: rank }, () => Poly.const(0)),
});

const viewKey = (v: View): string => `${v.m.map((r) => r.join(',')).join(';')}|${v.o.map(String).join(',')}`;

class KernelBuilder {
  readonly mustMaterialise = new Set<Node>();

  constructor(
    readonly d: Map<Node, Decision>,
    readonly aliases: Map<Node, Node>,
    readonly shapes: Map<Node, Poly[]>,
    readonly fetched: Set<Node>,
    readonly immediates: boolean,
  ) {}

  shape(n: Node): Poly[] {
    return this.shapes.get(n)!;
  }

  /**
   * The assigns a loop kernel computes write in place (rule 7): every read of an assigned
   * variable in the kernel must be at the index written (else the root's value, or the inlined
   * assign, is materialised), and only an inlined assign's own value may read its variable (any
   * other member waits for the assign, so it must see the new value: the assign is a root then).
   */
  checkInPlace(ctx: BodyContext, root: Node): void {
    const space = ctx.space;
    for (const a of ctx.members) {
      if (rootKind(a) !== 'assign') continue;
      const v = a.inputs[0];
      const base = this.aliases.get(v) ?? v;
      for (const l of ctx.loads) {
        // A one-element space reads and writes index 0 whatever the load's pattern (scalar variables: global_step).
        const sameIndex = numel(this.shape(l.node)).equals(numel(space)) && (l.pattern === 'contiguous' || numel(space).equals(1));
        if ((this.aliases.get(l.node) ?? l.node) === base && !sameIndex) this.mustMaterialise.add(a === root ? a.inputs[1] : a);
      }
      if (a === root) continue;
      const own = cone(a, ctx.members);
      for (const n of ctx.members) {
        // (an assign root's update reads its variable too: a second assign to it must see a's value)
        if (!own.has(n) && n.inputs.some((x) => (this.aliases.get(x) ?? x) === base && !ctx.members.has(x))) this.mustMaterialise.add(a);
      }
    }
  }

  build(root: Node): Kernel {
    const kind = rootKind(root);
    const common = { id: 0, name: root.name };
    if (kind === 'matmul' || kind === 'opaque') {
      const inputs = uniq(root.inputs);
      const low = lowering(root.op);
      if (kind === 'opaque' || low.fusion !== 'contraction') return { ...common, kind: 'opaque', node: root, nodes: [root], inputs, outputs: [root] };
      const { a, b, transposeA, transposeB } = low.operands(root);
      return {
        ...common,
        kind,
        node: root,
        a,
        b,
        transposeA,
        transposeB,
        space: this.shape(root),
        epilogue: null,
        nodes: [root],
        inputs,
        outputs: [root],
      };
    }
    if (kind === 'reduce') {
      const low = lowering(root.op);
      if (low.fusion !== 'reduction') throw new ScheduleError(`internal: ${root.op} is not a reduction`);
      const x = root.inputs[0];
      const space = this.shape(x);
      const ctx = new BodyContext(this, space);
      const value = ctx.expr(x, identityView(space.length));
      const axes = low.axes(root, space.length);
      ctx.members.add(root);
      return {
        ...common,
        kind,
        space,
        body: ctx.body(),
        value,
        axes,
        combiner: low.combiner,
        mean: low.mean === true,
        keepdims: !!root.attrs.keepdims,
        output: root,
        outShape: this.shape(root),
        nodes: ctx.memberList(),
        inputs: ctx.inputs(),
        outputs: [...ctx.stores.map((s) => s.node), root],
      };
    }
    const space = this.shape(root);
    const ctx = new BodyContext(this, space);
    const view = identityView(space.length);
    let e: number;
    if (kind === 'assign') {
      const v = root.inputs[0];
      const value = ctx.expr(root.inputs[1], broadcastView(view, space, this.shape(root.inputs[1])));
      const low = lowering(root.op);
      const update = low.fusion === 'stateful' ? low.update : null;
      if (update === null) e = value;
      else e = ctx.push({ op: update, args: [ctx.load(v, view), value], attrs: {}, dtype: root.dtype!, node: root });
    } else {
      e = ctx.def(root, view);
    }
    ctx.members.add(root);
    ctx.stores.push({ ...ctx.access(root, view), expr: e });
    this.checkInPlace(ctx, root);
    return { ...common, kind: 'loop', space, body: ctx.body(), nodes: ctx.memberList(), inputs: ctx.inputs(), outputs: ctx.stores.map((s) => s.node) };
  }
}

/** Nodes of a kernel's members that `n`'s value is computed from, `n` included. */
function cone(n: Node, members: Set<Node>): Set<Node> {
  const out = new Set<Node>([n]);
  const stack = [n];
  while (stack.length) {
    for (const x of stack.pop()!.inputs) {
      if (!members.has(x) || out.has(x)) continue;
      out.add(x);
      stack.push(x);
    }
  }
  return out;
}

class BodyContext {
  readonly loads: Load[] = [];
  readonly exprs: Expr[] = [];
  readonly stores: Store[] = [];
  readonly members = new Set<Node>();
  private memo = new Map<string, number>();
  private loadMemo = new Map<string, number>();

  constructor(
    readonly b: KernelBuilder,
    readonly space: Poly[],
  ) {}

  push(e: Expr): number {
    this.exprs.push(e);
    return this.exprs.length - 1;
  }

  body(): Body {
    return { loads: this.loads, exprs: this.exprs, stores: this.stores };
  }

  memberList(): Node[] {
    return [...this.members].sort((p, q) => p.id - q.id);
  }

  inputs(): Node[] {
    return uniq(this.loads.map((l) => l.node));
  }

  /** Access of a materialised node's buffer under a view. */
  access(n: Node, v: View): Load {
    const cs = contiguousStrides(this.b.shape(n));
    const strides = this.space.map((_, i) => cs.reduce((acc, s, j) => acc.add(s.mul(v.m[j][i])), Poly.const(0)));
    const offset = cs.reduce((acc, s, j) => acc.add(s.mul(v.o[j])), Poly.const(0));
    return { node: n, dtype: n.dtype!, strides, offset, pattern: classify(strides, offset, this.space) };
  }

  load(n: Node, v: View): number {
    if (this.b.immediates && n.op === 'const' && n.shape !== null && n.shape.every((x) => x === 1)) {
      const key = `c${n.id}`;
      let e = this.memo.get(key);
      if (e === undefined) this.memo.set(key, (e = this.push({ op: 'const', value: constValue(n).data[0], dtype: n.dtype! })));
      return e;
    }
    const acc = this.access(n, v);
    const key = `${n.id}|${acc.strides.join(',')}|${acc.offset}`;
    let li = this.loadMemo.get(key);
    if (li === undefined) {
      this.loads.push(acc);
      this.loadMemo.set(key, (li = this.loads.length - 1));
    }
    return this.push({ op: 'load', load: li, dtype: n.dtype! });
  }

  /** The value of `n` under view `v`: a load of its buffer, or its inlined definition. */
  expr(n: Node, v: View): number {
    const key = `${n.id}#${viewKey(v)}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    let e: number;
    if (this.b.d.get(n) === 'inline') {
      this.members.add(n);
      e = this.def(n, v);
      if (this.b.fetched.has(n) && !this.stores.some((s) => s.node === n)) {
        if (isBijective(v, this.b.shape(n), this.space)) this.stores.push({ ...this.access(n, v), expr: e });
        else this.b.mustMaterialise.add(n);
      }
    } else {
      e = this.load(n, v);
    }
    this.memo.set(key, e);
    return e;
  }

  /** The definition of a fusible node from its inputs: its view rule, or its elementwise op. */
  def(n: Node, v: View): number {
    const low = lowering(n.op);
    if (low.fusion === 'stateful') return this.assign(n, v, low.update);
    const view = low.fusion === 'view' || low.fusion === 'elementwise' ? low.view : undefined;
    if (view) {
      const ctx: ViewContext = { shape: (x) => this.b.shape(x), cols: this.space.length };
      const r = view(n, v, ctx);
      if ('constant' in r) return this.push({ op: 'const', value: r.constant, dtype: n.dtype! });
      return this.expr(n.inputs[0], r);
    }
    const shape = this.b.shape(n);
    const args = n.inputs.map((i) => this.expr(i, broadcastView(v, shape, this.b.shape(i))));
    return this.push({ op: n.op, args, attrs: n.attrs, dtype: n.dtype as DType, node: n });
  }

  /** An inlined assign (rule 7): its new value, stored into the variable here, element for element. */
  assign(n: Node, v: View, update: 'add' | 'sub' | null): number {
    const shape = this.b.shape(n);
    const value = this.expr(n.inputs[1], broadcastView(v, shape, this.b.shape(n.inputs[1])));
    const e = update === null ? value : this.push({ op: update, args: [this.load(n.inputs[0], v), value], attrs: {}, dtype: n.dtype!, node: n });
    if (isBijective(v, shape, this.space)) this.stores.push({ ...this.access(n, v), expr: e });
    else this.b.mustMaterialise.add(n);
    return e;
  }
}

/** View of a broadcast input `xs` from the view of the output (shape `ys`). */
function broadcastView(v: View, ys: Poly[], xs: Poly[]): View {
  const k = ys.length - xs.length;
  const cols = v.m.length ? v.m[0].length : 0;
  const zero = (): number[] => new Array(cols).fill(0);
  return {
    m: xs.map((d, j) => (d.equals(1) && !ys[j + k].equals(1) ? zero() : (v.m[j + k] ?? zero()))),
    o: xs.map((d, j) => (d.equals(1) && !ys[j + k].equals(1) ? Poly.const(0) : v.o[j + k])),
  };
}

/** Does the view visit every element of a node of shape `ns` exactly once over `space`? */
function isBijective(v: View, ns: Poly[], space: Poly[]): boolean {
  if (!v.o.every((p) => p.equals(0))) return false;
  const used = new Set<number>();
  for (let j = 0; j < ns.length; j++) {
    const nz = v.m[j].flatMap((x, i) => (x !== 0 ? [i] : []));
    if (nz.length === 0) {
      if (!ns[j].equals(1)) return false;
      continue;
    }
    if (nz.length !== 1 || v.m[j][nz[0]] !== 1 || used.has(nz[0]) || !space[nz[0]].equals(ns[j])) return false;
    used.add(nz[0]);
  }
  return space.every((d, i) => used.has(i) || d.equals(1));
}

function classify(strides: Poly[], offset: Poly, space: Poly[]): AccessPattern {
  const cs = contiguousStrides(space);
  const same = (i: number): boolean => space[i].equals(1) || strides[i].equals(cs[i]);
  const zero = (i: number): boolean => space[i].equals(1) || strides[i].equals(0);
  if (space.every((_, i) => zero(i))) return 'scalar';
  if (!offset.equals(0)) return 'strided';
  if (space.every((_, i) => same(i))) return 'contiguous';
  // row: a prefix of broadcast dims, then the trailing dims contiguous among themselves.
  for (let p = 1; p < space.length; p++) {
    if (!space.slice(0, p).every((_, i) => zero(i))) break;
    const tail = contiguousStrides(space.slice(p));
    if (space.slice(p).every((d, i) => d.equals(1) || strides[p + i].equals(tail[i]))) return 'row';
  }
  return 'strided';
}

/** Output fusion: a matmul whose only consumer is an element-wise loop over its result. */
function fuseEpilogues(kernels: Kernel[], consumers: Map<Node, Node[]>, fetched: Set<Node>): Kernel[] {
  const removed = new Set<Kernel>();
  for (const km of kernels) {
    if (km.kind !== 'matmul' || fetched.has(km.node)) continue;
    const cs = consumers.get(km.node) ?? [];
    const users = kernels.filter((k) => k !== km && k.inputs.includes(km.node));
    if (users.length !== 1) continue;
    const kc = users[0];
    if (kc.kind !== 'loop' || !cs.every((c) => kc.nodes.includes(c))) continue;
    if (kc.space.length !== km.space.length || !kc.space.every((d, i) => d.equals(km.space[i]))) continue;
    // The product must be read once, element for element.
    const li = kc.body.loads.map((l, i) => (l.node === km.node ? i : -1)).filter((i) => i >= 0);
    if (li.length !== 1 || kc.body.loads[li[0]].pattern !== 'contiguous') continue;
    if (kc.nodes.some((n) => rootKind(n) === 'assign')) continue;
    const idx = li[0];
    const exprs: Expr[] = kc.body.exprs.map((e) => {
      if (e.op !== 'load') return e;
      const l = (e as { load: number }).load;
      if (l === idx) return { op: 'acc', dtype: e.dtype };
      return { op: 'load', load: l > idx ? l - 1 : l, dtype: e.dtype };
    });
    const mk = km as MatmulKernel;
    mk.epilogue = { loads: kc.body.loads.filter((_, i) => i !== idx), exprs, stores: kc.body.stores };
    mk.nodes = [...mk.nodes, ...kc.nodes].sort((p, q) => p.id - q.id);
    mk.inputs = uniq([...mk.inputs, ...kc.inputs.filter((n) => n !== km.node)]);
    mk.outputs = [...kc.outputs];
    mk.name = (kc as LoopKernel).name;
    removed.add(kc);
  }
  return kernels.filter((k) => !removed.has(k));
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
