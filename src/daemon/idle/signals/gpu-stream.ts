// GPU utilisation from one long-lived `nvidia-smi --query-gpu=utilization.gpu
// --format=csv,noheader,nounits -l SECONDS`, which prints one line per GPU
// every SECONDS. Starting nvidia-smi costs tens of milliseconds of CPU (it
// loads the driver's library and enumerates every GPU), so one process lives
// as long as the idle monitor samples, and a sample only looks at the latest
// round it printed: no process per sample, and no pile of abandoned ones when
// the driver hangs.
//
// nvidia-smi prints a round's lines at once and then sleeps; lines that
// arrive within ROUND_GAP_MS of each other are one round.
//
// Life of the process:
// - started by the first read() (prime), and again by a read() after it ended;
// - it dies (driver reloaded, killed): unreadable, so busy, and restarted
//   after a backoff of 1 s doubling to 60 s (reset once one has run 60 s);
// - it prints "No devices were found" and exits: no GPU signal, and it is
//   asked again only after the longest backoff;
// - it prints nothing for a period plus STALL_MS: hung. It is killed (its whole
//   process group), and a new one starts only once the old one has exited,
//   so a process stuck in the driver is never joined by another;
// - stop() kills it: the daemon stops, or idle detection was turned off.
//
// Nothing here waits: read() answers from what arrived, and restarts happen
// at a read() once their time has come, so there are no timers to clean up.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { findExecutable } from './find-executable.js';
import { NVIDIA_SMI, NVIDIA_SMI_ARGS, NO_DEVICES, parseGpuUtilization } from './gpu.js';
import type { GpuUtilization } from './gpu.js';

export const ROUND_GAP_MS = 250;
/** How long after its period a silent nvidia-smi is taken for hung; also how long its first round may take. */
export const STALL_MS = 5_000;
export const FIRST_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 60_000;
/** A process that lived this long was healthy: the next failure starts the backoff over. */
export const HEALTHY_AFTER_MS = 60_000;
const TAIL_BYTES = 1024;

export type GpuRead =
  /** No nvidia-smi on the path, or it finds no GPU: the signal is left out. */
  | { readonly kind: 'absent' }
  /** Just started; its first round is not in yet. */
  | { readonly kind: 'pending'; readonly detail: string }
  | { readonly kind: 'value'; readonly utilization: GpuUtilization }
  /** It failed, hung or printed nonsense: busy, with why. */
  | { readonly kind: 'unreadable'; readonly detail: string };

export interface GpuStreamOptions {
  /** The PATH value nvidia-smi is looked up in. */
  readonly pathValue: string | undefined;
  /** nvidia-smi's environment; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Epoch ms; default Date.now. */
  readonly now?: () => number;
}

interface Running {
  readonly child: ChildProcess;
  readonly file: string;
  readonly startedAt: number;
  readonly periodSeconds: number;
  /** Lines of the round being received. */
  pending: string[];
  lastDataAt: number;
  /** The latest complete round. */
  round: string[] | undefined;
  roundAt: number | undefined;
  partial: string;
  stderr: string;
  /** SIGKILL sent (hung, or replaced); waiting for its exit. */
  killed: boolean;
  killedWhy: string;
  exited: boolean;
}

function tail(text: string): string {
  return text.length > TAIL_BYTES ? text.slice(-TAIL_BYTES) : text;
}

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' | ');
}

export class GpuStream {
  readonly #pathValue: string | undefined;
  readonly #env: NodeJS.ProcessEnv | undefined;
  readonly #now: () => number;
  #periodSeconds = 10;
  #running: Running | undefined;
  /** Why the last process ended, and when the next may start. */
  #ended: { readonly detail: string; readonly absent: boolean } | undefined;
  #retryAt = 0;
  #failures = 0;

  constructor(options: GpuStreamOptions) {
    this.#pathValue = options.pathValue;
    this.#env = options.env;
    this.#now = options.now ?? Date.now;
  }

