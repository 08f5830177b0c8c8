// Issue 17's figure: a sample's CPU with 20 sessions and 50 interfaces, in a
// process of its own (bench/idle-crowd-worker.js), against n1's plain sample
// measured in the same process, batch for batch.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CrowdWorkerResult } from './idle-crowd-worker.js';
import { IDLE_WORKER_FLAGS } from './measure-idle.js';

const run = promisify(execFile);

export interface CrowdSamples {
  /** ns of CPU per sample on the crowded root, one value per batch of 100. */
  readonly crowdCpu: number[];
  /** ns of CPU per plain sample of this machine (n1's setting), interleaved with the crowd's. */
  readonly plainCpu: number[];
}

export function emptyCrowdSamples(): CrowdSamples {
  return { crowdCpu: [], plainCpu: [] };
}

export async function measureCrowdInto(samples: CrowdSamples, distJs: string, batches = 20): Promise<void> {
  const worker = join(distJs, 'bench/idle-crowd-worker.js');
  const { stdout } = await run(process.execPath, [...IDLE_WORKER_FLAGS, worker, String(batches)], { maxBuffer: 4 * 1024 * 1024, timeout: 600_000 });
  const r = JSON.parse(stdout.trim().split('\n').pop() ?? '') as CrowdWorkerResult;
  samples.crowdCpu.push(...r.crowdCpuNs);
  samples.plainCpu.push(...r.plainCpuNs);
}
