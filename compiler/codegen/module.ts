/**
 * @fileoverview The one place that imports binaryen (as AssemblyScript's `src/module.ts` does):
 * a small typed wrapper to build a WebAssembly module with SIMD — memory (imported or owned),
 * imported functions (e.g. the AssemblyScript runtime kernels), functions with named locals,
 * scalar and v128 expressions, loops and blocks, exports and custom sections — then validate
 * (throwing with binaryen's own message), optimize and emit binary/text.
 *
 * Optimisation is chosen per function (`optimizeFunctions`, the default of a compile): a function
 * with a loop (an elementwise or reduction kernel of a signature) gets a short local clean-up pass
 * list; a straight-line function (an entry calling its kernels, a call into the runtime) and a
 * cold one (the generic plan's per-node kernels, `markCold`) none. V8's optimising tier compiles
 * the hot loops equally well from either form (bench/compile.ts `--run-ab` measures the run time
 * of each choice, docs/benchmarks.md); the clean-up keeps the code small. `optimize()` runs
 * binaryen's whole -O3 pipeline over the module (smaller code, ~10× the time).
 *
 * Input: calls from codegen. Output: `Uint8Array` module bytes (or `.wat` text).
 * Codegen never sees binaryen's types: expressions are the opaque `Expr`.
 */
import type B from 'binaryen';
import binaryen from './binaryen.js';

import type { BinaryOp, Expr, Local, ResultType, Scalar, UnaryOp, ValType, WasmOps } from '../ops/lower-api.js';

// The vocabulary of the wrapper (value types, expressions, locals, operator names) is declared
// beside the op definitions (compiler/ops/lower-api.ts), which lower onto it without importing
// codegen; it is re-exported here for the rest of codegen.
export type { BinaryOp, Expr, Local, ResultType, UnaryOp, ValType };

/** Features every tfg module is built with. */
export const FEATURES: number =
  binaryen.Features.SIMD128 |
  binaryen.Features.BulkMemory |
  // memory.copy/fill need the split-off feature too in binaryen ≥ 121 (else an assertion aborts)
  ((binaryen.Features as unknown as Record<string, number>).BulkMemoryOpt ?? 0) |
  binaryen.Features.MutableGlobals |
  binaryen.Features.SignExt |
  binaryen.Features.NontrappingFPToInt;

/** Bytes in a wasm page. */
export const PAGE_BYTES = 65536;
/**
 * Default declared maximum of the module's memory (4 GiB, the wasm32 cap). binaryen always
 * declares a maximum, and an imported memory must then be created with a maximum no larger
 * (`new WebAssembly.Memory({ initial, maximum })`, see `createSharedMemory` in runtime-as/abi.ts).
 */
export const MAX_MEMORY_PAGES = 65536;

function btype(t: ResultType): B.Type {
  switch (t) {
    case 'i32':
      return binaryen.i32;
    case 'i64':
      return binaryen.i64;
    case 'f32':
      return binaryen.f32;
    case 'f64':
      return binaryen.f64;
    case 'v128':
      return binaryen.v128;
    case 'none':
      return binaryen.none;
  }
}
function btypes(ts: readonly ValType[]): B.Type {
  return ts.length === 0 ? binaryen.none : ts.length === 1 ? btype(ts[0]!) : binaryen.createType(ts.map(btype));
}

/** Natural alignment (bytes) of a load/store of this type. */
export function naturalAlign(t: ValType): number {
  return t === 'i32' || t === 'f32' ? 4 : t === 'v128' ? 16 : 8;
}

/** Thrown by `validate()` with binaryen's validator output. */
export class ModuleValidationError extends Error {
  constructor(readonly details: string) {
    super(`generated WebAssembly module is invalid:\n${details}`);
  }
  override get name(): string {
    return 'ModuleValidationError';
  }
}

/** Memory of the module: imported (shared with the runtime), or owned by it. */
export type MemoryOptions =
  | { kind: 'import'; module?: string; name?: string; initialPages: number; maximumPages?: number }
  | { kind: 'own'; initialPages: number; maximumPages?: number; exportAs?: string };

/**
 * The passes `optimizeFunctions` runs on a function, by its shape. Codegen writes every address,
 * bound and stride into a local of its own, set once: simplify-locals sinks each into its uses,
 * vacuum drops what that leaves, reorder-locals drops the unused locals (a function with a loop:
 * about a sixth less code, for a tenth of -O3's time). Nothing runs on a straight-line function.
 */
