// Layering: built-in defaults < config file < SNOOZEBOT_* environment < flags.
// Pure; every layer has been validated before it gets here.
import { DEFAULT_DAEMON_SETTINGS } from './defaults.js';
import { resolveIdleSettings } from './idle-settings.js';
import type { ConfigOverrides } from './overrides.js';
import type { ConfigFile } from './schema.js';
import type { DaemonConfig } from './types.js';

/** `overrides` in increasing precedence (environment, then flags). */
export function resolveConfig(
  file: ConfigFile,
  configPath: string | null,
  overrides: readonly ConfigOverrides[] = [],
): DaemonConfig {
  const top: { -readonly [K in keyof typeof DEFAULT_DAEMON_SETTINGS]: (typeof DEFAULT_DAEMON_SETTINGS)[K] } = {
    ...DEFAULT_DAEMON_SETTINGS,
  };
  for (const layer of [file, ...overrides]) {
    if (layer.pluginsDir !== undefined) top.pluginsDir = layer.pluginsDir;
    if (layer.socket !== undefined) top.socket = layer.socket;
    if (layer.stateDir !== undefined) top.stateDir = layer.stateDir;
    if (layer.logLevel !== undefined) top.logLevel = layer.logLevel;
    if (layer.dryRun !== undefined) top.dryRun = layer.dryRun;
    if (layer.defaultProvider !== undefined) top.defaultProvider = layer.defaultProvider;
  }
  if (file.autoload !== undefined) top.autoload = file.autoload;
  if (file.socketGroup !== undefined) top.socketGroup = file.socketGroup;
  if (file.maxConnections !== undefined) top.maxConnections = file.maxConnections;
  if (file.cgroups !== undefined) top.cgroups = file.cgroups;
  top.idle = resolveIdleSettings(file.idle, overrides.map((layer) => layer.idle));
  return {
    ...top,
    defaults: file.defaults ?? {},
    plugins: file.plugins ?? {},
    configPath,
  };
}
