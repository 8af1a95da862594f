/**
 * @fileoverview TF1's histogram summaries (tensorflow/core/lib/histogram/histogram.cc and the
 * HistogramSummary kernel, core/kernels/summary_op.cc), browser-safe: the default bucket limits
 * (1e-12 growing by 10% up to 1e20, then DBL_MAX; mirrored negative; 0 in the middle), `Add`
 * (bucket = upper_bound of the value in the limits; min, max, num, sum, sum of squares in
 * doubles, in element order) and `EncodeToProto` without zero buckets (a run of empty buckets
 * collapses into one entry at the run's last limit; an empty histogram is one bucket
 * [DBL_MAX] = 0). A NaN or infinite value is TF1's InvalidArgumentError.
 */
import { InvalidArgumentError } from '../errors.js';
import type { HistogramData } from './events.js';

let defaultLimits: Float64Array | null = null;

/** TF1's default bucket limits (histogram.cc InitDefaultBucketsInner): 1549 increasing doubles. */
export function defaultBucketLimits(): Float64Array {
  if (defaultLimits) return defaultLimits;
  const pos: number[] = [];
  // The same double arithmetic as the C++ loop: v *= 1.1 from 1e-12 while v < 1e20.
  for (let v = 1.0e-12; v < 1.0e20; v *= 1.1) pos.push(v);
  pos.push(Number.MAX_VALUE);
  const out = new Float64Array(2 * pos.length + 1);
  for (let i = 0; i < pos.length; i++) {
    out[pos.length - 1 - i] = -pos[i];
    out[pos.length + 1 + i] = pos[i];
  }
  out[pos.length] = 0;
  defaultLimits = out;
  return out;
}

/** std::upper_bound: the first index whose limit is greater than `v`. */
function upperBound(limits: Float64Array, v: number): number {
  let lo = 0;
  let hi = limits.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (limits[mid] > v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The HistogramProto TF1's `tf.summary.histogram(tag, values)` writes for these values (each
 * read as a double). `tag` names the summary in the error for a NaN or an infinity.
 */
export function histogramOf(values: ArrayLike<number>, tag: string): HistogramData {
  const limits = defaultBucketLimits();
  const counts = new Float64Array(limits.length);
  let min = limits[limits.length - 1];
  let max = -Number.MAX_VALUE;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (Number.isNaN(v)) throw new InvalidArgumentError(`Nan in summary histogram for: ${tag}`);
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`Infinity in summary histogram for: ${tag}`);
    // A value of DBL_MAX itself is past the last limit in TF1 (out of range); it counts in the last bucket.
    counts[Math.min(upperBound(limits, v), limits.length - 1)] += 1;
    if (min > v) min = v;
    if (max < v) max = v;
    sum += v;
    sumSquares += v * v;
  }
  const bucket_limit: number[] = [];
  const bucket: number[] = [];
  for (let i = 0; i < counts.length;) {
    let end = limits[i];
    let count = counts[i];
    i++;
    if (count <= 0) {
      while (i < counts.length && counts[i] <= 0) {
        end = limits[i];
        count = counts[i];
        i++;
      }
    }
    bucket_limit.push(end);
    bucket.push(count);
  }
  return { min, max, num: values.length, sum, sum_squares: sumSquares, bucket_limit, bucket };
}
