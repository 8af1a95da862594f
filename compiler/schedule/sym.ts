/**
 * @fileoverview Symbolic dims moved to compiler/ir/sym.ts (op definitions in compiler/ops/ hold
 * their symbolic shape rules and cannot import a later stage); re-exported here for the
 * schedule, codegen and emit files that import them from this path.
 */
export * from '../ir/sym.js';
