// Every process of a soak run, from /proc: the plugins the daemon reported,
// the children the chaos plugin forked, the shell fixtures swapped in, and,
// as a backstop, anything whose command line or environment mentions the
// run's directory (every plugin inherits the daemon's TMPDIR, which is in it,
// and passes it on to its own children).
//
// pid_max is small (32768 here) and a soak starts thousands of processes, so
// a pid is not an identity: a process is its pid plus its start time (field
// 22 of /proc/<pid>/stat), and one seen once is "still there" only if both match.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { isLive } from '../../src/daemon/state/proc-stat.js';
import { procStat } from '../helpers/leftovers.js';
import type { ProcStat } from '../helpers/leftovers.js';

/** state: R, S, D, T (stopped), t, Z (zombie), X... */
export type ProcInfo = ProcStat;

export interface TrackedProcess extends ProcInfo {
  /** Where it was first seen: "plugin local-01", "chaos child", "scan". */
  readonly label: string;
}

export const procInfo = procStat;

/** Alive: exists with the same start time and is not a zombie waiting for its parent. */
export function isAlive(process: Pick<ProcInfo, 'pid' | 'startTime'>): boolean {
  const now = procInfo(process.pid);
  return now !== undefined && now.startTime === process.startTime && isLive(now);
}

function readNul(path: string): string {
  try {
    return readFileSync(path, 'latin1').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Live processes (zombies excluded) whose command line or environment contains `marker`. */
export function processesMentioning(marker: string): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    if (!readNul(`/proc/${pid}/cmdline`).includes(marker) && !readNul(`/proc/${pid}/environ`).includes(marker)) continue;
    const info = procInfo(pid);
    if (info !== undefined && isLive(info)) found.push(info);
  }
  return found;
}

/** One variable of a process's environment (as it was when the process started). */
export function environValue(pid: number, key: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  const entry = text.split('\0').find((e) => e.startsWith(`${key}=`));
  return entry?.slice(key.length + 1);
}

export function cmdline(pid: number): string {
  return readNul(`/proc/${pid}/cmdline`).trim();
}

/** Remembers every process of the run it is told about or finds. */
export class ProcessTracker {
  readonly #seen = new Map<string, TrackedProcess>();
  readonly #marker: string;

  constructor(marker: string) {
    this.#marker = marker;
  }

  get size(): number {
    return this.#seen.size;
  }

  track(pid: number, label: string): void {
    const info = procInfo(pid);
    // Already gone: nothing can be left of it, and its pid may belong to someone else by now.
    if (info === undefined || info.state === 'Z') return;
    const key = `${pid}:${info.startTime}`;
    if (!this.#seen.has(key)) this.#seen.set(key, { ...info, label });
  }

  /** Tracks whatever mentions the run's directory right now. */
  scan(excludePid: number): void {
    for (const info of processesMentioning(this.#marker)) {
      if (info.pid === excludePid) continue;
      const key = `${info.pid}:${info.startTime}`;
      if (!this.#seen.has(key)) this.#seen.set(key, { ...info, label: `scan: ${cmdline(info.pid).slice(0, 120)}` });
    }
  }

  /** Tracked processes still alive, except those in `allowed` (by pid). */
  aliveExcept(allowed: ReadonlySet<number>): TrackedProcess[] {
    return [...this.#seen.values()].filter((p) => !allowed.has(p.pid) && isAlive(p));
  }
}

export interface FdSnapshot {
  readonly total: number;
  readonly sockets: number;
  readonly pipes: number;
  /** fd → what it points at, for explaining a difference. */
  readonly targets: ReadonlyMap<number, string>;
}

/** The descriptors of `pid` once their count has stopped moving (connections closing, plugins settling). */
export async function settledFdSnapshot(pid: number, timeoutMs = 5_000): Promise<FdSnapshot> {
  let last = fdSnapshot(pid);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await delay(100);
    const next = fdSnapshot(pid);
    if (next.total === last.total || Date.now() > deadline) return next;
    last = next;
  }
}

/** The open file descriptors of `pid`. */
export function fdSnapshot(pid: number): FdSnapshot {
  const targets = new Map<number, string>();
  for (const entry of readdirSync(`/proc/${pid}/fd`)) {
    try {
      targets.set(Number(entry), readlinkSync(`/proc/${pid}/fd/${entry}`));
    } catch {
      // closed between the listing and the readlink
    }
  }
  const values = [...targets.values()];
  return {
    total: targets.size,
    sockets: values.filter((t) => t.startsWith('socket:')).length,
    pipes: values.filter((t) => t.startsWith('pipe:')).length,
    targets,
  };
}

/** What kinds of fds `after` has beyond `before`, e.g. { "socket": 2 } (negative: fewer). */
export function fdKindsDiff(before: FdSnapshot, after: FdSnapshot): Record<string, number> {
  const kind = (target: string) => target.replace(/:\[?\d+\]?$/, '').replace(/^\/.*$/, 'file');
  const count = (s: FdSnapshot) => {
    const out = new Map<string, number>();
    for (const t of s.targets.values()) out.set(kind(t), (out.get(kind(t)) ?? 0) + 1);
    return out;
  };
  const a = count(before);
  const b = count(after);
  const diff: Record<string, number> = {};
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const d = (b.get(key) ?? 0) - (a.get(key) ?? 0);
    if (d !== 0) diff[key] = d;
  }
  return diff;
}
