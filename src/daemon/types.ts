// What the daemon shows of itself and its plugins: the shapes the API serves
// and the CLI prints (design.md, "Plugin states in the daemon").
import type { InstanceRecord } from '../host/cloud-provider-client.js';
import type { ContainmentStatus } from '../host/containment/index.js';
import type { IdleStatus } from './idle/status.js';

export type { ContainmentStatus, InstanceRecord };

/**
 * discovered → starting → serving → stopping → stopped;
 * serving → crashed → backoff → starting on an unexpected exit or failed health;
 * too many crashes: failed (unloaded, reason kept); unloaded by request;
 * refused: the file failed a security check (not executable, writable by others, pin mismatch).
 */
export type PluginState =
  | 'discovered'
  | 'starting'
  | 'serving'
  | 'stopping'
  | 'stopped'
  | 'crashed'
  | 'backoff'
  | 'failed'
  | 'unloaded'
  | 'refused';

export interface ProviderIdentity {
  readonly name: string;
  readonly version: string;
}

export interface PluginStatus {
  readonly name: string;
  readonly path: string;
  readonly state: PluginState;
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
  readonly apiVersion: string | null;
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
  /** True when --dry-run kept the call from reaching the plugin at all (plugins other than local). */
  readonly dryRun: boolean;
  readonly message: string;
}

/** What the API server needs from the daemon; implemented by Daemon, faked in API unit tests. */
export interface DaemonControl {
  status(): DaemonStatus;
  listPlugins(): PluginStatus[];
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
