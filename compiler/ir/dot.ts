/**
 * @fileoverview Graphviz DOT for a graph IR, in the spirit of TensorBoard's graph view: name
 * scopes become nested clusters (`loss/mse` sits in `subgraph cluster_loss`), data edges are
 * solid and labelled with the tensor type, control edges dashed. Sources (placeholders,
 * constants) and variables get distinct shapes. `tfg graph --format dot|svg` prints this.
 */
import { formatType } from './printer.js';
import type { Graph, Node } from './graph.js';

/** A DOT identifier, quoted unless it is a plain identifier. */
export function dotId(s: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

interface Cluster {
  path: string;
  children: Map<string, Cluster>;
  nodes: Node[];
}

function nodeStyle(n: Node): string {
  switch (n.op) {
    case 'placeholder':
      return 'shape=ellipse, style=filled, fillcolor="#fff2cc"';
    case 'variable':
      return 'shape=box, style="rounded,filled", fillcolor="#d9ead3"';
    case 'const':
      return 'shape=ellipse, style=filled, fillcolor="#eeeeee"';
    default:
      return n.dtype === null ? 'shape=box, style="dashed"' : 'shape=box';
  }
}

/** DOT text of the graph. */
export function graphToDot(g: Graph): string {
  const root: Cluster = { path: '', children: new Map(), nodes: [] };
  for (const n of g.nodes) {
    const parts = n.name.split('/');
    let c = root;
    let path = '';
    for (const p of parts.slice(0, -1)) {
      path = path ? `${path}/${p}` : p;
      let next = c.children.get(p);
      if (!next) {
        next = { path, children: new Map(), nodes: [] };
        c.children.set(p, next);
      }
      c = next;
    }
    c.nodes.push(n);
  }
  const lines = [
    `digraph ${dotId(g.name)} {`,
    '  rankdir=BT;',
    '  compound=true;',
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=8];',
  ];
  const emit = (c: Cluster, indent: string): void => {
    for (const n of c.nodes) {
      const type = formatType(n.dtype, n.shape);
      const label = `${n.name.split('/').pop()}\n${n.op}${type ? ` ${type}` : ''}`;
      lines.push(`${indent}${quote(n.name)} [label=${quote(label)}, tooltip=${quote(n.name)}, ${nodeStyle(n)}];`);
    }
    for (const child of c.children.values()) {
      lines.push(`${indent}subgraph ${dotId(`cluster_${child.path}`)} {`);
      lines.push(`${indent}  label=${quote(child.path.split('/').pop()!)};`);
      lines.push(`${indent}  style="rounded"; color="#888888";`);
      emit(child, indent + '  ');
      lines.push(`${indent}}`);
    }
  };
  emit(root, '  ');
  for (const n of g.nodes) {
    for (const i of n.inputs) lines.push(`  ${quote(i.name)} -> ${quote(n.name)} [label=${quote(formatType(i.dtype, i.shape))}];`);
    for (const c of n.controlInputs) lines.push(`  ${quote(c.name)} -> ${quote(n.name)} [style=dashed, color="#888888"];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
