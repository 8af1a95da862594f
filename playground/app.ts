/**
 * @fileoverview The playground page: a CodeMirror 6 editor for `.tfg` (highlighting from the
 * project's token list, squiggles from the compiler's check), a samples menu, and panels that
 * ask the worker (playground/worker.ts) to compile, draw the graph, run a signature, train the
 * file's recipe with live curves, and bench fused vs unfused. The program lives in the URL hash
 * and in localStorage, so a reload loses nothing.
 */
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, highlightActiveLine } from '@codemirror/view';
import { defaultKeymap, history as cmHistory, historyKeymap } from '@codemirror/commands';
import { syntaxHighlighting, defaultHighlightStyle, indentOnInput, bracketMatching } from '@codemirror/language';
import { type Diagnostic as CmDiagnostic, linter, lintGutter, forceLinting } from '@codemirror/lint';
import { tfgLanguage } from './highlight.js';

// ---------------------------------------------------------------- worker RPC

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let nextId = 1;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
const listeners: ((m: Record<string, unknown>) => void)[] = [];
const builtins = new Set<string>();
let workerReady: () => void;
const workerUp = new Promise<void>((r) => (workerReady = r));

worker.onmessage = (e: MessageEvent) => {
  const m = e.data as Record<string, unknown>;
  if (m.type === 'ready') {
    for (const b of m.builtins as string[]) builtins.add(b);
    workerReady();
    return;
  }
  if (m.type === 'print') {
    log(String(m.text));
    return;
  }
  if (typeof m.type === 'string') {
    for (const l of listeners) l(m);
    return;
  }
  const p = pending.get(m.id as number);
  if (!p) return;
  pending.delete(m.id as number);
  if (m.ok) p.resolve(m.result);
  else p.reject(new Error(String(m.error)));
};

function call<T>(type: string, args: Record<string, unknown> = {}, transfer: Transferable[] = []): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    worker.postMessage({ id, type, text: view.state.doc.toString(), file: fileName, ...args }, transfer);
  });
}

