/**
 * @fileoverview The construction-phase evaluator: runs a `.tfg` Program (AST of
 * grammar/ast.ts) the way Python runs a TF1 script, building graphs as a side effect.
 * Python scoping (module globals; a `def` makes a local scope whose locals are the names it
 * assigns anywhere in its body; `with`/`for`/`if`/`graph` blocks make none; comprehensions
 * have their own scope for their target), closures over the defining environment, defaults
 * evaluated at definition, tuple unpacking, augmented assignment, break/continue/return and
 * a recursion guard. `graph name { }` switches the default graph; `signature` and `train`
 * statements are recorded for the driver. Errors carry the span of the innermost expression
 * that raised them and stop evaluation, as a Python exception would.
 *
 * Bounded: every statement, expression, loop iteration and call is a step of the budget
 * (budget.ts; values and graph nodes made are charged too), so any program stops within
 * `maxSteps`; left-associative chains (`a + b + ...`, `a or b or ...`) are evaluated with a
 * loop down their left spine, so their length costs no stack; what does recurse is bounded by
 * the parser's nesting limit, and a JavaScript stack overflow (deep values such as a list
 * nested 100,000 times by a loop) is Python's RecursionError at the innermost expression.
 */
import { didYouMean } from '../diagnostics/suggest.js';
import type * as A from '../../grammar/ast.js';
import { CompileError, type Diagnostic, type Related, error } from '../diagnostics/diagnostic.js';
import type { Span } from '../diagnostics/span.js';
import { isStackOverflow, type Limits, resolveLimits } from '../diagnostics/limits.js';
import { Graph, type Node, Operation } from '../ir/graph.js';
import { ShapeError, formatShapePy } from '../ir/shape.js';
import { OpTypeError } from '../ops/def.js';
import { getAttribute, initializerCall } from './attributes.js';
import { globalEnvironment } from './builtins/index.js';
import { callDTypeAsPython } from './builtins/python.js';
import type { Ctx, GraphState } from './context.js';
import { applyOp, intArg } from './convert.js';
import { Budget, CHARS_PER_STEP, checkItems, NODE_STEPS, stepBudgetError, withBudget } from './budget.js';
import { FE, FrontendError, indexError, keyError, nameError, typeError, valueError } from './errors.js';
import { binaryOp, compareOp, unaryOp } from './operators.js';
import { VarScopeStore } from './scopes.js';
import { host } from '../host.js';
import {
  type FunctionValue,
  type Value,
  NONE,
  asTensorNode,
  bool,
  dict,
  float,
  hashKey,
  exactInt,
  int,
  intOverflow,
  iterate,
  list,
  loopItems,
  pyRepr,
  pyStr,
  shapeValue,
  str,
  tensor,
  truthy,
  tuple,
  typeName,
} from './values.js';

/** What a signature fetches: a tensor node, an operation, or lists/dicts of them. */
export type FetchSpec = Node | Operation | FetchSpec[] | { [k: string]: FetchSpec };

export interface Signature {
  name: string;
  graph: Graph;
  feeds: Node[];
  fetches: FetchSpec;
  span: Span;
}

export interface TrainRecipeEntry {
  key: string;
  keySpan: Span;
  span: Span;
  /** `key = expr`: its value; null for a nested block. */
  value: Value | null;
  entries: TrainRecipeEntry[] | null;
}

/** A `train` block, evaluated but not interpreted yet (issue 5 gives it meaning). */
export interface TrainRecipe {
  name: string | null;
  graph: Graph;
  span: Span;
  entries: TrainRecipeEntry[];
}

export const MAX_RECURSION_DEPTH = 200;

class ReturnSignal {
  constructor(readonly value: Value) {}
}
class BreakSignal {
  constructor(readonly span: Span) {}
}
class ContinueSignal {
  constructor(readonly span: Span) {}
}

/** A lexical environment. Function scopes know their locals (Python decides them statically). */
export class Scope {
  readonly vars = new Map<string, Value>();
  constructor(
    readonly parent: Scope | null,
    readonly kind: 'module' | 'function' | 'comprehension',
    readonly locals: Set<string> = new Set(),
  ) {}
}

