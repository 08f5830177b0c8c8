// One plugin's effective settings: built-in defaults ⊕ the file's `defaults`
// section ⊕ the plugin's own section, key by key (a plugin that sets only
// restart.maxCrashes keeps every other restart value). Pure.
import { DEFAULT_PLUGIN_SETTINGS } from './defaults.js';
import type { PluginConfig } from './schema.js';
import type { DaemonConfig, PluginSettings } from './types.js';

export function pluginSettings(config: Pick<DaemonConfig, 'defaults' | 'plugins'>, name: string): PluginSettings {
  const own = ownSection(config, name);
  const shared = config.defaults;
  const builtIn = DEFAULT_PLUGIN_SETTINGS;
  return {
    enabled: own?.enabled,
    env: { ...own?.env },
    sha256: own?.sha256,
    start: own?.start ?? shared.start ?? builtIn.start,
    autoMtls: own?.autoMtls ?? shared.autoMtls ?? builtIn.autoMtls,
    startTimeoutMs: own?.startTimeoutMs ?? shared.startTimeoutMs ?? builtIn.startTimeoutMs,
    callTimeoutMs: own?.callTimeoutMs ?? shared.callTimeoutMs ?? builtIn.callTimeoutMs,
    restart: overlay(builtIn.restart, shared.restart, own?.restart),
    health: overlay(builtIn.health, shared.health, own?.health),
    stop: overlay(builtIn.stop, shared.stop, own?.stop),
  };
}

/** Whether the daemon loads `name` when it finds it: enabled: true always, enabled: false never, else autoload. */
export function isPluginEnabled(config: Pick<DaemonConfig, 'autoload' | 'plugins'>, name: string): boolean {
  const enabled = ownSection(config, name)?.enabled;
  return enabled === true || (config.autoload && enabled !== false);
}

// Object.hasOwn: a plugin may be named "constructor" or "toString".
function ownSection(config: Pick<DaemonConfig, 'plugins'>, name: string): PluginConfig | undefined {
  return Object.hasOwn(config.plugins, name) ? config.plugins[name] : undefined;
}

function overlay<T extends object>(base: T, ...layers: Array<Partial<T> | undefined>): T {
  const result: T = { ...base };
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const key of Object.keys(base) as Array<keyof T>) {
      const value = layer[key];
      if (value !== undefined) result[key] = value as T[keyof T];
    }
  }
  return result;
}
