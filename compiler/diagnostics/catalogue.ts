/**
 * @fileoverview Every diagnostic code of tfg, in one place: the code's constant (grouped by the
 * stage that raises it), its severity, a title and a short example source that raises it.
 * Codes by phase: 1xxx syntax, 2xxx names/shapes/dtypes/construction (21xx training recipes),
 * 3xxx gradients, 4xxx compiling, 5xxx running. A code is never reused; a retired code stays
 * listed with `retired`.
 *
 * Raising sites use the constants below (`SyntaxCode.ChainedComparison`, `FE.TYPE`,
 * `GRAD.NO_GRADIENT`, ...), never bare numbers. `CATALOGUE` is typed
 * `satisfies Record<DiagnosticCode, Entry>`, so a constant without an entry fails `tsc`.
 * docs/diagnostics.md is generated from it (`npm run docs:diagnostics`, cli/diagnostics-doc.ts,
 * which runs each example and prints the message it actually gives);
 * test/driver/diagnostics-catalogue.test.ts checks that every code raised anywhere is listed
 * and that each example raises exactly its code.
 */
import type { Severity } from './diagnostic.js';

/** Syntax (1xxx): grammar/. */
export const SyntaxCode = {
  /** A character no token starts with. */
  UnexpectedCharacter: 1001,
  /** The parser expected one token and found another. */
  ExpectedToken: 1002,
  UnterminatedString: 1003,
  ChainedComparison: 1004,
  /** None of the alternatives (statement, expression, ...) can start with the token found. */
  NoViableAlternative: 1005,
  /** Input left over after a complete program. */
  UnexpectedToken: 1006,
  /** Retired: chevrotain's empty required repetition; the hand-written parser never reports it. */
  ExpectedAtLeastOne: 1007,
  InvalidAssignTarget: 1008,
  InvalidEscape: 1009,
  /** A bug in the parser itself, turned into a diagnostic instead of a crash. */
  InternalError: 1010,
  DuplicateParameter: 1011,
  NonDefaultAfterDefault: 1012,
  DuplicateKeywordArgument: 1013,
  PositionalAfterKeyword: 1014,
  /** More nested brackets, blocks and prefix operators than `maxNesting` (limits.ts). */
  NestingTooDeep: 1015,
  /** More syntax errors than `maxErrors`: parsing stopped. */
  TooManyErrors: 1016,
  /** A source file longer than `maxSourceChars`. */
  SourceTooLarge: 1017,
} as const;

/** Graph construction (2001–2002): an op's shape or dtype rule rejected its inputs (ops/build.ts). */
export const OP_BUILD = {
  SHAPE: 2001,
  DTYPE: 2002,
} as const;

/** The frontend (2003–2020): names, types, values, scopes, construction-time evaluation. */
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
  STEP_BUDGET: 2018,
  /** A value or constant over a size limit (--max-items, --max-const-elements). */
  SIZE_LIMIT: 2019,
  /** OverflowError: an int outside the exact range, or a float power out of range. */
  OVERFLOW: 2020,
} as const;

/** Training recipes (21xx): a `train { }` block checked against its schema (frontend/recipe.ts). */
export const RECIPE = {
  UNKNOWN_KEY: 2101,
  TYPE: 2102,
  MISSING: 2103,
  NOT_PLACEHOLDER: 2104,
  COLUMN: 2105,
  NOT_OP: 2106,
  DUPLICATE: 2107,
  VALUE: 2108,
  UNFED: 2109,
  METRIC: 2110,
  NO_RECIPE: 2111,
  GRAPH: 2112,
  RANDOM_NOTE: 2113,
} as const;

/** Gradients and optimizers (3xxx): compiler/grad/ and the ops' gradient rules. */
export const GRAD = {
  /** No gradient rule on the path: TF1's LookupError. */
  NO_GRADIENT: 3001,
  /** An x (or y) that is not a float tensor. */
  NOT_FLOAT: 3002,
  /** A gradient that needs a static fact (rank, class count) the graph does not know. */
  NEEDS_STATIC: 3003,
  /** Bad arguments to gradients() (grad_ys shape or dtype, ...) or to an optimizer. */
  BAD_ARGUMENT: 3004,
} as const;

