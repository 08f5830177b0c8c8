// The daemon: finds the plugins in the plugins directory, supervises them,
// serves the local API, and never leaves a plugin process behind.
//
// Start: reap leftovers of a previous daemon (state dir), scan the plugins
// directory, start the API, load the enabled plugins, watch the directory,
// start the idle monitor.
// Stop (SIGTERM/SIGINT): stop the idle monitor and watching, stop every
// plugin gracefully, close the API and remove its socket.
// Reload (SIGHUP): new settings (the idle clock is kept), rescan.
import type { Logger } from 'pino';
import { HostError } from '../host/errors.js';
import type { CloudProviderClient } from '../host/cloud-provider-client.js';
import { VERSION } from '../version.js';
import type { Containment } from '../host/containment/index.js';
import { startApiServer } from './api/server.js';
import type { ApiServer } from './api/server.js';
import { isPluginEnabled, pluginSettings } from './config/index.js';
import type { DaemonConfig } from './config/index.js';
import { startContainment } from './containment.js';
import { DaemonError, validatePluginName } from './errors.js';
import { createAnnouncer } from './idle/announce.js';
import { IdleMonitor } from './idle/monitor.js';
import { bootTime, IdleSampler } from './idle/sampler.js';
import { createMetrics } from './metrics.js';
import type { Metrics } from './metrics.js';
import { inspectPlugin, scanPluginDir, trustVerifier, watchPluginDir } from './plugin-dir/index.js';
import type { PluginDirWatcher } from './plugin-dir/index.js';
import { StateStore, readProcStat, reapLeftovers } from './state/index.js';
import { StartGate } from './supervisor/start-gate.js';
import { SupervisedPlugin } from './supervisor/supervised-plugin.js';
import type { SupervisorSettings } from './supervisor/supervised-plugin.js';
import type {
  DaemonControl,
  DaemonStatus,
  InstanceAnswer,
  InstancesAnswer,
  OperationAnswer,
  PluginStatus,
} from './types.js';

/** How long a CLI call waits for a plugin that is (re)starting before it gives up. */
const CALL_WAIT_MS = 15_000;
/** Plugins that honour SNOOZEBOT_DRY_RUN themselves; others are not called at all in a dry run. */
const DRY_RUN_AWARE_PROVIDERS = new Set(['local']);

export interface DaemonOptions {
  readonly config: DaemonConfig;
  readonly logger: Logger;
  /** For tests: where plugins make their socket directories. */
  readonly socketParentDir?: string;
}

export class Daemon implements DaemonControl {
  #config: DaemonConfig;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #store: StateStore;
  readonly #plugins = new Map<string, SupervisedPlugin>();
  readonly #restartsSeen = new Map<string, number>();
  readonly #startedAt = new Date();
  readonly #uid = process.getuid?.() ?? 0;
  readonly #socketParentDir: string | undefined;
  /** One for all plugins: a crowd of starts (daemon start, many crashes at once) runs a few at a time. */
  readonly #startGate = new StartGate();
  readonly #idle: IdleMonitor;
  #api: ApiServer | undefined;
  /** Set up first thing in #start, before any plugin process exists. */
  #containment: Containment | undefined;
  #watcher: PluginDirWatcher | undefined;
  #stopping: Promise<void> | undefined;
  /** State-dir writes (records, forgets) still running: stop() waits for them, so none is cut off by the exit. */
  readonly #stateWrites = new Set<Promise<unknown>>();
  /** Per plugin, the pid of its process that exited last: a record arriving after that exit must not be written. */
  readonly #lastExited = new Map<string, number>();

  private constructor(options: DaemonOptions) {
    this.#config = options.config;
    this.#log = options.logger;
    this.#metrics = createMetrics();
    this.#store = new StateStore(options.config.stateDir);
    this.#socketParentDir = options.socketParentDir;
    this.#idle = this.#createIdleMonitor();
    this.#metrics.bindIdle(() => this.#idle.status());
    this.#metrics.bindPluginMemory(() => this.listPlugins());
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(options);
    try {
      await daemon.#start();
    } catch (error) {
      // A start that fails leaves no cgroup behind either.
      await daemon.#containment?.close();
      throw error;
    }
    return daemon;
  }

