// The start gate: at most `limit` starts at once, the rest served in arrival
// order; a waiter can be cancelled; a slot comes back however its start ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StartGate, defaultStartConcurrency } from '../../src/daemon/supervisor/start-gate.js';
import type { StartPermit } from '../../src/daemon/supervisor/start-gate.js';

/** Lets every settled promise run its continuations. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Starts an acquire and records when it is granted. */
function track(gate: StartGate, name: string, granted: string[], signal?: AbortSignal) {
  const state: { permit?: StartPermit; error?: unknown } = {};
  const done = gate.acquire(signal).then(
    (permit) => {
      granted.push(name);
      state.permit = permit;
    },
    (error: unknown) => {
      state.error = error;
    },
  );
  return { state, done };
}

test('default concurrency: twice the cores, never below 2', () => {
  assert.equal(defaultStartConcurrency(1), 2);
  assert.equal(defaultStartConcurrency(2), 4);
  assert.equal(defaultStartConcurrency(8), 16);
  assert.equal(defaultStartConcurrency(0), 2);
  assert.ok(new StartGate().limit >= 2);
});

test('a limit that is not a positive integer is refused', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new StartGate(bad), RangeError);
});

test('up to the limit pass at once; the rest wait', async () => {
  const gate = new StartGate(2);
  const granted: string[] = [];
  const a = track(gate, 'a', granted);
  const b = track(gate, 'b', granted);
  const c = track(gate, 'c', granted);
  await settle();
  assert.deepEqual(granted, ['a', 'b']);
  assert.equal(gate.active, 2);
  assert.equal(gate.waiting, 1);
  a.state.permit?.release();
  await c.done;
  assert.deepEqual(granted, ['a', 'b', 'c']);
  assert.equal(gate.active, 2);
  assert.equal(gate.waiting, 0);
  b.state.permit?.release();
  c.state.permit?.release();
  assert.equal(gate.active, 0);
});

test('waiters are served first in, first out, and a newcomer does not overtake them', async () => {
  const gate = new StartGate(1);
  const granted: string[] = [];
  const first = track(gate, 'first', granted);
  await first.done;
  const waiters = ['w1', 'w2', 'w3', 'w4'].map((name) => track(gate, name, granted));
  await settle();
  first.state.permit?.release();
  // The slot went to w1 the moment it was released: a newcomer queues behind w2…w4.
  const late = track(gate, 'late', granted);
  for (const w of waiters) {
    await w.done;
    w.state.permit?.release();
  }
  await late.done;
  late.state.permit?.release();
  assert.deepEqual(granted, ['first', 'w1', 'w2', 'w3', 'w4', 'late']);
  assert.equal(gate.active, 0);
});

test('the number of starts holding a slot never exceeds the limit', async () => {
  const gate = new StartGate(3);
  let running = 0;
  let most = 0;
  const work = async () => {
    running += 1;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(Math.random() * 5)));
    running -= 1;
  };
  await Promise.all(Array.from({ length: 40 }, () => gate.run(work)));
  assert.equal(most, 3);
  assert.equal(gate.active, 0);
  assert.equal(gate.waiting, 0);
});

test('a cancelled waiter leaves the queue at once and the next one gets its turn', async () => {
  const gate = new StartGate(1);
  const granted: string[] = [];
  const holder = track(gate, 'holder', granted);
  await holder.done;
  const abort = new AbortController();
  const cancelled = track(gate, 'cancelled', granted, abort.signal);
  const next = track(gate, 'next', granted);
  await settle();
  assert.equal(gate.waiting, 2);
  abort.abort(new Error('unloaded'));
  await cancelled.done;
  assert.match(String(cancelled.state.error), /unloaded/);
  assert.equal(gate.waiting, 1);
  holder.state.permit?.release();
  await next.done;
  assert.deepEqual(granted, ['holder', 'next']);
  next.state.permit?.release();
  assert.equal(gate.active, 0);
});

test('an already aborted signal is refused without queueing; an abort after the grant changes nothing', async () => {
  const gate = new StartGate(1);
  const abort = new AbortController();
  abort.abort(new Error('too late'));
  await assert.rejects(gate.acquire(abort.signal), /too late/);
  assert.equal(gate.active, 0);
  assert.equal(gate.waiting, 0);

  const later = new AbortController();
  const permit = await gate.acquire(later.signal);
  later.abort();
  assert.equal(gate.active, 1);
  permit.release();
  assert.equal(gate.active, 0);
});

test('a failed start gives its slot back; a second release gives nothing more', async () => {
  const gate = new StartGate(1);
  await assert.rejects(
    gate.run(async () => {
      throw new Error('handshake failed');
    }),
    /handshake failed/,
  );
  assert.equal(gate.active, 0);

  const granted: string[] = [];
  const a = track(gate, 'a', granted);
  await a.done;
  const b = track(gate, 'b', granted);
  const c = track(gate, 'c', granted);
  await settle();
  a.state.permit?.release();
  a.state.permit?.release();
  await settle();
  // One release, one hand-over: c still waits for b.
  assert.deepEqual(granted, ['a', 'b']);
  assert.equal(gate.active, 1);
  assert.equal(gate.waiting, 1);
  b.state.permit?.release();
  await c.done;
  c.state.permit?.release();
  assert.equal(gate.active, 0);
});
