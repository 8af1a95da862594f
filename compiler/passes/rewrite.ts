/**
 * @fileoverview What every pass works on, and the one way passes rebuild graphs.
 *
 * A pass takes a `GraphUnit` (a graph plus the fetches wanted from it and the nodes fed into
 * it) and returns a new unit over a NEW `Graph`, plus a map from old nodes to new nodes. The
 * input graph is never changed, so the frontend's graph stays usable by the reference
 * Session. Several old nodes may map to one new node (CSE); removed nodes are absent from
 * the map.
 *
 * `GraphRewriter` copies nodes into a fresh graph in topological order, keeping names,
 * attrs, dtypes, shapes, spans, control inputs and gradient bookkeeping, and then rebuilds
 * the graph-level tables (seed, collections, variables, varStore) for the nodes that survive.
 */
import type { DType } from '../../session/dtype.js';
import { type Attrs, Graph, type Node, type VariableInfo } from '../ir/graph.js';
import type { Shape } from '../ir/shape.js';

/** The thing passes transform: a graph, what is fetched from it, what is fed into it. */
export interface GraphUnit {
  graph: Graph;
  /** Nodes whose values (or, for ops without output, whose effects) are wanted. */
  fetches: Node[];
  /** Nodes whose values are given by the caller (after `prune`, placeholders). */
  feeds: Node[];
}

export interface PassResult {
  unit: GraphUnit;
  /** Old node → new node, for every old node that has a counterpart. */
  map: Map<Node, Node>;
}

/** A bad pass input (e.g. a fetch from another graph); message names the node. */
export class PassError extends Error {
  override name = 'PassError';
}

/** Make a unit; fetches and feeds must belong to the graph. */
export function makeUnit(graph: Graph, fetches: Node[], feeds: Node[] = []): GraphUnit {
  for (const n of [...fetches, ...feeds]) {
    if (n.graph !== graph) throw new PassError(`Node '${n.name}' is not an element of this graph`);
  }
  return { graph, fetches: [...fetches], feeds: [...feeds] };
}

/** Ancestors of `roots` through data and control inputs (roots included), stopping at `cut`. */
export function reachable(roots: Iterable<Node>, cut: ReadonlySet<Node> = new Set()): Set<Node> {
  const seen = new Set<Node>();
  const stack = [...roots];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (cut.has(n)) continue;
    for (const i of n.inputs) stack.push(i);
    for (const c of n.controlInputs) stack.push(c);
  }
  return seen;
}

/** Nodes of a graph in topological order (creation order is topological in this IR). */
export function topoOrder(graph: Graph): Node[] {
  return [...graph.nodes];
}

/** Consumers of every node (data edges), in node order. */
export function consumersOf(nodes: Iterable<Node>): Map<Node, Node[]> {
  const m = new Map<Node, Node[]>();
  for (const n of nodes) {
    for (const i of n.inputs) {
      const l = m.get(i) ?? [];
      if (!l.includes(n)) l.push(n);
      m.set(i, l);
    }
  }
  return m;
}

export interface NodeSpec {
  op: string;
  name: string;
  inputs: Node[];
  controlInputs: Node[];
  attrs: Attrs;
  dtype: DType | null;
  shape: Shape;
}

/** Builds a new graph from an old one, node by node. */
export class GraphRewriter {
  readonly graph: Graph;
  readonly map = new Map<Node, Node>();

  constructor(readonly old: Graph) {
    this.graph = new Graph(old.name);
    this.graph.seed = old.seed;
  }

  /** Map an old node (must already be copied). */
  get(n: Node): Node {
    const m = this.map.get(n);
    if (!m) throw new PassError(`internal: node '${n.name}' used before it was rewritten`);
    return m;
  }

  /** Copy `n` with its inputs and control inputs mapped; optional overrides. */
  copy(n: Node, over: Partial<NodeSpec> = {}): Node {
    const spec: NodeSpec = {
      op: over.op ?? n.op,
      name: over.name ?? n.name,
      inputs: over.inputs ?? n.inputs.map((i) => this.get(i)),
      controlInputs: over.controlInputs ?? n.controlInputs.map((c) => this.get(c)),
      attrs: over.attrs ?? n.attrs,
      dtype: over.dtype !== undefined ? over.dtype : n.dtype,
      shape: over.shape !== undefined ? over.shape : n.shape,
    };
    const m = this.add(spec, n);
    this.map.set(n, m);
    return m;
  }

  /** Add a node from a spec; `from` gives the span and the gradient bookkeeping. */
  add(spec: NodeSpec, from: Node | null): Node {
    const g = this.graph;
    // Keep the name exactly, and mark it used so later unique_name calls do not reuse it.
    let name = spec.name;
    if (g.get(name)) name = g.uniqueName(name);
    else if (g.uniqueName(name, false) === name) g.uniqueName(name);
    const ctrl = dedupe(spec.controlInputs);
    const node = g.addNode(spec.op, name, spec.inputs, spec.attrs, spec.dtype, spec.shape, { controlInputs: ctrl, span: from?.span ?? null });
    if (from?.forward) node.forward = this.map.get(from.forward) ?? null;
    return node;
  }

  /** Point an old node at an existing new node (merging, or replacing by an input). */
  alias(old: Node, to: Node): void {
    this.map.set(old, to);
  }

  /** Rebuild collections and variable tables for the surviving nodes; return the result. */
  finish(unit: GraphUnit, feeds?: Node[]): PassResult {
    const g = this.graph;
    for (const [key, list] of this.old.collections) {
      for (const n of list) {
        const m = this.map.get(n);
        if (m) g.addToCollection(key, m, this.old.isOperationMember(key, n));
      }
    }
    const mapInfo = (v: VariableInfo): VariableInfo | null => {
      const node = this.map.get(v.node);
      const init = this.map.get(v.initializer);
      const initialValue = this.map.get(v.initialValue);
      if (!node || node.op !== v.node.op || !init || !initialValue) return null;
      return { node, initializer: init, initialValue, trainable: v.trainable, fromGetVariable: v.fromGetVariable };
    };
    for (const [k, v] of this.old.variables) {
      const m = mapInfo(v);
      if (m) g.variables.set(m.node.name === k ? k : m.node.name, m);
    }
    for (const [k, v] of this.old.varStore) {
      const m = mapInfo(v);
      if (m) g.varStore.set(k, m);
    }
    const fetches = unit.fetches.map((f) => {
      const m = this.map.get(f);
      if (!m) throw new PassError(`internal: fetch '${f.name}' was removed`);
      return m;
    });
    const newFeeds =
      feeds ??
      unit.feeds.flatMap((f) => {
        const m = this.map.get(f);
        return m ? [m] : [];
      });
    return { unit: { graph: g, fetches, feeds: dedupe(newFeeds) }, map: this.map };
  }
}

function dedupe<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Compose two node maps (a: old → mid, b: mid → new). */
export function composeMaps(a: Map<Node, Node>, b: Map<Node, Node>): Map<Node, Node> {
  const out = new Map<Node, Node>();
  for (const [k, v] of a) {
    const w = b.get(v);
    if (w) out.set(k, w);
  }
  return out;
}

/** Stable, key-sorted JSON of attrs (for hashing and printing). */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
    // JSON.stringify(-0) is "0": without this, cse merged constant(0.0) and constant(-0.0)
    if (Object.is(v, -0)) return '"-0"';
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}
