// The first thing a plugin's entry point runs: a binary started by hand (or
// by a host without our cookie) prints go-plugin's kind of notice and exits 1.
// It imports only the pure handshake code and the stdout guard, so the refusal
// costs no gRPC or logger load: entry points check first, then import the rest.
// From here on stdout is reserved for the handshake.
import { NOT_A_PLUGIN_MESSAGE, checkCookie, isHandshakeError } from '../handshake/index.js';
import { rememberParent } from './host-watch.js';
import { guardProcessStdout } from './stdout-guard.js';

export function exitUnlessLaunchedByHost(env: Readonly<Record<string, string | undefined>> = process.env): void {
  try {
    checkCookie(env);
  } catch (error) {
    if (!isHandshakeError(error)) throw error;
    process.stderr.write(NOT_A_PLUGIN_MESSAGE);
    process.exit(1);
  }
  rememberParent();
  guardProcessStdout();
}
