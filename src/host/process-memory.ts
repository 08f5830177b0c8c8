// Memory of a plugin's processes when no cgroup counts it: the RSS of the
// plugin and every descendant it has (found through /proc/<pid>/task/<tid>/
// children). Shared pages count once per process, so the sum can exceed what
// the processes really take; memory.current (a cgroup) has no such error.
import { readFile, readdir } from 'node:fs/promises';

/** VmRSS of one process in bytes, 0 when it is gone (or a kernel thread). */
export async function rssBytes(pid: number): Promise<number> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(text);
  return match === null ? 0 : Number(match[1]) * 1024;
}

async function children(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch((): string[] => []);
  const lists = await Promise.all(tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')));
  return lists.flatMap((list) => list.split(' ').filter((c) => /^\d+$/.test(c)).map(Number));
}

/** RSS of `pid` and all its descendants, in bytes. */
export async function processTreeRss(pid: number): Promise<number> {
  let total = 0;
  const seen = new Set<number>();
  let level = [pid];
  while (level.length > 0) {
    const fresh = level.filter((p) => !seen.has(p));
    for (const p of fresh) seen.add(p);
    const [sizes, next] = await Promise.all([Promise.all(fresh.map(rssBytes)), Promise.all(fresh.map(children))]);
    total += sizes.reduce((a, b) => a + b, 0);
    level = next.flat();
  }
  return total;
}
