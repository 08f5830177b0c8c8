// A real `snoozebot daemon` process for integration tests: a fresh temporary
// directory (plugins dir, state dir, API socket, the daemon's TMPDIR for
// plugin socket directories), the daemon's JSON log lines, CLI calls against
// it, raw HTTP on its socket, and a cleanup that stops it and asserts that no
// plugin process from the run is left.
//
// Waiting for a state polls GET /v1/plugins (the same data `plugins list
// --json` prints) every 50 ms with a deadline: the daemon is another process,
// so there is no event to await. A timeout fails with the last state seen.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFile, chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { PluginStatus } from '../../src/daemon/types.js';
import { assertCgroupsGone } from './cgroups.js';
import { assertGroupGone, assertPidGone } from './leftovers.js';
import { CLI, REPO_ROOT } from './paths.js';

export const POLL_MS = 50;
const DEFAULT_WAIT_MS = 15_000;
const CLI_TIMEOUT_MS = 30_000;

/** Fast health checks and restarts, and short graceful stops, so the tests run in seconds. */
export const FAST_CONFIG = {
  defaults: {
    health: { intervalMs: 200, timeoutMs: 150, misses: 3 },
    restart: { initialBackoffMs: 20, maxBackoffMs: 200, maxCrashes: 4 },
    stop: { controllerMs: 500, termMs: 500 },
  },
} as const;

/**
 * FAST_CONFIG for a cloud plugin: its first instance call loads the cloud SDK,
 * synchronously, which on a loaded 2-core machine keeps its event loop busy
 * for longer than FAST_CONFIG's three 150 ms health checks (the daemon's
 * defaults allow seconds), so its health checks are given that time.
 */
export const CLOUD_CONFIG = {
  defaults: { ...FAST_CONFIG.defaults, health: { intervalMs: 1_000, timeoutMs: 900, misses: 5 } },
} as const;

/** One pino JSON line from the daemon's stdout. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly plugin?: string;
  readonly [key: string]: unknown;
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface DaemonStartOptions {
  /** Config object written to <dir>/config.json and passed with --config; default FAST_CONFIG; null: no --config. */
  readonly config?: unknown;
  /** Default true: the local plugin never runs a real stop command in tests. */
  readonly dryRun?: boolean;
  /** Default 15 s: how long to wait for the API to answer. */
  readonly readyTimeoutMs?: number;
  /** The plugins dir, socket and state dir in the config file instead of flags (flags win over a reload's changes to them). */
  readonly pathsInConfig?: boolean;
  /** Extra environment for the daemon (SNOOZEBOT_IDLE_ROOT, PATH, ...), on top of the cleaned test environment. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface DaemonExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Deep merge of plain objects (arrays and scalars replace). */
export function mergeConfig(base: unknown, extra: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(base) || !isObj(extra)) return extra;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) out[k] = k in out ? mergeConfig(out[k], v) : v;
  return out;
}

/** The test runner's environment without SNOOZEBOT_* settings, which would change what the daemon or CLI does. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SNOOZEBOT_')) env[key] = value;
  return { ...env, ...extra };
}

/** Runs `bin/snoozebot ARGS`; never throws on a non-zero exit. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv(env),
      timeout: CLI_TIMEOUT_MS,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

/** One HTTP request on a unix socket. */
export function httpRequest(
  socketPath: string,
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: options.headers, timeout: options.timeoutMs ?? 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.once('error', reject);
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.once('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${options.timeoutMs ?? 5_000} ms`)));
    req.once('error', reject);
    req.end(options.body);
  });
}

function summarize(plugins: readonly PluginStatus[] | undefined): string {
  if (plugins === undefined) return '(no answer yet)';
  return JSON.stringify(
    plugins.map((p) => ({ name: p.name, state: p.state, pid: p.pid, restarts: p.restarts, reason: p.reason, lastError: p.lastError })),
    null,
    1,
  );
}

/**
 * A temporary directory for one or more daemons run one after the other (a
 * second daemon on the same state dir). Its cleanup, registered on `t`, stops
 * any daemon still running, asserts that every plugin process seen is gone,
 * and removes the directory.
 */
export class DaemonDir {
  readonly root: string;
  readonly pluginsDir: string;
  readonly stateDir: string;
  /** TMPDIR of the daemon: plugins' socket directories land here. */
  readonly tmpDir: string;
  readonly socket: string;
  readonly configPath: string;
  /** Every plugin pid any daemon of this directory reported. */
  readonly seenPids = new Set<number>();
  readonly daemons: DaemonProcess[] = [];

