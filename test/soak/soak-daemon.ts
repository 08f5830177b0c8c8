// The real `snoozebot daemon` process a soak runs against, and its JSON log.
//
// Like test/helpers/daemon.ts's DaemonProcess (debug logs, a TMPDIR in the
// run's directory; not in dry run, so the writers' stops reach a plugin), but usable outside node:test
// (scripts/soak.ts) and built for hours of log: every line gets a sequence
// number, lines are indexed by plugin, and the floods the soak provokes are
// counted rather than kept (a flood is thousands of lines, and the accounting
// only needs to know they arrived).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { LogLine } from '../helpers/daemon.js';
import { CLI, REPO_ROOT } from '../helpers/paths.js';
import { apiRequest } from './api.js';
import type { RunDir } from './run-dir.js';

export interface SeqLine {
  readonly seq: number;
  readonly line: LogLine;
}

/** What arrived of one chaos flood (by its id). */
export interface FloodSeen {
  stdoutLines: number;
  stderrLines: number;
  /** A long line that reached the log cut to the host's line limit. */
  longStdout: number;
  longStderr: number;
  endSeq: number | undefined;
}

export interface DaemonExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const FLOOD_LINE = /^chaos-flood (\d+) (stdout|stderr) \d+$/;
const FLOOD_END = /^chaos-flood (\d+) end$/;
const LONG_LINE = /^(o+|e+)$/;

function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SNOOZEBOT_')) env[key] = value;
  return { ...env, ...extra };
}

/** The sum of the daemon's "dropped N lines of plugin output" reports among `lines`. */
export function droppedIn(lines: readonly SeqLine[]): number {
  let dropped = 0;
  for (const { line } of lines) if (typeof line.dropped === 'number') dropped += line.dropped;
  return dropped;
}

export class SoakDaemon {
  readonly run: RunDir;
  readonly child: ChildProcess;
  readonly exited: Promise<DaemonExit>;
  /** Lines kept (floods excluded), in order. */
  readonly lines: SeqLine[] = [];
  readonly #byPlugin = new Map<string, SeqLine[]>();
  readonly floods = new Map<number, FloodSeen>();
  /** Lines of the start-flood wrapper's noise, per plugin. */
  readonly startNoise = new Map<string, number>();
  readonly strayStdout: string[] = [];
  stderr = '';
  /** Lines seen so far, kept or not: a fault's log mark. */
  seq = 0;
  logBytes = 0;
  #exit: DaemonExit | undefined;
  #partial = '';

