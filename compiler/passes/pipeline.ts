/**
 * @fileoverview The pass pipeline: every pass by name with a one-line help, the default
 * pipeline as a list of names, and a runner. In debug mode the runner checks the IR after
 * every pass and names the pass that broke it (Binaryen's pass runner does the same).
 *
 * ```
 * runPipeline(unit)                                   // DEFAULT_PIPELINE
 * runPipeline(unit, { passes: ['prune', 'simplify', 'cse', 'fold', 'dce'], debug: true })
 * ```
 * The result carries the composed map from the input graph's nodes to the output's.
 */
import type { Graph, Node } from '../ir/graph.js';
import { verifyGraph } from '../ir/verify.js';
import { cse } from './cse.js';
import { dce } from './dce.js';
import { fold, type FoldOptions } from './fold.js';
import { prune } from './prune.js';
import { type GraphUnit, PassError, type PassResult, composeMaps } from './rewrite.js';
import { simplify } from './simplify.js';

export interface PassInfo {
  name: string;
  help: string;
  run(unit: GraphUnit, opts: PipelineOptions): PassResult;
}

export const PASSES: Readonly<Record<string, PassInfo>> = {
  prune: { name: 'prune', help: 'keep what the fetches need, cutting the feeds off', run: (u) => prune(u) },
  cse: { name: 'cse', help: 'merge equal pure nodes (hash-consing)', run: (u) => cse(u) },
  fold: { name: 'fold', help: 'evaluate pure nodes of constant inputs into constants', run: (u, o) => fold(u, o.fold) },
  dce: { name: 'dce', help: 'remove nodes the fetches do not need', run: (u) => dce(u) },
  simplify: { name: 'simplify', help: 'algebraic identities (x*1, x+0, identity, reshape of reshape)', run: (u) => simplify(u) },
};

export const DEFAULT_PIPELINE: readonly string[] = ['prune', 'cse', 'fold', 'dce'];

/** A verifier returns a list of problems (empty when the graph is well formed). */
export type Verifier = (graph: Graph) => string[];

export interface PipelineOptions {
  passes?: readonly string[];
  /** Check the IR after every pass; throw naming the pass that broke it. */
  debug?: boolean;
  /** Verifier run in debug mode after the unit checks (default compiler/ir/verify.ts's verifyGraph). */
  verify?: Verifier;
  fold?: FoldOptions;
  /** Called after each pass (for --dump and tests). */
  onPass?: (name: string, result: PassResult) => void;
}

export class PipelineError extends Error {
  override name = 'PipelineError';
  constructor(
    readonly pass: string,
    readonly problems: string[],
  ) {
    super(`IR invalid after pass '${pass}':\n  ${problems.join('\n  ')}`);
  }
}

export function runPipeline(unit: GraphUnit, opts: PipelineOptions = {}): PassResult {
  const names = opts.passes ?? DEFAULT_PIPELINE;
  for (const n of names) if (!PASSES[n]) throw new PassError(`unknown pass '${n}' (known: ${Object.keys(PASSES).join(', ')})`);
  let map = new Map<Node, Node>(unit.graph.nodes.map((n) => [n, n]));
  let cur = unit;
  if (opts.debug) check('<input>', cur, opts);
  for (const name of names) {
    const r = PASSES[name].run(cur, opts);
    if (opts.debug) check(name, r.unit, opts);
    map = composeMaps(map, r.map);
    cur = r.unit;
    opts.onPass?.(name, r);
  }
  return { unit: cur, map };
}

function check(pass: string, unit: GraphUnit, opts: PipelineOptions): void {
  const problems = checkUnit(unit);
  problems.push(...(opts.verify ?? verifyGraph)(unit.graph));
  if (problems.length) throw new PipelineError(pass, problems);
}

/**
 * Structural checks every pass must keep: nodes belong to their graph and are listed before
 * their users, names are unique, fetches and feeds are nodes of the graph, fed nodes have a
 * value.
 */
export function checkUnit(unit: GraphUnit): string[] {
  const out: string[] = [];
  const g = unit.graph;
  const pos = new Map<Node, number>();
  const names = new Set<string>();
  g.nodes.forEach((n, i) => {
    if (n.graph !== g) out.push(`node '${n.name}' belongs to another graph`);
    if (names.has(n.name)) out.push(`duplicate node name '${n.name}'`);
    names.add(n.name);
    if (g.get(n.name) !== n) out.push(`node '${n.name}' is not found by its name`);
    for (const [k, x] of [...n.inputs.map((x) => ['input', x] as const), ...n.controlInputs.map((x) => ['control input', x] as const)]) {
      const p = pos.get(x);
      if (p === undefined) out.push(`${k} '${x.name}' of '${n.name}' is not an earlier node of the graph`);
      if (k === 'input' && x.dtype === null) out.push(`input '${x.name}' of '${n.name}' has no output`);
    }
    pos.set(n, i);
  });
  for (const f of unit.fetches) if (!pos.has(f)) out.push(`fetch '${f.name}' is not in the graph`);
  for (const f of unit.feeds) {
    if (!pos.has(f)) out.push(`feed '${f.name}' is not in the graph`);
    else if (f.dtype === null) out.push(`feed '${f.name}' has no output`);
  }
  return out;
}
