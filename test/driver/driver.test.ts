/**
 * @fileoverview The compile driver (compiler/driver.ts): the stages are the named list
 * parse → build → passes → fuse → schedule → memory → lower → emit, each prints the program
 * after it, and in verify mode each stage's invariants are checked and a broken one is reported
 * naming the stage. Every checker is shown to fire on a plan broken on purpose.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { STAGES, STAGE_NAMES, StageError, compileSource, runStages, type CompileState, type StageName } from '../../compiler/driver.js';
import { SourceFile } from '../../compiler/diagnostics/span.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import type { Tensor } from '../../session/tensor.js';
import { repoPath } from '../helpers.js';

const SRC = `X = placeholder(f32, shape=[None, 3], name="X")
W = variable(constant([[1.0], [2.0], [3.0]]), name="W")
b = variable(0.5, name="b")
y = relu(matmul(X, W) + b, name="y")
s = reduce_sum(y * 2.0, name="s")
signature predict(X) -> y
signature total(X) -> s
`;

t.test('the stages, in order', (t) => {
  t.same([...STAGE_NAMES], ['parse', 'build', 'passes', 'fuse', 'schedule', 'memory', 'lower', 'emit']);
  t.same(
    STAGES.map((s) => s.name),
    [...STAGE_NAMES],
  );
  for (const s of STAGES) t.ok(s.help.length > 10, `${s.name} has a help line`);
  t.end();
});

t.test('every stage prints the program after it; the result runs', (t) => {
  const dumps: [StageName, string][] = [];
  const s = compileSource(SRC, 'prog.tfg', {}, { verify: true, dump: (st, text) => dumps.push([st, text]) });
  t.same(
    dumps.map(([st]) => st),
    [...STAGE_NAMES],
  );
  const text = Object.fromEntries(dumps);
  t.match(text.parse, /matmul/);
  t.match(text.build, /%y: f32\[\?,1\] = relu/);
  t.match(text.passes, /# entry signature predict; feeds: X; fetches: y/);
  t.match(text.fuse, /k0 matmul \[B,1\]/);
  t.match(text.schedule, /k0 matmul/);
  t.match(text.memory, /# module layout: status @65536/);
  t.match(text.lower, /\(func \$sig_predict/);
  t.match(text.emit, /"manifestVersion": 1/);
  const sess = loadModelSync(s.compiled!.wasm as Uint8Array<ArrayBuffer>).createSession();
  sess.run(['W/Assign', 'b/Assign']);
  const y = sess.run('y:0', {
    'X:0': [
      [1, 1, 1],
      [-1, -1, -1],
    ],
  }) as Tensor;
  t.same(Array.from(y.data), [6.5, 0]);
  t.end();
});

t.test('until: stop after a stage', (t) => {
  const s = compileSource(SRC, 'prog.tfg', {}, { until: 'fuse' });
  t.ok(s.entries?.every((e) => e.fusion));
  t.notOk(s.entries?.some((e) => e.kernels));
  t.notOk(s.compiled);
  t.end();
});

/** Run up to `stage`, break the state with `mutate`, and return the stage's problems. */
function broken(stage: StageName, mutate: (s: CompileState) => void): string[] {
  const s = runStages({ opts: {}, file: new SourceFile('prog.tfg', SRC) }, { until: stage });
  t.same(STAGES.find((x) => x.name === stage)!.verify(s), [], `${stage} holds before the damage`);
  mutate(s);
  return STAGES.find((x) => x.name === stage)!.verify(s);
}

t.test('each checker fires on a plan broken on purpose', (t) => {
  t.match(broken('build', (s) => s.build!.defaultGraph.nodes.push(s.build!.defaultGraph.nodes[0])).join('\n'), /listed twice/);
  t.match(
    broken('passes', (s) => {
      const u = s.entries![0].unit!;
      u.fetches.push(s.build!.defaultGraph.nodes[0]);
    }).join('\n'),
    /entry predict: fetch 'X' is not in the graph/,
  );
  t.match(
    broken('fuse', (s) => {
      const f = s.entries![0].fusion!;
      f.kernels.splice(0, 1);
    }).join('\n'),
    /entry predict: root '.*' is computed by 0 kernels/,
  );
  t.match(
    broken('schedule', (s) => {
      const e = s.entries!.find((x) => x.name === 'total')!;
      e.kernels!.reverse();
      e.kernels!.forEach((k, i) => (k.id = i));
    }).join('\n'),
    /entry total: k\d .* reads '.*' before k\d/,
  );
  t.match(
    broken('memory', (s) => {
      const m = s.entries!.find((x) => x.name === 'generic')!.plan!.memory;
      const arena = m.buffers.filter((b) => b.region === 'arena');
      arena[1].offset = arena[0].offset;
    }).join('\n'),
    /entry generic: buf\d+ .* and buf\d+ .* are live together and overlap/,
  );
  t.end();
});

t.test('verify names the stage that broke an invariant', (t) => {
  // A memory planner that overlaps two live buffers, as a broken pass would.
  const stage = STAGES.find((x) => x.name === 'memory')!;
  const run = stage.run;
  stage.run = (s) => {
    run(s);
    const m = s.entries!.find((x) => x.name === 'generic')!.plan!.memory;
    const arena = m.buffers.filter((b) => b.region === 'arena');
    arena[1].offset = arena[0].offset;
  };
  try {
    const err = (() => {
      try {
        compileSource(SRC, 'prog.tfg', {}, { verify: true });
      } catch (e) {
        return e;
      }
      return null;
    })();
    t.type(err, StageError);
    t.equal((err as StageError).stage, 'memory');
    t.match((err as Error).message, /invariants broken after stage 'memory':\n  entry generic: buf/);
    // without verify the broken plan goes through unnoticed: verify is what catches it
    t.doesNotThrow(() => compileSource(SRC, 'prog.tfg', {}, { verify: false }));
  } finally {
    stage.run = run;
  }
  t.end();
});

t.test('every sample verifies through every stage', (t) => {
  for (const f of ['f.tfg', 'relu_modular.tfg', 'name_scope.tfg', 'moons_logreg.tfg', 'normal_equation.tfg']) {
    const text = readFileSync(repoPath('samples', f), 'utf8');
    const s = compileSource(text, repoPath('samples', f), { optimize: false }, { verify: true });
    t.ok(s.compiled, `${f} compiles with every stage verified`);
  }
  t.end();
});
