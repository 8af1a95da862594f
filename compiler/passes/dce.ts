/**
 * @fileoverview dce: dead code elimination given the fetch set.
 *
 * Keeps the fetches and everything they reach through data and control inputs; everything
 * else goes (consts left unused by `fold`, duplicates left by `simplify`). Unlike `prune`,
 * feeds are not cut: a fed node keeps its inputs. Fed nodes that are no longer needed are
 * dropped from the feed list.
 *
 * Before (fetch `y`):
 * ```
 * a = const f32[] 2
 * b = const f32[] 3
 * c = const f32[] 6
 * x = placeholder f32[3]
 * y = add(x, c)
 * ```
 * After:
 * ```
 * c = const f32[] 6
 * x = placeholder f32[3]
 * y = add(x, c)
 * ```
 */
import { GraphRewriter, type GraphUnit, type PassResult, reachable } from './rewrite.js';

export function dce(unit: GraphUnit): PassResult {
  const keep = reachable(unit.fetches);
  const rw = new GraphRewriter(unit.graph);
  for (const n of unit.graph.nodes) if (keep.has(n)) rw.copy(n);
  return rw.finish(unit);
}
