/**
 * @fileoverview CST → AST: a chevrotain CST visitor (checked by `validateVisitor()`) that turns
 * the parser's concrete syntax tree into the AST of ast.ts, with a span (from token offsets,
 * end exclusive) on every node. It also reports the syntax errors the grammar leaves to it:
 * chained comparisons (1004), invalid escapes (1009) and invalid assignment targets (1008).
 *
 * After parser error recovery the CST may lack children; a statement whose CST is incomplete
 * is dropped (the parser has already reported why), so a partial Program is still returned.
 */
import type { CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import type * as C from './cst.js';
import { parser } from './parser.js';
import * as T from './tokens.js';
import { SourceFile, type Span } from '../compiler/diagnostics/span.js';
import { error, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { messages } from './messages.js';

/** Thrown when a CST node lacks a child because of error recovery (never escapes this file). */
class IncompleteCst extends Error {}

function need<X>(list: X[] | undefined, i = 0): X {
  const x = list?.[i];
  if (x === undefined) throw new IncompleteCst('incomplete CST');
  return x;
}

const BaseVisitor = parser.getBaseCstVisitorConstructor();

export class AstBuilder extends BaseVisitor implements C.TfgCstVisitor<unknown, unknown> {
  private file: SourceFile = new SourceFile('<none>', '');
  private diags: Diagnostic[] = [];

  constructor() {
    super();
    this.validateVisitor();
  }

  /** Build the Program of one parse; diagnostics found on the way are appended to `diags`. */
  build(cst: CstNode, file: SourceFile, diags: Diagnostic[]): A.Program {
    this.file = file;
    this.diags = diags;
    const ctx = (cst as C.ProgramCstNode).children;
    return { kind: 'Program', body: this.program(ctx), span: this.span(0, file.text.length) };
  }

  // ---- spans ----

  private span(start: number, end: number): Span {
    const n = this.file.text.length;
    const s = Number.isFinite(start) ? Math.min(Math.max(0, start), n) : 0;
    const e = Number.isFinite(end) ? Math.min(Math.max(s, end), n) : s;
    return { file: this.file, start: s, end: e };
  }

  private tokSpan(t: IToken): Span {
    return this.span(t.startOffset, (t.endOffset ?? t.startOffset) + 1);
  }

  private nodeSpan(n: CstNode): Span {
    const loc = n.location;
    if (!loc || !Number.isFinite(loc.startOffset)) throw new IncompleteCst('node without location');
    return this.span(loc.startOffset, (loc.endOffset ?? loc.startOffset) + 1);
  }

  private join(a: { span: Span }, b: { span: Span }): Span {
    return this.span(Math.min(a.span.start, b.span.start), Math.max(a.span.end, b.span.end));
  }

  private fromTo(a: Span, b: Span): Span {
    return this.span(Math.min(a.start, b.start), Math.max(a.end, b.end));
  }

  // ---- statements ----

  program(ctx: C.ProgramCstChildren): A.Stmt[] {
    return this.statements(need(ctx.statements).children);
  }

  statements(ctx: C.StatementsCstChildren): A.Stmt[] {
    const out: A.Stmt[] = [];
    for (const s of ctx.statement ?? []) {
      try {
        out.push(this.statement(s.children));
      } catch (e) {
        if (!(e instanceof IncompleteCst)) throw e;
      }
    }
    return out;
  }

  statement(ctx: C.StatementCstChildren): A.Stmt {
    if (ctx.defStmt) return this.defStmt(need(ctx.defStmt).children, need(ctx.defStmt));
    if (ctx.returnStmt) return this.returnStmt(need(ctx.returnStmt).children, need(ctx.returnStmt));
    if (ctx.withStmt) return this.withStmt(need(ctx.withStmt).children, need(ctx.withStmt));
    if (ctx.graphStmt) return this.graphStmt(need(ctx.graphStmt).children, need(ctx.graphStmt));
    if (ctx.forStmt) return this.forStmt(need(ctx.forStmt).children, need(ctx.forStmt));
    if (ctx.ifStmt) return this.ifStmt(need(ctx.ifStmt).children, need(ctx.ifStmt));
    if (ctx.signatureStmt) return this.signatureStmt(need(ctx.signatureStmt).children, need(ctx.signatureStmt));
    if (ctx.trainStmt) return this.trainStmt(need(ctx.trainStmt).children, need(ctx.trainStmt));
    if (ctx.jumpStmt) return this.jumpStmt(need(ctx.jumpStmt).children);
    return this.simpleStmt(need(ctx.simpleStmt).children, need(ctx.simpleStmt));
  }

  terminator(_ctx: C.TerminatorCstChildren): null {
    return null;
  }

  block(ctx: C.BlockCstChildren): A.Stmt[] {
    need(ctx.RBrace);
    return this.statements(need(ctx.statements).children);
  }

  simpleStmt(ctx: C.SimpleStmtCstChildren, node: CstNode): A.Stmt {
    const span = this.nodeSpan(node);
    const lhsNode = need(ctx.exprList);
    if (ctx.Assign) {
      const lhs = this.exprItems(lhsNode.children);
      const value = this.exprList(need(ctx.exprList, 1).children, need(ctx.exprList, 1));
      let targets: A.Target[];
      if (lhs.items.length === 1 && !lhs.comma) targets = [this.toTarget(lhs.items[0])];
      else if (lhs.items.length === 1) targets = [{ kind: 'TupleTarget', items: [this.toTarget(lhs.items[0])], span: this.nodeSpan(lhsNode) }];
      else targets = lhs.items.map((e) => this.toTarget(e));
      return { kind: 'AssignStmt', targets, value, span };
    }
    if (ctx.AugAssign) {
      const opTok = need(ctx.AugAssign);
      const lhs = this.exprItems(lhsNode.children);
      const value = this.test(need(ctx.test).children, need(ctx.test));
      const first = lhs.items[0];
      let target: A.NameExpr;
      if (lhs.items.length === 1 && !lhs.comma && first.kind === 'Name') target = first;
      else {
        const what = lhs.items.length > 1 || lhs.comma ? 'a tuple' : describe(first);
        this.report(1008, messages.augTarget(what), this.nodeSpan(lhsNode));
        target = { kind: 'Name', name: '<error>', span: this.nodeSpan(lhsNode) };
      }
      const op = opTok.image.slice(0, -1) as A.AugAssignStmt['op'];
      return { kind: 'AugAssignStmt', target, op, value, span };
    }
    return { kind: 'ExprStmt', expr: this.exprList(lhsNode.children, lhsNode), span };
  }

  /** The items of `a, b, c` and whether a comma was written (`a,` is a 1-tuple). */
  private exprItems(ctx: C.ExprListCstChildren): { items: A.Expr[]; comma: boolean } {
    const tests = ctx.test ?? [];
    if (tests.length === 0) throw new IncompleteCst('empty expression list');
    return { items: tests.map((t) => this.test(t.children, t)), comma: (ctx.Comma?.length ?? 0) > 0 };
  }

  exprList(ctx: C.ExprListCstChildren, node: CstNode): A.Expr {
    const { items, comma } = this.exprItems(ctx);
    if (items.length === 1 && !comma) return items[0];
    return { kind: 'Tuple', items, span: this.nodeSpan(node) };
  }

  /** An expression on the left of '=' as a target: names, and tuples/lists of targets. */
  private toTarget(e: A.Expr): A.Target {
    if (e.kind === 'Name') return e;
    if (e.kind === 'Tuple' || e.kind === 'List') {
      return { kind: 'TupleTarget', items: e.items.map((x) => this.toTarget(x)), span: e.span };
    }
    this.report(1008, messages.assignTarget(describe(e)), e.span);
    return { kind: 'Name', name: '<error>', span: e.span };
  }

  defStmt(ctx: C.DefStmtCstChildren, node: CstNode): A.DefStmt {
    const nameTok = need(ctx.Identifier);
    const params = (ctx.param ?? []).map((p) => this.param(p.children));
    const seen = new Set<string>();
    let sawDefault = false;
    for (const p of params) {
      if (seen.has(p.name)) this.report(1011, messages.duplicateParam(p.name), p.span);
      seen.add(p.name);
      if (p.default) sawDefault = true;
      else if (sawDefault) this.report(1012, messages.nonDefaultAfterDefault(p.name), p.span);
    }
    return {
      kind: 'DefStmt',
      name: nameTok.image,
      nameSpan: this.tokSpan(nameTok),
      params,
      body: this.block(need(ctx.block).children),
      span: this.nodeSpan(node),
    };
  }

  param(ctx: C.ParamCstChildren): A.Param {
    const nameTok = need(ctx.Identifier);
    const def = ctx.Assign ? this.test(need(ctx.test).children, need(ctx.test)) : null;
    const span = def ? this.fromTo(this.tokSpan(nameTok), def.span) : this.tokSpan(nameTok);
    return { name: nameTok.image, default: def, span };
  }

  returnStmt(ctx: C.ReturnStmtCstChildren, node: CstNode): A.ReturnStmt {
    const value = ctx.exprList ? this.exprList(need(ctx.exprList).children, need(ctx.exprList)) : null;
    return { kind: 'ReturnStmt', value, span: this.nodeSpan(node) };
  }

  withStmt(ctx: C.WithStmtCstChildren, node: CstNode): A.WithStmt {
    const context = this.test(need(ctx.test).children, need(ctx.test));
    const asName = ctx.As ? need(ctx.Identifier).image : null;
    return { kind: 'WithStmt', context, asName, body: this.block(need(ctx.block).children), span: this.nodeSpan(node) };
  }

  graphStmt(ctx: C.GraphStmtCstChildren, node: CstNode): A.GraphStmt {
    const nameTok = need(ctx.Identifier);
    return {
      kind: 'GraphStmt',
      name: nameTok.image,
      nameSpan: this.tokSpan(nameTok),
      body: this.block(need(ctx.block).children),
      span: this.nodeSpan(node),
    };
  }

  forStmt(ctx: C.ForStmtCstChildren, node: CstNode): A.ForStmt {
    return {
      kind: 'ForStmt',
      target: this.target(need(ctx.target).children, need(ctx.target)),
      iter: this.test(need(ctx.test).children, need(ctx.test)),
      body: this.block(need(ctx.block).children),
      span: this.nodeSpan(node),
    };
  }

  target(ctx: C.TargetCstChildren, node: CstNode): A.Target {
    const items = (ctx.targetItem ?? []).map((t) => this.targetItem(t.children, t));
    if (items.length === 0) throw new IncompleteCst('empty target');
    if (items.length === 1 && !ctx.Comma) return items[0];
    return { kind: 'TupleTarget', items, span: this.nodeSpan(node) };
  }

  targetItem(ctx: C.TargetItemCstChildren, node: CstNode): A.Target {
    if (ctx.Identifier) {
      const t = need(ctx.Identifier);
      return { kind: 'Name', name: t.image, span: this.tokSpan(t) };
    }
    const inner = this.target(need(ctx.target).children, need(ctx.target));
    // `[a]` unpacks a 1-sequence like `(a,)`; `(a)` is just `a`.
    if (ctx.LBracket && inner.kind === 'Name') return { kind: 'TupleTarget', items: [inner], span: this.nodeSpan(node) };
    return inner.kind === 'TupleTarget' ? { ...inner, span: this.nodeSpan(node) } : inner;
  }

  ifStmt(ctx: C.IfStmtCstChildren, node: CstNode): A.IfStmt {
    const span = this.nodeSpan(node);
    const tests = ctx.test ?? [];
    const blocks = ctx.block ?? [];
    const elifs = ctx.Elif ?? [];
    const branches = 1 + elifs.length;
    let orelse: A.Stmt[] = ctx.Else ? this.block(need(blocks, branches).children) : [];
    for (let i = branches - 1; i >= 0; i--) {
      const test = this.test(need(tests, i).children, need(tests, i));
      const body = this.block(need(blocks, i).children);
      const start = i === 0 ? span : this.tokSpan(elifs[i - 1]);
      const stmt: A.IfStmt = { kind: 'IfStmt', test, body, orelse, span: this.span(start.start, span.end) };
      if (i === 0) return stmt;
      orelse = [stmt];
    }
    throw new IncompleteCst('unreachable');
  }

  signatureStmt(ctx: C.SignatureStmtCstChildren, node: CstNode): A.SignatureStmt {
    const nameTok = ctx.Identifier ? need(ctx.Identifier) : need(ctx.Keyword);
    need(ctx.Arrow);
    return {
      kind: 'SignatureStmt',
      name: nameTok.image,
      nameSpan: this.tokSpan(nameTok),
      feeds: (ctx.test ?? []).map((t) => this.test(t.children, t)),
      fetches: this.exprList(need(ctx.exprList).children, need(ctx.exprList)),
      span: this.nodeSpan(node),
    };
  }

  trainStmt(ctx: C.TrainStmtCstChildren, node: CstNode): A.TrainStmt {
    const name = ctx.Identifier ? need(ctx.Identifier).image : null;
    return { kind: 'TrainStmt', name, entries: this.trainBlock(need(ctx.trainBlock).children), span: this.nodeSpan(node) };
  }

  trainBlock(ctx: C.TrainBlockCstChildren): A.TrainEntry[] {
    need(ctx.RBrace);
    const out: A.TrainEntry[] = [];
    for (const e of ctx.trainEntry ?? []) {
      try {
        out.push(this.trainEntry(e.children));
      } catch (err) {
        if (!(err instanceof IncompleteCst)) throw err;
      }
    }
    return out;
  }

  trainEntry(ctx: C.TrainEntryCstChildren): A.TrainEntry {
    const keyTok = need(ctx.Identifier ?? ctx.Keyword);
    const keySpan = this.tokSpan(keyTok);
    if (ctx.Assign) {
      const value = this.test(need(ctx.test).children, need(ctx.test));
      return { key: keyTok.image, keySpan, value, entries: null, span: this.fromTo(keySpan, value.span) };
    }
    const blockNode = need(ctx.trainBlock);
    const entries = this.trainBlock(blockNode.children);
    return { key: keyTok.image, keySpan, value: null, entries, span: this.fromTo(keySpan, this.nodeSpan(blockNode)) };
  }

  jumpStmt(ctx: C.JumpStmtCstChildren): A.PassStmt | A.BreakStmt | A.ContinueStmt {
    if (ctx.Pass) return { kind: 'PassStmt', span: this.tokSpan(need(ctx.Pass)) };
    if (ctx.Break) return { kind: 'BreakStmt', span: this.tokSpan(need(ctx.Break)) };
    return { kind: 'ContinueStmt', span: this.tokSpan(need(ctx.Continue)) };
  }

  // ---- expressions ----

  test(ctx: C.TestCstChildren, _node?: CstNode): A.Expr {
    const body = this.orTest(need(ctx.orTest).children);
    if (!ctx.If) return body;
    const cond = this.orTest(need(ctx.orTest, 1).children);
    const orelse = this.test(need(ctx.test).children, need(ctx.test));
    return { kind: 'Cond', test: cond, body, orelse, span: this.join(body, orelse) };
  }

  orTest(ctx: C.OrTestCstChildren): A.Expr {
    const parts = (ctx.andTest ?? []).map((n) => this.andTest(n.children));
    return this.logical(parts, 'or');
  }

  andTest(ctx: C.AndTestCstChildren): A.Expr {
    const parts = (ctx.notTest ?? []).map((n) => this.notTest(n.children));
    return this.logical(parts, 'and');
  }

  private logical(parts: A.Expr[], op: 'and' | 'or'): A.Expr {
    let left = need(parts);
    for (let i = 1; i < parts.length; i++) {
      const right = parts[i];
      left = { kind: 'Logical', op, left, right, span: this.join(left, right) };
    }
    return left;
  }

  notTest(ctx: C.NotTestCstChildren): A.Expr {
    if (ctx.Not) {
      const operand = this.notTest(need(ctx.notTest).children);
      return { kind: 'Not', operand, span: this.fromTo(this.tokSpan(need(ctx.Not)), operand.span) };
    }
    return this.comparison(need(ctx.comparison).children);
  }

  comparison(ctx: C.ComparisonCstChildren): A.Expr {
    const parts = (ctx.arith ?? []).map((n) => this.arith(n.children));
    const ops = ctx.CompareOp ?? [];
    let left = need(parts);
    for (let i = 1; i < parts.length; i++) {
      const opTok = need(ops, i - 1);
      if (i === 2) {
        this.report(1004, messages.chainedComparison, this.tokSpan(opTok), { expected: messages.chainedComparisonHint });
      }
      const right = parts[i];
      left = {
        kind: 'Compare',
        op: opTok.image as A.CompareOp,
        left,
        right,
        opSpan: this.tokSpan(opTok),
        span: this.join(left, right),
      };
    }
    return left;
  }

  arith(ctx: C.ArithCstChildren): A.Expr {
    return this.binaryChain((ctx.term ?? []).map((n) => this.term(n.children)), ctx.AddOp ?? []);
  }

  term(ctx: C.TermCstChildren): A.Expr {
    return this.binaryChain((ctx.factor ?? []).map((n) => this.factor(n.children)), ctx.MulOp ?? []);
  }

  /** Left-associative chain `a op b op c`. */
  private binaryChain(parts: A.Expr[], ops: IToken[]): A.Expr {
    let left = need(parts);
    for (let i = 1; i < parts.length; i++) {
      const opTok = need(ops, i - 1);
      const right = parts[i];
      left = {
        kind: 'Binary',
        op: opTok.image as A.BinaryOp,
        left,
        right,
        opSpan: this.tokSpan(opTok),
        span: this.join(left, right),
      };
    }
    return left;
  }

  factor(ctx: C.FactorCstChildren): A.Expr {
    if (ctx.AddOp) {
      const opTok = need(ctx.AddOp);
      const operand = this.factor(need(ctx.factor).children);
      return { kind: 'Unary', op: opTok.image as '-' | '+', operand, span: this.fromTo(this.tokSpan(opTok), operand.span) };
    }
    return this.power(need(ctx.power).children);
  }

  power(ctx: C.PowerCstChildren): A.Expr {
    const base = this.postfix(need(ctx.postfix).children);
    if (!ctx.Power) return base;
    const opTok = need(ctx.Power);
    const exp = this.factor(need(ctx.factor).children);
    return { kind: 'Binary', op: '**', left: base, right: exp, opSpan: this.tokSpan(opTok), span: this.join(base, exp) };
  }

  postfix(ctx: C.PostfixCstChildren): A.Expr {
    let e = this.atom(need(ctx.atom).children, need(ctx.atom));
    for (const t of ctx.trailer ?? []) e = this.trailer(t.children, t, e);
    return e;
  }

  trailer(ctx: C.TrailerCstChildren, node: CstNode, target?: A.Expr): A.Expr {
    if (!target) throw new IncompleteCst('trailer without target');
    const end = this.nodeSpan(node);
    const span = this.fromTo(target.span, end);
    if (ctx.LParen) {
      need(ctx.RParen);
      const args = (ctx.arg ?? []).map((a) => this.arg(a.children));
      let sawKeyword = false;
      const names = new Set<string>();
      for (const a of args) {
        if (a.name !== null) {
          sawKeyword = true;
          if (names.has(a.name)) this.report(1013, messages.duplicateKeyword(a.name), a.span);
          names.add(a.name);
        } else if (sawKeyword) this.report(1014, messages.positionalAfterKeyword, a.span);
      }
      return { kind: 'Call', callee: target, args, span };
    }
    if (ctx.LBracket) {
      need(ctx.RBracket);
      const indices = (ctx.subscript ?? []).map((s) => this.subscript(s.children, s));
      return { kind: 'Index', target, indices, span };
    }
    const nameTok = need(ctx.Identifier ?? ctx.Keyword);
    return { kind: 'Attr', target, attr: nameTok.image, attrSpan: this.tokSpan(nameTok), span };
  }

  arg(ctx: C.ArgCstChildren): A.Arg {
    const value = this.test(need(ctx.test).children, need(ctx.test));
    if (ctx.Assign) {
      const nameTok = need(ctx.Identifier);
      return { name: nameTok.image, value, span: this.fromTo(this.tokSpan(nameTok), value.span) };
    }
    return { name: null, value, span: value.span };
  }

  subscript(ctx: C.SubscriptCstChildren, node: CstNode): A.Expr | A.SliceExpr {
    const start = ctx.test ? this.test(need(ctx.test).children, need(ctx.test)) : null;
    if (!ctx.Colon) {
      if (!start) throw new IncompleteCst('empty subscript');
      return start;
    }
    const tail = need(ctx.sliceTail).children;
    const stop = tail.test ? this.test(need(tail.test).children, need(tail.test)) : null;
    const step = tail.sliceStep ? this.sliceStep(need(tail.sliceStep).children) : null;
    return { kind: 'Slice', start, stop, step, span: this.nodeSpan(node) };
  }

  sliceTail(_ctx: C.SliceTailCstChildren): null {
    return null; // read directly by subscript()
  }

  sliceStep(ctx: C.SliceStepCstChildren): A.Expr | null {
    return ctx.test ? this.test(need(ctx.test).children, need(ctx.test)) : null;
  }

  atom(ctx: C.AtomCstChildren, node: CstNode): A.Expr {
    if (ctx.IntLit || ctx.FloatLit) {
      const t = need(ctx.IntLit ?? ctx.FloatLit);
      const isInt = ctx.IntLit !== undefined;
      const value = isInt ? Number.parseInt(t.image, 10) : Number.parseFloat(t.image);
      return { kind: 'Number', value, isInt, raw: t.image, span: this.tokSpan(t) };
    }
    if (ctx.StringLit) {
      const toks = ctx.StringLit;
      const value = toks.map((t) => this.decodeString(t)).join('');
      return { kind: 'String', value, span: this.fromTo(this.tokSpan(toks[0]), this.tokSpan(toks[toks.length - 1])) };
    }
    if (ctx.True) return { kind: 'Bool', value: true, span: this.tokSpan(need(ctx.True)) };
    if (ctx.False) return { kind: 'Bool', value: false, span: this.tokSpan(need(ctx.False)) };
    if (ctx.None) return { kind: 'None', span: this.tokSpan(need(ctx.None)) };
    if (ctx.Identifier) {
      const t = need(ctx.Identifier);
      return { kind: 'Name', name: t.image, span: this.tokSpan(t) };
    }
    if (ctx.listAtom) return this.listAtom(need(ctx.listAtom).children, need(ctx.listAtom));
    if (ctx.parenAtom) return this.parenAtom(need(ctx.parenAtom).children, need(ctx.parenAtom));
    if (ctx.dictAtom) return this.dictAtom(need(ctx.dictAtom).children, need(ctx.dictAtom));
    throw new IncompleteCst(`empty atom at ${node.location?.startOffset}`);
  }

  listAtom(ctx: C.ListAtomCstChildren, node: CstNode): A.Expr {
    need(ctx.RBracket);
    const span = this.nodeSpan(node);
    const items = (ctx.test ?? []).map((t) => this.test(t.children, t));
    if (ctx.compFor) {
      const c = need(ctx.compFor).children;
      return {
        kind: 'Comp',
        elt: need(items),
        target: this.target(need(c.target).children, need(c.target)),
        iter: this.orTest(need(c.orTest).children),
        conds: (c.orTest ?? []).slice(1).map((n) => this.orTest(n.children)),
        span,
      };
    }
    return { kind: 'List', items, span };
  }

  compFor(_ctx: C.CompForCstChildren): null {
    return null; // read directly by listAtom()
  }

  parenAtom(ctx: C.ParenAtomCstChildren, node: CstNode): A.Expr {
    need(ctx.RParen);
    const items = (ctx.test ?? []).map((t) => this.test(t.children, t));
    if (items.length === 1 && !ctx.Comma) return items[0];
    return { kind: 'Tuple', items, span: this.nodeSpan(node) };
  }

  dictAtom(ctx: C.DictAtomCstChildren, node: CstNode): A.DictExpr {
    need(ctx.RBrace);
    const entries = (ctx.dictEntry ?? []).map((e) => this.dictEntry(e.children));
    return { kind: 'Dict', entries, span: this.nodeSpan(node) };
  }

  dictEntry(ctx: C.DictEntryCstChildren): { key: A.Expr; value: A.Expr; span: Span } {
    const key = this.test(need(ctx.test).children, need(ctx.test));
    const value = this.test(need(ctx.test, 1).children, need(ctx.test, 1));
    return { key, value, span: this.join(key, value) };
  }

  // ---- helpers ----

  private report(code: number, message: string, span: Span, extra: Partial<Diagnostic> = {}): void {
    this.diags.push(error(code, message, span, extra));
  }

  /** The value of a string token (Python escapes; an unterminated one ends at its line). */
  private decodeString(tok: IToken): string {
    const img = tok.image;
    const quote = img[0];
    const terminated = tok.tokenType === T.QuotedString && img.length >= 2 && img[img.length - 1] === quote;
    const body = img.slice(1, terminated ? -1 : undefined);
    let out = '';
    for (let i = 0; i < body.length; i++) {
      const ch = body[i];
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const at = tok.startOffset + 1 + i;
      const next = body[i + 1];
      if (next === undefined) break; // a lone trailing backslash of an unterminated string
      i++;
      const simple = SIMPLE_ESCAPES[next];
      if (simple !== undefined) {
        out += simple;
        continue;
      }
      if (next >= '0' && next <= '7') {
        let digits = next;
        while (digits.length < 3 && /[0-7]/.test(body[i + 1] ?? '')) digits += body[++i];
        out += String.fromCharCode(Number.parseInt(digits, 8));
        continue;
      }
      const hexLen = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
      if (hexLen > 0) {
        const hex = body.slice(i + 1, i + 1 + hexLen);
        const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === hexLen ? Number.parseInt(hex, 16) : NaN;
        if (!Number.isFinite(code) || code > 0x10ffff) {
          this.report(1009, messages.badEscape(`\\${next}${hex}`), this.span(at, at + 2 + hex.length), {
            expected: messages.badEscapeHint(next, hexLen),
          });
        } else out += String.fromCodePoint(code);
        i += hex.length;
        continue;
      }
      out += '\\' + next; // unknown escapes keep their backslash, as in Python
    }
    return out;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

/** How an expression that cannot be assigned to is named in messages. */
function describe(e: A.Expr): string {
  switch (e.kind) {
    case 'Call':
      return 'a function call';
    case 'Attr':
      return 'an attribute (graphs are immutable; bind a new name instead)';
    case 'Index':
      return 'an index (graphs are immutable; bind a new name instead)';
    case 'Number':
    case 'String':
    case 'Bool':
    case 'None':
      return 'a literal';
    case 'Dict':
      return 'a dict literal';
    case 'Comp':
      return 'a comprehension';
    case 'Compare':
      return 'a comparison';
    case 'Cond':
      return 'a conditional expression';
    default:
      return 'an expression';
  }
}
