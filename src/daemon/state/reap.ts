// At start, kill what a previous daemon left running: a plugin process group
// whose leader still has the recorded pid AND start time. A pid that now
// belongs to another process (same pid, other start time) is never touched.
import type { Logger } from 'pino';
import { readProcStat } from './proc-stat.js';
import type { StateStore } from './records.js';

export interface ReapOptions {
  readonly log: Logger;
  readonly procRoot?: string;
  readonly kill?: (pgid: number, signal: NodeJS.Signals) => void;
}

export interface ReapSummary {
  readonly killed: Array<{ name: string; pid: number }>;
  readonly skipped: Array<{ name: string; reason: string }>;
}

const defaultKill = (pgid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
};

export async function reapLeftovers(store: StateStore, options: ReapOptions): Promise<ReapSummary> {
  const kill = options.kill ?? defaultKill;
  const summary: ReapSummary = { killed: [], skipped: [] };
  const { records, corrupt } = await store.list();
  for (const file of corrupt) options.log.warn({ file }, 'removed a corrupt plugin record from the state directory');
  for (const record of records) {
    const stat = await readProcStat(record.pid, options.procRoot);
    if (stat === undefined) {
      summary.skipped.push({ name: record.name, reason: `process ${record.pid} is gone` });
    } else if (stat.startTime !== record.startTime) {
      summary.skipped.push({ name: record.name, reason: `pid ${record.pid} now belongs to another process (${stat.comm})` });
    } else {
      kill(record.pgid, 'SIGKILL');
      summary.killed.push({ name: record.name, pid: record.pid });
      options.log.warn({ plugin: record.name, pid: record.pid }, 'killed a plugin process group left by a previous daemon');
    }
    await store.forget(record.name);
  }
  for (const skip of summary.skipped) options.log.debug(skip, 'stale plugin record dropped');
  return summary;
}
