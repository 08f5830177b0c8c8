// The idle monitor's settings, with defaults filled in (config.json's `idle`
// section; docs/config.md). Plain data.

/**
 * A signal is busy when its value is above its threshold (strictly). A null
 * threshold leaves the signal out of the decision (it is still sampled and
 * shown, so an operator can see what it would be).
 */
export interface IdleThresholds {
  /** CPU utilisation of all cores together, in percent (0-100), from /proc/stat deltas. */
  readonly cpuPercent: number | null;
  /** The 1-minute load average from /proc/loadavg. Ignored when load1PerCore is set. */
  readonly load1: number | null;
  /**
   * The 1-minute load average divided by the online CPUs (cpuN lines of
   * /proc/stat); when set, it replaces the absolute load1 threshold.
   */
  readonly load1PerCore: number | null;
  /** Received plus sent bytes per second on the counted interfaces (/proc/net/dev; see IdleSettings.networkInterfaces). */
  readonly networkBytesPerSecond: number | null;
  /** Read plus written bytes per second on whole disks (/proc/diskstats). */
  readonly diskBytesPerSecond: number | null;
  /** Logged-in user sessions with recent input (utmp and logind; see sessionIdleMs); 0 means any such session keeps the machine busy. */
  readonly sessions: number | null;
  /** Highest GPU utilisation in percent (nvidia-smi); ignored when nvidia-smi is absent. */
  readonly gpuPercent: number | null;
}

/** A command run every check interval through /bin/sh -c: exit 0 means busy. */
export interface CustomCheck {
  readonly name: string;
  readonly command: string;
  readonly timeoutMs: number;
}

export interface IdleSettings {
  readonly enabled: boolean;
  /** How long every signal must stay under its threshold before the machine stops. */
  readonly napTimeMs: number;
  readonly checkIntervalMs: number;
  /** No stop within this long after boot or after the daemon started. */
  readonly graceMs: number;
  /** After the announcement, activity within this window cancels the stop. */
  readonly cancelWindowMs: number;
  /** The plugin whose StopInstance is called; null: the daemon's default provider. */
  readonly provider: string | null;
  readonly thresholds: IdleThresholds;
  /**
   * A session counts toward the sessions signal only if it had input within
   * this long (its terminal's access time, or logind's idle hint for a
   * desktop); null: every live session counts, whatever its input.
   */
  readonly sessionIdleMs: number | null;
  /**
   * The interfaces whose traffic counts, by name ("*" matches any run of
   * characters); null: the physical ones, those with a device under
   * /sys/class/net/<name>/device.
   */
  readonly networkInterfaces: readonly string[] | null;
  readonly checks: readonly CustomCheck[];
  /** POSTed a JSON announcement when the machine is about to stop; null for none. */
  readonly webhookUrl: string | null;
  /** Also announce with `wall` to logged-in terminals. */
  readonly wall: boolean;
  /** StopInstance attempts while the plugin is restarting or unreachable. */
  readonly stopAttempts: number;
  /** Filesystem root the /proc, utmp and logind readers read under ("/" in production, a fixture tree in tests). */
  readonly root: string;
}

const MINUTE = 60_000;

export const DEFAULT_IDLE_THRESHOLDS: IdleThresholds = {
  cpuPercent: 10,
  load1: 0.5,
  load1PerCore: null,
  networkBytesPerSecond: 50 * 1024,
  diskBytesPerSecond: 1024 * 1024,
  sessions: 0,
  gpuPercent: 5,
};

export const DEFAULT_IDLE_SETTINGS: IdleSettings = {
  // Stopping an idle machine is what snoozebot is installed for; the grace
  // period and the cancellation window keep a fresh or just-used machine up.
  enabled: true,
  napTimeMs: 30 * MINUTE,
  checkIntervalMs: 10_000,
  graceMs: 10 * MINUTE,
  cancelWindowMs: 60_000,
  provider: null,
  thresholds: DEFAULT_IDLE_THRESHOLDS,
  // The nap time's default: resolveIdleSettings follows the nap time that is set.
  sessionIdleMs: 30 * MINUTE,
  networkInterfaces: null,
  checks: [],
  webhookUrl: null,
  wall: false,
  stopAttempts: 5,
  root: '/',
};

export const DEFAULT_CHECK_TIMEOUT_MS = 5_000;
