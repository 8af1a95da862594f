/**
 * @fileoverview `tfg train FILE [--epochs N] [--batch-size N] [--lr X] [--set key=value ...]
 * [--limit N] [--logdir DIR] [--backend wasm|reference] [--resume|--no-resume] [--seed N]
 * [--recipe NAME] [--json]`: builds the program, checks its `train { }` recipe (located
 * diagnostics), loads the data, opens a session (wasm by default: the train and eval steps are
 * compiled as signatures, one call per step; falls back to the reference Session with a note when
 * the wasm backend cannot compile the graph), resumes from the latest checkpoint of the logdir
 * unless `--no-resume`, and trains: a progress bar on a terminal (steps/s, ETA, loss), plain
 * periodic lines otherwise, one line per epoch with the metrics, a final summary. Ctrl-C saves a
 * checkpoint and exits cleanly; a second Ctrl-C exits at once.
 */
// Node's worker_threads host for the session's thread pool (browser code registers Web Workers instead)
import '../session/node/threads.js';
import { didYouMean } from '../compiler/diagnostics/suggest.js';
import { basename, join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { formatDiagnostics } from '../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../compiler/ir/graph.js';
import { checkProgramRecipe, ensureInit, overrideLearningRate, recipeGraph, recipeSignatures } from '../compiler/frontend/recipe.js';
import { type Backend, type OpenedSession, openSession } from '../compiler/session.js';
import { type PerfOptions, loadOptionsFrom, perfNotes } from './perf.js';
import { loadTrainDataNode } from '../session/node/data.js';
import { TrainCheckpoints } from '../session/node/train-checkpoints.js';
import { FileCheckpointStore } from '../session/node/saver.js';
import { SummaryWriter } from '../session/node/summary-writer.js';
import { encodeGraphDef } from '../session/io/events.js';
import { graphToGraphDef } from '../compiler/emit/graphdef.js';
import type { TrainPlan } from '../session/train/plan.js';
import { Saver } from '../session/train/saver.js';
import { type TrainEvent, type TrainResult, Trainer, parseTrainState } from '../session/train/trainer.js';
import { limitsFromOptions } from './limits.js';
import { CliError, type Io, processIo, renderError } from './io.js';
import { loadProgram } from './program.js';

export interface TrainCliOptions extends PerfOptions {
  epochs?: string;
  batchSize?: string;
  lr?: string;
  set?: string[];
  limit?: string;
  logdir?: string;
  backend?: string;
  resume?: boolean;
  seed?: string;
  recipe?: string;
  json?: boolean;
  /** Force the progress style (tests); default: a bar when stderr is a TTY. */
  tty?: boolean;
}

export interface TrainIo extends Io {
  /** Progress output stream (stderr by default). */
  progressStream?: NodeJS.WritableStream;
  isTTY?: boolean;
}

function intOpt(v: string | undefined, what: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${what} expects an integer >= ${min}, got '${v}'`);
  return n;
}

/** `--set a.b=v`: the value parsed as JSON when it parses, else a string; typed against the plan's current value. */
export function applySet(plan: TrainPlan, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new CliError(`--set expects key=value, got '${assignment}'`);
  const path = assignment.slice(0, eq).trim().split('.');
  const text = assignment.slice(eq + 1).trim();
  let value: unknown;
  try {
    value = JSON.parse(
      text
        .replace(/^True$/, 'true')
        .replace(/^False$/, 'false')
        .replace(/^None$/, 'null'),
    );
  } catch {
    value = text;
  }
  let obj = plan as unknown as Record<string, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const next = obj[path[i]];
    if (next === null && path[i] === 'early_stopping') throw new CliError(`--set ${path.join('.')}: the recipe has no early_stopping block`);
    if (typeof next !== 'object' || next === null || Array.isArray(next))
      throw new CliError(`--set: '${path.slice(0, i + 1).join('.')}' is not a recipe block`);
    obj = next as Record<string, unknown>;
  }
  const key = path[path.length - 1];
  if (!(key in obj))
    throw new CliError(
      `--set: unknown recipe key '${path.join('.')}'${didYouMean(key, Object.keys(obj), 'plain')} (keys here: ${Object.keys(obj).join(', ')})`,
    );
  const cur = obj[key];
  if (['feed', 'metrics', 'op', 'loss', 'init'].includes(path[0]))
    throw new CliError(`--set: '${path.join('.')}' names graph nodes; change it in the .tfg file`);
  if (typeof cur === 'number' && typeof value !== 'number') throw new CliError(`--set ${path.join('.')}: expects a number, got '${text}'`);
  if (typeof cur === 'string' && typeof value !== 'string') value = text;
  obj[key] = value;
}

function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(4) : v.toFixed(4);
}

export function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function fmtMetrics(ms: Record<string, Record<string, number>>): string {
  return Object.entries(ms)
    .filter(([, m]) => Object.keys(m).length)
    .map(
      ([split, m]) =>
        `${split} ${Object.entries(m)
          .map(([k, v]) => `${k} ${fmtNum(v)}`)
          .join(' ')}`,
    )
    .join(' | ');
}

/** Progress: a cli-progress bar on a terminal, plain lines (no control codes) otherwise. */
class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private total = 0;
  private startStep = 0;
  private t0 = Date.now();
  private lastLine = 0;
  private lastLoss: number | null = null;
  /** The bar's fields, kept so a restart (after a line printed above it) shows them, not the raw template. */
  private payload = { epoch: 1, rate: '-', loss: '-' };
  private lastStep = 0;

  constructor(
    private readonly io: TrainIo,
    private readonly tty: boolean,
    private readonly quiet: boolean,
  ) {}

  start(step: number, total: number): void {
    this.total = total;
    this.startStep = step;
    this.lastStep = step;
    this.t0 = Date.now();
    this.lastLine = this.t0;
    if (this.tty && !this.quiet) {
      this.bar = new cliProgress.SingleBar(
        {
          format: 'epoch {epoch} [{bar}] {value}/{total} steps | {rate} steps/s | ETA {eta_formatted} | loss {loss}',
          stream: this.io.progressStream ?? process.stderr,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 200,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, step, this.payload);
    }
  }

  private rate(step: number): number {
    const dt = (Date.now() - this.t0) / 1000;
    return dt > 0 ? (step - this.startStep) / dt : 0;
  }

  step(step: number, epoch: number, loss: number | null): void {
    if (loss !== null) this.lastLoss = loss;
    this.lastStep = step;
    if (this.quiet) return;
    if (this.bar) {
      this.payload = { epoch: epoch + 1, rate: this.rate(step).toFixed(1), loss: this.lastLoss === null ? '-' : fmtNum(this.lastLoss) };
      this.bar.update(step, this.payload);
      return;
    }
    const now = Date.now();
    if (now - this.lastLine >= 5000) {
      this.lastLine = now;
      const r = this.rate(step);
      const eta = r > 0 ? fmtDuration(((this.total - step) / r) * 1000) : '?';
      this.io.err(
        `step ${step}/${this.total} (epoch ${epoch + 1}) loss ${this.lastLoss === null ? '-' : fmtNum(this.lastLoss)}  ${r.toFixed(1)} steps/s  ETA ${eta}`,
      );
    }
  }

  /** Print a line above the bar. */
  line(text: string): void {
    if (this.quiet) return;
    if (this.bar) {
      this.bar.stop();
      this.io.err(text);
      this.bar.start(this.total, this.lastStep, this.payload);
    } else this.io.err(text);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

export async function runTrain(file: string, opts: TrainCliOptions, io: TrainIo = processIo): Promise<number> {
  let graphs: Graph[] = [];
  let opened: OpenedSession | null = null;
  let writer: SummaryWriter | null = null;
  let progress: Progress | null = null;
  const onSigint = (): void => {
    if (interrupted) {
      io.err('tfg train: second interrupt, exiting without saving');
      process.exit(130);
    }
    interrupted = true;
  };
  let interrupted = false;
  process.on('SIGINT', onSigint);
  try {
    const r = loadProgram(file, limitsFromOptions(opts as Record<string, unknown>));
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) {
      io.err(formatDiagnostics(r.diagnostics, { color: io.color }));
      return 1;
    }
    graphs = [r.defaultGraph, ...r.graphs.values()];
    const checked = checkProgramRecipe(r, opts.recipe);
    if (!checked.plan) {
      io.err(formatDiagnostics(checked.diagnostics, { color: io.color }));
      return 1;
    }
    const plan = checked.plan;
    const graph = recipeGraph(r, plan);
    // ---- overrides
    const epochs = intOpt(opts.epochs, '--epochs', 0);
    if (epochs !== undefined) plan.epochs = epochs;
    const bs = intOpt(opts.batchSize, '--batch-size', 1);
    if (bs !== undefined) plan.batch_size = bs;
    const seed = intOpt(opts.seed, '--seed', 0);
    if (seed !== undefined) plan.seed = seed;
    const limit = intOpt(opts.limit, '--limit', 1);
    if (limit !== undefined) plan.data.limit = limit;
    for (const s of opts.set ?? []) applySet(plan, s);
    if (opts.lr !== undefined) {
      const lr = Number(opts.lr);
      if (!Number.isFinite(lr) || lr <= 0) throw new CliError(`--lr expects a positive number, got '${opts.lr}'`);
      overrideLearningRate(graph, plan, lr);
    }
    const stem = basename(file).replace(/\.tfg$/, '');
    const logdir = resolve(opts.logdir ?? plan.logdir ?? join('runs', stem));
    const ckdir = resolve(plan.checkpoint.dir ?? join(logdir, 'checkpoints'));
    ensureInit(graph, plan);

    // ---- session (wasm: the recipe's train and eval steps are compiled as signatures)
    const wanted = (opts.backend ?? 'wasm') as Backend;
    if (wanted !== 'wasm' && wanted !== 'reference') throw new CliError(`unknown --backend '${wanted}' (expected wasm or reference)`);
    const notes: string[] = [];
    opened = openSession(r, {
      backend: wanted,
      fallback: opts.backend === undefined,
      graph,
      signatures: recipeSignatures(graph, plan),
      seed: plan.seed,
      load: loadOptionsFrom(opts),
    });
    notes.push(...perfNotes(opened.session));
    if (opened.fallbackReason) notes.push(`note: the wasm backend cannot compile this graph (${opened.fallbackReason}); training on the reference Session`);
    const session = opened.session;

    // ---- resume
    const warn = (m: string): void => io.err(`warning: ${m}`);
    const store = new FileCheckpointStore({ warn });
    const saver = new Saver(session, store, { maxToKeep: plan.checkpoint.max_to_keep });
    const ckpts = new TrainCheckpoints(ckdir, { maxToKeep: plan.checkpoint.max_to_keep, warn });
    let resume = null;
    let resumeBest = null;
    let resumedFrom: string | null = null;
    const latest = opts.resume === false ? null : store.latest(ckdir);
    if (latest) {
      const got = saver.restore(latest);
      resume = parseTrainState(got.state, latest);
      resumedFrom = latest;
      resumeBest = ckpts.loadBest(resume, session);
      io.err(`tfg train ${file}: resuming from ${latest} (step ${resume.global_step}, epoch ${resume.epoch}); --no-resume starts over`);
    } else {
      io.err(`tfg train ${file}: starting fresh${opts.resume === false ? ' (--no-resume)' : ` (no checkpoint in ${ckdir})`}`);
    }
    for (const n of [...checked.diagnostics.filter((d) => d.severity !== 'error').map((d) => `note: ${d.message}`), ...notes]) io.err(n);

    const data = loadTrainDataNode(plan);
    io.err(
      `backend ${opened.backend}, logdir ${logdir}; data: train ${data.train.size}${data.validation ? `, validation ${data.validation.size}` : ''}${data.test ? `, test ${data.test.size}` : ''} examples; batch ${plan.batch_size}, ${plan.epochs} epochs`,
    );
    writer = new SummaryWriter(logdir);
    // The graph, as TF1's FileWriter(logdir, sess.graph) writes it: TensorBoard's Graphs tab.
    writer.graph(encodeGraphDef(graphToGraphDef(graph)));
    const tty = opts.tty ?? io.isTTY ?? Boolean(process.stderr.isTTY);
    progress = new Progress(io, tty, false);
    const t0 = Date.now();
    let lastEpochLine = '';
    const onEvent = (e: TrainEvent): void => {
      switch (e.type) {
        case 'start':
          progress!.start(e.step, e.totalSteps);
          break;
        case 'step':
          progress!.step(e.step, e.epoch, e.loss);
          break;
        case 'epoch': {
          const parts = [`epoch ${e.epoch}/${plan.epochs} (step ${e.step})`];
          if (e.trainLoss !== null) parts.push(`train loss ${fmtNum(e.trainLoss)}`);
          const m = fmtMetrics(e.metrics);
          if (m) parts.push(m);
          lastEpochLine = parts.join(' | ');
          progress!.line(lastEpochLine);
          break;
        }
        case 'early_stop':
          progress!.line(
            `early stopping at epoch ${e.epoch}: ${plan.early_stopping!.on} ${e.metric} has not improved for ${plan.early_stopping!.patience + 1} evaluations (best ${fmtNum(e.best)} at epoch ${e.bestEpoch})`,
          );
          break;
        case 'restore_best':
          progress!.line(
            `restored the best ${plan.early_stopping!.on} ${e.metric} weights (${fmtNum(e.best)}, epoch ${e.epoch}, step ${e.step}): final metrics and checkpoint are that epoch's`,
          );
          break;
        case 'interrupted':
          progress!.stop();
          io.err(
            `interrupted at step ${e.step}: ${e.path ? `checkpoint saved to ${e.path}` : 'no checkpoint (checkpoints are off)'}; run the same command to resume`,
          );
          break;
        default:
          break;
      }
    };
    const trainer = new Trainer({
      plan,
      session,
      data,
      checkpoints: ckpts,
      summaries: writer,
      onEvent,
      shouldStop: () => interrupted,
      resume,
      resumedFrom,
      resumeBest,
    });
    const result: TrainResult = await trainer.run();
    progress.stop();
    writer.close();
    writer = null;
    const wall = Date.now() - t0;
    const summary = {
      file,
      backend: opened.backend,
      reason: result.reason,
      epochs: result.state.epoch,
      steps: result.state.global_step,
      steps_run: result.stepsRun,
      wall_time_s: wall / 1000,
      metrics: result.metrics,
      checkpoint: result.checkpoint,
      logdir,
    };
    if (opts.json) io.out(JSON.stringify(summary));
    if (result.reason === 'interrupted') return 130;
    const how =
      result.reason === 'already_done'
        ? `already trained (${result.state.stopped_early ? 'stopped early' : `${plan.epochs} epochs`}); nothing to do`
        : result.reason === 'early_stopped'
          ? 'stopped early'
          : 'completed';
    io.err(`done: ${how}: ${result.state.epoch} epochs, ${result.state.global_step} steps (${result.stepsRun} this run) in ${fmtDuration(wall)}`);
    const fm = fmtMetrics(result.metrics);
    if (fm) io.err(`final${result.bestEpoch !== null ? ` (best ${plan.early_stopping!.on} epoch ${result.bestEpoch})` : ''}: ${fm}`);
    if (result.checkpoint) io.err(`checkpoint: ${result.checkpoint}`);
    io.err(`summaries: ${logdir} (tfg plot ${logdir})`);
    return 0;
  } catch (e) {
    progress?.stop();
    io.err(renderError(e, graphs, io.color));
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    writer?.close();
    opened?.session.close();
  }
}
