/**
 * @fileoverview Helper process for checkpoint.test.ts (not a test itself): saves checkpoints in
 * a loop until killed. Usage: node ckpt-child.js DIR new|overwrite. Save i holds w = [i, i, ...]
 * (1 MiB) and b = [-i, -i, -i] with state {i}; step i ("new") or i % 2 ("overwrite", re-saving
 * existing steps with different weights). Prints "saved i" after each save returns. Without
 * arguments (when tap runs every file of the folder) it prints a TAP skip and exits.
 */
import { CheckpointManager } from '../../session/node/checkpoint.js';
import { Tensor } from '../../session/tensor.js';

const [dir, mode] = process.argv.slice(2);
if (!dir) {
  // Run directly by `tap dist/test/io`: not a test, say so in TAP and stop.
  process.stdout.write('1..0 # SKIP helper process for checkpoint.test.ts (usage: ckpt-child.js DIR new|overwrite)\n');
  process.exit(0);
}
const mgr = new CheckpointManager(dir, { maxToKeep: 3 });
const N = 256 * 1024;
for (let i = 1; ; i++) {
  const vars = new Map<string, Tensor>([
    ['layer/w', new Tensor('f32', [N], new Float32Array(N).fill(i))],
    ['layer/b', new Tensor('f64', [3], new Float64Array(3).fill(-i))],
  ]);
  mgr.save(vars, { i }, mode === 'overwrite' ? i % 2 : i);
  process.stdout.write(`saved ${i}\n`);
}
