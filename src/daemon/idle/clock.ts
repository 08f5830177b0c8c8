// Time as the idle monitor sees it. Injected so tests step a nap time of
// thirty minutes in microseconds, and so the decision never reads Date.now().

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` after `ms`; the timer must not keep the process alive on its own. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
}

/** Opaque handle of a pending timer. */
export interface ClockTimer {
  readonly __clockTimer?: never;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer as ClockTimer;
  },
  clearTimeout(timer) {
    clearTimeout(timer as NodeJS.Timeout);
  },
};