  /** The sample interval; nvidia-smi prints once per whole second of it (at least 1). A running one with another period is replaced. */
  setPeriod(intervalMs: number): void {
    const seconds = Math.max(1, Math.round(intervalMs / 1000));
    if (seconds === this.#periodSeconds) return;
    this.#periodSeconds = seconds;
    const running = this.#running;
    if (running !== undefined && !running.killed) {
      this.#kill(running, 'replaced for a new check interval');
      // Not a failure: the new one may start as soon as the old one is gone.
      this.#retryAt = 0;
    }
  }

  /** The pid of the running nvidia-smi, if any (status and tests). */
  get pid(): number | undefined {
    return this.#running?.child.pid;
  }

  /** The latest utilisation; starts nvidia-smi when none runs and its time has come. */
  read(): GpuRead {
    const now = this.#now();
    const running = this.#running;
    if (running === undefined) return this.#startIfDue(now);
    if (running.killed) return { kind: 'unreadable', detail: `${running.file} (pid ${running.child.pid}) ${running.killedWhy}; killed, a new one starts once it has exited` };
    this.#closeRound(running, now);
    const lastHeard = running.roundAt ?? running.startedAt;
    const silentMs = now - lastHeard;
    if (silentMs > running.periodSeconds * 1000 + STALL_MS) {
      const what = running.roundAt === undefined ? `printed nothing within ${Math.round(silentMs / 1000)} s of starting` : `printed nothing for ${Math.round(silentMs / 1000)} s`;
      this.#kill(running, `hung: ${what}`);
      this.#failed(now, running);
      return { kind: 'unreadable', detail: `${running.file} ${what} (every ${running.periodSeconds} s expected); killed, counted as busy` };
    }
    if (running.round === undefined) return { kind: 'pending', detail: `${running.file} started; waiting for its first report` };
    try {
      const utilization = parseGpuUtilization(running.round.join('\n'));
      if (utilization.percents.length === 0 && utilization.unavailable === 0) return { kind: 'absent' };
      return { kind: 'value', utilization };
    } catch (error) {
      return { kind: 'unreadable', detail: (error as Error).message };
    }
  }

  /** Kills the running nvidia-smi (its whole process group); a later read() starts a new one. */
  stop(): void {
    const running = this.#running;
    if (running !== undefined) this.#kill(running, 'stopped');
    // Gone from here on: its exit is reaped by Node and needs nobody waiting.
    this.#running = undefined;
    this.#ended = undefined;
    this.#retryAt = 0;
    this.#failures = 0;
  }

  #startIfDue(now: number): GpuRead {
    const ended = this.#ended;
    if (ended !== undefined && now < this.#retryAt) {
      if (ended.absent) return { kind: 'absent' };
      return { kind: 'unreadable', detail: `${ended.detail}; restarting in ${Math.ceil((this.#retryAt - now) / 1000)} s, counted as busy until then` };
    }
    const file = findExecutable(NVIDIA_SMI, this.#pathValue);
    if (file === undefined) return { kind: 'absent' };
    try {
      this.#start(file, now);
    } catch (error) {
      this.#ended = { detail: `could not run ${file}: ${(error as Error).message}`, absent: false };
      this.#backoff(now);
      return { kind: 'unreadable', detail: this.#ended.detail };
    }
    return { kind: 'pending', detail: `${file} started; waiting for its first report` };
  }

  #start(file: string, now: number): void {
    const child = spawn(file, [...NVIDIA_SMI_ARGS, '-l', String(this.#periodSeconds)], {
      // Its own process group, so that whatever it forks goes down with it.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.#env ?? process.env,
    });
    const running: Running = {
      child,
      file,
      startedAt: now,
      periodSeconds: this.#periodSeconds,
      pending: [],
      lastDataAt: 0,
      round: undefined,
      roundAt: undefined,
      partial: '',
      stderr: '',
      killed: false,
      killedWhy: '',
      exited: false,
    };
    this.#running = running;
    this.#ended = undefined;
    // The daemon's own servers keep it alive; this process must not, nor its pipes.
    child.unref();
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.#onData(running, chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      running.stderr = tail(running.stderr + chunk);
    });
    for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
    child.on('error', (error) => {
      // A failed spawn ends up here; later errors have no other listener and are told by 'close'.
      if (child.pid !== undefined) return;
      running.stderr = tail(`${running.stderr}\n${error.message}`);
      this.#onExit(running, null, null);
    });
    child.once('close', (code, signal) => this.#onExit(running, code, signal));
  }

  #onData(running: Running, chunk: string): void {
    const now = this.#now();
    this.#closeRound(running, now);
    running.lastDataAt = now;
    const lines = (running.partial + chunk).split('\n');
    running.partial = tail(lines.pop() ?? '');
    for (const line of lines) if (line.trim() !== '') running.pending.push(line);
  }

  /** The lines received so far are a whole round once ROUND_GAP_MS passed without more. */
  #closeRound(running: Running, now: number): void {
    if (running.pending.length === 0 || now - running.lastDataAt < ROUND_GAP_MS) return;
    running.round = running.pending;
    running.roundAt = running.lastDataAt;
    running.pending = [];
  }

  #onExit(running: Running, code: number | null, signal: NodeJS.Signals | null): void {
    if (running.exited) return;
    running.exited = true;
    // Whatever it left in its group goes too.
    killGroup(running.child);
    if (this.#running !== running) return;
    this.#running = undefined;
    const now = this.#now();
    if (running.killed) {
      // Killed for hanging, or replaced: the backoff set then applies.
      this.#ended ??= { detail: `${running.file} ${running.killedWhy}`, absent: false };
      return;
    }
    const said = oneLine(`${running.pending.join('\n')}\n${running.partial}\n${running.stderr}`);
    const noDevice = said.includes(NO_DEVICES) || (running.round ?? []).some((line) => line.includes(NO_DEVICES));
    const how = code !== null ? `exited with status ${code}` : `was killed by ${signal ?? 'a signal'}`;
    this.#ended = { detail: `${running.file} ${how}${said ? `: ${said.slice(-300)}` : ''}`, absent: noDevice };
    if (noDevice) {
      this.#retryAt = now + MAX_BACKOFF_MS;
      return;
    }
    this.#failed(now, running);
  }

  #failed(now: number, running: Running): void {
    if (now - running.startedAt >= HEALTHY_AFTER_MS) this.#failures = 0;
    this.#backoff(now);
  }

  #backoff(now: number): void {
    this.#failures += 1;
    this.#retryAt = now + Math.min(FIRST_BACKOFF_MS * 2 ** (this.#failures - 1), MAX_BACKOFF_MS);
  }

  #kill(running: Running, why: string): void {
    if (running.killed) return;
    running.killed = true;
    running.killedWhy = why;
    killGroup(running.child);
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    // Detached: the child leads its own group, so -pid reaches everything it forked.
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already empty.
  }
}
