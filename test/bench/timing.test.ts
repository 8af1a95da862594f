/**
 * bench/common.ts timeInterleaved with `settle` (the timing of contenders with thread pools):
 * per round, each contender runs in one contiguous burst, in a rotating order, whose first call
 * is untimed; every timed call is a sample; each contender reports how long the process stayed
 * busy after its bursts. (Behaviour only: no assertion on how long anything took.)
 */
import t from 'tap';
import { poolTiming, settleQuiet, tailLine, timeInterleaved } from '../../bench/common.js';

t.test('settled timing runs each contender in contiguous bursts, the first call of each untimed', async (t) => {
  const log: number[] = [];
  const fns = [0, 1, 2].map((i) => () => void log.push(i));
  const ts = await timeInterleaved(fns, { warmup: 1, minMs: 0, minRuns: 4, settle: true, burstMs: 0 });
  t.equal(ts.length, 3);
  // burstMs 0: one untimed and one timed call per burst; 4 timed samples each, so 4 rounds.
  for (const x of ts) {
    t.equal(x.runs, 4);
    t.type(x.tailMs, 'number');
  }
  const bursts = log.slice(3); // after the warm-up round
  t.equal(bursts.length, 3 * 4 * 2);
  const order: number[] = [];
  for (let k = 0; k < bursts.length; k += 2) {
    t.equal(bursts[k], bursts[k + 1], 'a burst is contiguous');
    order.push(bursts[k]!);
  }
  t.same(order, [0, 1, 2, 1, 2, 0, 2, 0, 1, 0, 1, 2], 'rounds rotate which contender goes first');
});

t.test('settled timing awaits async contenders', async (t) => {
  let done = 0;
  const ts = await timeInterleaved([async () => void (await Promise.resolve(), done++)], { warmup: 0, minMs: 0, minRuns: 2, settle: true });
  t.equal(ts[0]!.runs, 2);
  t.equal(done, 4);
});

t.test('poolTiming settles only with a pool and without --plain; tailLine is empty for plain timing', async (t) => {
  t.same(poolTiming(true, false), { settle: true, burstMs: 20 });
  t.same(poolTiming(false, false), {});
  t.same(poolTiming(true, true), {});
  const plain = await timeInterleaved([() => undefined], { warmup: 0, minMs: 0, minRuns: 1 });
  t.equal(plain[0]!.tailMs, undefined);
  t.equal(tailLine(['a'], plain), '');
  t.match(tailLine(['a'], [{ ...plain[0]!, tailMs: 12.5 }]), /a 12\.5 ms/);
  t.ok(settleQuiet() >= 0);
});
