/**
 * @fileoverview Building and running samples in tests: read a sample, build it (failing the
 * test with formatted diagnostics), open a ReferenceSession.
 */
import { readFileSync } from 'node:fs';
import { formatDiagnostics } from '../../compiler/diagnostics/diagnostic.js';
import { type BuildResult, buildProgram } from '../../compiler/frontend/index.js';
import { repoPath } from '../helpers.js';

export function buildSample(rel: string): BuildResult {
  const path = repoPath(rel);
  const r = buildProgram(readFileSync(path, 'utf8'), rel);
  if (!r.ok) throw new Error(`sample ${rel} does not build:\n${formatDiagnostics(r.diagnostics)}`);
  return r;
}

/** The boolean/number bound to a top-level name at construction time. */
export function bindingValue(r: BuildResult, name: string): unknown {
  const v = r.bindings.get(name) as { kind: string; value?: unknown } | undefined;
  if (!v) throw new Error(`no binding ${name}`);
  return v.value;
}
