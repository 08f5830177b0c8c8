// Issue 12: what putting each plugin in its own cgroup costs, against process
// groups alone, each pair measured alternately (ABAB) in the same run:
// - our TS host: start → first RPC, and stop(), of the local plugin in its
//   own cgroup (acquire: mkdir; the /bin/sh that writes its pid into
//   cgroup.procs and execs the plugin; release: cgroup.kill, wait, rmdir)
//   against the same without containment;
// - the move itself: /bin/true spawned through that wrapper into a fresh
//   cgroup, spawn → exit (mkdir and rmdir around it not timed), against
//   /bin/true spawned plainly;
// - the daemon: kill -9 of a serving local plugin → serving again, one daemon
//   with cgroups (the default) and one with "cgroups": false, killed in turn.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pino from 'pino';
import { Containment, wrapInCgroup } from '../src/host/containment/index.js';
import { PluginProcess } from '../src/host/plugin-process.js';
import { pluginPids, startDaemon } from './daemon-process.js';
import type { RunningDaemon } from './daemon-process.js';

const logger = pino({ level: 'silent' });

export interface ContainmentSamples {
  /** ns, TS host → local: start() + first apiVersion(). */
  readonly cgroupStart: number[];
  readonly groupStart: number[];
  /** ns, TS host stop(). */
  readonly cgroupStop: number[];
  readonly groupStop: number[];
  /** ns, /bin/true spawn → exit, through the cgroup wrapper and plainly. */
  readonly wrappedSpawn: number[];
  readonly plainSpawn: number[];
  /** ns, daemon: kill -9 → the plugin serving again. */
  readonly cgroupRestart: number[];
  readonly groupRestart: number[];
}

export function emptyContainmentSamples(): ContainmentSamples {
  return { cgroupStart: [], groupStart: [], cgroupStop: [], groupStop: [], wrappedSpawn: [], plainSpawn: [], cgroupRestart: [], groupRestart: [] };
}

/** A containment with a home of its own for the bench (this process is not moved), or why there is none. */
export async function benchContainment(): Promise<Containment | string> {
  const containment = await Containment.setup({ homeName: `snoozebot-bench-${randomBytes(4).toString('hex')}`, log: logger, adoptSelf: false });
  if (containment.enabled) return containment;
  return `no cgroup containment on this machine: ${containment.status.detail}`;
}

async function hostCycle(plugin: string, containment: Containment | undefined, start: number[], stop: number[]): Promise<void> {
  const process_ = new PluginProcess({ path: plugin, name: 'bench', logger, ...(containment === undefined ? {} : { containment }) });
  try {
    const t0 = process.hrtime.bigint();
    await process_.start();
    await process_.client.apiVersion();
    start.push(Number(process.hrtime.bigint() - t0));
    const t1 = process.hrtime.bigint();
    await process_.stop();
    stop.push(Number(process.hrtime.bigint() - t1));
  } finally {
    await process_.stop();
  }
}

/** `cycles` TS host cycles in a cgroup, each followed by one without. */
export async function runHostCycles(samples: ContainmentSamples, containment: Containment, plugin: string, cycles: number): Promise<void> {
  for (let i = 0; i < cycles; i++) {
    await hostCycle(plugin, containment, samples.cgroupStart, samples.cgroupStop);
    await hostCycle(plugin, undefined, samples.groupStart, samples.groupStop);
  }
}

function timedExit(file: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(file, args, { stdio: 'ignore', detached: true });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${file} exited ${code}`));
      else resolve(Number(process.hrtime.bigint() - t0));
    });
  });
}

/** The move alone: `n` wrapped spawns of /bin/true into a fresh cgroup, each followed by a plain one. */
export async function runSpawnMoves(samples: ContainmentSamples, containment: Containment, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const cgroup = await containment.acquire('bench-move');
    try {
      const command = wrapInCgroup(cgroup.procsFile, '/bin/true', []);
      samples.wrappedSpawn.push(await timedExit(command.file, command.args));
    } finally {
      await cgroup.release();
    }
    samples.plainSpawn.push(await timedExit('/bin/true', []));
  }
}

async function killAndTime(daemon: RunningDaemon): Promise<number> {
  const pid = (await pluginPids(daemon.socket)).get('p');
  if (pid === undefined) throw new Error('plugin p has no pid');
  const serving = daemon.next((line) => line.plugin === 'p' && line.to === 'serving');
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  const line = await serving;
  return (line.time - killedAt) * 1_000_000;
}

/**
 * kill -9 → serving again, `kills` times on each of two daemons (cgroups on,
 * off), in turn. Each kill is a first crash: the daemons forget crashes after
 * 200 ms of serving and the bench waits longer than that.
 */
export async function runDaemonRestarts(samples: ContainmentSamples, root: string, cli: string, plugin: string, kills: number): Promise<void> {
  const restart = { restart: { resetAfterMs: 200 } };
  const withCgroups = await startDaemon(root, cli, [{ name: 'p', binary: plugin }], { defaults: restart });
  try {
    const withGroups = await startDaemon(root, cli, [{ name: 'p', binary: plugin }], { defaults: restart, cgroups: false });
    try {
      for (let i = 0; i < kills; i++) {
        await delay(250);
        samples.cgroupRestart.push(await killAndTime(withCgroups));
        await delay(250);
        samples.groupRestart.push(await killAndTime(withGroups));
      }
    } finally {
      await withGroups.stop();
    }
  } finally {
    await withCgroups.stop();
  }
}
