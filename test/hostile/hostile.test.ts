/**
 * @fileoverview The hostile-program corpus (test/hostile/cases/*.tfg): inputs that used to hang
 * `tfg check`, exhaust the heap, overflow the stack or report internal errors. Each case runs
 * `tfg check` in-process (cli/check.ts's runCheck, in a worker thread) under a memory cap (a
 * 1 GiB heap) and a wall-time cap (a guard against hangs, generous for a loaded machine, not a
 * speed assertion), and states what it must give in its first lines:
 *
 * ```
 * # expect: TFG2019 2:5          a located error: code, then line:col (or just the line)
 * # expect: ok                   no errors (`ok: N nodes in M graphs` may be given in full)
 * # expect-print: 9007199254740992   text that print() wrote
 * # expect-also: TFG1016         another code that must be reported
 * # flags: --max-steps 1000      limits for this case (the tfg check options)
 * ```
 * No case may report an internal error (1010, 2012) or print a stack trace.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { LIMITS, type Limits } from '../../compiler/diagnostics/limits.js';
import { repoPath } from '../helpers.js';

const DIR = 'test/hostile/cases';
const HEAP_MB = 1024;
const WALL_MS = 120_000;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  heapMb: number;
}

/** A worker running cases one at a time; replaced after a case it could not finish. */
class CaseRunner {
  private worker: Worker | null = null;

  run(file: string, limits: Partial<Limits>): Promise<Outcome | { failure: string }> {
    const worker = (this.worker ??= new Worker(new URL('./worker.js', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: HEAP_MB, maxYoungGenerationSizeMb: 64 },
    }));
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: Outcome | { failure: string }): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if ('failure' in r) {
          void worker.terminate();
          this.worker = null;
        }
        resolve(r);
      };
      const onMessage = (m: Outcome): void => finish(m);
      const onError = (e: Error & { code?: string }): void => finish({ failure: `worker failed: ${e.code ?? ''} ${e.message}` });
      const onExit = (c: number): void => finish({ failure: `worker exited with ${c} before reporting` });
      const timer = setTimeout(() => finish({ failure: `still running after ${WALL_MS / 1000} s` }), WALL_MS);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ file, limits });
    });
  }

  close(): Promise<number> | undefined {
    return this.worker?.terminate();
  }
}

function header(text: string, key: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    const m = new RegExp(`^# ${key}: (.*)$`).exec(line);
    if (m) out.push(m[1]);
  }
  return out;
}

function flags(text: string): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const f of header(text, 'flags')) {
    const parts = f.trim().split(/\s+/);
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const l = LIMITS.find((x) => x.flag === parts[i]);
      if (!l) throw new Error(`unknown flag ${parts[i]}`);
      out[l.name] = Number(parts[i + 1]);
    }
  }
  return out;
}

const cases = readdirSync(repoPath(DIR))
  .filter((f) => f.endsWith('.tfg'))
  .sort();

t.test('the hostile corpus', async (t) => {
  t.ok(cases.length >= 40, `${cases.length} cases`);
  const runner = new CaseRunner();
  t.teardown(() => void runner.close());
  for (const name of cases) {
    const path = `${DIR}/${name}`;
    const text = readFileSync(repoPath(path), 'latin1');
    const [expect] = header(text, 'expect');
    if (!expect) {
      t.fail(`${name}: no '# expect:' line`);
      continue;
    }
    const start = performance.now();
    const r = await runner.run(repoPath(path), flags(text));
    t.comment(`${name}: ${((performance.now() - start) / 1000).toFixed(1)} s${'failure' in r ? '' : `, heap ${r.heapMb.toFixed(0)} MB`}`);
    if ('failure' in r) {
      t.fail(`${name}: ${r.failure}`);
      continue;
    }
    const out = `${r.stdout}\n${r.stderr}`;
    t.notMatch(out, /TFG1010|TFG2012|internal error/, `${name}: no internal error`);
    t.notMatch(out, /\n\s+at .+:\d+:\d+\)?\n/, `${name}: no stack trace`);
    t.ok(r.heapMb < HEAP_MB, `${name}: heap ${r.heapMb.toFixed(0)} MB`);
    const err = /^TFG(\d+)(?: (\d+)(?::(\d+))?)?$/.exec(expect);
    if (err) {
      const [, code, line, col] = err;
      const first = /^([^\n]*?):(\d+):(\d+): error TFG(\d+)/m.exec(r.stderr);
      t.equal(r.code, 1, `${name}: exit code 1`);
      t.equal(first?.[4], code, `${name}: first error is TFG${code}`);
      if (line) t.equal(first?.[2], line, `${name}: at line ${line}`);
      if (col) t.equal(first?.[3], col, `${name}: at column ${col}`);
    } else {
      t.equal(r.code, 0, `${name}: exit code 0\n${r.stderr.slice(0, 400)}`);
      if (expect !== 'ok') t.equal(r.stdout, expect, `${name}: ${expect}`);
      else t.match(r.stdout, /^ok: /, `${name}: ok`);
    }
    for (const p of header(text, 'expect-print')) t.ok(r.stderr.includes(p), `${name}: printed ${p}`);
    for (const c of header(text, 'expect-also')) t.match(r.stderr, new RegExp(`error ${c}:`), `${name}: also ${c}`);
  }
});
