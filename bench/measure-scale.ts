// Issue 7, scale: many copies of the local plugin under one real daemon.
// Time from spawning the daemon to the last plugin serving; the daemon's and
// the plugins' memory; then kill -9 of one plugin at a time (each restart
// alone, the reference), and of all of them at once: time to all serving
// again, each plugin's time, and how the restarts were spread out.
//
// Where each start ran comes from the host's "plugin serving" log line: its
// `ms` is the time from PluginProcess.start() to health SERVING, so the start
// ran from `time - ms` to `time`. Log times are whole milliseconds, so
// overlaps are judged to about a millisecond.
import { setTimeout as delay } from 'node:timers/promises';
import { pluginPids, startDaemon } from './daemon-process.js';
import type { LogLine, RunningDaemon } from './daemon-process.js';
import { apiRequests } from './measure-daemon.js';
import { totalMemory } from './proc-memory.js';
import { mostAtOnce } from '../test/helpers/concurrency.js';

const NS_PER_MS = 1_000_000;
/** First crashes only: the daemon forgets a crash after 200 ms of serving, and the bench waits longer than that between kills. */
const RESET_AFTER_MS = 200;
const SERVING_TIMEOUT_MS = 180_000;

/** How a crowd of starts was laid out in time (ms, from the moment that set them off). */
export interface Spread {
  readonly starts: number;
  readonly firstStartMs: number;
  readonly lastStartMs: number;
  /** Most starts running at the same moment. */
  readonly maxConcurrent: number;
}

export interface ScaleSamples {
  /** ns from spawning the daemon to the last plugin serving; one per round. */
  readonly toServing: number[];
  /** Daemon VmRSS with every plugin serving, bytes. */
  readonly daemonRss: number[];
  /** Summed VmRSS of the plugin processes, bytes; one per round. */
  readonly pluginsRss: number[];
  /** Summed PSS of the plugin processes, bytes; one per round. */
  readonly pluginsPss: number[];
  /** ns from kill -9 of all plugins to the last serving again; one per round. */
  readonly allRestart: number[];
  /** ns from that kill to each plugin serving again. */
  readonly eachRestart: number[];
  /** ns from kill -9 of one plugin, alone, to it serving again. */
  readonly loneRestart: number[];
  readonly startupSpread: Spread[];
  readonly restartSpread: Spread[];
}

export function emptyScaleSamples(): ScaleSamples {
  return {
    toServing: [],
    daemonRss: [],
    pluginsRss: [],
    pluginsPss: [],
    allRestart: [],
    eachRestart: [],
    loneRestart: [],
    startupSpread: [],
    restartSpread: [],
  };
}

export interface ScaleOptions {
  readonly plugins: number;
  /** Plugins killed one at a time before the mass kill. */
  readonly loneKills: number;
  /** API requests while the daemon's RSS is sampled (as for the 20-plugin row). */
  readonly requests: number;
}

/** Starts of the named plugins logged at or after line `from`, as [start, end] in ms relative to `origin`. */
function startIntervals(lines: readonly LogLine[], from: number, names: ReadonlySet<string>, origin: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const line of lines.slice(from)) {
    if (line.msg !== 'plugin serving' || typeof line.ms !== 'number' || line.plugin === undefined || !names.has(line.plugin)) continue;
    out.push([line.time - line.ms - origin, line.time - origin]);
  }
  return out;
}

export function spreadOf(intervals: ReadonlyArray<readonly [number, number]>): Spread {
  if (intervals.length === 0) return { starts: 0, firstStartMs: 0, lastStartMs: 0, maxConcurrent: 0 };
  const most = mostAtOnce(intervals);
  const starts = intervals.map(([start]) => start);
  return { starts: intervals.length, firstStartMs: Math.min(...starts), lastStartMs: Math.max(...starts), maxConcurrent: most };
}

export async function measureScale(samples: ScaleSamples, root: string, cli: string, plugin: string, options: ScaleOptions): Promise<void> {
  const names = Array.from({ length: options.plugins }, (_, i) => `p${String(i + 1).padStart(3, '0')}`);
  const nameSet = new Set(names);
  const config = { defaults: { restart: { resetAfterMs: RESET_AFTER_MS } } };
  const daemon = await startDaemon(
    root,
    cli,
    names.map((name) => ({ name, binary: plugin })),
    config,
    SERVING_TIMEOUT_MS,
  );
  try {
    const serving = await daemon.allServing(names, 0, SERVING_TIMEOUT_MS);
    const lastServing = Math.max(...[...serving.values()].map((l) => l.time));
    samples.toServing.push((lastServing - daemon.spawnedAt) * NS_PER_MS);
    samples.startupSpread.push(spreadOf(startIntervals(daemon.lines, 0, nameSet, daemon.spawnedAt)));

    await apiRequests(daemon, options.requests, { rss: samples.daemonRss });
    const pids = await allPids(daemon, names);
    const memory = await totalMemory([...pids.values()]);
    samples.pluginsRss.push(memory.rss);
    if (memory.pss !== undefined) samples.pluginsPss.push(memory.pss);

    for (const name of names.slice(0, options.loneKills)) {
      await delay(RESET_AFTER_MS + 50);
      const pid = (await pluginPids(daemon.socket)).get(name);
      if (pid === undefined) throw new Error(`plugin ${name} has no pid`);
      const from = daemon.lines.length;
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      const again = (await daemon.allServing([name], from, SERVING_TIMEOUT_MS)).get(name);
      samples.loneRestart.push(((again?.time ?? NaN) - killedAt) * NS_PER_MS);
    }

    await delay(RESET_AFTER_MS + 100);
    const victims = await allPids(daemon, names);
    const from = daemon.lines.length;
    const killedAt = Date.now();
    for (const pid of victims.values()) process.kill(pid, 'SIGKILL');
    const back = await daemon.allServing(names, from, SERVING_TIMEOUT_MS);
    const times = [...back.values()].map((line) => line.time - killedAt);
    samples.allRestart.push(Math.max(...times) * NS_PER_MS);
    for (const ms of times) samples.eachRestart.push(ms * NS_PER_MS);
    samples.restartSpread.push(spreadOf(startIntervals(daemon.lines, from, nameSet, killedAt)));
  } finally {
    await daemon.stop();
  }
}

async function allPids(daemon: RunningDaemon, names: readonly string[]): Promise<Map<string, number>> {
  const pids = await pluginPids(daemon.socket);
  const missing = names.filter((name) => !pids.has(name));
  if (missing.length > 0) throw new Error(`no pid for ${missing.length} plugins (${missing.slice(0, 3).join(', ')}…)`);
  return pids;
}
