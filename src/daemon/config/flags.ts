// Command-line flags of `snoozebot daemon`: the highest-precedence layer.
import type { ConfigIssue } from './errors.js';
import { logLevelValue, OverrideIssues, pathValue, withoutUndefined } from './overrides.js';
import type { ConfigOverrides } from './overrides.js';

/**
 * Flags as parsed; undefined means "not given". The CLI must not give
 * dryRun a default of false, or it would undo SNOOZEBOT_DRY_RUN=true.
 */
export interface ConfigFlags {
  readonly pluginsDir?: string | undefined;
  readonly socket?: string | undefined;
  readonly stateDir?: string | undefined;
  readonly logLevel?: string | undefined;
  readonly dryRun?: boolean | undefined;
}

export const FLAG_NAMES = {
  pluginsDir: '--plugins-dir',
  socket: '--socket',
  stateDir: '--state-dir',
  logLevel: '--log-level',
  dryRun: '--dry-run',
} as const;

export interface FlagOverrides {
  readonly overrides: ConfigOverrides;
  readonly issues: readonly ConfigIssue[];
}

export function flagOverrides(flags: ConfigFlags, cwd: string): FlagOverrides {
  const issues = new OverrideIssues();
  const overrides: { -readonly [K in keyof ConfigOverrides]: ConfigOverrides[K] } = {};
  for (const key of ['pluginsDir', 'socket', 'stateDir'] as const) {
    const value = flags[key];
    if (value !== undefined) overrides[key] = pathValue(FLAG_NAMES[key], value, cwd, issues);
  }
  if (flags.logLevel !== undefined) overrides.logLevel = logLevelValue(FLAG_NAMES.logLevel, flags.logLevel, issues);
  if (flags.dryRun !== undefined) overrides.dryRun = flags.dryRun;
  return { overrides: withoutUndefined(overrides), issues: issues.issues };
}
