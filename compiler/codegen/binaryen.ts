/**
 * @fileoverview binaryen, loaded once for the compiler. A host may install a loader first (the
 * `tfg` command's code-cached load, cli/binaryen-cache.ts, which saves about a second per cold
 * compile in Node); without one, the package is imported as usual (browsers, tests, library
 * users). codegen/module.ts is the only user.
 */
import type binaryenNamespace from 'binaryen';

export type Binaryen = typeof binaryenNamespace;

/** Where a host puts its loader: a function resolving to binaryen's module object. */
export const BINARYEN_LOADER = Symbol.for('tfg.binaryen.loader');

const installed = (globalThis as Record<symbol, unknown>)[BINARYEN_LOADER] as (() => Promise<Binaryen>) | undefined;

const binaryen: Binaryen = installed ? await installed() : (await import('binaryen')).default;

export default binaryen;
