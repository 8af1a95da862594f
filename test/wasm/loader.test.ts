/**
 * @fileoverview The loader's inputs cannot corrupt a run (issue 12 §3) and its API (issue 8 §3):
 * - hostile manifest edits are a ManifestError at load — never a raw RangeError/TypeError, never
 *   wrong values or writes over the runtime's memory;
 * - a Tensor keeps a copy of its shape; data of another array kind is converted, data of
 *   another length refused, on both backends alike;
 * - `loadModel` takes bytes, an ArrayBuffer, a Response (streamed) and a URL;
 * - `session.save()` / `session.restore()` round-trip the variables as safetensors, and a bad
 *   checkpoint is TF1's error with the variables unchanged;
 * - constant fills are not stored byte by byte, and the artifact carries no absolute path.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { buildProgram } from '../../compiler/frontend/index.js';
import { compileProgram } from '../../compiler/driver.js';
import { ReferenceSession } from '../../compiler/interp/session.js';
import { ConstPool } from '../../compiler/schedule/layout.js';
import { type Manifest, ManifestError, expandConsts } from '../../session/wasm/manifest.js';
import { loadModel } from '../../session/wasm/model.js';
import { loadModelSync } from '../../session/wasm/sync.js';
import { Tensor } from '../../session/tensor.js';
import { writeSafetensors } from '../../session/io/safetensors.js';

const SRC = `X = placeholder(f32, shape=[None, 3], name="X")
W = variable(constant([[1.0], [2.0], [3.0]]), name="W")
b = variable(constant([0.5, 0.25]), name="b")
Z = variable(zeros([64, 8]), name="Z")
y = add(matmul(X, W), 1.0, name="y")
step = assign_add(W, ones([3, 1]), name="step")
signature predict(X) -> y
`;

function compiled() {
  const r = buildProgram(SRC, '/home/someone/project/models/prog.tfg');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return compileProgram(r, { optimize: false });
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

t.test('hostile manifest edits are ManifestErrors at load', (t) => {
  const c = compiled();
  const m = c.manifest;
  const gen = m.generic!;
  const edits: [string, (x: Manifest) => void][] = [
    ['slotTable = 0', (x) => (x.plans[0].slotTable = 0)],
    ['slot table inside the runtime', (x) => (x.plans[0].slotTable = 1024)],
    ['arena base 0', (x) => (x.memory.arenaBase = 0)],
    ['arena base inside the constants', (x) => (x.memory.arenaBase = x.memory.constBase)],
    ['status address moved', (x) => (x.memory.statusAddr = 0)],
    ['variable inside the runtime', (x) => (x.variables[0].address = 16)],
    ['variable address not aligned', (x) => (x.variables[0].address += 4)],
    ['two variables overlap', (x) => (x.variables[1].address = x.variables[0].address)],
    ['variable bytes lie', (x) => (x.variables[0].bytes = 4)],
    ['variable past the arena', (x) => (x.variables[0].address = x.memory.arenaBase)],
    ['negative variable address', (x) => (x.variables[0].address = -16)],
    ['NaN variable address', (x) => (x.variables[0].address = NaN)],
    ['random state in the constants', (x) => x.randoms.push({ node: 'y', stateAddr: x.memory.constBase })],
    ['runtime scratch over a variable', (x) => (x.memory.runtimeScratch = x.variables[0].address)],
    ['constBytes larger than the section', (x) => (x.memory.constBytes += 4096)],
    ['constant chunk out of order', (x) => x.memory.constChunks!.reverse()],
    ['fill with a bad byte', (x) => ((x.memory.constChunks!.find((ch) => ch.fill) ?? x.memory.constChunks![0]).fill = [300])],
    ['buffer index out of range', (x) => (x.plans[0].slots[0].buffer = 99)],
    ['buffer negative offset', (x) => (x.plans[gen].buffers.find((b) => b.region === 'arena')!.offset = { '': -64 })],
    ['buffer offset with another symbol', (x) => (x.plans[gen].buffers.find((b) => b.region === 'arena')!.offset = { N: 16 })],
    ['const buffer outside the constants', (x) => (x.plans[gen].buffers.find((b) => b.region === 'const')!.offset = { '': 0 })],
    ['variable buffer at another address', (x) => (x.plans[gen].buffers.find((b) => b.region === 'variable')!.offset = { '': 16 })],
    ['unknown region', (x) => ((x.plans[0].buffers[0] as { region: string }).region = 'heap')],
    ['signature without plan', (x) => (x.signatures[0].plan = 7)],
    ['signature feeding an unknown node', (x) => (x.signatures[0].feeds = ['nope'])],
    ['generic index out of range', (x) => (x.generic = 9)],
    ['node kernel out of range', (x) => (x.nodes.find((n) => n.kernel !== null)!.kernel = 10_000)],
    ['node input unknown', (x) => (x.nodes[1].inputs = ['ghost'])],
    ['missing memory', (x) => delete (x as Partial<Manifest>).memory],
    ['plans not an array', (x) => ((x as unknown as { plans: unknown }).plans = {})],
    ['kernel export renamed', (x) => (x.plans[gen].kernels[0].export = 'g_k_missing')],
    ['entry export renamed', (x) => (x.plans[0].export = 'sig_missing')],
    ['maxMemoryBytes beyond 4 GiB', (x) => (x.memory.maxMemoryBytes = 2 ** 40)],
    ['baked variable outside the constants', (x) => (x.bakedVariables = [{ variable: 'W', constAddress: 0 }])],
    ['wrong version', (x) => (x.manifestVersion = 99)],
  ];
  for (const [what, edit] of edits) {
    const bad = clone(m);
    edit(bad);
    let err: unknown = null;
    try {
      loadModelSync(c.wasm as Uint8Array<ArrayBuffer>, { manifest: bad }).createSession();
    } catch (e) {
      err = e;
    }
    t.type(err, ManifestError, `${what}: ${(err as Error)?.message ?? 'no error'}`);
  }
  // The manifest itself loads and runs.
  const s = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>, { manifest: clone(m) }).createSession();
  s.run(['W/Assign']);
  t.same(Array.from((s.run('y:0', { 'X:0': [[1, 1, 1]] }) as Tensor).data), [7]);
  t.end();
});

t.test('tensors copy their shape and convert data of another kind', (t) => {
  const shape = [2, 2];
  const x = new Tensor('f32', shape, new Float32Array([1, 2, 3, 4]));
  shape[0] = 1;
  t.same(x.shape, [2, 2], 'a later change of the array does not change the tensor');
  t.ok(Object.isFrozen(x.shape));
  const wide = new Tensor('f32', [2], new Float64Array([0.1, 4.25]) as never);
  t.ok(wide.data instanceof Float32Array, 'a Float64Array tagged f32 is converted');
  t.equal(wide.data[0], Math.fround(0.1));
  t.throws(() => new Tensor('f32', [3], new Float32Array(1_000_000)), /1000000 elements but shape \[3\] needs 3/);
  // Both backends see the same converted value.
  const r = buildProgram('x = placeholder(f32, shape=[2], name="x")\ny = multiply(x, 2.0, name="y")\n', 'p.tfg');
  const ref = new ReferenceSession(r.defaultGraph).run('y:0', { 'x:0': wide }) as Tensor;
  const w = loadModelSync(compileProgram(r).wasm as Uint8Array<ArrayBuffer>)
    .createSession()
    .run('y:0', { 'x:0': wide }) as Tensor;
  t.same(Array.from(w.data), Array.from(ref.data));
  t.same(Array.from(w.data), [Math.fround(0.2), 8.5]);
  t.end();
});

t.test('loadModel from bytes, an ArrayBuffer, a Response and a URL', async (t) => {
  const c = compiled();
  const bytes = c.wasm as Uint8Array<ArrayBuffer>;
  const check = async (m: Promise<import('../../session/wasm/model.js').Model>, what: string): Promise<void> => {
    const s = (await m).createSession();
    s.run(['W/Assign']);
    t.same(Array.from((s.run('y:0', { 'X:0': [[1, 0, 0]] }) as Tensor).data), [2], what);
  };
  await check(loadModel(bytes), 'Uint8Array');
  await check(loadModel(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), 'ArrayBuffer');
  await check(loadModel(new Response(bytes, { headers: { 'content-type': 'application/wasm' } })), 'Response (streamed)');
  await check(loadModel(new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } })), 'Response of another type');
  const server = createServer((req, res) => {
    if (req.url === '/m.wasm') {
      res.writeHead(200, { 'content-type': 'application/wasm' });
      res.end(bytes);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    await check(loadModel(`http://127.0.0.1:${port}/m.wasm`), 'URL');
    await t.rejects(loadModel(`http://127.0.0.1:${port}/missing.wasm`), { name: 'NotFoundError', message: /HTTP 404/ });
  } finally {
    server.close();
  }
});

t.test('save and restore as safetensors; a bad checkpoint changes nothing', async (t) => {
  const c = compiled();
  const model = loadModelSync(c.wasm as Uint8Array<ArrayBuffer>);
  const a = model.createSession();
  a.run(['W/Assign', 'b/Assign', 'Z/Assign']);
  a.run('step');
  const file = await a.save();
  const b = model.createSession();
  await b.restore(file);
  t.same(Array.from(b.readVariable('W').data), [2, 3, 4]);
  t.same(Array.from(b.readVariable('b').data), [0.5, 0.25]);
  t.ok(b.isInitialized('Z'));
  // Bad checkpoints: missing key, wrong shape, wrong dtype, garbage.
  const W = new Tensor('f32', [3, 1], Float32Array.of(9, 9, 9));
  const bvar = new Tensor('f32', [2], Float32Array.of(9, 9));
  const Z = Tensor.zeros('f32', [64, 8]);
  const cases: [string, Uint8Array, RegExp, string][] = [
    ['missing key', writeSafetensors({ W, Z }), /Key b not found in checkpoint/, 'NotFoundError'],
    [
      'wrong shape',
      writeSafetensors({ W, b: new Tensor('f32', [3], Float32Array.of(1, 2, 3)), Z }),
      /Assign requires shapes of both tensors to match/,
      'InvalidArgumentError',
    ],
    [
      'wrong dtype',
      writeSafetensors({ W, b: new Tensor('f64', [2], Float64Array.of(1, 2)), Z }),
      /expected dtype float does not equal original dtype double/,
      'InvalidArgumentError',
    ],
    ['garbage', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), /.+/, 'DataLossError'],
  ];
  for (const [what, bytes, msg, name] of cases) {
    await t.rejects(b.restore(bytes), { name, message: msg }, what);
    t.same(Array.from(b.readVariable('W').data), [2, 3, 4], `${what}: W unchanged`);
  }
  t.ok(writeSafetensors({ W, b: bvar, Z }).length > 0);
  t.end();
});

t.test('constant fills are not stored byte by byte; no absolute paths', (t) => {
  const pool = new ConstPool(1024);
  const z = pool.add(new Uint8Array(4096), 4);
  const ones = pool.add(new Uint8Array(new Float32Array(256).fill(1).buffer), 4);
  const mixed = pool.add(new Uint8Array(new Float32Array([1, 2, 3, 4, 5]).buffer), 4);
  t.same([z, ones, mixed], [1024, 1024 + 4096, 1024 + 4096 + 1024]);
  t.equal(pool.stored().length, 32, 'only the mixed constant is stored (padded to 16)');
  const chunks = pool.chunks();
  const m = { memory: { constBase: 1024, constBytes: pool.end - 1024, constChunks: chunks } } as unknown as Manifest;
  const region = expandConsts(m, pool.stored());
  t.same(Array.from(new Float32Array(region.buffer, 4096, 256)), new Array(256).fill(1));
  t.same(Array.from(new Float32Array(region.buffer, 4096 + 1024, 5)), [1, 2, 3, 4, 5]);
  t.ok(region.subarray(0, 4096).every((x) => x === 0));
  const c = compiled();
  t.ok(
    c.manifest.memory.constChunks!.some((ch) => ch.fill),
    'the zeros([64, 8]) initial value is a fill',
  );
  const json = JSON.stringify(c.manifest);
  t.notMatch(json, /\/home\/someone/, 'no absolute source path in the manifest');
  t.match(c.manifest.nodes.find((n) => n.name === 'y')!.location!.file, /^prog\.tfg$/);
  t.notOk(Buffer.from(c.wasm).includes(Buffer.from('/home/someone')), 'nor anywhere in the module');
  t.end();
});
