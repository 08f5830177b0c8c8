// A daemon-wide limit on how many plugin starts run at once.
//
// A plugin start (spawn, handshake, health SERVING, the identity calls) is
// mostly CPU: a Node.js plugin spends ~100 ms of it compiling and running
// its code. When many plugins start together (daemon start with a full
// plugins directory, or all of them killed at once), running every start in
// parallel on a 2-core machine makes each of them slow, the first one to
// serve arrives only when nearly all do, and start deadlines are missed under
// the load. The gate lets a few starts run and queues the rest in arrival
// order, so plugins come up one batch after another and a lone restart (the
// usual case) passes straight through.
//
// First in, first out: a released slot is handed to the oldest waiter, never
// taken by a newcomer, so no start waits forever. A waiter whose plugin is
// unloaded or stopped meanwhile leaves the queue through its AbortSignal.
import { availableParallelism } from 'node:os';

/** One slot of the gate; release() gives it to the next waiter. Calling it again does nothing. */
export interface StartPermit {
  release(): void;
}

interface Waiter {
  grant(permit: StartPermit): void;
}

/** Twice the cores, at least 2: starts wait on I/O (handshake, connect) part of the time, so a little overlap keeps the cores busy. */
export function defaultStartConcurrency(cores: number = availableParallelism()): number {
  return Math.max(2, 2 * Math.max(1, Math.floor(cores)));
}

export class StartGate {
  readonly limit: number;
  #active = 0;
  readonly #queue: Waiter[] = [];

  constructor(limit: number = defaultStartConcurrency()) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`start gate limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  /** Starts holding a slot now. */
  get active(): number {
    return this.#active;
  }

  /** Starts queued for a slot. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Resolves with a slot once one is free and every earlier waiter has had
   * its turn. Rejects with `signal.reason` if the signal aborts first; an
   * abort after the slot was granted does nothing: the caller holds it and
   * must release it.
   */
  acquire(signal?: AbortSignal): Promise<StartPermit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#active < this.limit && this.#queue.length === 0) {
      this.#active += 1;
      return Promise.resolve(this.#permit());
    }
    return new Promise<StartPermit>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#queue.indexOf(waiter);
        if (index === -1) return;
        this.#queue.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: (permit) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(permit);
        },
      };
      this.#queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Runs `work` holding a slot, and releases it however `work` ends. */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const permit = await this.acquire(signal);
    try {
      return await work();
    } finally {
      permit.release();
    }
  }

  #permit(): StartPermit {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const next = this.#queue.shift();
        // Handed over, not freed: the count stays and a newcomer cannot slip in before the queue.
        if (next !== undefined) next.grant(this.#permit());
        else this.#active -= 1;
      },
    };
  }
}
