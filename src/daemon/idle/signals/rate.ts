// Per-second rates from cumulative counters read some time apart.

/**
 * (current - previous) per second over `elapsedMs`. Undefined when no time
 * passed or the counter went down: a counter resets when its interface or
 * disk goes away, or wraps, and the difference then says nothing about
 * traffic, so it must not show as a negative or enormous rate.
 */
export function ratePerSecond(previous: number, current: number, elapsedMs: number): number | undefined {
  if (!(elapsedMs > 0) || !Number.isFinite(previous) || !Number.isFinite(current) || current < previous) return undefined;
  return ((current - previous) * 1000) / elapsedMs;
}