// ---------------------------------------------------------------- helpers

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
}
function log(s: string): void {
  const out = $('log');
  out.append(s + '\n');
  while (out.childNodes.length > 300) out.firstChild!.remove();
  out.scrollTop = out.scrollHeight;
}
function status(s: string): void {
  $('status').textContent = s;
}
function download(name: string, data: BlobPart, type = 'application/octet-stream'): void {
  const a = el('a', { href: URL.createObjectURL(new Blob([data], { type })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}
function fmtBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(2)} MiB`;
}
function showTab(name: string): void {
  for (const b of document.querySelectorAll<HTMLElement>('[data-tab]')) b.classList.toggle('active', b.dataset.tab === name);
  for (const p of document.querySelectorAll<HTMLElement>('.panel')) p.hidden = p.id !== `panel-${name}`;
}

// ---------------------------------------------------------------- editor

let fileName = 'samples/moons_logreg_train.tfg';
const STORE = 'tfg-playground';

function encodeHash(text: string, file: string): string {
  const bytes = new TextEncoder().encode(JSON.stringify({ file, text }));
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return '#p=' + btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function decodeHash(h: string): { file: string; text: string } | null {
  const m = /^#p=([A-Za-z0-9_-]+)$/.exec(h);
  if (!m) return null;
  try {
    const b = atob(m[1].replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(b, (c) => c.charCodeAt(0)))) as { file: string; text: string };
  } catch {
    return null;
  }
}

let saveTimer = 0;
function save(): void {
  clearTimeout(saveTimer);
  saveTimer = window.setTimeout(() => {
    const text = view.state.doc.toString();
    localStorage.setItem(STORE, JSON.stringify({ file: fileName, text }));
    history.replaceState(null, '', encodeHash(text, fileName));
  }, 300);
}

const tfgLinter = linter(
  async (v) => {
    const text = v.state.doc.toString();
    await workerUp;
    const r = await call<{ diagnostics: { from: number; to: number; severity: string; code: number; message: string; line: number; col: number }[] }>('check', {
      text,
    });
    if (v.state.doc.toString() !== text) return [];
    const len = v.state.doc.length;
    const ds: CmDiagnostic[] = r.diagnostics.map((d) => {
      const from = Math.min(d.from, len);
      let to = Math.min(d.to, len);
      if (to <= from) to = Math.min(from + 1, len);
      return {
        from,
        to,
        severity: d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'info',
        message: `TFG${d.code}: ${d.message}`,
        source: `${fileName}:${d.line}:${d.col}`,
      };
    });
    const errs = r.diagnostics.filter((d) => d.severity === 'error');
    $('diag-count').textContent = errs.length ? `${errs.length} error${errs.length > 1 ? 's' : ''} (first at ${errs[0].line}:${errs[0].col})` : 'no errors';
    document.body.dataset.diagnostics = JSON.stringify(r.diagnostics.map((d) => ({ line: d.line, col: d.col, code: d.code, severity: d.severity })));
    return ds;
  },
  { delay: 400 },
);

const view = new EditorView({
  parent: $('editor'),
  state: EditorState.create({
    doc: '',
    extensions: [
      lineNumbers(),
      highlightActiveLine(),
      cmHistory(),
      indentOnInput(),
      bracketMatching(),
      keymap.of([...defaultKeymap, ...historyKeymap]),
      tfgLanguage(builtins),
      syntaxHighlighting(defaultHighlightStyle),
      lintGutter(),
      tfgLinter,
      EditorView.updateListener.of((u) => {
        if (u.docChanged) save();
      }),
    ],
  }),
});

function setProgram(text: string, file: string): void {
  fileName = file;
  $<HTMLSelectElement>('samples').value = file.startsWith('samples/') ? file.slice('samples/'.length) : '';
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  save();
}

/** Move the cursor to `line` (1-based) and scroll it into view. */
function gotoLine(line: number, col = 1): void {
  const l = view.state.doc.line(Math.max(1, Math.min(line, view.state.doc.lines)));
  const pos = Math.min(l.from + col - 1, l.to);
  view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
  view.focus();
}

// ---------------------------------------------------------------- samples

async function loadSamples(): Promise<void> {
  const list = (await (await fetch('samples/index.json')).json()) as string[];
  const sel = $<HTMLSelectElement>('samples');
  sel.append(el('option', { value: '' }, '(samples)'));
  for (const f of list) sel.append(el('option', { value: f }, f));
  sel.onchange = async () => {
    if (!sel.value) return;
    const text = await (await fetch(`samples/${sel.value}`)).text();
    setProgram(text, `samples/${sel.value}`);
  };
}

// ---------------------------------------------------------------- compile

let compiled: {
  wasm: ArrayBuffer;
  manifest: string;
  signatures: {
    name: string;
    feeds: string[];
    fused: number;
    unfused: number;
    feedInfo: { name: string; dtype: string | null; shape: (number | null)[] | null }[];
  }[];
} | null = null;

async function compile(): Promise<void> {
  status('compiling…');
  const out = $('compile-out');
  out.textContent = '';
  const t0 = performance.now();
  try {
    const r = await call<{
      ms: number;
      msUnfused: number;
      size: number;
      sizeUnfused: number;
      wasm: ArrayBuffer;
      manifest: string;
      signatures: NonNullable<typeof compiled>['signatures'];
    }>('compile');
    compiled = r;
    const table = el(
      'table',
      { id: 'kernels' },
      el('tr', {}, el('th', {}, 'signature'), el('th', {}, 'feeds'), el('th', {}, 'kernels fused'), el('th', {}, 'kernels unfused')),
    );
    for (const s of r.signatures)
      table.append(
        el(
          'tr',
          {},
          el('td', {}, s.name),
          el('td', {}, s.feeds.join(', ')),
          el('td', { class: 'num' }, String(s.fused)),
          el('td', { class: 'num' }, String(s.unfused)),
        ),
      );
    out.append(
      el(
        'p',
        { id: 'compile-summary' },
        `module ${fmtBytes(r.size)} (unfused ${fmtBytes(r.sizeUnfused)}); compiled in ${r.ms.toFixed(0)} ms (unfused ${r.msUnfused.toFixed(0)} ms); round trip ${(performance.now() - t0).toFixed(0)} ms`,
      ),
      table,
    );
    const stem = fileName
      .split('/')
      .pop()!
      .replace(/\.tfg$/, '');
    const dl = el('button', {}, `download ${stem}.wasm`);
    dl.onclick = () => download(`${stem}.wasm`, r.wasm, 'application/wasm');
    const dm = el('button', {}, `download ${stem}.manifest.json`);
    dm.onclick = () => download(`${stem}.manifest.json`, r.manifest, 'application/json');
    out.append(el('p', {}, dl, ' ', dm));
    fillSignatures();
    status(`compiled in ${r.ms.toFixed(0)} ms`);
    document.body.dataset.compiled = String(r.ms);
  } catch (e) {
    out.append(el('pre', { class: 'error' }, (e as Error).message));
    status('compile failed');
  }
}

// ---------------------------------------------------------------- graph

async function drawGraph(): Promise<void> {
  status('drawing the graph…');
  const box = $('graph-out');
  try {
    const r = await call<{ svg: string; nodes: Record<string, { op: string; type: string; line: number | null; col: number | null }> }>('graph');
    box.innerHTML = r.svg;
    const tip = $('tooltip');
    for (const g of box.querySelectorAll<SVGGElement>('g.node')) {
      const name = g.querySelector('title')?.textContent ?? '';
      const info = r.nodes[name];
      if (!info) continue;
      g.dataset.node = name;
      g.querySelector('a')?.removeAttribute('xlink:title');
      g.querySelector('title')?.remove();
      g.style.cursor = 'pointer';
      g.onmouseenter = (ev: MouseEvent) => {
        tip.textContent = `${name}\nop: ${info.op}\ntype: ${info.type || '(none)'}\nline: ${info.line ?? '?'}`;
        tip.hidden = false;
        tip.style.left = `${ev.pageX + 12}px`;
        tip.style.top = `${ev.pageY + 12}px`;
      };
      g.onmouseleave = () => (tip.hidden = true);
      g.onclick = () => {
        if (info.line !== null) gotoLine(info.line, info.col ?? 1);
      };
    }
    // Name-scope clusters fold and unfold on click of their label.
    for (const c of box.querySelectorAll<SVGGElement>('g.cluster')) {
      const label = c.querySelector('text');
      if (!label) continue;
      label.style.cursor = 'pointer';
      const scope = (c.querySelector('title')?.textContent ?? '').replace(/^cluster_/, '');
      label.onclick = (ev: MouseEvent) => {
        ev.stopPropagation();
        const folded = c.classList.toggle('folded');
        for (const g of box.querySelectorAll<SVGGElement>('g.node')) if ((g.dataset.node ?? '').startsWith(scope + '/')) g.style.opacity = folded ? '0.08' : '';
      };
    }
    status(`graph: ${Object.keys(r.nodes).length} nodes`);
  } catch (e) {
    box.textContent = (e as Error).message;
    status('graph failed');
  }
}

// ---------------------------------------------------------------- run

function fillSignatures(): void {
  for (const id of ['run-sig', 'bench-sig']) {
    const sel = $<HTMLSelectElement>(id);
    sel.textContent = '';
    for (const s of compiled?.signatures ?? []) sel.append(el('option', { value: s.name }, s.name));
  }
  renderFeeds();
}

function renderFeeds(): void {
  const box = $('run-feeds');
  box.textContent = '';
  const s = compiled?.signatures.find((x) => x.name === $<HTMLSelectElement>('run-sig').value);
  for (const f of s?.feedInfo ?? []) {
    const shape = f.shape ? `[${f.shape.map((d) => (d === null ? 'None' : d)).join(', ')}]` : '?';
    const ta = el('textarea', { 'data-feed': f.name, rows: '3', placeholder: 'JSON, e.g. [[0.5, 1.0]]' });
    const file = el('input', { type: 'file', accept: '.npy,.csv', 'data-feed-file': f.name });
    box.append(el('div', { class: 'feed' }, el('label', {}, `${f.name} ${f.dtype ?? ''} ${shape}`), ta, file));
  }
}

function renderTensor(name: string, t: { dtype: string; shape: number[]; data: number[] }): HTMLElement {
  const wrap = el('div', { class: 'result' }, el('h4', {}, `${name}: ${t.dtype} [${t.shape.join(', ')}]`));
  const rows = t.shape.length === 0 ? 1 : t.shape[0];
  const cols = t.shape.length <= 1 ? (t.shape.length === 0 ? 1 : 1) : t.data.length / rows;
  if (cols === 784) {
    for (let r = 0; r < Math.min(rows, 16); r++) {
      const c = el('canvas', { width: '28', height: '28', class: 'digit' });
      const ctx = c.getContext('2d')!;
      const img = ctx.createImageData(28, 28);
      for (let i = 0; i < 784; i++) {
        const v = Math.max(0, Math.min(255, Math.round(t.data[r * 784 + i] * (t.data.some((x) => x > 1) ? 1 : 255))));
        img.data.set([v, v, v, 255], i * 4);
      }
      ctx.putImageData(img, 0, 0);
      wrap.append(c);
    }
    return wrap;
  }
  const table = el('table', {});
  const shownRows = Math.min(rows, 50);
  for (let r = 0; r < shownRows; r++) {
    const tr = el('tr', {});
    const per = t.shape.length <= 1 ? 1 : cols;
    for (let c = 0; c < Math.min(per, 20); c++) tr.append(el('td', { class: 'num' }, String(t.data[r * per + c])));
    table.append(tr);
  }
  wrap.append(table);
  if (rows > shownRows) wrap.append(el('p', {}, `… ${rows - shownRows} more rows`));
  return wrap;
}

async function runSignature(): Promise<void> {
  const sig = $<HTMLSelectElement>('run-sig').value;
  const out = $('run-out');
  out.textContent = '';
  try {
    const feeds: Record<string, unknown> = {};
    const transfer: Transferable[] = [];
    for (const ta of document.querySelectorAll<HTMLTextAreaElement>('#run-feeds textarea')) {
      const name = ta.dataset.feed!;
      const file = document.querySelector<HTMLInputElement>(`input[data-feed-file="${name}"]`)?.files?.[0];
      if (file) {
        const bytes = await file.arrayBuffer();
        feeds[name] = { kind: file.name.endsWith('.npy') ? 'npy' : 'csv', bytes, name: file.name };
        transfer.push(bytes);
      } else {
        try {
          feeds[name] = { kind: 'json', value: JSON.parse(ta.value) };
        } catch (e) {
          throw new Error(`feed ${name}: not JSON (${(e as Error).message})`, { cause: e });
        }
      }
    }
    const r = await call<{ ms: number; fetches: unknown; out: unknown; variables: string }>('run', { signature: sig, feeds }, transfer);
    out.append(el('p', { id: 'run-summary' }, `ran in ${r.ms.toFixed(2)} ms; variables: ${r.variables}`));
    const walk = (name: string, v: unknown): void => {
      if (v && typeof v === 'object' && 'dtype' in v) out.append(renderTensor(name, v as { dtype: string; shape: number[]; data: number[] }));
      else if (Array.isArray(v)) v.forEach((x, i) => walk(`${name}[${i}]`, x));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(name ? `${name}.${k}` : k, x);
      else out.append(el('p', {}, `${name}: ${String(v)}`));
    };
    walk('', r.out);
  } catch (e) {
    out.append(el('pre', { class: 'error' }, (e as Error).message));
  }
}

// ---------------------------------------------------------------- train

const curves = new Map<string, { step: number; value: number }[]>();
let trainId = 0;
let trainStart = 0;
let trainStartStep = 0;
let totalSteps = 0;

/** Points on the curves after each batch of summaries or metrics arrived (the page's tests watch them grow). */
const curveHistory: number[] = [];
(window as unknown as { tfgCurveHistory: number[] }).tfgCurveHistory = curveHistory;

function drawCurves(): void {
  const box = $('curves');
  box.textContent = '';
  const W = 360,
    H = 180,
    P = 36;
  for (const [tag, pts] of curves) {
    if (!pts.length) continue;
    const xs = pts.map((p) => p.step),
      ys = pts.map((p) => p.value).filter(Number.isFinite);
    const x0 = Math.min(...xs),
      x1 = Math.max(...xs, x0 + 1),
      y0 = Math.min(...ys),
      y1 = Math.max(...ys, y0 + 1e-12);
    const sx = (x: number) => P + ((x - x0) / (x1 - x0)) * (W - P - 8),
      sy = (y: number) => H - 20 - ((y - y0) / (y1 - y0)) * (H - 30);
    const d = pts
      .filter((p) => Number.isFinite(p.value))
      .map((p, i) => `${i ? 'L' : 'M'}${sx(p.step).toFixed(1)},${sy(p.value).toFixed(1)}`)
      .join('');
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('width', String(W));
    svg.setAttribute('height', String(H));
    svg.setAttribute('class', 'curve');
    svg.dataset.tag = tag;
    svg.dataset.points = String(pts.length);
    svg.innerHTML =
      `<text x="${P}" y="12" class="title">${tag}</text><path d="${d}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>` +
      `<text x="2" y="${sy(y1) + 4}" class="axis">${y1.toPrecision(3)}</text><text x="2" y="${sy(y0)}" class="axis">${y0.toPrecision(3)}</text>` +
      `<text x="${P}" y="${H - 4}" class="axis">step ${x0}</text><text x="${W - 70}" y="${H - 4}" class="axis">step ${x1}</text>`;
    box.append(svg);
  }
}

