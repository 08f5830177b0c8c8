// What happens when a lifecycle job is asked for while others wait: the
// merge rules of the per-plugin job queue, after systemd's job queue. Pure:
// it sees only the kinds of the jobs, so every rule is tested without a
// process.
//
// - Two starts, or two restarts, queued together are one job; a restart
//   asked for while a start waits turns that start into the restart (either
//   way the plugin ends up freshly started once).
// - stop (unload), refuse, remove and shutdown cancel every start and
//   restart still waiting, and abort one that is running (it stops what it
//   spawned and finishes first: the queue never runs two jobs at once).
// - shutdown cancels everything still waiting; after it the queue takes
//   nothing new (job-queue.ts).
// - A start asked for after a stop waits for that stop: it is appended, as
//   is every job nothing above applies to.

export type JobKind = 'start' | 'restart' | 'stop' | 'refuse' | 'remove' | 'reconfigure' | 'crash' | 'shutdown' | 'revive';

export interface JobPlan {
  /** Index of a waiting job the new one joins (its caller waits for that job); undefined: append. */
  readonly mergeInto: number | undefined;
  /** The kind the joined job takes (a start joined by a restart becomes a restart). */
  readonly mergedKind: JobKind | undefined;
  /** Indexes of waiting jobs to cancel. */
  readonly cancel: readonly number[];
  /** Whether the running job, if it is a start or restart, is to be aborted. */
  readonly abortRunning: boolean;
}

const STARTS: ReadonlySet<JobKind> = new Set(['start', 'restart']);
/** Jobs after which the plugin must not be running: anything still waiting to start it is moot. */
const HALTS: ReadonlySet<JobKind> = new Set(['stop', 'refuse', 'remove', 'shutdown']);
/** Jobs whose effect depends only on the state when they run, so two waiting ones are one. */
const IDEMPOTENT: ReadonlySet<JobKind> = new Set(['stop', 'reconfigure', 'refuse', 'revive']);

export function planJob(waiting: readonly JobKind[], running: JobKind | undefined, incoming: JobKind): JobPlan {
  const append = (cancel: number[] = [], abortRunning = false): JobPlan => ({ mergeInto: undefined, mergedKind: undefined, cancel, abortRunning });
  if (incoming === 'shutdown') {
    return append(
      waiting.map((_, i) => i),
      running !== undefined && STARTS.has(running),
    );
  }
  if (HALTS.has(incoming)) {
    const cancel = waiting.flatMap((kind, i) => (STARTS.has(kind) ? [i] : []));
    const abortRunning = running !== undefined && STARTS.has(running);
    // A stop already waiting (and not before a start that is now cancelled) does the job.
    const last = lastIndexWhere(waiting, (kind, i) => !cancel.includes(i));
    if (last !== undefined && waiting[last] === incoming && IDEMPOTENT.has(incoming)) {
      return { mergeInto: last, mergedKind: incoming, cancel, abortRunning };
    }
    return append(cancel, abortRunning);
  }
  const last = waiting.length - 1;
  const tail = waiting[last];
  if (STARTS.has(incoming) && tail !== undefined && STARTS.has(tail)) {
    return { mergeInto: last, mergedKind: incoming === 'restart' || tail === 'restart' ? 'restart' : 'start', cancel: [], abortRunning: false };
  }
  if (IDEMPOTENT.has(incoming) && tail === incoming) {
    return { mergeInto: last, mergedKind: incoming, cancel: [], abortRunning: false };
  }
  return append();
}

function lastIndexWhere<T>(items: readonly T[], accept: (item: T, index: number) => boolean): number | undefined {
  for (let i = items.length - 1; i >= 0; i -= 1) if (accept(items[i] as T, i)) return i;
  return undefined;
}
