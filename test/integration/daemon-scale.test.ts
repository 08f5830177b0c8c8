// Many plugins starting at once go through the daemon's start gate: a few at
// a time, in order, and a plugin unloaded while it waits for its turn never
// starts and holds nobody up.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import pino from 'pino';
import { StartGate, defaultStartConcurrency } from '../../src/daemon/supervisor/start-gate.js';
import { SupervisedPlugin } from '../../src/daemon/supervisor/supervised-plugin.js';
import type { SupervisorSettings } from '../../src/daemon/supervisor/supervised-plugin.js';
import { DaemonDir } from '../helpers/daemon.js';
import type { LogLine } from '../helpers/daemon.js';
import { mostAtOnce } from '../helpers/concurrency.js';
import { LOCAL_PLUGIN } from '../helpers/paths.js';

const logger = pino({ level: 'silent' });

const SETTINGS: SupervisorSettings = {
  env: {},
  sha256: undefined,
  start: 'boot',
  autoMtls: false,
  startTimeoutMs: 10_000,
  callTimeoutMs: 5_000,
  restart: { initialBackoffMs: 10, maxBackoffMs: 50, jitter: 0, maxCrashes: 4, crashWindowMs: 60_000, resetAfterMs: 60_000 },
  health: { intervalMs: 5_000, timeoutMs: 1_000, misses: 3 },
  stop: { controllerMs: 1_000, termMs: 500 },
};

test('plugins sharing a gate of 1 start one after another; one unloaded while it waits never spawns', async (t) => {
  const gate = new StartGate(1);
  const events: string[] = [];
  const make = (name: string) => {
    const plugin = new SupervisedPlugin({
      name,
      path: LOCAL_PLUGIN,
      settings: SETTINGS,
      wanted: { state: 'loaded', by: 'config', at: null },
      logger,
      startGate: gate,
      hooks: {
        onProcessStarted: () => events.push(`${name} spawned`),
        onTransition: (status) => {
          if (status.state === 'serving') events.push(`${name} serving`);
        },
      },
    });
    t.after(() => plugin.shutdown('test cleanup'));
    return plugin;
  };
  const [a, b, c] = [make('a'), make('b'), make('c')];

  const loads = [a, b, c].map((p) => p.load('test').then(() => 'serving', (error: unknown) => (error as Error).message));
  // b and c are queued behind a, in the starting state with no process yet.
  assert.equal(gate.waiting, 2);
  assert.equal(b.status().state, 'starting');
  assert.equal(b.status().pid, null);

  await b.unload('unloaded while waiting');
  assert.equal(b.status().state, 'stopped');
  assert.equal(b.status().wanted, 'unloaded');
  assert.equal(gate.waiting, 1);

  const [aLoad, bLoad, cLoad] = await Promise.all(loads);
  assert.equal(aLoad, 'serving');
  assert.match(bLoad ?? '', /start \(test\) was cancelled by a later unload \(unloaded while waiting\)/);
  assert.equal(cLoad, 'serving');
  assert.deepEqual(events, ['a spawned', 'a serving', 'c spawned', 'c serving']);
  assert.equal(gate.active, 0);
  assert.equal(gate.waiting, 0);
});

/**
 * The most starts running at the same moment, from the host's "plugin
 * serving" lines (`time` − `ms` to `time`). Log times are whole
 * milliseconds, so each start is taken to begin up to 1 ms later than it may
 * have: the count can only come out low, never high.
 */
function startsAtOnce(lines: readonly LogLine[]): number {
  const intervals: Array<[number, number]> = [];
  for (const line of lines) {
    if (line.msg !== 'plugin serving' || typeof line.ms !== 'number' || typeof line.time !== 'number') continue;
    intervals.push([line.time - line.ms + 1, line.time]);
  }
  return mostAtOnce(intervals);
}

test('a daemon with 12 plugins: starts and a kill -9 of all of them at once go through the start gate', async (t) => {
  const count = 12;
  const limit = defaultStartConcurrency(availableParallelism());
  const dir = await DaemonDir.create(t);
  const names = Array.from({ length: count }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
  for (const name of names) await dir.addPlugin(name, LOCAL_PLUGIN);
  // Default health checks: the fast ones of the other daemon tests could miss under a crowd of starts on a small machine.
  const daemon = await dir.start({ config: { defaults: { stop: { controllerMs: 500, termMs: 500 } } } });
  const first = await daemon.waitFor((plugins) => plugins.length === count && plugins.every((p) => p.state === 'serving' && p.pid !== null), {
    timeoutMs: 60_000,
    what: `all ${count} plugins serving`,
  });
  assert.ok(startsAtOnce(daemon.logs) <= limit, `more than ${limit} starts at once`);

  // By time, not by position in the log: a first start's line can still be on its way when the API already says serving.
  const killedAt = Date.now();
  const oldPids = new Set(first.map((p) => p.pid));
  for (const p of first) process.kill(p.pid ?? 0, 'SIGKILL');
  const again = await daemon.waitFor(
    (plugins) => plugins.every((p) => p.state === 'serving' && p.pid !== null && !oldPids.has(p.pid)),
    { timeoutMs: 60_000, what: `all ${count} plugins serving again` },
  );
  // Each was killed once and restarted once: no start timed out in the crowd.
  assert.deepEqual(
    again.map((p) => p.restarts),
    names.map(() => 1),
  );
  const restarts = daemon.logs.filter((l) => typeof l.time === 'number' && l.time >= killedAt);
  assert.equal(restarts.filter((l) => l.msg === 'plugin serving').length, count);
  assert.ok(startsAtOnce(restarts) <= limit, `more than ${limit} restarts at once`);
});
