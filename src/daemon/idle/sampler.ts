// Reads every idle signal once per check interval and turns each into a
// SignalReading against its threshold. Counters (CPU ticks, network and disk
// bytes) become utilisation and rates against the previous read, so the
// sampler keeps the last counters and nothing else: it runs every few seconds
// for months.
//
// A signal that cannot be read counts as busy (value null, the reason in
// detail): a machine is never stopped on missing evidence. A signal with a
// null threshold is shown but never busy.
import { humanizeDuration } from '../duration.js';
import type { CustomCheck, IdleSettings, IdleThresholds } from './settings.js';
import type { SessionActivity, SignalReading } from './status.js';
import { runCheck } from './signals/check.js';
import type { CheckResult } from './signals/check.js';
import { cpuPercent, readBootTime, readCpuTimes } from './signals/cpu.js';
import type { CpuTimes } from './signals/cpu.js';
import { readDiskBytes } from './signals/disk.js';
import type { DiskBytes } from './signals/disk.js';
import { highestPercent } from './signals/gpu.js';
import type { GpuUtilization } from './signals/gpu.js';
import { GpuStream } from './signals/gpu-stream.js';
import type { GpuRead } from './signals/gpu-stream.js';
import { InterfaceSelector } from './signals/interfaces.js';
import type { InterfaceChoice } from './signals/interfaces.js';
import { readLoadAverages } from './signals/load.js';
import type { LoadAverages } from './signals/load.js';
import { readIdleHints } from './signals/logind-idle.js';
import type { IdleHint } from './signals/logind-idle.js';
import { NetworkMeter } from './signals/network-meter.js';
import { readInterfaceBytes } from './signals/network.js';
import type { InterfaceBytes } from './signals/network.js';
import { ratePerSecond } from './signals/rate.js';
import { describeSession, readSessions } from './signals/sessions.js';
import type { LoginSession } from './signals/sessions.js';
import { isGraphical, sessionActivity } from './signals/session-activity.js';

export interface IdleSamplerOptions {
  /** Filesystem root of /proc, /sys, /dev, utmp and /run/systemd/sessions: "/" in production. */
  readonly root: string;
  readonly thresholds: IdleThresholds;
  readonly checks: readonly CustomCheck[];
  /** The PATH value nvidia-smi and loginctl are looked up in; default process.env.PATH ('' looks nowhere). */
  readonly toolPath?: string;
  /** nvidia-smi's and loginctl's environment; default process.env. */
  readonly toolEnv?: NodeJS.ProcessEnv;
  /** Epoch milliseconds; default Date.now. */
  readonly now?: () => number;
  /** Default null: every live session counts (configure() sets the configured value). */
  readonly sessionIdleMs?: number | null;
  /** Default null: the physical interfaces. */
  readonly networkInterfaces?: readonly string[] | null;
  /** The check interval, for nvidia-smi's reporting period; default 10 s. */
  readonly checkIntervalMs?: number;
}

/** Two cumulative byte counters read at one time. */
interface ByteCounters {
  readonly in: number;
  readonly out: number;
  readonly at: number;
}

/** Sessions listed in a reading's detail; the count covers them all. */
const MAX_LISTED_SESSIONS = 5;

export const FIRST_SAMPLE = 'first sample';

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function reading(signal: string, unit: string, threshold: number | null, value: number, detail?: string): SignalReading {
  const busy = threshold !== null && value > threshold;
  return detail === undefined ? { signal, value, threshold, unit, busy } : { signal, value, threshold, unit, busy, detail };
}

/** Unreadable: busy, unless the signal is left out of the decision. */
function unreadable(signal: string, unit: string, threshold: number | null, detail: string): SignalReading {
  return { signal, value: null, threshold, unit, busy: threshold !== null, detail };
}

/** No value yet: a rate needs a previous counter, which says nothing about use either way. */
function pending(signal: string, unit: string, threshold: number | null, detail: string): SignalReading {
  return { signal, value: null, threshold, unit, busy: false, detail };
}

function rounded(bytesPerSecond: number): string {
  return `${Math.round(bytesPerSecond)} B/s`;
}

/** "alice on pts/0 from 10.0.0.5 (idle 2m05s)"; "(idle ?)" when its input cannot be known. */
export function describeActivity(session: SessionActivity): string {
  const idle = session.idleSeconds === null ? '?' : humanizeDuration(session.idleSeconds);
  return `${describeSession(session)} (idle ${idle})`;
}

