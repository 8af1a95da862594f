/**
 * @fileoverview Helper process for checkpoint.test.ts (not a test itself): saves checkpoints in
 * a loop until killed. Usage: node ckpt-child.js DIR new|overwrite|resume [SAVES]. Save i holds
 * w = [i, i, ...] (1 MiB) and b = [-i, -i, -i] with state {i}; step i ("new", "resume") or i % 2
 * ("overwrite", re-saving existing steps with different weights). "resume" first restores the
 * latest checkpoint of DIR (as `tfg train` does) and continues from its i + 1. Prints
 * "resumed i" (0 when fresh), then "saved i" after each save returns; stops after SAVES saves if
 * given. Without arguments (when tap runs every file of the folder) it prints a TAP skip and exits.
 */
import { CheckpointManager, latestCheckpoint, restoreCheckpoint } from '../../session/node/checkpoint.js';
import { Tensor } from '../../session/tensor.js';

const [dir, mode, savesArg] = process.argv.slice(2);
if (!dir) {
  // Run directly by `tap dist/test/io`: not a test, say so in TAP and stop.
  process.stdout.write('1..0 # SKIP helper process for checkpoint.test.ts (usage: ckpt-child.js DIR new|overwrite|resume [SAVES])\n');
  process.exit(0);
}
const N = 256 * 1024;
let start = 1;
if (mode === 'resume') {
  const latest = latestCheckpoint(dir);
  if (latest) start = (restoreCheckpoint(latest).state as { i: number }).i + 1;
  process.stdout.write(`resumed ${start - 1}\n`);
}
const mgr = new CheckpointManager(dir, { maxToKeep: 3 });
const saves = savesArg === undefined ? Infinity : Number(savesArg);
for (let i = start; i < start + saves; i++) {
  const vars = new Map<string, Tensor>([
    ['layer/w', new Tensor('f32', [N], new Float32Array(N).fill(i))],
    ['layer/b', new Tensor('f64', [3], new Float64Array(3).fill(-i))],
  ]);
  mgr.save(vars, { i }, mode === 'overwrite' ? i % 2 : i);
  process.stdout.write(`saved ${i}\n`);
}
