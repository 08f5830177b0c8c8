// Issue 6's figures: what the idle monitor costs. Runs bench/idle-worker.js
// in a fresh Node process and hands back its samples.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { IdleWorkerResult } from './idle-worker.js';

const run = promisify(execFile);

export const IDLE_SAMPLES = 10_000;

/** The young generation pinned small: see idle-worker.ts. */
export const IDLE_WORKER_FLAGS = ['--expose-gc', '--max-semi-space-size=1'] as const;

export interface IdleSamples {
  /** ns of CPU per sample, one value per batch of 100. */
  readonly sampleCpu: number[];
  readonly checkCpu: number[];
  readonly reads: number[];
  /** Bytes per 10,000 samples (least-squares trend of the checkpoints), one value per run. */
  readonly rssGrowth: number[];
  /** Every RSS checkpoint of every run, bytes: the band the trend is read from. */
  readonly rssCheckpoints: number[];
  readonly rssBefore: number[];
  readonly heapGrowth: number[];
  readonly heapBefore: number[];
}

export function emptyIdleSamples(): IdleSamples {
  return { sampleCpu: [], checkCpu: [], reads: [], rssGrowth: [], rssCheckpoints: [], rssBefore: [], heapGrowth: [], heapBefore: [] };
}

export async function measureIdleInto(samples: IdleSamples, distJs: string, count = IDLE_SAMPLES): Promise<void> {
  const worker = join(distJs, 'bench/idle-worker.js');
  const { stdout } = await run(process.execPath, [...IDLE_WORKER_FLAGS, worker, String(count)], { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
  const r = JSON.parse(stdout.trim().split('\n').pop() ?? '') as IdleWorkerResult;
  samples.sampleCpu.push(...r.sampleCpuNs);
  samples.checkCpu.push(...r.checkCpuNs);
  samples.reads.push(...r.readsCpuNs);
  samples.rssGrowth.push(r.rssTrendPer10k);
  samples.rssCheckpoints.push(...r.rssCheckpoints);
  samples.rssBefore.push(r.rssBefore);
  samples.heapGrowth.push(r.heapAfter - r.heapBefore);
  samples.heapBefore.push(r.heapBefore);
}
