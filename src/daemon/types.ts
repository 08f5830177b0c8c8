// What the daemon shows of itself and its plugins: the shapes the API serves
// and the CLI prints (docs/architecture.md, "Plugin states in the daemon").
import type { InstanceRecord } from '../host/cloud-provider-client.js';
import type { ContainmentStatus } from '../host/containment/index.js';
import type { IdleStatus } from './idle/status.js';
import type { ObservedState, WantedState } from './supervisor/states.js';

export type { ContainmentStatus, InstanceRecord };

/** Observed state: what the plugin's process does (supervisor/states.ts has the diagram). */
export type PluginState = ObservedState;
export type { WantedState };

/** Who set the wanted state: the config (enabled, autoload) or an operator's load/unload/restart. */
export type WantedBy = 'config' | 'operator';

/** When the daemon starts a plugin it wants loaded: with the daemon, or at the first call that needs it. */
export type StartMode = 'boot' | 'lazy';

export interface ProviderIdentity {
  readonly name: string;
  readonly version: string;
}

export interface PluginStatus {
  readonly name: string;
  readonly path: string;
  /** What the operator or the config asked for; the daemon never starts a plugin wanted unloaded. */
  readonly wanted: WantedState;
  readonly wantedBy: WantedBy;
  /** ISO-8601 time of the operator's request that set `wanted`; null when the config set it. */
  readonly wantedSince: string | null;
  readonly start: StartMode;
  /** Observed state. */
  readonly state: PluginState;
  /** The lifecycle job running now ("restart: restarted by request"), null when none. */
  readonly job: string | null;
  /** Why it is in this state (the last transition's reason). */
  readonly reason: string;
  /** ISO-8601 time of the last transition. */
  readonly since: string;
  readonly pid: number | null;
  /** ISO-8601 time the current process started serving. */
  readonly servingSince: string | null;
  /** Restarts after crashes since the daemon started. */
  readonly restarts: number;
  /** Crashes inside the current crash window. */
  readonly recentCrashes: number;
  readonly lastError: string | null;
  readonly provider: ProviderIdentity | null;
  /** What GetAPIVersion answered; null when not known, or the plugin does not implement it. */
  readonly apiVersion: string | null;
  /** The API version as `plugins info` shows it: "0.1.0", "unversioned (plugin does not implement GetAPIVersion)". */
  readonly api: string | null;
  /** Whether the serving process talks AutoMTLS; null when no process serves. */
  readonly tls: boolean | null;
  /** ISO-8601 time of the next start attempt while in backoff. */
  readonly nextStartAt: string | null;
  /** Memory of the plugin and everything it started (cgroup memory.current, else the sum of RSS); null without a process. */
  readonly memoryBytes: number | null;
}

export interface DaemonStatus {
  readonly version: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly pluginsDir: string;
  readonly socket: string;
  readonly stateDir: string;
  readonly dryRun: boolean;
  /** True from the moment the daemon was asked to stop: changes and plugin calls are refused (SHUTTING_DOWN). */
  readonly shuttingDown: boolean;
  readonly defaultProvider: string | null;
  readonly plugins: { readonly total: number; readonly serving: number; readonly failed: number };
  readonly idle: IdleStatus;
  /** How plugins are kept together: each in its own cgroup, or by process group (and why). */
  readonly containment: ContainmentStatus;
}

export interface InstanceAnswer {
  readonly plugin: string;
  readonly instance: InstanceRecord;
}

export interface InstancesAnswer {
  readonly plugin: string;
  readonly instances: readonly InstanceRecord[];
}

export interface OperationAnswer {
  readonly plugin: string;
  readonly operation: 'stop' | 'start';
  /** True when the daemon is in dry run: the call reached no plugin, whatever the plugin is. */
  readonly dryRun: boolean;
  readonly message: string;
}

/** What the API server needs from the daemon; implemented by Daemon, faked in API unit tests. */
export interface DaemonControl {
  status(): DaemonStatus;
  listPlugins(): PluginStatus[];
  /** Measures the plugins' memory (all, or the one named) for the next list or info; figures younger than 5 s are kept. Never rejects. */
  refreshMemory(name?: string): Promise<void>;
  /** Throws DaemonError PLUGIN_UNKNOWN. */
  pluginInfo(name: string): PluginStatus;
  loadPlugin(name: string): Promise<PluginStatus>;
  unloadPlugin(name: string): Promise<PluginStatus>;
  restartPlugin(name: string): Promise<PluginStatus>;
  /** `plugin` undefined: the default provider (config, else the only loaded plugin). */
  instanceInfo(plugin?: string): Promise<InstanceAnswer>;
  listInstances(plugin?: string): Promise<InstancesAnswer>;
  stopInstance(plugin?: string): Promise<OperationAnswer>;
  startInstance(plugin?: string): Promise<OperationAnswer>;
}
