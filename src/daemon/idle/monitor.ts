// The idle monitor: samples the signals every check interval, feeds the
// IdleClock, and carries out what it decides (announce, cancel, stop). All
// time comes from the injected Clock and all I/O from the injected sampler,
// stopper and announcer, so tests drive it sample by sample.
//
// Ticks never overlap: a tick that is still sampling (a slow custom check)
// makes the next one wait. A stop runs beside the ticks, which keep the
// status fresh while StopInstance is retried.
import type { Logger } from 'pino';
import type { Announcer, AnnouncementEvent } from './announce.js';
import { humanizeDuration } from '../duration.js';
import { systemClock } from './clock.js';
import type { Clock, ClockTimer } from './clock.js';
import { IdleClock } from './decision.js';
import type { DecisionTimes, IdleAction } from './decision.js';
import type { IdleSettings } from './settings.js';
import type { IdleStatus, SignalReading, StopOutcome } from './status.js';
import { callStopWithRetries } from './stop-call.js';

/** What the monitor needs of the signal readers (IdleSampler). */
export interface IdleSamplerLike {
  prime(): Promise<void>;
  sample(): Promise<SignalReading[]>;
  /** The settings from the next sample on; with idle detection off it also stops what it keeps running (nvidia-smi). */
  configure(settings: IdleSettings): void;
  /** Stops what it keeps running between samples (nvidia-smi), when the monitor closes. */
  close(): void;
}

export interface StopAnswer {
  readonly plugin: string;
  readonly message: string;
  /** True when the dry run kept the call from reaching the plugin. */
  readonly dryRun: boolean;
}

/** Which plugin a stop would go through now, and why it cannot if it cannot. */
export interface StopRoute {
  /** The configured plugin, else the daemon's default; null when there is none. */
  readonly plugin: string | null;
  /** Why no stop can go through it now (none chosen, unloaded by the operator, failed...); null when one can. */
  readonly problem: string | null;
}

/** What the monitor needs of the daemon. */
export interface IdleStopper {
  route(configured: string | null): StopRoute;
  /** StopInstance through the daemon (which enforces --dry-run itself). */
  stop(provider: string): Promise<StopAnswer>;
}

/** A stop that cannot go anywhere: never retried, reported as it is. */
class StopBlockedError extends Error {
  override readonly name = 'StopBlockedError';
  readonly code = 'STOP_BLOCKED';
}

export interface IdleMonitorOptions {
  readonly settings: IdleSettings;
  readonly dryRun: boolean;
  readonly sampler: IdleSamplerLike;
  readonly stopper: IdleStopper;
  readonly announce: Announcer;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Epoch ms the daemon started; default the clock's now. */
  readonly startedAt?: number;
  /** Epoch ms the machine booted, when known. */
  readonly bootTime?: number;
  /** Each finished stop, for metrics. */
  readonly onStop?: (outcome: StopOutcome) => void;
}

export class IdleMonitor {
  #settings: IdleSettings;
  #dryRun: boolean;
  readonly #sampler: IdleSamplerLike;
  readonly #stopper: IdleStopper;
  readonly #announce: Announcer;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #startedAt: number;
  #bootTime: number;
  readonly #onStop: ((outcome: StopOutcome) => void) | undefined;
  readonly #idle: IdleClock;
  #readings: readonly SignalReading[] = [];
  #lastSampleAt: number | null = null;
  #lastStop: StopOutcome | null = null;
  #primed = false;
  #timer: ClockTimer | undefined;
  #ticking: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #closed = false;
  /** Ends a stop's retry wait when the daemon closes. */
  readonly #closing = new AbortController();

  constructor(options: IdleMonitorOptions) {
    this.#settings = options.settings;
    this.#dryRun = options.dryRun;
    this.#sampler = options.sampler;
    this.#stopper = options.stopper;
    this.#announce = options.announce;
    this.#log = options.logger.child({ component: 'idle' });
    this.#clock = options.clock ?? systemClock;
    this.#startedAt = options.startedAt ?? this.#clock.now();
    this.#bootTime = options.bootTime ?? 0;
    this.#onStop = options.onStop;
    this.#idle = new IdleClock(this.#times());
  }

  /** When the machine booted (read after construction); moves the end of the grace period. */
  setBootTime(epochMs: number): void {
    this.#bootTime = epochMs;
    this.#idle.setTimes(this.#times());
  }

  /** Primes the rate counters and schedules the first sample one interval from now. */
  async start(): Promise<void> {
    if (!this.#settings.enabled) {
      this.#log.info('idle detection is off (idle.enabled is false)');
      return;
    }
    await this.#prime();
    const s = this.#settings;
    this.#log.info(
      {
        napTimeMs: s.napTimeMs,
        checkIntervalMs: s.checkIntervalMs,
        graceUntil: new Date(this.#times().graceEndsAt).toISOString(),
        provider: this.#stopper.route(s.provider).plugin,
        dryRun: this.#dryRun,
        checks: s.checks.map((c) => c.name),
      },
      'idle detection on',
    );
    this.#schedule();
  }

