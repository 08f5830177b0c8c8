// One plugin's lifecycle jobs, run one at a time in the order asked for,
// with the merge and cancel rules of job-plan.ts. Every change to a plugin's
// process goes through here, so no two of them ever interleave across an
// await: a job sees the state the previous one left, and nothing else moves
// it meanwhile.
//
// A job's caller gets a promise for its outcome; a job cancelled while it
// waited rejects with JobCancelledError. After close() (the daemon's
// shutdown) the queue refuses new jobs with QueueClosedError.
import { planJob } from './job-plan.js';
import type { JobKind } from './job-plan.js';

export interface Job {
  readonly kind: JobKind;
  readonly reason: string;
}

export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError';
  readonly code = 'JOB_CANCELLED';
  constructor(
    readonly job: Job,
    readonly by: Job,
  ) {
    super(`${job.kind} (${job.reason}) was cancelled by ${by.kind} (${by.reason})`);
  }
}

export class QueueClosedError extends Error {
  override readonly name = 'QueueClosedError';
  readonly code = 'QUEUE_CLOSED';
  constructor(
    readonly job: Job,
    readonly closedBy: string,
  ) {
    super(`${job.kind} (${job.reason}) refused: ${closedBy}`);
  }
}

interface Entry<J extends Job> {
  job: J;
  readonly settle: Settle;
  readonly done: Promise<void>;
}

interface Settle {
  resolve(): void;
  reject(error: unknown): void;
}

/** Runs a job; the signal aborts when a later job cancels this one while it runs (starts only). */
export type JobRunner<J extends Job> = (job: J, signal: AbortSignal) => Promise<void>;

export class JobQueue<J extends Job> {
  readonly #run: JobRunner<J>;
  readonly #waiting: Entry<J>[] = [];
  #running: { readonly entry: Entry<J>; readonly abort: AbortController } | undefined;
  #closedBy: string | undefined;
  #idle: Promise<void> = Promise.resolve();
  #markIdle: (() => void) | undefined;

  constructor(run: JobRunner<J>) {
    this.#run = run;
  }

  /** The job running now, if any. */
  get running(): J | undefined {
    return this.#running?.entry.job;
  }

  /** Jobs waiting their turn, oldest first. */
  get waiting(): readonly J[] {
    return this.#waiting.map((entry) => entry.job);
  }

  get closed(): boolean {
    return this.#closedBy !== undefined;
  }

  /**
   * Asks for a job. Resolves when it (or the waiting job it merged into) has
   * run; rejects with what the job threw, or JobCancelledError.
   * `merge(into, incoming)` picks the job that runs when the two merge (default: the incoming one).
   */
  enqueue(job: J, merge: (waiting: J, incoming: J) => J = (_, incoming) => incoming): Promise<void> {
    if (this.#closedBy !== undefined) return Promise.reject(new QueueClosedError(job, this.#closedBy));
    const plan = planJob(
      this.#waiting.map((entry) => entry.job.kind),
      this.#running?.entry.job.kind,
      job.kind,
    );
    for (const index of [...plan.cancel].sort((a, b) => b - a)) {
      const [cancelled] = this.#waiting.splice(index, 1);
      cancelled?.settle.reject(new JobCancelledError(cancelled.job, job));
    }
    if (plan.abortRunning) this.#running?.abort.abort(new JobCancelledError(this.#running.entry.job, job));
    if (job.kind === 'shutdown') this.#closedBy = job.reason;
    // Indexes of the plan refer to the list before the cancellations.
    const target = plan.mergeInto === undefined ? undefined : this.#entryAfterCancel(plan.mergeInto, plan.cancel);
    if (target !== undefined) {
      const merged = merge(target.job, job);
      target.job = { ...merged, kind: plan.mergedKind ?? merged.kind };
      return target.done;
    }
    let settle!: Settle;
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // A caller that does not wait for its job must not turn its failure into an unhandled rejection.
    done.catch(() => undefined);
    this.#waiting.push({ job, settle, done });
    this.#pump();
    return done;
  }

  /** Resolves once no job runs or waits. */
  whenIdle(): Promise<void> {
    return this.#idle;
  }

  #entryAfterCancel(index: number, cancelled: readonly number[]): Entry<J> | undefined {
    const shift = cancelled.filter((c) => c < index).length;
    return this.#waiting[index - shift];
  }

  #pump(): void {
    if (this.#running !== undefined) return;
    const entry = this.#waiting.shift();
    if (entry === undefined) {
      this.#markIdle?.();
      this.#markIdle = undefined;
      return;
    }
    if (this.#markIdle === undefined) this.#idle = new Promise<void>((resolve) => (this.#markIdle = resolve));
    const abort = new AbortController();
    this.#running = { entry, abort };
    this.#run(entry.job, abort.signal).then(
      () => this.#finish(() => entry.settle.resolve()),
      (error: unknown) => this.#finish(() => entry.settle.reject(error)),
    );
  }

  #finish(settle: () => void): void {
    this.#running = undefined;
    settle();
    this.#pump();
  }
}
