/**
 * @fileoverview TF1's histogram (tensorflow/core/lib/histogram/histogram.cc) read as plainly as
 * possible, for tests: the default limits written out, each value's bucket by a linear scan
 * (the first limit above it), empty runs merged into their last limit as EncodeToProto does.
 * Independent of session/io/histogram.ts (no binary search, no shared tables).
 */

/** TF1's default limits, written out from histogram.cc's description: 1e-12 × 1.1^k below 1e20, DBL_MAX, mirrored, 0. */
export function expectedLimits(): number[] {
  const pos: number[] = [];
  let v = 1e-12;
  while (v < 1e20) {
    pos.push(v);
    v = v * 1.1;
  }
  pos.push(Number.MAX_VALUE);
  return [...pos.map((x) => -x).reverse(), 0, ...pos];
}

/** A histogram by linear scans (bucket = first limit > v), then zero runs merged into their last limit. */
export function bruteHistogram(values: number[]) {
  const limits = expectedLimits();
  const counts = limits.map(() => 0);
  for (const v of values) {
    let b = limits.findIndex((l) => l > v);
    if (b < 0) b = limits.length - 1;
    counts[b]++;
  }
  const bucketLimit: number[] = [];
  const bucket: number[] = [];
  let i = 0;
  while (i < counts.length) {
    if (counts[i] > 0) {
      bucketLimit.push(limits[i]);
      bucket.push(counts[i]);
      i++;
    } else {
      let j = i;
      while (j + 1 < counts.length && counts[j + 1] === 0) j++;
      bucketLimit.push(limits[j]);
      bucket.push(0);
      i = j + 1;
    }
  }
  let sum = 0;
  let sumSquares = 0;
  for (const v of values) {
    sum += v;
    sumSquares += v * v;
  }
  return {
    min: values.length ? Math.min(...values) : Number.MAX_VALUE,
    max: values.length ? Math.max(...values) : -Number.MAX_VALUE,
    num: values.length,
    sum,
    sumSquares,
    bucketLimit,
    bucket,
  };
}