/** Names a function body assigns (its locals), not looking into nested defs. */
export function assignedNames(body: A.Stmt[], out = new Set<string>()): Set<string> {
  const target = (t: A.Target): void => {
    if (t.kind === 'Name') out.add(t.name);
    else t.items.forEach(target);
  };
  for (const s of body) {
    switch (s.kind) {
      case 'AssignStmt':
        s.targets.forEach(target);
        break;
      case 'AugAssignStmt':
        out.add(s.target.name);
        break;
      case 'DefStmt':
        out.add(s.name);
        break;
      case 'ForStmt':
        target(s.target);
        assignedNames(s.body, out);
        break;
      case 'WithStmt':
        if (s.asName) out.add(s.asName);
        assignedNames(s.body, out);
        break;
      case 'IfStmt':
        assignedNames(s.body, out);
        assignedNames(s.orelse, out);
        break;
      case 'GraphStmt':
        out.add(s.name);
        assignedNames(s.body, out);
        break;
    }
  }
  return out;
}

export interface EvaluatorOptions {
  print?: (text: string) => void;
  /** Resource limits (compiler/diagnostics/limits.ts); the defaults where not given. */
  limits?: Partial<Limits>;
}

export class Evaluator implements Ctx {
  readonly defaultGraph = new Graph('default');
  readonly graphs = new Map<string, Graph>();
  readonly signatures: Signature[] = [];
  readonly trainRecipes: TrainRecipe[] = [];
  readonly notes: Diagnostic[] = [];
  readonly module = new Scope(null, 'module');
  private readonly builtins = globalEnvironment();
  private graphStack: Graph[] = [this.defaultGraph];
  private states = new WeakMap<Graph, GraphState>();
  private depth = 0;
  private noted = new Set<string>();
  private sigSpans = new Map<string, Span>();
  span: Span | null = null;
  private scope: Scope = this.module;
  /** The step budget of this evaluation (values and nodes made are charged to it as well). */
  readonly budget: Budget;
  private readonly maxSteps: number;
  /** Graph nodes already charged to the budget. */
  private chargedNodes = 0;

  constructor(private readonly opts: EvaluatorOptions = {}) {
    this.budget = new Budget(resolveLimits(opts.limits));
    this.maxSteps = this.budget.limits.maxSteps;
  }

  /** One step at `span`; past the budget, the located error. */
  private tick(span: Span): void {
    if (++this.budget.steps > this.maxSteps) {
      const e = stepBudgetError(this.maxSteps);
      e.span = span;
      throw e;
    }
  }

  /** Nodes in the graphs this program can reach (the default one, the named ones, the current one). */
  private nodeCount(): number {
    let n = this.defaultGraph.nodes.length;
    for (const g of this.graphs.values()) if (g !== this.defaultGraph) n += g.nodes.length;
    const cur = this.graph;
    if (cur !== this.defaultGraph && this.graphs.get(cur.name) !== cur) n += cur.nodes.length;
    return n;
  }

  /** Charge the nodes added since the last call (each once, however deeply builtins nest). */
  private chargeNodes(): void {
    const n = this.nodeCount();
    if (n > this.chargedNodes) this.budget.charge((n - this.chargedNodes) * NODE_STEPS);
    this.chargedNodes = n;
  }

  // ---- Ctx ----

  get graph(): Graph {
    return this.graphStack[this.graphStack.length - 1];
  }

  graphState(g: Graph = this.graph): GraphState {
    let s = this.states.get(g);
    if (!s) {
      s = { varScopes: new VarScopeStore() };
      this.states.set(g, s);
    }
    return s;
  }

  call(fn: Value, args: Value[], kwargs: [string, Value][] = []): Value {
    return this.callValue(fn, args, kwargs, this.span);
  }

  print(text: string): void {
    this.budget.charge(Math.ceil(text.length / CHARS_PER_STEP));
    (this.opts.print ?? ((s: string) => host().print(s)))(text);
  }

  pushGraph(g: Graph): () => void {
    const depth = this.graphStack.length;
    this.graphStack.push(g);
    return () => {
      this.graphStack.length = depth;
    };
  }

  note(code: number, message: string): void {
    if (this.noted.has(message)) return;
    this.noted.add(message);
    this.notes.push({ code, severity: 'note', message, span: this.span });
  }

  // ---- programs and statements ----

  run(program: A.Program): void {
    try {
      withBudget(this.budget, () => this.execBlock(program.body));
    } catch (e) {
      if (e instanceof ReturnSignal) throw new FrontendError(FE.SYNTAX_CONTEXT, 'SyntaxError', "'return' outside function");
      if (e instanceof BreakSignal) throw new FrontendError(FE.SYNTAX_CONTEXT, 'SyntaxError', "'break' outside loop", e.span);
      if (e instanceof ContinueSignal) throw new FrontendError(FE.SYNTAX_CONTEXT, 'SyntaxError', "'continue' not properly in loop", e.span);
      throw e;
    }
  }

