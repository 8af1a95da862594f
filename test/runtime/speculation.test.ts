/**
 * @fileoverview No call in the built runtime is computed speculatively. binaryen (-O3) may turn an
 * if-chain whose arms return calls (`if (act == RELU) return max; if (act == SIGMOID) return
 * sigmoid(x); …`) into a block that evaluates each arm's value and then tests its condition
 * (`call $sigmoid … br_if … drop`), when it judges the callee free of side effects: every element
 * then pays for the calls of the arms before its own. The matmul epilogue did so (a bias-only tail
 * element paid a sigmoid and a tanh, a tanh element a sigmoid: a 1000×100 tanh layer's epilogue ran
 * at half speed) with the same values, so only the code shows it. Both builds are checked.
 */
import t from 'tap';
import { readRuntimeWasm, type RuntimeVariant } from '../../runtime-as/node.js';

async function wasmText(bytes: Uint8Array): Promise<string> {
  const wabt = await (await import('wabt')).default();
  const m = wabt.readWasm(bytes, { simd: true, bulk_memory: true, relaxed_simd: true, readDebugNames: true });
  m.generateNames();
  m.applyNames();
  const text = m.toText({});
  m.destroy();
  return text;
}

/**
 * `call`s followed within a few instructions by a `br_if` and, right after it, a `drop`: the shape
 * binaryen gives a speculated arm (its value is left on the stack for the `br_if`, which leaves
 * the block with it when its condition holds; else the next instruction drops it).
 */
export function speculativeCalls(text: string): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  let func = '';
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l.startsWith('(func ')) func = l.split(/\s+/)[1] ?? '';
    if (!l.startsWith('call ')) continue;
    const next = lines.slice(i + 1, i + 9).map((x) => x.trim());
    const br = next.findIndex((x) => x.startsWith('br_if'));
    if (br >= 0 && next[br + 1] === 'drop') out.push(`${func}: ${l}`);
  }
  return out;
}

t.test('the scan finds the pattern it looks for', async (t) => {
  const wabt = await (await import('wabt')).default();
  // act(x) as binaryen had compiled the epilogue's act32: sigmoid computed before the test for it.
  const src = `(module
    (func $sig (param f32) (result f32) local.get 0)
    (func $act (param $x f32) (param $act i32) (result f32)
      (block $done (result f32)
        (br_if $done (f32.max (local.get $x) (f32.const 0)) (i32.eq (local.get $act) (i32.const 1)))
        drop
        (br_if $done (call $sig (local.get $x)) (i32.eq (local.get $act) (i32.const 2)))
        drop
        local.get $x)))`;
  const m = wabt.parseWat('spec.wat', src);
  const { buffer } = m.toBinary({ write_debug_names: true });
  m.destroy();
  const hits = speculativeCalls(await wasmText(buffer));
  t.equal(hits.length, 1, hits.join('; '));
  t.match(hits[0], /call \$sig/);
  // Not speculation: a call that is the condition of a value-less br_if.
  const ok = wabt.parseWat(
    'ok.wat',
    `(module
    (func $sig (param f32) (result f32) local.get 0)
    (func $f (param $x f32) (result f32)
      (block $done
        (br_if $done (f32.gt (call $sig (local.get $x)) (f32.const 0)))
        (drop (i32.const 1)))
      local.get $x))`,
  );
  const okBytes = ok.toBinary({ write_debug_names: true }).buffer;
  ok.destroy();
  t.same(speculativeCalls(await wasmText(okBytes)), [], 'a call in a branch condition is not flagged');
});

for (const variant of ['simd', 'relaxed'] as RuntimeVariant[]) {
  t.test(`runtime (${variant}): no call is evaluated before the branch that needs it`, async (t) => {
    const text = await wasmText(readRuntimeWasm(variant));
    t.ok(text.includes('call $'), 'the scan sees calls');
    t.same(speculativeCalls(text), []);
  });
}
