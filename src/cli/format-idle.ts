// The idle part of `snoozebot status`: is the machine idle or busy, for how
// long, which signals keep it up (value against threshold), and when it would
// stop or why it will not. Pure like format.ts: `now` and the time zone are
// parameters so the output is testable.
import type { DaemonStatus } from '../daemon/types.js';
import type { IdleStatus, PhaseChange, SessionActivity, SignalReading, StopOutcome } from '../daemon/idle/status.js';
import { cut, formatKeyValues, formatStatus, formatTable, humanizeDuration } from './format.js';

const NONE = '-';

export interface IdleFormatOptions {
  /** IANA zone for clock times; default the CLI's local zone (the operator's, on the VM). */
  readonly timeZone?: string | undefined;
}

/** `status`: the daemon summary, then the idle block. */
export function formatStatusReport(status: DaemonStatus, now: Date, options: IdleFormatOptions = {}): string {
  const daemon = formatStatus(status);
  // A daemon from before idle detection answers without the field.
  const idle = (status as Partial<Pick<DaemonStatus, 'idle'>>).idle;
  if (idle === undefined) return `${daemon}\n\nidle: unknown (this daemon does not report idle detection; upgrade it)`;
  return `${daemon}\n\n${formatIdle(idle, now, options)}`;
}

/** The idle summary lines, then the signal table when there are readings, then the sessions like `w`. */
export function formatIdle(idle: IdleStatus, now: Date, options: IdleFormatOptions = {}): string {
  const parts = [formatIdleSummary(idle, now, options)];
  if (idle.signals.length > 0) parts.push(formatSignalTable(idle.signals));
  const sessions = idle.signals.find((reading) => reading.signal === 'sessions')?.sessions ?? [];
  if (sessions.length > 0) parts.push(formatSessionTable(sessions, now, options.timeZone));
  return parts.join('\n\n');
}

/** USER TTY FROM LOGIN@ IDLE COUNTS, one row per session, as `w` lists them. */
export function formatSessionTable(sessions: readonly SessionActivity[], now: Date, timeZone?: string): string {
  const rows = sessions.map((session) => [
    session.user || '?',
    session.line || (session.service === undefined ? NONE : `(${session.service})`),
    session.host || NONE,
    session.loginTime === null ? NONE : clockTime(session.loginTime, now, timeZone),
    session.idleSeconds === null ? '?' : humanizeDuration(session.idleSeconds),
    session.counted ? (session.idleSeconds === null ? 'yes (input unknown)' : 'yes') : 'no',
  ]);
  return formatTable([['USER', 'TTY', 'FROM', 'LOGIN@', 'IDLE', 'COUNTS'], ...rows]);
}

export function formatIdleSummary(idle: IdleStatus, now: Date, options: IdleFormatOptions = {}): string {
  const clock = (iso: string): string => clockTime(iso, now, options.timeZone);
  const pairs: [string, string][] = [
    ['idle', stateLine(idle, now, clock)],
    ['stop', stopLine(idle, now, clock)],
  ];
  if (idle.enabled) {
    pairs.push(['nap time', `${shortDuration(idle.napTimeSeconds)}, checked every ${shortDuration(idle.checkIntervalSeconds)}`]);
  }
  if (idle.enabled && idle.graceUntil !== null) {
    const left = secondsUntil(idle.graceUntil, now);
    pairs.push(['grace', `until ${clock(idle.graceUntil)}${left === undefined ? '' : ` (${humanizeDuration(left)} left)`}: no stop before then`]);
  }
  if (idle.enabled) {
    const ago = idle.lastSampleAt === null ? undefined : secondsUntil(idle.lastSampleAt, now);
    pairs.push([
      'last sample',
      idle.lastSampleAt === null ? 'none yet' : `${clock(idle.lastSampleAt)}${ago === undefined ? '' : ` (${humanizeDuration(-ago)} ago)`}`,
    ]);
  }
  const interfaces = idle.signals.find((reading) => reading.signal === 'network')?.interfaces;
  if (idle.enabled && interfaces !== undefined) pairs.push(['network on', interfaces.length === 0 ? 'no interface' : interfaces.join(', ')]);
  // A daemon from before the record answers without it.
  const change = (idle as Partial<Pick<IdleStatus, 'phaseChanges'>>).phaseChanges?.at(-1);
  if (idle.enabled && change !== undefined) pairs.push(['last change', changeLine(change, now, clock)]);
  if (idle.lastStop !== null) pairs.push(['last stop', lastStopLine(idle.lastStop, now, options.timeZone)]);
  return formatKeyValues(pairs);
}

