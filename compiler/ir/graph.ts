/**
 * @fileoverview The graph IR: nodes with an op, tensor inputs, control inputs, attributes, a
 * dtype and static shape, a TF1 name and the source span of the expression that made them.
 * A Graph owns its nodes, TF1's name bookkeeping (unique_name, name scopes), collections
 * (global and trainable variables, summaries) and the variable store used by get_variable.
 *
 * Every node has at most one output. Nodes whose op produces no value (no_op, group,
 * initializers) have dtype null; fetching them gives None, as fetching a TF1 Operation does.
 */
import type { DType } from '../../session/dtype.js';
import type { Span } from '../diagnostics/span.js';
import type { Shape } from './shape.js';

/** Attribute values: plain data only, so graphs print, hash and serialise. */
export type AttrValue = number | string | boolean | null | AttrValue[] | { [k: string]: AttrValue };
export type Attrs = Record<string, AttrValue>;

export class Node {
  /** Gradient bookkeeping: the forward node a backward node was made for (issue 3). */
  forward: Node | null = null;
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly op: string,
    readonly name: string,
    public inputs: Node[],
    public controlInputs: Node[],
    public attrs: Attrs,
    public dtype: DType | null,
    public shape: Shape,
    public span: Span | null,
  ) {}

  /** TF1 tensor name, `name:0`. */
  get tensorName(): string {
    return `${this.name}:0`;
  }

  /** True when the node produces a value (a TF1 Tensor); false for pure operations. */
  get hasOutput(): boolean {
    return this.dtype !== null;
  }

  toString(): string {
    return this.name;
  }
}

/** A handle on a node as a TF1 Operation: fetching it runs it and gives None. */
export class Operation {
  constructor(readonly node: Node) {}
  get name(): string {
    return this.node.name;
  }
}

export interface VariableInfo {
  /** The variable node (op 'variable'). */
  node: Node;
  /** Its initializer (an 'assign' node from the initial value). */
  initializer: Node;
  /** The initial-value node. */
  initialValue: Node;
  trainable: boolean;
  /** Created by get_variable (true) or variable()/tf.Variable (false). */
  fromGetVariable: boolean;
}

export interface NodeOptions {
  controlInputs?: Node[];
  span?: Span | null;
}

export type GraphHook = (node: Node) => void;

/**
 * One `with control_dependencies(inputs)` block (TF1's `_ControlDependenciesController`): its
 * control inputs and the nodes created while it was on the stack (`seen`), which TF1 uses to
 * prune control edges a data edge already implies.
 */
export interface ControlController {
  readonly inputs: readonly Node[];
  readonly seen: Set<Node>;
}

export class Graph {
  readonly nodes: Node[] = [];
  private byName = new Map<string, Node>();
  /** TF1's _names_in_use: lower-cased name → count. */
  private namesInUse = new Map<string, number>();
  /** Current name scope (no trailing slash; '' at the root). */
  nameStack = '';
  /** Graph-level random seed (set_random_seed), or null. */
  seed: number | null = null;
  /** Collections, TF1 style. */
  readonly collections = new Map<string, Node[]>();
  /** Variables by variable node name. */
  readonly variables = new Map<string, VariableInfo>();
  /** get_variable's store: full variable name → info. */
  readonly varStore = new Map<string, VariableInfo>();
  /** Control-dependency stack (`with control_dependencies(...)`): see enterControlDependencies. */
  controlStack: ControlController[] = [];
  /** Called for every node added (used by gradient bookkeeping, tracing). */
  hooks: GraphHook[] = [];

  constructor(readonly name: string = 'default') {}

  // ---- naming (tensorflow/python/framework/ops.py: Graph.unique_name, name_scope) ----

  /** TF1's Graph.unique_name: prefixes the name scope, dedups case-insensitively. */
  uniqueName(name: string, markAsUsed = true): string {
    if (this.nameStack) name = `${this.nameStack}/${name}`;
    let nameKey = name.toLowerCase();
    let i = this.namesInUse.get(nameKey) ?? 0;
    if (markAsUsed) this.namesInUse.set(nameKey, i + 1);
    if (i > 0) {
      const baseKey = nameKey;
      while (this.namesInUse.has(nameKey)) {
        nameKey = `${baseKey}_${i}`;
        i += 1;
      }
      if (markAsUsed) this.namesInUse.set(nameKey, 1);
      name = `${name}_${i - 1}`;
    }
    return name;
  }

  /**
   * Enter a name scope as TF1's `Graph.name_scope(name)`: returns the new scope string (with a
   * trailing '/', or '' for the root) and the previous stack to restore.
   * A name ending in '/' re-enters that scope as is; null or '' resets to the root.
   */
  enterNameScope(name: string | null): { scope: string; previous: string } {
    const previous = this.nameStack;
    let newStack: string;
    if (name) {
      if (name.endsWith('/')) newStack = name.slice(0, -1);
      else newStack = this.uniqueName(name);
    } else newStack = '';
    this.nameStack = newStack;
    return { scope: newStack ? `${newStack}/` : '', previous };
  }

  exitNameScope(previous: string): void {
    this.nameStack = previous;
  }

  /** Run `fn` inside a name scope; returns fn's result. */
  withNameScope<T>(name: string | null, fn: (scope: string) => T): T {
    const { scope, previous } = this.enterNameScope(name);
    try {
      return fn(scope);
    } finally {
      this.exitNameScope(previous);
    }
  }