/** Redraw on the next frame, once however many points came in since the last one. */
let drawPending = false;
function scheduleDraw(): void {
  let total = 0;
  for (const pts of curves.values()) total += pts.length;
  curveHistory.push(total);
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    drawCurves();
  });
}

function addPoint(tag: string, step: number, value: number): void {
  if (!curves.has(tag)) curves.set(tag, []);
  curves.get(tag)!.push({ step, value });
}

listeners.push((m) => {
  if (m.id !== trainId) return;
  if (m.type === 'train-summary') {
    for (const [k, v] of Object.entries(m.values as Record<string, number>)) addPoint(k, m.step as number, v);
    scheduleDraw();
  } else if (m.type === 'train-event') {
    const e = m.event as Record<string, unknown>;
    if (e.type === 'start') {
      (window as unknown as { tfgTrainStart: unknown }).tfgTrainStart = { step: e.step, resumed: e.resumed };
      totalSteps = e.totalSteps as number;
      trainStart = performance.now();
      trainStartStep = e.step as number;
    } else if (e.type === 'step') {
      const step = e.step as number;
      const secs = (performance.now() - trainStart) / 1000;
      const rate = (step - trainStartStep) / Math.max(secs, 1e-6);
      const eta = rate > 0 ? (totalSteps - step) / rate : 0;
      (window as unknown as { tfgTrainRate: unknown }).tfgTrainRate = { steps: step - trainStartStep, seconds: secs };
      $<HTMLProgressElement>('train-progress').max = totalSteps;
      $<HTMLProgressElement>('train-progress').value = step;
      $('train-rate').textContent =
        `step ${step}/${totalSteps}, epoch ${e.epoch}, ${rate.toFixed(1)} steps/s, ETA ${eta.toFixed(1)} s${e.loss !== null ? `, loss ${(e.loss as number).toPrecision(5)}` : ''}`;
    } else if (e.type === 'epoch') {
      const metrics = e.metrics as Record<string, Record<string, number>>;
      for (const [split, ms] of Object.entries(metrics)) for (const [k, v] of Object.entries(ms)) addPoint(`${split}/${k}`, e.step as number, v);
      if (e.trainLoss !== null) addPoint('train/epoch_loss', e.step as number, e.trainLoss as number);
      scheduleDraw();
      log(`epoch ${e.epoch} (step ${e.step})${e.trainLoss !== null ? ` train loss ${(e.trainLoss as number).toPrecision(6)}` : ''}`);
    }
  }
});

