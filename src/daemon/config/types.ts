// The daemon's resolved configuration and one plugin's effective settings.
import type { StopTimeouts } from '../../host/options.js';
import type { IdleSettings } from '../idle/settings.js';
import type { HealthPolicy } from '../supervisor/health-policy.js';
import type { RestartPolicy } from '../supervisor/policy.js';
import type { SupervisorSettings } from '../supervisor/supervised-plugin.js';
import type { LogLevel, PluginConfig, PluginDefaultsConfig } from './schema.js';

export type { HealthPolicy, IdleSettings, LogLevel, RestartPolicy, StopTimeouts };

/** Everything about one plugin, with defaults filled in. */
export interface PluginSettings extends SupervisorSettings {
  /** As configured for this plugin; undefined means "follow autoload". */
  readonly enabled: boolean | undefined;
}

/** The settings `defaults` can give all plugins. */
export type PluginTunables = Omit<PluginSettings, 'enabled' | 'env' | 'sha256'>;

/**
 * Built-in defaults ⊕ config file ⊕ SNOOZEBOT_* environment ⊕ flags. Plain
 * data; per-plugin settings come from pluginSettings(config, name).
 */
export interface DaemonConfig {
  readonly pluginsDir: string;
  readonly socket: string;
  /** Group the API socket is chowned to (name or gid); null: the daemon's own. */
  readonly socketGroup: string | number | null;
  /** API connections open at once; more get 503. */
  readonly maxConnections: number;
  /** Each plugin in its own cgroup where possible (true), or process groups only (false). */
  readonly cgroups: boolean;
  readonly stateDir: string;
  readonly logLevel: LogLevel;
  readonly dryRun: boolean;
  /** Plugin used when a CLI call names none. */
  readonly defaultProvider: string | null;
  /** Load every discovered plugin (true) or only those with enabled: true (false). */
  readonly autoload: boolean;
  /** The file's `defaults` section as written. */
  readonly defaults: PluginDefaultsConfig;
  /** The file's `plugins` section as written, by plugin name. */
  readonly plugins: Readonly<Record<string, PluginConfig>>;
  /** The idle monitor's settings: built-in ⊕ the file's `idle` section ⊕ SNOOZEBOT_IDLE_*. */
  readonly idle: IdleSettings;
  /** Absolute path of the file that was read; null when none was. */
  readonly configPath: string | null;
}
