// A bad configuration is reported once, with every problem in it, so an
// operator fixes the file in one go instead of restarting the daemon once per
// typo. Problems in the file carry line:column; problems in environment
// variables and flags carry line 0 and the variable or flag name as path.

export interface ConfigIssue {
  /** Dotted key, e.g. plugins.aws.restart.maxCrashes; the variable or flag name for env/flags; "" for syntax errors. */
  readonly path: string;
  /** 1-based; 0 when the problem is not in the file. */
  readonly line: number;
  /** 1-based; 0 when the problem is not in the file. */
  readonly column: number;
  readonly message: string;
}

/** Keys of objects and indexes of lists (numbers, so a plugin named "0" is still a key), from the top. */
export type KeyPath = readonly (string | number)[];

/** A problem found in the file before its position is known (positions come from the parsed tree). */
export interface PathIssue {
  readonly path: KeyPath;
  /** Point at the key (unknown or badly named keys) or at its value (everything else). */
  readonly at: 'key' | 'value';
  readonly message: string;
  /** Exact place in the text, when the path alone would be ambiguous (the second of duplicate keys). */
  readonly offset?: number;
}

export const CONFIG_HINT =
  'hint: fix the problems above and start the daemon again; docs/config.md describes every key, its default and its environment variable (the file may contain comments and trailing commas)';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID' as const;
  readonly issues: readonly ConfigIssue[];
  /** The config file name as given, used as prefix of problems in the file; null if there was none. */
  readonly fileName: string | null;

  constructor(issues: readonly ConfigIssue[], fileName: string | null) {
    super([...issues.map((issue) => formatIssue(issue, fileName)), CONFIG_HINT].join('\n'));
    this.issues = issues;
    this.fileName = fileName;
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}

/** `config.json:12:5: plugins.aws.restart.maxCrashes: expected …` (file problems) or `SNOOZEBOT_DRY_RUN: expected …`. */
export function formatIssue(issue: ConfigIssue, fileName: string | null): string {
  const where = issue.line > 0 && fileName !== null ? `${fileName}:${issue.line}:${issue.column}: ` : '';
  const what = issue.path === '' ? '' : `${issue.path}: `;
  return `${where}${what}${issue.message}`;
}