interface DataFileRow {
  split: string;
  source: string;
  role: string;
  path: string;
  picked: string | null;
  loaded: boolean;
}

/** The files the program and its recipe read, each with a file input to use one of the user's own instead. */
async function refreshDataFiles(): Promise<void> {
  const box = $('train-data');
  try {
    const r = await call<{ error: string | null; files: DataFileRow[] }>('dataFiles');
    box.textContent = '';
    if (!r.files.length) {
      box.append(el('p', {}, r.error ? 'data: (the program does not build yet)' : 'data: generated (no files)'));
      return;
    }
    const table = el('table', { id: 'data-files' }, el('tr', {}, el('th', {}, 'data'), el('th', {}, 'file'), el('th', {}, 'from'), el('th', {}, 'your file')));
    for (const f of r.files) {
      const input = el('input', { type: 'file', 'data-path': f.path });
      input.onchange = async () => {
        const file = input.files?.[0];
        if (!file) return;
        const bytes = await file.arrayBuffer();
        await call('pick', { path: f.path, bytes, name: file.name }, [bytes]);
        log(`${f.path}: your file ${file.name} (${fmtBytes(bytes.byteLength)})`);
        await refreshDataFiles();
        document.body.dataset.picked = String(Number(document.body.dataset.picked ?? '0') + 1);
      };
      const from = el('td', { class: 'from' }, f.picked ? `picked: ${f.picked} ` : f.loaded ? 'served' : 'served (when needed)');
      if (f.picked) {
        const undo = el('button', {}, 'use served');
        undo.onclick = async () => {
          await call('unpick', { path: f.path });
          await refreshDataFiles();
        };
        from.append(undo);
      }
      table.append(el('tr', { 'data-path': f.path }, el('td', {}, `${f.split}: ${f.source} ${f.role}`), el('td', {}, f.path), from, el('td', {}, input)));
    }
    box.append(table);
  } catch (e) {
    box.textContent = (e as Error).message;
  }
}

