// What the supervisor does when a plugin fails to start, and how it says so.
// Pure: a HostError (or anything thrown) in, a decision out.
//
// Not every failed start is a crash. A process that exits before it serves,
// hangs past the start timeout, garbles its handshake or stops answering has
// crashed, maybe for a passing reason: it is counted, backed off and retried
// like a crash after serving (policy.ts), and said to have crashed. A plugin
// that starts fine but speaks another protocol, API version or set of RPCs
// will do exactly the same on every retry: it is not counted and not called a
// crash, it is marked failed at once with what does not match. A go-plugin
// plugin of another application (it asks for another magic cookie) is not a
// snoozebot plugin at all: it is refused, like a file that fails the trust
// check, and never retried until its file changes.
import type { HandshakeErrorCode } from '../../handshake/index.js';
import { HostError } from '../../host/errors.js';

export type StartFailure =
  /** A crash at start: counted in the crash window, restarted after the backoff. */
  | { readonly action: 'crash'; readonly reason: string; readonly lastError: string }
  /** Incompatible: failed now, not counted as a crash, not retried. */
  | { readonly action: 'fail'; readonly reason: string; readonly lastError: string }
  /** Not a snoozebot plugin: refused, not retried. */
  | { readonly action: 'refuse'; readonly reason: string; readonly lastError: string };

/** Handshake lines that are well formed but speak another protocol: the same on every retry. */
const INCOMPATIBLE_HANDSHAKE: ReadonlySet<HandshakeErrorCode> = new Set([
  'HANDSHAKE_CORE_VERSION',
  'HANDSHAKE_APP_VERSION',
  'HANDSHAKE_NETRPC',
  'HANDSHAKE_PROTOCOL',
]);

/** Longest stderr line added to a crash's message. */
const TAIL_MAX = 200;

function incompatible(error: HostError): boolean {
  switch (error.code) {
    case 'PLUGIN_INCOMPATIBLE':
    case 'PLUGIN_UNSUPPORTED':
    case 'PLUGIN_SCHEMA':
      return true;
    case 'PLUGIN_HANDSHAKE':
      return error.handshakeCode !== undefined && INCOMPATIBLE_HANDSHAKE.has(error.handshakeCode);
    default:
      return false;
  }
}

export function judgeStartFailure(error: unknown): StartFailure {
  if (!(error instanceof HostError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { action: 'crash', reason: `failed to start: ${message}`, lastError: message };
  }
  // Not a snoozebot plugin, or a file that failed the trust check at this start: refused until it changes (or an operator loads it again).
  if (error.code === 'PLUGIN_FOREIGN' || error.code === 'PLUGIN_UNTRUSTED') return { action: 'refuse', reason: error.message, lastError: error.message };
  if (incompatible(error)) {
    return {
      action: 'fail',
      reason: `cannot load: ${error.message} (not retried: every start would fail the same way; fix the plugin, then load it again or replace its file)`,
      lastError: error.message,
    };
  }
  // The plugin's last stderr line usually says why it died; it is already in
  // the message when the message quotes the tail.
  const tail = error.stderrTail.at(-1);
  const lastError = tail === undefined || error.message.includes(tail) ? error.message : `${error.message}: ${tail.slice(0, TAIL_MAX)}`;
  return { action: 'crash', reason: `failed to start: ${lastError}`, lastError };
}
