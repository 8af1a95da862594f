/**
 * @fileoverview Multi-node TF1 Python wrappers shared by several builtins and initializers:
 * `zeros`/`ones` (a Const when small, else `fill`), the random ops with TF1's seed rules
 * (`random_seed.get_seed`: graph seed + op seed, the op seed defaulting to the graph's last
 * node id, DEFAULT_GRAPH_SEED 87654321 when only the op seed is set; with neither, seeds are
 * drawn at build time and a note says so) and scope-name validation.
 */
import type { DType } from '../../session/dtype.js';
import type { Graph, Node } from '../ir/graph.js';
import type { Ctx } from './context.js';
import { convertToTensor, makeConst, node, requireOp } from './convert.js';
import { staticShapeValue } from '../ops/static-value.js';
import { FE } from './errors.js';
import { float, int, bool as boolV, type Value } from './values.js';

export const DEFAULT_GRAPH_SEED = 87654321;
const MAXINT32 = 2147483647;

/** TF1's random_seed.get_seed(op_seed) → [seed, seed2], or null when neither is set. */
export function getSeed(graph: Graph, opSeed: number | null): [number, number] | null {
  const truncate = (s: number): number => ((s % MAXINT32) + MAXINT32) % MAXINT32;
  let seeds: [number, number] | null;
  if (graph.seed !== null) {
    seeds = [truncate(graph.seed), truncate(opSeed ?? graph.lastId)];
  } else if (opSeed !== null) {
    seeds = [DEFAULT_GRAPH_SEED, truncate(opSeed)];
  } else {
    seeds = null;
  }
  if (seeds && seeds[0] === 0 && seeds[1] === 0) return [0, MAXINT32];
  return seeds;
}

/** Seeds for a random op; without graph or op seed they are drawn now (noted once). */
export function seedsFor(ctx: Ctx, opSeed: number | null): { seed: number; seed2: number } {
  const s = getSeed(ctx.graph, opSeed);
  if (s) return { seed: s[0], seed2: s[1] };
  ctx.note(
    FE.NONDETERMINISTIC_SEED,
    'random op without a graph or op seed: its seeds were drawn when the graph was built (TF1 draws them per session); call set_random_seed(s) for reproducible programs',
  );
  const draw = (): number => 1 + Math.floor(Math.random() * (MAXINT32 - 1));
  return { seed: draw(), seed2: draw() };
}

/** A random source op (`random_uniform`, `random_normal`, `truncated_normal`) named `name`. */
export function randomNode(ctx: Ctx, op: string, shape: number[], dtype: DType, params: Record<string, number>, opSeed: number | null, name: string): Node {
  requireOp(op, `${op}()`);
  return ctx.graph.withNameScope(name, (scope) => {
    const { seed, seed2 } = seedsFor(ctx, opSeed);
    return node(ctx, op, [], { shape, dtype, ...params, seed, seed2 }, scope);
  });
}

/** TF1's zeros/ones: a Const named exactly `name` when it has fewer than 1000 elements, else fill. */
export function filled(ctx: Ctx, shape: number[], dtype: DType, value: number, name: string): Node {
  return ctx.graph.withNameScope(name, (scope) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const scalar: Value = dtype === 'bool' ? boolV(value !== 0) : dtype === 'i32' ? int(value) : float(value);
    if (n < 1000) return makeConst(ctx, scalar, dtype, scope, shape);
    const c = makeConst(ctx, scalar, dtype, 'Const');
    return node(ctx, 'fill', [c], { shape }, scope, 'zeros()/ones()');
  });
}

/**
 * TF1's zeros/ones with a shape tensor (or a list holding tensors, packed as `name/packed`):
 * `fill(shape, Const)` named `name`, reading the shape at run time (a scalar shape is first
 * reshaped to a vector, `name/Reshape`, as TF1).
 */
export function filledDynamic(ctx: Ctx, shape: Value, dtype: DType, value: number, name: string): Node {
  return ctx.graph.withNameScope(name, (scope) => {
    let dims = convertToTensor(ctx, shape, { dtype: 'i32' });
    if (dims.shape !== null && dims.shape.length === 0) dims = node(ctx, 'reshape', [dims], { shape: [-1] }, 'Reshape', 'zeros()/ones()');
    const scalar: Value = dtype === 'bool' ? boolV(value !== 0) : dtype === 'i32' ? int(value) : float(value);
    const c = makeConst(ctx, scalar, dtype, 'Const');
    return node(ctx, 'fill_dims', [dims, c], { shape: staticShapeValue(dims) }, scope, 'zeros()/ones()');
  });
}

export { validateScopeName } from './convert.js';
