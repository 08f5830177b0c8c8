// Memory of a plugin's processes when no cgroup counts it: the RSS of the
// plugin and every descendant it has (found through /proc/<pid>/task/<tid>/
// children). Shared pages count once per process, so the sum can exceed what
// the processes really take; memory.current (a cgroup) has no such error.
//
// Synchronous: called from status(), which is; /proc reads never wait on a disk.
import { readFileSync, readdirSync } from 'node:fs';

/** VmRSS of one process in bytes, 0 when it is gone (or a kernel thread). */
export function rssBytes(pid: number): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(text);
  return match === null ? 0 : Number(match[1]) * 1024;
}

function children(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const tid of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) {
        if (/^\d+$/.test(child)) found.push(Number(child));
      }
    } catch {
      // The thread ended meanwhile.
    }
  }
  return found;
}

/** RSS of `pid` and all its descendants, in bytes. */
export function processTreeRss(pid: number): number {
  let total = 0;
  const seen = new Set<number>();
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.pop() as number;
    if (seen.has(next)) continue;
    seen.add(next);
    total += rssBytes(next);
    queue.push(...children(next));
  }
  return total;
}
