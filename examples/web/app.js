// The example page's code: plain JavaScript, no framework, no bundler. Everything tfg is the
// prebuilt loader (gen/tfg-loader.js, copied from dist/loader/ by `npm run example:web`).
//
// 1. MNIST: the `predict` entry of samples/mnist_mlp.tfg, trained by `tfg train`. By default the
//    module without weights and without the runtime (`--weights-file --no-embed-runtime`): the
//    loader brings the runtime (gen/tfg-runtime.wasm) and `session.restore()` loads the weights
//    (a .safetensors file). `?weights=baked` loads the module with the weights baked in instead.
// 2. Moons: samples/moons_logreg_train.tfg compiled with its recipe's entries; each training
//    step is one call of the `tfg_train_step` entry (the fast path), each epoch's test loss one
//    call of `tfg_eval_step`.
//
// Entry points are found by name in the module's manifest, with their feed and fetch names, so
// nothing here hard-codes a graph's node names. `window.tfgExample` exposes the state to tests.
import { Tensor, loadModel } from './gen/tfg-loader.js';

const $ = (id) => document.getElementById(id);
/** The 2D context of a canvas the page reads back (the attribute counts at the first getContext). */
const readable = (id) => $(id).getContext('2d', { willReadFrequently: true });
const example = { ready: false, mode: '', probabilities: null, losses: [], testLosses: [], accuracy: null, training: false, trained: 0, stats: null };
window.tfgExample = example;

/** A signature's fetch structure from the manifest as Session.run takes it (`x:0`, or the op name). */
function fetchesOf(f) {
  if (typeof f === 'string') return f;
  if (Array.isArray(f)) return f.map(fetchesOf);
  if ('op' in f) return f.op;
  return Object.fromEntries(f.dict.map(([k, v]) => [k, fetchesOf(v)]));
}

/** The entry point `name` of a loaded model: its feed tensor names and its fetches. */
function entry(model, name) {
  const sig = model.manifest.signatures.find((s) => s.name === name);
  if (!sig) throw new Error(`the module has no entry point '${name}' (it has: ${model.manifest.signatures.map((s) => s.name).join(', ')})`);
  return { feeds: sig.feeds.map((n) => `${n}:0`), fetches: fetchesOf(sig.fetches) };
}

// ------------------------------------------------------------------ 1. MNIST

let mnist = null; // { session, predict }

async function loadMnist(config, mode) {
  const t0 = performance.now();
  let model;
  let session;
  if (mode === 'baked') {
    model = await loadModel(new URL(config.baked.module, base()));
    session = model.createSession();
  } else {
    model = await loadModel(new URL(config.apart.module, base()), { runtime: new URL(config.apart.runtime, base()) });
    session = model.createSession();
    await session.restore(new URL(config.apart.weights, base()));
  }
  const predict = entry(model, 'predict');
  $('mnist-info').textContent =
    `predict module loaded (${mode === 'baked' ? 'weights baked in' : 'weights restored from a .safetensors file'}) in ${(performance.now() - t0).toFixed(0)} ms`;
  return { session, predict };
}

function base() {
  return new URL('./gen/', location.href);
}

/** MNIST pixels as the training data has them: grey level × (1/255) as float32 (session/io/idx.ts). */
function pixelsOf(canvas28) {
  const rgba = canvas28.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, 28, 28).data;
  const x = new Float32Array(28 * 28);
  for (let i = 0; i < x.length; i++) x[i] = rgba[4 * i] * (1 / 255);
  return x;
}

/** Run `predict` on the 28×28 canvas; show and return the ten probabilities. */
function classify() {
  const x = pixelsOf($('digit28'));
  const [feed] = mnist.predict.feeds;
  const probs = mnist.session.run(mnist.predict.fetches, { [feed]: new Tensor('f32', [1, 784], x) });
  example.probabilities = Array.from(probs.data);
  showProbabilities(example.probabilities);
  return example.probabilities;
}

function showProbabilities(p) {
  const best = p.indexOf(Math.max(...p));
  $('prediction').textContent = String(best);
  $('probs').innerHTML = p
    .map(
      (v, d) =>
        `<tr${d === best ? ' class="top"' : ''}><td>${d}</td><td>${v.toFixed(4)}</td><td style="width:160px"><div class="bar" style="width:${(v * 100).toFixed(1)}%"></div></td></tr>`,
    )
    .join('');
}

/**
 * The drawing as MNIST prepared its digits: the ink's bounding box scaled to fit 20×20 (aspect
 * kept, anti-aliased), placed in a 28×28 frame so that its centre of mass is at the centre.
 */
