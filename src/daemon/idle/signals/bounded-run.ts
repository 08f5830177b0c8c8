// Runs a short-lived command for a signal (nvidia-smi, a custom check) with a
// time limit, in its own process group so that whatever it forks goes down
// with it. The sampler runs these every check interval for months: nothing
// may be left running, and no command may hold up a sample for longer than
// its limit, even one stuck in the kernel where SIGKILL does not reach it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface BoundedRunOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Keep up to this many bytes of stdout (the rest is read and dropped); 0 discards it. */
  readonly stdoutBytes: number;
  /** Keep the last this many bytes of stderr. */
  readonly stderrTailBytes: number;
}

export type BoundedRunResult =
  /** stderrTail: the end of stderr, its lines joined with ' | '. */
  | { readonly kind: 'exited'; readonly exitCode: number; readonly stdout: string; readonly stderrTail: string }
  | { readonly kind: 'signalled'; readonly signal: string; readonly stdout: string; readonly stderrTail: string }
  | { readonly kind: 'timed-out'; readonly timeoutMs: number; readonly stderrTail: string }
  | { readonly kind: 'spawn-failed'; readonly message: string };

/** After the SIGKILL (or the command's own exit), how long its output pipes may take to close. */
export const SETTLE_MS = 1_000;

const EMPTY = Buffer.alloc(0);
const LINE_BREAKS = /\s*\n\s*/g;

/** The last `limit` bytes of everything appended, copied so no large chunk stays referenced. */
class TailBuffer {
  #data: Buffer = EMPTY;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  append(chunk: Buffer): void {
    if (this.#limit === 0) return;
    if (chunk.length >= this.#limit) this.#data = Buffer.from(chunk.subarray(chunk.length - this.#limit));
    else {
      const joined = Buffer.concat([this.#data, chunk]);
      this.#data = joined.length > this.#limit ? Buffer.from(joined.subarray(joined.length - this.#limit)) : joined;
    }
  }

  /** On one line: it ends up in a status table. */
  toString(): string {
    return this.#data.toString('utf8').trim().replace(LINE_BREAKS, ' | ');
  }
}

/** The first `limit` bytes of everything appended. */
class HeadBuffer {
  readonly #chunks: Buffer[] = [];
  #length = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  append(chunk: Buffer): void {
    const room = this.#limit - this.#length;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#chunks.push(kept);
    this.#length += kept.length;
  }

  toString(): string {
    return Buffer.concat(this.#chunks, this.#length).toString('utf8');
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    // The child leads its own group (detached), so -pid reaches everything it forked.
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already empty.
  }
}

export function boundedRun(options: BoundedRunOptions): Promise<BoundedRunResult> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(options.file, options.args, {
        detached: true,
        stdio: ['ignore', options.stdoutBytes > 0 ? 'pipe' : 'ignore', options.stderrTailBytes > 0 ? 'pipe' : 'ignore'],
        env: options.env ?? process.env,
      });
    } catch (error) {
      resolve({ kind: 'spawn-failed', message: (error as Error).message });
      return;
    }
    const stdout = new HeadBuffer(options.stdoutBytes);
    const stderr = new TailBuffer(options.stderrTailBytes);
    child.stdout?.on('data', (chunk: Buffer) => stdout.append(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.append(chunk));

    let done = false;
    let timedOut = false;
    let settleTimer: NodeJS.Timeout | undefined;
    const finish = (result: BoundedRunResult) => {
      if (done) return;
      done = true;
      clearTimeout(limitTimer);
      clearTimeout(settleTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(result);
    };
    const outcome = (code: number | null, signal: NodeJS.Signals | null): BoundedRunResult => {
      if (timedOut) return { kind: 'timed-out', timeoutMs: options.timeoutMs, stderrTail: stderr.toString() };
      if (code !== null) return { kind: 'exited', exitCode: code, stdout: stdout.toString(), stderrTail: stderr.toString() };
      return { kind: 'signalled', signal: signal ?? 'unknown signal', stdout: stdout.toString(), stderrTail: stderr.toString() };
    };
    // Bounds the wait for 'close' when a process escaped the group with the
    // pipes open, or for 'exit' when SIGKILL cannot land (uninterruptible sleep).
    const settleSoon = () => {
      settleTimer ??= setTimeout(() => finish(outcome(child.exitCode, child.signalCode)), SETTLE_MS);
    };
    const limitTimer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
      settleSoon();
    }, options.timeoutMs);

    child.on('error', (error) => {
      // Emitted when the spawn fails; kept listening so that no later 'error' goes unhandled.
      if (child.pid === undefined) finish({ kind: 'spawn-failed', message: error.message });
    });
    child.once('exit', () => {
      // Whatever the command left running in its group goes now. The group id
      // stays reserved while any member lives, and when none does a new group
      // could only take it after the kernel's pids wrapped round.
      killGroup(child);
      settleSoon();
    });
    // 'close' comes after 'exit' once stdout and stderr are drained, so the output is complete.
    child.once('close', (code, signal) => finish(outcome(code, signal)));
  });
}
