// A plugin's job queue with a runner the test controls: one job at a time,
// merges, cancellations, aborts of a running start, and no job after a shutdown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobCancelledError, JobQueue, QueueClosedError } from '../../src/daemon/supervisor/job-queue.js';
import type { Job } from '../../src/daemon/supervisor/job-queue.js';
import type { JobKind } from '../../src/daemon/supervisor/job-plan.js';

interface Held {
  readonly job: Job;
  readonly signal: AbortSignal;
  finish(): void;
}

/** A queue whose jobs run until the test finishes them; `log` records starts and ends. */
function rig() {
  const log: string[] = [];
  const held: Held[] = [];
  let running = 0;
  let most = 0;
  const queue = new JobQueue<Job>(
    (job, signal) =>
      new Promise<void>((resolve, reject) => {
        running += 1;
        most = Math.max(most, running);
        log.push(`begin ${job.kind} ${job.reason}`);
        const end = (settle: () => void) => {
          running -= 1;
          log.push(`end ${job.kind} ${job.reason}`);
          settle();
        };
        signal.addEventListener('abort', () => end(() => reject(signal.reason as Error)), { once: true });
        held.push({ job, signal, finish: () => end(resolve) });
      }),
  );
  const job = (kind: JobKind, reason: string = kind): Job => ({ kind, reason });
  /** Finishes the running job and lets the queue pick the next one. */
  const finishRunning = async () => {
    const current = held.find((h) => !h.signal.aborted && h.job === queue.running);
    assert.ok(current, 'a job is running');
    current.finish();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { queue, log, job, finishRunning, most: () => most };
}

describe('JobQueue', () => {
  it('runs one job at a time, in the order asked for', async () => {
    const r = rig();
    const done = [r.queue.enqueue(r.job('start', 'a')), r.queue.enqueue(r.job('reconfigure', 'b')), r.queue.enqueue(r.job('crash', 'c'))];
    await r.finishRunning();
    await r.finishRunning();
    await r.finishRunning();
    await Promise.all(done);
    assert.deepEqual(r.log, ['begin start a', 'end start a', 'begin reconfigure b', 'end reconfigure b', 'begin crash c', 'end crash c']);
    assert.equal(r.most(), 1);
  });

  it('restarts asked for together run once, and every caller learns when', async () => {
    const r = rig();
    const first = r.queue.enqueue(r.job('stop', 'running'));
    const restarts = [1, 2, 3].map((i) => r.queue.enqueue(r.job('restart', `r${i}`)));
    assert.equal(r.queue.waiting.length, 1);
    await r.finishRunning();
    await r.finishRunning();
    await Promise.all([first, ...restarts]);
    assert.deepEqual(r.log.filter((l) => l.startsWith('begin')), ['begin stop running', 'begin restart r3']);
  });

  it('an unload cancels a waiting load (the caller is told) and aborts the running start', async () => {
    const r = rig();
    const running = r.queue.enqueue(r.job('start', 'boot'));
    const waiting = r.queue.enqueue(r.job('restart', 'by request'));
    const unload = r.queue.enqueue(r.job('stop', 'unload'));
    await assert.rejects(waiting, (error: unknown) => error instanceof JobCancelledError && error.by.reason === 'unload');
    await assert.rejects(running, (error: unknown) => error instanceof JobCancelledError && error.job.reason === 'boot');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(r.queue.running?.kind, 'stop');
    await r.finishRunning();
    await unload;
    assert.deepEqual(r.log, ['begin start boot', 'end start boot', 'begin stop unload', 'end stop unload']);
  });

  it('a load after an unload waits for the unload to finish', async () => {
    const r = rig();
    const unload = r.queue.enqueue(r.job('stop', 'unload'));
    const load = r.queue.enqueue(r.job('start', 'load'));
    assert.deepEqual(r.queue.waiting.map((j) => j.kind), ['start']);
    await r.finishRunning();
    await unload;
    assert.equal(r.queue.running?.kind, 'start');
    await r.finishRunning();
    await load;
  });

  it('shutdown cancels everything waiting and refuses new jobs', async () => {
    const r = rig();
    void r.queue.enqueue(r.job('crash', 'exit'));
    const waiting = r.queue.enqueue(r.job('reconfigure', 'reload'));
    const shutdown = r.queue.enqueue(r.job('shutdown', 'SIGTERM'));
    await assert.rejects(waiting, JobCancelledError);
    await assert.rejects(r.queue.enqueue(r.job('start', 'late')), (error: unknown) => error instanceof QueueClosedError && /SIGTERM/.test(error.message));
    assert.equal(r.queue.closed, true);
    await r.finishRunning();
    await r.finishRunning();
    await shutdown;
    await r.queue.whenIdle();
    assert.equal(r.queue.running, undefined);
  });

  it('a job that throws rejects its caller and the next job still runs', async () => {
    const queue = new JobQueue<Job>(async (job) => {
      if (job.reason === 'bad') throw new Error('boom');
    });
    await assert.rejects(queue.enqueue({ kind: 'start', reason: 'bad' }), /boom/);
    await queue.enqueue({ kind: 'stop', reason: 'good' });
  });
});
