// Reads every idle signal once per check interval and turns each into a
// SignalReading against its threshold. Counters (CPU ticks, network and disk
// bytes) become utilisation and rates against the previous read, so the
// sampler keeps the last counters and nothing else: it runs every few seconds
// for months.
//
// A signal that cannot be read counts as busy (value null, the reason in
// detail): a machine is never stopped on missing evidence. A signal with a
// null threshold is shown but never busy.
import type { CustomCheck, IdleThresholds } from './settings.js';
import type { SignalReading } from './status.js';
import { runCheck } from './signals/check.js';
import type { CheckResult } from './signals/check.js';
import { cpuPercent, readBootTime, readCpuTimes } from './signals/cpu.js';
import type { CpuTimes } from './signals/cpu.js';
import { readDiskBytes } from './signals/disk.js';
import type { DiskBytes } from './signals/disk.js';
import { highestPercent, readGpuUtilization } from './signals/gpu.js';
import type { GpuUtilization } from './signals/gpu.js';
import { readLoadAverages } from './signals/load.js';
import type { LoadAverages } from './signals/load.js';
import { readNetworkBytes } from './signals/network.js';
import type { NetworkBytes } from './signals/network.js';
import { ratePerSecond } from './signals/rate.js';
import { describeSession, readSessions } from './signals/sessions.js';
import type { LoginSession } from './signals/sessions.js';

export interface IdleSamplerOptions {
  /** Filesystem root of /proc, utmp and /run/systemd/sessions: "/" in production. */
  readonly root: string;
  readonly thresholds: IdleThresholds;
  readonly checks: readonly CustomCheck[];
  /** The PATH value nvidia-smi is looked up in; default process.env.PATH ('' looks nowhere). */
  readonly gpuLookupPath?: string;
  /** nvidia-smi's environment; default process.env. */
  readonly gpuEnv?: NodeJS.ProcessEnv;
  /** Epoch milliseconds; default Date.now. */
  readonly now?: () => number;
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

function sessionsDetail(sessions: readonly LoginSession[]): string | undefined {
  if (sessions.length === 0) return undefined;
  const listed = sessions.slice(0, MAX_LISTED_SESSIONS).map(describeSession).join(', ');
  return sessions.length > MAX_LISTED_SESSIONS ? `${listed} and ${sessions.length - MAX_LISTED_SESSIONS} more` : listed;
}

function gpuDetail(gpu: GpuUtilization): string | undefined {
  const parts: string[] = [];
  if (gpu.percents.length > 1) parts.push(`${gpu.percents.length} GPUs: ${gpu.percents.map((p) => `${p} %`).join(', ')}`);
  if (gpu.unavailable > 0) parts.push(`${gpu.unavailable} GPU${gpu.unavailable === 1 ? ' reports' : 's report'} no utilisation ([N/A])`);
  return parts.length === 0 ? undefined : parts.join('; ');
}

export class IdleSampler {
  readonly #root: string;
  readonly #gpuLookupPath: string | undefined;
  readonly #gpuEnv: NodeJS.ProcessEnv | undefined;
  readonly #now: () => number;
  #thresholds: IdleThresholds;
  #checks: readonly CustomCheck[];
  #cpu: CpuTimes | undefined;
  #network: ByteCounters | undefined;
  #disk: ByteCounters | undefined;

  constructor(options: IdleSamplerOptions) {
    this.#root = options.root;
    this.#thresholds = options.thresholds;
    this.#checks = options.checks;
    this.#gpuLookupPath = options.gpuLookupPath ?? process.env.PATH;
    this.#gpuEnv = options.gpuEnv;
    this.#now = options.now ?? Date.now;
  }

  /** Applies from the next sample on (a configuration reload). */
  setThresholds(thresholds: IdleThresholds): void {
    this.#thresholds = thresholds;
  }

  /** Applies from the next sample on (a configuration reload). */
  setChecks(checks: readonly CustomCheck[]): void {
    this.#checks = checks;
  }

