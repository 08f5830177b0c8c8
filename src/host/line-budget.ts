// How many of a plugin's output lines are re-logged: a token bucket per
// process. A plugin that floods stdout or stderr (a debug loop, a crash
// printing the same stack forever) would otherwise turn the daemon's log into
// its own, push out every other plugin's lines and cost the daemon CPU per
// line. Lines over the budget are counted, not logged, and the count is
// reported when logging resumes (at most once a second, so a long flood costs
// one report per second, not one per refilled token) or when the process
// ends. Pure: time is passed in.

export interface LineBudgetVerdict {
  /** Log this line. */
  readonly log: boolean;
  /** Lines dropped and not reported yet; report them before this one (0 when none, or reported less than a second ago). */
  readonly droppedBefore: number;
}

const REPORT_EVERY_MS = 1_000;

export class LineBudget {
  readonly perSecond: number;
  readonly burst: number;
  #tokens: number;
  #last: number | undefined;
  #dropped = 0;
  #reportedAt = Number.NEGATIVE_INFINITY;

  constructor(perSecond: number, burst: number) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.#tokens = burst;
  }

  take(nowMs: number): LineBudgetVerdict {
    if (this.#last !== undefined && nowMs > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((nowMs - this.#last) / 1000) * this.perSecond);
    }
    this.#last = this.#last === undefined ? nowMs : Math.max(this.#last, nowMs);
    if (this.#tokens < 1) {
      this.#dropped += 1;
      return { log: false, droppedBefore: 0 };
    }
    this.#tokens -= 1;
    if (this.#dropped === 0 || nowMs - this.#reportedAt < REPORT_EVERY_MS) return { log: true, droppedBefore: 0 };
    const droppedBefore = this.#dropped;
    this.#dropped = 0;
    this.#reportedAt = nowMs;
    return { log: true, droppedBefore };
  }

  /** Lines dropped and not yet reported (at the end of the process). */
  flush(): number {
    const dropped = this.#dropped;
    this.#dropped = 0;
    return dropped;
  }
}
