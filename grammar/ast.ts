/**
 * @fileoverview The AST of a `.tfg` program: what the parser (parser.ts) produces and the
 * construction-phase evaluator (compiler/frontend/) consumes. Every node carries the span of
 * the source text it came from.
 *
 * The language reads like the TF1 Python it replaces, with braces for blocks:
 * ```
 * X = placeholder(f32, shape=[None, 3], name="X")
 * with name_scope("loss") {
 *   mse = reduce_mean(square(X @ w - y), name="mse")
 * }
 * def relu(X) { return maximum(X, 0.0) }
 * output = add_n([relu(X) for i in range(5)], name="output")
 * graph other { x2 = variable(2) }
 * signature predict(X) -> output
 * ```
 * Statements end at a newline or ';'. Newlines inside (...) and [...] are ignored.
 */
import type { Span } from '../compiler/diagnostics/span.js';

interface Base {
  span: Span;
}

// ---- statements ----

export interface Program extends Base {
  kind: 'Program';
  body: Stmt[];
}

export type Stmt =
  | ExprStmt
  | AssignStmt
  | AugAssignStmt
  | DefStmt
  | ReturnStmt
  | WithStmt
  | GraphStmt
  | ForStmt
  | IfStmt
  | SignatureStmt
  | TrainStmt
  | PassStmt
  | BreakStmt
  | ContinueStmt;

export interface ExprStmt extends Base {
  kind: 'ExprStmt';
  expr: Expr;
}

/** `a = e`, `a, b = e`, `x[i] = e` is not supported (graphs are immutable). */
export interface AssignStmt extends Base {
  kind: 'AssignStmt';
  /** One target, or several for tuple unpacking (`a, b = f()`). */
  targets: Target[];
  value: Expr;
}

export type Target = NameExpr | TupleTarget;
export interface TupleTarget extends Base {
  kind: 'TupleTarget';
  items: Target[];
}

/** `a += e` (also -=, *=, /=, @=). */
export interface AugAssignStmt extends Base {
  kind: 'AugAssignStmt';
  target: NameExpr;
  op: '+' | '-' | '*' | '/' | '@';
  value: Expr;
}

export interface Param extends Base {
  name: string;
  /** Default value expression, evaluated at definition time as in Python. */
  default: Expr | null;
}

export interface DefStmt extends Base {
  kind: 'DefStmt';
  name: string;
  nameSpan: Span;
  params: Param[];
  body: Stmt[];
}

export interface ReturnStmt extends Base {
  kind: 'ReturnStmt';
  value: Expr | null;
}

/** `with e [as name] { ... }`; e.g. name_scope, variable_scope, control_dependencies. */
export interface WithStmt extends Base {
  kind: 'WithStmt';
  context: Expr;
  asName: string | null;
  body: Stmt[];
}

/** `graph name { ... }`: a named graph beside the default one. */
export interface GraphStmt extends Base {
  kind: 'GraphStmt';
  name: string;
  nameSpan: Span;
  body: Stmt[];
}

/** `for i in e { ... }` (construction time; e.g. range(5)). */
export interface ForStmt extends Base {
  kind: 'ForStmt';
  target: Target;
  iter: Expr;
  body: Stmt[];
}

export interface IfStmt extends Base {
  kind: 'IfStmt';
  test: Expr;
  body: Stmt[];
  /** `elif` chains are nested IfStmts in orelse. */
  orelse: Stmt[];
}

/**
 * `signature name(feed, ...) -> fetches`: an exported entry point. Feeds are expressions
 * (usually placeholders); fetches an expression (a tensor, a list, or a dict literal).
 */
export interface SignatureStmt extends Base {
  kind: 'SignatureStmt';
  name: string;
  nameSpan: Span;
  feeds: Expr[];
  fetches: Expr;
}

/**
 * `train name { key: expr ... }` or `train { ... }`: a training recipe (issue 5). Entries are
 * `key = expr` or nested blocks `key { ... }`; their meaning is checked by the evaluator.
 */
