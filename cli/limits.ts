/**
 * @fileoverview The options that raise the compiler's limits (`--max-steps`, ...: one per entry
 * of compiler/diagnostics/limits.ts), for every command that builds a program. Light: the
 * command table imports it without loading the compiler.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { formatCount, LIMITS, type Limits } from '../compiler/diagnostics/limits.js';

/** A positive integer option value; `1e8` and `100_000_000` are accepted. */
export function parseLimit(value: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer (e.g. 100000000 or 1e8)');
  return n;
}

/** Add `--max-steps <n>` etc. (docs/limits.md) to a command. */
export function addLimitOptions(cmd: Command): Command {
  for (const l of LIMITS) cmd.option(`${l.flag} <n>`, `limit: ${l.what} (default ${formatCount(l.default)}; TFG${l.code})`, parseLimit);
  return cmd;
}

/** The limits given as options (camel-cased by commander: `maxSteps`). */
export function limitsFromOptions(opts: Record<string, unknown>): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const l of LIMITS) {
    const v = opts[l.name];
    if (typeof v === 'number') out[l.name] = v;
  }
  return out;
}
