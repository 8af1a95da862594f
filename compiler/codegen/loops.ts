/**
 * @fileoverview Loop nests over a symbolic iteration space, shared by loop, reduce and matmul-
 * epilogue kernels. Input: the space (Polys in B), the accesses (element strides + offset per
 * buffer), a body emitter and optional reduction hooks. Output: wasm statements.
 *
 * Steps: dims of size 1 are dropped and adjacent dims merged when every access walks them as one
 * (so a contiguous elementwise kernel is one flat loop, a bias add two); each access keeps one
 * pointer per level; the innermost loop runs `lanes` elements at a time (v128 loads for stride 1,
 * splats for stride 0) followed by a scalar tail, or one element at a time when vectorising is
 * not possible (general strides, mixed lane widths).
 */
import { byteSize, type DType } from '../../session/dtype.js';
import type { Poly } from '../ir/sym.js';
import { ValueBuilder, type Lanes } from './expr.js';
import type { Expr, FunctionBuilder, Local, WasmModule } from './module.js';

export interface NestAccess {
  dtype: DType;
  strides: Poly[];
  offset: Poly;
  /** Buffer base address (evaluated once at function entry). */
  base: () => Expr;
}

/** What the body sees: the builder and, per access, its element pointer and whether it is a splat. */
export interface BodyEnv {
  b: ValueBuilder;
  ptr(a: number): () => Expr;
  splat(a: number): boolean;
}

export interface NestOptions {
  /** Lanes for the innermost loop (1: scalar only). */
  lanes: Lanes;
  /** Dims [split, rank) are reduced: `enterReduce` runs before their loops, `leaveReduce` after. */
  split?: number;
  enterReduce?: (env: BodyEnv) => Expr[];
  leaveReduce?: (env: BodyEnv) => Expr[];
  /** Vectorised reduce: the body's vector values are combined by the hooks (given lanes > 1). */
  body(env: BodyEnv): Expr[];
  /**
   * Run only indices [lo, hi) of the outermost loop (after merging; a kept dim of a reduction):
   * the part of a kernel one thread computes (threads.ts). When that loop is also the vector loop,
   * lo is a multiple of `lanes` and hi is one too or the whole size, so every element takes the
   * same vector or tail path as in the whole loop.
   */
  range?: { lo: Local; hi: Local };
}

/** A nest's dims after merging: kept (outer) and reduced (inner). */
export function nestDims(space: Poly[], order: number[], accs: { strides: Poly[] }[], split?: number): { outer: { size: Poly }[]; inner: { size: Poly }[] } {
  const splitPos = split ?? order.length;
  const mk = (idx: number[]): Dim[] => simplify(idx.map((i) => ({ size: space[i], strides: accs.map((a) => a.strides[i]) })));
  return { outer: mk(order.slice(0, splitPos)), inner: mk(order.slice(splitPos)) };
}

/** The outermost loop of a nest after merging (what a thread split divides), or null for none (rank 0, or a reduction with no kept dim). */
export function nestOuter(space: Poly[], order: number[], accs: { strides: Poly[] }[], split?: number): { size: Poly; vector: boolean } | null {
  const { outer, inner } = nestDims(space, order, accs, split);
  // A reduction splits over kept dims only.
  if (outer.length === 0) return null;
  return { size: outer[0].size, vector: outer.length + inner.length === 1 && split === undefined };
}

/** An i32 expression of a Poly in the symbol `B` (a local). */
export function polyExpr(m: WasmModule, f: FunctionBuilder, p: Poly, B: Local): Expr {
  let e: Expr | null = null;
  for (const [key, coef] of p.terms) {
    let t: Expr = m.i32(coef);
    if (key)
      for (const s of key.split('*')) {
        if (s !== 'B') throw new Error(`internal: symbol ${s} is not the batch symbol B`);
        t = m.binary('i32.mul', t, f.get(B));
      }
    e = e ? m.binary('i32.add', e, t) : t;
  }
  return e ?? m.i32(0);
}

interface Dim {
  size: Poly;
  strides: Poly[];
}

/** Drop unit dims and merge adjacent dims walked as one by every access (within [lo, hi)). */
function simplify(dims: Dim[]): Dim[] {
  const ds = dims.filter((d) => !d.size.equals(1));
  const out: Dim[] = [];
  for (const d of ds) {
    const prev = out[out.length - 1];
    if (prev && prev.strides.every((s, a) => s.equals(d.strides[a].mul(d.size)))) {
      out[out.length - 1] = { size: prev.size.mul(d.size), strides: d.strides };
    } else out.push(d);
  }
  return out;
}

/**
 * Emit a loop nest. `order` lists the space dims outer to inner (a reduction puts its reduced
 * dims last); dims before `split` (in order positions) are kept, the rest reduced.
 */
