// The daemon's own figures (issue 4): kill -9 of a serving plugin until it
// serves again, the daemon's memory with 20 plugins, and `plugins list`
// through the API socket; and the same daemon with no plugins at all, the
// reference for its memory. A real daemon process is started with the CLI
// (bench/daemon-process.ts).
import { setTimeout as delay } from 'node:timers/promises';
import { get, pluginPids, startDaemon } from './daemon-process.js';
import type { RunningDaemon } from './daemon-process.js';
import { rssOf } from './proc-memory.js';

export interface DaemonSamples {
  /** ns from kill -9 to the daemon logging the plugin serving again. */
  readonly restart: number[];
  /** Daemon RSS in bytes, sampled with 20 plugins serving. */
  readonly rss20: number[];
  /** ns per GET /v1/plugins over the unix socket (20 plugins). */
  readonly list: number[];
  /** ns per GET /healthz: the API's floor. */
  readonly healthz: number[];
}

export function emptyDaemonSamples(): DaemonSamples {
  return { restart: [], rss20: [], list: [], healthz: [] };
}

export interface BareDaemonSamples {
  /** ns from spawning the daemon to its API answering. */
  readonly ready: number[];
  /** Daemon RSS in bytes with no plugins, sampled under the same API requests as with plugins. */
  readonly rss: number[];
}

export function emptyBareDaemonSamples(): BareDaemonSamples {
  return { ready: [], rss: [] };
}

/**
 * `requests` rounds of GET /v1/plugins and GET /healthz after 50 untimed
 * ones, with the daemon's RSS sampled every 50: memory is compared under the
 * same work, since the API's garbage moves it by megabytes.
 */
export async function apiRequests(
  daemon: RunningDaemon,
  requests: number,
  into: { rss: number[]; list?: number[]; healthz?: number[] },
): Promise<void> {
  for (let i = 0; i < 50; i++) await get(daemon.socket, '/v1/plugins');
  for (let i = 0; i < requests; i++) {
    let t = process.hrtime.bigint();
    await get(daemon.socket, '/v1/plugins');
    into.list?.push(Number(process.hrtime.bigint() - t));
    t = process.hrtime.bigint();
    await get(daemon.socket, '/healthz');
    into.healthz?.push(Number(process.hrtime.bigint() - t));
    if (i % 50 === 0) into.rss.push(await rssOf(daemon.child.pid ?? 0));
  }
}

/** The daemon with an empty plugins directory: how long it takes to answer, and its RSS. */
export async function measureBare(samples: BareDaemonSamples, root: string, cli: string, requests: number): Promise<void> {
  const daemon = await startDaemon(root, cli, []);
  try {
    samples.ready.push((Date.now() - daemon.spawnedAt) * 1_000_000);
    await apiRequests(daemon, requests, { rss: samples.rss });
  } finally {
    await daemon.stop();
  }
}

/**
 * kill -9 of a serving plugin → serving again, `kills` times. Each kill must
 * be a first crash, not part of a crash loop (which backs off on purpose), so
 * the daemon forgets crashes after 200 ms of serving and the bench waits that
 * long between kills.
 */
export async function measureRestarts(samples: DaemonSamples, root: string, cli: string, plugin: string, kills: number): Promise<void> {
  const config = { defaults: { restart: { resetAfterMs: 200 } } };
  const daemon = await startDaemon(root, cli, [{ name: 'p', binary: plugin }], config);
  try {
    for (let i = 0; i < kills; i++) {
      await delay(250);
      const pid = (await pluginPids(daemon.socket)).get('p');
      if (pid === undefined) throw new Error('plugin p has no pid');
      const serving = daemon.next((line) => line.plugin === 'p' && line.to === 'serving');
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      const line = await serving;
      samples.restart.push((line.time - killedAt) * 1_000_000);
    }
  } finally {
    await daemon.stop();
  }
}

/** 20 plugins: the daemon's RSS, and API latency of `plugins list` and `/healthz`. */
export async function measureTwenty(samples: DaemonSamples, root: string, cli: string, plugin: string, requests: number): Promise<void> {
  const plugins = Array.from({ length: 20 }, (_, i) => ({ name: `p${String(i + 1).padStart(2, '0')}`, binary: plugin }));
  const daemon = await startDaemon(root, cli, plugins);
  try {
    await apiRequests(daemon, requests, { rss: samples.rss20, list: samples.list, healthz: samples.healthz });
  } finally {
    await daemon.stop();
  }
}
