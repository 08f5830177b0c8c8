// Callers waiting for a plugin to serve (an instance call while it restarts,
// a load waiting through a backoff). Each waits with its own deadline; the
// plugin's transitions settle them all at once.
import type { DaemonError } from '../errors.js';

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: DaemonError): void;
}

export class ServingWaiters<T> {
  readonly #waiters = new Set<Waiter<T>>();

  /** Waits up to `timeoutMs`; `onTimeout` says why the plugin is still not there at that moment. */
  wait(timeoutMs: number, onTimeout: () => DaemonError): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(onTimeout());
      }, timeoutMs);
      const waiter: Waiter<T> = {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  resolveAll(value: T): void {
    for (const waiter of this.#waiters) waiter.resolve(value);
    this.#waiters.clear();
  }

  rejectAll(error: DaemonError): void {
    for (const waiter of this.#waiters) waiter.reject(error);
    this.#waiters.clear();
  }
}
