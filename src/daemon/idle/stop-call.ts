// StopInstance through the daemon, once, retried only while the plugin is
// restarting or unreachable. A refusal (permissions, wrong instance state,
// a plugin that failed for good) is final: the monitor reports it and does
// not loop on it.
import type { Clock } from './clock.js';

/** Error codes (DaemonError, HostError) that mean "the plugin is not there right now". */
const TRANSIENT_CODES = new Set(['PLUGIN_NOT_SERVING', 'PLUGIN_STOPPED', 'PLUGIN_UNHEALTHY', 'PLUGIN_START_TIMEOUT', 'PLUGIN_EXITED_EARLY']);
/** gRPC statuses of a call that never reached a working provider. */
const TRANSIENT_GRPC = new Set(['UNAVAILABLE', 'CANCELLED', 'DEADLINE_EXCEEDED', 'ABORTED', 'RESOURCE_EXHAUSTED']);

export const FIRST_RETRY_DELAY_MS = 1_000;
export const MAX_RETRY_DELAY_MS = 30_000;

/** Read by shape, not class: errors cross the daemon/host boundary. */
export function isTransientStopError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, grpcCode } = error as { code?: unknown; grpcCode?: unknown };
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  return code === 'PLUGIN_CALL' && typeof grpcCode === 'string' && TRANSIENT_GRPC.has(grpcCode);
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
      const last = attempt >= options.attempts || !isTransientStopError(error) || aborted(options.signal);
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
