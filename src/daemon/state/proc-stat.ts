// /proc/<pid>/stat, the kernel's one-line record of a process. Its start time
// (field 22, clock ticks after boot) never changes for the life of a process
// and differs for any later process that gets the same pid, so pid + start
// time names one process unambiguously.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface ProcStat {
  readonly pid: number;
  /** The executable's name as the kernel keeps it (at most 15 bytes, any characters). */
  readonly comm: string;
  /** R, S, D, Z (zombie), T, X (dead), ... */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  /** Clock ticks after boot at which the process started. */
  readonly startTime: number;
}

export class ProcStatError extends Error {
  override readonly name = 'ProcStatError';
}

export const DEFAULT_PROC_ROOT = '/proc';

function integerField(value: string | undefined, field: string, text: string): number {
  const number = value !== undefined && /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new ProcStatError(`malformed /proc stat line (${field} is ${JSON.stringify(value)}): ${JSON.stringify(text.slice(0, 200))}`);
  return number;
}

/** Parses the text of /proc/<pid>/stat. Pure; throws ProcStatError on anything else. */
export function parseProcStat(text: string): ProcStat {
  // comm sits in parentheses and may itself hold spaces, '(' and ')', so it
  // ends at the LAST ')': every field after it is a plain number or letter.
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) throw new ProcStatError(`malformed /proc stat line (no "pid (comm)"): ${JSON.stringify(text.slice(0, 200))}`);
  const pid = integerField(text.slice(0, open), 'pid', text);
  const comm = text.slice(open + 2, close);
  // After the ')' come fields 3 (state), 4 (ppid), 5 (pgrp), ... 22 (starttime).
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const state = rest[0] ?? '';
  if (!/^[A-Za-z]$/.test(state)) throw new ProcStatError(`malformed /proc stat line (state is ${JSON.stringify(state)}): ${JSON.stringify(text.slice(0, 200))}`);
  return {
    pid,
    comm,
    state,
    ppid: integerField(rest[1], 'ppid', text),
    pgrp: integerField(rest[2], 'pgrp', text),
    startTime: integerField(rest[22 - 3], 'starttime', text),
  };
}

function isGoneError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  // ESRCH: the process exited while its stat file was being read.
  return code === 'ENOENT' || code === 'ESRCH';
}

/** The stat of process `pid`, or undefined when there is no such process. */
export async function readProcStat(pid: number, procRoot: string = DEFAULT_PROC_ROOT): Promise<ProcStat | undefined> {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`not a pid: ${pid}`);
  let text: string;
  try {
    text = await readFile(join(procRoot, String(pid), 'stat'), 'utf8');
  } catch (error) {
    if (isGoneError(error)) return undefined;
    throw error;
  }
  return parseProcStat(text);
}

/** A zombie has exited and only waits for its parent to collect it. */
export function isLive(stat: ProcStat): boolean {
  return stat.state !== 'Z' && stat.state !== 'X' && stat.state !== 'x';
}

/** Every process /proc shows (zombies included), from each /proc/<pid>/stat. */
export async function listProcesses(procRoot: string = DEFAULT_PROC_ROOT): Promise<ProcStat[]> {
  const all: ProcStat[] = [];
  for (const entry of await readdir(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: ProcStat | undefined;
    try {
      stat = await readProcStat(Number(entry), procRoot);
    } catch {
      // Unparsable or unreadable: not something we could have started.
      continue;
    }
    if (stat !== undefined) all.push(stat);
  }
  return all;
}

/** Live processes in process group `pgid`, found by reading every /proc/<pid>/stat. */
export async function liveGroupMembers(pgid: number, procRoot: string = DEFAULT_PROC_ROOT): Promise<ProcStat[]> {
  return (await listProcesses(procRoot)).filter((stat) => stat.pgrp === pgid && isLive(stat));
}
