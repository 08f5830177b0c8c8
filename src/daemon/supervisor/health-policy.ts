// Counting failed health checks: a plugin is unresponsive after `misses`
// failures in a row; any success starts the count again.

export interface HealthPolicy {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly misses: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = { intervalMs: 5_000, timeoutMs: 1_000, misses: 3 };

export class MissCounter {
  readonly #limit: number;
  #misses = 0;
  #lastError = '';

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Records one check; true when the plugin is now unresponsive. */
  record(ok: boolean, error = ''): boolean {
    if (ok) {
      this.#misses = 0;
      return false;
    }
    this.#misses += 1;
    this.#lastError = error;
    return this.#misses >= this.#limit;
  }

  get misses(): number {
    return this.#misses;
  }

  get lastError(): string {
    return this.#lastError;
  }
}