/** "14:05:31 busy → idle: every signal at or under its threshold". */
function changeLine(change: PhaseChange, now: Date, clock: (iso: string) => string): string {
  const ago = secondsUntil(change.at, now);
  return `${clock(change.at)}${ago === undefined ? '' : ` (${humanizeDuration(-ago)} ago)`} ${change.from} → ${change.to}: ${cut(change.reason, 80)}`;
}

function stateLine(idle: IdleStatus, now: Date, clock: (iso: string) => string): string {
  const idleFor = `idle for ${humanizeDuration(idle.idleSeconds)}`;
  switch (idle.phase) {
    case 'disabled':
      return 'off (idle.enabled is false)';
    case 'starting':
      return 'starting: no complete sample yet (rates need two samples)';
    case 'busy': {
      const since = idle.since === null ? undefined : secondsUntil(idle.since, now);
      const head = since === undefined ? 'busy' : `busy for ${humanizeDuration(-since)}`;
      const why = busyReasons(idle);
      return why === '' ? head : `${head}: ${why}`;
    }
    case 'idle':
      return idle.since === null ? idleFor : `${idleFor} (since ${clock(idle.since)})`;
    case 'announced':
      return `${idleFor}; the stop is announced and any activity before it cancels it`;
    case 'stopping':
      return `${idleFor}; stopping now`;
    case 'stopped':
      return idle.lastStop?.outcome === 'dry-run'
        ? 'idle; the stop was logged (dry run); nothing more until the machine is busy again'
        : 'idle; stopped; nothing more until the machine is busy again';
    case 'failed':
      return 'idle; the stop failed (see last stop); no new attempt until the machine is busy again or the config is reloaded';
  }
}

function stopLine(idle: IdleStatus, now: Date, clock: (iso: string) => string): string {
  const dry = idle.dryRun ? ' (dry run: only logged, the machine keeps running)' : '';
  if (idle.phase === 'disabled') return 'never: idle detection is off';
  if (idle.phase === 'stopped') return `done${dry}`;
  if (idle.phase === 'failed') {
    const unknown = idle.lastStop?.outcome === 'unknown' ? 'outcome unknown, ' : '';
    return `${unknown}not retried: ${cut(idle.lastStop?.message ?? 'the stop failed', 160)}`;
  }
  if (idle.providerProblem !== null) return `cannot: ${idle.providerProblem}`;
  if (idle.provider === null) {
    return 'cannot: no plugin to stop through (set idle.provider or defaultProvider, or load exactly one plugin)';
  }
  const through = `through plugin ${idle.provider}${dry}`;
  switch (idle.phase) {
    case 'stopping':
      return `now, ${through}`;
    case 'idle':
    case 'announced': {
      if (idle.stopAt === null) return through;
      const left = secondsUntil(idle.stopAt, now);
      return `at ${clock(idle.stopAt)}${left === undefined ? '' : ` (in ${humanizeDuration(left)})`}, ${through}`;
    }
    default: {
      // Busy or starting: the earliest stop is one nap from now, and never inside the grace period.
      const earliest = earliestStop(idle, now);
      const prefix = idle.phase === 'busy' ? 'not while busy; once ' : 'once ';
      return `${prefix}idle for ${shortDuration(idle.napTimeSeconds)}, at the earliest ${clock(earliest.toISOString())}, ${through}`;
    }
  }
}

function earliestStop(idle: IdleStatus, now: Date): Date {
  const afterNap = now.getTime() + idle.napTimeSeconds * 1000;
  const grace = idle.graceUntil === null ? Number.NaN : Date.parse(idle.graceUntil);
  return new Date(Number.isNaN(grace) ? afterNap : Math.max(afterNap, grace));
}

/** "cpu 37.2 % > 10 %, sessions 1 > 0 (alice on pts/0)". */
export function busyReasons(idle: Pick<IdleStatus, 'busySignals' | 'signals'>): string {
  return idle.busySignals
    .map((name) => {
      const reading = idle.signals.find((candidate) => candidate.signal === name);
      if (reading === undefined) return name;
      if (reading.value === null) return `${name} unreadable${reading.detail === undefined ? '' : ` (${cut(reading.detail, 80)})`}`;
      // A check has no scale: it says busy or not, and its detail says why.
      const comparison =
        reading.unit === 'exit' ? name : `${name} ${formatSignalValue(reading)} > ${formatThresholdValue(reading)}`;
      const showDetail = reading.detail !== undefined && (reading.unit === 'sessions' || reading.unit === 'exit');
      return showDetail ? `${comparison} (${cut(reading.detail ?? '', 80)})` : comparison;
    })
    .join(', ');
}

