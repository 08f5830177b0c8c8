// The faults a soak injects, and the record kept of each: what was done to
// which process when, where the daemon's log stood then (so the accounting
// reads only the lines that answer it), and how it ended.
import type { PluginKind } from './run-dir.js';

export const FAULT_KINDS = [
  'kill9',
  'hang',
  'exit',
  'call-crash',
  'children',
  'escape',
  'flood',
  'garbage-handshake',
  'late-handshake',
  'handshake-flood',
  'start-flood',
  'removed',
  'crash-loop',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FAULT_DESCRIPTIONS: Readonly<Record<FaultKind, string>> = {
  kill9: 'kill -9 of a serving plugin',
  hang: 'SIGSTOP: hung, found by health checks',
  exit: 'exit with a code (chaos: random; local: SIGTERM/SIGHUP → 0; Go: SIGQUIT → 2, or killed by SIGTERM/SIGHUP)',
  'call-crash': 'dies during a GetInstanceInfo call in flight through the API',
  children: 'forks a child that ignores SIGTERM, then dies',
  escape: 'forks a setsid child and a child that ignore SIGTERM, then is unloaded and loaded, restarted, or killed -9 (needs cgroup containment)',
  flood: 'floods stdout and stderr while serving (short lines and one long line each)',
  'garbage-handshake': 'binary replaced by one with a garbage handshake, then put back',
  'late-handshake': 'binary replaced by one that handshakes after the start timeout, then put back',
  'handshake-flood': 'binary replaced by one that floods stdout (1 MiB, no newline) before its handshake, then put back',
  'start-flood': 'binary replaced by a wrapper that floods stderr before starting the real one, then put back',
  removed: 'binary removed, then put back',
  'crash-loop': 'kill -9 each time it serves, until the daemon gives up (failed)',
};

/** How often each kind is drawn, relative to the others, once every kind has been drawn once. */
export const FAULT_WEIGHTS: Readonly<Record<FaultKind, number>> = {
  kill9: 22,
  hang: 10,
  exit: 14,
  'call-crash': 8,
  children: 8,
  escape: 6,
  flood: 5,
  'garbage-handshake': 6,
  'late-handshake': 3,
  'handshake-flood': 4,
  'start-flood': 4,
  removed: 6,
  'crash-loop': 4,
};

/** Faults that need the chaos plugin's cooperation. */
const CHAOS_ONLY: ReadonlySet<FaultKind> = new Set(['call-crash', 'children', 'escape', 'flood']);

/** Faults that only cgroup containment can resolve (a process group cannot hold a setsid child). */
export const NEEDS_CGROUPS: ReadonlySet<FaultKind> = new Set(['escape']);

export function appliesTo(kind: FaultKind, plugin: PluginKind): boolean {
  return plugin === 'chaos' || !CHAOS_ONLY.has(kind);
}

export type FaultOutcome = 'serving' | 'failed' | 'parked' | 'timeout' | 'error';

export interface FaultRecord {
  readonly id: number;
  readonly kind: FaultKind;
  readonly plugin: string;
  readonly pluginKind: PluginKind;
  /** The plugin process the fault was aimed at. */
  readonly pid: number;
  readonly pidStartTime: number;
  /** ms since the soak started. */
  atMs: number;
  /** The daemon's log sequence number when the fault was injected, and once it was resolved. */
  fromSeq: number;
  toSeq: number;
  durationMs: number;
  outcome: FaultOutcome;
  /** The signal sent to cause the exit, when it was not SIGKILL. */
  sent?: string;
  /** Exit the daemon should have seen. */
  expectedExit?: { readonly code: number | null; readonly signal: string | null };
  /** children, escape: the forked child (in the plugin's process group). */
  childPid?: number;
  childStartTime?: number;
  /** escape: the child that left the process group, and how the plugin was ended. */
  escapedPid?: number;
  escapedStartTime?: number;
  ending?: 'unload' | 'restart' | 'kill9';
  /** call-crash: the API's answer to the call the plugin died in. */
  callAnswer?: { readonly status: number; readonly code: string | undefined; readonly message: string | undefined };
  /** flood: the chaos command id (its lines carry it). */
  floodId?: number;
  /** start-flood: noise lines logged while the wrapper ran. */
  noiseLines?: number;
  /** replacement faults: left broken until the daemon marked it failed. */
  waitedForFailed?: boolean;
  /** crash-loop: kills it took. */
  kills?: number;
  /** A failed plugin put back with `snoozebot plugins load`. */
  reloaded?: boolean;
  /** The target process (and child) gone once resolved; false: a leftover. */
  processGone?: boolean;
  /** The pid the plugin serves with afterwards. */
  newPid?: number | null;
  /** Anything that went wrong or is worth saying. */
  notes: string[];
}
