// A custom check: an operator's command, run through /bin/sh -c, that says
// whether the machine is in use (exit 0: busy) when the built-in signals
// cannot (a job queue, a build, a notebook kernel). A check that gives no
// answer (it hangs, cannot start, or is killed) counts as busy: a machine is
// never stopped on missing evidence.
import type { CustomCheck } from '../settings.js';
import { boundedRun } from './bounded-run.js';
import type { BoundedRunResult } from './bounded-run.js';

export const SHELL = '/bin/sh';
/** How much of the end of a check's stderr is kept for the status. */
export const CHECK_STDERR_TAIL_BYTES = 1024;

export interface CheckResult {
  readonly busy: boolean;
  /** False when the check gave no answer (timed out, could not start, killed by a signal); it then counts as busy. */
  readonly answered: boolean;
  /** 'exit 0', 'exit 1', 'timed out after 5000 ms, counted as busy', ... with the end of stderr. */
  readonly detail: string;
}

export interface CheckRunOptions {
  /** The check's environment; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** The shell; tests point it at a missing file. */
  readonly shell?: string;
}

function withStderr(detail: string, stderrTail: string): string {
  return stderrTail === '' ? detail : `${detail}: ${stderrTail}`;
}

/** What a finished run of a check means. Pure. */
export function checkResult(run: BoundedRunResult): CheckResult {
  switch (run.kind) {
    case 'exited':
      return { busy: run.exitCode === 0, answered: true, detail: withStderr(`exit ${run.exitCode}`, run.stderrTail) };
    case 'timed-out':
      return { busy: true, answered: false, detail: withStderr(`timed out after ${run.timeoutMs} ms, counted as busy`, run.stderrTail) };
    case 'signalled':
      return { busy: true, answered: false, detail: withStderr(`killed by ${run.signal}, counted as busy`, run.stderrTail) };
    case 'spawn-failed':
      return { busy: true, answered: false, detail: `could not start: ${run.message}, counted as busy` };
  }
}

/** Runs `check` once, in its own process group, killed with everything it forked at its timeout. Never throws. */
export async function runCheck(check: CustomCheck, options: CheckRunOptions = {}): Promise<CheckResult> {
  const run = await boundedRun({
    file: options.shell ?? SHELL,
    args: ['-c', check.command],
    timeoutMs: check.timeoutMs,
    ...(options.env !== undefined ? { env: options.env } : {}),
    stdoutBytes: 0,
    stderrTailBytes: CHECK_STDERR_TAIL_BYTES,
  });
  return checkResult(run);
}