  private execBlock(body: A.Stmt[]): void {
    for (const s of body) this.exec(s);
  }

  private exec(s: A.Stmt): void {
    this.tick(s.span);
    switch (s.kind) {
      case 'ExprStmt':
        this.eval(s.expr);
        return;
      case 'AssignStmt': {
        const v = this.eval(s.value);
        if (s.targets.length === 1) this.assignTarget(s.targets[0], v, s.span);
        else this.assignTarget({ kind: 'TupleTarget', items: s.targets, span: s.span }, v, s.span);
        return;
      }
      case 'AugAssignStmt': {
        const cur = this.lookup(s.target.name, s.target.span);
        const rhs = this.eval(s.value);
        let v: Value;
        if (cur.kind === 'list' && s.op === '+') {
          this.withSpan(s.span, () => {
            const more = iterate(rhs);
            checkItems(cur.items.length + more.length, 'a list');
            for (const x of more) cur.items.push(x);
          });
          v = cur;
        } else v = this.withSpan(s.span, () => binaryOp(this, s.op, cur, rhs));
        this.assign(s.target.name, v);
        return;
      }
      case 'DefStmt': {
        const defaults = s.params.map((p) => (p.default ? this.eval(p.default) : null));
        const locals = assignedNames(s.body);
        for (const p of s.params) locals.add(p.name);
        const f: FunctionValue = {
          kind: 'function',
          name: s.name,
          params: s.params,
          defaults,
          body: s.body,
          closure: this.scope,
          locals,
          attrs: new Map(),
          span: s.span,
        };
        this.assign(s.name, f);
        return;
      }
      case 'ReturnStmt':
        throw new ReturnSignal(s.value ? this.eval(s.value) : NONE);
      case 'WithStmt':
        return this.execWith(s);
      case 'GraphStmt': {
        let g = s.name === this.defaultGraph.name ? this.defaultGraph : this.graphs.get(s.name);
        if (!g) {
          g = new Graph(s.name);
          this.graphs.set(s.name, g);
        }
        this.assign(s.name, { kind: 'graph', graph: g });
        this.graphStack.push(g);
        try {
          this.execBlock(s.body);
        } finally {
          this.graphStack.pop();
        }
        return;
      }
      case 'ForStmt': {
        // Not charged as a copy: each iteration is a step.
        const items = this.withSpan(s.iter.span, () => loopItems(this.eval(s.iter)));
        for (const it of items) {
          this.tick(s.target.span);
          this.assignTarget(s.target, it, s.target.span);
          try {
            this.execBlock(s.body);
          } catch (e) {
            if (e instanceof BreakSignal) break;
            if (e instanceof ContinueSignal) continue;
            throw e;
          }
        }
        return;
      }
      case 'IfStmt': {
        const c = this.eval(s.test);
        if (this.withSpan(s.test.span, () => truthy(c))) this.execBlock(s.body);
        else this.execBlock(s.orelse);
        return;
      }
      case 'SignatureStmt':
        return this.execSignature(s);
      case 'TrainStmt':
        this.trainRecipes.push({ name: s.name, graph: this.graph, span: s.span, entries: s.entries.map((e) => this.trainEntry(e)) });
        return;
      case 'PassStmt':
        return;
      case 'BreakStmt':
        throw new BreakSignal(s.span);
      case 'ContinueStmt':
        throw new ContinueSignal(s.span);
    }
  }

  private trainEntry(e: A.TrainEntry): TrainRecipeEntry {
    return {
      key: e.key,
      keySpan: e.keySpan,
      span: e.span,
      value: e.value ? this.eval(e.value) : null,
      entries: e.entries ? e.entries.map((x) => this.trainEntry(x)) : null,
    };
  }

  private execWith(s: A.WithStmt): void {
    const cm = this.eval(s.context);
    if (cm.kind !== 'context') {
      throw new FrontendError(
        FE.TYPE,
        'TypeError',
        `'${typeName(cm)}' object does not support the context manager protocol (with takes name_scope, variable_scope or control_dependencies)`,
        s.context.span,
      );
    }
    const entered = this.withSpan(s.context.span, () => cm.enter());
    try {
      if (s.asName) this.assign(s.asName, entered);
      this.execBlock(s.body);
    } finally {
      cm.exit();
    }
  }