/** Compiling to WebAssembly (4xxx): schedule/, codegen/, the driver. */
export const BACKEND = {
  /** The backend cannot lower a node (an op, a size or a memory plan it does not support). */
  UNSUPPORTED: 4001,
  /** A signature cannot be compiled (a value the backend needs is known only at run time). */
  SIGNATURE: 4002,
  /** `--graph NAME` names no graph. */
  NO_GRAPH: 4003,
  /** `--signature NAME` names no signature of the graph. */
  NO_SIGNATURE: 4004,
  /** The module would be larger than a WebAssembly engine compiles (V8: 1 GiB). */
  MODULE_TOO_LARGE: 4005,
  /** A compile stage ran out of a JavaScript resource (stack, array or buffer length, binaryen's memory). */
  OUT_OF_RESOURCES: 4006,
} as const;

/** Running (5xxx): TF1's run-time errors as the CLI reports them (cli/io.ts). */
export const RUNTIME = {
  /** An op failed while running (OpError: InvalidArgumentError, FailedPreconditionError, ...). */
  OP_ERROR: 5001,
  /** A feed or fetch Session.run rejects (TypeError, ValueError about a fed value or a key). */
  FEED_ERROR: 5002,
} as const;

type ValuesOf<T> = T[keyof T];
export type DiagnosticCode =
  | ValuesOf<typeof SyntaxCode>
  | ValuesOf<typeof OP_BUILD>
  | ValuesOf<typeof FE>
  | ValuesOf<typeof RECIPE>
  | ValuesOf<typeof GRAD>
  | ValuesOf<typeof BACKEND>
  | ValuesOf<typeof RUNTIME>;

/** How an example is run to raise its code (cli/diagnostics-doc.ts runs them). */
export interface Example {
  /** The .tfg source (one line where the code allows it). */
  source: string;
  /**
   * What runs: `check` parses and builds (`tfg check`, the default); `recipe` also checks the
   * train block (`tfg train`); `compile` compiles to wasm (`tfg compile`); `run` runs `fetch` in
   * the reference Session (`tfg run --backend reference`).
   */
  stage?: 'check' | 'recipe' | 'compile' | 'run';
  /** Lowered limits (`--max-nesting 3`, ...). */
  limits?: { maxSourceChars?: number; maxNesting?: number; maxErrors?: number; maxSteps?: number; maxItems?: number; maxConstElements?: number };
  /** Compile options (`--graph`, `--signature`). */
  compile?: { graph?: string; signatures?: string[] };
  /** Codes the example necessarily raises besides its own (TFG1016 follows the errors it counts). */
  alsoRaises?: number[];
  /** What `run` fetches and feeds (`tfg run --fetch ... --feed ...`). */
  fetch?: string[];
  feed?: Record<string, unknown>;
}

export interface Entry {
  severity: Severity;
  title: string;
  /** An example that raises the code, or why no source can (an internal error, a retired code). */
  example: Example | { none: string };
  retired?: true;
}

