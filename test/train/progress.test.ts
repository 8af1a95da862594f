/**
 * @fileoverview `tfg train`'s progress bar on a terminal (a fake TTY stream): the bar shows its
 * fields — epoch, steps/s, loss — and never its raw template (`{epoch}`, `{rate}`), also after a
 * line (an epoch's metrics) is printed above it.
 */
import { Writable } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { memoryIo } from '../../cli/io.js';
import { runTrain } from '../../cli/train.js';
import { repoPath } from '../helpers.js';

class FakeTty extends Writable {
  isTTY = true;
  columns = 120;
  rows = 40;
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += String(chunk);
    done();
  }
}

t.test('the bar never shows its raw template', async (t) => {
  const tty = new FakeTty();
  const io = { ...memoryIo(), progressStream: tty, isTTY: true };
  const logdir = mkdtempSync(join(tmpdir(), 'tfg-progress-'));
  const code = await runTrain(repoPath('samples/moons_logreg_train.tfg'), { epochs: '3', logdir, backend: 'reference', set: ['eval_every=1'] }, io);
  t.equal(code, 0, io.stderr.join('\n'));
  t.match(tty.text, /epoch \d \[/, 'the bar was drawn');
  t.notMatch(tty.text, /\{(epoch|rate|loss|value|total|bar|eta_formatted)\}/, 'no raw template fields');
  t.match(io.stderr.join('\n'), /epoch 3\/3/);
  t.end();
});
