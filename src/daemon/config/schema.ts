// What config.json may contain. Every key is optional (defaults live in
// defaults.ts and are applied when settings are resolved, so the parsed file
// says only what the operator wrote). Objects are strict: a misspelt key would
// otherwise be ignored and the daemon would quietly run with a default the
// operator meant to change. Every message reads "expected X, saw Y" so it can
// follow the key's path and position.
import { z } from 'zod';
import { envKeyProblem, pluginNameProblem } from './names.js';
import { closestMatch } from './suggest.js';
import { describeValue, humanMs } from './wording.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type Message = (issue: { readonly input?: unknown }) => string;

function expected(what: string): Message {
  return (issue) => `expected ${what}, saw ${describeValue(issue.input)}`;
}

function wholeNumber(min: number, max: number) {
  const error = expected(`a whole number from ${min} to ${max}`);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

function milliseconds(min: number, max: number) {
  const error = expected(`a whole number of milliseconds from ${min} to ${max} (${humanMs(max)})`);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

const flag = z.boolean({ error: expected('true or false') });

const absolutePath = z
  .string({ error: expected('an absolute path') })
  .refine((path) => path.startsWith('/') && !path.includes('\0'), {
    // Relative paths would depend on the directory the daemon happens to start in.
    error: expected('an absolute path (starting with "/")'),
  });

export const logLevelSchema = z.enum(LOG_LEVELS, {
  error: (issue) => {
    const suggestion = typeof issue.input === 'string' ? closestMatch(issue.input, LOG_LEVELS) : undefined;
    const hint = suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
    return `expected one of ${LOG_LEVELS.join(', ')}, saw ${describeValue(issue.input)}${hint}`;
  },
});

export const pluginNameSchema = z.string({ error: expected('a plugin name (its file name)') }).superRefine((name, ctx) => {
  const problem = pluginNameProblem(name);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const envKey = z.string().superRefine((key, ctx) => {
  const problem = envKeyProblem(key);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const envValue = z
  .string({ error: expected('a string (quote numbers and booleans, e.g. "8080")') })
  .refine((value) => !value.includes('\0'), { error: 'environment values cannot contain NUL characters' });

const sha256 = z
  .string({ error: expected('64 hex digits (as printed by sha256sum)') })
  .regex(/^(sha256:)?[0-9a-fA-F]{64}$/, { error: expected('64 hex digits (as printed by sha256sum)') })
  .transform((pin) => pin.replace(/^sha256:/, '').toLowerCase());

export const restartSchema = z.strictObject(
  {
    initialBackoffMs: milliseconds(1, HOUR).optional(),
    maxBackoffMs: milliseconds(1, HOUR).optional(),
    jitter: z
      .number({ error: expected('a fraction from 0 to 1 (0.2 means ±20 %)') })
      .min(0, { error: expected('a fraction from 0 to 1 (0.2 means ±20 %)') })
      .max(1, { error: expected('a fraction from 0 to 1 (0.2 means ±20 %)') })
      .optional(),
    maxCrashes: wholeNumber(1, 100).optional(),
    crashWindowMs: milliseconds(1, DAY).optional(),
    resetAfterMs: milliseconds(1, DAY).optional(),
  },
  { error: expected('an object with restart settings') },
);

export const healthSchema = z.strictObject(
  {
    // Checking more often than every 100 ms costs more than it tells.
    intervalMs: milliseconds(100, HOUR).optional(),
    timeoutMs: milliseconds(1, 10 * MINUTE).optional(),
    misses: wholeNumber(1, 100).optional(),
  },
  { error: expected('an object with health check settings') },
);

export const stopSchema = z.strictObject(
  {
    controllerMs: milliseconds(1, 10 * MINUTE).optional(),
    termMs: milliseconds(1, 10 * MINUTE).optional(),
  },
  { error: expected('an object with stop timeouts') },
);

/** Settings that can be given for all plugins (defaults) or for one. */
const tunables = {
  autoMtls: flag.optional(),
  startTimeoutMs: milliseconds(1, 10 * MINUTE).optional(),
  callTimeoutMs: milliseconds(1, HOUR).optional(),
  restart: restartSchema.optional(),
  health: healthSchema.optional(),
  stop: stopSchema.optional(),
};

export const defaultsSchema = z.strictObject(tunables, { error: expected('an object with settings for all plugins') });

export const pluginSchema = z.strictObject(
  {
    enabled: flag.optional(),
    env: z
      .record(envKey, envValue, { error: expected('an object of variable names and string values') })
      .optional(),
    sha256: sha256.optional(),
    ...tunables,
  },
  {
    error: (issue) =>
      typeof issue.input === 'boolean'
        ? `expected an object of plugin settings, saw ${String(issue.input)}; to turn a plugin off write { "enabled": false }`
        : `expected an object of plugin settings, saw ${describeValue(issue.input)}`,
  },
);

export const configFileSchema = z.strictObject(
  {
    pluginsDir: absolutePath.optional(),
    socket: absolutePath.optional(),
    stateDir: absolutePath.optional(),
    logLevel: logLevelSchema.optional(),
    dryRun: flag.optional(),
    defaultProvider: pluginNameSchema.nullable().optional(),
    autoload: flag.optional(),
    defaults: defaultsSchema.optional(),
    plugins: z
      .record(pluginNameSchema, pluginSchema, { error: expected('an object mapping plugin names to their settings') })
      .optional(),
  },
  { error: expected('an object ({ ... }) at the top level') },
);

/** The file as written, validated; absent keys are absent. */
export type ConfigFile = z.output<typeof configFileSchema>;
/** One entry of `plugins`, as written. */
export type PluginConfig = z.output<typeof pluginSchema>;
/** The `defaults` section, as written. */
export type PluginDefaultsConfig = z.output<typeof defaultsSchema>;
