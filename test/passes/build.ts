/**
 * @fileoverview Small graph-building helpers for pass and schedule tests: graphs are built
 * directly with Graph + makeNode (no parser), with TF1 default names.
 */
import type { DType } from '../../session/dtype.js';
import { type Attrs, Graph, type Node } from '../../compiler/ir/graph.js';
import { printGraph } from '../../compiler/ir/printer.js';
import { makeNode } from '../../compiler/ops/build.js';
import type { GraphUnit } from '../../compiler/passes/rewrite.js';

export class B {
  readonly g = new Graph();
  ph(name: string, shape: (number | null)[] | null, dtype: DType = 'f32'): Node {
    return makeNode(this.g, 'placeholder', [], { dtype, shape }, { name });
  }
  c(value: number | number[], shape: number[] = [], name?: string, dtype: DType = 'f32'): Node {
    return makeNode(this.g, 'const', [], { dtype, shape, value: Array.isArray(value) ? value : [value] }, { name });
  }
  v(name: string, shape: number[], dtype: DType = 'f32'): Node {
    return makeNode(this.g, 'variable', [], { dtype, shape, trainable: true }, { name });
  }
  op(op: string, inputs: Node[], attrs: Attrs = {}, name?: string, controlInputs?: Node[]): Node {
    return makeNode(this.g, op, inputs, attrs, { name, controlInputs });
  }
}

/** The printed graph without locations (goldens). */
export function show(u: GraphUnit | Graph): string {
  const g = u instanceof Graph ? u : u.graph;
  const head = u instanceof Graph ? '' : `# fetches: ${u.fetches.map((n) => n.name).join(', ')}; feeds: ${u.feeds.map((n) => n.name).join(', ') || '-'}\n`;
  return head + printGraph(g, { locations: false });
}
