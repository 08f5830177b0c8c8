// The callers of the soak: raw API clients on the read endpoints without a
// break, and a real CLI invocation every so often, for the whole run. Every
// answer that is not a 200 with the body it should have, every connection
// error and every CLI exit other than 0 is an error: these endpoints read the
// daemon's own state and must answer whatever the plugins are doing.
//
// The one read that can legitimately fail is GET /v1/plugins/{name} for a
// plugin whose binary a fault has just removed (404). The removal fault
// blocks the name first and waits until no call for it is in flight, so no
// such call is ever made.
import { setTimeout as delay } from 'node:timers/promises';
import type { DaemonStatus, PluginStatus } from '../../src/daemon/types.js';
import { runCli } from '../helpers/daemon.js';
import { apiRequest } from './api.js';
import type { ApiAnswer } from './api.js';
import { Latencies } from './latency.js';
import type { Random } from './random.js';

export const API_ENDPOINTS = ['GET /v1/status', 'GET /v1/plugins', 'GET /v1/plugins/{name}', 'GET /metrics', 'GET /healthz'] as const;
export const CLI_COMMANDS = ['status', 'plugins list', 'plugins info'] as const;
export type LoadKind = (typeof API_ENDPOINTS)[number] | `CLI ${(typeof CLI_COMMANDS)[number]}`;

export interface LoadError {
  /** ms since the load started. */
  readonly at: number;
  readonly kind: LoadKind;
  readonly detail: string;
}

export interface ApiLoadOptions {
  readonly socket: string;
  readonly names: readonly string[];
  readonly clients: number;
  readonly pauseMs: number;
  readonly cliPauseMs: number;
  readonly random: Random;
  /** Plugin pids seen in answers, for the process tracker. */
  readonly onPid: (pid: number, name: string) => void;
}

const KEEP_ERRORS = 50;

export class ApiLoad {
  readonly #options: ApiLoadOptions;
  readonly stats = new Map<LoadKind, Latencies>();
  readonly errors: LoadError[] = [];
  errorCount = 0;
  #running = false;
  readonly #stopped = new AbortController();
  #loops: Array<Promise<void>> = [];
  #t0 = 0;
  readonly #blocked = new Set<string>();
  readonly #inFlight = new Map<string, number>();
  readonly #drained = new Map<string, Array<() => void>>();

  constructor(options: ApiLoadOptions) {
    this.#options = options;
    for (const kind of API_ENDPOINTS) this.stats.set(kind, new Latencies());
    for (const command of CLI_COMMANDS) this.stats.set(`CLI ${command}`, new Latencies());
  }

  start(): void {
    this.#running = true;
    this.#t0 = Date.now();
    for (let i = 0; i < this.#options.clients; i++) this.#loops.push(this.#apiLoop());
    this.#loops.push(this.#cliLoop());
  }

  /** Stops calling and waits for the calls in flight. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#stopped.abort();
    await Promise.all(this.#loops);
    this.#loops = [];
  }

  /** No new GET /v1/plugins/{name} for `name`; resolves once none is in flight. */
  block(name: string): Promise<void> {
    this.#blocked.add(name);
    if ((this.#inFlight.get(name) ?? 0) === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.#drained.get(name) ?? [];
      list.push(resolve);
      this.#drained.set(name, list);
    });
  }

  unblock(name: string): void {
    this.#blocked.delete(name);
  }

  #stat(kind: LoadKind): Latencies {
    const stat = this.stats.get(kind);
    if (stat === undefined) throw new Error(`no statistics for ${kind}`);
    return stat;
  }

  #error(kind: LoadKind, detail: string): void {
    this.#stat(kind).errors += 1;
    this.errorCount += 1;
    if (this.errors.length < KEEP_ERRORS) this.errors.push({ at: Date.now() - this.#t0, kind, detail: detail.slice(0, 500) });
  }

  #pickName(): string | undefined {
    const free = this.#options.names.filter((n) => !this.#blocked.has(n));
    return free.length === 0 ? undefined : this.#options.random.pick(free);
  }

