// Waiting on a zonal operation with a fake clock: the poll intervals, DONE,
// DONE with errors, the deadline while RUNNING (accepted) and while PENDING
// (DEADLINE_EXCEEDED).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitForOperation } from '../../plugins/gcp/operation.js';
import type { ZoneOperation } from '../../plugins/gcp/operation.js';
import { PluginError } from '../../src/sdk/errors.js';

function scripted(statuses: readonly (string | ZoneOperation)[]) {
  let now = 0;
  const sleeps: number[] = [];
  let polls = 0;
  return {
    sleeps,
    options: {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      firstPollMs: 100,
      maxPollMs: 400,
    },
    poll: async (name: string): Promise<ZoneOperation> => {
      const next = statuses[Math.min(polls, statuses.length - 1)];
      polls += 1;
      return typeof next === 'string' ? { name, status: next } : (next as ZoneOperation);
    },
  };
}

const signal = new AbortController().signal;
const FIRST: ZoneOperation = { name: 'operation-1', status: 'PENDING' };

describe('waitForOperation', () => {
  it('polls with a doubling interval up to the cap until DONE', async () => {
    const s = scripted(['PENDING', 'RUNNING', 'RUNNING', 'RUNNING', 'DONE']);
    const outcome = await waitForOperation('instances.stop', FIRST, s.poll, signal, { ...s.options, deadlineMs: 10_000 });
    assert.equal(outcome.finished, true);
    assert.equal(outcome.polls, 5);
    assert.deepEqual(s.sleeps, [100, 200, 400, 400, 400]);
  });

  it('an operation answered DONE needs no poll', async () => {
    const s = scripted([]);
    const outcome = await waitForOperation('instances.start', { name: 'op', status: 'DONE' }, s.poll, signal, { ...s.options, deadlineMs: 1 });
    assert.deepEqual([outcome.finished, outcome.polls, s.sleeps.length], [true, 0, 0]);
  });

  it('DONE with errors throws the mapped operation error', async () => {
    const s = scripted([{ name: 'operation-1', status: 'DONE', error: { errors: [{ code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: 'no room' }] }, httpErrorStatusCode: 503 }]);
    await assert.rejects(waitForOperation('instances.start', FIRST, s.poll, signal, { ...s.options, deadlineMs: 10_000 }), (error: unknown) => {
      assert.ok(error instanceof PluginError);
      assert.equal(error.code, 'UNAVAILABLE');
      assert.match(error.message, /instances\.start operation operation-1 failed: ZONE_RESOURCE_POOL_EXHAUSTED: no room/);
      return true;
    });
  });

  it('RUNNING at the deadline: accepted, not finished; the last sleep is cut to the deadline', async () => {
    const s = scripted(['RUNNING']);
    const outcome = await waitForOperation('instances.stop', FIRST, s.poll, signal, { ...s.options, deadlineMs: 1_000 });
    assert.equal(outcome.finished, false);
    assert.equal(outcome.operation.status, 'RUNNING');
    assert.equal(s.sleeps.reduce((a, b) => a + b, 0), 1_000);
  });

  it('PENDING at the deadline: DEADLINE_EXCEEDED naming the operation', async () => {
    const s = scripted(['PENDING']);
    await assert.rejects(waitForOperation('instances.stop', FIRST, s.poll, signal, { ...s.options, deadlineMs: 2_000 }), (error: unknown) => {
      assert.ok(error instanceof PluginError);
      assert.equal(error.code, 'DEADLINE_EXCEEDED');
      assert.match(error.message, /operation operation-1 was still PENDING after 2 s/);
      assert.match(error.hint ?? '', /gcloud compute operations describe operation-1/);
      return true;
    });
  });
});
