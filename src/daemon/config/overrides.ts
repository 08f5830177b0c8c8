// Settings given outside the file (SNOOZEBOT_* variables, flags), and the
// checks their values share. They arrive as strings typed by hand, so they
// are checked as strictly as the file and named in errors by the variable or
// flag that carried them.
import { resolve } from 'node:path';
import type { ConfigIssue } from './errors.js';
import { LOG_LEVELS } from './schema.js';
import type { LogLevel } from './schema.js';
import { closestMatch } from './suggest.js';
import { describeValue } from './wording.js';

/** The idle settings an override can carry; only keys that were given are present. */
export interface IdleOverrides {
  readonly enabled?: boolean;
  readonly napTimeMs?: number;
  /** Not settable in the file: only tests read /proc and utmp under another root. */
  readonly root?: string;
}

export interface ConfigOverrides {
  readonly pluginsDir?: string;
  readonly socket?: string;
  readonly stateDir?: string;
  readonly logLevel?: LogLevel;
  readonly dryRun?: boolean;
  readonly defaultProvider?: string | null;
  readonly idle?: IdleOverrides;
}

/** Collects issues for one source of overrides; each problem has line 0 and the variable or flag name as path. */
export class OverrideIssues {
  readonly issues: ConfigIssue[] = [];

  add(name: string, message: string): undefined {
    this.issues.push({ path: name, line: 0, column: 0, message });
    return undefined;
  }
}

/** A directory or socket path; relative ones are taken from `cwd`, where the command was typed. */
export function pathValue(name: string, value: string, cwd: string, issues: OverrideIssues): string | undefined {
  if (value === '') return issues.add(name, 'is empty; give a path, or leave it unset to use the default');
  if (value.includes('\0')) return issues.add(name, 'contains a NUL character');
  return resolve(cwd, value);
}

export function logLevelValue(name: string, value: string, issues: OverrideIssues): LogLevel | undefined {
  const level = value.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  const suggestion = closestMatch(level, LOG_LEVELS);
  const hint = suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
  return issues.add(name, `expected one of ${LOG_LEVELS.join(', ')}, saw ${describeValue(value)}${hint}`);
}

/** Drops keys whose check failed, so a failed override never masks a lower layer's value. */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
