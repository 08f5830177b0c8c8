// CPU time from /proc/stat: the aggregate "cpu" line counts, in USER_HZ
// ticks since boot, how long all cores together spent in each state, so the
// busy share between two reads is the CPU utilisation over that interval.
import { readProcFile } from './proc-file.js';
import { join } from 'node:path';
import { FieldCursor } from './proc-fields.js';
import { SignalParseError, excerpt } from './signal-error.js';

export interface CpuTimes {
  /** Ticks spent not idle (user, nice, system, irq, softirq, steal). */
  readonly busy: number;
  /** Ticks in user..steal: the first 8 fields. guest and guest_nice are already counted in user and nice. */
  readonly total: number;
  /** Online CPUs: the "cpuN" lines (offline ones have none). 0 when the text lists none. */
  readonly cpus: number;
}

// Fields of the "cpu" line, in order: user nice system idle iowait irq
// softirq steal guest guest_nice. Kernels before 2.6.11 stop after irq or
// earlier; 4 is the least any Linux has written.
const COUNTED_FIELDS = 8;
const MIN_FIELDS = 4;
const IDLE = 3;
const IOWAIT = 4;

/** The aggregate CPU times in /proc/stat text. Throws SignalParseError when there is no usable "cpu" line. */
export function parseCpuTimes(text: string): CpuTimes {
  const cursor = new FieldCursor(text);
  if (!cursor.seekLine('cpu ')) throw new SignalParseError(`/proc/stat has no "cpu" line: ${excerpt(text)}`);
  let total = 0;
  // Waiting for I/O is idle: the CPU could have run something else.
  let idle = 0;
  let fields = 0;
  for (; fields < COUNTED_FIELDS; fields++) {
    const ticks = cursor.integer();
    if (ticks === undefined) break;
    if (Number.isNaN(ticks)) throw new SignalParseError(`/proc/stat "cpu" field ${fields + 1} is not a number: ${excerpt(text)}`);
    total += ticks;
    if (fields === IDLE || fields === IOWAIT) idle += ticks;
  }
  if (fields < MIN_FIELDS) throw new SignalParseError(`/proc/stat "cpu" line has ${fields} fields, expected at least ${MIN_FIELDS}: ${excerpt(text)}`);
  return { busy: total - idle, total, cpus: countCpus(text) };
}

const ZERO = 0x30;
const NINE = 0x39;

/** The "cpuN" lines of /proc/stat text: the CPUs the load average is spread over. */
export function countCpus(text: string): number {
  const first = text.charCodeAt(3);
  let cpus = text.startsWith('cpu') && first >= ZERO && first <= NINE ? 1 : 0;
  for (let at = text.indexOf('\ncpu'); at >= 0; at = text.indexOf('\ncpu', at + 4)) {
    const c = text.charCodeAt(at + 4);
    if (c >= ZERO && c <= NINE) cpus++;
  }
  return cpus;
}

/** The boot time ("btime", seconds since the epoch) in /proc/stat text; undefined when absent or malformed. */
export function parseBootTime(text: string): number | undefined {
  const cursor = new FieldCursor(text);
  if (!cursor.seekLine('btime ')) return undefined;
  const seconds = cursor.integer();
  return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/**
 * CPU utilisation in percent between two reads; undefined when no time passed
 * (or the counters went backwards). Clamped to 0..100 because iowait can
 * decrease on some kernels, which makes a single interval look odd.
 */
export function cpuPercent(previous: Pick<CpuTimes, 'busy' | 'total'>, current: Pick<CpuTimes, 'busy' | 'total'>): number | undefined {
  const total = current.total - previous.total;
  if (!(total > 0)) return undefined;
  const percent = ((current.busy - previous.busy) / total) * 100;
  return percent < 0 ? 0 : percent > 100 ? 100 : percent;
}

export function procStatPath(root: string): string {
  return join(root, 'proc/stat');
}

export async function readCpuTimes(root: string): Promise<CpuTimes> {
  return parseCpuTimes(readProcFile(procStatPath(root)));
}

/** Boot time in seconds since the epoch; undefined when /proc/stat cannot be read or has no btime. */
export async function readBootTime(root: string): Promise<number | undefined> {
  try {
    return parseBootTime(readProcFile(procStatPath(root)));
  } catch {
    return undefined;
  }
}