export const FUNCTION_PASSES: Readonly<Record<'loop' | 'straight' | 'cold', readonly string[]>> = {
  loop: ['simplify-locals-nostructure', 'vacuum', 'reorder-locals'],
  straight: [],
  cold: [],
};

export interface OptimizeOptions {
  /** 0..4 (default 3). */
  optimizeLevel?: number;
  /** 0..2 (default 0: speed). */
  shrinkLevel?: number;
}

/** Builds one function: parameters are locals 0..n-1, `local(type)` adds more. */
export class FunctionBuilder {
  private readonly locals: ValType[] = [];
  readonly params: readonly Local[];
  /** Loops the module had made when this function began (a loop made since is in its body). */
  private readonly loopsBefore: number;
  constructor(
    readonly module: WasmModule,
    readonly name: string,
    paramTypes: readonly ValType[],
    readonly result: ResultType,
  ) {
    this.params = paramTypes.map((type, index) => ({ index, type }));
    this.loopsBefore = module.loopCount;
  }
  /** Parameter i. */
  param(i: number): Local {
    const p = this.params[i];
    if (!p) throw new RangeError(`function ${this.name} has no parameter ${i}`);
    return p;
  }
  /** A new local of this type. */
  local(type: ValType): Local {
    this.locals.push(type);
    return { index: this.params.length + this.locals.length - 1, type };
  }
  get(l: Local): Expr {
    return this.module.getLocal(l);
  }
  set(l: Local, value: Expr): Expr {
    return this.module.setLocal(l, value);
  }
  tee(l: Local, value: Expr): Expr {
    return this.module.teeLocal(l, value);
  }
  /** Add the function to the module with this body (a list becomes a block). */
  finish(body: Expr | readonly Expr[], exportAs?: string): void {
    const b = Array.isArray(body) ? this.module.block(null, body as readonly Expr[], this.result === 'none' ? 'none' : this.result) : (body as Expr);
    this.module.addFunction(
      this.name,
      this.params.map((p) => p.type),
      this.result,
      this.locals,
      b,
      this.module.loopCount > this.loopsBefore ? 'loop' : 'straight',
    );
    if (exportAs !== undefined) this.module.exportFunction(this.name, exportAs);
  }
}

/** A WebAssembly module under construction. Call `dispose()` when done with it. */
export class WasmModule implements WasmOps {
  private readonly m: B.Module;
  private labelCounter = 0;
  private disposed = false;
  /** Loops made so far (a FunctionBuilder tells from it whether its body has one). */
  loopCount = 0;
  /** Run-time failure checks emitted so far (expr.ts `fail`): a kernel with one is not split across threads. */
  failSites = 0;
  /** binaryen's builder of each binary op used, by name (looked up once). */
  private readonly binaryOps = new Map<string, (x: number, y: number) => number>();
  /** The shape of each function added, for `optimizeFunctions`. */
  private readonly shapes = new Map<string, keyof typeof FUNCTION_PASSES>();

  constructor(memory: MemoryOptions) {
    this.m = new binaryen.Module();
    this.m.setFeatures(FEATURES);
    if (memory.kind === 'import') {
      // Declare the memory, then turn it into an import (binaryen's order).
      this.m.setMemory(memory.initialPages, memory.maximumPages ?? MAX_MEMORY_PAGES, null, [], false, false, '0');
      this.m.addMemoryImport('0', memory.module ?? 'env', memory.name ?? 'memory');
    } else {
      this.m.setMemory(memory.initialPages, memory.maximumPages ?? MAX_MEMORY_PAGES, memory.exportAs ?? null, [], false, false, '0');
    }
  }

  // ---- module-level ------------------------------------------------------------------------