async function trainRecipe(resume: boolean): Promise<void> {
  if (!resume) curves.clear();
  drawCurves();
  const epochs = $<HTMLInputElement>('train-epochs').value;
  const limit = $<HTMLInputElement>('train-limit').value;
  const overrides: Record<string, number> = {};
  if (epochs) overrides.epochs = Number(epochs);
  if (limit) overrides.limit = Number(limit);
  trainId = nextId;
  status(resume ? 'resuming training…' : 'training…');
  $<HTMLButtonElement>('train-stop').disabled = false;
  try {
    const r = await call<{
      reason: string;
      state: { epoch: number; global_step: number };
      metrics: unknown;
      stepsRun: number;
      backend: string;
      variables: Record<string, unknown>;
    }>('train', { overrides, resume });
    $('train-result').textContent =
      `${r.reason}: ${r.state.epoch} epochs, ${r.state.global_step} steps (${r.stepsRun} this run) on ${r.backend}; metrics ${JSON.stringify(r.metrics)}`;
    (window as unknown as { tfgTrainResult: unknown }).tfgTrainResult = r;
    // Step events come at most every 100 ms: show where the run ended.
    $<HTMLProgressElement>('train-progress').value = r.state.global_step;
    $('train-rate').textContent = `step ${r.state.global_step}/${totalSteps}, epoch ${r.state.epoch}: ${r.reason}`;
    $<HTMLButtonElement>('train-resume').disabled = r.reason !== 'interrupted';
    status(`training ${r.reason}`);
  } catch (e) {
    $('train-result').textContent = (e as Error).message;
    status('training failed');
  } finally {
    $<HTMLButtonElement>('train-stop').disabled = true;
  }
}

