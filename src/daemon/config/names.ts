// Rules for the names the config uses as keys: plugin names (file names in
// the plugins directory) and environment variable names given to plugins.
import { MAGIC_COOKIE_KEY } from '../../handshake/index.js';

/** Why `name` cannot be a plugin name, or undefined if it can. Same rule as the daemon's API (validatePluginName). */
export function pluginNameProblem(name: string): string | undefined {
  if (name === '' || name.length > 255 || name.includes('/') || name.includes('\0') || name.startsWith('.')) {
    return `invalid plugin name ${JSON.stringify(name.slice(0, 80))}: a plugin's name is its file name in the plugins directory (not empty, no "/", not starting with ".")`;
  }
  return undefined;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `key` cannot be set in a plugin's environment, or undefined if it can. */
export function envKeyProblem(key: string): string | undefined {
  // The daemon sets these last, so a configured value would be silently
  // overwritten; refusing it says so up front.
  if (key === MAGIC_COOKIE_KEY) {
    return "not allowed: this is the handshake's magic cookie, which the daemon sets itself for every plugin";
  }
  if (key.startsWith('PLUGIN_')) {
    return 'not allowed: PLUGIN_* variables belong to the go-plugin protocol (PLUGIN_PROTOCOL_VERSIONS, PLUGIN_MIN_PORT, PLUGIN_UNIX_SOCKET_DIR, ...) and the daemon sets them itself; use another name';
  }
  if (!ENV_NAME.test(key)) {
    return 'not a valid environment variable name (letters, digits and "_", not starting with a digit)';
  }
  return undefined;
}