  private constructor(root: string) {
    this.root = root;
    this.pluginsDir = join(root, 'plugins');
    this.stateDir = join(root, 'state');
    this.tmpDir = join(root, 't');
    this.socket = join(root, 'api.sock');
    this.configPath = join(root, 'config.json');
  }

  static async create(t: TestContext): Promise<DaemonDir> {
    // Short: plugin socket paths (<root>/t/snoozebot-host-XXXXXX/...) must fit in 107 bytes.
    const root = await mkdtemp(join(tmpdir(), 'sbd-'));
    const dir = new DaemonDir(root);
    t.after(() => dir.cleanup());
    await mkdir(dir.pluginsDir, { mode: 0o755 });
    await chmod(dir.pluginsDir, 0o755);
    await mkdir(dir.tmpDir, { mode: 0o700 });
    return dir;
  }

  pluginPath(name: string): string {
    return join(this.pluginsDir, name);
  }

  /** Copies `source` into the plugins directory as `name` (mode 0755 unless given), in place. */
  async addPlugin(name: string, source: string, mode = 0o755): Promise<string> {
    const path = this.pluginPath(name);
    await copyFile(source, path);
    await chmod(path, mode);
    return path;
  }

  /** What `install` does: write a hidden temporary file in the directory, then rename it over `name`. */
  async installPlugin(name: string, source: string): Promise<string> {
    const temp = join(this.pluginsDir, `.${name}.${process.pid}.${Date.now()}`);
    await copyFile(source, temp);
    await chmod(temp, 0o755);
    const path = this.pluginPath(name);
    await rename(temp, path);
    return path;
  }

  /** A `#!/bin/sh` plugin that execs node on `script` (keeps the pid, so the pid is the process group). */
  async addNodeWrapper(name: string, script: string): Promise<string> {
    const path = this.pluginPath(name);
    await writeFile(path, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(script)} "$@"\n`, { mode: 0o755 });
    await chmod(path, 0o755);
    return path;
  }

  /** The config keys naming this directory's paths. */
  get paths(): { pluginsDir: string; socket: string; stateDir: string } {
    return { pluginsDir: this.pluginsDir, socket: this.socket, stateDir: this.stateDir };
  }

  async start(options: DaemonStartOptions = {}): Promise<DaemonProcess> {
    const args = ['daemon', '--log-level', 'debug'];
    if (options.pathsInConfig !== true) args.push('--plugins-dir', this.pluginsDir, '--socket', this.socket, '--state-dir', this.stateDir);
    const given = options.config === undefined ? FAST_CONFIG : options.config;
    const config = given !== null && options.pathsInConfig === true ? mergeConfig(given, this.paths) : given;
    if (config !== null) {
      await writeFile(this.configPath, `${JSON.stringify(config, null, 2)}\n`);
      args.push('--config', this.configPath);
    }
    if (options.dryRun ?? true) args.push('--dry-run');
    const daemon = new DaemonProcess(this, args, options.env);
    this.daemons.push(daemon);
    await daemon.ready(options.readyTimeoutMs ?? DEFAULT_WAIT_MS);
    return daemon;
  }

  async cleanup(): Promise<void> {
    const problems: string[] = [];
    for (const daemon of this.daemons) {
      try {
        await daemon.stopIfRunning();
      } catch (error) {
        problems.push(`daemon ${daemon.pid}: ${(error as Error).message}`);
      }
    }
    try {
      await assertCgroupsGone(this.stateDir, this.daemons.at(-1)?.exitInfo?.code === 0);
    } catch (error) {
      problems.push((error as Error).message);
    }
    for (const pid of this.seenPids) {
      try {
        await assertPidGone(pid);
        await assertGroupGone(pid);
      } catch (error) {
        problems.push((error as Error).message);
        // Do not leave it running for the next test.
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    await rm(this.root, { recursive: true, force: true });
    if (problems.length > 0) assert.fail(`left behind by the daemon test:\n${problems.join('\n')}`);
  }
}

/** Daemons of this test process that have not exited yet. */
const running = new Set<DaemonProcess>();
let exitGuardInstalled = false;

/**
 * If the test process ends without its after-hooks (the runner kills a file
 * that timed out, or Ctrl-C), each daemon still running gets SIGTERM, so it
 * stops its plugins and removes its socket instead of running on forever.
 */
function installExitGuard(): void {
  if (exitGuardInstalled) return;
  exitGuardInstalled = true;
  const stopAll = () => {
    for (const daemon of running) daemon.child.kill('SIGTERM');
  };
  process.once('exit', stopAll);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      stopAll();
      // Then die of the signal as if nobody had listened.
      process.kill(process.pid, signal);
    });
  }
}

export class DaemonProcess {
  readonly dir: DaemonDir;
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  /** Lines on stdout that are not JSON (there should be none). */
  readonly strayStdout: string[] = [];
  stderr = '';
  readonly exited: Promise<DaemonExit>;
  #exit: DaemonExit | undefined;
  #partial = '';

  constructor(dir: DaemonDir, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.dir = dir;
    this.child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv({ ...env, TMPDIR: dir.tmpDir }),
    });
    installExitGuard();
    running.add(this);
    this.child.stdout?.on('data', (b: Buffer) => this.#onStdout(b.toString('utf8')));
    this.child.stderr?.on('data', (b: Buffer) => (this.stderr += b.toString('utf8')));
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code, signal) => {
        running.delete(this);
        this.#onStdout('\n');
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
    // A failing test must not hold an unhandled rejection.
    this.exited.catch(() => undefined);
  }

  get pid(): number {
    const pid = this.child.pid;
    assert.ok(pid !== undefined, 'the daemon process did not start');
    return pid;
  }

  get socket(): string {
    return this.dir.socket;
  }

  get exitInfo(): DaemonExit | undefined {
    return this.#exit;
  }

  #onStdout(text: string): void {
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        this.strayStdout.push(line);
        continue;
      }
      const entry = parsed as LogLine;
      this.logs.push(entry);
      // PluginProcess logs `plugin serving` with the plugin's pid as pluginPid ("pid" is the daemon's).
      if (entry.msg === 'plugin serving' && typeof entry.pluginPid === 'number') {
        this.dir.seenPids.add(entry.pluginPid);
      }
    }
  }

  /** The daemon's output so far, for failure messages. */
  output(): string {
    const logs = this.logs.map((l) => `${l.plugin ? `[${l.plugin}] ` : ''}${l.msg}`).slice(-40).join('\n');
    return `--- last log messages ---\n${logs}\n--- stderr ---\n${this.stderr.slice(-2000)}`;
  }

  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      if (this.#exit !== undefined) {
        assert.fail(`the daemon exited during start (code ${this.#exit.code}, signal ${this.#exit.signal})\n${this.output()}`);
      }
      try {
        const res = await httpRequest(this.socket, 'GET', '/healthz', { timeoutMs: 1_000 });
        if (res.status === 200) return;
        last = `GET /healthz answered ${res.status}`;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) assert.fail(`the daemon's API did not answer within ${timeoutMs} ms (last: ${last})\n${this.output()}`);
      await delay(POLL_MS);
    }
  }

