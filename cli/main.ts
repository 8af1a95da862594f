#!/usr/bin/env node
/**
 * @fileoverview The `tfg` command. The command table is cli/commands.ts; each command's
 * implementation (`cli/<command>.ts`, a testable `run*` function) is imported only when that
 * command runs, so `tfg --version` starts at once. `runCli(args, io)` runs a command line
 * in-process (the tests use it). Errors print as diagnostics or `tfg: message` with exit code
 * 1, never a stack trace; a closed stdout (`tfg graph ... | head -1`) ends the command quietly.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands.js';
import { type Io, processIo, renderError } from './io.js';

// A command that compiles loads binaryen through V8's code cache (cli/binaryen-cache.ts, imported
// only then, so `tfg --version` does not load it). The symbol is compiler/codegen/binaryen.ts's
// BINARYEN_LOADER (not imported from there: that module loads binaryen).
(globalThis as Record<symbol, unknown>)[Symbol.for('tfg.binaryen.loader')] ??= async () => (await import('./binaryen-cache.js')).loadBinaryenCached();

/** The package version (dist/cli/main.js → ../../package.json). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function makeProgram(io: Io = processIo): Command {
  const program = new Command();
  program
    .name('tfg')
    .description('Compile and run TF1-style graph programs (.tfg)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  if (io !== processIo) program.exitOverride();
  registerCommands(program, io);
  return program;
}

/** Run a `tfg` command line (without `node tfg`) in-process; resolves to its exit code. */
export async function runCli(args: readonly string[], io: Io): Promise<number> {
  const saved = process.exitCode;
  process.exitCode = 0;
  try {
    await makeProgram(io).parseAsync(['node', 'tfg', ...args]);
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    io.err(renderError(e, [], io.color));
    return 1;
  } finally {
    process.exitCode = saved;
  }
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  // A reader that stops early (`| head`) closes stdout: stop quietly, as Unix tools do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    await makeProgram().parseAsync([...argv]);
  } catch (e) {
    processIo.err(renderError(e, [], processIo.color));
    process.exitCode = 1;
  }
}

/** True when this module is the program being run (not imported by a test). */
function isEntry(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) await main();
