// Latency samples of one kind of call, and their percentiles (nearest rank,
// as docs/benchmarks.md uses).

export interface LatencySummary {
  readonly count: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export class Latencies {
  readonly #samples: number[] = [];
  errors = 0;

  add(ms: number): void {
    this.#samples.push(ms);
  }

  get count(): number {
    return this.#samples.length;
  }

  summary(): LatencySummary {
    const sorted = [...this.#samples].sort((a, b) => a - b);
    return {
      count: sorted.length,
      errors: this.errors,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: sorted.at(-1) ?? 0,
    };
  }

  /** All samples of several kinds together. */
  static merge(all: Iterable<Latencies>): Latencies {
    const merged = new Latencies();
    for (const one of all) {
      for (const s of one.#samples) merged.add(s);
      merged.errors += one.errors;
    }
    return merged;
  }
}

/** Nearest-rank percentile of an ascending array; 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1] ?? 0;
}
