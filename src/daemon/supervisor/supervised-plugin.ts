// One plugin under supervision: its wanted state (the operator's and the
// config's), its observed state (states.ts), its current process, and the
// job queue (job-queue.ts) through which every change to them goes.
//
// Who asks for what:
// - the operator (API): load, unload, restart;
// - the daemon: boot start, reconfigure (SIGHUP), refuse and revive (the
//   plugins directory), remove, shutdown;
// - the plugin's own process: an unexpected exit or failed health checks
//   ask for a `crash` job bound to that process, and the backoff timer asks
//   for the restart after it.
// Each of these is a job; jobs run one at a time, so a job that awaits (a
// stop, a start) is never overtaken by another. A crash job for a process
// that is no longer the plugin's current one does nothing.
//
// Calls (instance info, stop...) are not jobs: they wait for the plugin to
// serve, within a deadline, and never start a plugin the operator unloaded.
import type { Logger } from 'pino';
import { API_VERSION } from '../../handshake/index.js';
import { HostError } from '../../host/errors.js';
import type { Containment } from '../../host/containment/index.js';
import type { StopTimeouts } from '../../host/options.js';
import { PluginProcess } from '../../host/plugin-process.js';
import type { CloudProviderClient } from '../../host/cloud-provider-client.js';
import { identifyPlugin } from '../../host/identity.js';
import { notSentError } from '../act-failure.js';
import { DaemonError } from '../errors.js';
import type { PluginStatus, ProviderIdentity, StartMode, WantedBy } from '../types.js';
import { MissCounter } from './health-policy.js';
import { judgeStartFailure } from './start-failure.js';
import type { HealthPolicy } from './health-policy.js';
import { JobCancelledError, JobQueue, QueueClosedError } from './job-queue.js';
import type { JobKind } from './job-plan.js';
import { CrashHistory } from './policy.js';
import type { RestartPolicy } from './policy.js';
import { ServingWaiters } from './serving-waiters.js';
import type { StartGate, StartPermit } from './start-gate.js';
import { AT_REST, checkTransition } from './states.js';
import type { ObservedState, WantedState } from './states.js';

export interface SupervisorSettings {
  readonly env: Readonly<Record<string, string>>;
  readonly sha256: string | undefined;
  readonly start: StartMode;
  readonly autoMtls: boolean;
  readonly startTimeoutMs: number;
  readonly callTimeoutMs: number;
  readonly restart: RestartPolicy;
  readonly health: HealthPolicy;
  readonly stop: StopTimeouts;
}

/** The wanted state and where it came from. */
export interface Wanted {
  readonly state: WantedState;
  readonly by: WantedBy;
  /** Epoch ms of the operator's request; null when the config set it. */
  readonly at: number | null;
}

export interface SupervisorHooks {
  /** Every transition, after it happened. */
  readonly onTransition?: (status: PluginStatus, from: ObservedState) => void;
  /** A plugin process was spawned, before its handshake (for the state directory's records). */
  readonly onProcessStarted?: (name: string, pid: number) => void;
  /** That process is gone. */
  readonly onProcessExited?: (name: string, pid: number) => void;
  /** One RPC finished (for metrics). */
  readonly onRpc?: (name: string, method: string, outcome: 'ok' | 'error', seconds: number) => void;
  /** An operator changed the wanted state (the daemon keeps it in the state directory). */
  readonly onWanted?: (name: string, wanted: Wanted) => void;
  /** A `remove` job finished and nothing else waits: the daemon forgets the plugin. */
  readonly onRemoved?: (name: string) => void;
}

