// Memory of a running process, from /proc. RSS counts every page the process
// maps, shared ones included, so summing it over 100 Node.js processes counts
// the shared Node binary 100 times; PSS splits each shared page among its
// sharers, so its sum is what the processes really cost the machine together.
import { readFile } from 'node:fs/promises';

export interface ProcessMemory {
  /** VmRSS, bytes. */
  readonly rss: number;
  /** Pss from smaps_rollup, bytes; undefined where the kernel has no smaps_rollup. */
  readonly pss: number | undefined;
}

export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

export async function memoryOf(pid: number): Promise<ProcessMemory> {
  const rss = await rssOf(pid);
  let pss: number | undefined;
  try {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1];
    pss = kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    pss = undefined;
  }
  return { rss, pss };
}

/** Totals over several processes; pss only if every one of them had it. */
export async function totalMemory(pids: readonly number[]): Promise<ProcessMemory> {
  const each = await Promise.all(pids.map(memoryOf));
  const rss = each.reduce((sum, m) => sum + m.rss, 0);
  const pss = each.every((m) => m.pss !== undefined) ? each.reduce((sum, m) => sum + (m.pss ?? 0), 0) : undefined;
  return { rss, pss };
}
