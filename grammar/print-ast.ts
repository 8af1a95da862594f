/**
 * @fileoverview Prints an AST as compact s-expressions without spans: one statement per line,
 * blocks indented, closing parens at the end of a block's last line (lisp style). Used by the
 * parser goldens (`test/grammar/fixtures/*.ast.txt`) and `tfg --dump=ast`.
 *
 * ```
 * (= [f] (+ (+ (* (* x x) y) y) 2))
 * (def relu (X threshold=0.0)
 *   (return (call maximum X threshold name="max")))
 * ```
 * Ints print as written (`3`), floats like Python's repr (`3.0`, `0.5`, `0.001`).
 * Left-associative chains (`a + b + ...`, `f(x)[0].y`) are printed with a loop down their left
 * spine, so a chain of any length prints; other nesting is bounded by the parser's nesting limit.
 */
import type * as A from './ast.js';

export function printAst(program: A.Program): string {
  const lines: string[] = [];
  for (const s of program.body) lines.push(...printStmt(s));
  return lines.join('\n') + '\n';
}

export function printStmt(s: A.Stmt): string[] {
  switch (s.kind) {
    case 'ExprStmt':
      return [`(expr ${printExpr(s.expr)})`];
    case 'AssignStmt':
      return [`(= [${s.targets.map(printTarget).join(' ')}] ${printExpr(s.value)})`];
    case 'AugAssignStmt':
      return [`(${s.op}= ${s.target.name} ${printExpr(s.value)})`];
    case 'DefStmt': {
      const params = s.params.map((p) => (p.default ? `${p.name}=${printExpr(p.default)}` : p.name)).join(' ');
      return block(`(def ${s.name} (${params})`, s.body);
    }
    case 'ReturnStmt':
      return [s.value ? `(return ${printExpr(s.value)})` : '(return)'];
    case 'WithStmt':
      return block(`(with ${printExpr(s.context)}${s.asName !== null ? ` as ${s.asName}` : ''}`, s.body);
    case 'GraphStmt':
      return block(`(graph ${s.name}`, s.body);
    case 'ForStmt':
      return block(`(for ${printTarget(s.target)} in ${printExpr(s.iter)}`, s.body);
    case 'IfStmt': {
      const head = block(`(if ${printExpr(s.test)}`, s.body, s.orelse.length > 0 ? '' : ')');
      if (s.orelse.length === 0) return head;
      return [...head, ...block(' else', s.orelse)];
    }
    case 'SignatureStmt':
      return [`(signature ${s.name} (${s.feeds.map(printExpr).join(' ')}) -> ${printExpr(s.fetches)})`];
    case 'TrainStmt':
      return trainBlock(`(train${s.name !== null ? ` ${s.name}` : ''}`, s.entries);
    case 'PassStmt':
      return ['(pass)'];
    case 'BreakStmt':
      return ['(break)'];
    case 'ContinueStmt':
      return ['(continue)'];
  }
}

function block(head: string, body: A.Stmt[], close = ')'): string[] {
  const inner = body.flatMap(printStmt).map((l) => `  ${l}`);
  if (inner.length === 0) return [head + close];
  inner[inner.length - 1] += close;
  return [head, ...inner];
}

function trainBlock(head: string, entries: A.TrainEntry[]): string[] {
  const inner: string[] = [];
  for (const e of entries) {
    if (e.value) inner.push(`(${e.key} = ${printExpr(e.value)})`);
    else inner.push(...trainBlock(`(${e.key}`, e.entries ?? []));
  }
  const indented = inner.map((l) => `  ${l}`);
  if (indented.length === 0) return [head + ')'];
  indented[indented.length - 1] += ')';
  return [head, ...indented];
}

export function printTarget(t: A.Target): string {
  if (t.kind === 'Name') return t.name;
  return t.items.length === 0 ? '(tuple)' : `(tuple ${t.items.map(printTarget).join(' ')})`;
}

/** Python's repr of a float: always with a '.' or an exponent. */
function floatRepr(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

export function printExpr(e: A.Expr | A.SliceExpr): string {
  switch (e.kind) {
    case 'Number':
      return e.isInt ? e.raw : floatRepr(e.value);
    case 'String':
      return JSON.stringify(e.value);
    case 'Bool':
      return e.value ? 'True' : 'False';
    case 'None':
      return 'None';
    case 'Name':
      return e.name;
    case 'List':
      return `[${e.items.map(printExpr).join(' ')}]`;
    case 'Tuple':
      return e.items.length === 0 ? '(tuple)' : `(tuple ${e.items.map(printExpr).join(' ')})`;
    case 'Dict':
      return `{${e.entries.map((x) => `${printExpr(x.key)}: ${printExpr(x.value)}`).join(', ')}}`;
    case 'Comp': {
      const conds = e.conds.map((c) => ` (if ${printExpr(c)})`).join('');
      return `(comp ${printExpr(e.elt)} (for ${printTarget(e.target)} in ${printExpr(e.iter)})${conds})`;
    }
    case 'Unary':
      return `(${e.op === '-' ? 'neg' : 'pos'} ${printExpr(e.operand)})`;
    case 'Binary':
    case 'Compare':
    case 'Logical':
      return printChain(e);
    case 'Not':
      return `(not ${printExpr(e.operand)})`;
    case 'Cond':
      return `(cond ${printExpr(e.test)} ${printExpr(e.body)} ${printExpr(e.orelse)})`;
    case 'Call':
    case 'Index':
    case 'Attr':
      return printTrailers(e);
    case 'Slice': {
      const part = (x: A.Expr | null) => (x ? printExpr(x) : '_');
      return `(slice ${part(e.start)} ${part(e.stop)} ${part(e.step)})`;
    }
  }
}

type TrailerExpr = A.CallExpr | A.IndexExpr | A.AttrExpr;

/** `(call f x)`, `(index x i)`, `(. x name)` for a chain of trailers, with a loop down its targets. */
function printTrailers(e: TrailerExpr): string {
  const spine: TrailerExpr[] = [];
  let cur: A.Expr = e;
  while (cur.kind === 'Call' || cur.kind === 'Index' || cur.kind === 'Attr') {
    spine.push(cur);
    cur = cur.kind === 'Call' ? cur.callee : cur.target;
  }
  let out = printExpr(cur);
  for (let i = spine.length - 1; i >= 0; i--) {
    const n = spine[i];
    if (n.kind === 'Call') {
      const args = n.args.map((a) => (a.name !== null ? `${a.name}=${printExpr(a.value)}` : printExpr(a.value)));
      out = `(call ${[out, ...args].join(' ')})`;
    } else if (n.kind === 'Index') out = `(index ${[out, ...n.indices.map(printExpr)].join(' ')})`;
    else out = `(. ${out} ${n.attr})`;
  }
  return out;
}

type ChainExpr = A.BinaryExpr | A.CompareExpr | A.LogicalExpr;

function isChain(e: A.Expr): e is ChainExpr {
  return e.kind === 'Binary' || e.kind === 'Compare' || e.kind === 'Logical';
}

/** `(op left right)` for a binary node, walking the left spine with a loop. */
function printChain(e: ChainExpr): string {
  const spine: ChainExpr[] = [];
  let cur: A.Expr = e;
  while (isChain(cur)) {
    spine.push(cur);
    cur = cur.left;
  }
  let out = printExpr(cur);
  for (let i = spine.length - 1; i >= 0; i--) out = `(${spine[i].op} ${out} ${printExpr(spine[i].right)})`;
  return out;
}