export interface SupervisedPluginOptions {
  readonly name: string;
  readonly path: string;
  readonly settings: SupervisorSettings;
  readonly wanted: Wanted;
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

/** Why a start was asked for: only the operator's own requests count as a fresh start that forgets earlier crashes. */
type StartCause = 'operator' | 'daemon' | 'crash';

type PluginJob =
  | { readonly kind: 'start'; readonly reason: string; readonly cause: StartCause }
  | { readonly kind: Exclude<JobKind, 'start' | 'crash'>; readonly reason: string }
  | {
      readonly kind: 'crash';
      readonly reason: string;
      readonly process: PluginProcess;
      /** Kill it without the polite steps: it stopped answering. */
      readonly force: boolean;
      readonly lastError: string;
      readonly fields: Readonly<Record<string, unknown>>;
    };

/** How long a call whose connection broke waits for its process's exit to be reported before taking the failure as the plugin's answer. */
const EXIT_GRACE_MS = 500;

export class SupervisedPlugin {
  readonly name: string;
  #path: string;
  #settings: SupervisorSettings;
  #wanted: Wanted;
  readonly #log: Logger;
  /** Without the plugin field: PluginProcess adds its own. */
  readonly #baseLogger: Logger;
  readonly #hooks: SupervisorHooks;
  readonly #socketParentDir: string | undefined;
  readonly #gate: StartGate | undefined;
  readonly #verify: ((path: string) => Promise<void>) | undefined;
  readonly #containment: Containment | undefined;
  readonly #history: CrashHistory;
  readonly #queue: JobQueue<PluginJob>;
  readonly #waiters = new ServingWaiters<PluginProcess>();
  #state: ObservedState = 'discovered';
  #reason = 'found in the plugins directory';
  #since = Date.now();
  #process: PluginProcess | undefined;
  #servingSince: number | undefined;
  #restarts = 0;
  #lastError: string | null = null;
  #provider: ProviderIdentity | null = null;
  #apiVersion: string | null = null;
  /** How `plugins info` shows the API version ("0.1.0", "unversioned (…)"). */
  #api: string | null = null;
  /** Said once per plugin, not at every restart. */
  #unversionedLogged = false;
  #nextStartAt: number | undefined;
  #backoffTimer: NodeJS.Timeout | undefined;
  #healthTimer: NodeJS.Timeout | undefined;
  /** Its file was removed: nothing starts it again unless the file comes back (revive). */
  #gone = false;

  constructor(options: SupervisedPluginOptions) {
    this.name = options.name;
    this.#path = options.path;
    this.#settings = options.settings;
    this.#wanted = options.wanted;
    this.#log = options.logger.child({ plugin: options.name });
    this.#baseLogger = options.logger;
    this.#hooks = options.hooks ?? {};
    this.#socketParentDir = options.socketParentDir;
    this.#gate = options.startGate;
    this.#verify = options.verify;
    this.#containment = options.containment;
    this.#history = new CrashHistory(options.settings.restart);
    this.#queue = new JobQueue<PluginJob>((job, signal) => this.#run(job, signal));
  }

  get state(): ObservedState {
    return this.#state;
  }

  get wanted(): Wanted {
    return this.#wanted;
  }

  get path(): string {
    return this.#path;
  }

  /** The pid of its live process, if it has one (for tests and invariant checks). */
  get pid(): number | undefined {
    return this.#process?.exitInfo === undefined ? this.#process?.pid : undefined;
  }

  /** Resolves once no lifecycle job runs or waits. */
  settled(): Promise<void> {
    return this.#queue.whenIdle();
  }