function drawingTo28() {
  const pad = $('pad');
  const out = readable('digit28');
  out.fillStyle = '#000';
  out.fillRect(0, 0, 28, 28);
  const img = readable('pad').getImageData(0, 0, pad.width, pad.height);
  let x0 = pad.width,
    y0 = pad.height,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < pad.height; y++) {
    for (let x = 0; x < pad.width; x++) {
      if (img.data[4 * (y * pad.width + x)] > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return false;
  const w = x1 - x0 + 1,
    h = y1 - y0 + 1;
  const s = 20 / Math.max(w, h);
  // First into a 28×28 scratch canvas centred by its box, then shifted by the centre of mass.
  const scratch = document.createElement('canvas');
  scratch.width = scratch.height = 28;
  const sc = scratch.getContext('2d', { willReadFrequently: true });
  sc.fillStyle = '#000';
  sc.fillRect(0, 0, 28, 28);
  sc.imageSmoothingEnabled = true;
  sc.imageSmoothingQuality = 'high';
  sc.drawImage(pad, x0, y0, w, h, (28 - w * s) / 2, (28 - h * s) / 2, w * s, h * s);
  const g = sc.getImageData(0, 0, 28, 28).data;
  let m = 0,
    mx = 0,
    my = 0;
  for (let i = 0; i < 784; i++) {
    m += g[4 * i];
    mx += g[4 * i] * (i % 28);
    my += g[4 * i] * Math.floor(i / 28);
  }
  const dx = m > 0 ? Math.round(13.5 - mx / m) : 0;
  const dy = m > 0 ? Math.round(13.5 - my / m) : 0;
  out.drawImage(scratch, dx, dy);
  return true;
}

function setUpPad() {
  const pad = $('pad');
  const ctx = readable('pad');
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, pad.width, pad.height);
    const o = readable('digit28');
    o.fillStyle = '#000';
    o.fillRect(0, 0, 28, 28);
    $('prediction').textContent = '–';
    $('probs').innerHTML = '';
  };
  clear();
  let last = null;
  const at = (e) => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
  };
  pad.addEventListener('pointerdown', (e) => {
    pad.setPointerCapture(e.pointerId);
    last = at(e);
  });
  pad.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = at(e);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 18;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    last = p;
  });
  const end = () => {
    if (!last) return;
    last = null;
    if (mnist && drawingTo28()) classify();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  $('clear').addEventListener('click', clear);
}

/** Tests: put 784 grey levels (0–255) on the 28×28 canvas pixel for pixel and classify them. */
example.classifyGreyLevels = (grey) => {
  const c = readable('digit28');
  const img = c.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    img.data.set([grey[i], grey[i], grey[i], 255], 4 * i);
  }
  c.putImageData(img, 0, 0);
  return classify();
};

/** Tests: the 28×28 canvas's grey levels (what `classify` reads). */
example.greyLevels = () => Array.from(pixelsOf($('digit28')), (v) => Math.round(v * 255));

// ------------------------------------------------------------------ 2. Moons

let moons = null; // { session, step, evaluate, predict, data }

async function loadMoons(config) {
  const model = await loadModel(new URL(config.module, base()));
  const session = model.createSession();
  session.initialize();
  const data = await (await fetch(new URL(config.data, base()))).json();
  return { session, step: entry(model, 'tfg_train_step'), evaluate: entry(model, 'tfg_eval_step'), predict: entry(model, 'predict'), data };
}

/** The feeds of an entry from rows `idx` of a split (placeholder → column as the recipe says). */
function feedsFor(e, split, idx) {
  const feeds = {};
  for (const name of e.feeds) {
    const col = split[moons.data.feed[name.replace(/:0$/, '')]];
    const width = col.shape.slice(1).reduce((a, b) => a * b, 1);
    const x = new Float64Array(idx.length * width);
    idx.forEach((r, i) => x.set(col.data.slice(r * width, (r + 1) * width), i * width));
    feeds[name] = new Tensor('f64', [idx.length, ...col.shape.slice(1)], x);
  }
  return feeds;
}

/** mulberry32: a seeded shuffle, so a run of the page is repeatable. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BATCH = 50;
const random = rng(42);

/** One epoch of mini-batch steps; returns the mean training loss. */
function epoch() {
  const n = moons.data.train[moons.data.feed[moons.step.feeds[0].replace(/:0$/, '')]].shape[0];
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  let sum = 0;
  let batches = 0;
  for (let b = 0; b < n; b += BATCH) {
    const [, loss] = moons.session.run(moons.step.fetches, feedsFor(moons.step, moons.data.train, order.slice(b, b + BATCH)));
    sum += loss.data[0];
    batches++;
  }
  return sum / batches;
}

