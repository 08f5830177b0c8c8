// How to start one plugin, with the defaults of docs/architecture.md.
import type { Logger } from 'pino';
import type { Containment } from './containment/index.js';

export interface StopTimeouts {
  /** Wait after GRPCController.Shutdown before SIGTERM. */
  readonly controllerMs: number;
  /** Wait after SIGTERM before SIGKILL of the whole process group. */
  readonly termMs: number;
}

export interface PluginProcessOptions {
  /** Path of the plugin executable. */
  readonly path: string;
  /** Name used in logs and errors; defaults to the file name. */
  readonly name?: string;
  readonly args?: readonly string[];
  /** Extra environment for the plugin (its configured variables). */
  readonly env?: Readonly<Record<string, string>>;
  /** Pass the host's own environment through (default true; go-plugin's SkipHostEnv is the opposite). */
  readonly inheritEnv?: boolean;
  /** App protocol versions offered in PLUGIN_PROTOCOL_VERSIONS (default [1]). */
  readonly appVersions?: readonly number[];
  /** go-plugin's AutoMTLS: both sides make a throwaway certificate and trust only each other's. */
  readonly autoMtls?: boolean;
  /**
   * Called with the path right before every spawn; throws to refuse the start
   * (the daemon's trust check, throwing HostError PLUGIN_UNTRUSTED). The host
   * knows no trust rules of its own: they are the daemon's policy.
   */
  readonly verify?: (path: string) => Promise<void>;
  /**
   * Where the process and everything it forks are kept: its own cgroup when
   * this containment has cgroups, else (or without one) its process group.
   */
  readonly containment?: Containment;
  /** Expected SHA-256 of the executable (hex); a mismatch refuses to start it. */
  readonly sha256?: string;
  readonly startTimeoutMs?: number;
  /** Deadline of each CloudProvider call. */
  readonly callTimeoutMs?: number;
  readonly stopTimeouts?: Partial<StopTimeouts>;
  /** PLUGIN_MIN_PORT/PLUGIN_MAX_PORT for plugins that listen on TCP. */
  readonly portRange?: readonly [number, number];
  /** Where the per-plugin socket directory is made (default: the OS temp dir). */
  readonly socketParentDir?: string;
  /** stderr lines kept for diagnostics. */
  readonly stderrTailLines?: number;
  /** Longest line read from the plugin; longer ones are cut. */
  readonly maxLineBytes?: number;
  readonly logger: Logger;
}

export const DEFAULTS = {
  appVersions: [1] as readonly number[],
  startTimeoutMs: 10_000,
  callTimeoutMs: 30_000,
  stopTimeouts: { controllerMs: 2_000, termMs: 2_000 } as StopTimeouts,
  portRange: [10_000, 25_000] as readonly [number, number],
  stderrTailLines: 20,
  maxLineBytes: 64 * 1024,
  /** Plugin output lines re-logged per second, after a burst (line-budget.ts). */
  logLinesPerSecond: 100,
  logLinesBurst: 500,
} as const;
