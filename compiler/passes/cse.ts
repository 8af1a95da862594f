/**
 * @fileoverview cse: common subexpression elimination by hash-consing.
 *
 * Two nodes are merged when they have the same op, the same (already merged) inputs, the same
 * control inputs, equal attrs and the same dtype and static shape. The first node in graph
 * order survives and keeps its name; later duplicates map to it. Never merged: placeholders,
 * variables, stateful ops (assign, random), control ops and fed nodes — each stands for its
 * own value or effect even when it looks like another.
 *
 * Before:
 * ```
 * x = placeholder f32[3]
 * a = exp(x)
 * b = exp(x)
 * r1 = random_uniform() {seed: 0}
 * r2 = random_uniform() {seed: 0}
 * y = add(a, b)
 * ```
 * After:
 * ```
 * x = placeholder f32[3]
 * a = exp(x)
 * r1 = random_uniform() {seed: 0}
 * r2 = random_uniform() {seed: 0}
 * y = add(a, a)
 * ```
 */
import type { Node } from '../ir/graph.js';
import { hasIdentity } from './opinfo.js';
import { GraphRewriter, type GraphUnit, type PassResult, canonicalJson } from './rewrite.js';

export function cse(unit: GraphUnit): PassResult {
  const fed = new Set(unit.feeds);
  const rw = new GraphRewriter(unit.graph);
  const table = new Map<string, Node>();
  for (const n of unit.graph.nodes) {
    const inputs = n.inputs.map((i) => rw.get(i));
    const ctrl = [...new Set(n.controlInputs.map((c) => rw.get(c)))];
    if (hasIdentity(n) || fed.has(n)) {
      rw.copy(n, { inputs, controlInputs: ctrl });
      continue;
    }
    const key = [
      n.op,
      n.dtype ?? '-',
      canonicalJson(n.shape),
      canonicalJson(n.attrs),
      inputs.map((i) => i.id).join(','),
      ctrl
        .map((c) => c.id)
        .sort((a, b) => a - b)
        .join(','),
    ].join('|');
    const prev = table.get(key);
    if (prev) rw.alias(n, prev);
    else table.set(key, rw.copy(n, { inputs, controlInputs: ctrl }));
  }
  return rw.finish(unit);
}
