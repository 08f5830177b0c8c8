// The IdleClock's rules, sample by sample with made-up times.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdleClock } from '../../src/daemon/idle/decision.js';
import type { SignalReading } from '../../src/daemon/idle/status.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-23T12:00:00Z');

const quiet: SignalReading[] = [{ signal: 'cpu', value: 1, threshold: 10, unit: '%', busy: false }];
const busyCpu: SignalReading[] = [{ signal: 'cpu', value: 50, threshold: 10, unit: '%', busy: true }];

function clock(overrides: Partial<{ napTimeMs: number; cancelWindowMs: number; graceEndsAt: number }> = {}): IdleClock {
  return new IdleClock({ napTimeMs: 30 * MIN, cancelWindowMs: MIN, graceEndsAt: T0, ...overrides });
}

/** Feeds a sample every `stepMs` from `from` to `to` (inclusive) and collects the actions with their times. */
function feed(c: IdleClock, from: number, to: number, stepMs: number, readings: SignalReading[]): Array<[number, string]> {
  const actions: Array<[number, string]> = [];
  for (let t = from; t <= to; t += stepMs) for (const a of c.observe(t, readings)) actions.push([t, a]);
  return actions;
}

describe('IdleClock', () => {
  it('announces after the nap time and stops after the cancellation window, once', () => {
    const c = clock();
    assert.deepEqual(c.observe(T0, busyCpu), []);
    assert.equal(c.snapshot().phase, 'busy');
    const actions = feed(c, T0 + 10_000, T0 + 120 * MIN, 10_000, quiet);
    // Idle from the first quiet sample (T0+10 s): announce at +30 min, stop one window later.
    assert.deepEqual(actions, [
      [T0 + 10_000 + 30 * MIN, 'announce'],
      [T0 + 10_000 + 31 * MIN, 'stop'],
    ]);
  });

  it('a busy sample inside the nap time resets the idle clock', () => {
    const c = clock();
    feed(c, T0, T0 + 20 * MIN, 10_000, quiet);
    assert.equal(c.snapshot().idleSince, T0);
    assert.deepEqual(c.observe(T0 + 20 * MIN + 10_000, busyCpu), []);
    assert.equal(c.snapshot().idleSince, null);
    assert.deepEqual(c.snapshot().busySignals, ['cpu']);
    const restart = T0 + 20 * MIN + 20_000;
    const actions = feed(c, restart, restart + 40 * MIN, 10_000, quiet);
    assert.deepEqual(actions[0], [restart + 30 * MIN, 'announce']);
  });

  it('never stops within the grace period, however long the machine was idle', () => {
    const c = clock({ graceEndsAt: T0 + 50 * MIN });
    const actions = feed(c, T0, T0 + 60 * MIN, 10_000, quiet);
    assert.deepEqual(actions, [
      [T0 + 50 * MIN, 'announce'],
      [T0 + 51 * MIN, 'stop'],
    ]);
    assert.ok(actions.every(([t]) => t >= T0 + 50 * MIN));
  });

  it('activity inside the cancellation window cancels the stop, and a new nap is needed', () => {
    const c = clock();
    const first = feed(c, T0, T0 + 30 * MIN, 10_000, quiet);
    assert.deepEqual(first, [[T0 + 30 * MIN, 'announce']]);
    assert.equal(c.snapshot().phase, 'announced');
    assert.deepEqual(c.observe(T0 + 30 * MIN + 20_000, busyCpu), ['cancel']);
    assert.equal(c.snapshot().phase, 'busy');
    const later = feed(c, T0 + 31 * MIN, T0 + 50 * MIN, 10_000, quiet);
    assert.deepEqual(later, []);
  });

  it('a zero cancellation window announces and stops in the same sample', () => {
    const c = clock({ cancelWindowMs: 0, napTimeMs: MIN });
    assert.deepEqual(feed(c, T0, T0 + MIN, 10_000, quiet), [
      [T0 + MIN, 'announce'],
      [T0 + MIN, 'stop'],
    ]);
  });

  it('after a stop nothing more happens until the machine is busy, then idle for a whole nap again', () => {
    const c = clock({ napTimeMs: MIN, cancelWindowMs: 0 });
    feed(c, T0, T0 + MIN, 10_000, quiet);
    assert.deepEqual(c.observe(T0 + MIN + 10_000, busyCpu), [], 'a call in flight is not cancelled');
    assert.equal(c.snapshot().phase, 'stopping');
    c.stopFinished(T0 + MIN + 15_000, true);
    assert.equal(c.snapshot().phase, 'stopped');
    assert.deepEqual(feed(c, T0 + 2 * MIN, T0 + 10 * MIN, 10_000, quiet), []);
    c.observe(T0 + 11 * MIN, busyCpu);
    const again = feed(c, T0 + 12 * MIN, T0 + 14 * MIN, 10_000, quiet);
    assert.deepEqual(again, [
      [T0 + 13 * MIN, 'announce'],
      [T0 + 13 * MIN, 'stop'],
    ]);
  });

  it('a failed stop is not retried while the machine stays idle; a config reload allows one more try', () => {
    const c = clock({ napTimeMs: MIN, cancelWindowMs: 0 });
    feed(c, T0, T0 + MIN, 10_000, quiet);
    c.stopFinished(T0 + MIN, false);
    assert.equal(c.snapshot().phase, 'failed');
    assert.deepEqual(feed(c, T0 + 2 * MIN, T0 + 60 * MIN, 10_000, quiet), []);
    c.retryAfterFailure(T0 + 60 * MIN);
    assert.deepEqual(c.observe(T0 + 61 * MIN, quiet), ['announce', 'stop']);
  });

  it('new times apply without losing the idle clock', () => {
    const c = clock();
    feed(c, T0, T0 + 10 * MIN, 10_000, quiet);
    c.setTimes({ napTimeMs: 15 * MIN, cancelWindowMs: MIN, graceEndsAt: T0 });
    assert.equal(c.snapshot().idleSince, T0);
    assert.equal(c.stopDueAt(), T0 + 16 * MIN);
    assert.deepEqual(feed(c, T0 + 11 * MIN, T0 + 16 * MIN, MIN, quiet), [
      [T0 + 15 * MIN, 'announce'],
      [T0 + 16 * MIN, 'stop'],
    ]);
  });

  it('stopDueAt is null while busy and counts grace and the window while idle', () => {
    const c = clock({ graceEndsAt: T0 + 40 * MIN });
    c.observe(T0, busyCpu);
    assert.equal(c.stopDueAt(), null);
    c.observe(T0 + 10_000, quiet);
    assert.equal(c.stopDueAt(), T0 + 41 * MIN);
  });
});