function sessionsDetail(sessions: readonly SessionActivity[], sessionIdleMs: number | null): string | undefined {
  if (sessions.length === 0) return undefined;
  const counted = sessions.filter((s) => s.counted);
  const parts: string[] = [];
  if (counted.length > 0) {
    const listed = counted.slice(0, MAX_LISTED_SESSIONS).map(describeActivity).join(', ');
    parts.push(counted.length > MAX_LISTED_SESSIONS ? `${listed} and ${counted.length - MAX_LISTED_SESSIONS} more` : listed);
  }
  const idle = sessions.length - counted.length;
  if (idle > 0 && sessionIdleMs !== null) {
    parts.push(`${idle} more without input for over ${humanizeDuration(sessionIdleMs / 1000)}, not counted`);
  }
  return parts.join('; ');
}

function gpuDetail(gpu: GpuUtilization): string | undefined {
  const parts: string[] = [];
  if (gpu.percents.length > 1) parts.push(`${gpu.percents.length} GPUs: ${gpu.percents.map((p) => `${p} %`).join(', ')}`);
  if (gpu.unavailable > 0) parts.push(`${gpu.unavailable} GPU${gpu.unavailable === 1 ? ' reports' : 's report'} no utilisation ([N/A])`);
  return parts.length === 0 ? undefined : parts.join('; ');
}

/** "on eth0", "on eth0, ens6", "on every interface but lo (none has a device under /sys/class/net)". */
function interfacesDetail(choice: InterfaceChoice): string {
  if (choice.basis === 'all') return 'on every interface but lo (none has a device under /sys/class/net)';
  if (choice.counted.length === 0) return choice.basis === 'configured' ? '(no interface matches idle.networkInterfaces)' : '(no interface)';
  const shown = choice.counted.slice(0, 4).join(', ');
  return `on ${shown}${choice.counted.length > 4 ? ` and ${choice.counted.length - 4} more` : ''}`;
}

export class IdleSampler {
  readonly #root: string;
  readonly #toolPath: string | undefined;
  readonly #toolEnv: NodeJS.ProcessEnv | undefined;
  readonly #now: () => number;
  #thresholds: IdleThresholds;
  #checks: readonly CustomCheck[];
  #sessionIdleMs: number | null;
  #cpu: CpuTimes | undefined;
  readonly #interfaces: InterfaceSelector;
  readonly #network = new NetworkMeter();
  #disk: ByteCounters | undefined;
  readonly #gpu: GpuStream;

  constructor(options: IdleSamplerOptions) {
    this.#root = options.root;
    this.#thresholds = options.thresholds;
    this.#checks = options.checks;
    this.#sessionIdleMs = options.sessionIdleMs ?? null;
    this.#toolPath = options.toolPath ?? process.env.PATH;
    this.#toolEnv = options.toolEnv;
    this.#now = options.now ?? Date.now;
    this.#interfaces = new InterfaceSelector(options.root);
    this.#interfaces.setPatterns(options.networkInterfaces ?? null);
    // On the real clock, whatever the sampler's: it times a real process's output.
    this.#gpu = new GpuStream({ pathValue: this.#toolPath, ...(this.#toolEnv === undefined ? {} : { env: this.#toolEnv }) });
    this.#gpu.setPeriod(options.checkIntervalMs ?? 10_000);
  }

  /**
   * Every setting the sampler uses, from the next sample on (start, and each
   * configuration reload). Settings with idle detection off also stop
   * nvidia-smi: nothing keeps running while nobody samples.
   */
  configure(settings: IdleSettings): void {
    this.#thresholds = settings.thresholds;
    this.#checks = settings.checks;
    this.#sessionIdleMs = settings.sessionIdleMs;
    this.#interfaces.setPatterns(settings.networkInterfaces);
    this.#gpu.setPeriod(settings.checkIntervalMs);
    if (!settings.enabled) this.#gpu.stop();
  }

  /** Applies from the next sample on. */
  setThresholds(thresholds: IdleThresholds): void {
    this.#thresholds = thresholds;
  }

  /** Applies from the next sample on. */
  setChecks(checks: readonly CustomCheck[]): void {
    this.#checks = checks;
  }

  /** Stops what runs between samples (nvidia-smi); a later sample starts it again. */
  close(): void {
    this.#gpu.stop();
  }

  /** The running nvidia-smi's pid, if any. */
  get gpuPid(): number | undefined {
    return this.#gpu.pid;
  }