  private constructor(run: RunDir, args: readonly string[]) {
    this.run = run;
    this.child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv({ TMPDIR: run.tmpDir }),
    });
    this.child.stdout?.on('data', (b: Buffer) => this.#onStdout(b.toString('utf8')));
    this.child.stderr?.on('data', (b: Buffer) => (this.stderr += b.toString('utf8')));
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code, signal) => {
        this.#onStdout('\n');
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
    this.exited.catch(() => undefined);
  }

  static async start(run: RunDir, config: unknown): Promise<SoakDaemon> {
    await writeFile(run.configPath, `${JSON.stringify(config, null, 2)}\n`);
    const args = [
      'daemon',
      '--plugins-dir', run.pluginsDir,
      '--socket', run.socket,
      '--state-dir', run.stateDir,
      '--config', run.configPath,
      '--log-level', 'debug',
    ];
    const daemon = new SoakDaemon(run, args);
    try {
      await daemon.#ready(15_000);
    } catch (error) {
      // Not left running with its plugins when it did not come up in time.
      await daemon.stop().catch(() => undefined);
      throw error;
    }
    return daemon;
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('the daemon process did not start');
    return pid;
  }

  get exitInfo(): DaemonExit | undefined {
    return this.#exit;
  }

  /** Kept lines of `plugin` with from ≤ seq < to. */
  pluginLines(plugin: string, from = 0, to = Number.POSITIVE_INFINITY): SeqLine[] {
    return (this.#byPlugin.get(plugin) ?? []).filter((l) => l.seq >= from && l.seq < to);
  }

  /** Kept lines with no plugin: the daemon's own. */
  /** Plugin output lines the daemon counted instead of logging (its "dropped N lines" reports), in a stretch of the log. */
  droppedLines(plugin: string, from = 0, to = Number.POSITIVE_INFINITY): number {
    return droppedIn(this.pluginLines(plugin, from, to));
  }

  ownLines(): SeqLine[] {
    return this.lines.filter((l) => l.line.plugin === undefined);
  }

  #onStdout(text: string): void {
    this.logBytes += Buffer.byteLength(text);
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const raw of lines) {
      if (raw.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        this.strayStdout.push(raw.slice(0, 300));
        continue;
      }
      this.#onLine(parsed as LogLine);
    }
  }

  #onLine(line: LogLine): void {
    const seq = this.seq++;
    const msg = typeof line.msg === 'string' ? line.msg : '';
    const plugin = line.plugin;
    const flood = FLOOD_LINE.exec(msg);
    if (flood !== null) {
      const seen = this.#flood(Number(flood[1]));
      if (flood[2] === 'stdout') seen.stdoutLines += 1;
      else seen.stderrLines += 1;
      return;
    }
    if (msg.length >= 1_000 && LONG_LINE.test(msg.slice(0, 1_000))) {
      // Which flood it belongs to is not in the line: the accounting pairs it by plugin and position.
      this.#keep(seq, { ...line, msg: `<long line: ${msg.length} × ${msg[0]}>`, longLine: msg.length, longChar: msg[0] });
      return;
    }
    if (msg === 'soak start-flood: noise' && plugin !== undefined) {
      this.startNoise.set(plugin, (this.startNoise.get(plugin) ?? 0) + 1);
      return;
    }
    const end = FLOOD_END.exec(msg);
    if (end !== null) this.#flood(Number(end[1])).endSeq = seq;
    this.#keep(seq, line);
  }

  #keep(seq: number, line: LogLine): void {
    const entry = { seq, line };
    this.lines.push(entry);
    if (line.plugin !== undefined) {
      let list = this.#byPlugin.get(line.plugin);
      if (list === undefined) this.#byPlugin.set(line.plugin, (list = []));
      list.push(entry);
    }
  }

  #flood(id: number): FloodSeen {
    let seen = this.floods.get(id);
    if (seen === undefined) {
      seen = { stdoutLines: 0, stderrLines: 0, longStdout: 0, longStderr: 0, endSeq: undefined };
      this.floods.set(id, seen);
    }
    return seen;
  }

  async #ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      if (this.#exit !== undefined) throw new Error(`the daemon exited during start (${JSON.stringify(this.#exit)})\n${this.tail()}`);
      try {
        const res = await apiRequest(this.run.socket, 'GET', '/healthz', 1_000);
        if (res.status === 200) return;
        last = `GET /healthz answered ${res.status}`;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`the daemon's API did not answer within ${timeoutMs} ms (last: ${last})\n${this.tail()}`);
      await delay(50);
    }
  }

  /** The last log messages and stderr, for failure messages. */
  tail(count = 40): string {
    const logs = this.lines
      .slice(-count)
      .map((l) => `${l.line.plugin ? `[${l.line.plugin}] ` : ''}${l.line.msg}`)
      .join('\n');
    return `--- last log messages ---\n${logs}\n--- stderr ---\n${this.stderr.slice(-2000)}`;
  }

  /** SIGTERM, then its exit (SIGKILL and an error after `timeoutMs`). */
  async stop(timeoutMs = 20_000): Promise<DaemonExit> {
    if (this.#exit === undefined) this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result !== 'timeout') return result;
    this.child.kill('SIGKILL');
    await this.exited;
    throw new Error(`the daemon did not exit within ${timeoutMs} ms of SIGTERM\n${this.tail()}`);
  }
}
