// The daemon: finds the plugins in the plugins directory, supervises them,
// serves the local API, and never leaves a plugin process behind.
//
// Start: reap leftovers of a previous daemon (state dir), read the
// operator's wanted states, scan the plugins directory, start the API, watch
// the directory, start the plugins wanted at boot, start the idle monitor.
// Stop (SIGTERM/SIGINT): from the first instant, requests that change
// anything or call a plugin get SHUTTING_DOWN; then the idle monitor and the
// watcher stop, every plugin's queue is shut down (waiting jobs cancelled,
// the process stopped), and the API closes once the requests in flight are
// answered.
// Reload (SIGHUP): new settings and a rescan, one reload at a time; a reload
// that cannot be applied keeps the old settings whole, and none of it can
// take the daemon down.
//
// Every change to a plugin is a job on that plugin's own queue
// (supervisor/supervised-plugin.ts); the daemon only asks for jobs.
// Directory events are handled one after another, so a file that changes
// and disappears is seen in that order.
import type { Logger } from 'pino';
import { HostError } from '../host/errors.js';
import type { CloudProviderClient } from '../host/cloud-provider-client.js';
import { VERSION } from '../version.js';
import type { Containment } from '../host/containment/index.js';
import { actFailure } from './act-failure.js';
import { startApiServer } from './api/server.js';
import type { ApiServer } from './api/server.js';
import { isPluginEnabled, pluginSettings } from './config/index.js';
import type { DaemonConfig } from './config/index.js';
import { startContainment } from './containment.js';
import { DaemonError, validatePluginName } from './errors.js';
import { createAnnouncer } from './idle/announce.js';
import { IdleMonitor } from './idle/monitor.js';
import type { StopRoute } from './idle/monitor.js';
import { bootTime, IdleSampler } from './idle/sampler.js';
import { createMetrics } from './metrics.js';
import type { Metrics } from './metrics.js';
import { inspectPlugin, scanPluginDir, trustVerifier, watchPluginDir } from './plugin-dir/index.js';
import type { PluginDirWatcher } from './plugin-dir/index.js';
import { StateStore, readProcStat, reapLeftovers } from './state/index.js';
import { WantedStore } from './state/wanted.js';
import { StartGate } from './supervisor/start-gate.js';
import { SupervisedPlugin } from './supervisor/supervised-plugin.js';
import type { SupervisorSettings, Wanted } from './supervisor/supervised-plugin.js';
import type { WantedState } from './supervisor/states.js';
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
/** Settings a running daemon cannot change in place: a reload that changes one is refused whole. */
const RESTART_ONLY = ['pluginsDir', 'socket', 'stateDir'] as const;

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
  readonly #wantedStore: WantedStore;
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
  /** Set the moment a stop is asked for, before anything awaits. */
  #shuttingDown = false;
  #stopping: Promise<void> | undefined;
  /** Directory events and rescans, one after another. */
  #directory: Promise<void> = Promise.resolve();
  /** Reloads, one after another. */
  #reloading: Promise<void> = Promise.resolve();
  /** State-dir writes (records, forgets) still running: stop() waits for them, so none is cut off by the exit. */
  readonly #stateWrites = new Set<Promise<unknown>>();
  /** Per plugin, the pid of its process that exited last: a record arriving after that exit must not be written. */
  readonly #lastExited = new Map<string, number>();
  /** Plugins whose file was removed and whose removal has not finished: a file that comes back revives them. */
  readonly #removing = new Set<string>();
  /** The last warning about the idle stop's plugin choice, so it is logged when it changes, not at every transition. */
  #providerWarning: string | null = null;

  private constructor(options: DaemonOptions) {
    this.#config = options.config;
    this.#log = options.logger;
    this.#metrics = createMetrics();
    this.#store = new StateStore(options.config.stateDir);
    this.#wantedStore = new WantedStore(options.config.stateDir);
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
    const wanted = await this.#wantedStore.load();
    if (wanted.problem !== undefined) {
      this.#log.warn({ file: this.#wantedStore.file, problem: wanted.problem }, 'ignoring the saved load/unload requests; the config decides');
    }
    await this.#inDirectoryOrder(() => this.#scan());
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
      added: (name, path) => void this.#inDirectoryOrder(() => this.#onAdded(name, path)),
      changed: (name, path) => void this.#inDirectoryOrder(() => this.#onChanged(name, path)),
      removed: (name) => void this.#inDirectoryOrder(() => this.#onRemoved(name)),
      error: (error) => this.#log.error({ error: error.message }, 'watching the plugins directory failed'),
    });
    for (const plugin of this.#plugins.values()) this.#boot(plugin, 'started with the daemon');
    await this.#startIdleMonitor();
    this.#checkProviderChoice();
    this.#log.info({ plugins: [...this.#plugins.keys()] }, 'snoozebot daemon ready');
  }

  /**
   * SIGHUP: new configuration, then a rescan of the directory. Never
   * rejects: whatever goes wrong is logged, and a reload that cannot be
   * applied leaves the running configuration as it was.
   */
  reload(next: DaemonConfig): Promise<void> {
    const run = this.#reloading.then(() => this.#reload(next));
    this.#reloading = run.catch((error: unknown) => {
      this.#log.error({ error: errorText(error) }, 'configuration reload failed; the daemon goes on with what it had');
    });
    return this.#reloading;
  }

  async #reload(next: DaemonConfig): Promise<void> {
    if (this.#shuttingDown) return;
    const previous = this.#config;
    const fixed = RESTART_ONLY.filter((key) => next[key] !== previous[key]);
    if (fixed.length > 0) {
      const changes = fixed.map((key) => `${key} ${JSON.stringify(previous[key])} → ${JSON.stringify(next[key])}`).join(', ');
      this.#log.error(
        { changed: fixed },
        `configuration not reloaded: ${changes} cannot change while the daemon runs (it needs a restart: systemctl restart snoozebot); the running configuration is unchanged`,
      );
      return;
    }
    this.#config = next;
    if (previous.dryRun !== next.dryRun) this.#log.warn({ dryRun: next.dryRun }, `dry run ${next.dryRun ? 'on' : 'off'}: applies to the next stop or start`);
    this.#idle.reconfigure(next.idle, next.dryRun);
    for (const plugin of this.#plugins.values()) {
      const configChanged = isPluginEnabled(previous, plugin.name) !== isPluginEnabled(next, plugin.name);
      if (configChanged && this.#wantedStore.get(plugin.name) !== undefined) this.#stateWrite(this.#wantedStore.set(plugin.name, undefined));
      this.#background(
        plugin.reconfigure(this.#settings(plugin.name), plugin.path, configWants(next, plugin.name), configChanged, 'configuration reloaded'),
        plugin.name,
        'applying the reloaded configuration',
      );
    }
    // A rescan that fails is logged on its own; the new settings stand.
    await this.#inDirectoryOrder(() => this.#scan({ boot: true })).catch(() => undefined);
    this.#checkProviderChoice();
    this.#log.info({ config: next.configPath }, 'configuration reloaded');
  }

  /** Stops everything; the daemon's last act. Idempotent. */
  stop(reason: string): Promise<void> {
    this.#shuttingDown = true;
    this.#stopping ??= (async () => {
      this.#log.info({ reason }, 'snoozebot daemon stopping');
      // First, so no idle stop starts while the plugins go away.
      await this.#idle.close();
      await this.#watcher?.close();
      await this.#directory;
      await this.#stopPlugins(reason);
      await Promise.allSettled([...this.#stateWrites]);
      await this.#api?.close();
      await this.#containment?.close();
      this.#log.info('snoozebot daemon stopped');
    })();
    return this.#stopping;
  }

  async #stopPlugins(reason: string): Promise<void> {
    await Promise.all(
      [...this.#plugins.values()].map((plugin) =>
        plugin.shutdown(reason).catch((error: unknown) => this.#log.error({ plugin: plugin.name, error: errorText(error) }, 'plugin did not stop cleanly')),
      ),
    );
  }

  // ---- idle monitor ----------------------------------------------------------

  #createIdleMonitor(): IdleMonitor {
    const settings = this.#config.idle;
    return new IdleMonitor({
      settings,
      dryRun: this.#config.dryRun,
      sampler: new IdleSampler({ root: settings.root, thresholds: settings.thresholds, checks: settings.checks }),
      stopper: {
        route: (configured) => this.#stopRoute(configured),
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
      this.#log.error({ error: errorText(error) }, 'the idle monitor could not start; idle stops are off');
    }
  }

  /** Which plugin an idle stop goes through now, or why none can. */
  #stopRoute(configured: string | null): StopRoute {
    const name = configured ?? this.#defaultProviderName();
    if (name === undefined) return { plugin: null, problem: this.#noDefaultProvider() };
    const plugin = this.#plugins.get(name);
    if (plugin === undefined) {
      return { plugin: name, problem: `plugin ${name} (idle.provider) is not in ${this.#config.pluginsDir}` };
    }
    if (plugin.wanted.state === 'unloaded') {
      const by = plugin.wanted.by === 'operator' && plugin.wanted.at !== null ? `unloaded by the operator at ${new Date(plugin.wanted.at).toISOString()}` : 'not enabled in the config';
      return { plugin: name, problem: `plugin ${name} is ${by}; \`snoozebot plugins load ${name}\` allows idle stops again` };
    }
    if (plugin.state === 'refused' || plugin.state === 'failed') return { plugin: name, problem: `plugin ${name} is ${plugin.state}: ${plugin.status().reason}` };
    return { plugin: name, problem: null };
  }

  /** Warns when several plugins are wanted and nothing says which one stops the machine: idle stops are off until one is named. */
  #checkProviderChoice(): void {
    const named = this.#config.idle.provider ?? this.#config.defaultProvider;
    const wanted = [...this.#plugins.values()].filter((p) => p.wanted.state === 'loaded').map((p) => p.name).sort();
    const warning = named === null && wanted.length > 1 ? this.#noDefaultProvider() : null;
    if (warning === this.#providerWarning) return;
    this.#providerWarning = warning;
    if (warning !== null) this.#log.warn({ plugins: wanted }, `idle stops are off: ${warning}`);
    else if (this.#config.idle.enabled) this.#log.info({ provider: this.#stopRoute(this.#config.idle.provider).plugin }, 'idle stops have one plugin to go through again');
  }

  #noDefaultProvider(): string {
    const wanted = [...this.#plugins.values()].filter((p) => p.wanted.state === 'loaded').map((p) => p.name).sort();
    if (this.#plugins.size === 0) return `no plugins in ${this.#config.pluginsDir}; install one there (see docs/plugins.md)`;
    if (wanted.length === 0) return 'no plugin is loaded';
    return (
      `${wanted.length} plugins are loaded (${wanted.join(', ')}) and neither "idle.provider" nor "defaultProvider" is set: ` +
      `add e.g. "defaultProvider": ${JSON.stringify(wanted[0])} to ${this.#config.configPath ?? '/etc/snoozebot/config.json'} and reload (SIGHUP)`
    );
  }

  // ---- plugins directory -------------------------------------------------

  /** Runs `work` after every directory event before it; a failure is logged, never thrown at the watcher. */
  #inDirectoryOrder(work: () => Promise<void>): Promise<void> {
    const run = this.#directory.then(work);
    this.#directory = run.catch((error: unknown) => {
      this.#log.error({ pluginsDir: this.#config.pluginsDir, error: errorText(error) }, 'could not read the plugins directory; the plugins already known are kept');
    });
    return run;
  }

  async #scan(options: { boot?: boolean } = {}): Promise<void> {
    // An entry removed between the listing and its check is simply not there.
    const found = (await scanPluginDir(this.#config.pluginsDir, { uid: this.#uid, pins: this.#pins() })).filter(
      (entry) => entry.verdict.ok || entry.verdict.gone !== true,
    );
    const names = new Set(found.map((entry) => entry.name));
    for (const entry of found) {
      const known = this.#plugins.get(entry.name);
      const plugin = known ?? this.#add(entry.name, entry.path);
      if (!entry.verdict.ok) this.#background(plugin.refuse(entry.verdict.reason), plugin.name, 'refusing it');
      else if (known !== undefined && known.state === 'refused') this.#background(known.replaced('its file passes the checks again'), known.name, 'starting it again');
      else if (known === undefined && options.boot === true) this.#dropped(plugin, entry.path);
      else if (known !== undefined && this.#removing.delete(entry.name)) this.#background(known.replaced('dropped into the plugins directory again'), known.name, 'starting it');
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
      wanted: this.#initialWanted(name),
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
        onWanted: (pluginName, wanted) => {
          if (wanted.by === 'operator' && wanted.at !== null) this.#stateWrite(this.#wantedStore.set(pluginName, { state: wanted.state, at: wanted.at }));
          this.#checkProviderChoice();
        },
        onRemoved: (pluginName) => {
          if (this.#plugins.get(pluginName) !== plugin) return;
          this.#removing.delete(pluginName);
          this.#plugins.delete(pluginName);
          this.#restartsSeen.delete(pluginName);
          this.#metrics.removePlugin(pluginName);
          this.#checkProviderChoice();
        },
      },
    });
    this.#plugins.set(name, plugin);
    this.#metrics.observePluginState(name, plugin.state);
    return plugin;
  }

  /** The operator's last word on `name` if there is one, else the config's. */
  #initialWanted(name: string): Wanted {
    const saved = this.#wantedStore.get(name);
    if (saved !== undefined) return { state: saved.state, by: 'operator', at: saved.at };
    return { state: configWants(this.#config, name), by: 'config', at: null };
  }

  #stateWrite(write: Promise<unknown>): void {
    const tracked = write.catch((error: unknown) => {
      this.#log.warn({ stateDir: this.#config.stateDir, error: errorText(error) }, 'could not write to the state directory');
    });
    this.#stateWrites.add(tracked);
    void tracked.finally(() => this.#stateWrites.delete(tracked));
  }

  async #record(name: string, pid: number, path: string): Promise<void> {
    const stat = await readProcStat(pid);
    // Exited while its stat was read: its forget is already queued, and a record now would outlive it.
    if (stat === undefined || this.#lastExited.get(name) === pid) return;
    await this.#store.record({ name, pid, pgid: pid, startTime: stat.startTime, path, daemonPid: process.pid });
  }

  #settings(name: string): SupervisorSettings {
    const settings = pluginSettings(this.#config, name);
    // A second guard only: in a dry run the daemon itself sends no StopInstance or StartInstance to any plugin.
    const env = this.#config.dryRun ? { ...settings.env, SNOOZEBOT_DRY_RUN: 'true' } : settings.env;
    return { ...settings, env };
  }

  #boot(plugin: SupervisedPlugin, reason: string): void {
    this.#background(plugin.boot(reason), plugin.name, 'starting it');
  }

  /** A job nobody waits for: its failure is logged with the plugin's name, never left unhandled. */
  #background(job: Promise<void>, name: string, what: string): void {
    job.catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      // Cancelled by a later job, or by the shutdown: that job says what happened.
      if (code === 'OPERATION_CANCELLED' || code === 'SHUTTING_DOWN') return;
      // An illegal transition is a bug in the daemon, not something the plugin did.
      const level = code === 'ILLEGAL_TRANSITION' ? 'error' : 'warn';
      this.#log[level]({ plugin: name, code, error: errorText(error) }, `plugin ${name}: ${what} failed`);
    });
  }

  async #onAdded(name: string, path: string): Promise<void> {
    if (this.#shuttingDown) return;
    const verdict = await inspectPlugin(path, { uid: this.#uid, sha256Pin: this.#pins()[name] });
    if (this.#shuttingDown) return;
    // Added to the daemon's list only once its file was judged: a reload meanwhile must not start it unchecked.
    const known = this.#plugins.get(name);
    // Gone again before it was judged: its removal event follows (or came first); there is nothing to refuse.
    if (!verdict.ok && verdict.gone === true) return known === undefined ? undefined : this.#onRemoved(name);
    const plugin = known ?? this.#add(name, path);
    if (!verdict.ok) return this.#background(plugin.refuse(verdict.reason), name, 'refusing it');
    if (known === undefined) return this.#dropped(plugin, path);
    // Back before its removal finished: the removal is undone by the same queue. Otherwise a rescan saw it first.
    if (this.#removing.delete(name)) this.#background(known.replaced('dropped into the plugins directory again'), name, 'starting it');
  }

  /** A new file, however the daemon noticed it (the watcher, a rescan). */
  #dropped(plugin: SupervisedPlugin, path: string): void {
    this.#log.info({ plugin: plugin.name, path }, 'new plugin in the plugins directory');
    this.#boot(plugin, 'dropped into the plugins directory');
    this.#checkProviderChoice();
  }

  async #onChanged(name: string, path: string): Promise<void> {
    if (this.#shuttingDown) return;
    const plugin = this.#plugins.get(name);
    if (plugin === undefined) return this.#onAdded(name, path);
    const verdict = await inspectPlugin(path, { uid: this.#uid, sha256Pin: this.#pins()[name] });
    if (this.#shuttingDown) return;
    // Changed, then removed before it was judged: a removal, not a file that failed its checks.
    if (!verdict.ok && verdict.gone === true) return this.#onRemoved(name);
    if (!verdict.ok) return this.#background(plugin.refuse(verdict.reason), name, 'refusing it');
    this.#background(plugin.replaced('binary replaced'), name, 'restarting it on the new binary');
  }

  async #onRemoved(name: string): Promise<void> {
    const plugin = this.#plugins.get(name);
    if (plugin === undefined || this.#shuttingDown || this.#removing.has(name)) return;
    this.#removing.add(name);
    this.#background(plugin.remove('removed from the plugins directory'), name, 'stopping it');
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
      shuttingDown: this.#shuttingDown,
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

  async refreshMemory(name?: string): Promise<void> {
    const plugins = name === undefined ? [...this.#plugins.values()] : [this.#plugins.get(name)].filter((p) => p !== undefined);
    await Promise.all(plugins.map((plugin) => plugin.refreshMemory()));
  }

  listPlugins(): PluginStatus[] {
    return [...this.#plugins.values()].map((p) => p.status()).sort((a, b) => a.name.localeCompare(b.name));
  }

  pluginInfo(name: string): PluginStatus {
    return this.#plugin(name).status();
  }

  async loadPlugin(name: string): Promise<PluginStatus> {
    const plugin = this.#mutable(name);
    await plugin.load('loaded by request');
    return plugin.status();
  }

  async unloadPlugin(name: string): Promise<PluginStatus> {
    const plugin = this.#mutable(name);
    await plugin.unload('unloaded by request');
    return plugin.status();
  }

  async restartPlugin(name: string): Promise<PluginStatus> {
    const plugin = this.#mutable(name);
    await plugin.restart('restarted by request');
    return plugin.status();
  }

  async instanceInfo(name?: string): Promise<InstanceAnswer> {
    const plugin = this.#provider(name);
    const instance = await this.#call(plugin, 'GetInstanceInfo', (c) => c.instanceInfo());
    return { plugin: plugin.name, instance };
  }

  async listInstances(name?: string): Promise<InstancesAnswer> {
    const plugin = this.#provider(name);
    const instances = await this.#call(plugin, 'ListInstances', (c) => c.listInstances());
    return { plugin: plugin.name, instances };
  }

  stopInstance(name?: string): Promise<OperationAnswer> {
    return this.#operate('stop', name);
  }

  startInstance(name?: string): Promise<OperationAnswer> {
    return this.#operate('start', name);
  }

  /**
   * StopInstance or StartInstance, sent at most once. In a dry run the
   * daemon sends it to no plugin at all, whatever the plugin says it is;
   * the setting is read here, so a reload that turns it on applies to the
   * very next call.
   */
  async #operate(operation: 'stop' | 'start', name: string | undefined): Promise<OperationAnswer> {
    const plugin = this.#provider(name);
    const method = operation === 'stop' ? 'StopInstance' : 'StartInstance';
    if (this.#config.dryRun) {
      const message = `dry run: would ${operation} the instance through plugin ${plugin.name}; nothing was sent to it`;
      this.#log.warn({ plugin: plugin.name, operation, dryRun: true }, message);
      return { plugin: plugin.name, operation, dryRun: true, message };
    }
    this.#log.warn({ plugin: plugin.name, operation }, `${operation} of the instance requested`);
    try {
      await plugin.call(method, (c) => (operation === 'stop' ? c.stopInstance() : c.startInstance()), { retry: false, waitMs: CALL_WAIT_MS });
    } catch (error) {
      const failure = actFailure(plugin.name, method, error);
      const code = (failure as { code?: unknown }).code;
      // An outcome nobody knows deserves an operator's look; a refusal or a plugin that is away is in the answer.
      this.#log[code === 'OUTCOME_UNKNOWN' ? 'error' : 'warn']({ plugin: plugin.name, operation, code, error: errorText(failure) }, `${method} failed`);
      throw failure;
    }
    const message = `${method} accepted by plugin ${plugin.name}`;
    this.#log.warn({ plugin: plugin.name, operation }, message);
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

  /** A plugin for a request that changes something: refused once the daemon is stopping. */
  #mutable(name: string): SupervisedPlugin {
    this.#refuseWhileStopping();
    return this.#plugin(name);
  }

  #refuseWhileStopping(): void {
    if (this.#shuttingDown) throw new DaemonError('SHUTTING_DOWN', 'the snoozebot daemon is shutting down; try again once it is back');
  }

  #defaultProviderName(): string | undefined {
    if (this.#config.defaultProvider) return this.#config.defaultProvider;
    const all = [...this.#plugins.values()];
    const wanted = all.filter((p) => p.wanted.state === 'loaded' && p.state !== 'refused');
    if (wanted.length === 1) return wanted[0]?.name;
    // A lone plugin is the default even when it is down: the call then says why it cannot answer.
    return all.length === 1 ? all[0]?.name : undefined;
  }

  /** The named plugin, or the default provider. */
  #provider(name: string | undefined): SupervisedPlugin {
    this.#refuseWhileStopping();
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
    return this.#plugin(chosen);
  }

  /** A call that reads: safe to repeat once if the plugin died under it. */
  async #call<T>(plugin: SupervisedPlugin, method: string, run: (client: CloudProviderClient) => Promise<T>): Promise<T> {
    try {
      return await plugin.call(method, run, { retry: true, waitMs: CALL_WAIT_MS });
    } catch (error) {
      if (error instanceof HostError || error instanceof DaemonError) throw error;
      throw new DaemonError('PLUGIN_CALL_FAILED', `plugin ${plugin.name}: ${method} failed: ${errorText(error)}`);
    }
  }
}

/** What the config alone wants of `name`. */
function configWants(config: DaemonConfig, name: string): WantedState {
  return isPluginEnabled(config, name) ? 'loaded' : 'unloaded';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
