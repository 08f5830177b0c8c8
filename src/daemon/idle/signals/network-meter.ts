// Network traffic per second on the counted interfaces, from one interface's
// counters to the next read of the same interface. Summing first and taking
// the difference after would turn an interface that comes up (a container's
// veth, a VPN tunnel) into a burst of everything it ever carried, and one that
// goes away into a negative rate; per interface, a newcomer simply starts
// counting at the next sample.
import type { InterfaceBytes } from './network.js';

export type NetworkMeasure =
  | { readonly kind: 'rate'; readonly rxPerSecond: number; readonly txPerSecond: number }
  /** first: no earlier read; no-time: none passed; went-down: a counted interface's counter decreased (reset, or gone and back). */
  | { readonly kind: 'pending'; readonly why: 'first' | 'no-time' | 'went-down' };

interface Counters {
  rx: number;
  tx: number;
}

export class NetworkMeter {
  /** Every interface's counters at the last read (not only the counted ones: a reload may count others). */
  #previous = new Map<string, Counters>();
  #at: number | undefined;

  /** Rates of `counted` since the last call; remembers every interface of `all` for the next. */
  measure(all: readonly InterfaceBytes[], counted: readonly string[], at: number): NetworkMeasure {
    const previous = this.#previous;
    const previousAt = this.#at;
    let rx = 0;
    let tx = 0;
    let wentDown = false;
    if (previousAt !== undefined) {
      for (const entry of all) {
        if (!counted.includes(entry.name)) continue;
        const before = previous.get(entry.name);
        if (before === undefined) continue;
        if (entry.rxBytes < before.rx || entry.txBytes < before.tx) wentDown = true;
        rx += entry.rxBytes - before.rx;
        tx += entry.txBytes - before.tx;
      }
    }
    this.#remember(all, at);
    if (previousAt === undefined) return { kind: 'pending', why: 'first' };
    const elapsed = at - previousAt;
    if (!(elapsed > 0)) return { kind: 'pending', why: 'no-time' };
    if (wentDown) return { kind: 'pending', why: 'went-down' };
    return { kind: 'rate', rxPerSecond: (rx * 1000) / elapsed, txPerSecond: (tx * 1000) / elapsed };
  }

  #remember(all: readonly InterfaceBytes[], at: number): void {
    const next = new Map<string, Counters>();
    for (const entry of all) next.set(entry.name, { rx: entry.rxBytes, tx: entry.txBytes });
    this.#previous = next;
    this.#at = at;
  }
}