  get config(): DaemonConfig {
    return this.#config;
  }

  async #start(): Promise<void> {
    const config = this.#config;
    this.#log.info(
      { version: VERSION, pluginsDir: config.pluginsDir, socket: config.socket, dryRun: config.dryRun, config: config.configPath },
      'snoozebot daemon starting',
    );
    // First: it empties the cgroups a killed predecessor left, and moves the daemon into its own leaf.
    this.#containment = await startContainment(config, this.#log);
    const reaped = await reapLeftovers(this.#store, { log: this.#log });
    if (reaped.killed.length > 0) this.#log.warn({ killed: reaped.killed }, 'killed plugin processes left by a previous daemon');
    await this.#scan();
    try {
      this.#api = await startApiServer({
        socketPath: config.socket,
        socketGroup: config.socketGroup,
        maxConnections: config.maxConnections,
        control: this,
        metrics: this.#metrics,
        logger: this.#log,
      });
    } catch (error) {
      await this.#stopPlugins('the API could not start');
      throw error;
    }
    this.#watcher = watchPluginDir(config.pluginsDir, {
      added: (name, path) => void this.#onAdded(name, path),
      changed: (name, path) => void this.#onChanged(name, path),
      removed: (name) => void this.#onRemoved(name),
      error: (error) => this.#log.error({ error: error.message }, 'watching the plugins directory failed'),
    });
    for (const plugin of this.#plugins.values()) {
      if (plugin.state === 'discovered' && isPluginEnabled(config, plugin.name)) this.#loadInBackground(plugin, 'autoload at start');
    }
    await this.#startIdleMonitor();
    this.#log.info({ plugins: [...this.#plugins.keys()] }, 'snoozebot daemon ready');
  }

  /** SIGHUP: new configuration for the next starts, then a rescan of the directory. */
  async reload(config: DaemonConfig): Promise<void> {
    this.#config = config;
    this.#idle.reconfigure(config.idle, config.dryRun);
    for (const plugin of this.#plugins.values()) plugin.update(this.#settings(plugin.name), plugin.path);
    await this.#scan();
    for (const plugin of this.#plugins.values()) {
      const enabled = isPluginEnabled(config, plugin.name);
      if (plugin.state === 'discovered' && enabled) this.#loadInBackground(plugin, 'enabled by a config reload');
      if (!enabled && ['serving', 'starting', 'backoff'].includes(plugin.state)) {
        void plugin.unload('disabled by a config reload');
      }
    }
    this.#log.info({ config: config.configPath }, 'configuration reloaded');
  }

  /** Stops everything; the daemon's last act. Idempotent. */
  stop(reason: string): Promise<void> {
    this.#stopping ??= (async () => {
      this.#log.info({ reason }, 'snoozebot daemon stopping');
      // First, so no idle stop starts while the plugins go away.
      await this.#idle.close();
      await this.#watcher?.close();
      await this.#stopPlugins(reason);
      await Promise.allSettled([...this.#stateWrites]);
      await this.#api?.close();
      await this.#containment?.close();
      this.#log.info('snoozebot daemon stopped');
    })();
    return this.#stopping;
  }

  async #stopPlugins(reason: string): Promise<void> {
    await Promise.all([...this.#plugins.values()].map((plugin) => plugin.shutdown(reason)));
  }

  // ---- idle monitor ----------------------------------------------------------

  #createIdleMonitor(): IdleMonitor {
    const settings = this.#config.idle;
    return new IdleMonitor({
      settings,
      dryRun: this.#config.dryRun,
      sampler: new IdleSampler({ root: settings.root, thresholds: settings.thresholds, checks: settings.checks }),
      stopper: {
        provider: (configured) => configured ?? this.#defaultProviderName() ?? null,
        stop: (provider) => this.stopInstance(provider),
      },
      // Read at each announcement, so a reload's new webhook is used.
      announce: (announcement) => createAnnouncer({ ...this.#config.idle, logger: this.#log })(announcement),
      logger: this.#log,
      startedAt: this.#startedAt.getTime(),
      onStop: (outcome) => this.#metrics.countIdleStop(outcome.outcome),
    });
  }

  async #startIdleMonitor(): Promise<void> {
    const boot = await bootTime(this.#config.idle.root).catch(() => undefined);
    if (boot !== undefined) this.#idle.setBootTime(boot.getTime());
    try {
      await this.#idle.start();
    } catch (error) {
      // The daemon still serves its plugins; the status shows the monitor never sampled.
      this.#log.error({ error: (error as Error).message }, 'the idle monitor could not start; idle stops are off');
    }
  }

  // ---- plugins directory -------------------------------------------------

  async #scan(): Promise<void> {
    const found = await scanPluginDir(this.#config.pluginsDir, { uid: this.#uid, pins: this.#pins() });
    const names = new Set(found.map((entry) => entry.name));
    for (const entry of found) {
      const plugin = this.#plugins.get(entry.name) ?? this.#add(entry.name, entry.path);
      if (!entry.verdict.ok) await plugin.refuse(entry.verdict.reason);
    }
    for (const name of [...this.#plugins.keys()]) if (!names.has(name)) await this.#onRemoved(name);
  }

  /** sha256 pins by plugin name; a null prototype, so a plugin named "constructor" finds no pin. */
  #pins(): Record<string, string> {
    const pins: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const name of Object.keys(this.#config.plugins)) {
      const pin = pluginSettings(this.#config, name).sha256;
      if (pin !== undefined) pins[name] = pin;
    }
    return pins;
  }

  #add(name: string, path: string): SupervisedPlugin {
    const plugin = new SupervisedPlugin({
      name,
      path,
      settings: this.#settings(name),
      logger: this.#log,
      startGate: this.#startGate,
      verify: trustVerifier(this.#uid, () => this.#pins()[name]),
      ...(this.#containment === undefined ? {} : { containment: this.#containment }),
      ...(this.#socketParentDir === undefined ? {} : { socketParentDir: this.#socketParentDir }),
      hooks: {
        onTransition: (status) => {
          this.#metrics.observePluginState(status.name, status.state);
          const seen = this.#restartsSeen.get(status.name) ?? 0;
          if (status.restarts > seen) this.#metrics.countRestart(status.name);
          this.#restartsSeen.set(status.name, status.restarts);
        },
        onProcessStarted: (pluginName, pid) => this.#stateWrite(this.#record(pluginName, pid, this.#plugins.get(pluginName)?.path ?? path)),
        onProcessExited: (pluginName, pid) => {
          this.#lastExited.set(pluginName, pid);
          this.#stateWrite(this.#store.forget(pluginName).catch(() => undefined));
        },
        onRpc: (pluginName, method, outcome, seconds) => this.#metrics.observeRpc(pluginName, method, outcome, seconds),
      },
    });
    this.#plugins.set(name, plugin);
    this.#metrics.observePluginState(name, plugin.state);
    return plugin;
  }

  #stateWrite(write: Promise<unknown>): void {
    this.#stateWrites.add(write);
    const done = () => this.#stateWrites.delete(write);
    write.then(done, done);
  }

  async #record(name: string, pid: number, path: string): Promise<void> {
    try {
      const stat = await readProcStat(pid);
      // Exited while its stat was read: its forget is already queued, and a record now would outlive it.
      if (stat === undefined || this.#lastExited.get(name) === pid) return;
      await this.#store.record({ name, pid, pgid: pid, startTime: stat.startTime, path, daemonPid: process.pid });
    } catch (error) {
      this.#log.warn({ plugin: name, error: (error as Error).message }, 'could not record the plugin process in the state directory');
    }
  }

  #settings(name: string): SupervisorSettings {
    const settings = pluginSettings(this.#config, name);
    // --dry-run reaches every plugin; the local plugin then never runs its stop command.
    const env = this.#config.dryRun ? { ...settings.env, SNOOZEBOT_DRY_RUN: 'true' } : settings.env;
    return { ...settings, env };
  }

  #loadInBackground(plugin: SupervisedPlugin, reason: string): void {
    plugin.load(reason).catch((error: unknown) => {
      this.#log.warn({ plugin: plugin.name, error: (error as Error).message }, 'plugin did not load');
    });
  }

  async #onAdded(name: string, path: string): Promise<void> {
    if (this.#stopping) return;
    const plugin = this.#plugins.get(name) ?? this.#add(name, path);
    const verdict = await inspectPlugin(path, { uid: this.#uid, sha256Pin: this.#pins()[name] });
    if (!verdict.ok) return plugin.refuse(verdict.reason);
    this.#log.info({ plugin: name, path }, 'new plugin in the plugins directory');
    if (isPluginEnabled(this.#config, name)) this.#loadInBackground(plugin, 'dropped into the plugins directory');
  }

  async #onChanged(name: string, path: string): Promise<void> {
    if (this.#stopping) return;
    const plugin = this.#plugins.get(name);
    if (plugin === undefined) return this.#onAdded(name, path);
    const verdict = await inspectPlugin(path, { uid: this.#uid, sha256Pin: this.#pins()[name] });
    if (!verdict.ok) return plugin.refuse(verdict.reason);
    if (['serving', 'starting', 'backoff', 'crashed'].includes(plugin.state)) {
      await plugin.restart('binary replaced').catch((error: unknown) => {
        this.#log.warn({ plugin: name, error: (error as Error).message }, 'replaced plugin did not start');
      });
    } else if (plugin.state === 'refused' || plugin.state === 'failed' || plugin.state === 'discovered') {
      // A fixed binary gets a fresh chance.
      await plugin.unload('binary replaced');
      if (isPluginEnabled(this.#config, name)) this.#loadInBackground(plugin, 'binary replaced');
    }
  }

  async #onRemoved(name: string): Promise<void> {
    const plugin = this.#plugins.get(name);
    if (plugin === undefined) return;
    await plugin.unload('removed from the plugins directory');
    this.#plugins.delete(name);
    this.#restartsSeen.delete(name);
    this.#metrics.removePlugin(name);
  }

  // ---- DaemonControl -------------------------------------------------------

  status(): DaemonStatus {
    const plugins = [...this.#plugins.values()].map((p) => p.state);
    return {
      version: VERSION,
      pid: process.pid,
      startedAt: this.#startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.#startedAt.getTime()) / 1000),
      pluginsDir: this.#config.pluginsDir,
      socket: this.#config.socket,
      stateDir: this.#config.stateDir,
      dryRun: this.#config.dryRun,
      defaultProvider: this.#defaultProviderName() ?? null,
      idle: this.#idle.status(),
      containment: this.#containment?.status ?? { mode: 'process-group', detail: 'not set up yet', memory: 'rss' },
      plugins: {
        total: plugins.length,
        serving: plugins.filter((s) => s === 'serving').length,
        failed: plugins.filter((s) => s === 'failed').length,
      },
    };
  }

  listPlugins(): PluginStatus[] {
    return [...this.#plugins.values()].map((p) => p.status()).sort((a, b) => a.name.localeCompare(b.name));
  }

  pluginInfo(name: string): PluginStatus {
    return this.#plugin(name).status();
  }

  async loadPlugin(name: string): Promise<PluginStatus> {
    const plugin = this.#plugin(name);
    await plugin.load('loaded by request');
    return plugin.status();
  }

  async unloadPlugin(name: string): Promise<PluginStatus> {
    const plugin = this.#plugin(name);
    await plugin.unload('unloaded by request');
    return plugin.status();
  }

  async restartPlugin(name: string): Promise<PluginStatus> {
    const plugin = this.#plugin(name);
    await plugin.restart('restarted by request');
    return plugin.status();
  }

  async instanceInfo(name?: string): Promise<InstanceAnswer> {
    const plugin = await this.#provider(name);
    const instance = await this.#call(plugin, 'GetInstanceInfo', (c) => c.instanceInfo(), true);
    return { plugin: plugin.name, instance };
  }

  async listInstances(name?: string): Promise<InstancesAnswer> {
    const plugin = await this.#provider(name);
    const instances = await this.#call(plugin, 'ListInstances', (c) => c.listInstances(), true);
    return { plugin: plugin.name, instances };
  }

  stopInstance(name?: string): Promise<OperationAnswer> {
    return this.#operate('stop', name);
  }

  startInstance(name?: string): Promise<OperationAnswer> {
    return this.#operate('start', name);
  }

  async #operate(operation: 'stop' | 'start', name: string | undefined): Promise<OperationAnswer> {
    const plugin = await this.#provider(name);
    const provider = plugin.status().provider?.name ?? '';
    if (this.#config.dryRun && !DRY_RUN_AWARE_PROVIDERS.has(provider)) {
      const message = `dry run: would ${operation} the instance through plugin ${plugin.name}; nothing was sent to it`;
      this.#log.warn({ plugin: plugin.name, operation }, message);
      return { plugin: plugin.name, operation, dryRun: true, message };
    }
    const method = operation === 'stop' ? 'StopInstance' : 'StartInstance';
    this.#log.warn({ plugin: plugin.name, operation }, `${operation} of the instance requested`);
    await this.#call(plugin, method, (c) => (operation === 'stop' ? c.stopInstance() : c.startInstance()), false);
    const message = `${method} accepted by plugin ${plugin.name}${this.#config.dryRun ? ' (dry run: the plugin only recorded it)' : ''}`;
    return { plugin: plugin.name, operation, dryRun: false, message };
  }

  #plugin(name: string): SupervisedPlugin {
    validatePluginName(name);
    const plugin = this.#plugins.get(name);
    if (plugin === undefined) {
      const known = [...this.#plugins.keys()].sort();
      throw new DaemonError(
        'PLUGIN_UNKNOWN',
        `no plugin named ${JSON.stringify(name)} in ${this.#config.pluginsDir}` +
          (known.length > 0 ? ` (known: ${known.join(', ')})` : ' (the directory holds no plugins)'),
      );
    }
    return plugin;
  }

  #defaultProviderName(): string | undefined {
    if (this.#config.defaultProvider) return this.#config.defaultProvider;
    const all = [...this.#plugins.values()];
    const usable = all.filter((p) => !['refused', 'failed', 'unloaded'].includes(p.state));
    if (usable.length === 1) return usable[0]?.name;
    // A lone plugin is the default even when it is down: the call then says why it cannot answer.
    return all.length === 1 ? all[0]?.name : undefined;
  }

  /** The named plugin, or the default provider; loads it lazily when it is not running. */
  async #provider(name: string | undefined): Promise<SupervisedPlugin> {
    const chosen = name ?? this.#defaultProviderName();
    if (chosen === undefined) {
      const names = [...this.#plugins.keys()].sort();
      throw new DaemonError(
        'NO_DEFAULT_PROVIDER',
        names.length === 0
          ? `no plugins in ${this.#config.pluginsDir}; install one there (see docs/plugins.md)`
          : `several plugins (${names.join(', ')}): name one with --plugin, or set "defaultProvider" in the config`,
      );
    }
    const plugin = this.#plugin(chosen);
    if (['discovered', 'stopped', 'unloaded'].includes(plugin.state)) await plugin.load('needed by a request');
    return plugin;
  }

  async #call<T>(plugin: SupervisedPlugin, method: string, run: (client: CloudProviderClient) => Promise<T>, retry: boolean): Promise<T> {
    try {
      return await plugin.call(method, run, { retry, waitMs: CALL_WAIT_MS });
    } catch (error) {
      if (error instanceof HostError || error instanceof DaemonError) throw error;
      throw new DaemonError('PLUGIN_CALL_FAILED', `plugin ${plugin.name}: ${method} failed: ${(error as Error).message}`);
    }
  }

}