  /** Declare an imported function, callable as `call(name, ...)`. */
  importFunction(name: string, from: { module: string; base: string }, params: readonly ValType[], result: ResultType): void {
    this.m.addFunctionImport(name, from.module, from.base, btypes(params), btype(result));
  }
  /**
   * Add a function (prefer `func()`, which tracks locals and whether the body loops). `shape`
   * picks its passes in `optimizeFunctions` (default: 'loop', the fuller list).
   */
  addFunction(
    name: string,
    params: readonly ValType[],
    result: ResultType,
    locals: readonly ValType[],
    body: Expr,
    shape: keyof typeof FUNCTION_PASSES = 'loop',
  ): void {
    this.m.addFunction(name, btypes(params), btype(result), locals.map(btype), body);
    this.shapes.set(name, shape);
  }
  /** Start building a function. */
  func(name: string, params: readonly ValType[], result: ResultType): FunctionBuilder {
    return new FunctionBuilder(this, name, params, result);
  }
  /** Optimise this function as cold (no passes): it is off the signatures' path. */
  markCold(name: string): void {
    if (this.shapes.has(name)) this.shapes.set(name, 'cold');
  }
  exportFunction(internal: string, external: string): void {
    this.m.addFunctionExport(internal, external);
  }
  /** A mutable or constant global of a scalar type. */
  addGlobal(name: string, type: Scalar, mutable: boolean, init: number | bigint): void {
    this.m.addGlobal(name, btype(type), mutable, this.const(type, init));
  }
  getGlobal(name: string, type: Scalar): Expr {
    return this.m.global.get(name, btype(type)) as Expr;
  }
  setGlobal(name: string, value: Expr): Expr {
    return this.m.global.set(name, value) as Expr;
  }
  /**
   * `[global.set $tfg_barrier_<type> (local l), local.set l (global.get ...)]`: the value of `l`
   * passed through a module global and back. binaryen's optimizer does not forward a global.set
   * to the global.get after it, so the expression trees it builds by sinking single-use locals
   * stop here; without it a left-to-right sum of thousands of terms nests that deep, and
   * binaryen's recursive passes and binary writer overflow the stack. Globals are per instance,
   * so threads do not share it.
   */
  barrier(l: Local): Expr[] {
    const name = `tfg_barrier_${l.type}`;
    if (!this.barriers.has(l.type)) {
      const zero = l.type === 'v128' ? (this.m.v128.const(new Array(16).fill(0)) as Expr) : this.const(l.type, 0);
      this.m.addGlobal(name, btype(l.type), true, zero);
      this.barriers.add(l.type);
    }
    return [this.m.global.set(name, this.getLocal(l)) as Expr, this.setLocal(l, this.m.global.get(name, btype(l.type)) as Expr)];
  }
  private readonly barriers = new Set<ValType>();

  /** A custom section (e.g. the manifest, or the embedded runtime). */
  addCustomSection(name: string, contents: Uint8Array): void {
    this.m.addCustomSection(name, contents);
  }

  // ---- expressions: constants, locals, control ------------------------------------------

  const(type: Scalar, value: number | bigint): Expr {
    switch (type) {
      case 'i32':
        return this.m.i32.const(Number(value) | 0) as Expr;
      case 'i64': {
        const v = BigInt.asUintN(64, BigInt(value));
        return this.m.i64.const(Number(v & 0xffffffffn) | 0, Number(v >> 32n) | 0) as Expr;
      }
      case 'f32':
        return this.m.f32.const(Number(value)) as Expr;
      case 'f64':
        return this.m.f64.const(Number(value)) as Expr;
    }
  }
  i32(v: number): Expr {
    return this.const('i32', v);
  }
  f32(v: number): Expr {
    return this.const('f32', v);
  }
  f64(v: number): Expr {
    return this.const('f64', v);
  }
  /** A v128 constant from 16 bytes. */
  v128Const(bytes: ArrayLike<number>): Expr {
    if (bytes.length !== 16) throw new RangeError('v128 constant needs 16 bytes');
    return this.m.v128.const(bytes) as Expr;
  }
  getLocal(l: Local): Expr {
    return this.m.local.get(l.index, btype(l.type)) as Expr;
  }
  setLocal(l: Local, value: Expr): Expr {
    return this.m.local.set(l.index, value) as Expr;
  }
  teeLocal(l: Local, value: Expr): Expr {
    return this.m.local.tee(l.index, value, btype(l.type)) as Expr;
  }
  block(label: string | null, children: readonly Expr[], result: ResultType = 'none'): Expr {
    return this.m.block(label, children as unknown as number[], btype(result)) as Expr;
  }
  loop(label: string, body: Expr): Expr {
    this.loopCount++;
    return this.m.loop(label, body) as Expr;
  }
  /** `br label` (conditional when `cond` is given). */
  br(label: string, cond?: Expr): Expr {
    return this.m.br(label, cond) as Expr;
  }
  if(cond: Expr, then: Expr, otherwise?: Expr): Expr {
    return this.m.if(cond, then, otherwise) as Expr;
  }
  select(cond: Expr, ifTrue: Expr, ifFalse: Expr): Expr {
    return this.m.select(cond, ifTrue, ifFalse) as Expr;
  }
  call(name: string, args: readonly Expr[], result: ResultType): Expr {
    return this.m.call(name, args as unknown as number[], btype(result)) as Expr;
  }
  return(value?: Expr): Expr {
    return this.m.return(value) as Expr;
  }
  drop(value: Expr): Expr {
    return this.m.drop(value) as Expr;
  }
  nop(): Expr {
    return this.m.nop() as Expr;
  }
  unreachable(): Expr {
    return this.m.unreachable() as Expr;
  }
  /** A deep copy of an expression (an expression may appear only once in a tree). */
  copyExpr(e: Expr): Expr {
    return this.m.copyExpression(e) as Expr;
  }
  /** A fresh label with this prefix. */
  label(prefix = 'L'): string {
    return `${prefix}${this.labelCounter++}`;
  }

