// What the bench ran on: printed above the table, since every figure depends on it.
import { execFile } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

async function firstLine(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await execFileP(cmd, args, { encoding: 'utf8', timeout: 30_000 });
    return stdout.trim().split('\n', 1)[0];
  } catch {
    return undefined;
  }
}

export async function nproc(): Promise<string> {
  return (await firstLine('nproc', [])) ?? `${availableParallelism()} (os.availableParallelism; nproc not found)`;
}

export async function goVersion(): Promise<string> {
  return (await firstLine('go', ['version'])) ?? 'not found';
}

export function cpuModel(): string {
  return cpus()[0]?.model.trim() ?? 'unknown CPU';
}

export function loadAverage(): number[] {
  return loadavg();
}
