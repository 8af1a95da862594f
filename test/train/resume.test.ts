/**
 * @fileoverview `tfg train` end to end (child processes of dist/cli/main.js, reference backend):
 * a seeded run interrupted by Ctrl-C (SIGINT: checkpoint saved, clean exit) or killed with
 * SIGKILL (losing at most the steps since the last checkpoint), then resumed with the same
 * command, ends with bitwise the weights of an uninterrupted run (same sha256 of the final
 * checkpoint data). Output through a pipe (not a TTY) has no progress-bar control codes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { repoPath } from '../helpers.js';

const MAIN = repoPath('dist/cli/main.js');
const FIXTURE = repoPath('test/train/fixtures/resume.tfg');
const FINAL_STEP = 60 * 10;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

function train(logdir: string, extra: string[] = [], killWhen?: { pattern: RegExp; signal: NodeJS.Signals }): Promise<Run> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(process.execPath, [MAIN, 'train', FIXTURE, '--backend', 'reference', '--logdir', logdir, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    let sent = false;
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => {
      stderr += d;
      if (killWhen && !sent && killWhen.pattern.test(stderr)) {
        sent = true;
        child.kill(killWhen.signal);
      }
    });
    child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout }));
  });
}

function finalSha(logdir: string, step = FINAL_STEP): string {
  return (JSON.parse(readFileSync(join(logdir, 'checkpoints', `model-${step}.json`), 'utf8')) as { sha256: string }).sha256;
}

const base = mkdtempSync(join(tmpdir(), 'tfg-resume-'));
let reference = '';

t.test('uninterrupted run (and non-TTY output has no control codes)', async (t) => {
  const r = await train(join(base, 'full'), ['--json']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr.split('\n')[0], /starting fresh \(no checkpoint in /);
  t.match(r.stderr, /epoch 20\/60 \(step 200\) \| train loss [\d.]+ \| validation accuracy [\d.]+/);
  t.match(r.stderr, /done: completed: 60 epochs, 600 steps/);
  t.notMatch(r.stderr, /\x1b|\r/, 'no escape sequences or carriage returns');
  const summary = JSON.parse(r.stdout) as { steps: number; metrics: { validation: { accuracy: number } }; checkpoint: string };
  t.equal(summary.steps, FINAL_STEP);
  t.ok(summary.metrics.validation.accuracy > 0.9);
  reference = finalSha(join(base, 'full'));
  // Running again resumes from the final checkpoint and has nothing to do.
  const again = await train(join(base, 'full'));
  t.equal(again.code, 0);
  t.match(again.stderr, /resuming from .*model-600 \(step 600, epoch 60\)/);
  t.match(again.stderr, /already trained/);
});

t.test('Ctrl-C saves a checkpoint; resuming gives the uninterrupted weights bitwise', async (t) => {
  const dir = join(base, 'sigint');
  const r1 = await train(dir, [], { pattern: /epoch 15\//, signal: 'SIGINT' });
  t.equal(r1.code, 130, r1.stderr);
  const m = /interrupted at step (\d+): checkpoint saved to (\S+); run the same command to resume/.exec(r1.stderr);
  t.ok(m, r1.stderr);
  const step = Number(m![1]);
  t.ok(step >= 150 && step < FINAL_STEP, `stopped at step ${step}`);
  const r2 = await train(dir);
  t.equal(r2.code, 0, r2.stderr);
  t.match(r2.stderr.split('\n')[0], new RegExp(`resuming from .*model-${step} \\(step ${step}, `));
  t.match(r2.stderr, new RegExp(`600 steps \\(${FINAL_STEP - step} this run\\)`));
  t.equal(finalSha(dir), reference, 'same weights as the uninterrupted run');
});

t.test('SIGKILL loses at most the steps since the last checkpoint; resuming gives the same weights', async (t) => {
  const dir = join(base, 'sigkill');
  const r1 = await train(dir, [], { pattern: /epoch 22\//, signal: 'SIGKILL' });
  t.equal(r1.signal, 'SIGKILL');
  const r2 = await train(dir);
  t.equal(r2.code, 0, r2.stderr);
  const m = /resuming from \S*model-(\d+) \(step (\d+)/.exec(r2.stderr);
  t.ok(m, r2.stderr);
  t.equal(Number(m![1]) % 25, 0, 'from a checkpoint every 25 steps');
  t.ok(Number(m![1]) >= 200, 'at most 25 steps lost after epoch 22 (step 220)');
  t.equal(finalSha(dir), reference, 'same weights as the uninterrupted run');
});
