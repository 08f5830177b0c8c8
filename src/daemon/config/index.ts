/** The daemon's configuration: config.json (JSON with comments) ⊕ SNOOZEBOT_* ⊕ flags. See docs/config.md. */

export { loadConfig, readConfigText } from './load.js';
export type { ConfigText, LoadConfigOptions } from './load.js';
export { checkConfig, parseConfig } from './parse.js';
export type { CheckedConfig } from './parse.js';
export { resolveConfig } from './resolve.js';
export { resolveIdleSettings } from './idle-settings.js';
export { envOverrides, ENV_VARS } from './env.js';
export { flagOverrides, FLAG_NAMES } from './flags.js';
export type { ConfigFlags } from './flags.js';
export type { ConfigOverrides, IdleOverrides } from './overrides.js';
export { isPluginEnabled, pluginSettings } from './settings.js';
export { ConfigError, formatIssue, isConfigError } from './errors.js';
export type { ConfigIssue } from './errors.js';
export { DEFAULT_CONFIG_PATH, DEFAULT_DAEMON_SETTINGS, DEFAULT_PLUGIN_SETTINGS } from './defaults.js';
export { IDLE_LIMITS, LOG_LEVELS } from './schema.js';
export type { ConfigFile, IdleConfig, PluginConfig, PluginDefaultsConfig } from './schema.js';
export type {
  DaemonConfig,
  HealthPolicy,
  IdleSettings,
  LogLevel,
  PluginSettings,
  PluginTunables,
  RestartPolicy,
  StopTimeouts,
} from './types.js';
