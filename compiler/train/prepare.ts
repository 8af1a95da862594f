/**
 * @fileoverview Turns a built program and its checked plan into something to train: applies the
 * `--lr` override (a constant named `learning_rate` — the optimizers name a Python-number rate
 * `<Optimizer>/learning_rate` — is rewritten in place; a placeholder so named is fed the value
 * every step), adds a `tfg_train/init` group of every variable initializer when the recipe gives
 * no `init`, and opens the session on the chosen backend. For the wasm backend the train step
 * (train op + loss), the train step with summaries, and the eval step (metrics) are compiled as
 * signatures, so each step is ONE exported call.
 */
import { type Signature } from '../frontend/index.js';
import type { BuildResult } from '../frontend/index.js';
import { ReferenceSession } from '../interp/session.js';
import { type Graph, type Node, Operation } from '../ir/graph.js';
import { makeNode } from '../ops/build.js';
import { compileGraph } from '../driver.js';
import { loadModelSync } from '../../session/wasm/model.js';
import { InvalidArgumentError } from '../../session/errors.js';
import type { TrainPlan, TrainSession } from '../../session/train/plan.js';

/** Nodes a `--lr` value applies to: constants or placeholders named `learning_rate` (any scope). */
export function learningRateNodes(graph: Graph): Node[] {
  return graph.nodes.filter((n) => (n.op === 'const' || n.op === 'placeholder') && (n.name === 'learning_rate' || n.name.endsWith('/learning_rate')));
}

/** Apply `--lr`: rewrite scalar constants, feed placeholders. Returns the node names touched. */
export function overrideLearningRate(graph: Graph, plan: TrainPlan, lr: number): string[] {
  const nodes = learningRateNodes(graph);
  if (nodes.length === 0) throw new InvalidArgumentError(`--lr: graph '${graph.name}' has no constant or placeholder named learning_rate (name the rate learning_rate, or pass it to an optimizer as a number)`);
  for (const n of nodes) {
    const size = (n.shape ?? []).reduce<number>((a, b) => a * (b ?? 1), 1);
    if (size !== 1) throw new InvalidArgumentError(`--lr: '${n.name}' is not a scalar (shape ${JSON.stringify(n.shape)})`);
    if (n.op === 'const') n.attrs = { ...n.attrs, value: [lr] };
    else plan.constant_feeds[n.name] = lr;
  }
  return nodes.map((n) => n.name);
}

/** Make sure the plan has an init op: the recipe's, else a new group of every global variable's initializer. */
export function ensureInit(graph: Graph, plan: TrainPlan): void {
  if (plan.init) return;
  const deps = graph.globalVariables().map((v) => v.initializer);
  const existing = graph.get('tfg_train/init');
  if (existing) {
    plan.init = existing.name;
    return;
  }
  const n = graph.withNameScope(null, () => makeNode(graph, deps.length ? 'group' : 'no_op', [], {}, { name: 'tfg_train/init/', controlInputs: deps }));
  plan.init = n.name;
}

export type Backend = 'reference' | 'wasm';

export interface OpenedSession {
  session: TrainSession;
  backend: Backend;
  /** Kernel counts per compiled signature (wasm). */
  kernels?: number[];
  close(): void;
}

/** The signatures `tfg train` compiles for the wasm backend. */
export function trainSignatures(graph: Graph, plan: TrainPlan): Signature[] {
  const ph = [...Object.keys(plan.feed), ...Object.keys(plan.constant_feeds)].map((n) => graph.get(n)!);
  const op = new Operation(graph.get(plan.op)!);
  const loss = plan.loss ? [graph.get(plan.loss)!] : [];
  const span = graph.get(plan.op)!.span!;
  const sigs: Signature[] = [{ name: 'tfg_train_step', graph, feeds: ph, fetches: [op, ...loss], span }];
  const summ = Object.values(plan.summaries.scalars).map((n) => graph.get(n)!);
  if (summ.length) sigs.push({ name: 'tfg_train_step_summaries', graph, feeds: ph, fetches: [op, ...loss, ...summ], span });
  const evalNodes = [...Object.values(plan.metrics), ...(plan.loss && !Object.values(plan.metrics).includes(plan.loss) ? [plan.loss] : [])].map((n) => graph.get(n)!);
  if (evalNodes.length) sigs.push({ name: 'tfg_eval_step', graph, feeds: ph, fetches: evalNodes, span });
  return sigs;
}

/** Open a session for training on a backend (wasm: compile the train/eval signatures first). */
export function openTrainSession(result: BuildResult, graph: Graph, plan: TrainPlan, backend: Backend, seed?: number): OpenedSession {
  if (backend === 'reference') {
    const s = new ReferenceSession(graph, seed === undefined ? {} : { seed });
    return { session: s as unknown as TrainSession, backend, close: () => s.close() };
  }
  const sigs = [...result.signatures.filter((s) => s.graph === graph), ...trainSignatures(graph, plan)];
  const c = compileGraph(graph, sigs);
  const model = loadModelSync(c.wasm as unknown as BufferSource);
  const s = model.createSession(seed === undefined ? {} : { seed });
  return { session: s as unknown as TrainSession, backend, kernels: c.kernelCounts, close: () => s.close() };
}
