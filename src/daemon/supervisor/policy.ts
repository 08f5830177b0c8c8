// When to restart a crashed plugin, and when to give up. Pure: time comes in
// as numbers (ms) and randomness as a function, so tests need no clock.
//
// The first crash of a plugin that was doing fine restarts it at once: a
// one-off kill should cost milliseconds, not a backoff. Crashes that follow
// inside the crash window back off exponentially (initialBackoffMs doubling
// to maxBackoffMs, with jitter so plugins that died together do not restart
// in lockstep), and maxCrashes inside the window mark the plugin failed.

export interface RestartPolicy {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Fraction of the delay added or removed at random, 0..1. */
  readonly jitter: number;
  readonly maxCrashes: number;
  readonly crashWindowMs: number;
  /** Serving this long without a crash forgets the earlier crashes. */
  readonly resetAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialBackoffMs: 100,
  maxBackoffMs: 30_000,
  jitter: 0.2,
  maxCrashes: 5,
  crashWindowMs: 60_000,
  resetAfterMs: 60_000,
};

export type CrashDecision =
  | { readonly action: 'restart'; readonly delayMs: number; readonly crashesInWindow: number }
  | { readonly action: 'fail'; readonly crashesInWindow: number; readonly reason: string };

export class CrashHistory {
  #policy: RestartPolicy;
  #crashes: number[] = [];

  constructor(policy: RestartPolicy) {
    this.#policy = policy;
  }

  /** Crashes inside the window ending at `now`. */
  count(now: number): number {
    return this.#crashes.filter((t) => now - t < this.#policy.crashWindowMs).length;
  }

  /** A new policy (config reload) applies to the crashes already counted: a reload does not hide a crash loop. */
  setPolicy(policy: RestartPolicy): void {
    this.#policy = policy;
  }

  reset(): void {
    this.#crashes = [];
  }

  /**
   * Records a crash at `now`. `servingSinceMs` is when the crashed process had
   * started serving (undefined if it never did).
   */
  record(now: number, servingSinceMs: number | undefined, random: () => number = Math.random): CrashDecision {
    if (servingSinceMs !== undefined && now - servingSinceMs >= this.#policy.resetAfterMs) this.reset();
    this.#crashes = this.#crashes.filter((t) => now - t < this.#policy.crashWindowMs);
    this.#crashes.push(now);
    const crashes = this.#crashes.length;
    if (crashes >= this.#policy.maxCrashes) {
      return {
        action: 'fail',
        crashesInWindow: crashes,
        reason: `crashed ${crashes} times within ${formatMs(this.#policy.crashWindowMs)}`,
      };
    }
    return { action: 'restart', delayMs: backoffDelay(crashes, this.#policy, random), crashesInWindow: crashes };
  }
}

/** Delay before the restart after the `crashes`-th crash in the window (1-based). */
export function backoffDelay(crashes: number, policy: RestartPolicy, random: () => number = Math.random): number {
  if (crashes <= 1) return 0;
  const base = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (crashes - 2));
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base + spread));
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
