/**
 * @fileoverview Symbolic sizes: integer polynomials over run-time dims (`B`, the batch size).
 *
 * A shape dim, a stride, a buffer size or a buffer offset is a `Poly`: a sum of integer
 * coefficients times monomials of symbols, e.g. `3136*B + 64` or `B*B`. Static graphs only
 * ever see constants. `le` decides `p ≤ q` for every value ≥ 1 of every symbol (soundly:
 * it may answer false for some true inequalities, never true for a false one), which is all
 * the memory planner needs to place buffers whose sizes depend on B.
 */

/** A graph the WebAssembly backend cannot plan with symbolic dims (reported with the node's name). */
export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

export type Env = Readonly<Record<string, number>>;

export class Poly {
  /** Monomial key (symbols sorted, joined by '*'; '' for the constant) → coefficient ≠ 0. */
  private constructor(readonly terms: ReadonlyMap<string, number>) {}

  static const(n: number): Poly {
    if (!Number.isInteger(n)) throw new Error(`Poly.const: ${n} is not an integer`);
    // Polys are immutable: small constants are shared (the compile makes millions of them).
    const small = n >= -64 && n <= 4096;
    const have = small ? SMALL_CONSTS.get(n) : undefined;
    if (have) return have;
    const p = new Poly(n === 0 ? new Map() : new Map([['', n]]));
    if (small) SMALL_CONSTS.set(n, p);
    return p;
  }

  static sym(name: string): Poly {
    return new Poly(new Map([[name, 1]]));
  }

  static of(x: number | Poly): Poly {
    return typeof x === 'number' ? Poly.const(x) : x;
  }

  private static from(m: Map<string, number>): Poly {
    for (const [k, v] of m) if (v === 0) m.delete(k); // deleting the current entry is safe
    return new Poly(m);
  }

  add(o: number | Poly): Poly {
    // Fast paths (the same terms, in the same order, as the general case).
    if (typeof o === 'number' ? o === 0 : o.terms.size === 0) return this;
    if (this.terms.size === 0) return Poly.of(o);
    if (typeof o === 'number' && this.isConst()) return Poly.const(this.constant + o);
    const m = new Map(this.terms);
    for (const [k, v] of Poly.of(o).terms) m.set(k, (m.get(k) ?? 0) + v);
    return Poly.from(m);
  }

  sub(o: number | Poly): Poly {
    return this.add(Poly.of(o).scale(-1));
  }

  scale(k: number): Poly {
    const m = new Map<string, number>();
    for (const [key, v] of this.terms) m.set(key, v * k);
    return Poly.from(m);
  }

  mul(o: number | Poly): Poly {
    const p = Poly.of(o);
    // A constant factor scales (the same terms, in the same order, as the general case).
    if (p.isConst()) return p.constant === 1 ? this : this.isConst() ? Poly.const(this.constant * p.constant) : this.scale(p.constant);
    if (this.isConst()) return this.constant === 1 ? p : p.scale(this.constant);
    const m = new Map<string, number>();
    for (const [ka, va] of this.terms) {
      for (const [kb, vb] of p.terms) {
        const key = [...ka.split('*'), ...kb.split('*')]
          .filter((s) => s)
          .sort()
          .join('*');
        m.set(key, (m.get(key) ?? 0) + va * vb);
      }
    }
    return Poly.from(m);
  }

  /** Exact division by an integer, or null when some coefficient is not divisible. */
  divExact(k: number): Poly | null {
    const m = new Map<string, number>();
    for (const [key, v] of this.terms) {
      if (v % k !== 0) return null;
      m.set(key, v / k);
    }
    return Poly.from(m);
  }

