// What one line of the results table says, and how it is judged. Pure.
//
// A row holds the summary of its own samples and, when it has one, the
// summary of a reference measured in the same run (interleaved with it).
// Start-up rows also carry a floor: a plain fork/exec of the same plugin
// binary until its handshake line, the least any host could take.
// Targets are reported, never enforced: a MISS does not fail the bench.
import type { Summary } from './stats.js';

export type Target =
  /** median(row) / median(reference) must be at most `max`. */
  | { readonly kind: 'ratio'; readonly max: number }
  /** median(row) must be at most `maxNs`, whatever the reference says. */
  | { readonly kind: 'absolute'; readonly maxNs: number }
  /** median(row) must be at most `maxBytes` (memory rows). */
  | { readonly kind: 'bytes'; readonly maxBytes: number }
  /** median(row), ns of CPU per second of wall time, must be at most `max` of one core (0.002 = 0.2 %). */
  | { readonly kind: 'share'; readonly max: number }
  /** Shown for context; nothing to pass. */
  | { readonly kind: 'info' }
  /** This row is the yardstick of others. */
  | { readonly kind: 'reference' };

export type Outcome = 'PASS' | 'MISS' | 'info' | 'reference' | 'skipped' | 'error';

export interface RowSpec {
  /** Short key (matches the brief: a, b, c, …). */
  readonly id: string;
  readonly label: string;
  readonly target: Target;
  readonly note?: string;
  /** What the samples count; by default bytes for a `bytes` target, nanoseconds otherwise. */
  readonly unit?: Unit;
}

/** 'share': ns of CPU per second of wall time, i.e. a share of one core (shown in %). */
export type Unit = 'ns' | 'bytes' | 'share';

export function unitOf(spec: RowSpec): Unit {
  return spec.unit ?? (spec.target.kind === 'bytes' ? 'bytes' : spec.target.kind === 'share' ? 'share' : 'ns');
}

export interface Reference {
  readonly label: string;
  readonly summary: Summary;
}

export interface Row extends RowSpec {
  readonly summary?: Summary;
  readonly reference?: Reference;
  /** median(row) / median(reference). */
  readonly ratio?: number;
  /** The plain fork/exec floor of the same plugin, for start-up rows. */
  readonly floor?: Reference;
  /** median(row) / median(floor). */
  readonly floorRatio?: number;
  readonly result: Outcome;
  /** Why the row has no figures (skipped / error). */
  readonly problem?: string;
}

export interface Group {
  readonly title: string;
  readonly rows: readonly Row[];
}

export function judge(target: Target, summary: Summary, ratio: number | undefined): Outcome {
  switch (target.kind) {
    case 'ratio':
      if (ratio === undefined) return 'info';
      return ratio <= target.max ? 'PASS' : 'MISS';
    case 'absolute':
      return summary.median <= target.maxNs ? 'PASS' : 'MISS';
    case 'bytes':
      return summary.median <= target.maxBytes ? 'PASS' : 'MISS';
    case 'share':
      return summary.median / 1e9 <= target.max ? 'PASS' : 'MISS';
    case 'info':
      return 'info';
    case 'reference':
      return 'reference';
  }
}

function ratioTo(summary: Summary, reference: Reference | undefined): number | undefined {
  return reference !== undefined && reference.summary.median > 0 ? summary.median / reference.summary.median : undefined;
}

export function measuredRow(spec: RowSpec, summary: Summary, reference?: Reference, floor?: Reference): Row {
  const ratio = ratioTo(summary, reference);
  const floorRatio = ratioTo(summary, floor);
  return {
    ...spec,
    summary,
    ...(reference !== undefined ? { reference } : {}),
    ...(ratio !== undefined ? { ratio } : {}),
    ...(floor !== undefined ? { floor } : {}),
    ...(floorRatio !== undefined ? { floorRatio } : {}),
    result: judge(spec.target, summary, ratio),
  };
}

export function skippedRow(spec: RowSpec, reason: string): Row {
  return { ...spec, result: 'skipped', problem: reason };
}

export function erroredRow(spec: RowSpec, message: string): Row {
  return { ...spec, result: 'error', problem: message };
}