// ---------------------------------------------------------------- bench

interface BenchOperand {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
}
interface BenchVariant {
  kernels: number;
  msPerRun: number;
  reps: number;
  bytes: number;
  perKernel: { name: string; kind: string; nodes: number; bytes: number; reads: BenchOperand[]; writes: BenchOperand[] }[];
}

function barRow(label: string, cls: string, width: number, text: string, attrs: Record<string, string> = {}): HTMLElement {
  return el(
    'div',
    { class: 'bar-row', ...attrs },
    el('span', { class: 'bar-label' }, label),
    el('span', { class: `bar ${cls}`, style: `width:${Math.max(width, 1).toFixed(1)}px` }),
    el('span', {}, ` ${text}`),
  );
}

async function runBench(): Promise<void> {
  const out = $('bench-out');
  out.textContent = 'benchmarking…';
  try {
    const batch = Number($<HTMLInputElement>('bench-batch').value) || 64;
    const r = await call<Record<'fused' | 'unfused', BenchVariant>>('bench', { signature: $<HTMLSelectElement>('bench-sig').value, batch });
    const variants = ['fused', 'unfused'] as const;
    out.textContent = '';
    const time = el('div', { id: 'bench-time' }, el('h4', {}, 'time per run'));
    const maxMs = Math.max(r.fused.msPerRun, r.unfused.msPerRun);
    for (const k of variants)
      time.append(
        barRow(`${k} (${r[k].kernels} kernels)`, k, (r[k].msPerRun / maxMs) * 300, `${r[k].msPerRun.toFixed(3)} ms/run`, {
          'data-variant': k,
          'data-ms': String(r[k].msPerRun),
        }),
      );
    const total = el('div', { id: 'bench-bytes' }, el('h4', {}, `bytes moved per run (read + written, batch ${batch})`));
    const maxTotal = Math.max(r.fused.bytes, r.unfused.bytes);
    for (const k of variants)
      total.append(barRow(`${k}`, k, (r[k].bytes / maxTotal) * 300, fmtBytes(r[k].bytes), { 'data-variant': k, 'data-bytes': String(r[k].bytes) }));
    out.append(time, total);
    // One bar per kernel, on one scale for both variants.
    const maxKernel = Math.max(...variants.flatMap((k) => r[k].perKernel.map((x) => x.bytes)), 1);
    for (const k of variants) {
      const box = el('div', { class: 'kernel-bytes', 'data-variant': k }, el('h4', {}, `bytes moved per kernel, ${k} (${r[k].perKernel.length} kernels)`));
      r[k].perKernel.forEach((kn, i) => {
        const row = barRow(`k${i} ${kn.kind} ${kn.name}`, k, (kn.bytes / maxKernel) * 300, fmtBytes(kn.bytes), {
          'data-kernel': kn.name,
          'data-bytes': String(kn.bytes),
        });
        const fmt = (o: BenchOperand): string => `${o.name} ${o.dtype}[${o.shape.join(',')}] ${o.bytes} B`;
        row.title = `${kn.nodes} node${kn.nodes === 1 ? '' : 's'}\nreads: ${kn.reads.map(fmt).join('; ') || '-'}\nwrites: ${kn.writes.map(fmt).join('; ') || '-'}`;
        box.append(row);
      });
      out.append(box);
    }
    document.body.dataset.bench = 'done';
  } catch (e) {
    out.textContent = (e as Error).message;
  }
}