  status(): PluginStatus {
    const running = this.#queue.running;
    return {
      name: this.name,
      path: this.#path,
      wanted: this.#wanted.state,
      wantedBy: this.#wanted.by,
      wantedSince: this.#wanted.at === null ? null : new Date(this.#wanted.at).toISOString(),
      start: this.#settings.start,
      state: this.#state,
      job: running === undefined ? null : `${running.kind}: ${running.reason}`,
      reason: this.#reason,
      since: new Date(this.#since).toISOString(),
      pid: this.pid ?? null,
      servingSince: this.#state === 'serving' && this.#servingSince !== undefined ? new Date(this.#servingSince).toISOString() : null,
      restarts: this.#restarts,
      recentCrashes: this.#history.count(Date.now()),
      lastError: this.#lastError,
      provider: this.#provider,
      apiVersion: this.#apiVersion,
      api: this.#api,
      tls: this.#state === 'serving' && this.#process?.handshake !== undefined ? this.#process.handshake.serverCert !== undefined : null,
      nextStartAt: this.#state === 'backoff' && this.#nextStartAt !== undefined ? new Date(this.#nextStartAt).toISOString() : null,
      memoryBytes: this.pid === undefined ? null : (this.#process?.memoryBytes() ?? null),
    };
  }

  /** Measures its memory for the next status, unless measured within the last few seconds. */
  refreshMemory(): Promise<void> {
    return this.#process?.refreshMemory() ?? Promise.resolve();
  }

  // ---- what the operator asks for ----------------------------------------

  /**
   * Wanted loaded from now on; starts it unless it serves, and waits until it
   * does. A refused plugin is tried again: the trust check runs at every
   * start, so an operator who fixed what it named (perhaps somewhere the
   * plugins directory watch cannot see) loads it again; if it still fails,
   * it is refused again, with the reason.
   */
  async load(reason: string): Promise<void> {
    this.#checkOpen('load');
    this.#setWanted({ state: 'loaded', by: 'operator', at: Date.now() });
    await this.#enqueue({ kind: 'start', reason, cause: 'operator' });
    await this.#waitServingAfterStart();
  }

  /** Wanted unloaded from now on: stops it, and nothing starts it again until a load. */
  async unload(reason: string): Promise<void> {
    this.#checkOpen('unload');
    this.#setWanted({ state: 'unloaded', by: 'operator', at: Date.now() });
    await this.#enqueue({ kind: 'stop', reason });
  }

  /** A fresh process (crash count forgotten); wanted loaded from now on, like `systemctl restart`. */
  async restart(reason: string): Promise<void> {
    this.#checkOpen('restart');
    this.#setWanted({ state: 'loaded', by: 'operator', at: Date.now() });
    await this.#enqueue({ kind: 'restart', reason });
    await this.#waitServingAfterStart();
  }

  // ---- what the daemon asks for ------------------------------------------

  /** At daemon start or when the file appears: starts it if it is wanted and starts with the daemon. Does not wait for serving. */
  boot(reason: string): Promise<void> {
    if (this.#wanted.state !== 'loaded' || this.#settings.start !== 'boot') return Promise.resolve();
    return this.#enqueue({ kind: 'start', reason, cause: 'daemon' });
  }

  /**
   * New settings (a config reload), used from the next start on, and the
   * config's wanted state, which applies unless an operator's request set it.
   * `configChanged`: the config's own say on this plugin changed, which
   * overrides an earlier operator request (the newer word wins).
   */
  reconfigure(settings: SupervisorSettings, path: string, configWants: WantedState, configChanged: boolean, reason: string): Promise<void> {
    this.#settings = settings;
    this.#path = path;
    this.#history.setPolicy(settings.restart);
    if (this.#wanted.by === 'config' || configChanged) {
      if (this.#wanted.by === 'operator' || this.#wanted.state !== configWants) this.#log.info({ wanted: configWants }, `plugin ${this.name}: wanted ${configWants} (${reason})`);
      this.#wanted = { state: configWants, by: 'config', at: null };
    }
    return this.#enqueue({ kind: 'reconfigure', reason });
  }

  /** Its file failed a trust check: stopped, and refused until the file passes again. */
  refuse(reason: string): Promise<void> {
    return this.#enqueue({ kind: 'refuse', reason });
  }

  /** Its file was replaced: a running plugin restarts on the new binary; a refused or failed one gets a fresh chance. */
  replaced(reason: string): Promise<void> {
    return this.#enqueue({ kind: 'revive', reason });
  }

  /** Its file is gone: stopped, then forgotten (onRemoved) unless it came back meanwhile. */
  remove(reason: string): Promise<void> {
    return this.#enqueue({ kind: 'remove', reason });
  }

  /** The daemon's shutdown: cancels every waiting job, stops the process, and takes no job after. Idempotent. */
  shutdown(reason: string): Promise<void> {
    if (this.#queue.closed) return this.#queue.whenIdle();
    return this.#enqueue({ kind: 'shutdown', reason });
  }

  // ---- calls -------------------------------------------------------------

  /**
   * Runs one CloudProvider call, waiting (bounded) for the plugin to serve.
   * A plugin that starts lazily is started by the first call. `retry`
   * allows one more attempt when the process died under the call (known
   * from its exit, never from a status the plugin chose to send); only for
   * calls that are safe to repeat.
   */
  async call<T>(method: string, run: (client: CloudProviderClient) => Promise<T>, options: { retry: boolean; waitMs: number }): Promise<T> {
    if (this.#queue.closed) throw shuttingDown();
    if (this.#wanted.state === 'unloaded') throw this.#notServingError();
    if ((this.#state === 'discovered' || this.#state === 'stopped') && this.#settings.start === 'lazy' && this.#queue.running === undefined && this.#queue.waiting.length === 0) {
      // Not awaited: the call waits for serving below, which also sees a failed start.
      void this.#enqueue({ kind: 'start', reason: 'needed by a request', cause: 'daemon' }).catch(() => undefined);
    }
    const process = await this.whenServing(options.waitMs);
    try {
      return await this.#timed(method, () => run(process.client));
    } catch (error) {
      if (!options.retry || !(await this.#diedUnder(process, error))) throw this.#unsent(method, error);
      this.#log.info({ method }, 'the plugin died during the call; retrying once it serves again');
      const next = await this.whenServing(options.waitMs);
      try {
        return await this.#timed(method, () => run(next.client));
      } catch (again) {
        throw this.#unsent(method, again);
      }
    }
  }

  /**
   * A call that never left the daemon because the process stopped between
   * "serving" and the call (a restart or unload asked for meanwhile) is the
   * plugin not serving (503, try again), not a call the plugin failed (502).
   */
  #unsent(method: string, error: unknown): unknown {
    if (!(error instanceof HostError) || error.code !== 'PLUGIN_STOPPED') return error;
    return notSentError(this.name, method, `the plugin stopped first; it is ${this.#state}: ${this.#reason}`);
  }

  /** Resolves with the serving process; waits through starts and backoffs up to `timeoutMs`. */
  whenServing(timeoutMs: number): Promise<PluginProcess> {
    // A process that exited is not serving, even before its crash job has run.
    if (this.#state === 'serving' && this.#process !== undefined && this.#process.exitInfo === undefined) return Promise.resolve(this.#process);
    const moving = this.#queue.running !== undefined || this.#queue.waiting.length > 0;
    if (AT_REST.has(this.#state) && !moving) return Promise.reject(this.#notServingError());
    if (this.#queue.closed) return Promise.reject(shuttingDown());
    return this.#waiters.wait(
      timeoutMs,
      () =>
        new DaemonError(
          'PLUGIN_NOT_SERVING',
          `plugin ${this.name} did not serve within ${timeoutMs} ms (it is ${this.#state}: ${this.#reason}` +
            (this.#lastError ? `; last error: ${this.#lastError}` : '') +
            ')',
        ),
    );
  }

  /** Whether `error` from a call on `process` means the process died (or was never reachable), rather than the plugin's answer. */
  async #diedUnder(process: PluginProcess, error: unknown): Promise<boolean> {
    if (!(error instanceof HostError)) return false;
    if (error.code === 'PLUGIN_STOPPED') return true;
    // Stopped on purpose under the call (a restart, an unload): whatever it answered on its way out, it is going.
    if (process !== this.#process || this.#state !== 'serving') return true;
    if (error.code !== 'PLUGIN_CALL' || error.delivery === 'answered') return false;
    if (process.exitInfo !== undefined) return true;
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      process.exited().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), EXIT_GRACE_MS))),
    ]);
    clearTimeout(timer);
    return exited;
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

  // ---- the jobs ----------------------------------------------------------

  /** Queues a job; the queue's own errors become the API's. */
  async #enqueue(job: PluginJob): Promise<void> {
    // Stopping it means no backoff restart may be asked for behind the stop.
    if (job.kind === 'stop' || job.kind === 'refuse' || job.kind === 'remove' || job.kind === 'shutdown') this.#cancelBackoff();
    try {
      await this.#queue.enqueue(job, mergeJobs);
    } catch (error) {
      if (error instanceof JobCancelledError) {
        if (error.by.kind === 'shutdown') throw shuttingDown();
        throw new DaemonError('OPERATION_CANCELLED', `plugin ${this.name}: ${error.job.kind} (${error.job.reason}) was cancelled by a later ${error.by.kind === 'stop' ? 'unload' : error.by.kind} (${error.by.reason})`);
      }
      if (error instanceof QueueClosedError) throw shuttingDown();
      throw error;
    }
  }

  async #run(job: PluginJob, signal: AbortSignal): Promise<void> {
    try {
      await this.#runJob(job, signal);
    } finally {
      // Callers waiting for it to serve learn now that it will not: it is at rest and nothing more is asked of it.
      if (AT_REST.has(this.#state) && this.#queue.waiting.length === 0) this.#waiters.rejectAll(this.#notServingError());
    }
  }

  async #runJob(job: PluginJob, signal: AbortSignal): Promise<void> {
    switch (job.kind) {
      case 'start':
        return this.#start(job.reason, job.cause, signal);
      case 'restart':
        await this.#halt(job.reason);
        this.#halted(job.reason);
        return this.#start(job.reason, 'operator', signal);
      case 'stop':
        await this.#halt(job.reason);
        return this.#settle('stopped', job.reason);
      case 'shutdown':
        await this.#halt(job.reason);
        this.#waiters.rejectAll(shuttingDown());
        return this.#settle('stopped', job.reason);
      case 'refuse':
        await this.#halt(job.reason);
        this.#lastError = job.reason;
        this.#to(['discovered', 'starting', 'stopping', 'stopped', 'backoff', 'failed', 'refused'], 'refused', job.reason);
        return;
      case 'remove':
        await this.#halt(job.reason);
        // Even a refused plugin's removal is logged as one: the operator sees where it went.
        if (this.#state === 'refused') this.#to(['refused'], 'stopped', job.reason);
        else this.#settle('stopped', job.reason);
        this.#gone = true;
        // Forgotten unless the file came back meanwhile; jobs still waiting (a reload) do nothing to a plugin that is gone.
        if (!this.#queue.waiting.some((waiting) => waiting.kind === 'revive')) this.#hooks.onRemoved?.(this.name);
        return;
      case 'revive':
        return this.#revive(job.reason, signal);
      case 'reconfigure':
        return this.#reconcile(job.reason, signal);
      case 'crash':
        return this.#crash(job);
    }
  }

  /** After a reload: stops a plugin no longer wanted, starts one now wanted. */
  async #reconcile(reason: string, signal: AbortSignal): Promise<void> {
    const running = this.#process !== undefined || this.#state === 'backoff';
    if (this.#wanted.state === 'unloaded' && running) {
      await this.#halt(reason);
      this.#settle('stopped', reason);
    } else if (this.#wanted.state === 'loaded' && this.#settings.start === 'boot' && (this.#state === 'discovered' || this.#state === 'stopped')) {
      await this.#start(reason, 'daemon', signal);
    }
  }

  async #revive(reason: string, signal: AbortSignal): Promise<void> {
    this.#gone = false;
    if (this.#process !== undefined || this.#state === 'backoff') {
      if (this.#wanted.state === 'unloaded') return;
      await this.#halt(reason);
      this.#halted(reason);
      this.#history.reset();
      return this.#start(reason, 'daemon', signal);
    }
    if (this.#state === 'refused' || this.#state === 'failed') {
      this.#history.reset();
      this.#lastError = null;
      this.#to(['refused', 'failed'], 'discovered', reason);
    }
    if (this.#wanted.state === 'loaded' && this.#settings.start === 'boot' && AT_REST.has(this.#state)) await this.#start(reason, 'daemon', signal);
  }

  async #start(reason: string, cause: StartCause, signal: AbortSignal): Promise<void> {
    // Cancelled while the job stopped the previous process (a restart) by a later unload: the caller is told.
    if (signal.aborted) throw signal.reason as Error;
    // Refused: only the operator's own request tries again (the trust check at this start decides); the daemon's starts do not happen.
    if (this.#state === 'refused') {
      if (cause !== 'operator') return;
      this.#to(['refused'], 'discovered', `${reason}: checking its file again`);
    }
    // Only an operator's request changes the wanted state; nothing else starts a plugin it unloaded, or one whose file is gone.
    if (this.#wanted.state === 'unloaded' || this.#gone) return;
    if (this.#state === 'serving') return;
    this.#cancelBackoff();
    if (cause === 'operator' || this.#state === 'failed') this.#history.reset();
    if (cause === 'crash') this.#restarts += 1;
    this.#provider = null;
    this.#apiVersion = null;
    this.#api = null;
    this.#to(['discovered', 'stopped', 'backoff', 'failed'], 'starting', reason);
    let permit: StartPermit | undefined;
    try {
      permit = this.#gate === undefined ? undefined : await this.#gate.acquire(signal);
    } catch {
      // Cancelled while it waited for its turn: nothing was spawned; the job that cancelled it settles the state.
      throw signal.reason as Error;
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
      if (info.expected) return;
      const how = info.signal !== null ? `killed by ${info.signal}` : `exited with code ${info.code}`;
      const tail = process.stderrTail().at(-1);
      void this.#enqueue({
        kind: 'crash',
        reason: `process ${how}`,
        process,
        force: false,
        lastError: `${how}${tail ? `: ${tail.slice(0, 200)}` : ''}`,
        fields: { pluginPid: process.pid, exitCode: info.code, exitSignal: info.signal },
      }).catch(() => undefined);
    });
    // An unload or shutdown while it starts stops the half-started process at once, instead of after its start timeout.
    const abort = () => void process.stop();
    signal.addEventListener('abort', abort, { once: true });
    try {
      await process.start();
      const identity = await identifyPlugin(process.client);
      this.#provider = identity.provider;
      this.#apiVersion = identity.api.version;
      this.#api = identity.api.text;
      if (identity.api.kind === 'unversioned' && !this.#unversionedLogged) {
        this.#unversionedLogged = true;
        this.#log.info({ api: identity.api.text }, `plugin ${this.name} is ${identity.api.text}; it is loaded as a plugin of API ${API_VERSION}`);
      }
    } catch (error) {
      // Stopping a half-started process is not a start: it must not hold up the next plugin's.
      permit?.release();
      await process.stop();
      this.#process = undefined;
      if (signal.aborted) throw signal.reason as Error;
      // A crash at start is counted and retried; a mismatch fails (or is refused) at once (start-failure.ts).
      const failure = judgeStartFailure(error);
      this.#lastError = failure.lastError;
      if (failure.action === 'crash') {
        this.#crashed(failure.reason, { pluginPid: process.pid });
        this.#afterCrash(failure.reason);
      } else {
        this.#to(['starting'], failure.action === 'refuse' ? 'refused' : 'failed', failure.reason, { pluginPid: process.pid });
      }
      return;
    } finally {
      permit?.release();
      signal.removeEventListener('abort', abort);
    }
    this.#servingSince = Date.now();
    this.#to(['starting'], 'serving', reason);
    this.#scheduleHealth(process, new MissCounter(settings.health.misses));
  }

  /** A crash of `job.process`, reported by its exit or its health checks; stale reports do nothing. */
  async #crash(job: Extract<PluginJob, { kind: 'crash' }>): Promise<void> {
    if (job.process !== this.#process || this.#state !== 'serving') return;
    this.#lastError = job.lastError;
    this.#cancelTimers();
    this.#crashed(job.reason, job.fields);
    await job.process.stop(job.force ? { force: true } : {});
    this.#process = undefined;
    this.#afterCrash(job.reason);
  }

  /** serving or starting → crashed; the crash is counted. */
  #crashed(reason: string, fields: Readonly<Record<string, unknown>>): void {
    this.#to(['starting', 'serving'], 'crashed', reason, fields);
  }

  /** crashed → backoff (a restart asked for when it ends) or failed. */
  #afterCrash(reason: string): void {
    const servingSince = this.#servingSince;
    this.#servingSince = undefined;
    const decision = this.#history.record(Date.now(), servingSince);
    if (decision.action === 'fail') {
      this.#to(['crashed'], 'failed', `${decision.reason}; last: ${reason}`);
      return;
    }
    this.#nextStartAt = Date.now() + decision.delayMs;
    this.#to(['crashed'], 'backoff', decision.delayMs === 0 ? 'restarting now' : `restarting in ${decision.delayMs} ms`);
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      void this.#enqueue({ kind: 'start', reason: `restart ${this.#restarts + 1} after a crash`, cause: 'crash' }).catch(() => undefined);
    }, decision.delayMs);
  }

  #scheduleHealth(process: PluginProcess, misses: MissCounter): void {
    const { intervalMs, timeoutMs } = this.#settings.health;
    this.#healthTimer = setTimeout(() => {
      this.#healthTimer = undefined;
      void this.#checkHealth(process, misses, timeoutMs);
    }, intervalMs);
  }

  async #checkHealth(process: PluginProcess, misses: MissCounter, timeoutMs: number): Promise<void> {
    if (process !== this.#process || this.#state !== 'serving') return;
    let ok = true;
    let error = '';
    try {
      await process.checkHealth(timeoutMs);
    } catch (caught) {
      ok = false;
      error = caught instanceof Error ? caught.message : String(caught);
    }
    // Replaced or stopped while the check ran: this check says nothing about the current process.
    if (process !== this.#process || this.#state !== 'serving') return;
    if (!misses.record(ok, error)) {
      if (!ok) this.#log.warn({ misses: misses.misses, error }, 'plugin health check failed');
      this.#scheduleHealth(process, misses);
      return;
    }
    // Unresponsive: it cannot be asked to stop, so everything it started is killed.
    const lastError = `unresponsive: ${misses.misses} health checks failed (last: ${misses.lastError})`;
    await this.#enqueue({ kind: 'crash', reason: lastError, process, force: true, lastError, fields: { pluginPid: process.pid } }).catch(() => undefined);
  }

  /** Stops whatever runs and any restart waiting on a timer. */
  async #halt(reason: string): Promise<void> {
    this.#cancelTimers();
    this.#servingSince = undefined;
    const process = this.#process;
    if (process === undefined) return;
    this.#to(['serving', 'starting'], 'stopping', reason);
    await process.stop();
    this.#process = undefined;
  }

  /** stopping → stopped once a halt has stopped the process, on the way to a new start. */
  #halted(reason: string): void {
    if (this.#state === 'stopping') this.#to(['stopping'], 'stopped', reason);
  }

  /** Moves to a state at rest after a halt; a refused plugin stays refused. */
  #settle(to: 'stopped', reason: string): void {
    if (this.#state === to || this.#state === 'refused') return;
    this.#to(['discovered', 'starting', 'stopping', 'backoff', 'failed'], to, reason);
  }

  #cancelBackoff(): void {
    clearTimeout(this.#backoffTimer);
    this.#backoffTimer = undefined;
  }

  #cancelTimers(): void {
    this.#cancelBackoff();
    clearTimeout(this.#healthTimer);
    this.#healthTimer = undefined;
  }

  // ---- state -------------------------------------------------------------

  /** The one place the observed state changes. `fields` go into the log line only. */
  #to(expected: readonly ObservedState[], state: ObservedState, reason: string, fields: Readonly<Record<string, unknown>> = {}): void {
    const from = this.#state;
    checkTransition(this.name, from, state, expected);
    this.#state = state;
    this.#reason = reason;
    this.#since = Date.now();
    const level = state === 'failed' || state === 'crashed' || state === 'refused' ? 'warn' : 'info';
    this.#log[level]({ ...fields, from, to: state, reason }, `plugin ${this.name}: ${from} → ${state} (${reason})`);
    // Those waiting for it to serve are not told it will not here: a state at rest may be a passage (stopped on
    // the way to a restart, discovered on the way to a start); #run tells them once the job ends at rest.
    if (state === 'serving' && this.#process !== undefined) this.#waiters.resolveAll(this.#process);
    this.#hooks.onTransition?.(this.status(), from);
  }

  #setWanted(wanted: Wanted): void {
    const changed = wanted.state !== this.#wanted.state || this.#wanted.by !== 'operator';
    this.#wanted = wanted;
    if (changed) this.#log.info({ wanted: wanted.state }, `plugin ${this.name}: wanted ${wanted.state} (by the operator)`);
    this.#hooks.onWanted?.(this.name, wanted);
  }

