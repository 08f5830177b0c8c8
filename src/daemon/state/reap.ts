// At start, the daemon kills the plugin processes a previous daemon left
// running (it was killed by SIGKILL, or crashed, before it could stop them).
//
// A record is acted on only on evidence from /proc that its process group is
// the one the record describes (reap-evidence.ts); anything else is never
// signalled, and a record that describes nothing alive is dropped. The
// records themselves are read only from a state directory nobody else could
// have written to (StateStore.checkSafe): otherwise the daemon refuses them
// with a StateDirError, which ends its start.
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_PROC_ROOT, listProcesses, parseProcStat } from './proc-stat.js';
import type { ProcStat } from './proc-stat.js';
import { judgeRecord } from './reap-evidence.js';
import type { ReapSelf } from './reap-evidence.js';
import { StateDirError } from './records.js';
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
  /** The daemon's pid and process group (default: this process's, from /proc/self/stat). */
  readonly self?: ReapSelf;
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

function ownProcess(): ReapSelf {
  const stat = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
  return { pid: process.pid, pgid: stat.pgrp };
}

/** Waits until /proc no longer shows evidence of the record's group; the survivors if it still does after `ms`. */
async function goneWithin(record: PluginProcessRecord, options: Required<Pick<ReapOptions, 'procRoot'>> & { self: ReapSelf }, ms: number): Promise<ProcStat[] | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const decision = judgeRecord(record, await listProcesses(options.procRoot), options.self);
    if (decision.kind !== 'kill') return undefined;
    if (Date.now() >= deadline) return [...decision.evidence];
    await delay(POLL_MS);
  }
}

type Outcome =
  | { readonly kind: 'killed' }
  | { readonly kind: 'skipped'; readonly reason: string; readonly forget: boolean }
  | { readonly kind: 'failed'; readonly reason: string };

async function reapOne(record: PluginProcessRecord, options: ReapOptions, self: ReapSelf): Promise<Outcome> {
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  let processes: ProcStat[];
  try {
    processes = await listProcesses(procRoot);
  } catch (error) {
    return { kind: 'skipped', reason: `cannot read ${procRoot} to tell whether process ${record.pid} is still the plugin: ${errorText(error)}; not killed`, forget: false };
  }
  const decision = judgeRecord(record, processes, self);
  if (decision.kind === 'skip') return { kind: 'skipped', reason: decision.reason, forget: decision.forget };
  try {
    (options.kill ?? defaultKill)(decision.pgid, 'SIGKILL');
  } catch (error) {
    // ESRCH: it died on its own just now, which is just as good.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
      return { kind: 'failed', reason: `SIGKILL to process group ${decision.pgid} failed: ${errorText(error)}` };
    }
  }
  const survivors = await goneWithin(record, { procRoot, self }, options.goneWithinMs ?? DEFAULT_GONE_WITHIN_MS);
  if (survivors !== undefined) {
    const who = survivors.map((s) => `${s.pid} (${s.comm}, state ${s.state})`).join(', ');
    return { kind: 'failed', reason: `process group ${decision.pgid} still has ${who} after SIGKILL` };
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
    // Records someone else could have written are not merely unreadable: refusing them ends the start.
    if (error instanceof StateDirError) throw error;
    log.warn({ dir: store.dir, error: errorText(error) }, 'cannot read the plugin records in the state directory; leftover plugin processes, if any, are not cleaned up');
    return summary;
  }
  for (const bad of listed.corrupt) {
    const name = bad.file.replace(/^.*\//, '').replace(/\.json$/, '');
    summary.skipped.push({ name, reason: `corrupt record ${bad.file} (${bad.reason}); removed it` });
    log.warn({ file: bad.file, reason: bad.reason }, 'removed a corrupt plugin record from the state directory');
  }
  for (const entry of listed.skipped) {
    log.warn({ file: entry.file, reason: entry.reason }, 'skipped an entry in the state directory that is not a regular file');
  }
  const self = options.self ?? ownProcess();
  for (const record of listed.records) {
    const fields = { plugin: record.name, pluginPid: record.pid, pgid: record.pgid, path: record.path, previousDaemonPid: record.daemonPid };
    const outcome = await reapOne(record, options, self).catch(
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
