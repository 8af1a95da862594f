/**
 * @fileoverview numpy `.npz` archives (a zip of `.npy` members, as `numpy.savez` and
 * `numpy.savez_compressed` write them) read into and written from named Tensors, with fflate.
 * Browser-safe. Member names drop the `.npy` suffix, as `numpy.load(...)[name]` does.
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { Tensor } from '../tensor.js';
import { DataLossError, InvalidArgumentError } from '../errors.js';
import { readNpy, writeNpy } from './npy.js';

/** Read every `.npy` member of an `.npz` archive (stored or deflated). */
export function readNpz(bytes: Uint8Array, what = '.npz'): Map<string, Tensor> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new DataLossError(`${what}: not a readable zip archive (${(e as Error).message})`);
  }
  const out = new Map<string, Tensor>();
  for (const name of Object.keys(files).sort()) {
    if (name.endsWith('/')) continue;
    const key = name.endsWith('.npy') ? name.slice(0, -4) : name;
    out.set(key, readNpy(files[name], `${what}[${key}]`));
  }
  return out;
}

export interface WriteNpzOptions {
  /** Deflate members like `numpy.savez_compressed` (default false: stored, like `numpy.savez`). */
  compressed?: boolean;
}

/** Write named Tensors as an `.npz` archive readable by `numpy.load`. */
export function writeNpz(tensors: Map<string, Tensor> | Record<string, Tensor>, opts: WriteNpzOptions = {}): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const zip: Zippable = {};
  for (const [name, t] of entries) {
    if (name === '' || name.includes('\0')) throw new InvalidArgumentError(`writeNpz: invalid member name ${JSON.stringify(name)}`);
    const file = `${name}.npy`;
    if (file in zip) throw new InvalidArgumentError(`writeNpz: duplicate member name ${JSON.stringify(name)}`);
    zip[file] = [writeNpy(t), { level: opts.compressed ? 6 : 0 }];
  }
  // A fixed timestamp keeps the archive bytes reproducible.
  return zipSync(zip, { mtime: new Date(1980, 0, 1) });
}
