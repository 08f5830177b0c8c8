// What config.json may contain. Every key is optional (defaults live in
// defaults.ts and are applied when settings are resolved, so the parsed file
// says only what the operator wrote). Objects are strict: a misspelt key would
// otherwise be ignored and the daemon would quietly run with a default the
// operator meant to change. Every message reads "expected X, saw Y" so it can
// follow the key's path and position.
import * as z from 'zod';
import { LOG_LEVELS } from './log-levels.js';
import { envKeyProblem, pluginNameProblem } from './names.js';
import { closestMatch } from './suggest.js';
import { describeValue, humanMs } from './wording.js';

export { LOG_LEVELS };
export type { LogLevel } from './log-levels.js';

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

export const START_MODES = ['boot', 'lazy'] as const;

const startMode = z.enum(START_MODES, {
  error: expected('"boot" (start with the daemon) or "lazy" (start at the first call that needs it)'),
});

/** Settings that can be given for all plugins (defaults) or for one. */
const tunables = {
  start: startMode.optional(),
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

/** Bounds of the idle section, shared with the SNOOZEBOT_IDLE_* variables and docs/config.md. */
export const IDLE_LIMITS = {
  napTimeMs: { min: SECOND, max: 7 * DAY },
  checkIntervalMs: { min: 100, max: HOUR },
  graceMs: { min: 0, max: DAY },
  cancelWindowMs: { min: 0, max: HOUR },
  checkTimeoutMs: { min: 1, max: 10 * MINUTE },
  stopAttempts: { min: 1, max: 20 },
  // The kernel moves a terminal's access time at most every 8 seconds (tty_update_time),
  // so a shorter setting would call someone who is typing idle.
  sessionIdleMs: { min: 10 * SECOND, max: 7 * DAY },
} as const;

const IGNORE_HINT = 'or null to leave the signal out';

function percentThreshold() {
  const error = expected(`a percentage from 0 to 100, ${IGNORE_HINT}`);
  return z.number({ error }).min(0, { error }).max(100, { error }).nullable();
}

function rateThreshold(what: string) {
  const error = expected(`${what} ≥ 0, ${IGNORE_HINT}`);
  return z.number({ error }).min(0, { error }).nullable();
}

function sessionsThreshold() {
  const error = expected(`a whole number of sessions ≥ 0 (0: any session keeps the machine up), ${IGNORE_HINT}`);
  return z.number({ error }).int({ error }).min(0, { error }).nullable();
}

export const thresholdsSchema = z.strictObject(
  {
    cpuPercent: percentThreshold().optional(),
    load1: rateThreshold('a load average').optional(),
    load1PerCore: rateThreshold('a load average per CPU').optional(),
    networkBytesPerSecond: rateThreshold('a number of bytes per second').optional(),
    diskBytesPerSecond: rateThreshold('a number of bytes per second').optional(),
    sessions: sessionsThreshold().optional(),
    gpuPercent: percentThreshold().optional(),
  },
  { error: expected('an object of thresholds, e.g. { "cpuPercent": 10 }') },
);

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no "/", ":" or blanks; "*" is a wildcard here. */
export const INTERFACE_PATTERN = /^[^/:\s]{1,15}$/;

const interfaceWhat = 'an interface name such as "eth0" or a pattern such as "ens*" (up to 15 characters, no "/", ":" or blanks)';

const networkInterfaces = z
  .array(z.string({ error: expected(interfaceWhat) }).regex(INTERFACE_PATTERN, { error: expected(interfaceWhat) }), {
    error: expected('a list of interface names (["eth0", "wg0"]), or null for the physical interfaces'),
  })
  .min(1, {
    error: 'expected at least one interface name; null counts the physical interfaces, and thresholds.networkBytesPerSecond: null leaves the network out',
  })
  .nullable();

/** Check names label the signal (check:<name>) in logs, the API and metrics, so they stay plain. */
export const CHECK_NAME = /^[A-Za-z0-9_.-]+$/;

/** `what` for a key that must be present: a missing one says so instead of "saw nothing". */
function required(key: string, what: string): Message {
  return (issue) =>
    issue.input === undefined
      ? `missing: every check needs "${key}" (${what})`
      : `expected ${what}, saw ${describeValue(issue.input)}`;
}

const checkNameWhat = 'a name of letters, digits, "_", "." and "-"';
const checkCommandWhat = 'a shell command, run with /bin/sh -c';

export const checkSchema = z.strictObject(
  {
    name: z
      .string({ error: required('name', checkNameWhat) })
      .regex(CHECK_NAME, { error: expected(checkNameWhat) }),
    command: z
      .string({ error: required('command', checkCommandWhat) })
      // A blank command would "succeed" (exit 0 = busy) forever and keep the machine up.
      .refine((command) => command.trim() !== '', { error: expected(`${checkCommandWhat} (not blank)`) })
      .refine((command) => !command.includes('\0'), { error: 'a command cannot contain NUL characters' }),
    timeoutMs: milliseconds(IDLE_LIMITS.checkTimeoutMs.min, IDLE_LIMITS.checkTimeoutMs.max).optional(),
  },
  { error: expected('a check object, e.g. { "name": "jobs", "command": "pgrep -x make" }') },
);

/** Why `text` cannot be the webhook URL, or undefined if it can. */
export function webhookUrlProblem(text: string): string | undefined {
  const what = 'an http:// or https:// URL';
  if (!URL.canParse(text)) return `expected ${what}, saw ${describeValue(text)}`;
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    // The announcement is a JSON POST; other schemes would fail only when the machine is about to stop.
    return `expected ${what}, saw ${describeValue(text)}: the announcement is an HTTP POST, so ${url.protocol} URLs cannot receive it`;
  }
  return undefined;
}

