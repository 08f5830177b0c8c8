// Waiting for another process's state: the daemon's API (a plugin's state),
// its log (a line), /proc (a process gone). There is no event to await across
// processes, so each polls with a deadline and fails naming what it last saw.
import { setTimeout as delay } from 'node:timers/promises';
import type { PluginStatus } from '../../src/daemon/types.js';
import { pluginStatus } from './api.js';
import { isAlive } from './processes.js';
import type { ProcInfo } from './processes.js';
import type { SeqLine, SoakDaemon } from './soak-daemon.js';

const API_POLL_MS = 25;
const LOG_POLL_MS = 10;
const PROC_POLL_MS = 10;

export class WaitTimeout extends Error {
  override readonly name = 'WaitTimeout';
}

export function describePlugin(p: PluginStatus | undefined): string {
  if (p === undefined) return 'not in the plugin list';
  return `${p.state} (pid ${p.pid}, reason: ${p.reason}${p.lastError ? `; last error: ${p.lastError}` : ''})`;
}

/** Polls GET /v1/plugins/{name} until `predicate` holds for the answer (undefined: 404). */
export async function waitForPlugin(
  daemon: SoakDaemon,
  name: string,
  predicate: (p: PluginStatus | undefined) => boolean,
  what: string,
  timeoutMs: number,
): Promise<PluginStatus | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last: PluginStatus | undefined;
  for (;;) {
    if (daemon.exitInfo !== undefined) throw new Error(`the daemon exited (${JSON.stringify(daemon.exitInfo)}) while waiting for ${name}: ${what}`);
    last = await pluginStatus(daemon.run.socket, name);
    if (predicate(last)) return last;
    if (Date.now() > deadline) throw new WaitTimeout(`${name}: no ${what} within ${timeoutMs} ms; last: ${describePlugin(last)}`);
    await delay(API_POLL_MS);
  }
}

/** Serving with a pid other than `notPid`, or failed: where every crash ends. */
export async function waitServingOrFailed(daemon: SoakDaemon, name: string, notPid: number | null, timeoutMs: number): Promise<PluginStatus> {
  const status = await waitForPlugin(
    daemon,
    name,
    (p) => p !== undefined && ((p.state === 'serving' && p.pid !== null && p.pid !== notPid) || p.state === 'failed'),
    `serving with a new pid (not ${notPid}), or failed`,
    timeoutMs,
  );
  if (status === undefined) throw new Error(`${name} vanished`);
  return status;
}

/** Waits until the daemon has logged a line of `plugin` (seq ≥ from) matching `predicate`. */
export async function waitForLog(
  daemon: SoakDaemon,
  plugin: string,
  from: number,
  predicate: (line: SeqLine) => boolean,
  what: string,
  timeoutMs: number,
): Promise<SeqLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = daemon.pluginLines(plugin, from).find(predicate);
    if (found !== undefined) return found;
    if (daemon.exitInfo !== undefined || Date.now() > deadline) throw new WaitTimeout(`${plugin}: ${what} not logged within ${timeoutMs} ms`);
    await delay(LOG_POLL_MS);
  }
}

/** Waits until the process is gone (or a zombie); false if it is still there after `timeoutMs`. */
export async function waitGone(process: Pick<ProcInfo, 'pid' | 'startTime'>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(process)) {
    if (Date.now() > deadline) return false;
    await delay(PROC_POLL_MS);
  }
  return true;
}

/** Polls `check` until it returns true. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number, pollMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new WaitTimeout(`${what}: not within ${timeoutMs} ms`);
    await delay(pollMs);
  }
}