  /** Exact division by another poly when it is a constant multiple or a monomial factor. */
  div(o: Poly): Poly | null {
    if (o.isConst()) return this.divExact(o.constValue());
    if (this.equals(o)) return Poly.const(1);
    // Single-monomial divisor: divide each term's monomial.
    if (o.terms.size !== 1) return null;
    const [[okey, ov]] = [...o.terms];
    const osyms = okey.split('*');
    const m = new Map<string, number>();
    for (const [key, v] of this.terms) {
      const syms = key ? key.split('*') : [];
      for (const s of osyms) {
        const i = syms.indexOf(s);
        if (i < 0) return null;
        syms.splice(i, 1);
      }
      if (v % ov !== 0) return null;
      m.set(syms.join('*'), v / ov);
    }
    return Poly.from(m);
  }

  isConst(): boolean {
    return this.terms.size === 0 || (this.terms.size === 1 && this.terms.has(''));
  }

  constValue(): number {
    if (!this.isConst()) throw new Error(`Poly ${this} is not a constant`);
    return this.terms.get('') ?? 0;
  }

  /** The constant term. */
  get constant(): number {
    return this.terms.get('') ?? 0;
  }

  symbols(): string[] {
    const s = new Set<string>();
    for (const k of this.terms.keys()) for (const x of k.split('*')) if (x) s.add(x);
    return [...s].sort();
  }

  eval(env: Env = {}): number {
    let total = 0;
    for (const [key, v] of this.terms) {
      let t = v;
      if (key) {
        for (const s of key.split('*')) {
          const x = env[s];
          if (x === undefined) throw new Error(`no value for symbol ${s} in ${this}`);
          t *= x;
        }
      }
      total += t;
    }
    return total;
  }

  equals(o: number | Poly): boolean {
    const p = Poly.of(o);
    if (p.terms.size !== this.terms.size) return false;
    for (const [k, v] of this.terms) if (p.terms.get(k) !== v) return false;
    return true;
  }

  /** Sound test of `this ≤ o` for all symbol values ≥ 1. */
  le(o: number | Poly): boolean {
    const d = Poly.of(o).sub(this);
    let atOnes = 0;
    for (const [k, v] of d.terms) {
      if (k !== '' && v < 0) return false;
      atOnes += v;
    }
    return atOnes >= 0;
  }

  /** Every coefficient rounded up to a multiple of `a` (so the value is one for any symbols). */
  alignUp(a: number): Poly {
    const m = new Map<string, number>();
    for (const [k, v] of this.terms) m.set(k, Math.ceil(v / a) * a);
    return Poly.from(m);
  }

  /** Coefficient-wise maximum: ≥ both for all symbol values ≥ 1 when both are ≥ 0 there. */
  static upper(ps: readonly Poly[]): Poly {
    const m = new Map<string, number>();
    for (const p of ps) for (const [k, v] of p.terms) m.set(k, Math.max(m.get(k) ?? 0, v));
    return Poly.from(m);
  }

  toString(): string {
    if (this.terms.size === 0) return '0';
    const keys = [...this.terms.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : b.split('*').length - a.split('*').length || a.localeCompare(b)));
    let s = '';
    for (const k of keys) {
      const v = this.terms.get(k)!;
      const mag = Math.abs(v);
      const body = k === '' ? String(mag) : mag === 1 ? k : `${mag}*${k}`;
      s += s === '' ? (v < 0 ? `-${body}` : body) : v < 0 ? ` - ${body}` : ` + ${body}`;
    }
    return s;
  }
}

const SMALL_CONSTS = new Map<number, Poly>();

export type SymShape = Poly[];

export function numel(shape: readonly Poly[]): Poly {
  return shape.reduce((a, b) => a.mul(b), Poly.const(1));
}

/** Row-major strides of a symbolic shape. */
export function contiguousStrides(shape: readonly Poly[]): Poly[] {
  const s: Poly[] = new Array(shape.length);
  let acc = Poly.const(1);
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc = acc.mul(shape[i]);
  }
  return s;
}

export function formatSymShape(shape: readonly Poly[]): string {
  return `[${shape.map((d) => (d.isConst() ? String(d.constValue()) : d.terms.size === 1 ? d.toString() : `(${d})`)).join(',')}]`;
}

export function evalShape(shape: readonly Poly[], env: Env): number[] {
  return shape.map((d) => d.eval(env));
}
