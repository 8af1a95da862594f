/**
 * @fileoverview The host side of the random ops (imported by every module as `tfg_host.random`):
 * each random node draws from its own Philox stream per session, exactly as the reference
 * Session does — keyed by the node's (seed, seed2), or by the session seed and the node's id when
 * both are 0 — and the stream position is mirrored into the node's state words in memory.
 * Normal samples use fdlibm's log/sin/cos (session/random.ts `FDLIBM`), as the reference
 * Session does, so every engine gives the reference's bits.
 */
import { allocArray } from '../dtype.js';
import { PhiloxStream, normalFromBits, truncatedNormalFrom, uniformFromBits, uniformIntFromBits, wordsFor } from '../random.js';
import type { ManifestNode } from './manifest.js';
import type { ModelMemory } from './memory.js';
import { STATUS } from './status.js';

function affine(samples: Float64Array, r: (v: number) => number, scale: number, shift: number): Float64Array {
  const s = r(scale);
  const b = r(shift);
  const out = new Float64Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = r(r(samples[i] * s) + b);
  return out;
}

export class RandomHost {
  private streams = new Map<string, PhiloxStream>();

  constructor(
    private readonly nodes: readonly ManifestNode[],
    private readonly mem: ModelMemory,
    private readonly stateAddr: ReadonlyMap<string, number>,
    private readonly sessionSeed: number | undefined,
  ) {}

  /** Fill `n` samples of node `nodeIdx` at `out` (the import the generated code calls). */
  fill(nodeIdx: number, out: number, n: number): void {
    const node = this.nodes[nodeIdx];
    let st = this.streams.get(node.name);
    if (!st) {
      const seed = typeof node.attrs.seed === 'number' ? node.attrs.seed : 0;
      const seed2 = typeof node.attrs.seed2 === 'number' ? node.attrs.seed2 : 0;
      if (seed === 0 && seed2 === 0) {
        const base = this.sessionSeed ?? Math.floor(Math.random() * 0x7fffffff) + 1;
        st = new PhiloxStream(base, node.id + 1);
      } else st = new PhiloxStream(seed, seed2);
      this.streams.set(node.name, st);
    }
    const dtype = node.dtype!;
    const num = (k: string, d: number): number => (typeof node.attrs[k] === 'number' ? (node.attrs[k] as number) : d);
    const r = (v: number): number => (dtype === 'f32' ? Math.fround(v) : v);
    let data: ArrayLike<number>;
    if (node.op === 'random_uniform') {
      const lo = num('minval', 0);
      if (dtype === 'i32') {
        const hi = num('maxval', 0);
        if (!(lo < hi)) {
          this.mem.failStatus(STATUS.randomRange, nodeIdx);
          return;
        }
        data = uniformIntFromBits(st.next(n), lo, hi, n);
      } else {
        const hi = num('maxval', 1);
        const fd = dtype as 'f32' | 'f64';
        data = affine(uniformFromBits(st.next(wordsFor('uniform', fd, n)), fd, n), r, r(r(hi) - r(lo)), lo);
      }
    } else if (node.op === 'random_normal') {
      const fd = dtype as 'f32' | 'f64';
      data = affine(normalFromBits(st.next(wordsFor('normal', fd, n)), fd, n), r, num('stddev', 1), num('mean', 0));
    } else {
      const fd = dtype as 'f32' | 'f64';
      data = affine(
        truncatedNormalFrom((c) => st!.next(c), fd, n),
        r,
        num('stddev', 1),
        num('mean', 0),
      );
    }
    const arr = allocArray(dtype, n);
    arr.set(data as ArrayLike<number>);
    this.mem.copyIn(new Uint8Array(arr.buffer, 0, arr.byteLength), out);
    const stateAddr = this.stateAddr.get(node.name);
    if (stateAddr !== undefined) new Float64Array(this.mem.memory.buffer, stateAddr, 1)[0] = st.position;
  }

  clear(): void {
    this.streams.clear();
  }
}
