// One plugin under supervision: the state machine of design.md around a
// PluginProcess. It starts the process, watches it (exit events and periodic
// health checks), restarts it after crashes with the RestartPolicy's backoff,
// gives up after too many, and lets callers wait for it to serve.
//
// Every process gets a generation number: events from a process that has
// since been replaced (unload during start, restart during backoff) are
// recognised as stale and ignored.
import type { Logger } from 'pino';
import { HostError } from '../../host/errors.js';
import type { Containment } from '../../host/containment/index.js';
import type { StopTimeouts } from '../../host/options.js';
import { PluginProcess } from '../../host/plugin-process.js';
import type { CloudProviderClient } from '../../host/cloud-provider-client.js';
import { DaemonError } from '../errors.js';
import type { PluginState, PluginStatus, ProviderIdentity } from '../types.js';
import { MissCounter } from './health-policy.js';
import type { HealthPolicy } from './health-policy.js';
import { CrashHistory } from './policy.js';
import type { RestartPolicy } from './policy.js';
import type { StartGate, StartPermit } from './start-gate.js';

export interface SupervisorSettings {
  readonly env: Readonly<Record<string, string>>;
  readonly sha256: string | undefined;
  readonly autoMtls: boolean;
  readonly startTimeoutMs: number;
  readonly callTimeoutMs: number;
  readonly restart: RestartPolicy;
  readonly health: HealthPolicy;
  readonly stop: StopTimeouts;
}

export interface SupervisorHooks {
  /** Every transition, after it happened. */
  readonly onTransition?: (status: PluginStatus, from: PluginState) => void;
  /** A plugin process was spawned, before its handshake (for the state directory's records). */
  readonly onProcessStarted?: (name: string, pid: number) => void;
  /** That process is gone. */
  readonly onProcessExited?: (name: string, pid: number) => void;
  /** One RPC finished (for metrics). */
  readonly onRpc?: (name: string, method: string, outcome: 'ok' | 'error', seconds: number) => void;
}

export interface SupervisedPluginOptions {
  readonly name: string;
  readonly path: string;
  readonly settings: SupervisorSettings;
  readonly logger: Logger;
  readonly hooks?: SupervisorHooks;
  readonly socketParentDir?: string;
  /** Shared by all the daemon's plugins, so a crowd of starts runs a few at a time; without one, starts are not limited. */
  readonly startGate?: StartGate;
  /** The trust check before every spawn (PluginProcessOptions.verify); its PLUGIN_UNTRUSTED means `refused`. */
  readonly verify?: (path: string) => Promise<void>;
  /** Each process in its own cgroup, or its process group (PluginProcessOptions.containment). */
  readonly containment?: Containment;
}

const TERMINAL: ReadonlySet<PluginState> = new Set(['discovered', 'stopped', 'unloaded', 'failed', 'refused']);
/** Errors that mean the process went away under the call: worth one retry once it serves again. */
const RETRYABLE_GRPC = new Set(['UNAVAILABLE', 'CANCELLED']);

/** How long a broken call waits for its process's exit to be reported before taking the error as real. */
const EXIT_GRACE_MS = 500;

async function exitedSoon(process: PluginProcess): Promise<boolean> {
  if (process.exitInfo !== undefined) return true;
  let timer: NodeJS.Timeout | undefined;
  const exited = await Promise.race([
    new Promise<boolean>((resolve) => process.once('exited', () => resolve(true))),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), EXIT_GRACE_MS))),
  ]);
  clearTimeout(timer);
  return exited;
}

interface Waiter {
  resolve(process: PluginProcess): void;
  reject(error: DaemonError): void;
}

export class SupervisedPlugin {
  readonly name: string;
  #path: string;
  #settings: SupervisorSettings;
  readonly #log: Logger;
  /** Without the plugin field: PluginProcess adds its own. */
  readonly #baseLogger: Logger;
  readonly #hooks: SupervisorHooks;
  readonly #socketParentDir: string | undefined;
  readonly #gate: StartGate | undefined;
  readonly #verify: ((path: string) => Promise<void>) | undefined;
  readonly #containment: Containment | undefined;
  readonly #history: CrashHistory;
  #state: PluginState = 'discovered';
  #reason = 'found in the plugins directory';
  #since = Date.now();
  #process: PluginProcess | undefined;
  #generation = 0;
  #servingSince: number | undefined;
  #restarts = 0;
  #lastError: string | null = null;
  #provider: ProviderIdentity | null = null;
  #apiVersion: string | null = null;
  #nextStartAt: number | undefined;
  #backoffTimer: NodeJS.Timeout | undefined;
  #healthTimer: NodeJS.Timeout | undefined;
  /** Takes the current start out of the gate's queue when the plugin is halted meanwhile. */
  #startAbort: AbortController | undefined;
  /** Settles when the current start has its slot (or gave up waiting): load() times the start from there, not from the queue. */
  #admitted: Promise<void> = Promise.resolve();
  readonly #waiters = new Set<Waiter>();

