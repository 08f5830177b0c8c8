// A clock the test moves by hand, for the idle monitor: time passes only
// when advance() or runNext() is called, and due timers run in time order.
import type { Clock, ClockTimer } from '../../src/daemon/idle/clock.js';

interface PendingTimer extends ClockTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: PendingTimer[] = [];
  #waiters: Array<{ match: (ms: number) => boolean; resolve: () => void }> = [];

  constructor(start = Date.parse('2026-11-23T12:00:00Z')) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const timer: PendingTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(timer);
    const waiters = this.#waiters;
    this.#waiters = waiters.filter((w) => !w.match(ms));
    for (const w of waiters) if (w.match(ms)) w.resolve();
    return timer;
  }

  /** Resolves when code under test next sets a timer whose delay matches (e.g. a retry's backoff). */
  whenTimerSet(match: (ms: number) => boolean): Promise<void> {
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  clearTimeout(timer: ClockTimer): void {
    this.#timers = this.#timers.filter((t) => t !== timer);
  }

  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.at > until) break;
      this.#fire(next);
    }
    this.#now = until;
  }

  /** Jumps to the next timer and runs it; false when none is pending. */
  runNext(): boolean {
    const next = this.#earliest();
    if (next === undefined) return false;
    this.#fire(next);
    return true;
  }

  #earliest(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.#timers) if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }

  #fire(timer: PendingTimer): void {
    this.#timers = this.#timers.filter((t) => t !== timer);
    this.#now = Math.max(this.#now, timer.at);
    timer.fn();
  }
}