/** Every code: severity, title, example. */
export const CATALOGUE = {
  [SyntaxCode.UnexpectedCharacter]: { severity: 'error', title: 'Unexpected character', example: { source: 'x = 1 $ 2' } },
  [SyntaxCode.ExpectedToken]: { severity: 'error', title: 'Expected a token, found another', example: { source: 'y = matmul(a, b' } },
  [SyntaxCode.UnterminatedString]: { severity: 'error', title: 'Unterminated string literal', example: { source: 'name = "abc' } },
  [SyntaxCode.ChainedComparison]: { severity: 'error', title: 'Chained comparison', example: { source: 'ok = 1 < 2 < 3' } },
  [SyntaxCode.NoViableAlternative]: { severity: 'error', title: 'No statement or expression can start here', example: { source: 'x = * 2' } },
  [SyntaxCode.UnexpectedToken]: { severity: 'error', title: 'Unexpected input after a complete program', example: { source: ')' } },
  [SyntaxCode.ExpectedAtLeastOne]: {
    severity: 'error',
    title: 'Expected at least one (retired)',
    retired: true,
    example: { none: "retired: chevrotain's empty required repetition; the hand-written parser never reports it" },
  },
  [SyntaxCode.InvalidAssignTarget]: { severity: 'error', title: 'Cannot assign to this expression', example: { source: 'f(x) = 1' } },
  [SyntaxCode.InvalidEscape]: { severity: 'error', title: 'Invalid escape sequence', example: { source: 's = "\\x4"' } },
  [SyntaxCode.InternalError]: {
    severity: 'error',
    title: 'Internal parser error',
    example: { none: 'a bug in the parser, reported as a diagnostic instead of a crash; no valid or invalid source should raise it' },
  },
  [SyntaxCode.DuplicateParameter]: { severity: 'error', title: 'Duplicate parameter', example: { source: 'def f(a, a) { return a }' } },
  [SyntaxCode.NonDefaultAfterDefault]: {
    severity: 'error',
    title: 'Parameter without a default after one with a default',
    example: { source: 'def f(a=1, b) { return a }' },
  },
  [SyntaxCode.DuplicateKeywordArgument]: {
    severity: 'error',
    title: 'Keyword argument repeated',
    example: { source: 'x = constant(1.0, name="a", name="b")' },
  },
  [SyntaxCode.PositionalAfterKeyword]: {
    severity: 'error',
    title: 'Positional argument after a keyword argument',
    example: { source: 'x = constant(name="a", 1.0)' },
  },
  [SyntaxCode.NestingTooDeep]: {
    severity: 'error',
    title: 'Nesting too deep (--max-nesting)',
    example: { source: 'x = ((((1))))', limits: { maxNesting: 3 } },
  },
  [SyntaxCode.TooManyErrors]: {
    severity: 'error',
    title: 'Too many syntax errors (--max-errors)',
    example: { source: 'a = $\nb = $\nc = $', limits: { maxErrors: 2 }, alsoRaises: [SyntaxCode.UnexpectedCharacter] },
  },
  [SyntaxCode.SourceTooLarge]: {
    severity: 'error',
    title: 'Source too large (--max-source-chars)',
    example: { source: 'x = constant([1.0, 2.0, 3.0])', limits: { maxSourceChars: 16 } },
  },

  [OP_BUILD.SHAPE]: { severity: 'error', title: "An op's shape rule rejects its inputs", example: { source: 'y = matmul(ones([2, 3]), ones([2, 3]))' } },
  [OP_BUILD.DTYPE]: { severity: 'error', title: "An op's dtype rule rejects its inputs", example: { source: 'y = sqrt(constant(4))' } },

  [FE.NAME]: { severity: 'error', title: 'Undefined name (NameError)', example: { source: 'y = x + 1' } },
  [FE.TYPE]: { severity: 'error', title: 'Wrong type (TypeError)', example: { source: 'y = relu("a")' } },
  [FE.VALUE]: { severity: 'error', title: 'Bad value (ValueError)', example: { source: 'n = int("abc")' } },
  [FE.VARIABLE_SCOPE]: {
    severity: 'error',
    title: 'Variable scope or get_variable misuse',
    example: { source: 'v = get_variable("w", initializer=constant(1.0), dtype=i32)' },
  },
  [FE.ARGUMENTS]: { severity: 'error', title: 'Wrong arguments to a function', example: { source: 'def f(a) { return a }\ny = f(1, 2)' } },
  [FE.SHAPE_NOT_STATIC]: {
    severity: 'error',
    title: 'A value that must be known when the graph is built depends on run-time values',
    example: { source: 'n = placeholder(i32, shape=[])\ny = one_hot([0, 1], depth=n)' },
  },
  [FE.MISSING_OP]: {
    severity: 'error',
    title: 'A builtin needs an op the registry lacks',
    example: { none: 'internal: every builtin binds an op of compiler/ops/registry.ts; only a registry missing one raises it' },
  },
  [FE.RECURSION]: {
    severity: 'error',
    title: 'Maximum recursion depth exceeded (RecursionError)',
    example: { source: 'def f(n) { return f(n + 1) }\ny = f(0)' },
  },
  [FE.SIGNATURE]: {
    severity: 'error',
    title: 'Bad signature',
    example: { source: 'x = placeholder(f32, shape=[])\nsignature s(x) -> [x]\nsignature s(x) -> [x]' },
  },
  [FE.INTERNAL]: {
    severity: 'error',
    title: 'Internal error while building the graph',
    example: { none: 'a bug in the construction phase, reported as a diagnostic instead of a crash' },
  },
  [FE.ATTRIBUTE]: { severity: 'error', title: 'No such attribute (AttributeError)', example: { source: 'y = constant(1.0).nothing' } },
  [FE.INDEX]: { severity: 'error', title: 'Index or key out of range (IndexError, KeyError)', example: { source: 'y = [1, 2][5]' } },
  [FE.ZERO_DIVISION]: { severity: 'error', title: 'Division by zero (ZeroDivisionError)', example: { source: 'y = 1 / 0' } },
  [FE.SYNTAX_CONTEXT]: { severity: 'error', title: "'return', 'break' or 'continue' outside its context", example: { source: 'break' } },
  [FE.NONDETERMINISTIC_SEED]: {
    severity: 'note',
    title: 'A random op without a graph or op seed (its seeds are drawn when the graph is built)',
    example: { source: 'r = random_uniform([2])' },
  },
  [FE.STEP_BUDGET]: {
    severity: 'error',
    title: 'Construction step budget exhausted (--max-steps)',
    example: { source: 'for i in range(100) { pass }', limits: { maxSteps: 50 } },
  },
  [FE.SIZE_LIMIT]: {
    severity: 'error',
    title: 'A value over a size limit (--max-items, --max-const-elements)',
    example: { source: 'xs = [0] * 100', limits: { maxItems: 10 } },
  },
  [FE.OVERFLOW]: { severity: 'error', title: 'Number out of range (OverflowError)', example: { source: 'y = 10.0 ** 400' } },

  [RECIPE.UNKNOWN_KEY]: { severity: 'error', title: 'Unknown key in a train block', example: { stage: 'recipe', source: 'train { epoch = 3 }' } },
  [RECIPE.TYPE]: { severity: 'error', title: 'Wrong value type in a train block', example: { stage: 'recipe', source: 'train { data = 3 }' } },
  [RECIPE.MISSING]: { severity: 'error', title: 'A required entry of a train block is missing', example: { stage: 'recipe', source: 'train { epochs = 3 }' } },
  [RECIPE.NOT_PLACEHOLDER]: {
    severity: 'error',
    title: 'A feed entry that is not a placeholder',
    example: { stage: 'recipe', source: 'c = constant(1.0)\ntrain { data { train = moons() }; feed { c = "features" } }' },
  },
  [RECIPE.COLUMN]: {
    severity: 'error',
    title: "A column the data source doesn't have",
    example: { stage: 'recipe', source: 'x = placeholder(f32, shape=[None, 2])\ntrain { data { train = moons() }; feed { x = "pixels" } }' },
  },
  [RECIPE.NOT_OP]: {
    severity: 'error',
    title: 'A train op that is not an operation',
    example: { stage: 'recipe', source: 'x = placeholder(f32, shape=[None, 2])\ntrain { data { train = moons() }; feed { x = "features" }; op = 3 }' },
  },
  [RECIPE.DUPLICATE]: { severity: 'error', title: 'A train block key given twice', example: { stage: 'recipe', source: 'train { epochs = 1; epochs = 2 }' } },
  [RECIPE.VALUE]: {
    severity: 'error',
    title: 'A bad value in a train block',
    example: { stage: 'recipe', source: 'train { data { train = moons(); test = 2.0 } }' },
  },
  [RECIPE.UNFED]: {
    severity: 'error',
    title: 'A tensor the recipe runs depends on a placeholder it does not feed',
    example: {
      stage: 'recipe',
      source:
        'x = placeholder(f32, shape=[None, 2])\ny = placeholder(f32, shape=[None, 1])\nw = Variable(zeros([2, 1]))\nloss = reduce_mean(square(matmul(x, w) - y))\nop = GradientDescentOptimizer(0.1).minimize(loss)\ntrain { data { train = moons() }; feed { x = "features" }; op = op; loss = loss }',
    },
  },
  [RECIPE.METRIC]: {
    severity: 'error',
    title: 'Unknown early-stopping metric',
    example: {
      stage: 'recipe',
      source:
        'x = placeholder(f32, shape=[None, 2])\ny = placeholder(f32, shape=[None, 1])\nw = Variable(zeros([2, 1]))\nloss = reduce_mean(square(matmul(x, w) - y))\nop = GradientDescentOptimizer(0.1).minimize(loss)\ntrain { data { train = moons() }; feed { x = "features"; y = "labels" }; op = op; early_stopping { metric = "acc" } }',
    },
  },
  [RECIPE.NO_RECIPE]: { severity: 'error', title: 'No train block (or none of that name)', example: { stage: 'recipe', source: 'x = constant(1.0)' } },
  [RECIPE.GRAPH]: {
    severity: 'error',
    title: 'A train block using a tensor of another graph',
    example: {
      stage: 'recipe',
      source:
        'v = Variable(1.0)\ngraph other {\n  x = placeholder(f32, shape=[None, 2])\n  train { data { train = moons() }; feed { x = "features" }; op = v }\n}',
    },
  },
  [RECIPE.RANDOM_NOTE]: {
    severity: 'note',
    title: 'The train step runs a random op (a resumed run is not bitwise identical)',
    example: {
      stage: 'recipe',
      source:
        'x = placeholder(f32, shape=[None, 2])\ny = placeholder(f32, shape=[None, 1])\nw = Variable(zeros([2, 1]))\nloss = reduce_mean(square(matmul(x + random_normal([2], seed=1), w) - y))\nop = GradientDescentOptimizer(0.1).minimize(loss)\ntrain { data { train = moons() }; feed { x = "features"; y = "labels" }; op = op }',
    },
  },

  [GRAD.NO_GRADIENT]: {
    severity: 'error',
    title: 'No gradient defined for an operation (LookupError)',
    example: {
      none: 'internal: every op states its gradient or that it has none (OpDef.grad is required), so only a gradient rule that returns the wrong number or dtype of gradients raises it',
    },
  },
  [GRAD.NOT_FLOAT]: {
    severity: 'error',
    title: 'Gradient with respect to a non-float tensor',
    example: { source: 'x = Variable(1)\ng = gradients(x * 2, [x])' },
  },
  [GRAD.NEEDS_STATIC]: {
    severity: 'error',
    title: 'A gradient needs a fact the graph does not know when it is built',
    example: { source: 'x = placeholder(f32)\ng = gradients(reduce_sum(x, axis=0), [x])' },
  },
  [GRAD.BAD_ARGUMENT]: {
    severity: 'error',
    title: 'Bad arguments to gradients() or an optimizer',
    example: { source: 'x = Variable(1.0)\ng = gradients(x * 2, [x], grad_ys=[constant(1), constant(1)])' },
  },

  [BACKEND.UNSUPPORTED]: {
    severity: 'error',
    title: 'The WebAssembly backend cannot compile a node',
    example: {
      none: 'internal: every op of the registry has a lowering (OpDef.lower is required); raised only when a lowering or the memory layout breaks its own invariants',
    },
  },
  [BACKEND.SIGNATURE]: {
    severity: 'error',
    title: 'A signature cannot be compiled',
    example: { stage: 'compile', source: 'x = placeholder(f32, shape=[4])\nb = placeholder(i32, shape=[1])\ny = slice(x, b, [2])\nsignature s(x, b) -> [y]' },
  },
  [BACKEND.NO_GRAPH]: {
    severity: 'error',
    title: 'No graph of that name (--graph)',
    example: { stage: 'compile', source: 'x = constant(1.0)', compile: { graph: 'other' } },
  },
  [BACKEND.NO_SIGNATURE]: {
    severity: 'error',
    title: 'No signature of that name (--signature)',
    example: { stage: 'compile', source: 'x = placeholder(f32)\nsignature predict(x) -> [x]', compile: { signatures: ['predikt'] } },
  },
  [BACKEND.MODULE_TOO_LARGE]: {
    severity: 'error',
    title: 'The module is larger than a WebAssembly engine compiles',
    example: { none: 'needs over 1 GiB of constants in one module (test/emit/large.test.ts checks the limit with the section sizes it names)' },
  },
  [BACKEND.OUT_OF_RESOURCES]: {
    severity: 'error',
    title: 'A compile stage ran out of resources (the graph is too large)',
    example: { none: 'needs a graph beyond what this machine compiles; `tfg run` then falls back to the reference Session (docs/limits.md)' },
  },

  [RUNTIME.OP_ERROR]: {
    severity: 'error',
    title: 'An op failed at run time (OpError)',
    example: { stage: 'run', source: 'x = placeholder(f32, shape=[2], name="x")\ny = multiply(x, 2.0, name="y")', fetch: ['y:0'] },
  },
  [RUNTIME.FEED_ERROR]: {
    severity: 'error',
    title: 'A fed value or a fetch Session.run rejects',
    example: { stage: 'run', source: 'x = placeholder(f32, shape=[2], name="x")\ny = multiply(x, 2.0, name="y")', fetch: ['y:0'], feed: { 'x:0': [1, 2, 3] } },
  },
} as const satisfies Record<DiagnosticCode, Entry>;

/** The catalogue's entry of a code, or undefined for a code it does not list. */
export function catalogueEntry(code: number): Entry | undefined {
  return (CATALOGUE as Record<number, Entry>)[code];
}

/** Every listed code, ascending. */
export function catalogueCodes(): number[] {
  return Object.keys(CATALOGUE)
    .map(Number)
    .sort((a, b) => a - b);
}