  private execSignature(s: A.SignatureStmt): void {
    const first = this.sigSpans.get(s.name);
    if (first) {
      throw new FrontendError(FE.SIGNATURE, null, `duplicate signature '${s.name}'`, s.nameSpan, [
        { span: first, message: `signature '${s.name}' was first defined here` },
      ]);
    }
    const feeds = s.feeds.map((f) => {
      const v = this.eval(f);
      const n = asTensorNode(v);
      if (!n)
        throw new FrontendError(
          FE.SIGNATURE,
          'TypeError',
          `signature feeds must be tensors (placeholders or other feedable tensors), got ${pyStr(v)} of type '${typeName(v)}'`,
          f.span,
        );
      return { n, span: f.span };
    });
    const fetchValue = this.eval(s.fetches);
    const fetches = this.withSpan(s.fetches.span, () => toFetchSpec(fetchValue));
    const nodes: { n: Node; span: Span }[] = [...feeds];
    collectFetchNodes(fetches, (n) => nodes.push({ n, span: s.fetches.span }));
    const graph = nodes.length ? nodes[0].n.graph : this.graph;
    for (const { n, span } of nodes) {
      if (n.graph !== graph) {
        throw new FrontendError(
          FE.SIGNATURE,
          'ValueError',
          `signature '${s.name}' mixes graphs: '${n.name}' is in graph '${n.graph.name}' but '${nodes[0].n.name}' is in graph '${graph.name}'`,
          span,
        );
      }
    }
    const seen = new Set<Node>();
    for (const { n, span } of feeds) {
      if (seen.has(n)) throw new FrontendError(FE.SIGNATURE, 'ValueError', `signature '${s.name}' feeds '${n.name}' twice`, span);
      seen.add(n);
    }
    this.sigSpans.set(s.name, s.nameSpan);
    this.signatures.push({ name: s.name, graph, feeds: feeds.map((f) => f.n), fetches, span: s.span });
  }

  // ---- names ----

  /** Every name visible here: the scopes' bindings and the builtins (for "did you mean"). */
  private *visibleNames(): Generator<string> {
    for (let s: Scope | null = this.scope; s; s = s.parent) yield* s.vars.keys();
    yield* this.builtins.keys();
  }

  private lookup(name: string, span: Span): Value {
    for (let s: Scope | null = this.scope; s; s = s.parent) {
      const v = s.vars.get(name);
      if (v !== undefined) return v;
      if (s.kind === 'function' && s.locals.has(name)) {
        throw new FrontendError(FE.NAME, 'UnboundLocalError', `local variable '${name}' referenced before assignment`, span);
      }
    }
    const b = this.builtins.get(name);
    if (b !== undefined) return b;
    const e = nameError(`name '${name}' is not defined${didYouMean(name, this.visibleNames())}`);
    e.span = span;
    throw e;
  }

  private assign(name: string, v: Value): void {
    this.scope.vars.set(name, v);
  }

  private assignTarget(t: A.Target, v: Value, span: Span): void {
    if (t.kind === 'Name') {
      this.assign(t.name, v);
      return;
    }
    const items = this.withSpan(span, () => {
      if (v.kind === 'tensor' || v.kind === 'variable')
        throw typeError('Tensor objects are only iterable when eager execution is enabled. To iterate over this tensor use tf.map_fn.');
      return iterate(v);
    });
    if (items.length !== t.items.length) {
      const msg =
        items.length > t.items.length
          ? `too many values to unpack (expected ${t.items.length})`
          : `not enough values to unpack (expected ${t.items.length}, got ${items.length})`;
      throw new FrontendError(FE.VALUE, 'ValueError', msg, span);
    }
    t.items.forEach((it, i) => this.assignTarget(it, items[i], it.span));
  }

  // ---- expressions ----

  /** Evaluate an expression; an error raised inside gets this expression's span if it has none yet. */
  eval(e: A.Expr): Value {
    try {
      this.tick(e.span);
      return this.evalInner(e);
    } catch (err) {
      throw annotate(err, e.span);
    }
  }

  /** Run an operation (an operator, a call, an attribute) at `span`; the nodes it adds are charged. */
  private withSpan<T>(span: Span, fn: () => T): T {
    const prev = this.span;
    this.span = span;
    try {
      const r = fn();
      this.chargeNodes();
      return r;
    } catch (err) {
      throw annotate(err, span);
    } finally {
      this.span = prev;
    }
  }

