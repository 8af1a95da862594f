/**
 * @fileoverview `tfg plot LOGDIR [-o curves.svg]`: learning curves from the scalar summaries of
 * every run under LOGDIR (folders holding `events.out.tfevents.*` files or a `scalars.csv`),
 * drawn with vega-lite: one panel per tag (loss, accuracy, ...) against step, one line per run.
 * Writes SVG, or PNG (rendered with resvg) when the output name ends in `.png`. A damaged event
 * file (truncated by a crash, say) is read up to its damage, as TensorBoard does, with a warning.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { type Io, processIo } from './io.js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { readScalarEvents } from '../session/io/events.js';
import { openFileRanges } from '../session/node/files.js';
import { splitCsv } from '../session/node/csv.js';
import { parseNumberCell } from '../session/io/csv.js';
import { DataLossError, NotFoundError, OpError } from '../session/errors.js';

export interface CurvePoint {
  run: string;
  tag: string;
  step: number;
  value: number;
}

const EVENT_FILE = /^events\.out\.tfevents\./;

function isRunDir(dir: string): { events: string[]; csv: string | null } {
  const files = readdirSync(dir).sort();
  return { events: files.filter((f) => EVENT_FILE.test(f)).map((f) => join(dir, f)), csv: files.includes('scalars.csv') ? join(dir, 'scalars.csv') : null };
}

/** Where warnings go (a damaged event file read up to its damage). */
export type Warn = (message: string) => void;

const warnToStderr: Warn = (m) => void process.stderr.write(`warning: ${m}\n`);

/** The scalars of an event file, up to its damage if it has some (with a warning). */
function readEventFile(path: string, warn: Warn): ReturnType<typeof readScalarEvents> {
  const f = openFileRanges(path);
  try {
    return readScalarEvents(f, path, { onDamage: (e, n) => warn(`${e.tfMessage}; using the ${n} scalars before it`) });
  } finally {
    f.close();
  }
}

/** Scalars of one run: its event files if it has any, else its scalars.csv. */
function readRun(dir: string, run: string, warn: Warn): CurvePoint[] {
  const { events, csv } = isRunDir(dir);
  const latest = new Map<string, CurvePoint>();
  const add = (tag: string, step: number, value: number) => latest.set(`${tag}\u0000${step}`, { run, tag, step, value });
  if (events.length) {
    for (const f of events) for (const p of readEventFile(f, warn)) add(p.tag, p.step, p.value);
  } else if (csv) {
    const rows = splitCsv(readFileSync(csv, 'utf8'), csv);
    const head = rows[0]?.cells.map((c) => c.trim()) ?? [];
    const col = (n: string) => head.indexOf(n);
    const [si, ti, vi] = [col('step'), col('tag'), col('value')];
    if (si < 0 || ti < 0 || vi < 0) throw new DataLossError(`${csv}:1: expected a header with step, tag and value columns`);
    for (const { cells, line } of rows.slice(1)) {
      const step = parseNumberCell(cells[si] ?? '');
      const value = parseNumberCell(cells[vi] ?? '');
      if (step === null || value === null || cells[ti] === undefined) throw new DataLossError(`${csv}:${line}: expected numeric step and value and a tag`);
      add(cells[ti], step, value);
    }
  }
  return [...latest.values()].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : a.step - b.step));
}

/** Every run under `logdir` (the folder itself counts when it holds summaries) and its scalars. */
export function readRuns(logdir: string, warn: Warn = warnToStderr): CurvePoint[] {
  const root = resolve(logdir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new NotFoundError(`tfg plot: ${logdir} is not a directory`);
  const points: CurvePoint[] = [];
  const walk = (dir: string, depth: number): void => {
    const { events, csv } = isRunDir(dir);
    if (events.length || csv) points.push(...readRun(dir, relative(root, dir) || basename(root), warn));
    if (depth >= 6) return;
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') walk(join(dir, e.name), depth + 1);
    }
  };
  walk(root, 0);
  if (points.length === 0) throw new NotFoundError(`tfg plot: no scalar summaries under ${logdir} (looked for events.out.tfevents.* files and scalars.csv)`);
  return points;
}

/** The vega-lite spec: a panel per tag, x = step, y = value, a colour per run. */
export function learningCurveSpec(points: CurvePoint[]): vl.TopLevelSpec {
  const tags = [...new Set(points.map((p) => p.tag))];
  // Non-finite values (a diverged loss) cannot be drawn; vega-lite skips nulls.
  const values = points.map((p) => ({ ...p, value: Number.isFinite(p.value) ? p.value : null }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    data: { values },
    facet: { field: 'tag', type: 'nominal', title: null, sort: tags, header: { labelFontSize: 13, labelFontWeight: 'bold' } },
    columns: Math.min(tags.length, 2),
    spec: {
      width: 360,
      height: 220,
      mark: { type: 'line', point: { size: 12 }, strokeWidth: 1.5 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'run', type: 'nominal', title: 'run' },
        tooltip: [{ field: 'run' }, { field: 'step' }, { field: 'value' }],
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  } as vl.TopLevelSpec;
}

/** Render the learning curves as an SVG string. */
export async function renderCurvesSvg(points: CurvePoint[]): Promise<string> {
  const spec = vl.compile(learningCurveSpec(points)).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Draw every run under `logdir` into `out` (SVG, or PNG when `out` ends in .png). */
export async function plotLogdir(logdir: string, out: string, warn: Warn = warnToStderr): Promise<void> {
  const svg = await renderCurvesSvg(readRuns(logdir, warn));
  if (extname(out).toLowerCase() === '.png') {
    const png = new Resvg(svg, {
      background: 'white',
      fitTo: { mode: 'zoom', value: 2 },
      font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    }).render();
    writeFileSync(out, png.asPng());
  } else {
    writeFileSync(out, svg);
  }
}

/** Output formats `tfg plot` writes, by file extension. */
export const PLOT_FORMATS = ['.svg', '.png'] as const;

/** `tfg plot LOGDIR -o FILE`: draw, write, say where. An unknown extension is refused before anything is read. */
export async function runPlot(logdir: string, opts: { output: string }, io: Io = processIo): Promise<number> {
  const ext = extname(opts.output).toLowerCase();
  if (!(PLOT_FORMATS as readonly string[]).includes(ext)) {
    io.err(`tfg: cannot write '${opts.output}': tfg plot writes ${PLOT_FORMATS.join(' or ')} (got '${ext || 'no extension'}')`);
    return 1;
  }
  try {
    await plotLogdir(logdir, opts.output);
    io.out(`wrote ${opts.output}`);
    return 0;
  } catch (e) {
    if (!(e instanceof OpError)) throw e;
    io.err(`error: ${e.tfMessage}`);
    return 1;
  }
}
