// GPU utilisation from nvidia-smi, the one tool every NVIDIA driver install
// ships. A machine without it has no GPU signal at all; a machine with it
// whose nvidia-smi fails has an unreadable one, which keeps it busy.
import { boundedRun } from './bounded-run.js';
import { findExecutable } from './find-executable.js';
import { SignalParseError, excerpt } from './signal-error.js';

export interface GpuUtilization {
  /** One percentage per GPU that reports it, in nvidia-smi's order. */
  readonly percents: readonly number[];
  /** GPUs that answered "[N/A]" or "[Not Supported]" (MIG instances, some vGPUs). */
  readonly unavailable: number;
}

export const NVIDIA_SMI = 'nvidia-smi';
export const NVIDIA_SMI_ARGS = ['--query-gpu=utilization.gpu', '--format=csv,noheader,nounits'] as const;
export const DEFAULT_GPU_TIMEOUT_MS = 5_000;
const STDOUT_BYTES = 64 * 1024;
const STDERR_TAIL_BYTES = 1024;
const PERCENT = /^\d+(?:\.\d+)?$/;
/** What nvidia-smi says, exiting non-zero, on a machine with the driver but no GPU. */
const NO_DEVICES = 'No devices were found';

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

export interface GpuReadOptions {
  /** The PATH value nvidia-smi is looked up in. */
  readonly pathValue: string | undefined;
  /** nvidia-smi's environment; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/**
 * The GPUs' utilisation; undefined when there is no nvidia-smi on the path or
 * it finds no GPU. Throws when nvidia-smi fails, hangs or prints nonsense.
 */
export async function readGpuUtilization(options: GpuReadOptions): Promise<GpuUtilization | undefined> {
  const file = findExecutable(NVIDIA_SMI, options.pathValue);
  if (file === undefined) return undefined;
  const timeoutMs = options.timeoutMs ?? DEFAULT_GPU_TIMEOUT_MS;
  const result = await boundedRun({
    file,
    args: NVIDIA_SMI_ARGS,
    timeoutMs,
    ...(options.env !== undefined ? { env: options.env } : {}),
    stdoutBytes: STDOUT_BYTES,
    stderrTailBytes: STDERR_TAIL_BYTES,
  });
  switch (result.kind) {
    case 'spawn-failed':
      throw new Error(`could not run ${file}: ${result.message}`);
    case 'timed-out':
      throw new Error(`${file} did not answer within ${timeoutMs} ms${result.stderrTail ? `: ${result.stderrTail}` : ''}`);
    case 'signalled':
      throw new Error(`${file} was killed by ${result.signal}${result.stderrTail ? `: ${result.stderrTail}` : ''}`);
    case 'exited': {
      if (result.exitCode !== 0) {
        if (result.stdout.includes(NO_DEVICES) || result.stderrTail.includes(NO_DEVICES)) return undefined;
        const said = (result.stderrTail || result.stdout.trim()).slice(-300);
        throw new Error(`${file} exited with status ${result.exitCode}${said ? `: ${said}` : ''}`);
      }
      const utilization = parseGpuUtilization(result.stdout);
      return utilization.percents.length === 0 && utilization.unavailable === 0 ? undefined : utilization;
    }
  }
}