function lastStopLine(stop: StopOutcome, now: Date, timeZone: string | undefined): string {
  const when = fullTime(stop.at, timeZone);
  const through = stop.plugin === null ? '' : ` through ${stop.plugin}`;
  const attempts = `${stop.attempts} attempt${stop.attempts === 1 ? '' : 's'}`;
  const what =
    stop.outcome === 'stopped' ? `stopped${through}` : stop.outcome === 'dry-run' ? `dry run: would have stopped${through}` : `failed${through}`;
  const ago = secondsUntil(stop.at, now);
  const agoText = ago === undefined ? '' : ` (${humanizeDuration(-ago)} ago)`;
  const message = stop.message === '' ? '' : `: ${cut(stop.message, 100)}`;
  return `${when}${agoText} ${what} after ${attempts}${message}`;
}

/** SIGNAL VALUE THRESHOLD STATE DETAIL, one row per reading. */
export function formatSignalTable(signals: readonly SignalReading[]): string {
  const rows = signals.map((reading) => [
    reading.signal,
    formatSignalValue(reading),
    reading.threshold === null ? 'ignored' : formatThresholdValue(reading),
    signalState(reading),
    reading.detail === undefined || reading.detail === '' ? '' : cut(reading.detail, 60),
  ]);
  return formatTable([['SIGNAL', 'VALUE', 'THRESHOLD', 'STATE', 'DETAIL'], ...rows]);
}

/** busy / idle, or why the reading does not count: ignored (null threshold), unreadable, waiting (first sample). */
export function signalState(reading: SignalReading): string {
  if (reading.threshold === null) return 'ignored';
  if (reading.value === null) return reading.busy ? 'unreadable' : 'waiting';
  return reading.busy ? 'busy' : 'idle';
}

export function formatSignalValue(reading: SignalReading): string {
  return reading.value === null ? NONE : formatMeasure(reading.value, reading.unit);
}

function formatThresholdValue(reading: SignalReading): string {
  if (reading.threshold === null) return NONE;
  // A check's threshold is "exit 0" by construction; a number would only confuse.
  return reading.unit === 'exit' ? NONE : formatMeasure(reading.threshold, reading.unit);
}

/** A value in its unit, for people: 37.2 %, 0.42, 1.2 KiB/s, 3, busy/idle for checks. */
export function formatMeasure(value: number, unit: string): string {
  switch (unit) {
    case '%':
      return `${trimmed(value, 1)} %`;
    case '':
      return trimmed(value, 2);
    case 'B/s':
      return formatRate(value);
    case 'sessions':
      return trimmed(value, 0);
    case 'exit':
      return value > 0 ? 'busy' : 'idle';
    default:
      return `${trimmed(value, 2)} ${unit}`;
  }
}

const RATE_UNITS = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s', 'TiB/s'] as const;

/** Bytes per second in binary units: 0 B/s, 512 B/s, 1.2 KiB/s, 50 KiB/s, 1 MiB/s. */
export function formatRate(bytesPerSecond: number): string {
  let value = Math.max(0, bytesPerSecond);
  let unit = 0;
  while (value >= 1024 && unit < RATE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // 1023.96 KiB/s would round to "1024 KiB/s"; step up instead.
  if (unit > 0 && Number(value.toFixed(1)) >= 1024 && unit < RATE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${trimmed(value, unit === 0 ? 0 : 1)} ${RATE_UNITS[unit]}`;
}

/** Settings-style duration without trailing zero units: 30m, 1h, 1h30m, 10s, 100ms, 1.5s. */
export function shortDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '0s';
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60 && !Number.isInteger(seconds)) return `${trimmed(seconds, 3)}s`;
  return humanizeDuration(seconds).replace(/^(\d+[dhm])00[hms]$/, '$1');
}

function trimmed(value: number, decimals: number): string {
  return String(Number(value.toFixed(decimals)));
}

/** Seconds from `now` to an ISO time (negative when it is past), or undefined when it does not parse. */
function secondsUntil(iso: string, now: Date): number | undefined {
  const then = Date.parse(iso);
  return Number.isNaN(then) ? undefined : (then - now.getTime()) / 1000;
}

interface WallClock {
  readonly date: string;
  readonly time: string;
}

function wallClock(date: Date, timeZone: string | undefined): WallClock {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '??';
  return { date: `${part('year')}-${part('month')}-${part('day')}`, time: `${part('hour')}:${part('minute')}:${part('second')}` };
}

/** "14:05:31" on the same day as `now`, else "2026-11-24 14:05:31"; an unparseable time is shown as given. */
export function clockTime(iso: string, now: Date, timeZone?: string): string {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return iso;
  const at = wallClock(then, timeZone);
  return at.date === wallClock(now, timeZone).date ? at.time : `${at.date} ${at.time}`;
}

function fullTime(iso: string, timeZone: string | undefined): string {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return iso;
  const at = wallClock(then, timeZone);
  return `${at.date} ${at.time}`;
}
