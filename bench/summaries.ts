/**
 * @fileoverview What TensorBoard summaries cost `tfg train` on samples/mnist_mlp.tfg, in CPU time
 * of this process (not wall time; the machine may be shared): the graph's export and encoding
 * (once per run) and the histograms of the trainable variables (per histogram step; 266,610
 * seeded values in [-0.1, 0.1) shaped as the MLP's weights).
 *   npx tsc -p tsconfig.json && node dist/bench/summaries.js
 */
import { readFileSync } from 'node:fs';
import { graphToGraphDef } from '../compiler/emit/graphdef.js';
import { buildProgram } from '../compiler/frontend/index.js';
import { encodeGraphDef } from '../session/io/events.js';
import { histogramOf } from '../session/io/histogram.js';
import { repoPath } from '../test/helpers.js';

const cpuMs = (): number => process.cpuUsage().user / 1000;

const r = buildProgram(readFileSync(repoPath('samples', 'mnist_mlp.tfg'), 'utf8'), 'mnist_mlp.tfg');
let bytes = encodeGraphDef(graphToGraphDef(r.defaultGraph));
let t0 = cpuMs();
const reps = 20;
for (let i = 0; i < reps; i++) bytes = encodeGraphDef(graphToGraphDef(r.defaultGraph));
console.log(`graph: ${r.defaultGraph.nodes.length} IR nodes, GraphDef ${bytes.length} bytes, ${((cpuMs() - t0) / reps).toFixed(1)} ms CPU per export + encode`);

const sizes = [784 * 300, 300, 300 * 100, 100, 100 * 10, 10];
let s = 1;
const vars = sizes.map((n) => Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.2));
for (let k = 0; k < 3; k++) vars.forEach((v, i) => histogramOf(v, `v${i}`));
t0 = cpuMs();
for (let k = 0; k < reps; k++) vars.forEach((v, i) => histogramOf(v, `v${i}`));
console.log(
  `histograms: ${sizes.reduce((a, b) => a + b)} values in ${sizes.length} variables, ${((cpuMs() - t0) / reps).toFixed(1)} ms CPU per histogram step`,
);
