// The merge rules of a plugin's job queue, without processes (job-plan.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planJob } from '../../src/daemon/supervisor/job-plan.js';

describe('planJob', () => {
  it('two restarts queued together are one restart', () => {
    assert.deepEqual(planJob(['restart'], 'start', 'restart'), { mergeInto: 0, mergedKind: 'restart', cancel: [], abortRunning: false });
  });

  it('a restart asked for while a start waits turns it into the restart', () => {
    const plan = planJob(['start'], 'stop', 'restart');
    assert.equal(plan.mergeInto, 0);
    assert.equal(plan.mergedKind, 'restart');
  });

  it('a start joins a waiting restart, which stays a restart', () => {
    const plan = planJob(['restart'], undefined, 'start');
    assert.equal(plan.mergeInto, 0);
    assert.equal(plan.mergedKind, 'restart');
  });

  it('an unload cancels every waiting start and restart and aborts a running start', () => {
    const plan = planJob(['start', 'reconfigure', 'restart'], 'start', 'stop');
    assert.deepEqual(plan.cancel, [0, 2]);
    assert.equal(plan.abortRunning, true);
    assert.equal(plan.mergeInto, undefined, 'the reconfigure stays; the stop comes after it');
  });

  it('an unload does not abort a running stop or crash job', () => {
    assert.equal(planJob([], 'stop', 'stop').abortRunning, false);
    assert.equal(planJob([], 'crash', 'stop').abortRunning, false);
  });

  it('a second unload joins the first one still waiting', () => {
    assert.deepEqual(planJob(['stop', 'start'], 'start', 'stop'), { mergeInto: 0, mergedKind: 'stop', cancel: [1], abortRunning: true });
  });

  it('a load after an unload waits for it', () => {
    assert.deepEqual(planJob(['stop'], 'start', 'start'), { mergeInto: undefined, mergedKind: undefined, cancel: [], abortRunning: false });
  });

  it('shutdown cancels everything still waiting', () => {
    const plan = planJob(['stop', 'start', 'crash', 'reconfigure'], 'restart', 'shutdown');
    assert.deepEqual(plan.cancel, [0, 1, 2, 3]);
    assert.equal(plan.abortRunning, true);
  });

  it('crash reports are never merged: each is checked against the process it names', () => {
    assert.equal(planJob(['crash'], undefined, 'crash').mergeInto, undefined);
  });

  it('removing a plugin cancels its waiting starts; refusing one too', () => {
    assert.deepEqual(planJob(['start'], undefined, 'remove').cancel, [0]);
    assert.deepEqual(planJob(['restart'], undefined, 'refuse').cancel, [0]);
  });
});
