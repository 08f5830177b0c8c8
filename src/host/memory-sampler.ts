// A plugin's memory, measured when someone asks (status, `plugins list`,
// /metrics) and at most once per MEMORY_SAMPLE_MS, never on a timer of its
// own. A measurement takes a few /proc or cgroup file reads per process: for a
// hundred plugins on every API call they would hold up the daemon's event loop,
// and on a timer they would wake an idle daemon every few seconds for figures
// nobody reads (that timer was a fifth of an idle daemon's CPU).
export const MEMORY_SAMPLE_MS = 5_000;

export class MemorySampler {
  readonly #measure: () => Promise<number>;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #latest: number | undefined;
  #sampledAt = -Infinity;
  #inFlight: Promise<void> | undefined;
  #stopped = false;

  constructor(measure: () => Promise<number>, options: { maxAgeMs?: number; now?: () => number } = {}) {
    this.#measure = measure;
    this.#maxAgeMs = options.maxAgeMs ?? MEMORY_SAMPLE_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Bytes at the last sample; undefined before the first one and after stop(). */
  get latest(): number | undefined {
    return this.#latest;
  }

  /**
   * Measures unless the last sample is younger than the maximum age; callers
   * that ask at the same time share one measurement. Never rejects: a process
   * exiting meanwhile leaves the last figure (stop() clears it).
   */
  refresh(): Promise<void> {
    if (this.#stopped || this.#now() - this.#sampledAt < this.#maxAgeMs) return Promise.resolve();
    this.#inFlight ??= this.#sample().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  stop(): void {
    this.#stopped = true;
    this.#latest = undefined;
  }

  async #sample(): Promise<void> {
    try {
      const bytes = await this.#measure();
      if (this.#stopped) return;
      this.#latest = bytes;
      this.#sampledAt = this.#now();
    } catch {
      // Gone while it was read: the next ask tries again.
    }
  }
}
