// A real `snoozebot daemon` process for the bench, started with the CLI on a
// temporary plugins directory in dry run. Its JSON log (stdout) says when
// each plugin changes state, with millisecond timestamps; that is how the
// bench sees, from outside, when plugins serve.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** The fields of a daemon log line the bench reads. */
export interface LogLine {
  time: number;
  msg?: string;
  plugin?: string;
  /** State transitions: the new state. */
  to?: string;
  /** The host's "plugin serving" line: ms from its start() to health SERVING. */
  ms?: number;
}

export class RunningDaemon {
  readonly lines: LogLine[] = [];
  readonly #waiters: Array<{ test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];

  constructor(
    readonly child: ChildProcess,
    readonly socket: string,
    /** Date.now() just before the spawn, comparable with the log's `time`. */
    readonly spawnedAt: number,
  ) {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const text = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          continue;
        }
        this.lines.push(line);
        for (const waiter of [...this.#waiters]) {
          if (waiter.test(line)) {
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
    });
  }

  next(test: (l: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for the daemon log')), timeoutMs);
      this.#waiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  /**
   * The first "→ serving" line of each named plugin at or after line `from`
   * (an index into `lines`), once all of them have one.
   */
  async allServing(names: readonly string[], from: number, timeoutMs: number): Promise<Map<string, LogLine>> {
    const wanted = new Set(names);
    const found = new Map<string, LogLine>();
    const take = (line: LogLine): boolean => {
      if (line.to === 'serving' && line.plugin !== undefined && wanted.has(line.plugin) && !found.has(line.plugin)) {
        found.set(line.plugin, line);
      }
      return found.size === wanted.size;
    };
    for (const line of this.lines.slice(from)) take(line);
    if (found.size < wanted.size) {
      await this.next(take, timeoutMs).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}: ${found.size} of ${wanted.size} plugins serving`);
      });
    }
    return found;
  }

  /** Until the API answers GET /healthz. */
  async apiUp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if ((await get(this.socket, '/healthz')).status === 200) return;
      } catch {
        // Not listening yet.
      }
      if (this.child.exitCode !== null) throw new Error(`the daemon exited with code ${this.child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`the daemon API did not answer within ${timeoutMs} ms`);
      await delay(5);
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

export function get(socket: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, method: 'GET', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Starts a daemon on a fresh directory holding copies of the given plugins,
 * and waits until its API answers and every plugin serves.
 */
export async function startDaemon(
  root: string,
  cli: string,
  plugins: ReadonlyArray<{ name: string; binary: string }>,
  config?: unknown,
  servingTimeoutMs = 60_000,
  /** The Node.js to run it on (and its environment); default this one. */
  runtime: { readonly execPath: string; readonly env: NodeJS.ProcessEnv } = { execPath: process.execPath, env: process.env },
): Promise<RunningDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-bench-'));
  await chmod(dir, 0o755);
  const pluginsDir = join(dir, 'plugins');
  await mkdir(pluginsDir, { mode: 0o755 });
  for (const plugin of plugins) {
    await copyFile(plugin.binary, join(pluginsDir, plugin.name));
    await chmod(join(pluginsDir, plugin.name), 0o755);
  }
  const socket = join(dir, 'api.sock');
  const args = [cli, 'daemon', '--plugins-dir', pluginsDir, '--socket', socket, '--state-dir', join(dir, 'state'), '--dry-run'];
  if (config !== undefined) {
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    args.push('--config', join(dir, 'config.json'));
  }
  const spawnedAt = Date.now();
  const child = spawn(runtime.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...runtime.env, SNOOZEBOT_LOG_LEVEL: 'info' },
  });
  child.once('exit', () => void rm(dir, { recursive: true, force: true }));
  const daemon = new RunningDaemon(child, socket, spawnedAt);
  try {
    await daemon.apiUp(servingTimeoutMs);
    await daemon.allServing(
      plugins.map((p) => p.name),
      0,
      servingTimeoutMs,
    );
  } catch (error) {
    await daemon.stop();
    throw error;
  }
  return daemon;
}

export async function pluginPids(socket: string): Promise<Map<string, number>> {
  const { body } = await get(socket, '/v1/plugins');
  const parsed = JSON.parse(body) as unknown;
  const list = (Array.isArray(parsed) ? parsed : (parsed as { plugins: unknown[] }).plugins) as Array<{ name: string; pid: number | null }>;
  return new Map(list.filter((p) => p.pid !== null).map((p) => [p.name, p.pid as number]));
}
