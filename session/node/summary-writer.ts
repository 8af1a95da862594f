/**
 * @fileoverview TF1's `tf.summary.FileWriter`: appends TFRecord-framed `Event`s to
 * `LOGDIR/events.out.tfevents.<10-digit unix seconds>.<hostname>` (first record
 * `file_version: "brain.Event:2"`): the graph (`graph()`, a serialised GraphDef, as
 * `FileWriter(logdir, graph)` writes it), scalars (mirrored into `LOGDIR/scalars.csv`,
 * `step,tag,value,wall_time`) and histograms (`histograms()`, TF1's HistogramProto). Records are buffered and written on `flush()`/`close()`
 * (and automatically every `flushEvery` records).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileVersionEvent, graphEvent, histogramEvent, scalarEvent } from '../io/events.js';
import { histogramOf } from '../io/histogram.js';
import { InvalidArgumentError } from '../errors.js';

export interface SummaryWriterOptions {
  /** Records buffered before an automatic flush (default 100; TF1 flushes every 120 s). */
  flushEvery?: number;
  /** Appended to the event file name, as TF's `filename_suffix`. */
  filenameSuffix?: string;
  /** Clock in seconds (tests pass a fixed one). */
  now?: () => number;
  /** Host name in the file name (default os.hostname()). */
  hostname?: string;
}

/** The CSV header of `scalars.csv`. */
export const SCALARS_CSV_HEADER = 'step,tag,value,wall_time\n';

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export class SummaryWriter {
  /** Absolute path of the event file. */
  readonly path: string;
  readonly csvPath: string;
  private fd: number | null;
  private csvFd: number | null;
  private pending: Uint8Array[] = [];
  private pendingCsv: string[] = [];
  private readonly flushEvery: number;
  private readonly now: () => number;

  constructor(
    readonly logdir: string,
    opts: SummaryWriterOptions = {},
  ) {
    this.now = opts.now ?? (() => Date.now() / 1000);
    this.flushEvery = opts.flushEvery ?? 100;
    mkdirSync(logdir, { recursive: true });
    const t = this.now();
    const secs = String(Math.floor(t)).padStart(10, '0');
    this.path = join(logdir, `events.out.tfevents.${secs}.${opts.hostname ?? hostname()}${opts.filenameSuffix ?? ''}`);
    // Appending keeps an existing file valid: readers accept a second file_version record.
    this.fd = openSync(this.path, 'a');
    this.csvPath = join(logdir, 'scalars.csv');
    const fresh = !existsSync(this.csvPath);
    this.csvFd = openSync(this.csvPath, 'a');
    if (fresh) this.pendingCsv.push(SCALARS_CSV_HEADER);
    this.pending.push(fileVersionEvent(t));
    this.flush();
  }

  /** Record a scalar summary `tag` = `value` at `step` (TF1 `add_summary` of `tf.summary.scalar`). */
  scalar(tag: string, value: number, step: number): void {
    this.scalars({ [tag]: value }, step);
  }

  /** Several scalars of one step in one Event (as a merged summary writes them). */
  scalars(values: Record<string, number>, step: number): void {
    if (this.fd === null) throw new InvalidArgumentError(`SummaryWriter: ${this.path} is closed`);
    if (!Number.isSafeInteger(step)) throw new InvalidArgumentError(`SummaryWriter: step must be an integer, got ${step}`);
    const entries = Object.entries(values);
    for (const [tag, v] of entries) {
      if (tag === '') throw new InvalidArgumentError('SummaryWriter: empty tag');
      if (typeof v !== 'number') throw new InvalidArgumentError(`SummaryWriter: value of "${tag}" is not a number`);
    }
    const wall = this.now();
    this.pending.push(
      scalarEvent(
        entries.map(([tag, value]) => ({ tag, value })),
        step,
        wall,
      ),
    );
    for (const [tag, v] of entries)
      this.pendingCsv.push(`${step},${csvField(tag)},${Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v)},${wall}\n`);
    if (this.pending.length >= this.flushEvery) this.flush();
  }

  /** The graph as a serialised GraphDef (compiler/emit/graphdef.ts), in an Event of its own (TF1's `add_graph`). */
  graph(graphDef: Uint8Array): void {
    if (this.fd === null) throw new InvalidArgumentError(`SummaryWriter: ${this.path} is closed`);
    this.pending.push(graphEvent(graphDef, this.now()));
    if (this.pending.length >= this.flushEvery) this.flush();
  }

  /**
   * Histograms of several tensors' values at `step`, one Event (as a merged summary of
   * `tf.summary.histogram(tag, values)` writes them); InvalidArgumentError on a NaN or infinity,
   * as TF1's kernel, before anything is written.
   */
  histograms(values: Record<string, ArrayLike<number>>, step: number): void {
    if (this.fd === null) throw new InvalidArgumentError(`SummaryWriter: ${this.path} is closed`);
    if (!Number.isSafeInteger(step)) throw new InvalidArgumentError(`SummaryWriter: step must be an integer, got ${step}`);
    const entries = Object.entries(values);
    for (const [tag] of entries) if (tag === '') throw new InvalidArgumentError('SummaryWriter: empty tag');
    const histos = entries.map(([tag, v]) => ({ tag, histo: histogramOf(v, tag) }));
    this.pending.push(histogramEvent(histos, step, this.now()));
    if (this.pending.length >= this.flushEvery) this.flush();
  }

  /** Write buffered records to disk and fsync. */
  flush(): void {
    if (this.fd === null || this.csvFd === null) return;
    for (const rec of this.pending) writeSync(this.fd, rec);
    this.pending = [];
    if (this.pendingCsv.length) writeSync(this.csvFd, this.pendingCsv.join(''));
    this.pendingCsv = [];
    fsyncSync(this.fd);
    fsyncSync(this.csvFd);
  }

  /** Flush and close; later writes throw. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    if (this.csvFd !== null) closeSync(this.csvFd);
    this.fd = null;
    this.csvFd = null;
  }
}
