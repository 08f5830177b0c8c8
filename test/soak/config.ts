// The daemon's configuration for a soak: fast enough that a fault resolves in
// about a second, strict enough that a plugin hit repeatedly ends up `failed`.
//
// - health: a check every 200 ms, 150 ms to answer, 3 misses: a hung
//   plugin is killed about 0.6 to 1 s after it stops answering.
// - restart: 4 crashes inside 15 s mark a plugin failed; serving 3 s forgets
//   earlier crashes, so scattered faults are restarted forever while a crash
//   loop (or a broken binary) gives up within a couple of seconds. 15 s, not
//   10: a binary whose handshake comes too late crashes once per start
//   timeout (3 s) plus its stop and backoff, and four of those must fit.
// - startTimeoutMs 3000: a node plugin starts in a few hundred ms even on a
//   busy 2-core machine; the late-handshake fixture answers after 6 s.
// - stop: 500 ms for the controller, then 500 ms after SIGTERM.
import { LATE_HANDSHAKE_S } from './run-dir.js';

export const START_TIMEOUT_MS = 3_000;
export const MAX_CRASHES = 4;

/** The daemon's config for a run: SOAK_CONFIG, and the writer plugins' stop command (a line appended to `stopFile`). */
export function soakConfig(writers: readonly string[], stopFile: string): unknown {
  const env = { SNOOZEBOT_LOCAL_STOP_COMMAND: `echo stop >> '${stopFile}'` };
  return { ...SOAK_CONFIG, plugins: Object.fromEntries(writers.map((name) => [name, { env }])) };
}

export const SOAK_CONFIG = {
  // Not a dry run: the writers' instance stop must reach their plugins. Idle stops are off.
  idle: { enabled: false },
  defaults: {
    startTimeoutMs: START_TIMEOUT_MS,
    health: { intervalMs: 200, timeoutMs: 150, misses: 3 },
    restart: { initialBackoffMs: 20, maxBackoffMs: 200, maxCrashes: MAX_CRASHES, crashWindowMs: 15_000, resetAfterMs: 3_000 },
    stop: { controllerMs: 500, termMs: 500 },
  },
} as const;

if (LATE_HANDSHAKE_S * 1000 <= START_TIMEOUT_MS) throw new Error('the late-handshake fixture must answer after the start timeout');
