// What the idle monitor shows: `snoozebot status`, GET /v1/status (its `idle`
// field) and /metrics all read this one shape.

/** One signal's latest sample against its threshold. */
export interface SignalReading {
  /** 'cpu' | 'load' | 'network' | 'disk' | 'sessions' | 'gpu' | 'check:<name>'. */
  readonly signal: string;
  /** null: could not be read (then `busy` is true and `detail` says why). */
  readonly value: number | null;
  /** null: the signal is sampled and shown but left out of the decision. */
  readonly threshold: number | null;
  /** '%', '' (load), 'B/s', 'sessions', 'exit' (custom checks: 1 busy, 0 idle). */
  readonly unit: string;
  readonly busy: boolean;
  /** Who is logged in, a check's exit status, or why a reading failed. */
  readonly detail?: string;
  /** sessions only: every live session with its input idle time, like `w`. */
  readonly sessions?: readonly SessionActivity[];
  /** network only: the interfaces whose traffic was counted. */
  readonly interfaces?: readonly string[];
}

/** One logged-in session, as the sessions signal saw it. */
export interface SessionActivity {
  readonly user: string;
  /** The terminal ("pts/0", "tty1"); '' when unknown (logind's ssh sessions). */
  readonly line: string;
  /** Where the user came from; '' for a local login. */
  readonly host: string;
  /** The PAM service of a logind session ("sshd", "gdm-password"). */
  readonly service?: string;
  /** logind's session type (tty, x11, wayland, ...), when logind lists the session. */
  readonly type?: string;
  /** logind's session id, when logind lists the session. */
  readonly session?: string;
  readonly source: 'utmp' | 'logind';
  /** ISO-8601; null when unknown. */
  readonly loginTime: string | null;
  /** Seconds since the session's last input; null when it cannot be known (then the session counts). */
  readonly idleSeconds: number | null;
  /** Where the idle time comes from: the terminal's access time (as `w`), or logind's idle hint (a desktop). */
  readonly idleFrom: 'tty' | 'logind' | null;
  /** Whether the session counts toward the sessions signal: input within idle.sessionIdleMs, unknown input, or sessionIdleMs null. */
  readonly counted: boolean;
}

/**
 * disabled: `idle.enabled` is false.
 * starting: no complete sample yet (rates need two).
 * busy:     some signal is over its threshold.
 * idle:     every signal under its threshold; the nap clock runs.
 * announced: nap time reached; the cancellation window runs, activity aborts it.
 * stopping: StopInstance is being called (with retries while the plugin restarts).
 * stopped:  the provider accepted the stop (or, in a dry run, the daemon logged it); nothing more until activity.
 * failed:   the stop failed and is not retried; nothing more until activity.
 */
export type IdlePhase = 'disabled' | 'starting' | 'busy' | 'idle' | 'announced' | 'stopping' | 'stopped' | 'failed';

export interface StopOutcome {
  /** ISO-8601. */
  readonly at: string;
  /** unknown: StopInstance was sent and no answer came back; it may have been carried out. */
  readonly outcome: 'stopped' | 'dry-run' | 'failed' | 'unknown';
  readonly plugin: string | null;
  readonly message: string;
  readonly attempts: number;
}

/**
 * One change of phase and the sample that caused it, kept so an operator can
 * see which signal (and how far over or under its threshold) decided it.
 */
export interface PhaseChange {
  /** ISO-8601. */
  readonly at: string;
  readonly from: IdlePhase;
  readonly to: IdlePhase;
  /** In words: which signals were busy, "every signal under its threshold", "nap time reached", ... */
  readonly reason: string;
  /** Every signal of the sample that decided the change (the latest sample, for a stop's end). */
  readonly signals: readonly SignalReading[];
}

export interface IdleStatus {
  readonly enabled: boolean;
  readonly phase: IdlePhase;
  /** ISO-8601: when the current phase's condition began (idle since, busy since). */
  readonly since: string | null;
  /** Seconds the machine has been idle (0 unless idle, announced, stopping). */
  readonly idleSeconds: number;
  readonly napTimeSeconds: number;
  readonly checkIntervalSeconds: number;
  /** ISO-8601 end of the grace period after boot or daemon start; null when it is over. */
  readonly graceUntil: string | null;
  /** ISO-8601: when the machine would stop if it stays idle (includes grace and the cancellation window); null while busy. */
  readonly stopAt: string | null;
  /** The plugin that would be asked to stop; null when none is configured or loaded. */
  readonly provider: string | null;
  /** Why no stop can go through a plugin now, and what to do about it; null when one can. */
  readonly providerProblem: string | null;
  readonly dryRun: boolean;
  /** ISO-8601 time of the latest sample. */
  readonly lastSampleAt: string | null;
  readonly signals: readonly SignalReading[];
  /** Names of the busy signals in the latest sample. */
  readonly busySignals: readonly string[];
  readonly lastStop: StopOutcome | null;
  /** The latest changes of phase, oldest first (at most PHASE_CHANGES_KEPT), each with the per-signal values that decided it. */
  readonly phaseChanges: readonly PhaseChange[];
}
