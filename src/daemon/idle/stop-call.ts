// StopInstance through the daemon, at most once per decision: it is tried
// again only when the previous attempt provably never reached a plugin (no
// plugin serving, no connection before the request was written). A call
// that went out is never repeated, whatever became of it: a refusal
// (permissions, wrong instance state) is the plugin's answer, and a call
// with no answer (a deadline, the connection lost because the machine is
// already going down) may be carried out, so a second one could queue a
// second power-off. Both are reported once, never looped on.
import type { Clock } from './clock.js';

/**
 * Error codes (DaemonError, HostError) of a stop that was never sent: the
 * daemon found no plugin serving (it restarts, or its start failed) or could
 * not connect to it (act-failure.ts turns a not-sent call into PLUGIN_NOT_SERVING).
 */
const NOT_SENT_CODES = new Set(['PLUGIN_NOT_SERVING', 'PLUGIN_STOPPED', 'PLUGIN_UNHEALTHY', 'PLUGIN_START_TIMEOUT', 'PLUGIN_EXITED_EARLY']);

export const FIRST_RETRY_DELAY_MS = 1_000;
export const MAX_RETRY_DELAY_MS = 30_000;

/** Read by shape, not class: errors cross the daemon/host boundary. */
export function isNotSentStopError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && NOT_SENT_CODES.has(code);
}

export type StopCallResult<T> =
  | { readonly ok: true; readonly answer: T; readonly attempts: number }
  | { readonly ok: false; readonly error: Error; readonly attempts: number };

export interface StopCallOptions {
  readonly attempts: number;
  readonly clock: Clock;
  /** Told before each wait, so the log says why the stop is late. */
  readonly onRetry?: (error: Error, attempt: number, delayMs: number) => void;
  /** Aborted when the daemon closes: no more attempts, and a backoff wait ends at once. */
  readonly signal?: AbortSignal;
}

export async function callStopWithRetries<T>(call: () => Promise<T>, options: StopCallOptions): Promise<StopCallResult<T>> {
  let delayMs = FIRST_RETRY_DELAY_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return { ok: true, answer: await call(), attempts: attempt };
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      const last = attempt >= options.attempts || !isNotSentStopError(error) || aborted(options.signal);
      if (last) return { ok: false, error, attempts: attempt };
      options.onRetry?.(error, attempt, delayMs);
      await wait(options.clock, delayMs, options.signal);
      if (aborted(options.signal)) return { ok: false, error, attempts: attempt };
      delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
    }
  }
}

function wait(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = clock.setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** A function, not a property read: the compiler would otherwise assume the flag cannot change across an await. */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
