// /proc/<pid>/stat, the kernel's one-line record of a process. The start
// time (field 22, clock ticks since boot) is what tells a process from a
// later one that reused its pid.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  /** Clock ticks after boot; stable for the life of the process. */
  readonly startTime: string;
}

/** Parses the text of /proc/<pid>/stat; undefined if it is not one. Pure. */
export function parseProcStat(text: string): ProcStat | undefined {
  // comm is in parentheses and may itself hold spaces and ')': split at the last ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open === -1 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 1).trim().split(/\s+/);
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  const [state, ppid, pgrp] = [rest[0], Number(rest[1]), Number(rest[2])];
  const startTime = rest[19];
  if (!Number.isInteger(pid) || state === undefined || startTime === undefined || !/^\d+$/.test(startTime)) return undefined;
  return { pid, comm: text.slice(open + 1, close), state, ppid, pgrp, startTime };
}

export async function readProcStat(pid: number, procRoot = '/proc'): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(join(procRoot, String(pid), 'stat'), 'utf8'));
  } catch {
    return undefined;
  }
}
