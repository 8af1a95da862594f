/**
 * @fileoverview Every op of the registry states how it is lowered to WebAssembly: `OpDef.lower`
 * is required (tsc fails without it), and its fusion class carries what that class needs — an
 * elementwise value rule, a view's index map, a reduction's combiner, a contraction's operands,
 * an opaque kernel. No op of the table is `unsupported` today; one that is must give a reason.
 * The fusion classes and the legacy op families must agree where fusion relies on them.
 */
import t from 'tap';
import { OPS } from '../../compiler/ops/registry.js';
import type { FusionClass } from '../../compiler/ops/lower-api.js';

t.test('every registry op is lowered', (t) => {
  const missing: string[] = [];
  const byClass = new Map<FusionClass, string[]>();
  for (const [name, def] of Object.entries(OPS)) {
    const low = def.lower;
    t.equal(def.name, name, `${name}: the key is the op's name`);
    byClass.set(low.fusion, [...(byClass.get(low.fusion) ?? []), name]);
    switch (low.fusion) {
      case 'elementwise':
        if (typeof low.value !== 'function') missing.push(name);
        break;
      case 'view':
        if (typeof low.view !== 'function') missing.push(name);
        break;
      case 'reduction':
        if (!low.combiner || typeof low.axes !== 'function') missing.push(name);
        break;
      case 'contraction':
        if (typeof low.operands !== 'function') missing.push(name);
        break;
      case 'opaque':
        if (typeof low.emit !== 'function') missing.push(name);
        break;
      case 'unsupported':
        missing.push(`${name} (${low.reason})`);
        break;
      default:
        break;
    }
  }
  t.same(missing, [], `ops without a lowering: ${missing.join(', ')}`);
  // elementwise ops are all fused as elementwise; the leaves are exactly the given values
  for (const [name, def] of Object.entries(OPS)) if (def.kind === 'elementwise') t.equal(def.lower.fusion, 'elementwise', `${name} is fused as elementwise`);
  t.same(byClass.get('leaf')?.sort(), ['const', 'placeholder', 'variable']);
  t.same(byClass.get('stateful')?.sort(), ['assign', 'assign_add', 'assign_sub']);
  t.same(byClass.get('contraction'), ['matmul']);
  t.end();
});

t.test('every registry op states its gradient', (t) => {
  for (const [name, def] of Object.entries(OPS))
    t.ok(def.grad === 'not_differentiable' || typeof def.grad === 'function', `${name}: a rule or NOT_DIFFERENTIABLE`);
  t.end();
});
