// The record of the idle clock's latest phase changes, each with the sample
// that decided it. For tuning: an operator whose machine never stops sees the
// network at 52 KiB/s against a threshold of 50 KiB/s in every change back to
// busy; one whose machine stopped too soon sees how far under each threshold
// every signal was when the nap began. A bounded list, so it costs the same
// after a year as after a day. Pure.
import type { IdlePhase, PhaseChange, SignalReading } from './status.js';

/** Changes kept: a busy/idle flap every sample fills it in minutes, a normal day's handful stays for days. */
export const PHASE_CHANGES_KEPT = 20;

export class PhaseChanges {
  readonly #changes: PhaseChange[] = [];

  record(at: number, from: IdlePhase, to: IdlePhase, reason: string, signals: readonly SignalReading[]): void {
    this.#changes.push({ at: new Date(at).toISOString(), from, to, reason, signals });
    if (this.#changes.length > PHASE_CHANGES_KEPT) this.#changes.shift();
  }

  /** Oldest first; a copy. */
  list(): readonly PhaseChange[] {
    return [...this.#changes];
  }

  get latest(): PhaseChange | undefined {
    return this.#changes.at(-1);
  }
}

function figure(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** "busy: cpu 37.20 > 10, check:jobs, load unreadable". */
export function busyReason(readings: readonly SignalReading[]): string {
  const busy = readings.filter((r) => r.busy);
  const parts = busy.map((r) => {
    if (r.value === null) return `${r.signal} unreadable`;
    if (r.unit === 'exit' || r.threshold === null) return r.signal;
    return `${r.signal} ${figure(r.value)} > ${figure(r.threshold)}`;
  });
  return `busy: ${parts.join(', ')}`;
}
