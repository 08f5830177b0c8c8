// The plugin-output budget: a burst, then a steady rate; drops counted and reported once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineBudget } from '../../src/host/line-budget.js';

describe('LineBudget', () => {
  it('logs a burst, then drops, then reports the drops with the next logged line', () => {
    const budget = new LineBudget(10, 5);
    const at0 = Array.from({ length: 8 }, () => budget.take(0));
    assert.deepEqual(
      at0.map((v) => v.log),
      [true, true, true, true, true, false, false, false],
    );
    // 100 ms later: one token back.
    const next = budget.take(100);
    assert.deepEqual(next, { log: true, droppedBefore: 3 });
    assert.deepEqual(budget.take(100), { log: false, droppedBefore: 0 });
    assert.equal(budget.flush(), 1);
    assert.equal(budget.flush(), 0, 'reported once');
  });

  it('a long flood is reported at most once a second', () => {
    const budget = new LineBudget(100, 10);
    let reports = 0;
    let dropped = 0;
    let logged = 0;
    // 10 s of 10,000 lines/s.
    for (let t = 0; t < 10_000; t += 0.1) {
      const v = budget.take(t);
      if (v.log) logged += 1;
      if (v.droppedBefore > 0) {
        reports += 1;
        dropped += v.droppedBefore;
      }
    }
    dropped += budget.flush();
    assert.ok(reports <= 10, `${reports} reports`);
    assert.equal(logged + dropped, 100_000);
    assert.ok(logged <= 10 + 100 * 10 + 1, `${logged} logged`);
  });

  it('refills at the rate, never above the burst', () => {
    const budget = new LineBudget(100, 50);
    for (let i = 0; i < 50; i += 1) assert.equal(budget.take(0).log, true);
    assert.equal(budget.take(0).log, false);
    // An hour of silence refills to the burst, not to 360,000.
    let logged = 0;
    for (let i = 0; i < 1_000; i += 1) if (budget.take(3_600_000).log) logged += 1;
    assert.equal(logged, 50);
  });

  it('a steady flow under the rate is never dropped; a clock going back does not mint tokens', () => {
    const budget = new LineBudget(100, 10);
    for (let t = 0; t < 10_000; t += 20) assert.equal(budget.take(t).log, true);
    const drained = new LineBudget(1, 1);
    assert.equal(drained.take(5_000).log, true);
    assert.equal(drained.take(1_000).log, false);
    assert.equal(drained.take(5_000).log, false);
  });
});