  private evalInner(e: A.Expr): Value {
    switch (e.kind) {
      case 'Number':
        return e.isInt ? intLiteral(e) : float(e.value);
      case 'String':
        return str(e.value);
      case 'Bool':
        return bool(e.value);
      case 'None':
        return NONE;
      case 'Name':
        return this.lookup(e.name, e.span);
      case 'List':
        return list(e.items.map((x) => this.eval(x)));
      case 'Tuple':
        return tuple(e.items.map((x) => this.eval(x)));
      case 'Dict':
        return dict(
          e.entries.map((en) => {
            const k = this.eval(en.key);
            const v = this.eval(en.value);
            this.withSpan(en.key.span, () => hashKey(k));
            return [k, v] as [Value, Value];
          }),
        );
      case 'Comp':
        return this.evalComp(e);
      case 'Unary': {
        const v = this.eval(e.operand);
        return this.withSpan(e.span, () => unaryOp(this, e.op, v));
      }
      case 'Binary': {
        if (e.op !== '**') return this.evalChain(e);
        const l = this.eval(e.left);
        const r = this.eval(e.right);
        return this.withSpan(e.span, () => binaryOp(this, e.op, l, r));
      }
      case 'Compare':
        return this.evalChain(e);
      case 'Logical':
        return this.evalLogical(e);
      case 'Not': {
        const v = this.eval(e.operand);
        return bool(!this.withSpan(e.operand.span, () => truthy(v)));
      }
      case 'Cond': {
        const c = this.eval(e.test);
        return this.withSpan(e.test.span, () => truthy(c)) ? this.eval(e.body) : this.eval(e.orelse);
      }
      case 'Call':
      case 'Index':
      case 'Attr':
        return this.evalTrailers(e);
    }
  }

  /**
   * A left-associative chain `((a + b) - c) < d`: the left spine is walked with a loop (left
   * operand first, then each right operand, as the nested evaluation would), so a chain of any
   * length costs no stack. Each node is a step and errors get the span of the node that raised.
   */
  private evalChain(e: A.BinaryExpr | A.CompareExpr): Value {
    const spine: (A.BinaryExpr | A.CompareExpr)[] = [];
    let cur: A.Expr = e;
    while ((cur.kind === 'Binary' && cur.op !== '**') || cur.kind === 'Compare') {
      if (cur !== e) this.tick(cur.span);
      spine.push(cur);
      cur = cur.left;
    }
    let v = this.eval(cur);
    for (let i = spine.length - 1; i >= 0; i--) {
      const n = spine[i];
      try {
        const r = this.eval(n.right);
        const l = v;
        v = this.withSpan(n.span, () => (n.kind === 'Binary' ? binaryOp(this, n.op, l, r) : compareOp(this, n.op, l, r)));
      } catch (err) {
        throw annotate(err, n.span);
      }
    }
    return v;
  }

  /** `a or b or c` / `a and b and c` with a loop down the left spine (short-circuit as Python). */
  private evalLogical(e: A.LogicalExpr): Value {
    const spine: A.LogicalExpr[] = [];
    let cur: A.Expr = e;
    while (cur.kind === 'Logical') {
      if (cur !== e) this.tick(cur.span);
      spine.push(cur);
      cur = cur.left;
    }
    let v = this.eval(cur);
    for (let i = spine.length - 1; i >= 0; i--) {
      const n = spine[i];
      const l = v;
      try {
        const lt = this.withSpan(n.left.span, () => truthy(l));
        if (n.op === 'and' ? lt : !lt) v = this.eval(n.right);
      } catch (err) {
        throw annotate(err, n.span);
      }
    }
    return v;
  }

  private evalComp(e: A.CompExpr): Value {
    const iterable = this.eval(e.iter);
    const items = this.withSpan(e.iter.span, () => loopItems(iterable));
    const saved = this.scope;
    this.scope = new Scope(saved, 'comprehension');
    try {
      const out: Value[] = [];
      for (const it of items) {
        this.tick(e.target.span);
        this.assignTarget(e.target, it, e.target.span);
        if (
          e.conds.every((c) => {
            const v = this.eval(c);
            return this.withSpan(c.span, () => truthy(v));
          })
        )
          out.push(this.eval(e.elt));
      }
      return list(out);
    } finally {
      this.scope = saved;
    }
  }

