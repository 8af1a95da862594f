/**
 * @fileoverview "Did you mean" suggestions for unknown names, keyword arguments, keys and
 * commands: the closest known word by edit distance (fastest-levenshtein), accepted when it is
 * close enough as Python 3.12 judges it (at most (len(a) + len(b) + 3) / 6 edits), a case
 * difference always. Used for Python's `NameError: name 'x' is not defined. Did you mean: 'y'?`
 * and the CLI's unknown names.
 */

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  for (let i = 1; i <= n; i++) {
    const cur = new Array<number>(m + 1);
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j], prev2[j - 2] + 1);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[m];
}

/** The closest candidate to `word`, or null when none is close enough. */
export function closest(word: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    if (c.toLowerCase() === word.toLowerCase()) return c;
    if (Math.abs(c.length - word.length) > bestD) continue;
    const d = editDistance(word, c);
    if (d < bestD || (d === bestD && best !== null && c < best)) {
      best = c;
      bestD = d;
    }
  }
  if (best === null) return null;
  return bestD <= Math.floor((word.length + best.length + 3) / 6) ? best : null;
}

/** `. Did you mean: 'y'?` (Python's NameError/AttributeError wording), or ''. */
export function didYouMean(word: string, candidates: Iterable<string>, style: 'colon' | 'plain' = 'colon'): string {
  const c = closest(word, candidates);
  if (c === null) return '';
  return style === 'colon' ? `. Did you mean: '${c}'?` : `. Did you mean '${c}'?`;
}
