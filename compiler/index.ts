/**
 * @fileoverview `tfg`: the compiler API for Node. Build a `.tfg` program (the construction
 * phase, with TF1's naming and errors), compile it to WebAssembly through the named stages,
 * open a Session on it (the compiled module, or the reference interpreter that defines what
 * every op means), check and run its training recipe. The loader (`tfg/loader`, browser-safe)
 * and its Node additions (`tfg/node`) are re-exported.
 *
 * ```ts
 * import { buildProgram, compileProgram, openSession } from 'tfg';
 * const program = buildProgram(source, 'model.tfg');
 * const { wasm, manifest } = compileProgram(program, { signatures: ['predict'], generic: false });
 * const { session } = openSession(program);              // wasm by default
 * ```
 */
export { buildProgram, type BuildResult, type BuildOptions, type Signature, type TrainRecipe } from './frontend/index.js';
export {
  STAGES,
  STAGE_NAMES,
  type StageName,
  type CompileOptions,
  type CompileState,
  type RunOptions,
  StageError,
  compileSource,
  compileProgram,
  compileGraph,
  runStages,
  stageHelp,
} from './driver.js';
export type { CompiledProgram } from './emit/index.js';
export { writeCompiled } from './emit/write.js';
export { openSession, type OpenOptions, type OpenedSession } from './session.js';
export { ReferenceSession, type SessionOptions } from './interp/session.js';
export { checkProgramRecipe, checkRecipe, ensureInit, overrideLearningRate, recipeSignatures, recipeGraph } from './frontend/recipe.js';
export { CompileError, type Diagnostic, formatDiagnostic, formatDiagnostics } from './diagnostics/diagnostic.js';
export { Graph, Node, Operation } from './ir/graph.js';
export { printGraph } from './ir/printer.js';
export { OPS } from './ops/registry.js';
export * from '../session/node.js';
export { Trainer, type TrainEvent, type TrainResult } from '../session/train/trainer.js';
export type { TrainPlan } from '../session/train/plan.js';
export { loadTrainDataNode } from '../session/node/data.js';