  /** `snoozebot ARGS --socket <ours>`. */
  cli(...args: string[]): Promise<CliResult> {
    return runCli([...args, '--socket', this.socket]);
  }

  /** `snoozebot ARGS --json`; asserts exit 0 and returns the parsed stdout. */
  async cliJson<T = unknown>(...args: string[]): Promise<T> {
    const r = await this.cli(...args, '--json');
    assert.equal(r.code, 0, `snoozebot ${args.join(' ')} --json exited ${r.code}: ${r.stderr}`);
    const value = JSON.parse(r.stdout) as T;
    if (args[0] === 'plugins') {
      for (const p of (Array.isArray(value) ? value : [value]) as Array<Partial<PluginStatus>>) {
        if (typeof p.pid === 'number') this.dir.seenPids.add(p.pid);
      }
    }
    return value;
  }

  /** `plugins list --json`. */
  listCli(): Promise<PluginStatus[]> {
    return this.cliJson<PluginStatus[]>('plugins', 'list');
  }

  /** GET /v1/plugins: the same objects `plugins list --json` prints, without a process per poll. */
  async list(): Promise<PluginStatus[]> {
    const res = await httpRequest(this.socket, 'GET', '/v1/plugins');
    assert.equal(res.status, 200, `GET /v1/plugins answered ${res.status}: ${res.body}`);
    const plugins = (JSON.parse(res.body) as { plugins: PluginStatus[] }).plugins;
    for (const p of plugins) if (p.pid !== null) this.dir.seenPids.add(p.pid);
    return plugins;
  }