  constructor(options: SupervisedPluginOptions) {
    this.name = options.name;
    this.#path = options.path;
    this.#settings = options.settings;
    this.#log = options.logger.child({ plugin: options.name });
    this.#baseLogger = options.logger;
    this.#hooks = options.hooks ?? {};
    this.#socketParentDir = options.socketParentDir;
    this.#gate = options.startGate;
    this.#verify = options.verify;
    this.#containment = options.containment;
    this.#history = new CrashHistory(options.settings.restart);
  }

  get state(): PluginState {
    return this.#state;
  }

  get path(): string {
    return this.#path;
  }

  status(): PluginStatus {
    const pid = this.#state === 'serving' || this.#state === 'starting' || this.#state === 'stopping' ? this.#process?.pid : undefined;
    return {
      name: this.name,
      path: this.#path,
      state: this.#state,
      reason: this.#reason,
      since: new Date(this.#since).toISOString(),
      pid: pid ?? null,
      servingSince: this.#state === 'serving' && this.#servingSince !== undefined ? new Date(this.#servingSince).toISOString() : null,
      restarts: this.#restarts,
      recentCrashes: this.#history.count(Date.now()),
      lastError: this.#lastError,
      provider: this.#provider,
      apiVersion: this.#apiVersion,
      nextStartAt: this.#state === 'backoff' && this.#nextStartAt !== undefined ? new Date(this.#nextStartAt).toISOString() : null,
      memoryBytes: pid === undefined ? null : (this.#process?.memoryBytes() ?? null),
    };
  }

  /** New settings or binary path: used from the next start on. */
  update(settings: SupervisorSettings, path: string = this.#path): void {
    this.#settings = settings;
    this.#path = path;
    this.#history.setPolicy(settings.restart);
  }

  /**
   * Starts the plugin unless it runs already, and waits until it serves. A
   * refused plugin is tried again: the trust check runs at every start, so an
   * operator who fixed what it named (perhaps somewhere the plugins directory
   * watch cannot see) loads it again; if it still fails, it is refused again.
   */
  async load(reason: string): Promise<void> {
    if (this.#state === 'serving') return;
    if (this.#state !== 'starting') {
      // A load by request is a fresh start: earlier crashes no longer count.
      if (TERMINAL.has(this.#state)) this.#history.reset();
      this.#cancelTimers();
      void this.#start(reason);
    }
    await this.#admitted;
    await this.whenServing(this.#settings.startTimeoutMs + 1_000);
  }

  /** Stops the plugin and keeps it stopped until load() or a restart. */
  async unload(reason: string): Promise<void> {
    await this.#halt(reason);
    this.#transition('unloaded', reason);
  }

  /** Stops it for the daemon's own shutdown. */
  async shutdown(reason: string): Promise<void> {
    await this.#halt(reason);
    this.#transition('stopped', reason);
  }

  /** Marks the file refused (failed a security check), stopping a running process first. */
  async refuse(reason: string): Promise<void> {
    await this.#halt(reason);
    this.#lastError = reason;
    this.#transition('refused', reason);
  }

  async restart(reason: string): Promise<void> {
    if (this.#state === 'refused') throw new DaemonError('PLUGIN_REFUSED', `plugin ${this.name} is refused: ${this.#reason}`);
    await this.#halt(reason);
    this.#history.reset();
    void this.#start(reason);
    await this.#admitted;
    await this.whenServing(this.#settings.startTimeoutMs + 1_000);
  }

  /** Resolves with the serving process; waits through starts and backoffs up to `timeoutMs`. */
  whenServing(timeoutMs: number): Promise<PluginProcess> {
    if (this.#state === 'serving' && this.#process !== undefined) return Promise.resolve(this.#process);
    if (TERMINAL.has(this.#state)) return Promise.reject(this.#notServingError());
    return new Promise<PluginProcess>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new DaemonError(
            'PLUGIN_NOT_SERVING',
            `plugin ${this.name} did not serve within ${timeoutMs} ms (it is ${this.#state}: ${this.#reason}` +
              (this.#lastError ? `; last error: ${this.#lastError}` : '') +
              ')',
          ),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: (process) => {
          clearTimeout(timer);
          resolve(process);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /**
   * Runs one CloudProvider call, waiting (bounded) for the plugin to serve if
   * it is restarting. `retry` allows one more attempt when the process died
   * under the call; only for calls that are safe to repeat.
   */
  async call<T>(method: string, run: (client: CloudProviderClient) => Promise<T>, options: { retry: boolean; waitMs: number }): Promise<T> {
    const process = await this.whenServing(options.waitMs);
    try {
      return await this.#timed(method, () => run(process.client));
    } catch (error) {
      const broken = error instanceof HostError && (RETRYABLE_GRPC.has(error.grpcCode ?? '') || error.code === 'PLUGIN_STOPPED');
      // The call can fail before the exit event arrives: give the exit a moment to show.
      if (!options.retry || !broken || !(await exitedSoon(process))) throw error;
      this.#log.info({ method }, 'plugin restarted during the call; retrying once it serves');
      const next = await this.whenServing(options.waitMs);
      return this.#timed(method, () => run(next.client));
    }
  }

  async #timed<T>(method: string, run: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      const result = await run();
      this.#hooks.onRpc?.(this.name, method, 'ok', (performance.now() - t0) / 1000);
      return result;
    } catch (error) {
      this.#hooks.onRpc?.(this.name, method, 'error', (performance.now() - t0) / 1000);
      throw error;
    }
  }

  #notServingError(): DaemonError {
    if (this.#state === 'failed') {
      return new DaemonError('PLUGIN_FAILED', `plugin ${this.name} failed: ${this.#reason}; load it again after fixing the cause`);
    }
    if (this.#state === 'refused') return new DaemonError('PLUGIN_REFUSED', `plugin ${this.name} is refused: ${this.#reason}`);
    return new DaemonError('PLUGIN_NOT_SERVING', `plugin ${this.name} is not loaded (${this.#state}: ${this.#reason})`);
  }

  /** `fields` go into the log line only (e.g. the pid and exit status of the process that crashed). */
  #transition(state: PluginState, reason: string, fields: Readonly<Record<string, unknown>> = {}): void {
    const from = this.#state;
    this.#state = state;
    this.#reason = reason;
    this.#since = Date.now();
    const level = state === 'failed' || state === 'crashed' || state === 'refused' ? 'warn' : 'info';
    this.#log[level]({ ...fields, from, to: state, reason }, `plugin ${this.name}: ${from} → ${state} (${reason})`);
    if (state === 'serving' && this.#process !== undefined) {
      for (const waiter of this.#waiters) waiter.resolve(this.#process);
      this.#waiters.clear();
    } else if (TERMINAL.has(state)) {
      const error = this.#notServingError();
      for (const waiter of this.#waiters) waiter.reject(error);
      this.#waiters.clear();
    }
    this.#hooks.onTransition?.(this.status(), from);
  }

  async #start(reason: string): Promise<void> {
    const generation = ++this.#generation;
    const abort = new AbortController();
    this.#startAbort = abort;
    // The crashed process is gone; while this start waits for its slot, status() must not show its pid.
    this.#process = undefined;
    this.#nextStartAt = undefined;
    this.#provider = null;
    this.#apiVersion = null;
    this.#transition('starting', reason);
    let permit: StartPermit | undefined;
    if (this.#gate !== undefined) {
      permit = await this.#admit(this.#gate, abort.signal);
      if (permit === undefined || generation !== this.#generation) {
        permit?.release();
        return;
      }
    }
    const settings = this.#settings;
    const process = new PluginProcess({
      path: this.#path,
      name: this.name,
      env: settings.env,
      autoMtls: settings.autoMtls,
      startTimeoutMs: settings.startTimeoutMs,
      callTimeoutMs: settings.callTimeoutMs,
      stopTimeouts: settings.stop,
      logger: this.#baseLogger,
      ...(settings.sha256 === undefined ? {} : { sha256: settings.sha256 }),
      ...(this.#socketParentDir === undefined ? {} : { socketParentDir: this.#socketParentDir }),
      ...(this.#verify === undefined ? {} : { verify: this.#verify }),
      ...(this.#containment === undefined ? {} : { containment: this.#containment }),
    });
    this.#process = process;
    process.once('spawned', (pid) => this.#hooks.onProcessStarted?.(this.name, pid));
    process.on('exited', (info) => {
      if (process.pid !== undefined) this.#hooks.onProcessExited?.(this.name, process.pid);
      if (generation !== this.#generation || info.expected || this.#state !== 'serving') return;
      const how = info.signal !== null ? `killed by ${info.signal}` : `exited with code ${info.code}`;
      const tail = process.stderrTail().at(-1);
      this.#lastError = `${how}${tail ? `: ${tail.slice(0, 200)}` : ''}`;
      this.#crashed(`process ${how}`, { pluginPid: process.pid, exitCode: info.code, exitSignal: info.signal });
    });
    try {
      await process.start();
      const client = process.client;
      const [name, version, apiVersion] = await Promise.all([client.providerName(), client.providerVersion(), client.apiVersion()]);
      if (generation !== this.#generation) return;
      this.#provider = { name, version };
      this.#apiVersion = apiVersion;
    } catch (error) {
      // Stopping a half-started process is not a start: it must not hold up the next plugin's.
      permit?.release();
      if (generation !== this.#generation) return;
      if (error instanceof HostError && error.code === 'PLUGIN_UNTRUSTED') {
        // The file failed the trust check at this start: not a crash, and no retry until it changes.
        await process.stop();
        if (generation !== this.#generation) return;
        this.#process = undefined;
        this.#lastError = error.message;
        this.#transition('refused', error.message);
        return;
      }
      // Like a crash after serving: the message plus the plugin's last stderr line, which usually says why.
      const tail = error instanceof HostError ? error.stderrTail.at(-1) : undefined;
      this.#lastError = error instanceof HostError ? `${error.message}${tail ? `: ${tail.slice(0, 200)}` : ''}` : String(error);
      await process.stop();
      if (generation !== this.#generation) return;
      this.#crashed(`failed to start: ${this.#lastError}`);
      return;
    } finally {
      permit?.release();
    }
    this.#servingSince = Date.now();
    this.#transition('serving', reason);
    this.#scheduleHealth(generation, process, new MissCounter(settings.health.misses));
  }

  /** A start slot, or undefined when the wait was cancelled because the plugin was halted meanwhile. */
  async #admit(gate: StartGate, signal: AbortSignal): Promise<StartPermit | undefined> {
    let admitted!: () => void;
    this.#admitted = new Promise<void>((resolve) => (admitted = resolve));
    try {
      return await gate.acquire(signal);
    } catch {
      return undefined;
    } finally {
      admitted();
    }
  }

  #crashed(reason: string, fields: Readonly<Record<string, unknown>> = {}): void {
    this.#cancelTimers();
    const servingSince = this.#servingSince;
    this.#servingSince = undefined;
    this.#transition('crashed', reason, { pluginPid: this.#process?.pid, ...fields });
    const decision = this.#history.record(Date.now(), servingSince);
    if (decision.action === 'fail') {
      this.#process = undefined;
      this.#transition('failed', `${decision.reason}; last: ${reason}`);
      return;
    }
    const generation = this.#generation;
    this.#nextStartAt = Date.now() + decision.delayMs;
    this.#transition('backoff', decision.delayMs === 0 ? 'restarting now' : `restarting in ${decision.delayMs} ms`);
    this.#backoffTimer = setTimeout(() => {
      if (generation !== this.#generation) return;
      this.#restarts += 1;
      void this.#start(`restart ${this.#restarts} after a crash`);
    }, decision.delayMs);
  }

  #scheduleHealth(generation: number, process: PluginProcess, misses: MissCounter): void {
    const { intervalMs, timeoutMs } = this.#settings.health;
    this.#healthTimer = setTimeout(async () => {
      if (generation !== this.#generation || this.#state !== 'serving') return;
      let ok = true;
      let error = '';
      try {
        await process.checkHealth(timeoutMs);
      } catch (caught) {
        ok = false;
        error = caught instanceof Error ? caught.message : String(caught);
      }
      if (generation !== this.#generation || this.#state !== 'serving') return;
      if (!misses.record(ok, error)) {
        if (!ok) this.#log.warn({ misses: misses.misses, error }, 'plugin health check failed');
        this.#scheduleHealth(generation, process, misses);
        return;
      }
      // Unresponsive: it cannot be asked to stop, so its whole group is killed.
      this.#lastError = `unresponsive: ${misses.misses} health checks failed (last: ${misses.lastError})`;
      this.#generation += 1;
      await process.stop({ force: true });
      this.#crashed(this.#lastError);
    }, intervalMs);
  }

  #cancelTimers(): void {
    clearTimeout(this.#backoffTimer);
    clearTimeout(this.#healthTimer);
    this.#backoffTimer = undefined;
    this.#healthTimer = undefined;
  }

  /** Stops whatever runs and invalidates pending starts and timers. */
  async #halt(reason: string): Promise<void> {
    this.#generation += 1;
    this.#startAbort?.abort();
    this.#startAbort = undefined;
    this.#cancelTimers();
    const process = this.#process;
    this.#process = undefined;
    this.#servingSince = undefined;
    if (process !== undefined && process.state !== 'exited') {
      this.#transition('stopping', reason);
      await process.stop();
    }
  }
}