export interface TrainStmt extends Base {
  kind: 'TrainStmt';
  name: string | null;
  entries: TrainEntry[];
}

export interface TrainEntry extends Base {
  key: string;
  keySpan: Span;
  /** `key = expr` has a value; `key { ... }` has entries. */
  value: Expr | null;
  entries: TrainEntry[] | null;
}

export interface PassStmt extends Base {
  kind: 'PassStmt';
}
export interface BreakStmt extends Base {
  kind: 'BreakStmt';
}
export interface ContinueStmt extends Base {
  kind: 'ContinueStmt';
}

// ---- expressions ----

export type Expr =
  | NumberExpr
  | StringExpr
  | BoolExpr
  | NoneExpr
  | NameExpr
  | ListExpr
  | TupleExpr
  | DictExpr
  | CompExpr
  | UnaryExpr
  | BinaryExpr
  | CompareExpr
  | LogicalExpr
  | NotExpr
  | CondExpr
  | CallExpr
  | IndexExpr
  | AttrExpr;

/** `3` is an int, `3.0`, `.5`, `1e-3` are floats (Python's distinction matters for dtypes). */
export interface NumberExpr extends Base {
  kind: 'Number';
  value: number;
  isInt: boolean;
  raw: string;
}
export interface StringExpr extends Base {
  kind: 'String';
  value: string;
}
export interface BoolExpr extends Base {
  kind: 'Bool';
  value: boolean;
}
export interface NoneExpr extends Base {
  kind: 'None';
}
export interface NameExpr extends Base {
  kind: 'Name';
  name: string;
}
export interface ListExpr extends Base {
  kind: 'List';
  items: Expr[];
}
/** `(a, b)`, `(a,)`, `()`. A parenthesised single expression is just that expression. */
export interface TupleExpr extends Base {
  kind: 'Tuple';
  items: Expr[];
}
export interface DictExpr extends Base {
  kind: 'Dict';
  entries: { key: Expr; value: Expr; span: Span }[];
}
/** `[elt for target in iter if cond]` (one `for`, optional `if`s). */
export interface CompExpr extends Base {
  kind: 'Comp';
  elt: Expr;
  target: Target;
  iter: Expr;
  conds: Expr[];
}
export interface UnaryExpr extends Base {
  kind: 'Unary';
  op: '-' | '+';
  operand: Expr;
}
export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '@' | '**';
export interface BinaryExpr extends Base {
  kind: 'Binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
  /** Span of the operator token (diagnostics point at it with the whole expression). */
  opSpan: Span;
}
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
/** `a < b` (no chaining: `a < b < c` is a syntax error). */
export interface CompareExpr extends Base {
  kind: 'Compare';
  op: CompareOp;
  left: Expr;
  right: Expr;
  opSpan: Span;
}
export interface LogicalExpr extends Base {
  kind: 'Logical';
  op: 'and' | 'or';
  left: Expr;
  right: Expr;
}
export interface NotExpr extends Base {
  kind: 'Not';
  operand: Expr;
}
/** `a if cond else b`. */
export interface CondExpr extends Base {
  kind: 'Cond';
  test: Expr;
  body: Expr;
  orelse: Expr;
}
export interface Arg extends Base {
  /** null for positional arguments. */
  name: string | null;
  value: Expr;
}
export interface CallExpr extends Base {
  kind: 'Call';
  callee: Expr;
  args: Arg[];
}
/** A slice `a:b:c` inside an index; any part may be missing. */
export interface SliceExpr extends Base {
  kind: 'Slice';
  start: Expr | null;
  stop: Expr | null;
  step: Expr | null;
}
/** `x[i]`, `x[1:3]`, `x[:, 0]`, `x[None, :]`: one item per comma-separated index. */
export interface IndexExpr extends Base {
  kind: 'Index';
  target: Expr;
  indices: (Expr | SliceExpr)[];
}
/** `x.name`, `x.initializer`, `optimizer.minimize`. */
export interface AttrExpr extends Base {
  kind: 'Attr';
  target: Expr;
  attr: string;
  attrSpan: Span;
}
