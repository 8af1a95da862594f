/**
 * @fileoverview `tfg plot`: runs found under a logdir (event files or scalars.csv), an SVG that
 * is well-formed XML naming every run and tag, a PNG with the PNG signature, and clear errors.
 */
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/main.js';
import { memoryIo } from '../../cli/io.js';
import { plotLogdir, readRuns } from '../../cli/plot.js';
import { SummaryWriter } from '../../session/node/summary-writer.js';
import { NotFoundError } from '../../session/errors.js';

/** Minimal XML well-formedness: balanced, properly nested tags with quoted attributes. */
function checkXml(xml: string): string | null {
  const stack: string[] = [];
  const re = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|<|>/g;
  for (const m of xml.matchAll(re)) {
    if (m[0] === '<') return `stray '<' at ${m.index}`;
    if (m[0] === '>') continue; // '>' is allowed in text
    if (!m[2]) continue;
    if (m[1]) {
      if (stack.pop() !== m[2]) return `mismatched </${m[2]}> at ${m.index}`;
    } else if (!m[4]) stack.push(m[2]);
  }
  return stack.length ? `unclosed <${stack[stack.length - 1]}>` : null;
}

function makeLogdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tfg-plot-'));
  for (const [run, lr] of [
    ['sgd-lr0.1', 0.1],
    ['adam', 0.3],
  ] as const) {
    const w = new SummaryWriter(join(dir, run), { now: () => 1700000000 });
    for (let s = 0; s <= 50; s += 5) w.scalars({ 'loss/xent': Math.exp(-lr * s), accuracy: 1 - 0.9 * Math.exp(-lr * s) }, s);
    w.close();
  }
  // A run with only a CSV, nested one level deeper.
  mkdirSync(join(dir, 'old', 'csv-run'), { recursive: true });
  writeFileSync(join(dir, 'old', 'csv-run', 'scalars.csv'), 'step,tag,value,wall_time\n0,loss/xent,1,0\n10,loss/xent,0.5,1\n20,loss/xent,0.4,2\n');
  return dir;
}

t.test('runs are found and read', (t) => {
  const dir = makeLogdir();
  const pts = readRuns(dir);
  t.same([...new Set(pts.map((p) => p.run))].sort(), ['adam', 'old/csv-run', 'sgd-lr0.1']);
  t.same([...new Set(pts.map((p) => p.tag))].sort(), ['accuracy', 'loss/xent']);
  t.same(
    pts.filter((p) => p.run === 'old/csv-run').map((p) => [p.step, p.value]),
    [
      [0, 1],
      [10, 0.5],
      [20, 0.4],
    ],
  );
  t.equal(pts.filter((p) => p.run === 'adam' && p.tag === 'accuracy').length, 11);
  t.end();
});

