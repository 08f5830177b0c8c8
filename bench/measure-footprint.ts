// Issue 16's daemon rows: the daemon's RSS with the local plugin serving and
// with none, beside the reference process (bench/reference-daemon.ts) under
// the same API requests; and what the daemon, its plugin and a bare Node.js
// process with one 5 s timer cost in CPU while idle, from /proc/<pid>/stat.
import { spawn } from 'node:child_process';
import { access, chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { cacheDirFor, cacheFileName } from '../src/loader/code-cache.js';
import { sourceDigest } from '../src/loader/digest.js';
import { RunningDaemon, pluginPids, startDaemon } from './daemon-process.js';
import { apiRequests } from './measure-daemon.js';
import type { NodeRuntime } from './node-runtime.js';
import { clockTicks, cpuTicksOf } from './proc-cpu.js';

export interface FootprintSamples {
  /** RSS, bytes, sampled under API requests. */
  readonly withPlugin: number[];
  readonly noPlugin: number[];
  readonly reference: number[];
}

export function emptyFootprintSamples(): FootprintSamples {
  return { withPlugin: [], noPlugin: [], reference: [] };
}

export interface IdleCpuSamples {
  /** CPU ns per second of wall time, one value per interval. */
  readonly daemon: number[];
  readonly plugin: number[];
  readonly reference: number[];
}

export function emptyIdleCpuSamples(): IdleCpuSamples {
  return { daemon: [], plugin: [], reference: [] };
}

/** The reference process on `runtime`, answering on a socket of its own once it listens. */
async function startReference(root: string, runtime: NodeRuntime): Promise<{ daemon: RunningDaemon; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-bench-ref-'));
  await chmod(dir, 0o755);
  const socket = join(dir, 'api.sock');
  const child = spawn(runtime.execPath, [join(root, 'dist/js/bench/reference-daemon.js'), socket], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: runtime.env,
  });
  const daemon = new RunningDaemon(child, socket, Date.now());
  const dispose = async () => {
    await daemon.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await daemon.apiUp(30_000);
  } catch (error) {
    await dispose();
    throw error;
  }
  return { daemon, dispose };
}

/**
 * Makes sure the daemon's code cache for this build and runtime exists, as
 * every start of a daemon after its first on a machine finds it: if it does
 * not, runs the daemon (with the local plugin) until it has written it (10 s
 * after its start). Without it, a freshly built daemon measured for less than
 * that compiles from source at every start (more memory) and never writes one.
 */
export async function warmDaemonCodeCache(root: string, cli: string, localPlugin: string, runtime: NodeRuntime): Promise<void> {
  const digest = sourceDigest(await readFile(join(root, 'dist/chunks/daemon.js'), 'latin1'));
  const file = join(cacheDirFor(runtime.env, process.getuid?.() ?? -1), cacheFileName('snoozebot.daemon', digest, runtime.version, process.arch));
  const written = () => access(file).then(
    () => true,
    () => false,
  );
  if (await written()) return;
  const daemon = await startDaemon(root, cli, [{ name: 'local', binary: localPlugin }], undefined, 60_000, runtime);
  try {
    const deadline = Date.now() + 60_000;
    while (!(await written())) {
      if (Date.now() > deadline) throw new Error(`the daemon wrote no code cache (${file}) within 60 s`);
      await delay(250);
    }
  } finally {
    await daemon.stop();
  }
}

/**
 * One round: the reference, the daemon with no plugin, the reference again,
 * the daemon with the local plugin serving; each under `requests` API requests
 * with its RSS sampled every 50.
 */
export async function measureFootprintRound(
  samples: FootprintSamples,
  root: string,
  cli: string,
  localPlugin: string,
  runtime: NodeRuntime,
  requests: number,
): Promise<void> {
  const underLoad = async (daemon: RunningDaemon, into: number[]) => apiRequests(daemon, requests, { rss: into });
  for (const plugins of [[], [{ name: 'local', binary: localPlugin }]]) {
    const reference = await startReference(root, runtime);
    try {
      await underLoad(reference.daemon, samples.reference);
    } finally {
      await reference.dispose();
    }
    const daemon = await startDaemon(root, cli, plugins, undefined, 60_000, runtime);
    try {
      await underLoad(daemon, plugins.length === 0 ? samples.noPlugin : samples.withPlugin);
    } finally {
      await daemon.stop();
    }
  }
}

interface IdleSubject {
  readonly into: IdleCpuSamples;
  readonly daemon: RunningDaemon;
  readonly pluginPid: number;
  readonly reference: ReturnType<typeof spawn>;
}

/**
 * The daemon with the local plugin, idle detection and health checks at their
 * defaults (dry run), and a bare `node` with one 5 s timer, on every runtime
 * at once: after `settleMs`, the CPU each used in every `intervalMs` of
 * `totalMs`.
 */
export async function measureIdleCpu(
  subjects: ReadonlyArray<{ runtime: NodeRuntime; into: IdleCpuSamples }>,
  root: string,
  cli: string,
  localPlugin: string,
  timing: { settleMs: number; intervalMs: number; totalMs: number },
): Promise<void> {
  const hz = await clockTicks();
  const started: IdleSubject[] = [];
  try {
    for (const { runtime, into } of subjects) {
      const reference = spawn(runtime.execPath, ['-e', 'setInterval(() => {}, 5000)'], { stdio: 'ignore', env: runtime.env });
      const daemon = await startDaemon(root, cli, [{ name: 'local', binary: localPlugin }], undefined, 60_000, runtime).catch((error: unknown) => {
        reference.kill('SIGKILL');
        throw error;
      });
      const pluginPid = (await pluginPids(daemon.socket)).get('local');
      started.push({ into, daemon, pluginPid: pluginPid ?? -1, reference });
      if (pluginPid === undefined) throw new Error('the local plugin has no pid');
    }
    await delay(timing.settleMs);
    const read = async (s: IdleSubject) => ({
      daemon: await cpuTicksOf(s.daemon.child.pid ?? -1),
      plugin: await cpuTicksOf(s.pluginPid),
      reference: await cpuTicksOf(s.reference.pid ?? -1),
    });
    let before = await Promise.all(started.map(read));
    let t0 = process.hrtime.bigint();
    for (let elapsed = 0; elapsed < timing.totalMs; elapsed += timing.intervalMs) {
      await delay(timing.intervalMs);
      const after = await Promise.all(started.map(read));
      const t1 = process.hrtime.bigint();
      const wallS = Number(t1 - t0) / 1e9;
      // ns of CPU per second of wall time.
      const rate = (ticks: number) => ((ticks / hz) * 1e9) / wallS;
      started.forEach((s, i) => {
        const b = before[i];
        const a = after[i];
        if (a === undefined || b === undefined) return;
        s.into.daemon.push(rate(a.daemon - b.daemon));
        s.into.plugin.push(rate(a.plugin - b.plugin));
        s.into.reference.push(rate(a.reference - b.reference));
      });
      before = after;
      t0 = t1;
    }
  } finally {
    for (const s of started) {
      s.reference.kill('SIGKILL');
      await s.daemon.stop();
    }
  }
}
