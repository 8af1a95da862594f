/**
 * @fileoverview prune: keep only what the fetches need, with the feeds cut off.
 *
 * Walks back from the fetches through data inputs and control inputs. A fed node is kept but
 * becomes an input (a `placeholder` with the node's name, dtype and static shape); its own
 * inputs and control inputs are not needed, exactly as TF1's Session.run does not run the
 * producer of a fed tensor. Feeds the fetches do not need are dropped.
 *
 * Before (fetch `y`, feed `h`):
 * ```
 * a = placeholder f32[2]
 * h = exp(a)
 * y = add(h, h)
 * z = neg(a)
 * ```
 * After:
 * ```
 * h = placeholder f32[2]
 * y = add(h, h)
 * ```
 */
import type { Node } from '../ir/graph.js';
import { refInputs } from './opinfo.js';
import { GraphRewriter, type GraphUnit, PassError, type PassResult, reachable } from './rewrite.js';

export function prune(unit: GraphUnit): PassResult {
  const fed = new Set(unit.feeds);
  const keep = reachable(unit.fetches, fed);
  // A variable read through a reference (assign's first input) cannot be replaced by a value.
  for (const n of keep) {
    if (fed.has(n)) continue;
    for (const ri of refInputs(n.op)) {
      const v = n.inputs[ri];
      if (v && fed.has(v)) {
        throw new PassError(`Cannot feed '${v.tensorName}': it is assigned by '${n.name}' in the same run`);
      }
    }
  }
  const rw = new GraphRewriter(unit.graph);
  const newFeeds: Node[] = [];
  for (const n of unit.graph.nodes) {
    if (!keep.has(n)) continue;
    if (fed.has(n)) {
      if (n.dtype === null) throw new PassError(`Cannot feed '${n.name}': the operation has no output`);
      const m =
        n.op === 'placeholder' && n.controlInputs.length === 0
          ? rw.copy(n)
          : rw.copy(n, { op: 'placeholder', inputs: [], controlInputs: [], attrs: { dtype: n.dtype, shape: n.shape } });
      newFeeds.push(m);
    } else {
      rw.copy(n);
    }
  }
  return rw.finish(unit, newFeeds);
}
