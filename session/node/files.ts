/**
 * @fileoverview Reading files whose size a record declares, without trusting the file: the
 * size is taken with `stat` first, so a file far larger than declared (or than a buffer can
 * hold) is refused before a byte is read, and only the declared range is read.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { DataLossError, NotFoundError, ResourceExhaustedError } from '../errors.js';

/** The largest buffer this runtime allocates (Node 20 on 64-bit hosts: 4 GiB). */
export const MAX_BUFFER_BYTES = bufferConstants.MAX_LENGTH;

/** The size of a regular file, or null when there is none at `path`. */
export function fileSize(path: string): number | null {
  try {
    const st = statSync(path);
    return st.isFile() ? st.size : null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

/**
 * Read exactly `length` bytes of `path` from `offset`. A file that ends early is a DataLossError;
 * a length past what one buffer holds is a ResourceExhaustedError (nothing is allocated).
 */
export function readFileRange(path: string, offset: number, length: number, what = path): Uint8Array {
  if (length > MAX_BUFFER_BYTES) throw new ResourceExhaustedError(`${what}: ${length} bytes do not fit in one buffer (at most ${MAX_BUFFER_BYTES} bytes)`);
  const f = openFileRanges(path, what);
  try {
    return f.read(offset, length);
  } finally {
    f.close();
  }
}

/**
 * Read a whole file of at most `limit` bytes: NotFoundError when it is missing, DataLossError
 * naming the limit when it is larger (checked with stat, before reading).
 */
export function readFileLimited(path: string, limit: number, what = path): Uint8Array {
  const size = fileSize(path);
  if (size === null) throw new NotFoundError(`${what}: no such file`);
  if (size > limit) throw new DataLossError(`${what} is ${size} bytes, more than the ${limit} bytes such a file may have`);
  return readFileRange(path, 0, size, what);
}

/** An open file read piece by piece (`size` from fstat at open); `close()` when done. */
export interface FileRanges {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/** Open `path` for reads of declared ranges (a RecordSource for session/io/events.ts, say). */
export function openFileRanges(path: string, what = path): FileRanges {
  const fd = openSync(path, fsConstants.O_RDONLY);
  const size = fstatSync(fd).size;
  return {
    size,
    read(offset: number, length: number): Uint8Array {
      if (length > MAX_BUFFER_BYTES) throw new ResourceExhaustedError(`${what}: ${length} bytes do not fit in one buffer (at most ${MAX_BUFFER_BYTES} bytes)`);
      const out = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, out, got, Math.min(length - got, 1 << 30), offset + got);
        if (n === 0) throw new DataLossError(`${what}: the file ends after ${offset + got} bytes, ${offset + length} expected`);
        got += n;
      }
      return out;
    },
    close: () => closeSync(fd),
  };
}
