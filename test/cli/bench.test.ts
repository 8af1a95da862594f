/**
 * `tfg bench`: every session it times initializes the variables it holds. A module compiled for
 * one signature holds only the variables its entries use, so running all of the graph's
 * initializers on it (the global step's `global_step/Assign` here) was TF1's "not in the graph".
 */
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../cli/main.js';
import { memoryIo } from '../../cli/io.js';

const fx = (name: string): string => join('test', 'cli', 'fixtures', name);

t.test('tfg bench on a signature that leaves a variable out (the global step) initializes each session', async (t) => {
  const io = memoryIo();
  const code = await runCli(['bench', fx('step.tfg'), '--signature', 'predict', '--batch', '2', '--iterations', '1'], io);
  t.equal(code, 0, io.stderr.join(''));
  const out = io.stdout.join('\n');
  t.match(out, /signature predict\(X\), batch 2/);
  for (const row of ['compiled, fused', 'compiled, unfused', 'reference Session']) t.match(out, row);
  t.end();
});
