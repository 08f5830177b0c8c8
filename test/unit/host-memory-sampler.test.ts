import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemorySampler } from '../../src/host/memory-sampler.js';

/** A measurement the test answers by hand, and a clock it moves. */
function rig() {
  let now = 0;
  const pending: Array<{ resolve: (bytes: number) => void; reject: (error: Error) => void }> = [];
  const sampler = new MemorySampler(() => new Promise<number>((resolve, reject) => pending.push({ resolve, reject })), { maxAgeMs: 5_000, now: () => now });
  return { sampler, pending, advance: (ms: number) => (now += ms) };
}

describe('MemorySampler', () => {
  it('measures nothing until asked (no timer of its own)', () => {
    const { sampler, pending } = rig();
    assert.equal(sampler.latest, undefined);
    assert.equal(pending.length, 0);
  });

  it('shares one measurement between callers that ask at once', async () => {
    const { sampler, pending } = rig();
    const first = sampler.refresh();
    const second = sampler.refresh();
    assert.equal(pending.length, 1);
    pending[0]?.resolve(42);
    await Promise.all([first, second]);
    assert.equal(sampler.latest, 42);
  });

  it('keeps a figure younger than the maximum age, and measures again after it', async () => {
    const { sampler, pending, advance } = rig();
    const first = sampler.refresh();
    pending[0]?.resolve(1);
    await first;
    advance(4_999);
    await sampler.refresh();
    assert.equal(pending.length, 1, 'no second measurement within 5 s');
    advance(1);
    const again = sampler.refresh();
    assert.equal(pending.length, 2);
    pending[1]?.resolve(2);
    await again;
    assert.equal(sampler.latest, 2);
  });

  it('never rejects: a failed measurement keeps the last figure and the next ask tries again', async () => {
    const { sampler, pending, advance } = rig();
    const first = sampler.refresh();
    pending[0]?.resolve(7);
    await first;
    advance(5_000);
    const failing = sampler.refresh();
    pending[1]?.reject(new Error('ENOENT'));
    await failing;
    assert.equal(sampler.latest, 7);
    const retry = sampler.refresh();
    assert.equal(pending.length, 3, 'a failure does not count as a fresh figure');
    pending[2]?.resolve(8);
    await retry;
    assert.equal(sampler.latest, 8);
  });

  it('after stop() it forgets its figure, measures nothing, and ignores a measurement still under way', async () => {
    const { sampler, pending } = rig();
    const late = sampler.refresh();
    sampler.stop();
    pending[0]?.resolve(99);
    await late;
    assert.equal(sampler.latest, undefined);
    await sampler.refresh();
    assert.equal(pending.length, 1);
  });
});
