/**
 * @fileoverview Every op of the registry has a WebAssembly lowering: elementwise ops an
 * `OpDef.lower` rule, reductions/matmul/layout views a kernel kind, the rest an opaque
 * lowering (compiler/codegen/kernels.ts). An op without one fails here, by name.
 */
import t from 'tap';
import { OPS } from '../../compiler/ops/registry.js';
import { OPAQUE_LOWERED } from '../../compiler/codegen/kernels.js';

/** Ops the kernel kinds cover without an opaque lowering: leaves, state, views, reductions, matmul, control. */
const BY_KIND = new Set([
  'const', 'placeholder', 'variable', 'assign', 'assign_add', 'assign_sub', 'no_op', 'group',
  'reshape', 'transpose', 'expand_dims', 'squeeze', 'slice', 'strided_slice', 'fill', 'zeros_like', 'ones_like',
  'reduce_sum', 'reduce_mean', 'reduce_max', 'reduce_min', 'reduce_prod', 'argmax', 'argmin', 'matmul',
]);

t.test('every registry op is lowered', (t) => {
  const missing: string[] = [];
  for (const [name, def] of Object.entries(OPS)) {
    const ok = def.kind === 'elementwise' ? typeof def.lower === 'function' : BY_KIND.has(name) || OPAQUE_LOWERED.has(name);
    if (!ok) missing.push(name);
  }
  t.same(missing, [], `ops without a lowering: ${missing.join(', ')}`);
  t.end();
});
