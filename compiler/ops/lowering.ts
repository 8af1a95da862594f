/**
 * @fileoverview Pieces shared by the opaque lowerings of the op families (`OpDef.lower` with
 * `fusion: 'opaque'`), written on the `OpaqueEmitter` of lower-api.ts: copies through loop
 * nests, zero fills, run-time shape checks, the early return of a kernel whose checks failed.
 */
import { byteSize, type DType } from '../../session/dtype.js';
import { STATUS, STATUS_ADDR } from '../../session/wasm/status.js';
import type { Node } from '../ir/graph.js';
import { normAxis } from '../ir/shape.js';
import { Poly, numel } from '../ir/sym.js';
import { type Expr, type NestAccess, type OpaqueEmitter, type OpaqueLowering, type ValueOps, lanesFor } from './lower-api.js';

/** The run-time failure codes (session/wasm/status.ts; the loader words the errors). */
export const FAIL = STATUS;
export { STATUS_ADDR };

/** Return 1 from the kernel when a check above failed. */
export function failedReturn(e: OpaqueEmitter): Expr[] {
  const m = e.m;
  return [m.if(m.binary('i32.ne', m.load('i32', m.i32(STATUS_ADDR)), m.i32(0)), m.return(m.i32(1)))];
}

/** Fail (shapeCheck) unless `a == b` at run time; nothing when the polynomials are equal. */
export function checkEq(e: OpaqueEmitter, vb: ValueOps, a: Poly, b: Poly): void {
  if (a.equals(b)) return;
  vb.fail(e.m.binary('i32.ne', e.poly(a), e.poly(b)), FAIL.shapeCheck);
}

/** An access of a node's buffer (or of `base`) with element strides and offset. */
export function access(e: OpaqueEmitter, node: Node, dtype: DType, strides: Poly[], offset: Poly = Poly.const(0), base?: () => Expr): NestAccess {
  return { dtype, strides, offset, base: base ?? (() => e.addr(node)) };
}

/** out[idx] = src[idx] over `space` (src strides may be 0: splats). */
export function copyNest(e: OpaqueEmitter, space: Poly[], src: NestAccess, dst: NestAccess): Expr[] {
  const dt = dst.dtype;
  return e.nest(
    space,
    space.map((_, i) => i),
    [src, dst],
    {
      lanes: e.simd ? lanesFor([dt]) : 1,
      body: (env) => [env.b.store(env.splat(0) ? env.b.loadSplat(dt, env.ptr(0)) : env.b.load(dt, env.ptr(0)), env.ptr(1))],
    },
  );
}

/** Zeros over a node's buffer. */
export function zeroFill(e: OpaqueEmitter, n: Node): Expr {
  const m = e.m;
  return m.memoryFill(e.addr(n), m.i32(0), e.poly(numel(e.shape(n)).scale(byteSize(n.dtype!))));
}

/** The reduced axes of an `axis` attr (null: all) over a rank. */
export function reduceAxesSet(n: Node, rank: number): Set<number> {
  const a = n.attrs.axis;
  if (a === null || a === undefined) return new Set(Array.from({ length: rank }, (_, i) => i));
  return new Set((Array.isArray(a) ? (a as number[]) : [a as number]).map((x) => normAxis(x, rank)));
}

/**
 * The lowering of an internal gradient op (their run-time shape checks first): the body's
 * checks are recorded on a value builder for the node, the kernel returns when one failed,
 * then the body runs.
 */
export function checkedKernel(body: (e: OpaqueEmitter, vb: ValueOps, n: Node) => Expr[], scratch?: OpaqueLowering['scratch']): OpaqueLowering {
  return {
    fusion: 'opaque',
    emit(e, n) {
      const vb = e.values();
      const stmts = body(e, vb, n);
      return [...vb.stmts, ...failedReturn(e), ...stmts];
    },
    ...(scratch ? { scratch } : {}),
  };
}

/** A symbolic shape split around an axis: outer × len × inner. */
export function splitSym(s: Poly[], axis: number): { outer: Poly; len: Poly; inner: Poly } {
  return { outer: numel(s.slice(0, axis)), len: s[axis], inner: numel(s.slice(axis + 1)) };
}
