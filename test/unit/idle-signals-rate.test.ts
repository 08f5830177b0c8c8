import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ratePerSecond } from '../../src/daemon/idle/signals/rate.js';

describe('ratePerSecond', () => {
  it('divides the counter difference by the elapsed seconds', () => {
    assert.equal(ratePerSecond(1_000, 11_000, 10_000), 1_000);
    assert.equal(ratePerSecond(1_000, 1_000, 10_000), 0);
    assert.equal(ratePerSecond(0, 512, 250), 2_048);
  });

  it('keeps precision on counters far above 2^32', () => {
    const start = 2 ** 45;
    assert.equal(ratePerSecond(start, start + 5_000_000, 10_000), 500_000);
  });

  it('is undefined for a counter that went down (reset, a device gone, a wrap)', () => {
    assert.equal(ratePerSecond(5_000, 4_999, 10_000), undefined);
    assert.equal(ratePerSecond(2 ** 32 - 10, 20, 10_000), undefined);
  });

  it('is undefined when no time or negative time passed, or for non-finite counters', () => {
    assert.equal(ratePerSecond(0, 100, 0), undefined);
    assert.equal(ratePerSecond(0, 100, -5), undefined);
    assert.equal(ratePerSecond(Number.NaN, 100, 1000), undefined);
    assert.equal(ratePerSecond(0, Number.POSITIVE_INFINITY, 1000), undefined);
  });
});
