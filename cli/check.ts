/**
 * @fileoverview `tfg check FILE`: parse and build the program, print its diagnostics with code
 * frames (colors only on a TTY), verify every graph's IR, and say
 * `ok: N nodes in M graphs`. Exit code 1 on any error. The `--max-*` options raise the
 * compiler's limits (docs/limits.md).
 */
import { verifyGraph } from '../compiler/ir/verify.js';
import { type Io, processIo, renderError, reportDiagnostics } from './io.js';
import type { Limits } from '../compiler/diagnostics/limits.js';
import { allGraphs, loadProgram } from './program.js';

export function runCheck(file: string, io: Io = processIo, limits: Partial<Limits> = {}): number {
  try {
    // print() goes to stderr; through `io` when it is not the process's (tests capture it).
    const r = loadProgram(file, limits, io === processIo ? {} : { print: (s) => io.err(s) });
    if (reportDiagnostics(r.diagnostics, io) || !r.ok) return 1;
    const graphs = allGraphs(r);
    const problems = graphs.flatMap((g) => verifyGraph(g).map((p) => `graph ${g.name}: ${p}`));
    if (problems.length) {
      io.err(`tfg: internal error: the built IR is invalid:\n  ${problems.join('\n  ')}`);
      return 1;
    }
    const n = graphs.reduce((a, g) => a + g.nodes.length, 0);
    io.out(`ok: ${n} nodes in ${graphs.length} graph${graphs.length === 1 ? '' : 's'}`);
    return 0;
  } catch (e) {
    io.err(renderError(e, [], io.color));
    return 1;
  }
}
