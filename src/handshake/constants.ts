/**
 * Numbers and names both sides of a snoozebot plugin handshake must agree on.
 * They are wire-visible, so changing any of them breaks every plugin built
 * before the change.
 */

/**
 * The version of the handshake line format itself. go-plugin has been at 1
 * since its first release; a plugin printing anything else was built with a
 * framework that lays out its line differently.
 */
export const CORE_PROTOCOL_VERSION = 1;

/**
 * The magic cookie is not a secret. Its only job is to tell a plugin binary
 * that it was started by a snoozebot host, so that someone running it by hand
 * gets a helpful message instead of a process that silently waits forever.
 */
export const MAGIC_COOKIE_KEY = 'SNOOZEBOT_PLUGIN';
export const MAGIC_COOKIE_VALUE = 'snoozebot_plugin_v1';

/**
 * Environment variables the host sets for the plugin. The names are
 * go-plugin's own, so plugins written with the Go SDK understand them.
 */
export const ENV = {
  /** Comma list of app protocol versions the host can speak, e.g. "1,2". */
  protocolVersions: 'PLUGIN_PROTOCOL_VERSIONS',
  /** Port range for plugins that listen on TCP (platforms without unix sockets). */
  minPort: 'PLUGIN_MIN_PORT',
  maxPort: 'PLUGIN_MAX_PORT',
  /** Where a plugin should create its unix socket. */
  unixSocketDir: 'PLUGIN_UNIX_SOCKET_DIR',
  /** The host's PEM certificate when it wants mutual TLS. */
  clientCert: 'PLUGIN_CLIENT_CERT',
} as const;

/**
 * What a plugin prints when someone runs it directly. It mirrors go-plugin's
 * text but points at the things a snoozebot user can actually act on.
 */
export const NOT_A_PLUGIN_MESSAGE =
  'This program is a snoozebot plugin. It is not meant to be run by hand.\n' +
  'Start `snoozebot daemon` instead: it loads the plugins installed in\n' +
  '/etc/snoozebot/plugins and starts them itself when it needs them.\n';
