// The daemon's own figures (issue 4): kill -9 of a serving plugin until it
// serves again, the daemon's memory with 20 plugins, and `plugins list`
// through the API socket. A real daemon process is started with the CLI, on a
// temporary plugins directory; its JSON log (stdout) says when each plugin
// starts serving, with millisecond timestamps.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DaemonSamples {
  /** ns from kill -9 to the daemon logging the plugin serving again. */
  readonly restart: number[];
  /** Daemon RSS in bytes, sampled with 20 plugins serving. */
  readonly rss20: number[];
  /** ns per GET /v1/plugins over the unix socket (20 plugins). */
  readonly list: number[];
  /** ns per GET /healthz: the API's floor. */
  readonly healthz: number[];
}

export function emptyDaemonSamples(): DaemonSamples {
  return { restart: [], rss20: [], list: [], healthz: [] };
}

interface LogLine {
  time: number;
  plugin?: string;
  to?: string;
}

class RunningDaemon {
  readonly lines: LogLine[] = [];
  readonly #waiters: Array<{ test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];

  constructor(
    readonly child: ChildProcess,
    readonly socket: string,
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

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

function get(socket: string, path: string): Promise<{ status: number; body: string }> {
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

async function startDaemon(
  root: string,
  cli: string,
  plugins: Array<{ name: string; binary: string }>,
  config?: unknown,
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
  const child = spawn(
    process.execPath,
    args,
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SNOOZEBOT_LOG_LEVEL: 'info' } },
  );
  child.once('exit', () => void rm(dir, { recursive: true, force: true }));
  const daemon = new RunningDaemon(child, socket);
  const serving = new Set<string>();
  await daemon.next((line) => {
    if (line.to === 'serving' && line.plugin) serving.add(line.plugin);
    return serving.size === plugins.length;
  }, 60_000);
  return daemon;
}

async function pluginPids(socket: string): Promise<Map<string, number>> {
  const { body } = await get(socket, '/v1/plugins');
  const parsed = JSON.parse(body) as unknown;
  const list = (Array.isArray(parsed) ? parsed : (parsed as { plugins: unknown[] }).plugins) as Array<{ name: string; pid: number | null }>;
  return new Map(list.filter((p) => p.pid !== null).map((p) => [p.name, p.pid as number]));
}

/**
 * kill -9 of a serving plugin → serving again, `kills` times. Each kill must
 * be a first crash, not part of a crash loop (which backs off on purpose), so
 * the daemon forgets crashes after 200 ms of serving and the bench waits that
 * long between kills.
 */
export async function measureRestarts(samples: DaemonSamples, root: string, cli: string, plugin: string, kills: number): Promise<void> {
  const config = { defaults: { restart: { resetAfterMs: 200 } } };
  const daemon = await startDaemon(root, cli, [{ name: 'p', binary: plugin }], config);
  try {
    for (let i = 0; i < kills; i++) {
      await delay(250);
      const pid = (await pluginPids(daemon.socket)).get('p');
      if (pid === undefined) throw new Error('plugin p has no pid');
      const serving = daemon.next((line) => line.plugin === 'p' && line.to === 'serving');
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      const line = await serving;
      samples.restart.push((line.time - killedAt) * 1_000_000);
    }
  } finally {
    await daemon.stop();
  }
}

/** 20 plugins: the daemon's RSS, and API latency of `plugins list` and `/healthz`. */
export async function measureTwenty(samples: DaemonSamples, root: string, cli: string, plugin: string, requests: number): Promise<void> {
  const plugins = Array.from({ length: 20 }, (_, i) => ({ name: `p${String(i + 1).padStart(2, '0')}`, binary: plugin }));
  const daemon = await startDaemon(root, cli, plugins);
  try {
    for (let i = 0; i < 50; i++) await get(daemon.socket, '/v1/plugins');
    for (let i = 0; i < requests; i++) {
      let t = process.hrtime.bigint();
      await get(daemon.socket, '/v1/plugins');
      samples.list.push(Number(process.hrtime.bigint() - t));
      t = process.hrtime.bigint();
      await get(daemon.socket, '/healthz');
      samples.healthz.push(Number(process.hrtime.bigint() - t));
      if (i % 50 === 0) samples.rss20.push(await rss(daemon.child.pid ?? 0));
    }
  } finally {
    await daemon.stop();
  }
}

async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}
