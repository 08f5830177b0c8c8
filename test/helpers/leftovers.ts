// Asserts that a plugin left nothing behind: no live process in its group, no
// process by pid, no socket directory.
//
// Processes that are not our children cannot be awaited: once killed they are
// re-parented and reaped by init whenever it gets round to it. So a process
// counts as gone when it no longer exists or is a zombie (dead, not yet
// reaped), and the checks poll /proc for a bounded time, because the kernel
// finishes a SIGKILLed process asynchronously.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isLive, parseProcStat } from '../../src/daemon/state/proc-stat.js';
import type { ProcStat } from '../../src/daemon/state/proc-stat.js';

export type { ProcStat };

const GONE_WITHIN_MS = 3_000;
const POLL_MS = 10;

/**
 * /proc/<pid>/stat (the daemon's own parser), or undefined when the process
 * does not exist. Synchronous: the checks poll it in tight loops.
 */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}

function alive(stat: ProcStat | undefined): stat is ProcStat {
  return stat !== undefined && isLive(stat);
}

const hasProc = (() => {
  try {
    readdirSync('/proc/self');
    return true;
  } catch {
    return false;
  }
})();

/** Live (non-zombie) processes whose process group is `pgid`. */
export function groupMembers(pgid: number): ProcStat[] {
  if (!hasProc) {
    try {
      process.kill(-pgid, 0);
      return [{ pid: pgid, comm: '?', state: '?', ppid: 0, pgrp: pgid, startTime: 0 }];
    } catch {
      return [];
    }
  }
  const members: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (alive(stat) && stat.pgrp === pgid) members.push(stat);
  }
  return members;
}

export function pidAlive(pid: number): boolean {
  if (!hasProc) {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return alive(procStat(pid));
}

async function eventually(check: () => string | undefined): Promise<void> {
  const deadline = Date.now() + GONE_WITHIN_MS;
  let problem = check();
  while (problem !== undefined && Date.now() < deadline) {
    await delay(POLL_MS);
    problem = check();
  }
  if (problem !== undefined) assert.fail(problem);
}

/** No live process is left in process group `pgid`. */
export async function assertGroupGone(pgid: number): Promise<void> {
  assert.ok(Number.isInteger(pgid) && pgid > 1, `not a process group id: ${pgid}`);
  await eventually(() => {
    const members = groupMembers(pgid);
    if (members.length === 0) return undefined;
    return `process group ${pgid} still has ${members.map((m) => `${m.pid} (${m.comm}, ${m.state})`).join(', ')}`;
  });
}

/** Process `pid` is gone (or a zombie waiting to be reaped). */
export async function assertPidGone(pid: number): Promise<void> {
  assert.ok(Number.isInteger(pid) && pid > 1, `not a pid: ${pid}`);
  await eventually(() => (pidAlive(pid) ? `process ${pid} is still running` : undefined));
}

export interface SocketParent {
  /** Pass as PluginProcessOptions.socketParentDir. */
  readonly dir: string;
  /** Asserts that nothing (no socket directory of host or plugin) is left in `dir`. */
  assertEmpty(): Promise<void>;
  cleanup(): Promise<void>;
}

/** A fresh directory for one test's plugin socket directories. */
export async function makeSocketParent(): Promise<SocketParent> {
  // Short prefix: the plugin's socket path must fit in 107 bytes.
  const dir = await mkdtemp(join(tmpdir(), 'sbt-'));
  return {
    dir,
    async assertEmpty() {
      assert.deepEqual(await readdir(dir), [], `socket parent ${dir} is not empty`);
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Live (non-zombie) children of `ppid`, with their command lines. */
export function liveChildren(ppid: number): Array<ProcStat & { readonly cmdline: string }> {
  const children: Array<ProcStat & { readonly cmdline: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (!alive(stat) || stat.ppid !== ppid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' ').trim();
    } catch {
      continue;
    }
    children.push({ ...stat, cmdline });
  }
  return children;
}
