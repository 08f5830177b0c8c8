// One plugin process's output allowance, shared by everything it prints: its
// stderr and stdout pipes and what it sends over GRPCStdio. A budget per
// channel would let a plugin that floods one of them (console.log relayed
// over GRPCStdio is the easy one) fill the daemon's log anyway.
//
// Wraps LineBudget (pure) with the reporting: dropped lines are counted and
// reported when logging resumes, a second after a flood falls silent, and
// when the process's output ends.
import { LineBudget } from './line-budget.js';

export class OutputBudget {
  readonly #budget: LineBudget;
  readonly #report: (dropped: number, budget: LineBudget) => void;
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(perSecond: number, burst: number, report: (dropped: number, budget: LineBudget) => void) {
    this.#budget = new LineBudget(perSecond, burst);
    this.#report = report;
  }

  /** Whether to log one more line now. */
  allow(): boolean {
    const verdict = this.#budget.take(Date.now());
    this.#emit(verdict.droppedBefore);
    if (!verdict.log && this.#flushTimer === undefined) {
      // A plugin that floods and then falls silent still gets its count reported, a second later.
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = undefined;
        this.#emit(this.#budget.flush());
      }, 1_000);
      this.#flushTimer.unref();
    }
    return verdict.log;
  }

  /** The output has ended: report what is left uncounted. */
  close(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#emit(this.#budget.flush());
  }

  #emit(dropped: number): void {
    if (dropped > 0) this.#report(dropped, this.#budget);
  }
}