  /**
   * Reads the counters once, so that the first sample already has rates, and
   * starts nvidia-smi so that its first report is in by then. A counter that
   * cannot be read is left for sample() to report.
   */
  async prime(): Promise<void> {
    const at = this.#now();
    const [cpu, network, disk] = await Promise.allSettled([readCpuTimes(this.#root), readInterfaceBytes(this.#root), readDiskBytes(this.#root)]);
    if (cpu.status === 'fulfilled') this.#cpu = cpu.value;
    if (network.status === 'fulfilled') this.#network.measure(network.value, [], at);
    if (disk.status === 'fulfilled') this.#disk = { in: disk.value.readBytes, out: disk.value.writtenBytes, at };
    this.#gpu.read();
  }

  /** Every signal, in a stable order: cpu, load, network, disk, sessions, gpu (when nvidia-smi exists), check:<name>... */
  async sample(): Promise<SignalReading[]> {
    const root = this.#root;
    const thresholds = this.#thresholds;
    const checks = this.#checks;
    const sessionIdleMs = this.#sessionIdleMs;
    const at = this.#now();
    // First, before anything waits: a sample that started is never one that restarts a stopped nvidia-smi late.
    const gpu = this.#gpu.read();
    const [cpu, load, network, disk, sessions, checkResults] = await Promise.allSettled([
      readCpuTimes(root),
      readLoadAverages(root),
      readInterfaceBytes(root),
      readDiskBytes(root),
      readSessions(root).then((found) => this.#activities(found, sessionIdleMs)),
      Promise.all(checks.map((check) => runCheck(check))),
    ]);

    const readings: SignalReading[] = [
      this.#cpuReading(cpu, thresholds.cpuPercent),
      loadReading(load, cpu, thresholds),
      this.#networkReading(network, at, thresholds.networkBytesPerSecond),
      this.#diskReading(disk, at, thresholds.diskBytesPerSecond),
      sessionsReading(sessions, thresholds.sessions, sessionIdleMs),
    ];
    const gpuReading = gpuReadingOf(gpu, thresholds.gpuPercent);
    if (gpuReading !== undefined) readings.push(gpuReading);
    // runCheck never throws; a rejection here would be a bug, still reported as busy.
    const results: readonly CheckResult[] | undefined = checkResults.status === 'fulfilled' ? checkResults.value : undefined;
    checks.forEach((check, i) => {
      const result = results?.[i];
      const signal = `check:${check.name}`;
      if (result === undefined) readings.push(unreadable(signal, 'exit', 0, checkResults.status === 'rejected' ? reason(checkResults.reason) : 'no result'));
      else if (!result.answered) readings.push({ signal, value: null, threshold: 0, unit: 'exit', busy: true, detail: result.detail });
      else readings.push(reading(signal, 'exit', 0, result.busy ? 1 : 0, result.detail));
    });
    return readings;
  }

  /** Each session's input idle time; logind is asked for the desktops' idle hints only when there is a desktop. */
  async #activities(sessions: readonly LoginSession[], sessionIdleMs: number | null): Promise<SessionActivity[]> {
    const desktops = sessions.filter(isGraphical).flatMap((session) => (session.session === undefined ? [] : [session.session]));
    let hints: ReadonlyMap<string, IdleHint> | Error | undefined;
    if (desktops.length > 0) {
      hints = await readIdleHints(desktops, { pathValue: this.#toolPath, ...(this.#toolEnv === undefined ? {} : { env: this.#toolEnv }) }).catch(
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
    }
    const now = this.#now();
    return sessions.map((session) => sessionActivity(session, { root: this.#root, now, sessionIdleMs, hints }));
  }

  #cpuReading(result: PromiseSettledResult<CpuTimes>, threshold: number | null): SignalReading {
    if (result.status === 'rejected') return unreadable('cpu', '%', threshold, reason(result.reason));
    const previous = this.#cpu;
    this.#cpu = result.value;
    if (previous === undefined) return pending('cpu', '%', threshold, FIRST_SAMPLE);
    const percent = cpuPercent(previous, result.value);
    if (percent === undefined) return pending('cpu', '%', threshold, 'no CPU time passed since the last sample');
    return reading('cpu', '%', threshold, percent);
  }

  #networkReading(result: PromiseSettledResult<InterfaceBytes[]>, at: number, threshold: number | null): SignalReading {
    if (result.status === 'rejected') return unreadable('network', 'B/s', threshold, reason(result.reason));
    const choice = this.#interfaces.choose(result.value.map((entry) => entry.name));
    const measured = this.#network.measure(result.value, choice.counted, at);
    const where = interfacesDetail(choice);
    let found: SignalReading;
    if (measured.kind === 'pending') {
      const why =
        measured.why === 'first'
          ? FIRST_SAMPLE
          : measured.why === 'no-time'
            ? 'no time passed since the last sample'
            : 'a counter went down (a device went away or was reset); measuring again from here';
      found = pending('network', 'B/s', threshold, why);
    } else {
      const detail = `received ${rounded(measured.rxPerSecond)}, sent ${rounded(measured.txPerSecond)} ${where}`;
      found = reading('network', 'B/s', threshold, measured.rxPerSecond + measured.txPerSecond, detail);
    }
    return { ...found, interfaces: choice.counted };
  }

  #diskReading(result: PromiseSettledResult<DiskBytes>, at: number, threshold: number | null): SignalReading {
    if (result.status === 'rejected') return unreadable('disk', 'B/s', threshold, reason(result.reason));
    const previous = this.#disk;
    const current = { in: result.value.readBytes, out: result.value.writtenBytes, at };
    this.#disk = current;
    return rateReading('disk', threshold, previous, current, 'read', 'written');
  }
}

function rateReading(signal: string, threshold: number | null, previous: ByteCounters | undefined, current: ByteCounters, inWord: string, outWord: string): SignalReading {
  if (previous === undefined) return pending(signal, 'B/s', threshold, FIRST_SAMPLE);
  const elapsed = current.at - previous.at;
  const inRate = ratePerSecond(previous.in, current.in, elapsed);
  const outRate = ratePerSecond(previous.out, current.out, elapsed);
  if (inRate === undefined || outRate === undefined) {
    const why = elapsed > 0 ? 'a counter went down (a device went away or was reset); measuring again from here' : 'no time passed since the last sample';
    return pending(signal, 'B/s', threshold, why);
  }
  return reading(signal, 'B/s', threshold, inRate + outRate, `${inWord} ${rounded(inRate)}, ${outWord} ${rounded(outRate)}`);
}

/** The absolute 1-minute load, or with load1PerCore set, the load per online CPU. */
function loadReading(result: PromiseSettledResult<LoadAverages>, cpu: PromiseSettledResult<CpuTimes>, thresholds: IdleThresholds): SignalReading {
  const perCore = thresholds.load1PerCore;
  if (perCore === null) {
    if (result.status === 'rejected') return unreadable('load', '', thresholds.load1, reason(result.reason));
    const { load1, load5, load15 } = result.value;
    return reading('load', '', thresholds.load1, load1, `5 min ${load5}, 15 min ${load15}`);
  }
  if (result.status === 'rejected') return unreadable('load', 'per CPU', perCore, reason(result.reason));
  if (cpu.status === 'rejected') return unreadable('load', 'per CPU', perCore, `the CPUs cannot be counted: ${reason(cpu.reason)}`);
  const cpus = cpu.value.cpus;
  if (cpus === 0) return unreadable('load', 'per CPU', perCore, '/proc/stat lists no "cpuN" line, so the load cannot be shared out per CPU');
  const { load1, load5, load15 } = result.value;
  return reading('load', 'per CPU', perCore, load1 / cpus, `${load1} on ${cpus} CPU${cpus === 1 ? '' : 's'}; 5 min ${load5}, 15 min ${load15}`);
}

function sessionsReading(result: PromiseSettledResult<SessionActivity[]>, threshold: number | null, sessionIdleMs: number | null): SignalReading {
  if (result.status === 'rejected') return unreadable('sessions', 'sessions', threshold, reason(result.reason));
  const sessions = result.value;
  const counted = sessions.filter((session) => session.counted).length;
  const found = reading('sessions', 'sessions', threshold, counted, sessionsDetail(sessions, sessionIdleMs));
  return { ...found, sessions };
}

function gpuReadingOf(result: GpuRead, threshold: number | null): SignalReading | undefined {
  switch (result.kind) {
    case 'absent':
      return undefined;
    case 'pending':
      return pending('gpu', '%', threshold, result.detail);
    case 'unreadable':
      return unreadable('gpu', '%', threshold, result.detail);
    case 'value': {
      const highest = highestPercent(result.utilization);
      if (highest === undefined) {
        return unreadable('gpu', '%', threshold, 'nvidia-smi reports no utilisation for any GPU ([N/A]); set idle.thresholds.gpuPercent to null to leave the GPU out');
      }
      return reading('gpu', '%', threshold, highest, gpuDetail(result.utilization));
    }
  }
}

/** When the machine booted (btime in /proc/stat), for the grace period; undefined when unknown. */
export async function bootTime(root: string): Promise<Date | undefined> {
  const seconds = await readBootTime(root);
  return seconds === undefined ? undefined : new Date(seconds * 1000);
}
