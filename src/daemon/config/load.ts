// Reading the config: the one place that touches the file system. Everything
// it does with the text is pure (parse.ts, env.ts, flags.ts, resolve.ts).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULT_CONFIG_PATH } from './defaults.js';
import { ENV_VARS, envOverrides } from './env.js';
import { ConfigError } from './errors.js';
import type { ConfigIssue } from './errors.js';
import { flagOverrides } from './flags.js';
import type { ConfigFlags } from './flags.js';
import { checkConfig } from './parse.js';
import type { ConfigFile } from './schema.js';
import { resolveConfig } from './resolve.js';
import { idleOverrideIssues } from './rules.js';
import type { DaemonConfig } from './types.js';

export interface LoadConfigOptions {
  /** --config; default /etc/snoozebot/config.json. */
  readonly path?: string | undefined;
  /** A missing file is an error; default: true when `path` is given, since a config named on purpose must exist. */
  readonly required?: boolean | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags: ConfigFlags;
  /** Where relative paths from flags and the environment start; default process.cwd(). */
  readonly cwd?: string | undefined;
}

export type ConfigText = { readonly found: true; readonly text: string } | { readonly found: false };

/** The file's text, or found: false if there is no such file. Any other failure (permissions, a directory) is thrown. */
export async function readConfigText(path: string): Promise<ConfigText> {
  try {
    return { found: true, text: await readFile(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { found: false };
    throw new ConfigError([fileIssue(path, `cannot read ${path}: ${readFailure(code, error)}`)], path);
  }
}

/**
 * Defaults ⊕ file ⊕ SNOOZEBOT_* ⊕ flags. Throws one ConfigError with every
 * problem found in the file, the environment and the flags together.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<DaemonConfig> {
  const cwd = options.cwd ?? process.cwd();
  const fileName = options.path ?? DEFAULT_CONFIG_PATH;
  const required = options.required ?? options.path !== undefined;
  const env = envOverrides(options.env, cwd);
  const flags = flagOverrides(options.flags, cwd);
  const issues: ConfigIssue[] = [];

  const content = await readConfigText(fileName).catch((error: unknown): ConfigText => {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
    return { found: false };
  });
  let file: ConfigFile = {};
  if (content.found) {
    const checked = checkConfig(content.text);
    issues.push(...checked.issues);
    if (checked.file !== undefined) file = checked.file;
  } else if (required && issues.length === 0) {
    issues.push(fileIssue('--config', `${fileName} does not exist; check the path, or leave out --config to use ${DEFAULT_CONFIG_PATH} (which may be absent)`));
  }
  issues.push(...env.issues, ...flags.issues);
  issues.push(...idleOverrideIssues(file.idle, env.overrides.idle?.napTimeMs, ENV_VARS.idleNapTimeMs));
  if (issues.length > 0) throw new ConfigError(issues, fileName);
  return resolveConfig(file, content.found ? resolve(cwd, fileName) : null, [env.overrides, flags.overrides]);
}

function fileIssue(path: string, message: string): ConfigIssue {
  return { path, line: 0, column: 0, message };
}

function readFailure(code: string | undefined, error: unknown): string {
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied (the daemon must be able to read it)';
  if (code === 'EISDIR') return 'it is a directory, not a file';
  return error instanceof Error ? error.message : String(error);
}