  async #apiLoop(): Promise<void> {
    const { random, pauseMs } = this.#options;
    while (this.#running) {
      const kind = random.pick(API_ENDPOINTS);
      if (kind === 'GET /v1/plugins/{name}') {
        const name = this.#pickName();
        if (name !== undefined) await this.#pluginCall(name);
      } else {
        await this.#call(kind);
      }
      await this.#pause(pauseMs);
    }
  }

  async #pluginCall(name: string): Promise<void> {
    this.#enter(name);
    try {
      await this.#call('GET /v1/plugins/{name}', name);
    } finally {
      this.#leave(name);
    }
  }

  #enter(name: string): void {
    this.#inFlight.set(name, (this.#inFlight.get(name) ?? 0) + 1);
  }

  #leave(name: string): void {
    const left = (this.#inFlight.get(name) ?? 1) - 1;
    this.#inFlight.set(name, left);
    if (left > 0) return;
    for (const resolve of this.#drained.get(name) ?? []) resolve();
    this.#drained.delete(name);
  }

  /** A pause that stop() cuts short. */
  #pause(ms: number): Promise<void> {
    return delay(ms, undefined, { signal: this.#stopped.signal }).catch(() => undefined);
  }

  async #call(kind: (typeof API_ENDPOINTS)[number], name?: string): Promise<void> {
    const path = kind === 'GET /v1/plugins/{name}' ? `/v1/plugins/${encodeURIComponent(name ?? '')}` : kind.slice(4);
    let answer: ApiAnswer;
    try {
      answer = await apiRequest(this.#options.socket, 'GET', path);
    } catch (error) {
      this.#error(kind, `${path}: ${(error as Error).message}`);
      return;
    }
    this.#stat(kind).add(answer.ms);
    const problem = answer.status === 200 ? this.#checkBody(kind, answer.body, name) : `answered ${answer.status}: ${answer.body.slice(0, 300)}`;
    if (problem !== undefined) this.#error(kind, `${path}: ${problem}`);
  }

  #checkBody(kind: (typeof API_ENDPOINTS)[number], body: string, name: string | undefined): string | undefined {
    try {
      switch (kind) {
        case 'GET /healthz':
          return body.trim() === 'ok' ? undefined : `body ${JSON.stringify(body.slice(0, 100))}`;
        case 'GET /metrics':
          return body.includes('snoozebot_plugin_up') ? undefined : 'no snoozebot_plugin_up in the metrics';
        case 'GET /v1/status': {
          const status = JSON.parse(body) as DaemonStatus;
          return typeof status.pid === 'number' ? undefined : 'no pid in the status';
        }
        case 'GET /v1/plugins': {
          const plugins = (JSON.parse(body) as { plugins: PluginStatus[] }).plugins;
          for (const p of plugins) if (p.pid !== null) this.#options.onPid(p.pid, p.name);
          return Array.isArray(plugins) ? undefined : 'no plugins array';
        }
        case 'GET /v1/plugins/{name}': {
          const plugin = JSON.parse(body) as PluginStatus;
          if (plugin.pid !== null) this.#options.onPid(plugin.pid, plugin.name);
          return plugin.name === name ? undefined : `answered for ${plugin.name}`;
        }
      }
    } catch (error) {
      return `unreadable body: ${(error as Error).message}`;
    }
  }

  async #cliLoop(): Promise<void> {
    const { random, cliPauseMs, socket } = this.#options;
    while (this.#running) {
      const command = random.pick(CLI_COMMANDS);
      const kind: LoadKind = `CLI ${command}`;
      const name = command === 'plugins info' ? this.#pickName() : undefined;
      if (command !== 'plugins info' || name !== undefined) {
        const args = command === 'plugins info' ? ['plugins', 'info', name ?? ''] : command.split(' ');
        if (name !== undefined) this.#enter(name);
        const t0 = performance.now();
        try {
          const result = await runCli([...args, '--json', '--socket', socket]);
          this.#stat(kind).add(performance.now() - t0);
          if (result.code !== 0) this.#error(kind, `exit ${result.code ?? result.signal}: ${result.stderr.trim()}`);
          else JSON.parse(result.stdout);
        } catch (error) {
          this.#error(kind, (error as Error).message);
        } finally {
          if (name !== undefined) this.#leave(name);
        }
      }
      await this.#pause(cliPauseMs);
    }
  }
}
