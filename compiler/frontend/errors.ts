/**
 * @fileoverview Construction-phase errors of the frontend. Evaluation code throws
 * `FrontendError` (a Python exception type such as ValueError or TypeError, a TF1-worded
 * message and, once known, the span of the expression that raised it); the evaluator attaches
 * the innermost expression's span and `buildProgram` turns it into a Diagnostic.
 */
import type { Related } from '../diagnostics/diagnostic.js';
import type { Span } from '../diagnostics/span.js';
import { LIMIT_CODES } from '../diagnostics/limits.js';

/** Diagnostic codes of the frontend (2xxx: names, shapes, dtypes, construction). */
export const FE = {
  NAME: 2003,
  TYPE: 2004,
  VALUE: 2005,
  VARIABLE_SCOPE: 2006,
  ARGUMENTS: 2007,
  SHAPE_NOT_STATIC: 2008,
  MISSING_OP: 2009,
  RECURSION: 2010,
  SIGNATURE: 2011,
  INTERNAL: 2012,
  ATTRIBUTE: 2013,
  INDEX: 2014,
  ZERO_DIVISION: 2015,
  SYNTAX_CONTEXT: 2016,
  NONDETERMINISTIC_SEED: 2017,
  /** The construction step budget ran out (compiler/frontend/budget.ts, --max-steps). */
  STEP_BUDGET: LIMIT_CODES.STEP_BUDGET,
  /** A value or constant over a size limit (--max-items, --max-const-elements). */
  SIZE_LIMIT: LIMIT_CODES.SIZE_LIMIT,
  /** OverflowError: an int outside the exact range, or a float power out of range. */
  OVERFLOW: 2020,
} as const;

export class FrontendError extends Error {
  constructor(
    readonly code: number,
    /** Python exception name printed before the message (ValueError, TypeError, ...), or null. */
    readonly pyType: string | null,
    readonly detail: string,
    public span: Span | null = null,
    public related: Related[] = [],
  ) {
    super(pyType ? `${pyType}: ${detail}` : detail);
    this.name = 'FrontendError';
  }
}

export const typeError = (msg: string, code: number = FE.TYPE): FrontendError => new FrontendError(code, 'TypeError', msg);
export const valueError = (msg: string, code: number = FE.VALUE): FrontendError => new FrontendError(code, 'ValueError', msg);
export const nameError = (msg: string): FrontendError => new FrontendError(FE.NAME, 'NameError', msg);
export const attributeError = (msg: string): FrontendError => new FrontendError(FE.ATTRIBUTE, 'AttributeError', msg);
export const indexError = (msg: string): FrontendError => new FrontendError(FE.INDEX, 'IndexError', msg);
export const keyError = (msg: string): FrontendError => new FrontendError(FE.INDEX, 'KeyError', msg);
export const zeroDivision = (msg: string): FrontendError => new FrontendError(FE.ZERO_DIVISION, 'ZeroDivisionError', msg);
export const overflowError = (msg: string): FrontendError => new FrontendError(FE.OVERFLOW, 'OverflowError', msg);
export const missingOp = (op: string, what: string): FrontendError =>
  new FrontendError(FE.MISSING_OP, 'NotImplementedError', `${what} needs the op '${op}', which is not in the op registry (compiler/ops/registry.ts)`);
