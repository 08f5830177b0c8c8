// When to stop the machine: a pure state machine fed one sample at a time.
// No I/O and no timers, so every rule below is tested by feeding readings
// with made-up times.
//
// Rules (issue 6):
// - The machine is idle when every signal is under its threshold; one busy
//   sample resets the idle clock.
// - It stops only after being idle for the whole nap time, and never within
//   the grace period after boot or after the daemon started.
// - Before stopping it announces, then waits the cancellation window; a busy
//   sample inside the window cancels.
// - A stop is attempted once. Stopped or failed, nothing more happens until
//   activity is seen again (a failure is reported, never looped on).
//
// Every change of phase is recorded with the sample that caused it
// (phase-changes.ts), for the status and for tuning.
import { PhaseChanges, busyReason } from './phase-changes.js';
import type { IdlePhase, PhaseChange, SignalReading } from './status.js';

export interface DecisionTimes {
  readonly napTimeMs: number;
  readonly cancelWindowMs: number;
  /** Epoch ms before which no stop happens (boot or daemon start, plus grace). */
  readonly graceEndsAt: number;
}

/** What the monitor must do after a sample. */
export type IdleAction = 'announce' | 'cancel' | 'stop';

export interface IdleClockSnapshot {
  readonly phase: IdlePhase;
  /** When the current busy or idle stretch began. */
  readonly since: number | null;
  readonly idleSince: number | null;
  readonly announcedAt: number | null;
  readonly busySignals: readonly string[];
}

export class IdleClock {
  #times: DecisionTimes;
  #phase: IdlePhase = 'starting';
  #since: number | null = null;
  #idleSince: number | null = null;
  #announcedAt: number | null = null;
  #busySignals: readonly string[] = [];
  /** The latest sample observed: the evidence of a change that follows it (a stop's end, a reload). */
  #readings: readonly SignalReading[] = [];
  readonly #changes = new PhaseChanges();

  constructor(times: DecisionTimes) {
    this.#times = times;
  }

  /** New nap time, window or grace (SIGHUP); the idle clock keeps running. */
  setTimes(times: DecisionTimes): void {
    this.#times = times;
  }

  get times(): DecisionTimes {
    return this.#times;
  }

  snapshot(): IdleClockSnapshot {
    return {
      phase: this.#phase,
      since: this.#since,
      idleSince: this.#idleSince,
      announcedAt: this.#announcedAt,
      busySignals: this.#busySignals,
    };
  }

  /** The latest phase changes, oldest first, each with the per-signal values that decided it. */
  changes(): readonly PhaseChange[] {
    return this.#changes.list();
  }

  /**
   * When StopInstance would be called if the machine stays idle; null while
   * busy, stopping, or after a stop or failure.
   */
  stopDueAt(): number | null {
    if (this.#phase === 'announced' && this.#announcedAt !== null) return this.#announcedAt + this.#times.cancelWindowMs;
    if (this.#phase !== 'idle' || this.#idleSince === null) return null;
    return this.#announceDueAt(this.#idleSince) + this.#times.cancelWindowMs;
  }

  /** Feeds one sample taken at `now`; returns what to do, in order. */
  observe(now: number, readings: readonly SignalReading[]): IdleAction[] {
    const busy = readings.filter((r) => r.busy).map((r) => r.signal);
    this.#busySignals = busy;
    this.#readings = readings;
    // A StopInstance call in flight is not interrupted: the provider may already be acting on it.
    if (this.#phase === 'stopping') return [];
    if (busy.length > 0) return this.#becomeBusy(now);
    return this.#stayIdle(now);
  }

  /** The call ended: `ok` true for an accepted (or dry-run) stop. */
  stopFinished(now: number, ok: boolean): void {
    this.#moveTo(ok ? 'stopped' : 'failed', now, ok ? 'the stop was done (only logged, in a dry run)' : 'the stop failed (see lastStop)');
    this.#since = now;
    this.#announcedAt = null;
  }

  /** An operator fixed the cause of a failed stop (config reload): try again after the window, keeping the idle clock. */
  retryAfterFailure(now: number): void {
    if (this.#phase === 'failed') this.#moveTo(this.#idleSince === null ? 'starting' : 'idle', now, 'configuration reloaded after a failed stop: trying again');
  }

  #becomeBusy(now: number): IdleAction[] {
    const cancelled = this.#phase === 'announced';
    if (this.#phase !== 'busy') this.#since = now;
    this.#moveTo('busy', now, busyReason(this.#readings));
    this.#idleSince = null;
    this.#announcedAt = null;
    return cancelled ? ['cancel'] : [];
  }

  #stayIdle(now: number): IdleAction[] {
    switch (this.#phase) {
      case 'stopped':
      case 'failed':
        return [];
      case 'starting':
      case 'busy':
        // The stretch counts from the first idle sample: between the last busy
        // sample and this one nobody knows, so the nap is never cut short.
        this.#moveTo('idle', now, 'every signal at or under its threshold');
        this.#since = now;
        this.#idleSince = now;
        break;
      default:
        break;
    }
    const actions: IdleAction[] = [];
    if (this.#phase === 'idle' && this.#idleSince !== null && now >= this.#announceDueAt(this.#idleSince)) {
      this.#moveTo('announced', now, 'idle for the nap time, and the grace period is over');
      this.#announcedAt = now;
      actions.push('announce');
    }
    if (this.#phase === 'announced' && this.#announcedAt !== null && now >= this.#announcedAt + this.#times.cancelWindowMs) {
      // 'stopping' at once: the decision to stop is taken exactly once, whatever the caller does with it.
      this.#moveTo('stopping', now, 'the cancellation window ended without activity');
      actions.push('stop');
    }
    return actions;
  }

  #moveTo(to: IdlePhase, now: number, reason: string): void {
    if (to === this.#phase) return;
    this.#changes.record(now, this.#phase, to, reason, this.#readings);
    this.#phase = to;
  }

  #announceDueAt(idleSince: number): number {
    return Math.max(idleSince + this.#times.napTimeMs, this.#times.graceEndsAt);
  }
}
