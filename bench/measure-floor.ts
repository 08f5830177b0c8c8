// The floor of every plugin start: a plain fork/exec of the plugin binary,
// with the environment a go-plugin host gives it, until its handshake line is
// on stdout. No gRPC connection, no health check, no call: whatever a host
// adds on top of this is the host's cost, and no host can start the plugin
// faster than this.
//
// The process is SIGKILLed once the line is read (not timed): the floor is
// about getting to the handshake, and a polite stop would need the gRPC the
// floor leaves out.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pluginEnvironment } from '../src/host/environment.js';
import { DEFAULTS } from '../src/host/options.js';
import { totalMemory } from './proc-memory.js';

/** Many plain execs, `limit` at a time. */
interface ParallelForkExec {
  /** From the first spawn() to the last handshake line, in ns. */
  readonly allNs: number;
  /** Sum of VmRSS over all the processes once every one has printed its handshake, in bytes. */
  readonly rssBytes: number;
  /** The same in PSS (shared pages divided among the processes that share them); undefined when unreadable. */
  readonly pssBytes: number | undefined;
}

/** Samples of parallel runs, one entry per run. */
export interface ParallelFloorSamples {
  /** ns from the first spawn() to the last handshake line. */
  readonly all: number[];
  /** Summed VmRSS of the processes once all have handshaken, bytes. */
  readonly rss: number[];
  /** Summed PSS, bytes (left empty where the kernel has no smaps_rollup). */
  readonly pss: number[];
}

export function emptyParallelFloorSamples(): ParallelFloorSamples {
  return { all: [], rss: [], pss: [] };
}

const HANDSHAKE = /^1\|\d+\|(unix|tcp)\|[^|]+\|grpc(\|.*)?$/;
const TIMEOUT_MS = 60_000;

interface Running {
  readonly child: ChildProcess;
  readonly handshake: Promise<bigint>;
  readonly exited: Promise<void>;
}

/** Spawns the plugin; `handshake` resolves with hrtime when its first stdout line (checked to be a handshake) arrives. */
function launch(plugin: string, socketDir: string): Running {
  const env = pluginEnvironment({
    hostEnv: process.env,
    inheritEnv: true,
    extra: {},
    appVersions: DEFAULTS.appVersions,
    portRange: DEFAULTS.portRange,
    socketDir,
    clientCertPem: undefined,
  });
  // stdin a pipe that stays open, as under a real host: our SDK takes its end as the host gone.
  const child = spawn(plugin, [], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const handshake = new Promise<bigint>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${plugin} printed no handshake within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (text.includes('\n')) return;
      text += chunk.toString('utf8');
      const newline = text.indexOf('\n');
      if (newline === -1) return;
      const at = process.hrtime.bigint();
      clearTimeout(timer);
      const line = text.slice(0, newline);
      if (HANDSHAKE.test(line)) resolve(at);
      else reject(new Error(`${plugin} printed ${JSON.stringify(line.slice(0, 120))} instead of a handshake line`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${plugin} exited (code ${String(code)}, signal ${String(signal)}) before its handshake`));
    });
  });
  handshake.catch(() => undefined);
  return { child, handshake, exited };
}

async function end(running: Running): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
  await running.exited;
}

/** `count` execs one after another; spawn → handshake line of each, in ns. */
export async function timeForkExecs(plugin: string, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const socketDir = await mkdtemp(join(tmpdir(), 'sb-bench-floor-'));
    try {
      const t0 = process.hrtime.bigint();
      const running = launch(plugin, socketDir);
      try {
        out.push(Number((await running.handshake) - t0));
      } finally {
        await end(running);
      }
    } finally {
      await rm(socketDir, { recursive: true, force: true });
    }
  }
  return out;
}

/**
 * `count` execs, at most `limit` of them between spawn and handshake at any
 * moment (the next one spawned as soon as one prints its line), every process
 * kept running until the last has handshaken, as under a daemon: time to the
 * last handshake line, and the memory they hold then.
 */
async function forkExecParallel(plugin: string, count: number, limit: number): Promise<ParallelForkExec> {
  const socketDir = await mkdtemp(join(tmpdir(), 'sb-bench-floor-'));
  const all: Running[] = [];
  try {
    const t0 = process.hrtime.bigint();
    let last = t0;
    let failed = false;
    const worker = async () => {
      while (!failed && all.length < count) {
        const running = launch(plugin, socketDir);
        all.push(running);
        const at = await running.handshake.catch((error: unknown) => {
          failed = true;
          throw error;
        });
        if (at > last) last = at;
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
    const memory = await totalMemory(all.map((r) => r.child.pid ?? 0));
    return { allNs: Number(last - t0), rssBytes: memory.rss, pssBytes: memory.pss };
  } finally {
    await Promise.all(all.map(end));
    await rm(socketDir, { recursive: true, force: true });
  }
}

export async function runParallelInto(into: ParallelFloorSamples, plugin: string, count: number, limit = count): Promise<void> {
  const run = await forkExecParallel(plugin, count, limit);
  into.all.push(run.allNs);
  into.rss.push(run.rssBytes);
  if (run.pssBytes !== undefined) into.pss.push(run.pssBytes);
}
