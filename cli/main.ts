#!/usr/bin/env node
/**
 * @fileoverview The `tfg` command: `check`, `graph`, `run` and `plot`, each in its own file
 * (`cli/<command>.ts`) with a `register*Command(program)` and a testable `run*` function.
 * Errors print as diagnostics or `tfg: message` with exit code 1, never a stack trace.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerBenchCommand } from './bench.js';
import { registerCheckCommand } from './check.js';
import { registerCompileCommands } from './compile.js';
import { registerGraphCommand } from './graph.js';
import { processIo, renderError } from './io.js';
import { registerPlotCommand } from './plot.js';
import { registerRunCommand } from './run.js';
import { registerTrainCommand } from './train.js';

/** The package version (dist/cli/main.js → ../../package.json). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function makeProgram(): Command {
  const program = new Command();
  program
    .name('tfg')
    .description('Compile and run TF1-style graph programs (.tfg)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)');
  registerCheckCommand(program);
  registerGraphCommand(program);
  registerRunCommand(program);
  registerPlotCommand(program);
  registerTrainCommand(program);
  registerCompileCommands(program);
  registerBenchCommand(program);
  return program;
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
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
