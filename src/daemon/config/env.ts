// SNOOZEBOT_* environment variables: they override the file and are
// overridden by flags (systemd units and containers set them).
import { pluginNameProblem } from './names.js';
import { logLevelValue, OverrideIssues, pathValue, withoutUndefined } from './overrides.js';
import type { ConfigOverrides } from './overrides.js';
import type { ConfigIssue } from './errors.js';
import { describeValue } from './wording.js';

export const ENV_VARS = {
  pluginsDir: 'SNOOZEBOT_PLUGINS_DIR',
  socket: 'SNOOZEBOT_SOCKET',
  stateDir: 'SNOOZEBOT_STATE_DIR',
  logLevel: 'SNOOZEBOT_LOG_LEVEL',
  dryRun: 'SNOOZEBOT_DRY_RUN',
  defaultProvider: 'SNOOZEBOT_DEFAULT_PROVIDER',
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
  return { overrides: withoutUndefined(overrides), issues: issues.issues };
}

function booleanValue(name: string, value: string, issues: OverrideIssues): boolean | undefined {
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  return issues.add(name, `expected true, false, 1, 0, yes or no, saw ${describeValue(value)}`);
}