  /**
   * `for (i = start; i < end; i += step) body` over an i32 local; the loop is skipped when
   * start >= end. `end` is re-evaluated each iteration (pass a local.get or a constant).
   */
  forRange(i: Local, start: Expr, end: Expr | (() => Expr), step: number, body: readonly Expr[]): Expr {
    const brk = this.label('for_end');
    const cont = this.label('for_loop');
    // `end` is needed twice (entry test and back edge): copy it when given as an expression.
    const endExpr = typeof end === 'function' ? end : () => this.m.copyExpression(end) as Expr;
    return this.block(brk, [
      this.setLocal(i, start),
      this.br(brk, this.binary('i32.ge_s', this.getLocal(i), endExpr())),
      this.loop(
        cont,
        this.block(null, [
          ...body,
          this.setLocal(i, this.binary('i32.add', this.getLocal(i), this.i32(step))),
          this.br(cont, this.binary('i32.lt_s', this.getLocal(i), endExpr())),
        ]),
      ),
    ]);
  }

  // ---- expressions: arithmetic --------------------------------------------------------------

  binary(op: BinaryOp, a: Expr, b: Expr): Expr {
    let f = this.binaryOps.get(op);
    if (!f) {
      const [ns, name] = op.split('.') as [string, string];
      const table = (this.m as unknown as Record<string, Record<string, (x: number, y: number) => number>>)[ns];
      const g = table?.[name];
      if (typeof g !== 'function') throw new Error(`binaryen has no binary op ${op}`);
      this.binaryOps.set(op, (f = g.bind(table)));
    }
    return f(a as unknown as number, b as unknown as number) as Expr;
  }
  unary(op: UnaryOp, a: Expr): Expr {
    const m = this.m;
    switch (op) {
      case 'f32.demote_f64':
        return m.f32.demote(a) as Expr;
      case 'f64.promote_f32':
        return m.f64.promote(a) as Expr;
      case 'f32.convert_i32_s':
        return m.f32.convert_s.i32(a) as Expr;
      case 'f64.convert_i32_s':
        return m.f64.convert_s.i32(a) as Expr;
      case 'i32.trunc_sat_f32_s':
        return m.i32.trunc_s_sat.f32(a) as Expr;
      case 'i32.trunc_sat_f64_s':
        return m.i32.trunc_s_sat.f64(a) as Expr;
      case 'i32.reinterpret_f32':
        return m.i32.reinterpret(a) as Expr;
      case 'f32.reinterpret_i32':
        return m.f32.reinterpret(a) as Expr;
      case 'i64.reinterpret_f64':
        return m.i64.reinterpret(a) as Expr;
      case 'f64.reinterpret_i64':
        return m.f64.reinterpret(a) as Expr;
      case 'i64.extend_i32_s':
        return m.i64.extend_s(a) as Expr;
      case 'i64.extend_i32_u':
        return m.i64.extend_u(a) as Expr;
      case 'i32.wrap_i64':
        return m.i32.wrap(a) as Expr;
    }
    const [ns, name] = op.split('.') as [string, string];
    const table = (m as unknown as Record<string, Record<string, (x: number) => number>>)[ns];
    const f = table?.[name];
    if (typeof f !== 'function') throw new Error(`binaryen has no unary op ${op}`);
    return f.call(table, a) as Expr;
  }

  // ---- memory ---------------------------------------------------------------------------