  /** Reads the counters once, so that the first sample already has rates. A counter that cannot be read is left for sample() to report. */
  async prime(): Promise<void> {
    const at = this.#now();
    const [cpu, network, disk] = await Promise.allSettled([readCpuTimes(this.#root), readNetworkBytes(this.#root), readDiskBytes(this.#root)]);
    if (cpu.status === 'fulfilled') this.#cpu = cpu.value;
    if (network.status === 'fulfilled') this.#network = { in: network.value.rxBytes, out: network.value.txBytes, at };
    if (disk.status === 'fulfilled') this.#disk = { in: disk.value.readBytes, out: disk.value.writtenBytes, at };
  }

  /** Every signal, in a stable order: cpu, load, network, disk, sessions, gpu (when nvidia-smi exists), check:<name>... */
  async sample(): Promise<SignalReading[]> {
    const root = this.#root;
    const thresholds = this.#thresholds;
    const checks = this.#checks;
    const at = this.#now();
    const gpuOptions = this.#gpuEnv === undefined ? { pathValue: this.#gpuLookupPath } : { pathValue: this.#gpuLookupPath, env: this.#gpuEnv };
    const [cpu, load, network, disk, sessions, gpu, checkResults] = await Promise.allSettled([
      readCpuTimes(root),
      readLoadAverages(root),
      readNetworkBytes(root),
      readDiskBytes(root),
      readSessions(root),
      readGpuUtilization(gpuOptions),
      Promise.all(checks.map((check) => runCheck(check))),
    ]);

    const readings: SignalReading[] = [
      this.#cpuReading(cpu, thresholds.cpuPercent),
      loadReading(load, thresholds.load1),
      this.#networkReading(network, at, thresholds.networkBytesPerSecond),
      this.#diskReading(disk, at, thresholds.diskBytesPerSecond),
      sessionsReading(sessions, thresholds.sessions),
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

  #cpuReading(result: PromiseSettledResult<CpuTimes>, threshold: number | null): SignalReading {
    if (result.status === 'rejected') return unreadable('cpu', '%', threshold, reason(result.reason));
    const previous = this.#cpu;
    this.#cpu = result.value;
    if (previous === undefined) return pending('cpu', '%', threshold, FIRST_SAMPLE);
    const percent = cpuPercent(previous, result.value);
    if (percent === undefined) return pending('cpu', '%', threshold, 'no CPU time passed since the last sample');
    return reading('cpu', '%', threshold, percent);
  }

  #networkReading(result: PromiseSettledResult<NetworkBytes>, at: number, threshold: number | null): SignalReading {
    if (result.status === 'rejected') return unreadable('network', 'B/s', threshold, reason(result.reason));
    const previous = this.#network;
    const current = { in: result.value.rxBytes, out: result.value.txBytes, at };
    this.#network = current;
    return rateReading('network', threshold, previous, current, 'received', 'sent');
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

function loadReading(result: PromiseSettledResult<LoadAverages>, threshold: number | null): SignalReading {
  if (result.status === 'rejected') return unreadable('load', '', threshold, reason(result.reason));
  const { load1, load5, load15 } = result.value;
  return reading('load', '', threshold, load1, `5 min ${load5}, 15 min ${load15}`);
}

function sessionsReading(result: PromiseSettledResult<LoginSession[]>, threshold: number | null): SignalReading {
  if (result.status === 'rejected') return unreadable('sessions', 'sessions', threshold, reason(result.reason));
  return reading('sessions', 'sessions', threshold, result.value.length, sessionsDetail(result.value));
}

function gpuReadingOf(result: PromiseSettledResult<GpuUtilization | undefined>, threshold: number | null): SignalReading | undefined {
  if (result.status === 'rejected') return unreadable('gpu', '%', threshold, reason(result.reason));
  if (result.value === undefined) return undefined;
  const highest = highestPercent(result.value);
  if (highest === undefined) {
    return unreadable('gpu', '%', threshold, `nvidia-smi reports no utilisation for any GPU ([N/A]); set idle.thresholds.gpuPercent to null to leave the GPU out`);
  }
  return reading('gpu', '%', threshold, highest, gpuDetail(result.value));
}

/** When the machine booted (btime in /proc/stat), for the grace period; undefined when unknown. */
export async function bootTime(root: string): Promise<Date | undefined> {
  const seconds = await readBootTime(root);
  return seconds === undefined ? undefined : new Date(seconds * 1000);
}
