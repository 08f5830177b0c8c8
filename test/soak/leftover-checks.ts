// What a soak run may have left behind: processes (besides the daemon and
// its live plugins), stopped processes, and entries in the daemon's TMPDIR
// (one socket directory per live plugin is expected, nothing else). Killed
// processes take a moment to leave /proc, so each check polls briefly before
// it reports.
import { lstat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { PluginStatus } from '../../src/daemon/types.js';
import { cmdline, environValue, processesMentioning } from './processes.js';
import type { ProcessTracker } from './processes.js';
import type { RunDir } from './run-dir.js';
import type { SoakDaemon } from './soak-daemon.js';
import { waitUntil } from './waits.js';

const SETTLE_MS = 3_000;

function describeProcess(pid: number, label: string): string {
  return `pid ${pid} (${label}): ${cmdline(pid).slice(0, 160)}`;
}

export interface StrayProcesses {
  readonly stray: string[];
  /** Among them, the ones in state T (a SIGSTOP nobody followed with a kill). */
  readonly stopped: string[];
}

/** Processes of the run alive besides `allowed` (pids), by the directory scan and by the tracker. */
export async function strayProcesses(run: RunDir, tracker: ProcessTracker, allowed: ReadonlySet<number>): Promise<StrayProcesses> {
  let found: StrayProcesses = { stray: [], stopped: [] };
  const check = () => {
    const scanned = processesMentioning(run.root).filter((p) => !allowed.has(p.pid));
    const tracked = tracker.aliveExcept(allowed).filter((t) => !scanned.some((s) => s.pid === t.pid));
    found = {
      stray: [...scanned.map((p) => describeProcess(p.pid, `state ${p.state}`)), ...tracked.map((t) => describeProcess(t.pid, t.label))],
      stopped: scanned.filter((p) => p.state === 'T' || p.state === 't').map((p) => describeProcess(p.pid, 'stopped')),
    };
    return found.stray.length === 0;
  };
  await waitUntil(check, 'no stray process', SETTLE_MS).catch(() => undefined);
  return found;
}

/**
 * The unix sockets live plugins announced in their handshakes, by name, when
 * they are in `tmpDir`: go-plugin before 1.4 listens in $TMPDIR rather than
 * in the directory the host gives it.
 */
function liveSocketNames(daemon: SoakDaemon, statuses: readonly PluginStatus[], tmpDir: string): Set<string> {
  const names = new Set<string>();
  for (const s of statuses) {
    if (s.state !== 'serving') continue;
    const handshake = daemon.pluginLines(s.name).findLast((l) => l.line.msg === 'plugin handshake');
    const address = handshake?.line.address;
    if (typeof address === 'string' && dirname(address) === tmpDir) names.add(basename(address));
  }
  return names;
}

/** "plugin123 (socket), snoozebot-host-x (directory)". */
async function describeEntries(dir: string, entries: readonly string[]): Promise<string[]> {
  return Promise.all(
    entries.map(async (e) => {
      const s = await lstat(join(dir, e)).catch(() => undefined);
      const kind = s === undefined ? 'gone' : s.isSocket() ? 'socket' : s.isDirectory() ? 'directory' : 'file';
      return `${e} (${kind})`;
    }),
  );
}

/** The socket directories the host gave the live plugins (PLUGIN_UNIX_SOCKET_DIR in their environment), by name. */
function liveHostDirs(statuses: readonly PluginStatus[], tmpDir: string): Set<string> {
  const names = new Set<string>();
  for (const s of statuses) {
    const dir = s.state === 'serving' && s.pid !== null ? environValue(s.pid, 'PLUGIN_UNIX_SOCKET_DIR') : undefined;
    if (dir !== undefined && dirname(dir) === tmpDir) names.add(basename(dir));
  }
  return names;
}

/**
 * Entries of the daemon's TMPDIR that no live plugin (`statuses`; none once
 * the daemon has stopped) accounts for: each has its socket directory, and a
 * live go-plugin 1.0 plugin its socket.
 */
export async function strayTmpEntries(run: RunDir, daemon: SoakDaemon, statuses: readonly PluginStatus[]): Promise<string[]> {
  const expected = new Set([...liveHostDirs(statuses, run.tmpDir), ...liveSocketNames(daemon, statuses, run.tmpDir)]);
  let stray: string[] = [];
  await waitUntil(
    async () => {
      stray = (await run.tmpEntries()).filter((e) => !expected.has(e));
      return stray.length === 0;
    },
    'nothing stray in the daemon TMPDIR',
    SETTLE_MS,
  ).catch(() => undefined);
  return describeEntries(run.tmpDir, stray);
}