  /** The name an op gets: a name ending in '/' is used exactly (minus the slash), else unique_name. */
  opName(name: string): string {
    if (name.endsWith('/')) return name.slice(0, -1);
    return this.uniqueName(name);
  }

  // ---- nodes ----

  /**
   * Add a node. The caller (ops/build.ts) has already inferred dtype and shape and chosen the
   * final name via opName(). Control dependencies from the control stack are added here.
   */
  addNode(op: string, name: string, inputs: Node[], attrs: Attrs, dtype: DType | null, shape: Shape, opts: NodeOptions = {}): Node {
    for (const i of inputs) if (i.graph !== this) throw new Error(`Tensor ${i.name} must be from the same graph as ${name}`);
    const ctrl = [...(opts.controlInputs ?? [])];
    for (const c of this.controlDependenciesFor(inputs)) if (!ctrl.includes(c)) ctrl.push(c);
    const node = new Node(this, this.nodes.length, op, name, inputs, ctrl, attrs, dtype, shape, opts.span ?? null);
    this.nodes.push(node);
    this.byName.set(name, node);
    // TF1's _record_op_seen_by_control_dependencies
    for (const c of this.controlStack) c.seen.add(node);
    for (const h of this.hooks) h(node);
    return node;
  }

  // ---- control dependencies (ops.py: Graph.control_dependencies, _ControlDependenciesController) ----

  /**
   * TF1's `_control_dependencies_for_inputs`: the control inputs a node with these data inputs
   * gets. A block whose own nodes include one of the inputs adds nothing (the input already
   * runs after the block's dependencies), and a dependency that is already a data input is not
   * repeated as a control input.
   */
  controlDependenciesFor(inputs: readonly Node[]): Node[] {
    const out: Node[] = [];
    for (const c of this.controlStack) {
      if (inputs.some((i) => c.seen.has(i))) continue;
      for (const d of c.inputs) if (!inputs.includes(d) && !out.includes(d)) out.push(d);
    }
    return out;
  }

  /** The control inputs of every open block (TF1's `_current_control_dependencies`). */
  currentControlDependencies(): Set<Node> {
    const out = new Set<Node>();
    for (const c of this.controlStack) for (const d of c.inputs) out.add(d);
    return out;
  }

  /**
   * Enter `with control_dependencies(inputs)`: inputs already in force are dropped (TF1
   * deduplicates against the open blocks); null clears them (a new stack, as TF1's
   * `control_dependencies(None)` and `init_scope()`). Returns the function that leaves the block.
   */
  enterControlDependencies(inputs: readonly Node[] | null): () => void {
    const saved = this.controlStack;
    if (inputs === null) this.controlStack = [];
    const current = this.currentControlDependencies();
    const fresh: Node[] = [];
    for (const d of inputs ?? []) {
      if (current.has(d)) continue;
      current.add(d);
      fresh.push(d);
    }
    const controller: ControlController = { inputs: fresh, seen: new Set() };
    this.controlStack = [...this.controlStack, controller];
    return () => {
      this.controlStack = saved;
    };
  }

  /** Run `fn` inside `with control_dependencies(inputs)` (null: with none). */
  withControlDependencies<T>(inputs: readonly Node[] | null, fn: () => T): T {
    const exit = this.enterControlDependencies(inputs);
    try {
      return fn();
    } finally {
      exit();
    }
  }

  get(name: string): Node | undefined {
    return this.byName.get(name);
  }

  /** Id of the last node created (TF1's Graph._last_id, used for op seeds). */
  get lastId(): number {
    return this.nodes.length;
  }

  /** Members added as operations (TF1 keeps the Operation object, not its tensor), by key. */
  private readonly operationMembers = new Map<string, Set<Node>>();

  addToCollection(key: string, node: Node, asOperation = false): void {
    const list = this.collections.get(key) ?? [];
    if (!list.includes(node)) list.push(node);
    this.collections.set(key, list);
    if (asOperation) this.markOperationMember(key, node);
  }

  private markOperationMember(key: string, node: Node): void {
    const s = this.operationMembers.get(key) ?? new Set<Node>();
    s.add(node);
    this.operationMembers.set(key, s);
  }

  /** Was `node` added to the collection as an Operation (rather than as its tensor)? */
  isOperationMember(key: string, node: Node): boolean {
    return !node.hasOutput || (this.operationMembers.get(key)?.has(node) ?? false);
  }

  getCollection(key: string): Node[] {
    return [...(this.collections.get(key) ?? [])];
  }

  /** TF1's Graph.add_to_collection: appends (collections are lists, not sets). */
  appendToCollection(key: string, node: Node, asOperation = false): void {
    const list = this.collections.get(key) ?? [];
    list.push(node);
    this.collections.set(key, list);
    if (asOperation) this.markOperationMember(key, node);
  }

  /** The collection keys in creation order (TF1's `Graph.collections`). */
  collectionKeys(): string[] {
    return [...this.collections.keys()];
  }

  clearCollection(key: string): void {
    this.collections.delete(key);
    this.operationMembers.delete(key);
  }

  globalVariables(): VariableInfo[] {
    return this.getCollection(GLOBAL_VARIABLES).map((n) => this.variables.get(n.name)!);
  }

  trainableVariables(): VariableInfo[] {
    return this.getCollection(TRAINABLE_VARIABLES).map((n) => this.variables.get(n.name)!);
  }
}

export const GLOBAL_VARIABLES = 'variables';
export const TRAINABLE_VARIABLES = 'trainable_variables';
export const SUMMARIES = 'summaries';
