// At start, the daemon kills the plugin processes a previous daemon left
// running (it was killed by SIGKILL, or crashed, before it could stop them).
//
// A record is acted on only when /proc/<pid>/stat still shows the recorded
// start time: then the process is the one we started, and since a process
// group id cannot be reused while its leader lives, the group -pgid is ours
// too. A pid that is gone, or that now belongs to a process with another
// start time (the pid was reused), is never signalled: the record is dropped.
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_PROC_ROOT, isLive, liveGroupMembers, readProcStat } from './proc-stat.js';
import type { ProcStat } from './proc-stat.js';
import type { PluginProcessRecord, StateStore } from './records.js';

/** The two pino methods used; a pino Logger fits. */
export interface ReapLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface ReapOptions {
  readonly log: ReapLog;
  /** Where /proc is; tests point it at a fixture tree. */
  readonly procRoot?: string;
  /** Signals process group `pgid`; throws like process.kill. Default: process.kill(-pgid, signal). */
  readonly kill?: (pgid: number, signal: NodeJS.Signals) => void;
  /** How long a killed group may take to disappear before it counts as surviving. */
  readonly goneWithinMs?: number;
}

export interface KilledLeftover {
  readonly name: string;
  readonly pid: number;
  readonly pgid: number;
  readonly path: string;
}

export interface NotKilled {
  readonly name: string;
  readonly reason: string;
}

export interface ReapSummary {
  /** Leftovers killed and verified gone; their records are dropped. */
  readonly killed: KilledLeftover[];
  /** Not ours to kill (gone, pid reused, corrupt record, still supervised); nothing was signalled. */
  readonly skipped: NotKilled[];
  /** Ours, but could not be killed; the record is kept so the next start tries again. */
  readonly failed: NotKilled[];
}

const DEFAULT_GONE_WITHIN_MS = 2_000;
// A process killed with SIGKILL is torn down by the kernel asynchronously and,
// not being our child, cannot be waited for: /proc is polled instead.
const POLL_MS = 10;

function defaultKill(pgid: number, signal: NodeJS.Signals): void {
  process.kill(-pgid, signal);
}

function errorText(error: unknown): string {
  return (error as Error | undefined)?.message ?? String(error);
}

async function stillOurs(record: PluginProcessRecord, procRoot: string): Promise<boolean> {
  const stat = await readProcStat(record.pid, procRoot).catch(() => undefined);
  return stat !== undefined && stat.startTime === record.startTime && isLive(stat);
}

/** Waits until neither the recorded process nor any member of its group is alive. */
async function goneWithin(record: PluginProcessRecord, procRoot: string, ms: number): Promise<ProcStat[] | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const leader = await stillOurs(record, procRoot);
    const members = await liveGroupMembers(record.pgid, procRoot);
    if (!leader && members.length === 0) return undefined;
    if (Date.now() >= deadline) return members;
    await delay(POLL_MS);
  }
}

type Outcome =
  | { readonly kind: 'killed' }
  | { readonly kind: 'skipped'; readonly reason: string; readonly forget: boolean }
  | { readonly kind: 'failed'; readonly reason: string };

async function reapOne(record: PluginProcessRecord, options: ReapOptions): Promise<Outcome> {
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const { pid, pgid } = record;
  let stat: ProcStat | undefined;
  try {
    stat = await readProcStat(pid, procRoot);
  } catch (error) {
    return { kind: 'skipped', reason: `cannot tell whether pid ${pid} is still the plugin process: ${errorText(error)}; not killed`, forget: true };
  }
  if (stat === undefined) return { kind: 'skipped', reason: `process ${pid} is gone; nothing to kill`, forget: true };
  if (stat.startTime !== record.startTime) {
    return {
      kind: 'skipped',
      reason:
        `pid reused: pid ${pid} is now ${JSON.stringify(stat.comm)}, started at tick ${stat.startTime}, ` +
        `not the plugin process started at tick ${record.startTime}; not killed`,
      forget: true,
    };
  }
  if (record.daemonPid === process.pid) {
    return { kind: 'skipped', reason: `process ${pid} was started by this daemon`, forget: false };
  }
  // A plugin whose daemon died has been re-parented; one still parented to
  // its daemon means that daemon lives (another daemon on the same state dir).
  if (stat.ppid === record.daemonPid) {
    return {
      kind: 'skipped',
      reason: `process ${pid} is still a child of daemon pid ${record.daemonPid}, which is running; is another snoozebot daemon using this state directory?`,
      forget: false,
    };
  }
  try {
    (options.kill ?? defaultKill)(pgid, 'SIGKILL');
  } catch (error) {
    // ESRCH: it died on its own just now, which is just as good.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
      return { kind: 'failed', reason: `SIGKILL to process group ${pgid} failed: ${errorText(error)}` };
    }
  }
  const survivors = await goneWithin(record, procRoot, options.goneWithinMs ?? DEFAULT_GONE_WITHIN_MS);
  if (survivors !== undefined) {
    const who = survivors.length > 0 ? survivors.map((s) => `${s.pid} (${s.comm}, state ${s.state})`).join(', ') : `${pid} (${stat.comm})`;
    return { kind: 'failed', reason: `process group ${pgid} still has ${who} after SIGKILL` };
  }
  return { kind: 'killed' };
}

export async function reapLeftovers(store: StateStore, options: ReapOptions): Promise<ReapSummary> {
  const summary: ReapSummary = { killed: [], skipped: [], failed: [] };
  const { log } = options;
  let listed: Awaited<ReturnType<StateStore['list']>>;
  try {
    listed = await store.list();
  } catch (error) {
    log.warn({ dir: store.dir, error: errorText(error) }, 'cannot read the plugin records in the state directory; leftover plugin processes, if any, are not cleaned up');
    return summary;
  }
  for (const bad of listed.corrupt) {
    const name = bad.file.replace(/^.*\//, '').replace(/\.json$/, '');
    summary.skipped.push({ name, reason: `corrupt record ${bad.file} (${bad.reason}); removed it` });
    log.warn({ file: bad.file, reason: bad.reason }, 'removed a corrupt plugin record from the state directory');
  }
  for (const record of listed.records) {
    const fields = { plugin: record.name, pluginPid: record.pid, pgid: record.pgid, path: record.path, previousDaemonPid: record.daemonPid };
    const outcome = await reapOne(record, options).catch(
      (error: unknown): Outcome => ({ kind: 'failed', reason: `checking process ${record.pid} failed: ${errorText(error)}` }),
    );
    const forget = () =>
      store.forget(record.name).catch((error: unknown) => {
        log.warn({ ...fields, error: errorText(error) }, 'could not remove a plugin record from the state directory');
      });
    switch (outcome.kind) {
      case 'killed':
        summary.killed.push({ name: record.name, pid: record.pid, pgid: record.pgid, path: record.path });
        log.warn(fields, 'killed the process group of a plugin left running by a previous daemon');
        await forget();
        break;
      case 'skipped':
        summary.skipped.push({ name: record.name, reason: outcome.reason });
        log.info({ ...fields, reason: outcome.reason }, outcome.forget ? 'dropped a stale plugin record' : 'left a plugin record alone');
        if (outcome.forget) await forget();
        break;
      case 'failed':
        summary.failed.push({ name: record.name, reason: outcome.reason });
        log.warn({ ...fields, reason: outcome.reason }, 'could not kill a plugin left running by a previous daemon');
        break;
    }
  }
  return summary;
}
