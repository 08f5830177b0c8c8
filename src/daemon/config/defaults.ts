// Built-in defaults (docs/architecture.md, "Plugin states in the daemon" and "CLI
// contract"). The host's own defaults are reused so a plugin started without
// a daemon behaves the same.
import { DEFAULTS as HOST_DEFAULTS } from '../../host/options.js';
import { DEFAULT_MAX_CONNECTIONS } from '../api/connection-limit.js';
import { DEFAULT_IDLE_SETTINGS } from '../idle/settings.js';
import { DEFAULT_HEALTH_POLICY } from '../supervisor/health-policy.js';
import { DEFAULT_RESTART_POLICY } from '../supervisor/policy.js';
import type { DaemonConfig, PluginTunables } from './types.js';

export const DEFAULT_CONFIG_PATH = '/etc/snoozebot/config.json';

export const DEFAULT_DAEMON_SETTINGS: Omit<DaemonConfig, 'defaults' | 'plugins' | 'configPath'> = {
  pluginsDir: '/etc/snoozebot/plugins',
  socket: '/run/snoozebot/snoozebot.sock',
  socketGroup: null,
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  cgroups: true,
  stateDir: '/var/lib/snoozebot',
  logLevel: 'info',
  dryRun: false,
  defaultProvider: null,
  autoload: true,
  idle: DEFAULT_IDLE_SETTINGS,
};

export const DEFAULT_PLUGIN_SETTINGS: PluginTunables = {
  start: 'boot',
  // go-plugin's default; plugins talk over a unix socket only the daemon can reach.
  autoMtls: false,
  startTimeoutMs: HOST_DEFAULTS.startTimeoutMs,
  callTimeoutMs: HOST_DEFAULTS.callTimeoutMs,
  restart: DEFAULT_RESTART_POLICY,
  health: DEFAULT_HEALTH_POLICY,
  stop: { controllerMs: HOST_DEFAULTS.stopTimeouts.controllerMs, termMs: HOST_DEFAULTS.stopTimeouts.termMs },
};
