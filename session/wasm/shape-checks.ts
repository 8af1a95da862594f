/**
 * @fileoverview The generic path's shape checks (generic.ts): the run-time values of shape
 * inputs against what the module was compiled for, and the reference's first shape error when
 * the feeds give no single B. Apart from errors.ts because only the generic path runs them (the
 * loader bundle fetches that path as a chunk of its own).
 */
import { InvalidArgumentError, type OpError, UnimplementedError } from '../errors.js';
import { formatShape } from '../run-common.js';
import { broadcastShapes, located, matmulShape } from '../shape-core.js';
import type { Tensor } from '../tensor.js';
import { reshapeAt } from './errors.js';
import type { ManifestNode } from './manifest.js';

/**
 * Nodes with shape inputs (reshape's shape, slice's begin and size) are compiled for the values
 * those inputs had when the graph was built, unknown entries following the batch convention.
 * Before such a node runs on the generic path, the inputs' run-time values (computed, or fed)
 * must give what the module was compiled for: a value the reference would reject raises the
 * reference's InvalidArgumentError, any other difference UnimplementedError naming the node —
 * never the compiled value silently. (fill_dims and slice_grad read their inputs in their
 * kernels.)
 */
export function checkShapeInputs(
  node: ManifestNode,
  B: number,
  planned: readonly number[],
  valueOf: (name: string) => Tensor,
  shapeOf: (name: string) => readonly number[],
): void {
  const isReshape = node.op === 'reshape' && node.inputs.length === 2;
  const isSlice = node.op === 'slice' && node.inputs.length === 3;
  if (!isReshape && !isSlice) return;
  const fail = (m: string): never => {
    throw new InvalidArgumentError(m, node.name, node.location);
  };
  const vector = (name: string, what: string): number[] => {
    const t = valueOf(name);
    if (t.shape.length !== 1) fail(`${what} must be 1-D, not ${formatShape(t.shape)}`);
    return Array.from(t.data);
  };
  const x = shapeOf(node.inputs[0]);
  const differs = (what: string, got: readonly number[], want: readonly number[]): never => {
    throw new UnimplementedError(
      `'${node.name}' (op ${node.op}): its ${what} is ${formatShape(got)} at run time, but the WebAssembly module was compiled for ${formatShape(want)} (the value known when the graph was built, unknown dims = the batch size B = ${B})`,
      node.name,
      node.location,
    );
  };
  const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
  if (isReshape) {
    const out = reshapeAt(x, vector(node.inputs[1], 'sizes input'), node);
    if (!same(out, planned)) differs('shape', out, planned);
    return;
  }
  const begin = vector(node.inputs[1], 'begin');
  const size = vector(node.inputs[2], 'size');
  if (begin.length !== x.length || size.length !== x.length) {
    fail(`Expected begin and size arguments to be 1-D tensors of size ${x.length}, but got shapes [${begin.length}] and [${size.length}] instead.`);
  }
  const out = x.map((d, i) => {
    if (!Number.isInteger(begin[i]) || begin[i] < 0 || begin[i] > d) fail(`Expected begin[${i}] in [0, ${d}], but got ${begin[i]}`);
    if (size[i] === -1) return d - begin[i];
    if (size[i] < 0 || begin[i] + size[i] > d) fail(`Expected size[${i}] in [0, ${d - begin[i]}], but got ${size[i]}`);
    return size[i];
  });
  const compiled = node.attrs.begin as number[];
  if (!same(begin, compiled)) differs('begin', begin, compiled);
  if (!same(out, planned)) differs('size', out, planned);
}

/**
 * The fed tensors' unknown dims disagree (no single B): follow concrete shapes through the
 * needed nodes in the reference's order and raise the first shape error the reference would
 * (elementwise broadcasting, matmul inner dims, reshape sizes). Returns when there is none.
 */
export function shapeWalk(order: readonly ManifestNode[], fed: ReadonlyMap<ManifestNode, Tensor>, nodeOf: (name: string) => ManifestNode): void {
  const shapes = new Map<string, number[] | null>();
  for (const [n, t] of fed) shapes.set(n.name, [...t.shape]);
  const known = (n: ManifestNode): number[] | null => (n.shape !== null && n.shape.every((d) => d !== null) ? (n.shape as number[]) : null);
  for (const node of order) {
    if (shapes.has(node.name)) continue;
    const ins = node.inputs.map((x) => shapes.get(x) ?? known(nodeOf(x)));
    let out: number[] | null = known(node);
    if (ins.every((x) => x !== null)) {
      const xs = ins as number[][];
      try {
        if (node.kind === 'elementwise' && xs.length >= 2) out = xs.slice(1).reduce((acc, x) => broadcastShapes(acc, x), xs[0]);
        else if (node.kind === 'elementwise') out = xs[0];
        else if (node.op === 'matmul' && xs[0].length === 2 && xs[1].length === 2)
          out = matmulShape(xs[0], xs[1], !!node.attrs.transpose_a, !!node.attrs.transpose_b);
        else if (node.op === 'reshape' && node.inputs.length === 1 && Array.isArray(node.attrs.shape))
          out = reshapeAt(xs[0], node.attrs.shape as number[], node);
      } catch (e) {
        throw located(e as OpError, node.name, node.location);
      }
    }
    shapes.set(node.name, out);
  }
}
