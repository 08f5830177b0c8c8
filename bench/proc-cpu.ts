// CPU time of a running process, from /proc/<pid>/stat: utime + stime
// (fields 14 and 15), which count every thread of the process, in clock ticks.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Clock ticks per second (getconf CLK_TCK; 100 on Linux unless told otherwise). */
export async function clockTicks(): Promise<number> {
  try {
    const { stdout } = await run('getconf', ['CLK_TCK']);
    const ticks = Number.parseInt(stdout.trim(), 10);
    return Number.isSafeInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/** utime + stime of `pid`, in clock ticks. */
export async function cpuTicksOf(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  // comm (in parentheses) may hold anything; every field after the last ')' is plain.
  const fields = text.slice(text.lastIndexOf(')') + 1).trim().split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isSafeInteger(utime) || !Number.isSafeInteger(stime)) throw new Error(`no utime/stime in /proc/${pid}/stat`);
  return utime + stime;
}
