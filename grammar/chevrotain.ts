/**
 * @fileoverview The parts of chevrotain the grammar uses (`createToken`, `Lexer`, `EOF`), loaded
 * fast. chevrotain's package entry is ~100 ES modules that import lodash-es (~640 more): Node
 * takes 0.2–1.5 s to load them, most of `tfg check`'s start-up. chevrotain also ships the same
 * code as one file, `lib/chevrotain.min.mjs` (its browser build, same version), which loads in a
 * tenth of that; its `exports` map hides it, so under Node it is imported by file URL next to the
 * resolved entry. Elsewhere (a bundler, a browser), or when that file is missing, the package
 * entry is imported as usual.
 */
import type * as Chevrotain from 'chevrotain';

type Api = typeof Chevrotain;

async function load(): Promise<Api> {
  const resolve = (import.meta as { resolve?: (s: string) => string }).resolve;
  if (typeof process !== 'undefined' && process.versions?.node && typeof resolve === 'function') {
    try {
      const single = new URL('../chevrotain.min.mjs', resolve('chevrotain')).href;
      return (await import(/* @vite-ignore */ single)) as Api;
    } catch {
      // not the layout we know: the package entry below
    }
  }
  return import('chevrotain');
}

const api = await load();

export const createToken: Api['createToken'] = api.createToken;
export const Lexer: typeof Chevrotain.Lexer = api.Lexer;
export const EOF: Api['EOF'] = api.EOF;