// ---------------------------------------------------------------- wiring

for (const b of document.querySelectorAll<HTMLElement>('[data-tab]'))
  b.onclick = () => {
    showTab(b.dataset.tab!);
    if (b.dataset.tab === 'train') void refreshDataFiles();
  };
$('btn-compile').onclick = () => {
  showTab('compile');
  void compile();
};
$('btn-graph').onclick = () => {
  showTab('graph');
  void drawGraph();
};
$('btn-train').onclick = () => {
  showTab('train');
  void trainRecipe(false);
};
$('run-sig').onchange = renderFeeds;
$('run-go').onclick = () => void runSignature();
$('train-stop').onclick = () => void call('stop');
$('train-resume').onclick = () => void trainRecipe(true);
$('train-ckpt').onclick = async () => {
  try {
    const b = await call<ArrayBuffer>('checkpoint');
    download(
      `${fileName
        .split('/')
        .pop()!
        .replace(/\.tfg$/, '')}.safetensors`,
      b,
    );
  } catch (e) {
    $('train-result').textContent = (e as Error).message;
  }
};
$('bench-go').onclick = () => void runBench();
$<HTMLInputElement>('open-file').onchange = async (ev) => {
  for (const f of (ev.target as HTMLInputElement).files ?? []) {
    if (f.name.endsWith('.tfg')) setProgram(await f.text(), f.name);
    else {
      const bytes = await f.arrayBuffer();
      await call('addFile', { path: f.name, bytes }, [bytes]);
      log(`added ${f.name} (${fmtBytes(bytes.byteLength)}): a program names it as "${f.name}"`);
    }
  }
};

const w = window as unknown as Record<string, unknown>;
w.tfgEditor = view;
w.tfgGotoLine = gotoLine;
w.tfgSetProgram = setProgram;
w.tfgForceLint = () => forceLinting(view);

async function start(): Promise<void> {
  showTab('compile');
  await loadSamples();
  const fromHash = decodeHash(location.hash);
  const stored = localStorage.getItem(STORE);
  if (fromHash) setProgram(fromHash.text, fromHash.file);
  else if (stored) {
    const s = JSON.parse(stored) as { file: string; text: string };
    setProgram(s.text, s.file);
  } else setProgram(await (await fetch('samples/moons_logreg_train.tfg')).text(), 'samples/moons_logreg_train.tfg');
  w.tfgEditorTime = performance.now();
  await workerUp;
  // Re-highlight now that the builtin names are known.
  view.dispatch({ changes: { from: 0, insert: '' } });
  document.body.dataset.ready = 'true';
  status('ready');
  w.tfgReadyTime = performance.now();
}
void start();
