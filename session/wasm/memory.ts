/**
 * @fileoverview A session's linear memory: growth within the session's limit, tensors in and
 * out (with their length and element type checked against the dtype, so a wrong buffer can
 * never write past its place), the status words, and each plan's buffer addresses for a batch
 * size B (the plan's polynomial offsets evaluated once per B, the slot table filled per call).
 */
import { type DType, allocArray, byteSize } from '../dtype.js';
import { InvalidArgumentError, ResourceExhaustedError } from '../errors.js';
import { Tensor, sizeOf } from '../tensor.js';
import { ManifestError, type ManifestPlan, evalPoly } from './manifest.js';
import { STATUS_ADDR } from './status.js';

export const PAGE = 65536;

export const align16 = (x: number): number => Math.ceil(x / 16) * 16;

/** The status words after a call. */
export interface Status {
  code: number;
  node: number;
  a0: number;
  a1: number;
}

/** Buffer addresses of a plan for one B: every buffer, the per-call scratch, the first free byte. */
export interface PlanLayout {
  B: number;
  addr: number[];
  scratch: number;
  free: number;
}

/** The typed-array class each dtype is held in. */
const ARRAY_OF: Record<DType, string> = { f32: 'Float32Array', f64: 'Float64Array', i32: 'Int32Array', bool: 'Uint8Array' };

export class ModelMemory {
  private readonly layouts = new Map<ManifestPlan, PlanLayout>();
  /** The most bytes any layout has asked for: every buffer of a run lies below (threads' scratch goes above). */
  private top = 0;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly maxBytes: number,
    readonly arenaBase: number,
  ) {}

  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Grow to at least `bytes` (holding `what`, named in the error), or ResourceExhaustedError past the session's limit. */
  ensure(bytes: number, what = 'the buffers of this run'): void {
    this.top = Math.max(this.top, bytes);
    this.grow(bytes, what);
  }

  /** The address of `bytes` bytes of scratch above every buffer of the running call (worker threads' scratch). */
  scratchAbove(bytes: number): number {
    const at = align16(this.top);
    this.grow(at + bytes);
    return at;
  }

  private grow(bytes: number, what = 'the buffers of this run'): void {
    if (bytes > this.maxBytes) {
      throw new ResourceExhaustedError(
        `OOM when allocating ${what}: ${bytes} bytes needed, more than the session's limit of ${this.maxBytes} bytes (maxMemoryBytes)`,
      );
    }
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      try {
        this.memory.grow(Math.ceil((bytes - have) / PAGE));
      } catch (e) {
        throw new ResourceExhaustedError(`OOM when growing wasm memory to ${bytes} bytes: ${(e as Error).message}`);
      }
    }
  }

  /**
   * Copy a tensor's elements to `at`. The data must be the dtype's array kind and hold exactly
   * the shape's element count: a Float64Array tagged f32, or a 4 MB array behind a 3-element
   * shape, is an InvalidArgumentError, not bytes written where they do not belong.
   */
  write(t: Tensor, at: number, room?: number): void {
    const n = sizeOf(t.shape);
    const kind = (t.data as { constructor: { name: string } }).constructor.name;
    if (kind !== ARRAY_OF[t.dtype]) throw new InvalidArgumentError(`a ${t.dtype} tensor must hold a ${ARRAY_OF[t.dtype]}, not a ${kind}`);
    if (t.data.length !== n) throw new InvalidArgumentError(`a tensor of shape [${t.shape.join(',')}] must hold ${n} elements, not ${t.data.length}`);
    const bytes = n * byteSize(t.dtype);
    if (room !== undefined && bytes > room) throw new InvalidArgumentError(`internal: ${bytes} bytes do not fit the ${room} bytes of their buffer`);
    if (at < 0 || at + bytes > this.memory.buffer.byteLength) throw new InvalidArgumentError(`internal: a write of ${bytes} bytes at ${at} is outside memory`);
    new Uint8Array(this.memory.buffer).set(new Uint8Array(t.data.buffer, t.data.byteOffset, bytes), at);
  }

  /** A tensor of `dtype` and `shape` read from `at` (one copy). */
  read(dtype: DType, shape: readonly number[], at: number): Tensor {
    const n = sizeOf(shape);
    if (dtype !== 'bool' && at % byteSize(dtype) === 0) {
      const view =
        dtype === 'f32'
          ? new Float32Array(this.memory.buffer, at, n)
          : dtype === 'f64'
            ? new Float64Array(this.memory.buffer, at, n)
            : new Int32Array(this.memory.buffer, at, n);
      return new Tensor(dtype, [...shape], view.slice());
    }
    const out = allocArray(dtype, n);
    const bytes = new Uint8Array(this.memory.buffer, at, n * byteSize(dtype)).slice();
    const src =
      dtype === 'f32'
        ? new Float32Array(bytes.buffer)
        : dtype === 'f64'
          ? new Float64Array(bytes.buffer)
          : dtype === 'i32'
            ? new Int32Array(bytes.buffer)
            : bytes;
    out.set(src as never);
    return new Tensor(dtype, [...shape], out);
  }

  copyIn(bytes: Uint8Array, at: number): void {
    new Uint8Array(this.memory.buffer).set(bytes, at);
  }

  i32(): Int32Array {
    return new Int32Array(this.memory.buffer);
  }

  clearStatus(): void {
    new Int32Array(this.memory.buffer, STATUS_ADDR, 4).fill(0);
  }

  readStatus(): Status {
    const s = new Int32Array(this.memory.buffer, STATUS_ADDR, 4);
    return { code: s[0], node: s[1], a0: s[2], a1: s[3] };
  }

  /** Set the status words unless a failure is already recorded (the host side of random ops). */
  failStatus(code: number, node: number): void {
    const s = new Int32Array(this.memory.buffer, STATUS_ADDR, 4);
    if (s[0] === 0) s.set([code, node, 0, 0]);
  }

  /** Lay out `plan`'s buffers for B (memoized per plan), grow memory to hold them plus `extra` bytes, fill the slot table. */
  layout(plan: ManifestPlan, B: number, extra = 0): PlanLayout {
    let l = this.layouts.get(plan);
    if (l === undefined || l.B !== B) {
      const Bl = Math.max(B, 1);
      const base = this.arenaBase;
      const addr = plan.buffers.map((b) => (b.region === 'arena' ? base + evalPoly(b.offset, Bl) : evalPoly(b.offset, Bl)));
      const arenaEnd = base + evalPoly(plan.arenaBytes, Bl);
      // The manifest's polynomials, evaluated: every arena buffer inside [arenaBase, arena end).
      plan.buffers.forEach((b, i) => {
        if (b.region !== 'arena') return;
        const size = evalPoly(b.size, Bl);
        if (!(addr[i] >= base && size >= 0 && addr[i] + size <= arenaEnd && addr[i] % 16 === 0)) {
          throw new ManifestError(
            `invalid tfg manifest: buffer ${i} of a plan lies at [${addr[i]}, ${addr[i] + size}) for B = ${B}, outside its arena [${base}, ${arenaEnd})`,
          );
        }
      });
      const scratch = align16(arenaEnd);
      l = { B, addr, scratch, free: align16(scratch + evalPoly(plan.scratchBytes, Bl)) };
      this.layouts.set(plan, l);
    }
    this.ensure(l.free + extra, `the buffers of this run for a batch of ${B} (the fed leading dimension)`);
    const mem = this.i32();
    const t = plan.slotTable >> 2;
    mem[t] = l.scratch;
    for (let i = 0; i < plan.slots.length; i++) mem[t + i + 1] = l.addr[plan.slots[i].buffer];
    return l;
  }
}