t.test('SVG: well-formed, names every run and tag', async (t) => {
  const dir = makeLogdir();
  const out = join(dir, 'curves.svg');
  await plotLogdir(dir, out);
  const svg = readFileSync(out, 'utf8');
  t.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.equal(checkXml(svg), null, 'well-formed');
  for (const name of ['sgd-lr0.1', 'adam', 'old/csv-run', 'loss/xent', 'accuracy', 'step']) t.ok(svg.includes(`>${name}<`), `mentions ${name}`);
  t.ok((svg.match(/class="mark-line role-mark/g) ?? []).length >= 2, 'line marks drawn in each panel');
});

t.test('PNG output', async (t) => {
  const dir = makeLogdir();
  const out = join(dir, 'curves.png');
  await plotLogdir(dir, out);
  const png = readFileSync(out);
  t.same([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  t.ok(png.length > 10000, 'has content');
});

t.test('a single run as the logdir, errors, and the commander command', async (t) => {
  const dir = makeLogdir();
  t.same([...new Set(readRuns(join(dir, 'adam')).map((p) => p.run))], ['adam']);
  const empty = mkdtempSync(join(tmpdir(), 'tfg-plot-empty-'));
  t.throws(() => readRuns(empty), { name: 'NotFoundError', message: /no scalar summaries under/ });
  t.throws(() => readRuns(join(empty, 'nope')), NotFoundError);
  writeFileSync(join(empty, 'scalars.csv'), 'a,b\n1,2\n');
  t.throws(() => readRuns(empty), { name: 'DataLossError', message: /scalars\.csv:1: expected a header with step, tag and value columns/ });

  const out = join(dir, 'cmd.svg');
  const io = memoryIo();
  t.equal(await runCli(['plot', dir, '-o', out], io), 0);
  t.same(io.stdout, [`wrote ${out}`]);
  t.match(readFileSync(out, 'utf8'), /<svg/);
  const io2 = memoryIo();
  t.equal(await runCli(['plot', join(empty, 'missing')], io2), 1);
  t.match(io2.stderr.join(''), /^error: tfg plot: .*missing is not a directory$/);
  // An output format tfg cannot write is refused, and nothing is written.
  const io3 = memoryIo();
  const jpg = join(dir, 'c.jpg');
  t.equal(await runCli(['plot', dir, '-o', jpg], io3), 1);
  t.match(io3.stderr.join(''), /cannot write '.*c\.jpg': tfg plot writes \.svg or \.png \(got '\.jpg'\)/);
  t.notOk(existsSync(jpg));
});

t.test('a truncated or corrupted event file is read up to its damage, with a warning', async (t) => {
  const dir = makeLogdir();
  // adam: the last record cut in half (a writer killed mid-flush); sgd: a flipped byte mid-file.
  const file = (run: string) =>
    join(
      dir,
      run,
      readdirSync(join(dir, run)).find((f) => f.startsWith('events.out.tfevents.'))!,
    );
  const adam = readFileSync(file('adam'));
  writeFileSync(file('adam'), adam.subarray(0, adam.length - 20));
  const sgd = readFileSync(file('sgd-lr0.1'));
  const flipped = Buffer.from(sgd);
  flipped[Math.floor(sgd.length / 2)] ^= 0x40;
  writeFileSync(file('sgd-lr0.1'), flipped);
  const warnings: string[] = [];
  const pts = readRuns(dir, (m) => warnings.push(m));
  t.same([...new Set(pts.map((p) => p.run))].sort(), ['adam', 'old/csv-run', 'sgd-lr0.1'], 'every run is still plotted');
  t.equal(pts.filter((p) => p.run === 'adam' && p.tag === 'accuracy').length, 10, 'adam: every step but the cut one');
  const sgdSteps = pts.filter((p) => p.run === 'sgd-lr0.1' && p.tag === 'accuracy').map((p) => p.step);
  t.ok(sgdSteps.length >= 3 && sgdSteps.length < 11, `sgd: the steps before the damage (${sgdSteps.join(',')})`);
  t.same(
    sgdSteps,
    sgdSteps.map((_, i) => i * 5),
    'in order, from the start',
  );
  t.equal(warnings.length, 2);
  t.match(
    warnings.find((w) => w.includes('adam')),
    /adam\/events\.out\.tfevents\.[^:]+: truncated record at offset \d+: needs \d+ bytes of data; using the 20 scalars before it/,
  );
  t.match(
    warnings.find((w) => w.includes('sgd')),
    /sgd-lr0\.1\/events\.out\.tfevents\.[^:]+: (corrupted record at offset \d+: (data|length) CRC mismatch|truncated record .*); using the \d+ scalars before it/,
  );
  // The drawing still works, and the command prints the warnings on stderr.
  const out = join(dir, 'damaged.svg');
  const errs: string[] = [];
  const origErr = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
  try {
    await plotLogdir(dir, out);
  } finally {
    process.stderr.write = origErr;
  }
  t.match(readFileSync(out, 'utf8'), /<svg/);
  t.equal(errs.filter((e) => e.startsWith('warning: ')).length, 2, errs.join(''));
  // A file that is all damage contributes nothing, and the others still plot.
  writeFileSync(file('adam'), Buffer.from('not an event file at all'));
  const w2: string[] = [];
  t.same([...new Set(readRuns(dir, (m) => w2.push(m)).map((p) => p.run))].sort(), ['old/csv-run', 'sgd-lr0.1']);
  t.match(
    w2.find((w) => w.includes('adam')),
    /using the 0 scalars before it/,
  );
});
