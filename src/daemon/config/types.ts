// The daemon's resolved configuration and one plugin's effective settings.
import type { StopTimeouts } from '../../host/options.js';
import type { LogLevel, PluginConfig, PluginDefaultsConfig } from './schema.js';

export type { LogLevel, StopTimeouts };

/** Same shape as the supervisor's RestartPolicy (src/daemon/supervisor/policy.ts). */
export interface RestartPolicy {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Fraction of the delay added or removed at random, 0..1. */
  readonly jitter: number;
  readonly maxCrashes: number;
  readonly crashWindowMs: number;
  /** Serving this long without a crash forgets the earlier crashes. */
  readonly resetAfterMs: number;
}

/** Same shape as the supervisor's HealthPolicy (src/daemon/supervisor/health-policy.ts). */
export interface HealthPolicy {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Failed checks in a row that make a plugin unresponsive. */
  readonly misses: number;
}

/** Everything about one plugin, with defaults filled in. */
export interface PluginSettings {
  /** As configured for this plugin; undefined means "follow autoload". */
  readonly enabled: boolean | undefined;
  readonly env: Readonly<Record<string, string>>;
  /** Lower-case hex pin of the executable, if configured. */
  readonly sha256: string | undefined;
  readonly autoMtls: boolean;
  readonly startTimeoutMs: number;
  readonly callTimeoutMs: number;
  readonly restart: RestartPolicy;
  readonly health: HealthPolicy;
  readonly stop: StopTimeouts;
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
  /** Absolute path of the file that was read; null when none was. */
  readonly configPath: string | null;
}
