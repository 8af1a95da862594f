/**
 * @fileoverview Where a model's or a checkpoint's bytes come from: a URL (fetched), a fetch
 * `Response`, an `ArrayBuffer` or a `Uint8Array`. Browser-safe; in Node, `fetch` takes `file:`
 * URLs only through the host (session/node.ts reads files).
 */
import { NotFoundError } from '../errors.js';

export type ByteSource = string | URL | Response | ArrayBuffer | ArrayBufferView;

export function isUrlSource(s: unknown): s is string | URL {
  return typeof s === 'string' || (typeof URL !== 'undefined' && s instanceof URL);
}

export function isResponse(s: unknown): s is Response {
  return typeof Response !== 'undefined' && s instanceof Response;
}

/** A Response for a URL, or NotFoundError naming it when it cannot be had. */
export async function fetchUrl(url: string | URL, what: string): Promise<Response> {
  let r: Response;
  try {
    r = await fetch(url);
  } catch (e) {
    throw new NotFoundError(`cannot fetch the ${what} at ${String(url)}: ${(e as Error).message}`);
  }
  if (!r.ok) throw new NotFoundError(`cannot fetch the ${what} at ${String(url)}: HTTP ${r.status} ${r.statusText}`);
  return r;
}

/** The bytes of any source. */
export async function fetchBytes(source: ByteSource, what: string): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  const r = isResponse(source) ? source : await fetchUrl(source, what);
  return new Uint8Array(await r.arrayBuffer());
}
