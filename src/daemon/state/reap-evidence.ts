// Whether a plugin record left by a previous daemon may be acted on, decided
// from /proc alone (pure: the processes are passed in).
//
// A record says "pid P, started at tick T, leads process group G" (G = P: the
// daemon starts every plugin as a group leader). It is a claim, not proof:
// the file may be stale (the pid reused since), or planted. The group is
// killed only on evidence that it is the one the record describes:
// - the leader itself is alive: pid and start time match, and it still leads
//   group G (a group id cannot be reused while its leader lives);
// - or the leader is gone but members of G remain, every one of them started
//   no earlier than the leader did: they were forked into its group after it
//   started (a group id also cannot be reused while any member lives, so a
//   group of such processes is the leader's own).
// Never the daemon's own group, never a group id below 2 (kill(-1) signals
// every process, kill(-0) the caller's group), never a group holding a
// process older than the recorded leader (then it is not that leader's group).
import { isLive } from './proc-stat.js';
import type { ProcStat } from './proc-stat.js';
import type { PluginProcessRecord } from './records.js';

export type ReapDecision =
  /** `evidence`: the live processes that make the group the record's. */
  | { readonly kind: 'kill'; readonly pgid: number; readonly evidence: readonly ProcStat[] }
  /** `forget`: drop the record (it describes nothing alive of ours); otherwise keep it for later. */
  | { readonly kind: 'skip'; readonly reason: string; readonly forget: boolean };

export interface ReapSelf {
  readonly pid: number;
  /** The daemon's own process group. */
  readonly pgid: number;
}

function describe(stats: readonly ProcStat[]): string {
  return stats.map((s) => `${s.pid} (${JSON.stringify(s.comm)}, tick ${s.startTime})`).join(', ');
}

export function judgeRecord(record: PluginProcessRecord, processes: readonly ProcStat[], self: ReapSelf): ReapDecision {
  const { pid, pgid, startTime } = record;
  if (pgid < 2 || pid < 2) return { kind: 'skip', reason: `process group ${pgid} is below 2; never signalled`, forget: true };
  if (pgid === self.pgid) return { kind: 'skip', reason: `process group ${pgid} is the daemon's own; never signalled`, forget: true };
  if (record.daemonPid === self.pid) return { kind: 'skip', reason: `process ${pid} was started by this daemon`, forget: false };

  const live = processes.filter(isLive);
  const leader = live.find((p) => p.pid === pid);
  if (leader !== undefined) {
    if (leader.startTime !== startTime) {
      return {
        kind: 'skip',
        reason:
          `pid reused: pid ${pid} is now ${JSON.stringify(leader.comm)}, started at tick ${leader.startTime}, ` +
          `not the plugin process started at tick ${startTime}; not killed`,
        forget: true,
      };
    }
    if (leader.pgrp !== pgid) {
      return { kind: 'skip', reason: `process ${pid} does not lead process group ${pgid} (it is in group ${leader.pgrp}); not killed`, forget: true };
    }
    // A plugin whose daemon died has been re-parented; one still parented to
    // its daemon means that daemon lives (another daemon on the same state dir).
    if (leader.ppid === record.daemonPid) {
      return {
        kind: 'skip',
        reason: `process ${pid} is still a child of daemon pid ${record.daemonPid}, which is running; is another snoozebot daemon using this state directory?`,
        forget: false,
      };
    }
  }
  const group = live.filter((p) => p.pgrp === pgid && p.pid !== self.pid);
  const older = group.filter((p) => p.startTime < startTime);
  if (older.length > 0) {
    return {
      kind: 'skip',
      reason: `process group ${pgid} holds processes older than the plugin process started at tick ${startTime} (${describe(older)}), so it is not that plugin's group; not killed`,
      forget: true,
    };
  }
  if (group.length === 0) {
    return { kind: 'skip', reason: `process ${pid} is gone and nothing is left in its process group; nothing to kill`, forget: true };
  }
  return { kind: 'kill', pgid, evidence: group };
}
