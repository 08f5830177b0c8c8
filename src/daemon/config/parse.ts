// config.json text → the validated file, or every problem in it with its
// line and column. Pure: the caller reads the file.
import type * as z from 'zod';
import { ConfigError } from './errors.js';
import type { ConfigIssue, PathIssue } from './errors.js';
import { crossFieldIssues } from './rules.js';
import { configFileSchema } from './schema.js';
import type { ConfigFile } from './schema.js';
import { parseSource, positioned, sourceValue } from './source.js';
import { unknownKeyMessage } from './unknown-keys.js';

export interface CheckedConfig {
  /** Undefined when there are issues. */
  readonly file: ConfigFile | undefined;
  /** Sorted by position. */
  readonly issues: readonly ConfigIssue[];
}

/** Like parseConfig, but returns the problems instead of throwing them (for callers that add their own). */
export function checkConfig(text: string): CheckedConfig {
  const source = parseSource(text);
  if (source.syntaxIssues.length > 0) return { file: undefined, issues: source.syntaxIssues };
  const { value, issues: treeIssues } = sourceValue(source);
  // Nothing but whitespace and comments: all defaults.
  const input = value === undefined ? {} : value;
  const result = configFileSchema.safeParse(input);
  const pathIssues: PathIssue[] = [
    ...treeIssues,
    ...(result.success ? [] : result.error.issues.flatMap(schemaIssue)),
    ...crossFieldIssues(input),
  ];
  const issues = dedupe(pathIssues.map((issue) => positioned(source, issue))).sort(
    (a, b) => a.line - b.line || a.column - b.column,
  );
  return { file: issues.length === 0 && result.success ? result.data : undefined, issues };
}

/** Throws ConfigError listing every problem, each as `fileName:line:column: path: message`. */
export function parseConfig(text: string, fileName: string): ConfigFile {
  const { file, issues } = checkConfig(text);
  if (file === undefined) throw new ConfigError(issues, fileName);
  return file;
}

function schemaIssue(issue: z.core.$ZodIssue): PathIssue[] {
  const path = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], at: 'key', message: unknownKeyMessage(path, key) }));
    case 'invalid_key':
      return [{ path, at: 'key', message: issue.issues[0]?.message ?? issue.message }];
    default:
      return [{ path, at: 'value', message: issue.message }];
  }
}

/** A value that breaks several checks of one key (e.g. 0.5 for a whole number ≥ 1) is one problem. */
function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.line}:${issue.column}:${issue.path}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