  /**
   * A chain of trailers `f(x)(y)[0].name`: the innermost target is evaluated, then each
   * trailer is applied in order with a loop, so a chain of any length costs no stack.
   */
  private evalTrailers(e: A.CallExpr | A.IndexExpr | A.AttrExpr): Value {
    const spine: (A.CallExpr | A.IndexExpr | A.AttrExpr)[] = [];
    let cur: A.Expr = e;
    while (cur.kind === 'Call' || cur.kind === 'Index' || cur.kind === 'Attr') {
      if (cur !== e) this.tick(cur.span);
      spine.push(cur);
      cur = cur.kind === 'Call' ? cur.callee : cur.target;
    }
    let v = this.eval(cur);
    for (let i = spine.length - 1; i >= 0; i--) {
      const n = spine[i];
      const target = v;
      try {
        if (n.kind === 'Call') v = this.evalCall(n, target);
        else if (n.kind === 'Index') v = this.evalIndex(n, target);
        else v = this.withSpan(n.span, () => getAttribute(this, target, n.attr));
      } catch (err) {
        throw annotate(err, n.span);
      }
    }
    return v;
  }

  private evalCall(e: A.CallExpr, fn: Value): Value {
    const args: Value[] = [];
    const kwargs: [string, Value][] = [];
    for (const a of e.args) {
      const v = this.eval(a.value);
      if (a.name === null) args.push(v);
      else {
        if (kwargs.some(([k]) => k === a.name)) throw new FrontendError(FE.ARGUMENTS, 'SyntaxError', `keyword argument repeated: ${a.name}`, a.span);
        kwargs.push([a.name, v]);
      }
    }
    return this.withSpan(e.span, () => this.callValue(fn, args, kwargs, e.span));
  }

  callValue(fn: Value, args: Value[], kwargs: [string, Value][], callSpan: Span | null): Value {
    switch (fn.kind) {
      case 'function':
        return this.callFunction(fn, args, kwargs, callSpan);
      case 'builtin':
        return fn.call(args, kwargs, this);
      case 'initializer':
        return initializerCall(fn).call(args, kwargs, this);
      case 'dtype':
        if (kwargs.length) throw typeError(`${fn.dtype}() takes no keyword arguments`);
        return callDTypeAsPython(fn.dtype, args);
      default:
        throw typeError(`'${typeName(fn)}' object is not callable`);
    }
  }

