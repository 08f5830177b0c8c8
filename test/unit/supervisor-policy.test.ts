// The restart policy and health-miss counting, with numbers for time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MissCounter } from '../../src/daemon/supervisor/health-policy.js';
import { CrashHistory, DEFAULT_RESTART_POLICY, backoffDelay } from '../../src/daemon/supervisor/policy.js';
import type { RestartPolicy } from '../../src/daemon/supervisor/policy.js';

const POLICY: RestartPolicy = { ...DEFAULT_RESTART_POLICY, jitter: 0 };
const half = () => 0.5; // jitter term 2·0.5−1 = 0

test('first crash restarts at once; later ones double from initialBackoffMs up to maxBackoffMs', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 12, 20].map((n) => backoffDelay(n, POLICY)),
    [0, 100, 200, 400, 800, 30_000, 30_000],
  );
});

test('jitter spreads a delay by at most ±jitter', () => {
  const policy = { ...POLICY, jitter: 0.2 };
  assert.equal(backoffDelay(3, policy, () => 0), 160);
  assert.equal(backoffDelay(3, policy, () => 1), 240);
  assert.equal(backoffDelay(3, policy, half), 200);
});

test('maxCrashes inside the window fail the plugin; older crashes fall out of the window', () => {
  const history = new CrashHistory(POLICY);
  const decisions = [0, 1_000, 2_000, 3_000].map((t) => history.record(t, undefined, half));
  assert.deepEqual(decisions.map((d) => d.action), ['restart', 'restart', 'restart', 'restart']);
  const fifth = history.record(4_000, undefined, half);
  assert.deepEqual(fifth, { action: 'fail', crashesInWindow: 5, reason: 'crashed 5 times within 60 s' });

  const spaced = new CrashHistory(POLICY);
  for (const t of [0, 61_000, 122_000, 183_000, 244_000]) assert.equal(spaced.record(t, undefined, half).action, 'restart');
  assert.equal(spaced.count(244_000), 1);
});

test('a plugin that served resetAfterMs before crashing starts a fresh count', () => {
  const history = new CrashHistory(POLICY);
  history.record(0, undefined, half);
  history.record(1_000, undefined, half);
  const decision = history.record(70_000, 5_000, half);
  assert.deepEqual(decision, { action: 'restart', delayMs: 0, crashesInWindow: 1 });
});

test('a new policy keeps the crashes already counted', () => {
  const history = new CrashHistory(POLICY);
  for (const t of [0, 1_000, 2_000]) history.record(t, undefined, half);
  history.setPolicy({ ...POLICY, maxCrashes: 4 });
  assert.equal(history.count(2_500), 3);
  assert.equal(history.record(3_000, undefined, half).action, 'fail');
});

test('health misses: unresponsive after `misses` failures in a row; a success starts over', () => {
  const counter = new MissCounter(3);
  assert.equal(counter.record(false, 'timeout'), false);
  assert.equal(counter.record(false, 'timeout'), false);
  assert.equal(counter.record(true), false);
  assert.equal(counter.misses, 0);
  assert.equal(counter.record(false, 'a'), false);
  assert.equal(counter.record(false, 'b'), false);
  assert.equal(counter.record(false, 'c'), true);
  assert.equal(counter.lastError, 'c');
});