  #checkOpen(what: string): void {
    if (this.#queue.closed) throw new DaemonError('SHUTTING_DOWN', `the daemon is shutting down; plugin ${this.name} cannot ${what}`);
  }


  async #waitServingAfterStart(): Promise<void> {
    // A start that failed leaves it in backoff: the request waits through the restarts, within a bound.
    await this.whenServing(this.#settings.startTimeoutMs + 1_000);
  }

  #notServingError(): DaemonError {
    if (this.#queue.closed) return shuttingDown();
    if (this.#wanted.state === 'unloaded') {
      if (this.#wanted.by === 'operator' && this.#wanted.at !== null) {
        return new DaemonError(
          'PLUGIN_NOT_SERVING',
          `plugin ${this.name} was unloaded by the operator at ${new Date(this.#wanted.at).toISOString()}; \`snoozebot plugins load ${this.name}\` loads it again`,
        );
      }
      return new DaemonError(
        'PLUGIN_NOT_SERVING',
        `plugin ${this.name} is not loaded: the config does not enable it ("enabled": false, or "autoload": false); enable it there or \`snoozebot plugins load ${this.name}\``,
      );
    }
    if (this.#state === 'failed') {
      return new DaemonError('PLUGIN_FAILED', `plugin ${this.name} failed: ${this.#reason}; load it again after fixing the cause`);
    }
    if (this.#state === 'refused') return new DaemonError('PLUGIN_REFUSED', `plugin ${this.name} is refused: ${this.#reason}`);
    return new DaemonError('PLUGIN_NOT_SERVING', `plugin ${this.name} is not serving (${this.#state}: ${this.#reason})`);
  }
}

function shuttingDown(): DaemonError {
  return new DaemonError('SHUTTING_DOWN', 'the snoozebot daemon is shutting down');
}

/** A start that joins a waiting one keeps the stronger cause: an operator's request resets the crash count. */
function mergeJobs(waiting: PluginJob, incoming: PluginJob): PluginJob {
  if (waiting.kind === 'start' && incoming.kind === 'start' && waiting.cause === 'operator') return waiting;
  return incoming;
}
