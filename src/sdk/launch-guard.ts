// The first thing a plugin's entry point runs: a binary started by hand (or
// by a host without our cookie) prints go-plugin's kind of notice and exits 1.
// It imports only the pure handshake code, so the refusal costs no gRPC or
// logger load: entry points check first, then import the rest.
import { NOT_A_PLUGIN_MESSAGE, checkCookie, isHandshakeError } from '../handshake/index.js';

export function exitUnlessLaunchedByHost(env: Readonly<Record<string, string | undefined>> = process.env): void {
  try {
    checkCookie(env);
  } catch (error) {
    if (!isHandshakeError(error)) throw error;
    process.stderr.write(NOT_A_PLUGIN_MESSAGE);
    process.exit(1);
  }
}
