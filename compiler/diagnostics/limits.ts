/**
 * @fileoverview The compiler's resource limits, in one table: what each bounds, its default,
 * the diagnostic code it raises and the `tfg` flag that raises it. docs/limits.md is the same
 * table for readers (test/frontend/limits.test.ts checks that it lists every entry here).
 *
 * The defaults keep a `tfg check` of any input within about 10 s and 1 GiB: parsing is linear
 * in the source and bounded by its size and the nesting depth; the construction phase is
 * bounded by a step budget that charges statements, expressions, loop iterations, calls, the
 * elements of every list/tuple/dict/string it builds and every graph node it adds; and nothing
 * whose size comes from a number (`range(n)`, `[0] * n`, `constant(0.0, shape=[n, n])`) is
 * allocated before its size has been checked against the limits.
 */
import { FE, SyntaxCode } from './catalogue.js';

export interface Limits {
  /** Characters (UTF-16 code units) of one source file. */
  maxSourceChars: number;
  /** Nested brackets, blocks and prefix/right-associative operators in the source. */
  maxNesting: number;
  /** Syntax errors reported before parsing stops with "too many errors". */
  maxErrors: number;
  /** Construction steps of one program (see the file overview). */
  maxSteps: number;
  /** Elements of one list, tuple or dict, or characters of one string, built at construction. */
  maxItems: number;
  /** Elements of one constant tensor built or evaluated at construction. */
  maxConstElements: number;
}

export type LimitName = keyof Limits;

export interface LimitInfo {
  name: LimitName;
  /** The `tfg` option that sets it (`--max-steps <n>`). */
  flag: string;
  default: number;
  /** Diagnostic code raised when the limit is exceeded. */
  code: number;
  /** One line for help texts and docs/limits.md. */
  what: string;
}

/** Diagnostic codes of the limits (syntax limits are 1xxx, construction limits 2xxx; catalogue.ts). */
export const LIMIT_CODES = {
  SOURCE_TOO_LARGE: SyntaxCode.SourceTooLarge,
  NESTING_TOO_DEEP: SyntaxCode.NestingTooDeep,
  TOO_MANY_ERRORS: SyntaxCode.TooManyErrors,
  STEP_BUDGET: FE.STEP_BUDGET,
  SIZE_LIMIT: FE.SIZE_LIMIT,
} as const;

export const LIMITS: readonly LimitInfo[] = [
  {
    name: 'maxSourceChars',
    flag: '--max-source-chars',
    default: 8_000_000,
    code: LIMIT_CODES.SOURCE_TOO_LARGE,
    what: 'characters of one source file',
  },
  {
    name: 'maxNesting',
    flag: '--max-nesting',
    default: 1000,
    code: LIMIT_CODES.NESTING_TOO_DEEP,
    what: 'nested brackets, blocks and prefix or right-associative operators (`-`, `not`, `**`, `if-else`)',
  },
  {
    name: 'maxErrors',
    flag: '--max-errors',
    default: 100,
    code: LIMIT_CODES.TOO_MANY_ERRORS,
    what: 'syntax errors reported before parsing stops',
  },
  {
    name: 'maxSteps',
    flag: '--max-steps',
    default: 10_000_000,
    code: LIMIT_CODES.STEP_BUDGET,
    what: 'construction steps: one per statement, expression, loop iteration and call; one per element of a list, tuple, dict or constant built, copied, compared or printed, and per 32 characters of a string; 50 per graph node added',
  },
  {
    name: 'maxItems',
    flag: '--max-items',
    default: 5_000_000,
    code: LIMIT_CODES.SIZE_LIMIT,
    what: 'elements of one list, tuple or dict, or characters of one string, built at construction',
  },
  {
    name: 'maxConstElements',
    flag: '--max-const-elements',
    default: 5_000_000,
    code: LIMIT_CODES.SIZE_LIMIT,
    what: 'elements of one constant tensor built or evaluated at construction',
  },
];

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze(Object.fromEntries(LIMITS.map((l) => [l.name, l.default])) as unknown as Limits);

/** The defaults with some limits overridden. */
export function resolveLimits(over: Partial<Limits> = {}): Limits {
  const out = { ...DEFAULT_LIMITS };
  for (const l of LIMITS) {
    const v = over[l.name];
    if (v !== undefined) out[l.name] = v;
  }
  return out;
}

export function limitInfo(name: LimitName): LimitInfo {
  return LIMITS.find((l) => l.name === name)!;
}

/** `10,000,000`: numbers in limit messages. */
export function formatCount(n: number): string {
  // As toLocaleString('en-US') writes integers, without loading ICU (~40 ms of every start-up).
  return Number.isFinite(n)
    ? BigInt(Math.round(n))
        .toString()
        .replace(/\B(?=(\d{3})+(?!\d))/g, ',')
    : String(n);
}

/**
 * V8's "Maximum call stack size exceeded" — usually a RangeError, but a regular expression
 * compiled at the limit reports it as a SyntaxError; tested without a regular expression.
 */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof Error && typeof e.message === 'string' && e.message.indexOf('Maximum call stack size exceeded') >= 0;
}
