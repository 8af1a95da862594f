/**
 * @fileoverview The construction phase's resource budget (limits from
 * compiler/diagnostics/limits.ts): a step counter that the evaluator advances for every
 * statement, expression, loop iteration and call, that the value constructors (values.ts)
 * advance by the size of every list, tuple, dict and string they make, and that builtin calls
 * advance by the graph nodes they add; and size checks made *before* anything whose size comes
 * from a number is allocated (`range(n)`, `[0] * n`, `"a" * n`, `constant(v, shape=...)`).
 *
 * One budget is active while a program is evaluated (`withBudget`); code running outside an
 * evaluation (tests calling builtins directly) is checked against the default sizes and not
 * charged.
 */
import { DEFAULT_LIMITS, formatCount, type Limits, LIMIT_CODES } from '../diagnostics/limits.js';
import { FrontendError } from './errors.js';

/** Steps charged for each graph node a builtin adds (a node costs far more than a Python step). */
export const NODE_STEPS = 50;
/** Characters of a string charged as one step. */
export const CHARS_PER_STEP = 32;

export class Budget {
  steps = 0;
  constructor(readonly limits: Limits) {}

  /** Advance by `n` steps; past `maxSteps`, the located budget error. */
  charge(n: number): void {
    this.steps += n;
    if (this.steps > this.limits.maxSteps) throw stepBudgetError(this.limits.maxSteps);
  }
}

let active: Budget | null = null;

/** Run `fn` with `budget` active (restored afterwards, so evaluations may nest). */
export function withBudget<T>(budget: Budget, fn: () => T): T {
  const saved = active;
  active = budget;
  try {
    return fn();
  } finally {
    active = saved;
  }
}

/** Charge the active budget (nothing outside an evaluation). */
export function charge(n: number): void {
  if (active !== null && n > 0) active.charge(n);
}

function limits(): Limits {
  return active?.limits ?? DEFAULT_LIMITS;
}

export function stepBudgetError(max: number): FrontendError {
  return new FrontendError(
    LIMIT_CODES.STEP_BUDGET,
    null,
    `construction step limit exceeded: more than ${formatCount(max)} steps (statements, expressions, loop iterations, calls, elements built, graph nodes); the program runs too long when the graph is built — raise the limit with --max-steps`,
  );
}

/**
 * Before making a list, tuple, dict or string of `n` elements: the size error when `n` is over
 * `maxItems`. `what` says what was being made (`range()`, `'a' * n`).
 */
export function checkItems(n: number, what: string, unit = 'elements'): void {
  const max = limits().maxItems;
  if (n > max) {
    throw new FrontendError(
      LIMIT_CODES.SIZE_LIMIT,
      null,
      `${what} would have ${formatCount(n)} ${unit}; the limit for one list, tuple, dict or string built when the graph is built is ${formatCount(max)} — raise it with --max-items`,
    );
  }
}

/** Before making a constant tensor of `n` elements: the size error when over `maxConstElements`. */
export function checkConstElements(n: number, what: string): void {
  const max = limits().maxConstElements;
  if (n > max) {
    throw new FrontendError(
      LIMIT_CODES.SIZE_LIMIT,
      null,
      `${what} would have ${formatCount(n)} elements; the limit for a constant built or evaluated when the graph is built is ${formatCount(max)} — raise it with --max-const-elements`,
    );
  }
}
