// What a failed StopInstance or StartInstance means for whoever asked. These
// calls act on the machine, so the one thing that matters is whether the
// plugin may have received the request:
//
// - never sent (no plugin serving, no connection): safe to ask again, and
//   the idle monitor does (PLUGIN_NOT_SERVING);
// - sent, and the plugin answered no: its answer is the result (the host's
//   own error, a 502 with the plugin's message);
// - sent, and nothing came back: the plugin may be acting on it. Never
//   repeated; the caller is told what to check (OUTCOME_UNKNOWN).
// Pure: the error in, the error to throw out.
import { HostError } from '../host/errors.js';
import { DaemonError } from './errors.js';

/** A call that never reached the plugin, whatever it was: safe to ask again. */
export function notSentError(plugin: string, method: string, why: string): DaemonError {
  return new DaemonError('PLUGIN_NOT_SERVING', `could not reach plugin ${plugin}; ${method} was not sent (${why})`);
}

export function actFailure(plugin: string, method: 'StopInstance' | 'StartInstance', error: unknown): unknown {
  if (!(error instanceof HostError)) return error;
  if (error.code === 'PLUGIN_STOPPED' || (error.code === 'PLUGIN_CALL' && error.delivery === 'not-sent')) return notSentError(plugin, method, error.message);
  if (error.code === 'PLUGIN_CALL' && error.delivery === 'no-answer') {
    return new DaemonError(
      'OUTCOME_UNKNOWN',
      `unknown: ${method} was sent to plugin ${plugin} and no answer came back (${error.grpcCode ?? 'no status'}); ` +
        `the plugin may be acting on it. Check \`snoozebot instance info --plugin ${plugin}\` (or the cloud console) before asking again; ` +
        'the daemon does not repeat it',
      { method, ...(error.grpcCode === undefined ? {} : { grpcCode: error.grpcCode }) },
    );
  }
  return error;
}
