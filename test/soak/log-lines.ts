// The daemon's log lines the soak relies on, recognised by their fields
// (plugin, pluginPid, code, signal, from/to/reason) and, where a line has no
// field of its own to tell it apart, by its fixed message:
//
// - src/host/plugin-process.ts: "plugin serving" {pluginPid}; an unexpected
//   exit of a serving plugin, "plugin … unexpectedly" {code, signal};
//   "plugin left processes behind; killing its process group" (or "its
//   cgroup", with cgroup containment); "plugin ignored SIGTERM; killing its
//   cgroup".
// - src/daemon/supervisor/supervised-plugin.ts: every transition {from, to,
//   reason}; "plugin health check failed" {misses}; "the plugin died during
//   the call; retrying once it serves again" {method}.
// - src/daemon/daemon.ts: "new plugin in the plugins directory".
import type { SeqLine } from './soak-daemon.js';

export interface Transition {
  readonly seq: number;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

export interface ExitSeen {
  readonly seq: number;
  readonly code: number | null;
  readonly signal: string | null;
}

export function servingPid(l: SeqLine): number | undefined {
  return l.line.msg === 'plugin serving' && typeof l.line.pluginPid === 'number' ? l.line.pluginPid : undefined;
}

export function transition(l: SeqLine): Transition | undefined {
  const { from, to, reason } = l.line;
  if (typeof from !== 'string' || typeof to !== 'string') return undefined;
  return { seq: l.seq, from, to, reason: typeof reason === 'string' ? reason : '' };
}

export function transitions(lines: readonly SeqLine[]): Transition[] {
  return lines.map(transition).filter((t): t is Transition => t !== undefined);
}

/** An unexpected exit of a serving plugin process. */
export function unexpectedExit(l: SeqLine): ExitSeen | undefined {
  const { msg, code, signal } = l.line;
  if (!msg.endsWith(' unexpectedly') || !('code' in l.line) || !('signal' in l.line)) return undefined;
  return { seq: l.seq, code: typeof code === 'number' ? code : null, signal: typeof signal === 'string' ? signal : null };
}

export function exits(lines: readonly SeqLine[]): ExitSeen[] {
  return lines.map(unexpectedExit).filter((e): e is ExitSeen => e !== undefined);
}

export const isHealthMiss = (l: SeqLine): boolean => l.line.msg === 'plugin health check failed';
/**
 * Everything left in a plugin's cgroup killed: after it exited, or (a stop
 * that outlasted Shutdown and SIGTERM, as a loaded machine makes it) with it.
 */
export const isCgroupKilled = (l: SeqLine): boolean =>
  l.line.msg === 'plugin left processes behind; killing its cgroup' || l.line.msg === 'plugin ignored SIGTERM; killing its cgroup' || isUnresponsiveKill(l);
/** A plugin the daemon found unresponsive is ended with everything it started, at once. */
export const isUnresponsiveKill = (l: SeqLine): boolean => l.line.msg === 'plugin does not answer; killing its cgroup';
export const isGroupKilled = (l: SeqLine): boolean =>
  l.line.msg === 'plugin left processes behind; killing its process group' || l.line.msg === 'plugin left processes behind; killing its cgroup';
export const isCallRetry = (l: SeqLine): boolean =>
  l.line.msg === 'the plugin died during the call; retrying once it serves again' && l.line.method === 'GetInstanceInfo';
export const isNewInDirectory = (l: SeqLine): boolean => l.line.msg === 'new plugin in the plugins directory';

/** The crash reason the supervisor gives an exit: "process killed by SIGKILL", "process exited with code 3". */
export function crashReason(exit: { code?: number | null; signal?: string | null }): string {
  return exit.signal ? `process killed by ${exit.signal}` : `process exited with code ${exit.code}`;
}