  /** Polls the plugin list until `predicate` holds; returns that list. Fails with the last list seen. */
  async waitFor(
    predicate: (plugins: PluginStatus[]) => boolean,
    { timeoutMs = DEFAULT_WAIT_MS, what = 'the expected plugin states' }: { timeoutMs?: number; what?: string } = {},
  ): Promise<PluginStatus[]> {
    const deadline = Date.now() + timeoutMs;
    let last: PluginStatus[] | undefined;
    for (;;) {
      if (this.#exit !== undefined) assert.fail(`the daemon exited while waiting for ${what}\n${this.output()}`);
      last = await this.list();
      if (predicate(last)) return last;
      if (Date.now() > deadline) {
        assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last seen:\n${summarize(last)}\n${this.output()}`);
      }
      await delay(POLL_MS);
    }
  }

  /** Waits until plugin `name` matches `predicate`; returns its status. */
  async waitForPlugin(
    name: string,
    predicate: (plugin: PluginStatus) => boolean,
    options: { timeoutMs?: number; what?: string } = {},
  ): Promise<PluginStatus> {
    const list = await this.waitFor((plugins) => plugins.some((p) => p.name === name && predicate(p)), {
      ...options,
      what: `plugin ${name}: ${options.what ?? 'the expected state'}`,
    });
    const found = list.find((p) => p.name === name);
    assert.ok(found);
    return found;
  }

  /** Waits until `name` is serving (with a pid), optionally with a pid other than `notPid`. */
  waitServing(name: string, options: { notPid?: number | null; timeoutMs?: number } = {}): Promise<PluginStatus> {
    return this.waitForPlugin(name, (p) => p.state === 'serving' && p.pid !== null && p.pid !== options.notPid, {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      what: options.notPid ? `serving with a pid other than ${options.notPid}` : 'serving',
    });
  }

  /** Waits for a log line; returns it. */
  async waitForLog(
    predicate: (line: LogLine) => boolean,
    { timeoutMs = DEFAULT_WAIT_MS, what = 'a log line' }: { timeoutMs?: number; what?: string } = {},
  ): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(predicate);
      if (found !== undefined) return found;
      if (this.#exit !== undefined || Date.now() > deadline) assert.fail(`no log line with ${what}\n${this.output()}`);
      await delay(POLL_MS);
    }
  }

  /** The state transitions logged for `name`, in order. */
  transitions(name: string): Array<{ from: string; to: string; reason: string }> {
    return this.logs
      .filter((l) => l.plugin === name && typeof l.to === 'string' && typeof l.from === 'string')
      .map((l) => ({ from: String(l.from), to: String(l.to), reason: String(l.reason) }));
  }

  /**
   * The transitions logged for `name` once `predicate` holds for them. The log
   * can trail the API by a few lines, so wait for it before asserting on it.
   */
  async waitForTransitions(
    name: string,
    predicate: (transitions: Array<{ from: string; to: string; reason: string }>) => boolean,
    { timeoutMs = DEFAULT_WAIT_MS, what = 'the expected transitions' }: { timeoutMs?: number; what?: string } = {},
  ): Promise<Array<{ from: string; to: string; reason: string }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const transitions = this.transitions(name);
      if (predicate(transitions)) return transitions;
      if (this.#exit !== undefined || Date.now() > deadline) {
        assert.fail(`plugin ${name}: ${what} not logged; logged:\n${JSON.stringify(transitions, null, 1)}\n${this.output()}`);
      }
      await delay(POLL_MS);
    }
  }

  /** Waits until a transition of `name` into `to` (with `reason`, if given) is logged; returns all logged so far. */
  waitForTransition(name: string, to: string, reason?: string): Promise<Array<{ from: string; to: string; reason: string }>> {
    return this.waitForTransitions(name, (trs) => trs.some((tr) => tr.to === to && (reason === undefined || tr.reason === reason)), {
      what: `a transition to ${to}${reason === undefined ? '' : ` (${reason})`}`,
    });
  }

  /** SIGTERM, then the exit. */
  async stop(timeoutMs = 20_000): Promise<DaemonExit> {
    if (this.#exit === undefined) this.child.kill('SIGTERM');
    return this.#awaitExit(timeoutMs, 'SIGTERM');
  }

  /** SIGKILL, then the exit (the daemon cannot clean up). */
  async kill(): Promise<DaemonExit> {
    if (this.#exit === undefined) this.child.kill('SIGKILL');
    return this.#awaitExit(5_000, 'SIGKILL');
  }

  async #awaitExit(timeoutMs: number, sent: string): Promise<DaemonExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
      assert.fail(`the daemon did not exit within ${timeoutMs} ms of ${sent}\n${this.output()}`);
    }
    return result;
  }

  /** For cleanup: a graceful stop if it still runs. */
  async stopIfRunning(): Promise<void> {
    if (this.#exit !== undefined) return;
    const exit = await this.stop();
    if (exit.code !== 0) assert.fail(`the daemon exited with ${exit.code ?? exit.signal} on SIGTERM\n${this.output()}`);
  }
}