  /** Scalar load `type.load offset=… align=…` from ptr (i32 address). */
  load(type: Scalar, ptr: Expr, offset = 0, align = naturalAlign(type)): Expr {
    return this.m[type].load(offset, align, ptr) as Expr;
  }
  store(type: Scalar, ptr: Expr, value: Expr, offset = 0, align = naturalAlign(type)): Expr {
    return this.m[type].store(offset, align, ptr, value) as Expr;
  }
  /** `i32.load8_u`: one byte, zero-extended (bool elements). */
  load8u(ptr: Expr, offset = 0): Expr {
    return this.m.i32.load8_u(offset, 1, ptr) as Expr;
  }
  /** `i32.store8`: the low byte of an i32 (bool elements). */
  store8(ptr: Expr, value: Expr, offset = 0): Expr {
    return this.m.i32.store8(offset, 1, ptr, value) as Expr;
  }
  /** `v128.load` (align defaults to 16; pass 4 for element-aligned data). */
  v128Load(ptr: Expr, offset = 0, align = 16): Expr {
    return this.m.v128.load(offset, align, ptr) as Expr;
  }
  v128Store(ptr: Expr, value: Expr, offset = 0, align = 16): Expr {
    return this.m.v128.store(offset, align, ptr, value) as Expr;
  }
  /** Load one 32-bit element and broadcast it to all four lanes. */
  load32Splat(ptr: Expr, offset = 0): Expr {
    return this.m.v128.load32_splat(offset, 4, ptr) as Expr;
  }
  /** Load one 64-bit element and broadcast it to both lanes. */
  load64Splat(ptr: Expr, offset = 0): Expr {
    return this.m.v128.load64_splat(offset, 8, ptr) as Expr;
  }
  /** Broadcast a scalar to every lane: f32→f32x4, f64→f64x2, i32→i32x4. */
  splat(lanes: 'f32x4' | 'f64x2' | 'i32x4', x: Expr): Expr {
    return this.m[lanes].splat(x) as Expr;
  }
  extractLane(lanes: 'f32x4' | 'f64x2' | 'i32x4', v: Expr, index: number): Expr {
    return this.m[lanes].extract_lane(v, index as unknown as number) as Expr;
  }
  replaceLane(lanes: 'f32x4' | 'f64x2' | 'i32x4', v: Expr, index: number, x: Expr): Expr {
    return this.m[lanes].replace_lane(v, index as unknown as number, x) as Expr;
  }
  /** Lanes of `a` where mask bits are 1, else of `b`. */
  /**
   * `f32x4.relaxed_madd a b c` (a·b + c, fused or not as the engine chooses): fast math only;
   * the module then needs relaxed SIMD (its feature is turned on here).
   */
  relaxedMadd(a: Expr, b: Expr, c: Expr): Expr {
    if (!this.relaxed) {
      this.relaxed = true;
      this.m.setFeatures(FEATURES | binaryen.Features.RelaxedSIMD);
    }
    const ternary = (binaryen as unknown as { _BinaryenSIMDTernary(m: number, op: number, a: Expr, b: Expr, c: Expr): Expr })._BinaryenSIMDTernary;
    return ternary(this.m.ptr, binaryen.RelaxedMaddVecF32x4 as unknown as number, a, b, c);
  }
  /** Whether a relaxed-SIMD instruction was emitted. */
  relaxed = false;
  bitselect(a: Expr, b: Expr, mask: Expr): Expr {
    return this.m.v128.bitselect(a, b, mask) as Expr;
  }
  shuffle(a: Expr, b: Expr, bytes: readonly number[]): Expr {
    return this.m.i8x16.shuffle(a, b, bytes) as Expr;
  }
  memoryCopy(dst: Expr, src: Expr, bytes: Expr): Expr {
    return this.m.memory.copy(dst, src, bytes) as Expr;
  }
  memoryFill(dst: Expr, value: Expr, bytes: Expr): Expr {
    return this.m.memory.fill(dst, value, bytes) as Expr;
  }
  memorySize(): Expr {
    return this.m.memory.size() as Expr;
  }
  memoryGrow(pages: Expr): Expr {
    return this.m.memory.grow(pages) as Expr;
  }

  // ---- finishing ---------------------------------------------------------------------------