  /** SIGHUP: new settings from the next sample on; the idle clock is kept. */
  reconfigure(settings: IdleSettings, dryRun: boolean): void {
    const wasEnabled = this.#settings.enabled;
    this.#settings = settings;
    this.#dryRun = dryRun;
    this.#sampler.configure(settings);
    this.#idle.setTimes(this.#times());
    // An operator reloading after a failed stop has usually fixed its cause.
    this.#idle.retryAfterFailure(this.#clock.now());
    if (!settings.enabled) {
      if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      if (wasEnabled) this.#log.info('idle detection turned off by a config reload');
      return;
    }
    // Only a monitor that was off needs starting: a running one picks the new settings up at its next tick.
    if (!wasEnabled) {
      this.#log.info('idle detection turned on by a config reload');
      this.#prime().then(
        () => this.#schedule(),
        (error: unknown) => this.#log.error({ error: (error as Error).message }, 'the idle monitor could not start; idle stops are off'),
      );
    }
  }

  /** Takes one sample and acts on it; concurrent calls share the running tick. */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  /** Resolves when the stop in progress (if any) has finished; for tests and shutdown. */
  async settled(): Promise<void> {
    await this.#ticking;
    await this.#stopping;
  }

  /** No more samples or stops; waits for the ones running. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.settled();
    // After the last sample: no tick is left to start nvidia-smi again.
    this.#sampler.close();
  }

  status(): IdleStatus {
    const now = this.#clock.now();
    const s = this.#settings;
    const snap = this.#idle.snapshot();
    const napping = snap.phase === 'idle' || snap.phase === 'announced' || snap.phase === 'stopping';
    const graceEndsAt = this.#idle.times.graceEndsAt;
    const stopAt = s.enabled ? this.#idle.stopDueAt() : null;
    const route = this.#stopper.route(s.provider);
    return {
      enabled: s.enabled,
      phase: s.enabled ? snap.phase : 'disabled',
      since: iso(snap.since),
      idleSeconds: napping && snap.idleSince !== null ? Math.max(0, Math.round((now - snap.idleSince) / 1000)) : 0,
      napTimeSeconds: s.napTimeMs / 1000,
      checkIntervalSeconds: s.checkIntervalMs / 1000,
      graceUntil: now < graceEndsAt ? iso(graceEndsAt) : null,
      stopAt: iso(stopAt),
      provider: route.plugin,
      providerProblem: route.problem,
      dryRun: this.#dryRun,
      lastSampleAt: iso(this.#lastSampleAt),
      signals: this.#readings,
      busySignals: snap.busySignals,
      lastStop: this.#lastStop,
      phaseChanges: this.#idle.changes(),
    };
  }

  #times(): DecisionTimes {
    const s = this.#settings;
    return {
      napTimeMs: s.napTimeMs,
      cancelWindowMs: s.cancelWindowMs,
      graceEndsAt: Math.max(this.#bootTime, this.#startedAt) + s.graceMs,
    };
  }

  async #prime(): Promise<void> {
    if (this.#primed) return;
    this.#sampler.configure(this.#settings);
    await this.#sampler.prime();
    this.#primed = true;
  }

  #schedule(): void {
    if (this.#closed || !this.#settings.enabled) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.tick().finally(() => this.#schedule());
    }, this.#settings.checkIntervalMs);
  }

  async #tick(): Promise<void> {
    if (this.#closed || !this.#settings.enabled) return;
    let readings: readonly SignalReading[];
    try {
      readings = await this.#sampler.sample();
    } catch (error) {
      // Never stop a machine on missing evidence: an unreadable sample counts as busy.
      readings = [{ signal: 'sampler', value: null, threshold: null, unit: '', busy: true, detail: (error as Error).message }];
    }
    if (this.#closed) return;
    const now = this.#clock.now();
    this.#readings = readings;
    this.#lastSampleAt = now;
    const before = this.#idle.snapshot().phase;
    const actions = this.#idle.observe(now, readings);
    this.#logTransition(before, readings);
    for (const action of actions) this.#act(action, now);
  }

  #logTransition(before: string, readings: readonly SignalReading[]): void {
    const after = this.#idle.snapshot().phase;
    if (this.#log.isLevelEnabled('debug')) this.#log.debug({ phase: after, signals: readings }, 'idle sample');
    if (after === before) return;
    // The values of every signal, so the log keeps what decided each change (status keeps only the latest few).
    const values = signalValues(readings);
    if (after === 'busy') {
      this.#log.info({ busy: describeBusy(readings), values }, 'machine busy: the idle clock is reset');
    } else if (after === 'idle') {
      this.#log.info({ stopAt: iso(this.#idle.stopDueAt()), values }, 'machine idle: every signal is under its threshold');
    }
  }

  #act(action: IdleAction, now: number): void {
    const snap = this.#idle.snapshot();
    const provider = this.#stopper.route(this.#settings.provider).plugin;
    const idleFor = snap.idleSince === null ? 0 : now - snap.idleSince;
    if (action === 'announce') {
      const stopAt = iso(this.#idle.stopDueAt());
      const message =
        `this machine has been idle for ${humanizeDuration(idleFor / 1000)} and ${this.#dryRun ? 'would stop (dry run)' : 'stops'} ` +
        `at ${stopAt ?? 'once the window ends'} through plugin ${provider ?? '(none)'}; any activity cancels`;
      this.#log.warn({ idleSince: iso(snap.idleSince), stopAt, provider, dryRun: this.#dryRun }, message);
      this.#notify('stopping', message, { idleSince: iso(snap.idleSince), stopAt, provider, dryRun: this.#dryRun, signals: this.#readings });
    } else if (action === 'cancel') {
      const busy = describeBusy(this.#readings);
      const message = `stop cancelled: activity during the cancellation window (${busy.join(', ')})`;
      this.#log.info({ busy }, message);
      this.#notify('cancelled', message, { provider, busySignals: snap.busySignals, signals: this.#readings });
    } else {
      this.#stopping = this.#stop(idleFor).finally(() => {
        this.#stopping = undefined;
      });
    }
  }

  async #stop(idleFor: number): Promise<void> {
    const dryRun = this.#dryRun;
    let provider = this.#stopper.route(this.#settings.provider).plugin;
    this.#log.warn({ provider, idleForMs: idleFor, dryRun }, `idle for the nap time: calling StopInstance${dryRun ? ' (dry run)' : ''}`);
    // The route is looked up again before each attempt: an unload or a reload between two attempts counts.
    const attempt = (): Promise<StopAnswer> => {
      const route = this.#stopper.route(this.#settings.provider);
      provider = route.plugin;
      if (route.problem !== null || route.plugin === null) return Promise.reject(new StopBlockedError(`cannot stop: ${route.problem ?? 'no plugin to stop through'}`));
      return this.#stopper.stop(route.plugin);
    };
    const result = await callStopWithRetries(attempt, {
      attempts: this.#settings.stopAttempts,
      clock: this.#clock,
      signal: this.#closing.signal,
      onRetry: (error, attempt, delayMs) =>
        this.#log.warn({ provider, attempt, retryInMs: delayMs, error: error.message }, 'StopInstance was not sent: no plugin serving; retrying'),
    });
    const at = this.#clock.now();
    this.#idle.stopFinished(at, result.ok);
    let outcome: StopOutcome;
    if (result.ok) {
      const noop = result.answer.dryRun;
      outcome = { at: iso(at) ?? '', outcome: noop ? 'dry-run' : 'stopped', plugin: result.answer.plugin, message: result.answer.message, attempts: result.attempts };
      this.#log.warn({ provider: result.answer.plugin, attempts: result.attempts, dryRun: noop }, `idle stop done: ${result.answer.message}`);
    } else {
      const code = (result.error as { code?: unknown }).code;
      const unknown = code === 'OUTCOME_UNKNOWN';
      const message = `${result.error.message}; the monitor will not try again until the machine has been busy and idle again (or the config is reloaded)`;
      outcome = { at: iso(at) ?? '', outcome: unknown ? 'unknown' : 'failed', plugin: provider, message, attempts: result.attempts };
      this.#log.error({ provider, attempts: result.attempts, code }, `idle stop ${unknown ? 'outcome unknown' : 'failed'}: ${message}`);
    }
    this.#lastStop = outcome;
    this.#onStop?.(outcome);
    this.#notify(outcome.outcome === 'failed' || outcome.outcome === 'unknown' ? 'failed' : 'stopped', outcome.message, {
      provider: outcome.plugin,
      attempts: outcome.attempts,
      dryRun: outcome.outcome === 'dry-run',
      outcome: outcome.outcome,
    });
  }

  #notify(event: AnnouncementEvent, message: string, details: Record<string, unknown>): void {
    // Best effort and never in the way of the decision; the announcer logs its own failures.
    void this.#announce({ event, message, details }).catch(() => undefined);
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** "cpu 37.2 > 10", "check:jobs: exit 0". */
export function describeBusy(readings: readonly SignalReading[]): string[] {
  return readings
    .filter((r) => r.busy)
    .map((r) => {
      const value = r.value === null ? 'unreadable' : `${round(r.value)}${r.unit && r.unit !== 'exit' ? ` ${r.unit}` : ''}`;
      const against = r.threshold === null || r.value === null ? '' : ` > ${round(r.threshold)}`;
      return `${r.signal} ${value}${against}${r.detail ? ` (${r.detail})` : ''}`;
    });
}

/** { cpu: [3.2, 10], sessions: [0, 0], gpu: [null, 5] }: each signal's value and threshold. */
function signalValues(readings: readonly SignalReading[]): Record<string, [number | null, number | null]> {
  return Object.fromEntries(readings.map((r) => [r.signal, [r.value, r.threshold]]));
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
