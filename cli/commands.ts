/**
 * @fileoverview The `tfg` command table: every command's arguments, options and help, with an
 * action that imports the command's implementation (`cli/<command>.ts`) only when it runs. So
 * `tfg --version` and `tfg --help` load commander and nothing else, `tfg check` loads the
 * frontend but not binaryen, and only the commands that plot load vega.
 */
import { Argument, type Command, Option } from 'commander';
import type { Io } from './io.js';
import { addLimitOptions, limitsFromOptions } from './limits.js';
import { addPerfOptions } from './perf.js';

const BACKENDS = ['reference', 'wasm'] as const;

/** Register every command on `program`; their output goes to `io`. */
export function registerCommands(program: Command, io: Io): void {
  addLimitOptions(program.command('check').description('parse and build a .tfg program; print its diagnostics').argument('<file>', 'the .tfg program')).action(
    async (file: string, opts) => {
      const { runCheck } = await import('./check.js');
      process.exitCode = runCheck(file, io, limitsFromOptions(opts));
    },
  );

  addLimitOptions(program.command('graph'))
    .description('print a graph of a .tfg program: IR text (one node per line), DOT or SVG')
    .argument('<file>', 'the .tfg program')
    .option('--graph <name>', 'which graph (default: the default graph)')
    .option('--format <format>', 'text, dot or svg', 'text')
    .action(async (file: string, opts) => {
      const { runGraph } = await import('./graph.js');
      process.exitCode = await runGraph(file, opts, io);
    });

  addPerfOptions(addLimitOptions(program.command('run')))
    .description('run a .tfg program (compiled to WebAssembly, or in the reference Session) and print fetched values')
    .argument('<file>', 'the .tfg program')
    .requiredOption('--fetch <names...>', 'tensors or operations to fetch (bindings or node names, x or x:0)')
    .option(
      '--feed <pairs...>',
      'NAME=VALUE feeds: a JSON/number literal (X=[[1,2,3]]) or a file (X=@data.npy|@data.csv|@data.json); @feeds.npz feeds each array by its name',
    )
    .option('--graph <name>', 'which graph (default: the default graph)')
    .option('--json', 'print one JSON object {name: {dtype, shape, value}}')
    .option('--out <dir>', 'also write each fetched tensor as DIR/<name>.npy')
    .option('--init', 'run the global variable initializers first (the default)')
    .option('--no-init', 'do not run the variable initializers')
    .option('--seed <n>', 'session seed for random ops without a seed')
    .addOption(new Option('--backend <name>', 'execution backend (default: wasm)').choices([...BACKENDS]))
    .option('--checkpoint <path>', 'restore the variables from a checkpoint (a tfg train logdir, a checkpoint prefix, or a .safetensors file)')
    .option('--no-cache', 'compile again, without the compiled-module cache (tfg cache dir)')
    .action(async (file: string, opts) => {
      // A program compiled before runs from the cache with the loader alone; else build and compile.
      const { tryCachedRun } = await import('./run-exec.js');
      const hit = tryCachedRun(file, opts, io);
      if (hit !== null) {
        process.exitCode = hit;
        return;
      }
      const { runBuilt } = await import('./run.js');
      process.exitCode = runBuilt(file, opts, io);
    });

  program
    .command('cache')
    .description("the compiled-module cache of tfg run and binaryen's code cache: print its folder (dir), its size (info), or empty it (clear)")
    .addArgument(new Argument('<action>', 'dir, info or clear').choices(['dir', 'info', 'clear']))
    .action(async (action: 'dir' | 'info' | 'clear') => {
      const { cacheDir, cacheStats, cacheMaxBytes, clearCache } = await import('./cache.js');
      const { clearCodeCache, codeCacheStats } = await import('./binaryen-cache.js');
      const dir = cacheDir();
      if (action === 'dir') io.out(dir);
      else if (action === 'clear') {
        const n = clearCache(dir);
        const v8 = clearCodeCache(dir);
        io.out(`removed ${n} entr${n === 1 ? 'y' : 'ies'}${v8 ? " and binaryen's code cache" : ''} from ${dir}`);
      } else {
        const { entries, bytes } = cacheStats(dir);
        const code = codeCacheStats(dir);
        const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;
        io.out(
          `${dir}: ${entries} entr${entries === 1 ? 'y' : 'ies'}, ${mb(bytes)} (bound ${mb(cacheMaxBytes())}, $TFG_CACHE_MAX_MB)` +
            (code.files ? `; binaryen's code cache ${mb(code.bytes)}` : ''),
        );
      }
    });

  program
    .command('plot')
    .description('draw learning curves (scalar summaries against step, one line per run) from a log directory')
    .argument('<logdir>', 'directory of runs (folders with event files or scalars.csv)')
    .option('-o, --output <file>', 'output file: .svg, or .png', 'curves.svg')
    .action(async (logdir: string, opts: { output: string }) => {
      const { runPlot } = await import('./plot.js');
      process.exitCode = await runPlot(logdir, opts, io);
    });

  addPerfOptions(addLimitOptions(program.command('train')))
    .description("train a .tfg program's train { } recipe (checkpoints, resume, summaries)")
    .argument('<file>', 'the .tfg program')
    .option('--epochs <n>', 'epochs (overrides the recipe)')
    .option('--batch-size <n>', 'mini-batch size (overrides the recipe)')
    .option('--lr <x>', "learning rate: fed to every optimizer's learning-rate tensor each step")
    .option('--set <pairs...>', 'recipe overrides key=value (early_stopping.patience=3, checkpoint.every_steps=100, data.validation=0.2)')
    .option('--limit <n>', 'use at most N examples of each data source (quick runs)')
    .option('--logdir <dir>', "summaries and checkpoints (default: the recipe's logdir, else runs/<file name>)")
    .addOption(
      new Option('--backend <name>', 'execution backend (default wasm, falling back to reference when the graph does not compile)').choices([...BACKENDS]),
    )
    .option('--resume', 'resume from the latest checkpoint in the logdir (the default)')
    .option('--no-resume', 'start over even if a checkpoint exists')
    .option('--seed <n>', 'shuffling seed (overrides the recipe)')
    .option('--recipe <name>', 'which train block (default: the first)')
    .option('--json', 'print a JSON summary on stdout at the end')
    .action(async (file: string, opts) => {
      const { runTrain } = await import('./train.js');
      process.exitCode = await runTrain(file, opts, io);
    });

  addLimitOptions(program.command('compile'))
    .description('compile a .tfg program to a WebAssembly module and manifest')
    .argument('<file>', 'the .tfg program')
    .option('-o, --output <dir>', 'output directory', '.')
    .option('--signature <names...>', 'compile only these entry points (no generic path unless --generic)')
    .option('--generic', 'also compile the generic path (any fetch/feed); the default without --signature')
    .option('--no-fuse', 'one kernel per node (for comparison)')
    .option('--graph <name>', 'which graph (default: the default graph)')
    .option('--dump <stage>', "print the program after a stage (parse, build, passes, fuse, schedule, memory, lower, emit), or 'all' into DIR/<name>.dump/")
    .option('--verify', "check every stage's invariants (names the stage that broke one)")
    .option('--no-embed-runtime', 'leave the tfg runtime out of the module (pages load it once: dist/loader/tfg-runtime.wasm)')
    .option('--checkpoint <path>', 'bake trained values into the module (a tfg train logdir, a checkpoint prefix, or a .safetensors file)')
    .option(
      '--weights-file',
      'with --checkpoint: write the values to DIR/<name>.safetensors beside the module instead of baking them in (session.restore loads them)',
    )
    .addHelpText('after', () => '\nStages: parse → build → passes → fuse → schedule → memory → lower → emit (docs/architecture.md)')
    .action(async (file: string, opts) => {
      const { runCompile } = await import('./compile.js');
      process.exitCode = runCompile(file, opts, io);
    });

  program
    .command('wat')
    .description('print the compiled module as WebAssembly text')
    .argument('<file>', 'the .tfg program')
    .option('--no-fuse', 'one kernel per node')
    .option('--graph <name>', 'which graph')
    .action(async (file: string, opts) => {
      const { runWat } = await import('./compile.js');
      process.exitCode = await runWat(file, opts, io);
    });

  program
    .command('serve')
    .description('serve a folder over HTTP for pages that load compiled models (application/wasm, COOP/COEP headers for threads)')
    .argument('[dir]', 'the folder served at /', '.')
    .option('--port <n>', 'port (0: any free port)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (dir: string, opts) => {
      const { runServe } = await import('./serve.js');
      await runServe(dir, opts, io);
    });

  program
    .command('playground')
    .description('serve the playground (edit, compile, graph, run and train .tfg in a browser tab) on localhost')
    .option('--port <n>', 'port (0: any free port)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (opts: { port: string; host: string }) => {
      const { runPlayground } = await import('./playground.js');
      process.exitCode = await runPlayground(opts, io);
    });

  addPerfOptions(addLimitOptions(program.command('bench')))
    .description('time a signature compiled fused vs unfused vs the reference Session, with bytes moved per kernel')
    .argument('<file>', 'the .tfg program')
    .option('--signature <name>', 'which signature (default: the first)')
    .option('--batch <n>', 'size of every unknown dimension of the feeds (default 32)')
    .option('--iterations <n>', 'timed rounds (default 50)')
    .option('--graph <name>', 'which graph (default: the default graph)')
    .option('--checkpoint <path>', 'restore the variables from a checkpoint before timing')
    .action(async (file: string, opts) => {
      const { runBench } = await import('./bench.js');
      process.exitCode = runBench(file, opts, io);
    });
}
