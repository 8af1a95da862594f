/**
 * @fileoverview Choosing and sizing a plan for a run: the signature whose entry covers a run
 * (its feeds are exactly the run's, and the run asks for all it fetches), the batch size B
 * solved from the fed shapes against a plan's symbolic feed shapes, and a node's own shape in a
 * plan (an alias's differs from its buffer's).
 */
import type { Tensor } from '../tensor.js';
import type { FetchStructure, Manifest, ManifestNode, ManifestPlan, ManifestPoly } from './manifest.js';

/** A slot's symbolic shape: its own (a view of a larger buffer), else its buffer's. */
export function slotShape(plan: ManifestPlan, s: ManifestPlan['slots'][number]): ManifestPoly[] {
  return s.shape ?? plan.buffers[s.buffer].shape;
}

/** A node's own symbolic shape in a plan. */
export function nodeShape(plan: ManifestPlan, node: string): ManifestPoly[] {
  const s = slotsByName(plan).get(node);
  if (!s) throw new Error(`internal: no buffer for '${node}'`);
  return slotShape(plan, s);
}

const slotMemo = new WeakMap<ManifestPlan, Map<string, ManifestPlan['slots'][number]>>();
/** A plan's slots by node name (memoized per plan: a run looks its feeds and fetches up here, not in a map built per call). */
export function slotsByName(plan: ManifestPlan): Map<string, ManifestPlan['slots'][number]> {
  let m = slotMemo.get(plan);
  if (!m) slotMemo.set(plan, (m = new Map(plan.slots.map((s) => [s.node, s]))));
  return m;
}

/**
 * A plan's feeds, read once per plan for solveB: each fed node's symbolic shape, and per dim
 * either a constant (bTerm 0) or `const + bTerm·B` (bTerm ≠ 0), or null when a dim is some
 * other polynomial (no single B can be solved from it: the run takes the generic path).
 */
interface FeedDim {
  readonly c: number;
  readonly b: number;
}
interface FeedShape {
  readonly poly: ManifestPoly[];
  readonly dims: FeedDim[] | null;
}
const feedShapesMemo = new WeakMap<ManifestPlan, Map<string, FeedShape>>();
function feedShapesOf(plan: ManifestPlan): Map<string, FeedShape> {
  const memo = feedShapesMemo.get(plan);
  if (memo) return memo;
  const polys = new Map<string, ManifestPoly[]>();
  for (const s of plan.slots) polys.set(s.node, slotShape(plan, s));
  for (const f of plan.feedShapes ?? []) polys.set(f.node, f.shape);
  const out = new Map<string, FeedShape>();
  for (const [node, poly] of polys) {
    let dims: FeedDim[] | null = [];
    for (const p of poly) {
      const keys = Object.keys(p).filter((k) => k !== '');
      if (keys.length === 0) dims.push({ c: p[''] ?? 0, b: 0 });
      else if (keys.length === 1 && keys[0] === 'B') dims.push({ c: p[''] ?? 0, b: p.B });
      else {
        dims = null;
        break;
      }
    }
    out.set(node, { poly, dims });
  }
  feedShapesMemo.set(plan, out);
  return out;
}

/** The batch size B from the fed shapes against the plan's symbolic feed shapes (null: no single B). */
export function solveB(plan: ManifestPlan, fed: ReadonlyMap<ManifestNode, Tensor>): number | null {
  let B: number | null = null;
  const shapes = feedShapesOf(plan);
  for (const [node, t] of fed) {
    const sh = shapes.get(node.name);
    if (sh === undefined) continue;
    if (sh.poly.length !== t.shape.length) return null;
    if (sh.dims === null) return null;
    for (let d = 0; d < sh.dims.length; d++) {
      const { c, b } = sh.dims[d];
      if (b === 0) continue;
      const v = (t.shape[d] - c) / b;
      if (!Number.isInteger(v) || v < 0) return null;
      if (B !== null && B !== v) return null;
      B = v;
    }
  }
  B = B ?? 1;
  for (const [node, t] of fed) {
    const sh = shapes.get(node.name);
    if (sh === undefined) continue;
    const dims = sh.dims!;
    for (let d = 0; d < dims.length; d++) if (dims[d].c + dims[d].b * B !== t.shape[d]) return null;
  }
  return B;
}

function collectOps(f: FetchStructure | unknown, out: Set<string>): void {
  if (Array.isArray(f)) f.forEach((x) => collectOps(x, out));
  else if (f && typeof f === 'object') {
    if ('op' in f) out.add((f as { op: string }).op);
    else if ('dict' in f) for (const [, v] of (f as { dict: [string, unknown][] }).dict) collectOps(v, out);
  }
}

/**
 * The signature whose entry covers a run: its feeds are exactly the fed names, every fetch is
 * one of its fetches (or fed), and the run asks for all of them — so a fetch of `loss` alone
 * never runs a signature's `train_op` (assigns, random draws). Null when none does.
 */
export function coveringSignature(m: Manifest, fetched: readonly { name: string; asOp: boolean }[], fedNames: ReadonlySet<string>): number | null {
  for (let i = 0; i < m.signatures.length; i++) {
    const s = m.signatures[i];
    if (s.feeds.length !== fedNames.size || !s.feeds.every((f) => fedNames.has(f))) continue;
    const plan = m.plans[s.plan];
    const tensors = new Set(plan.fetches);
    const ops = new Set<string>();
    collectOps(s.fetches, ops);
    if (!fetched.every((e) => (e.asOp ? ops.has(e.name) || tensors.has(e.name) : tensors.has(e.name) || fedNames.has(e.name)))) continue;
    const asked = new Set(fetched.map((e) => e.name));
    if ([...ops].every((n) => asked.has(n)) && plan.fetches.every((n) => asked.has(n) || fedNames.has(n))) return i;
  }
  return null;
}