function evaluate() {
  const test = moons.data.test;
  const n = test[moons.data.feed[moons.evaluate.feeds[0].replace(/:0$/, '')]].shape[0];
  const idx = Array.from({ length: n }, (_, i) => i);
  const [accuracy, loss] = moons.session.run(moons.evaluate.fetches, feedsFor(moons.evaluate, test, idx));
  return { accuracy: accuracy.data[0], loss: loss.data[0], idx };
}

function drawLoss() {
  const c = $('loss');
  const g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  const L = 40,
    R = 10,
    T = 10,
    B = 28;
  const all = [...example.losses, ...example.testLosses];
  const max = Math.max(...all, 1e-9);
  const n = Math.max(example.losses.length, 2);
  const X = (i) => L + ((c.width - L - R) * i) / (n - 1);
  const Y = (v) => T + (c.height - T - B) * (1 - v / max);
  g.strokeStyle = '#999';
  g.beginPath();
  g.moveTo(L, T);
  g.lineTo(L, c.height - B);
  g.lineTo(c.width - R, c.height - B);
  g.stroke();
  g.fillStyle = '#555';
  g.font = '11px system-ui, sans-serif';
  g.fillText(max.toFixed(2), 4, T + 8);
  g.fillText('0', 26, c.height - B);
  g.fillText('epoch', c.width - 45, c.height - 8);
  const line = (vs, color) => {
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    vs.forEach((v, i) => (i ? g.lineTo(X(i), Y(v)) : g.moveTo(X(i), Y(v))));
    g.stroke();
  };
  line(example.losses, '#4a7bd0');
  line(example.testLosses, '#d07a4a');
  g.fillStyle = '#4a7bd0';
  g.fillText('train loss', L + 10, T + 12);
  g.fillStyle = '#d07a4a';
  g.fillText('test loss', L + 80, T + 12);
}

function drawMoons() {
  const c = $('moons');
  const g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  const test = moons.data.test;
  const xName = moons.data.feed[moons.predict.feeds[0].replace(/:0$/, '')];
  const X = test[xName];
  const n = X.shape[0];
  const idx = Array.from({ length: n }, (_, i) => i);
  const proba = moons.session.run(moons.predict.fetches, feedsFor(moons.predict, test, idx)).data;
  for (let i = 0; i < n; i++) {
    const x = X.data[2 * i],
      y = X.data[2 * i + 1];
    g.fillStyle = proba[i] >= 0.5 ? '#d07a4a' : '#4a7bd0';
    g.beginPath();
    g.arc(((x + 1.5) / 4) * c.width, c.height - ((y + 1) / 2.5) * c.height, 3, 0, 2 * Math.PI);
    g.fill();
  }
}

/** Train for `epochs` epochs, one epoch per animation frame, drawing the curve as it goes. */
example.train = (epochs) =>
  new Promise((resolve, reject) => {
    if (example.training) return reject(new Error('already training'));
    example.training = true;
    $('train').disabled = true;
    let left = epochs;
    const tick = () => {
      try {
        example.losses.push(epoch());
        const ev = evaluate();
        example.testLosses.push(ev.loss);
        example.accuracy = ev.accuracy;
        example.trained++;
        drawLoss();
        $('moons-info').textContent =
          `epoch ${example.trained}: train loss ${example.losses.at(-1).toFixed(4)}, test loss ${ev.loss.toFixed(4)}, test accuracy ${(ev.accuracy * 100).toFixed(1)}% (${moons.session.stats.signatureCalls} entry calls, ${moons.session.stats.genericRuns} generic runs)`;
        if (--left > 0) return requestAnimationFrame(tick);
        drawMoons();
        example.stats = { ...moons.session.stats };
        example.training = false;
        $('train').disabled = false;
        resolve(example.losses);
      } catch (e) {
        example.training = false;
        $('train').disabled = false;
        reject(e);
      }
    };
    requestAnimationFrame(tick);
  });

// ------------------------------------------------------------------ start

async function main() {
  const res = await fetch('./gen/config.json');
  if (!res.ok) throw new Error('gen/config.json is missing: run `npm run example:web` first (docs/deploy.md)');
  const config = await res.json();
  example.mode = new URLSearchParams(location.search).get('weights') === 'baked' ? 'baked' : 'apart';
  setUpPad();
  [mnist, moons] = await Promise.all([loadMnist(config.mnist, example.mode), loadMoons(config.moons)]);
  drawMoons();
  $('train').addEventListener('click', () => {
    example.train(Number($('epochs').value) || 60).catch(fail);
  });
  $('status').textContent =
    `ready: draw a digit, or train the moons model (tfg loader, ${crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated'})`;
  example.ready = true;
}

function fail(e) {
  $('status').textContent = `error: ${e.message}`;
  $('status').className = 'status error';
  console.error(e);
}

main().catch(fail);
