/**
 * @fileoverview Construction-phase errors of the frontend. Evaluation code throws
 * `FrontendError` (a Python exception type such as ValueError or TypeError, a TF1-worded
 * message and, once known, the span of the expression that raised it); the evaluator attaches
 * the innermost expression's span and `buildProgram` turns it into a Diagnostic.
 */
import type { Related } from '../diagnostics/diagnostic.js';
import type { Span } from '../diagnostics/span.js';
import { FE } from '../diagnostics/catalogue.js';

/** Diagnostic codes of the frontend (2xxx: names, shapes, dtypes, construction): in the catalogue. */
export { FE };

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
