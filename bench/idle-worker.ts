// Runs in its own Node process (started by measure-idle.ts with
// --expose-gc and a fixed 1 MiB young generation: sampled back to back, V8
// would otherwise grow its nursery to 32 MiB, which a daemon sampling every
// 10 s never does, and that growth would hide or fake a leak), so its RSS is
// the idle monitor's alone: the real IdleSampler
// and IdleMonitor on this machine's /proc, sampled back to back instead of
// every 10 s. Prints one JSON line (IdleWorkerResult) on stdout.
//
// CPU per sample includes children (custom checks are processes): utime,
// stime, cutime and cstime from /proc/self/stat, in clock ticks.
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { IdleMonitor } from '../src/daemon/idle/monitor.js';
import { IdleSampler } from '../src/daemon/idle/sampler.js';
import { DEFAULT_IDLE_SETTINGS } from '../src/daemon/idle/settings.js';
import type { CustomCheck, IdleSettings } from '../src/daemon/idle/settings.js';

export interface IdleWorkerResult {
  /** CPU ns per sample, one value per batch. */
  readonly sampleCpuNs: number[];
  /** CPU ns per sample with one custom check (`true`), one value per batch. */
  readonly checkCpuNs: number[];
  /** CPU ns of just reading the four /proc files a sample reads, per batch: the floor. */
  readonly readsCpuNs: number[];
  readonly rssBefore: number;
  readonly rssAfter: number;
  /** VmRSS after a full GC every CHECKPOINT samples (the first is rssBefore). */
  readonly rssCheckpoints: number[];
  /** Least-squares slope of the checkpoints, in bytes per 10,000 samples: growth with the noise averaged out. */
  readonly rssTrendPer10k: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
  readonly samples: number;
}

const TICK_NS = 1e9 / 100; // USER_HZ

/** process.cpuUsage() is finer than clock ticks; children are added from /proc only when there are any. */
function cpuNsFine(withChildren: boolean): number {
  const own = process.cpuUsage();
  const ns = (own.user + own.system) * 1_000;
  if (!withChildren) return ns;
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ns + (Number(fields[13]) + Number(fields[14])) * TICK_NS;
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with --expose-gc');
  collect();
  collect();
}

function monitorFor(checks: readonly CustomCheck[]): IdleMonitor {
  const settings: IdleSettings = { ...DEFAULT_IDLE_SETTINGS, checks, graceMs: 0 };
  return new IdleMonitor({
    settings,
    dryRun: true,
    sampler: new IdleSampler({ root: '/', thresholds: settings.thresholds, checks }),
    stopper: {
      route: () => ({ plugin: 'local', problem: null }),
      stop: () => Promise.reject(new Error('the bench never stops the machine')),
    },
    announce: async () => undefined,
    logger: pino({ level: 'silent' }),
  });
}

const CHECKPOINT = 500;
const BATCH = 100;

/** Bytes per 10,000 samples: the least-squares slope through (samples done, RSS). */
export function trendPer10k(checkpoints: readonly number[], every: number): number {
  const n = checkpoints.length;
  if (n < 2) return 0;
  const xs = checkpoints.map((_, i) => i * every);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = checkpoints.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i += 1) {
    const dx = (xs[i] as number) - mx;
    num += dx * ((checkpoints[i] as number) - my);
    den += dx * dx;
  }
  return (num / den) * 10_000;
}

async function batches(samples: number, batch: number, withChildren: boolean, run: () => Promise<void>): Promise<number[]> {
  const perSample: number[] = [];
  for (let done = 0; done < samples; done += batch) {
    const before = cpuNsFine(withChildren);
    for (let i = 0; i < batch; i += 1) await run();
    perSample.push((cpuNsFine(withChildren) - before) / batch);
  }
  return perSample;
}

async function main(): Promise<void> {
  const samples = Number(process.argv[2] ?? 10_000);
  // Long enough for V8 to finish optimising the sampling code, whose metadata would read as growth.
  const warmup = 2_000;
  const monitor = monitorFor([]);
  // Nap time 30 min: the monitor samples and decides, and never reaches a stop.
  const tick = () => monitor.tick();
  await batches(warmup, 100, false, tick);
  gc();
  const rssBefore = process.memoryUsage.rss();
  const heapBefore = process.memoryUsage().heapUsed;
  const sampleCpuNs: number[] = [];
  const rssCheckpoints = [rssBefore];
  for (let done = 0; done < samples; done += CHECKPOINT) {
    sampleCpuNs.push(...(await batches(CHECKPOINT, BATCH, false, tick)));
    gc();
    rssCheckpoints.push(process.memoryUsage.rss());
  }
  const rssAfter = process.memoryUsage.rss();
  const heapAfter = process.memoryUsage().heapUsed;

  const files = ['/proc/stat', '/proc/loadavg', '/proc/net/dev', '/proc/diskstats'];
  const readsCpuNs = await batches(Math.min(samples, 2_000), 100, false, async () => {
    for (const f of files) readFileSync(f, 'utf8');
  });

  const withCheck = monitorFor([{ name: 'bench', command: 'true', timeoutMs: 5_000 }]);
  const checkTick = () => withCheck.tick();
  const checkCpuNs = await batches(200, 20, true, checkTick);
  await Promise.all([monitor.close(), withCheck.close()]);

  const rssTrendPer10k = trendPer10k(rssCheckpoints, CHECKPOINT);
  const result: IdleWorkerResult = { sampleCpuNs, checkCpuNs, readsCpuNs, rssBefore, rssAfter, rssCheckpoints, rssTrendPer10k, heapBefore, heapAfter, samples };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