  private callFunction(f: FunctionValue, args: Value[], kwargs: [string, Value][], callSpan: Span | null): Value {
    const scope = new Scope(f.closure as Scope, 'function', f.locals);
    const n = f.params.length;
    if (args.length > n) {
      const req = f.defaults.filter((d) => d === null).length;
      const takes = req === n ? `${n}` : `from ${req} to ${n}`;
      throw new FrontendError(
        FE.ARGUMENTS,
        'TypeError',
        `${f.name}() takes ${takes} positional argument${n === 1 ? '' : 's'} but ${args.length} ${args.length === 1 ? 'was' : 'were'} given`,
      );
    }
    args.forEach((v, i) => scope.vars.set(f.params[i].name, v));
    for (const [k, v] of kwargs) {
      if (!f.params.some((p) => p.name === k))
        throw new FrontendError(
          FE.ARGUMENTS,
          'TypeError',
          `${f.name}() got an unexpected keyword argument '${k}'${didYouMean(
            k,
            f.params.map((p) => p.name),
            'plain',
          )}`,
        );
      if (scope.vars.has(k)) throw new FrontendError(FE.ARGUMENTS, 'TypeError', `${f.name}() got multiple values for argument '${k}'`);
      scope.vars.set(k, v);
    }
    const missing: string[] = [];
    f.params.forEach((p, i) => {
      if (scope.vars.has(p.name)) return;
      const d = f.defaults[i];
      if (d === null) missing.push(`'${p.name}'`);
      else scope.vars.set(p.name, d);
    });
    if (missing.length) {
      const names = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]}`;
      throw new FrontendError(
        FE.ARGUMENTS,
        'TypeError',
        `${f.name}() missing ${missing.length} required positional argument${missing.length === 1 ? '' : 's'}: ${names}`,
      );
    }
    if (callSpan) this.tick(callSpan);
    if (this.depth >= MAX_RECURSION_DEPTH) {
      throw new FrontendError(
        FE.RECURSION,
        'RecursionError',
        `maximum recursion depth exceeded: more than ${MAX_RECURSION_DEPTH} nested calls (in ${f.name}())`,
      );
    }
    const saved = this.scope;
    const savedSpan = this.span;
    this.scope = scope;
    this.depth++;
    try {
      this.execBlock(f.body);
      return NONE;
    } catch (e) {
      if (e instanceof ReturnSignal) return e.value;
      if (e instanceof BreakSignal) throw new FrontendError(FE.SYNTAX_CONTEXT, 'SyntaxError', "'break' outside loop", e.span);
      if (e instanceof ContinueSignal) throw new FrontendError(FE.SYNTAX_CONTEXT, 'SyntaxError', "'continue' not properly in loop", e.span);
      if (callSpan && (e instanceof FrontendError || e instanceof CompileError)) addCallNote(e, callSpan, f.name);
      throw e;
    } finally {
      this.depth--;
      this.scope = saved;
      this.span = savedSpan;
    }
  }

  private evalIndex(e: A.IndexExpr, target: Value): Value {
    const idx = e.indices.map((i) =>
      i.kind === 'Slice'
        ? { slice: true as const, start: i.start ? this.eval(i.start) : NONE, stop: i.stop ? this.eval(i.stop) : NONE, step: i.step ? this.eval(i.step) : NONE }
        : { slice: false as const, value: this.eval(i) },
    );
    return this.withSpan(e.span, () => indexValue(this, target, idx));
  }
}

type IndexItem = { slice: true; start: Value; stop: Value; step: Value } | { slice: false; value: Value };

/** Python slice bounds for a sequence of length n. */
function sliceRange(n: number, start: Value, stop: Value, step: Value): number[] {
  const st = step.kind === 'none' ? 1 : intArg(step, 'slice step');
  if (st === 0) throw valueError('slice step cannot be zero');
  const norm = (v: Value, def: number, lo: number, hi: number): number => {
    if (v.kind === 'none') return def;
    let i = intArg(v, 'slice index');
    if (i < 0) i += n;
    return Math.min(Math.max(i, lo), hi);
  };
  const out: number[] = [];
  if (st > 0) {
    const a = norm(start, 0, 0, n);
    const b = norm(stop, n, 0, n);
    for (let i = a; i < b; i += st) out.push(i);
  } else {
    const a = norm(start, n - 1, -1, n - 1);
    const b = norm(stop, -1, -1, n - 1);
    for (let i = a; i > b; i += st) out.push(i);
  }
  return out;
}

function indexValue(ctx: Evaluator, target: Value, idx: IndexItem[]): Value {
  if (target.kind === 'tensor' || target.kind === 'variable') {
    const spec = idx.map((i) => {
      if (i.slice) {
        const part = (v: Value, what: string): number | null => (v.kind === 'none' ? null : intArg(v, what));
        return { start: part(i.start, 'slice start'), stop: part(i.stop, 'slice stop'), step: part(i.step, 'slice step') };
      }
      if (i.value.kind === 'none') return 'newaxis' as const;
      return intArg(i.value, 'tensor index');
    });
    return tensor(
      applyOp(ctx, {
        op: 'strided_slice',
        tfType: 'StridedSlice',
        name: null,
        defaultName: 'strided_slice',
        inputs: [{ arg: 'input', value: target, type: 'T' }],
        attrs: { index: spec },
      }),
    );
  }
  if (idx.length !== 1) throw typeError(`${typeName(target)} indices must be integers or slices, not tuple`);
  const i = idx[0];
  switch (target.kind) {
    case 'list':
    case 'tuple':
    case 'str':
    case 'shape': {
      const items: Value[] = target.kind === 'shape' ? (target.dims === null ? [] : target.dims.map((d) => (d === null ? NONE : int(d)))) : iterate(target);
      if (target.kind === 'shape' && target.dims === null) throw valueError('Cannot index a shape of unknown rank.');
      if (i.slice) {
        const picked = sliceRange(items.length, i.start, i.stop, i.step).map((k) => items[k]);
        if (target.kind === 'str') return str(picked.map((p) => (p as { value: string }).value).join(''));
        if (target.kind === 'shape') return shapeValue(picked.map((p) => (p.kind === 'int' ? p.value : null)));
        return target.kind === 'list' ? list(picked) : tuple(picked);
      }
      if (i.value.kind !== 'int' && i.value.kind !== 'bool')
        throw typeError(`${target.kind === 'shape' ? 'TensorShape' : typeName(target)} indices must be integers or slices, not ${typeName(i.value)}`);
      let k = intArg(i.value, 'index');
      if (k < 0) k += items.length;
      if (k < 0 || k >= items.length) throw indexError(`${target.kind === 'shape' ? 'list' : typeName(target)} index out of range`);
      return items[k];
    }
    case 'dict': {
      if (i.slice) throw typeError("unhashable type: 'slice'");
      const e = target.map.get(hashKey(i.value));
      if (!e) throw keyError(pyRepr(i.value));
      return e.value;
    }
    default:
      throw typeError(`'${typeName(target)}' object is not subscriptable`);
  }
}

/** An int literal; one a double cannot hold exactly (`9007199254740993`) is OverflowError. */
function intLiteral(e: A.NumberExpr): Value {
  if (Number.isSafeInteger(e.value)) return int(e.value);
  if (!Number.isFinite(e.value) || BigInt(e.value) !== BigInt(e.raw)) throw intOverflow();
  return exactInt(e.value);
}

function toFetchSpec(v: Value): FetchSpec {
  switch (v.kind) {
    case 'tensor':
      return v.node;
    case 'variable':
      return v.info.node;
    case 'op':
      return new Operation(v.node);
    case 'list':
    case 'tuple':
      return v.items.map(toFetchSpec);
    case 'dict': {
      const o: { [k: string]: FetchSpec } = {};
      for (const e of v.map.values()) {
        if (e.key.kind !== 'str') throw typeError(`signature fetch dicts need string keys, got ${pyRepr(e.key)}`);
        o[e.key.value] = toFetchSpec(e.value);
      }
      return o;
    }
    default:
      throw typeError(
        `Fetch argument ${pyRepr(v)} has invalid type <class '${typeName(v)}'>, must be a string or Tensor. (Can not convert a ${typeName(v)} into a Tensor or Operation.)`,
      );
  }
}

function collectFetchNodes(f: FetchSpec, add: (n: Node) => void): void {
  if (f instanceof Operation) add(f.node);
  else if (Array.isArray(f)) f.forEach((x) => collectFetchNodes(x, add));
  else if ('graph' in f && 'op' in f && typeof (f as Node).id === 'number') add(f as Node);
  else for (const x of Object.values(f as { [k: string]: FetchSpec })) collectFetchNodes(x, add);
}

function addCallNote(e: FrontendError | CompileError, span: Span, fname: string): void {
  const note: Related = { span, message: `in the call of ${fname}()` };
  if (e instanceof FrontendError) e.related.push(note);
  else for (const d of e.diagnostics) d.related = [...(d.related ?? []), note];
}

/** Give an error the span of the expression it escaped from, converting foreign errors. */
function annotate(err: unknown, span: Span): unknown {
  if (err instanceof FrontendError) {
    if (!err.span) err.span = span;
    return err;
  }
  if (err instanceof ReturnSignal || err instanceof BreakSignal || err instanceof ContinueSignal || err instanceof CompileError) return err;
  if (err instanceof ShapeError) return new FrontendError(FE.VALUE, 'ValueError', err.message, span);
  if (err instanceof OpTypeError) return new FrontendError(FE.TYPE, 'TypeError', err.message, span);
  if (isStackOverflow(err)) return new FrontendError(FE.RECURSION, 'RecursionError', 'maximum recursion depth exceeded', span);
  if (err instanceof RangeError && (err.message.includes('Invalid string length') || err.message.includes('Invalid array length'))) {
    // A size no pre-check caught, refused by the JavaScript engine: the size limit, not a crash.
    return new FrontendError(FE.SIZE_LIMIT, 'MemoryError', `value too large to build when the graph is built (${err.message})`, span);
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new FrontendError(FE.INTERNAL, null, `internal error while building the graph: ${msg}`, span);
}

/** Convert a thrown error into diagnostics. */
export function diagnosticsOf(err: unknown): Diagnostic[] {
  if (err instanceof CompileError) return err.diagnostics;
  if (err instanceof FrontendError) return [error(err.code, err.message, err.span, err.related.length ? { related: err.related } : {})];
  if (isStackOverflow(err)) return [error(FE.RECURSION, 'RecursionError: maximum recursion depth exceeded', null)];
  const msg = err instanceof Error ? err.message : String(err);
  return [error(FE.INTERNAL, `internal error while building the graph: ${msg}`, null)];
}

export { formatShapePy };
