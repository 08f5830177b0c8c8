// `snoozebot plugins check PATH --json` as a user runs it: a separate process;
// its JSON diagnosis, exit code and how long it took.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import type { Diagnosis } from '../../src/host/diagnose.js';
import { CLI, REPO_ROOT } from './paths.js';

export interface CheckRun {
  readonly exitCode: number | undefined;
  readonly diagnosis: Diagnosis;
  /** Wall time of the whole command, ms. */
  readonly ms: number;
}

export async function pluginsCheck(path: string, args: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Promise<CheckRun> {
  const t0 = performance.now();
  const result = await execa(process.execPath, [CLI, 'plugins', 'check', path, '--json', ...args], {
    cwd: REPO_ROOT,
    reject: false,
    timeout: 60_000,
    env,
  });
  const ms = performance.now() - t0;
  try {
    return { exitCode: result.exitCode, diagnosis: JSON.parse(result.stdout) as Diagnosis, ms };
  } catch {
    assert.fail(`stdout is not JSON (exit ${result.exitCode}): ${result.stdout}\nstderr: ${result.stderr}`);
  }
}