const webhookUrl = z
  .string({ error: expected('an http:// or https:// URL, or null for none') })
  .superRefine((text, ctx) => {
    const problem = webhookUrlProblem(text);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .nullable();

const sessionIdle = (() => {
  const { min, max } = IDLE_LIMITS.sessionIdleMs;
  const error = expected(
    `a whole number of milliseconds from ${min} to ${max} (${humanMs(max)}), or null to count every live session ` +
      `(below ${humanMs(min)} a typing user could look idle: the kernel moves a terminal's access time only every 8 s)`,
  );
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error }).nullable();
})();

function idleMilliseconds(key: keyof typeof IDLE_LIMITS) {
  return milliseconds(IDLE_LIMITS[key].min, IDLE_LIMITS[key].max);
}

export const idleSchema = z.strictObject(
  {
    enabled: flag.optional(),
    napTimeMs: idleMilliseconds('napTimeMs').optional(),
    checkIntervalMs: idleMilliseconds('checkIntervalMs').optional(),
    graceMs: idleMilliseconds('graceMs').optional(),
    cancelWindowMs: idleMilliseconds('cancelWindowMs').optional(),
    provider: pluginNameSchema.nullable().optional(),
    thresholds: thresholdsSchema.optional(),
    sessionIdleMs: sessionIdle.optional(),
    networkInterfaces: networkInterfaces.optional(),
    checks: z.array(checkSchema, { error: expected('a list of checks ([ { "name": ..., "command": ... } ])') }).optional(),
    webhookUrl: webhookUrl.optional(),
    wall: flag.optional(),
    stopAttempts: wholeNumber(IDLE_LIMITS.stopAttempts.min, IDLE_LIMITS.stopAttempts.max).optional(),
  },
  { error: expected('an object with idle detection settings') },
);

const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;
const groupWhat = 'a group name (e.g. "snoozebot") or a gid, or null for the daemon\'s own group';

const groupError = expected(groupWhat);
export const socketGroupSchema = z
  .union(
    [
      z.string({ error: groupError }).regex(GROUP_NAME, { error: groupError }),
      z.number({ error: groupError }).int({ error: groupError }).min(0, { error: groupError }).max(4_294_967_294, { error: groupError }),
    ],
    { error: groupError },
  )
  .nullable();

export const configFileSchema = z.strictObject(
  {
    pluginsDir: absolutePath.optional(),
    socket: absolutePath.optional(),
    socketGroup: socketGroupSchema.optional(),
    maxConnections: wholeNumber(1, 65_536).optional(),
    cgroups: flag.optional(),
    stateDir: absolutePath.optional(),
    logLevel: logLevelSchema.optional(),
    dryRun: flag.optional(),
    defaultProvider: pluginNameSchema.nullable().optional(),
    autoload: flag.optional(),
    defaults: defaultsSchema.optional(),
    plugins: z
      .record(pluginNameSchema, pluginSchema, { error: expected('an object mapping plugin names to their settings') })
      .optional(),
    idle: idleSchema.optional(),
  },
  { error: expected('an object ({ ... }) at the top level') },
);

/** The file as written, validated; absent keys are absent. */
export type ConfigFile = z.output<typeof configFileSchema>;
/** One entry of `plugins`, as written. */
export type PluginConfig = z.output<typeof pluginSchema>;
/** The `defaults` section, as written. */
export type PluginDefaultsConfig = z.output<typeof defaultsSchema>;
/** The `idle` section, as written. */
export type IdleConfig = z.output<typeof idleSchema>;
