// Durations in words, for log messages and the CLI alike.

/**
 * Seconds as pm2 shows them, two units at most: 45s, 3m12s, 2h05m, 3d04h.
 * Negative or non-finite input is 0s.
 */
export function humanizeDuration(seconds: number): string {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3_600);
  const minutes = Math.floor((total % 3_600) / 60);
  const secs = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (days > 0) return `${days}d${two(hours)}h`;
  if (hours > 0) return `${hours}h${two(minutes)}m`;
  if (minutes > 0) return `${minutes}m${two(secs)}s`;
  return `${secs}s`;
}
