// GPU utilisation from nvidia-smi, the one tool every NVIDIA driver install
// ships: what it prints and what that means. A machine without it has no GPU
// signal at all; a machine with it whose nvidia-smi fails has an unreadable
// one, which keeps it busy. gpu-stream.ts runs it.
import { SignalParseError, excerpt } from './signal-error.js';

export interface GpuUtilization {
  /** One percentage per GPU that reports it, in nvidia-smi's order. */
  readonly percents: readonly number[];
  /** GPUs that answered "[N/A]" or "[Not Supported]" (MIG instances, some vGPUs). */
  readonly unavailable: number;
}

export const NVIDIA_SMI = 'nvidia-smi';
export const NVIDIA_SMI_ARGS = ['--query-gpu=utilization.gpu', '--format=csv,noheader,nounits'] as const;
const PERCENT = /^\d+(?:\.\d+)?$/;
/** What nvidia-smi says, exiting non-zero, on a machine with the driver but no GPU. */
export const NO_DEVICES = 'No devices were found';

/** nvidia-smi's CSV output: one line per GPU, "35" or "[N/A]"; blank lines are skipped. */
export function parseGpuUtilization(text: string): GpuUtilization {
  const percents: number[] = [];
  let unavailable = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('[') && line.endsWith(']')) unavailable++;
    else if (PERCENT.test(line) && Number(line) <= 100) percents.push(Number(line));
    else throw new SignalParseError(`nvidia-smi printed ${excerpt(line)} where a GPU utilisation percentage was expected`);
  }
  return { percents, unavailable };
}

/** The highest utilisation of any GPU; undefined when none reports one. */
export function highestPercent(utilization: GpuUtilization): number | undefined {
  let highest: number | undefined;
  for (const percent of utilization.percents) if (highest === undefined || percent > highest) highest = percent;
  return highest;
}