  /** Validate; throws ModuleValidationError with binaryen's message when invalid. */
  validate(): void {
    const out: string[] = [];
    // binaryen prints its findings: to process.stderr in Node, to the console in a browser.
    const proc = (globalThis as { process?: typeof process }).process;
    const errWrite = proc?.stderr?.write,
      outWrite = proc?.stdout?.write;
    const capture = ((chunk: unknown) => {
      out.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    const origError = console.error,
      origLog = console.log,
      origWarn = console.warn;
    if (proc?.stderr && proc.stdout) {
      proc.stderr.write = capture;
      proc.stdout.write = capture;
    }
    console.error =
      console.log =
      console.warn =
        (...a: unknown[]) => {
          out.push(a.join(' ') + '\n');
        };
    let ok: number;
    try {
      ok = this.m.validate();
    } finally {
      if (proc?.stderr && proc.stdout && errWrite && outWrite) {
        proc.stderr.write = errWrite;
        proc.stdout.write = outWrite;
      }
      console.error = origError;
      console.log = origLog;
      console.warn = origWarn;
    }
    if (!ok) throw new ModuleValidationError(out.join('').trim() || 'binaryen validation failed');
  }

  /** binaryen's whole default pipeline at -O3 (speed) over the module, SIMD features on. Validate first. */
  optimize(opts: OptimizeOptions = {}): void {
    const prevO = binaryen.getOptimizeLevel(),
      prevS = binaryen.getShrinkLevel();
    binaryen.setOptimizeLevel(opts.optimizeLevel ?? 3);
    binaryen.setShrinkLevel(opts.shrinkLevel ?? 0);
    try {
      this.m.optimize();
    } finally {
      binaryen.setOptimizeLevel(prevO);
      binaryen.setShrinkLevel(prevS);
    }
  }

  /**
   * Optimise function by function, each with the passes of its shape (FUNCTION_PASSES); no
   * module-level passes (inlining, duplicate elimination). Validate first.
   */
  optimizeFunctions(): void {
    const prevO = binaryen.getOptimizeLevel(),
      prevS = binaryen.getShrinkLevel();
    binaryen.setOptimizeLevel(2);
    binaryen.setShrinkLevel(0);
    try {
      for (const [name, shape] of this.shapes) {
        const passes = FUNCTION_PASSES[shape];
        if (passes.length) this.m.runPassesOnFunction(name, passes);
      }
    } finally {
      binaryen.setOptimizeLevel(prevO);
      binaryen.setShrinkLevel(prevS);
    }
  }

  /**
   * binaryen's `remove-unused-module-elements`: drop the imports, functions and globals nothing
   * exported reaches (the runtime kernels an entry does not call). The exports are unchanged.
   */
  removeUnusedElements(): void {
    this.m.runPasses(['remove-unused-module-elements']);
  }

  /** The `base` names of the functions imported from `module`, in order. */
  importedFunctions(module: string): string[] {
    return importedFunctionsOf(this.m, module);
  }

  emitBinary(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.m.emitBinary());
  }
  emitText(): string {
    return this.m.emitText();
  }
  dispose(): void {
    if (!this.disposed) {
      this.m.dispose();
      this.disposed = true;
    }
  }
}

function importedFunctionsOf(m: B.Module, module: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
    if (info.module === module && info.base) out.push(info.base);
  }
  return out;
}

/**
 * A module with only the exports named in `keep` and what they reach: the others are removed,
 * then binaryen's `remove-unused-module-elements` drops the functions, globals and data nothing
 * kept reaches. The code kept is not otherwise changed (no optimisation pass runs), so a kept
 * function computes exactly what it did. Used to embed the part of the runtime a model calls.
 * Also returns the integer constants and memory offsets of the kept code (binaryen cannot tell
 * which active data segments code reads; compiler/emit/sections.ts drops those no constant
 * points near).
 */
export function keepExports(bytes: Uint8Array, keep: ReadonlySet<string>): { bytes: Uint8Array<ArrayBuffer>; constants: Set<number> } {
  const m = binaryen.readBinary(bytes);
  try {
    m.setFeatures(binaryen.Features.All);
    const drop: string[] = [];
    for (let i = 0; i < m.getNumExports(); i++) {
      const name = binaryen.getExportInfo(m.getExportByIndex(i)).name;
      if (!keep.has(name)) drop.push(name);
    }
    for (const name of drop) m.removeExport(name);
    m.runPasses(['remove-unused-module-elements']);
    // Every integer constant and memory-access offset the kept code holds (the addresses it may
    // reach in the static data), read from binaryen's printed module.
    const constants = new Set<number>();
    const code = m
      .emitText()
      .split('\n')
      .filter((line) => !/^\s*\(data\b/.test(line)) // the segments' own offsets are not references
      .join('\n');
    for (const c of code.matchAll(/\bi(?:32|64)\.const (-?\d+)|\boffset=(\d+)/g)) constants.add(Number(c[1] ?? c[2]));
    return { bytes: new Uint8Array(m.emitBinary()), constants };
  } finally {
    m.dispose();
  }
}
