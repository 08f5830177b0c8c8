// Order statistics for benchmark samples. Pure: no I/O, no clocks.
//
// Every sample is a duration in nanoseconds. Medians and high percentiles are
// used instead of means because the machines the bench runs on are shared:
// a neighbour's burst shows up as a few huge samples, which move a mean a lot
// and a median hardly at all.

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

/** A sorted copy (ascending); the input is left alone. */
export function sortedCopy(samples: readonly number[]): number[] {
  return [...samples].sort((a, b) => a - b);
}

/**
 * Nearest-rank percentile of an ascending array: the smallest sample with at
 * least p% of the samples at or below it. p in (0, 100]. With fewer than 100
 * samples, p99 is the maximum.
 */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is not in (0, 100]`);
  const rank = Math.ceil((p / 100) * sorted.length);
  const index = Math.min(sorted.length, Math.max(1, rank)) - 1;
  return sorted[index] as number;
}

/** Median of an ascending array: the middle sample, or the mean of the two middle ones. */
export function medianOfSorted(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('median of no samples');
  const mid = n >> 1;
  const upper = sorted[mid] as number;
  return n % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

export function median(samples: readonly number[]): number {
  return medianOfSorted(sortedCopy(samples));
}

export function percentile(samples: readonly number[], p: number): number {
  return percentileOfSorted(sortedCopy(samples), p);
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = sortedCopy(samples);
  if (sorted.length === 0) throw new RangeError('summary of no samples');
  return {
    n: sorted.length,
    median: medianOfSorted(sorted),
    p99: percentileOfSorted(sorted, 99),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
  };
}
