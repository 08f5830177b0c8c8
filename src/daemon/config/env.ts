// SNOOZEBOT_* environment variables: they override the file and are
// overridden by flags (systemd units and containers set them).
import { pluginNameProblem } from './names.js';
import { logLevelValue, OverrideIssues, pathValue, withoutUndefined } from './overrides.js';
import type { ConfigOverrides, IdleOverrides } from './overrides.js';
import type { ConfigIssue } from './errors.js';
import { IDLE_LIMITS } from './schema.js';
import { describeValue, humanMs } from './wording.js';

export const ENV_VARS = {
  pluginsDir: 'SNOOZEBOT_PLUGINS_DIR',
  socket: 'SNOOZEBOT_SOCKET',
  stateDir: 'SNOOZEBOT_STATE_DIR',
  logLevel: 'SNOOZEBOT_LOG_LEVEL',
  dryRun: 'SNOOZEBOT_DRY_RUN',
  defaultProvider: 'SNOOZEBOT_DEFAULT_PROVIDER',
  idleEnabled: 'SNOOZEBOT_IDLE_ENABLED',
  idleNapTimeMs: 'SNOOZEBOT_IDLE_NAP_TIME_MS',
  /** For tests: the root under which /proc and utmp are read. */
  idleRoot: 'SNOOZEBOT_IDLE_ROOT',
} as const;

const TRUE_WORDS = ['true', '1', 'yes'];
const FALSE_WORDS = ['false', '0', 'no'];

export interface EnvOverrides {
  readonly overrides: ConfigOverrides;
  readonly issues: readonly ConfigIssue[];
}

/** Unset variables change nothing. `cwd` resolves relative paths. */
export function envOverrides(env: Readonly<Record<string, string | undefined>>, cwd: string): EnvOverrides {
  const issues = new OverrideIssues();
  const read = (name: string): string | undefined => (Object.hasOwn(env, name) ? env[name] : undefined);
  const overrides: { -readonly [K in keyof ConfigOverrides]: ConfigOverrides[K] } = {};

  for (const key of ['pluginsDir', 'socket', 'stateDir'] as const) {
    const value = read(ENV_VARS[key]);
    if (value !== undefined) overrides[key] = pathValue(ENV_VARS[key], value, cwd, issues);
  }
  const logLevel = read(ENV_VARS.logLevel);
  if (logLevel !== undefined) overrides.logLevel = logLevelValue(ENV_VARS.logLevel, logLevel, issues);
  const dryRun = read(ENV_VARS.dryRun);
  if (dryRun !== undefined) overrides.dryRun = booleanValue(ENV_VARS.dryRun, dryRun, issues);
  const provider = read(ENV_VARS.defaultProvider);
  if (provider !== undefined) {
    // Empty clears a default provider set in the file.
    if (provider === '') overrides.defaultProvider = null;
    else {
      const problem = pluginNameProblem(provider);
      if (problem === undefined) overrides.defaultProvider = provider;
      else issues.add(ENV_VARS.defaultProvider, problem);
    }
  }
  const idle = idleOverrides(read, issues);
  if (idle !== undefined) overrides.idle = idle;
  return { overrides: withoutUndefined(overrides), issues: issues.issues };
}

function idleOverrides(read: (name: string) => string | undefined, issues: OverrideIssues): IdleOverrides | undefined {
  const idle: { -readonly [K in keyof IdleOverrides]: IdleOverrides[K] } = {};
  const enabled = read(ENV_VARS.idleEnabled);
  if (enabled !== undefined) idle.enabled = booleanValue(ENV_VARS.idleEnabled, enabled, issues);
  const napTime = read(ENV_VARS.idleNapTimeMs);
  if (napTime !== undefined) idle.napTimeMs = napTimeValue(ENV_VARS.idleNapTimeMs, napTime, issues);
  const root = read(ENV_VARS.idleRoot);
  if (root !== undefined) idle.root = rootValue(ENV_VARS.idleRoot, root, issues);
  const given = withoutUndefined(idle);
  return Object.keys(given).length === 0 ? undefined : given;
}

function napTimeValue(name: string, value: string, issues: OverrideIssues): number | undefined {
  const { min, max } = IDLE_LIMITS.napTimeMs;
  const ms = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isSafeInteger(ms) && ms >= min && ms <= max) return ms;
  return issues.add(name, `expected a whole number of milliseconds from ${min} to ${max} (${humanMs(max)}), saw ${describeValue(value)}`);
}

function rootValue(name: string, value: string, issues: OverrideIssues): string | undefined {
  // Unlike the other paths it is not resolved from the working directory: a
  // relative root is almost certainly a mistake in a test's environment.
  if (!value.startsWith('/') || value.includes('\0')) {
    return issues.add(name, `expected an absolute path (starting with "/"), saw ${describeValue(value)}`);
  }
  return value;
}

function booleanValue(name: string, value: string, issues: OverrideIssues): boolean | undefined {
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  return issues.add(name, `expected true, false, 1, 0, yes or no, saw ${describeValue(value)}`);
}
