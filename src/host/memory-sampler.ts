// A plugin's memory, sampled in the background while it serves, so that
// reading it (status, `plugins list`, /metrics) costs nothing: measuring
// takes a few /proc or cgroup file reads per process, which for a hundred
// plugins on every API call would hold up the daemon's event loop.
export const MEMORY_SAMPLE_MS = 5_000;

export class MemorySampler {
  readonly #measure: () => Promise<number>;
  readonly #intervalMs: number;
  #latest: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(measure: () => Promise<number>, intervalMs = MEMORY_SAMPLE_MS) {
    this.#measure = measure;
    this.#intervalMs = intervalMs;
  }

  /** Bytes at the last sample; undefined before the first one. */
  get latest(): number | undefined {
    return this.#latest;
  }

  /** Samples now, then every interval until stop(). */
  start(): void {
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#latest = undefined;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(async () => {
      try {
        const bytes = await this.#measure();
        if (!this.#stopped) this.#latest = bytes;
      } catch {
        // A plugin exiting meanwhile: the next sample (or stop()) settles it.
      }
      this.#schedule(this.#intervalMs);
    }, delayMs);
    // Never the reason a host stays alive.
    this.#timer.unref();
  }
}