export function emitNest(m: WasmModule, f: FunctionBuilder, B: Local, space: Poly[], order: number[], accs: NestAccess[], opts: NestOptions): Expr[] {
  const splitPos = opts.split ?? order.length;
  const mk = (idx: number[]): Dim[] => simplify(idx.map((i) => ({ size: space[i], strides: accs.map((a) => a.strides[i]) })));
  const outer = mk(order.slice(0, splitPos));
  const inner = mk(order.slice(splitPos));
  const dims = [...outer, ...inner];
  const split = outer.length;
  const reducing = opts.split !== undefined;
  const stmts: Expr[] = [];
  const esize = accs.map((a) => byteSize(a.dtype));
  // Sizes and byte strides in locals, computed once from B.
  const sizeL = dims.map((d) => {
    const l = f.local('i32');
    stmts.push(f.set(l, polyExpr(m, f, d.size, B)));
    return l;
  });
  const strideL = dims.map((d) =>
    d.strides.map((s, a) => {
      const l = f.local('i32');
      stmts.push(f.set(l, polyExpr(m, f, s.scale(esize[a]), B)));
      return l;
    }),
  );
  const ptrs: Local[][] = [];
  for (let k = 0; k <= dims.length; k++) ptrs.push(accs.map(() => f.local('i32')));
  accs.forEach((a, i) => stmts.push(f.set(ptrs[0][i], m.binary('i32.add', a.base(), polyExpr(m, f, a.offset.scale(esize[i]), B)))));
  const r = dims.length;
  const last = r - 1;
  const vecOk = opts.lanes > 1 && r > 0 && dims[last].strides.every((s) => s.equals(0) || s.equals(1));
  const lanes: Lanes = vecOk && !(reducing && split === r) ? opts.lanes : 1;

  const env = (b: ValueBuilder, level: number, j: Local | null): BodyEnv => ({
    b,
    splat: (a) => j === null || dims[last].strides[a].equals(0),
    ptr: (a) => () => {
      if (j === null || dims[last].strides[a].equals(0)) return f.get(ptrs[level][a]);
      return m.binary('i32.add', f.get(ptrs[level][a]), m.binary('i32.mul', f.get(j), f.get(strideL[last][a])));
    },
  });

  // A reduction whose reduced dims all have size 1 reduces one element per kept index.
  const perElement = reducing && split === r && r > 0;
  const body = (b: ValueBuilder, level: number, j: Local | null): Expr[] => {
    const e = env(b, level, j);
    if (!perElement || level !== last) return opts.body(e);
    return [...(opts.enterReduce?.(e) ?? []), ...opts.body(e), ...(opts.leaveReduce?.(e) ?? [])];
  };

  const level = (k: number): Expr[] => {
    const pre: Expr[] = [];
    const post: Expr[] = [];
    if (reducing && k === split && !perElement) {
      const sb = new ValueBuilder(m, f, 1);
      pre.push(...(opts.enterReduce?.(env(sb, k, null)) ?? []));
      pre.push(...sb.stmts.splice(0));
    }
    let inner: Expr[];
    if (k === r) {
      // Rank 0 (after simplification): one element.
      const b = new ValueBuilder(m, f, 1);
      const out = body(b, k, null);
      inner = [...b.stmts, ...out];
    } else if (k < last) {
      const i = f.local('i32');
      const rg = k === 0 ? opts.range : undefined;
      const loopBody = [
        ...accs.map((_, a) => f.set(ptrs[k + 1][a], m.binary('i32.add', f.get(ptrs[k][a]), m.binary('i32.mul', f.get(i), f.get(strideL[k][a]))))),
        ...level(k + 1),
      ];
      inner = [rg ? m.forRange(i, f.get(rg.lo), () => f.get(rg.hi), 1, loopBody) : m.forRange(i, m.i32(0), () => f.get(sizeL[k]), 1, loopBody)];
    } else {
      // Innermost: vector loop, then scalar tail.
      const j = f.local('i32');
      inner = [];
      const rg = k === 0 ? opts.range : undefined;
      // The loop's start and end: the whole dim, or a thread's range of it.
      const lo = (): Expr => (rg ? f.get(rg.lo) : m.i32(0));
      const end = rg ? rg.hi : sizeL[k];
      if (lanes > 1) {
        const vb = new ValueBuilder(m, f, lanes);
        const vbody = body(vb, k, j);
        const vlimit = f.local('i32');
        inner.push(f.set(vlimit, m.binary('i32.sub', f.get(end), m.i32(lanes - 1))));
        const loop = m.forRange(j, lo(), () => f.get(vlimit), lanes, [...vb.stmts, ...vbody]);
        inner.push(loop);
        const sb = new ValueBuilder(m, f, 1);
        const sbody = body(sb, k, j);
        const brk = m.label('tail_end');
        const cont = m.label('tail');
        // j continues from where the vector loop stopped (forRange leaves it at its exit value;
        // when the vector loop did not run, j = its start).
        inner.push(
          m.block(brk, [
            m.br(brk, m.binary('i32.ge_s', f.get(j), f.get(end))),
            m.loop(
              cont,
              m.block(null, [...sb.stmts, ...sbody, f.set(j, m.binary('i32.add', f.get(j), m.i32(1))), m.br(cont, m.binary('i32.lt_s', f.get(j), f.get(end)))]),
            ),
          ]),
        );
      } else {
        const sb = new ValueBuilder(m, f, 1);
        const sbody = body(sb, k, j);
        inner.push(m.forRange(j, lo(), () => f.get(end), 1, [...sb.stmts, ...sbody]));
      }
    }
    if (reducing && k === split && !perElement) {
      const sb = new ValueBuilder(m, f, 1);
      const fin = opts.leaveReduce?.(env(sb, k, null)) ?? [];
      post.push(...sb.stmts.splice(0), ...fin);
    }
    return [...pre, ...inner, ...post];
  };
  stmts.push(...level(0));
  return stmts;
}

export { type Lanes };
