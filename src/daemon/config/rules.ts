// Rules that relate two keys. Plugin rules are checked on what each plugin will
// actually run with (built-in ⊕ defaults ⊕ its own section), because a plugin
// that sets only maxBackoffMs can still end up below a defaults-section
// initialBackoffMs. They run on the raw value even when other keys are wrong,
// so all problems come out together; a value that is itself invalid is left
// to its own message. The idle section has two such rules (a check interval
// no longer than the nap time; one load threshold, absolute or per core) and
// unique check names.
import { DEFAULT_IDLE_SETTINGS } from '../idle/settings.js';
import { DEFAULT_PLUGIN_SETTINGS } from './defaults.js';
import type { ConfigIssue, PathIssue } from './errors.js';
import { healthSchema, idleSchema, restartSchema } from './schema.js';
import { humanMs } from './wording.js';

type Origin = 'here' | 'defaults' | 'built-in';
interface Effective {
  readonly value: number;
  readonly origin: Origin;
}

interface Rule {
  readonly group: 'restart' | 'health';
  /** The key that must be the smaller one. */
  readonly low: string;
  readonly high: string;
  readonly strict: boolean;
  /** The key the message is about when the section sets both. */
  readonly subject: 'low' | 'high';
  readonly why: string;
}

const RULES: readonly Rule[] = [
  {
    group: 'restart',
    low: 'initialBackoffMs',
    high: 'maxBackoffMs',
    strict: false,
    subject: 'high',
    why: 'the backoff starts at initialBackoffMs and doubles up to maxBackoffMs',
  },
  {
    group: 'health',
    low: 'timeoutMs',
    high: 'intervalMs',
    strict: true,
    subject: 'low',
    why: 'a health check must time out before the next one is due',
  },
];

const GROUP_SCHEMAS = { restart: restartSchema, health: healthSchema } as const;

export function crossFieldIssues(raw: unknown): PathIssue[] {
  const issues: PathIssue[] = [];
  const defaults = member(raw, 'defaults');
  issues.push(...checkSection(['defaults'], defaults, undefined));
  const plugins = member(raw, 'plugins');
  if (isObject(plugins)) {
    for (const name of Object.keys(plugins)) issues.push(...checkSection(['plugins', name], plugins[name], defaults));
  }
  issues.push(...idleIssues(member(raw, 'idle')));
  return issues;
}

const NAP_WHY = 'the machine is sampled once per check interval, so a shorter nap could never be observed';

function idleIssues(idle: unknown): PathIssue[] {
  if (!isObject(idle)) return [];
  const issues: PathIssue[] = [];
  const nap = idleMs(idle, 'napTimeMs');
  const interval = idleMs(idle, 'checkIntervalMs');
  if (nap !== 'invalid' && interval !== 'invalid') {
    const napMs = nap === 'absent' ? DEFAULT_IDLE_SETTINGS.napTimeMs : nap;
    const intervalMs = interval === 'absent' ? DEFAULT_IDLE_SETTINGS.checkIntervalMs : interval;
    if (intervalMs > napMs) {
      const napText = `${msText(napMs)}${nap === 'absent' ? ', the built-in default' : ''}`;
      const intervalText = `${msText(intervalMs)}${interval === 'absent' ? ', the built-in default' : ''}`;
      issues.push(
        interval === 'absent'
          ? { path: ['idle', 'napTimeMs'], at: 'value', message: `must be ≥ checkIntervalMs (${intervalText}), saw ${msText(napMs)}: ${NAP_WHY}` }
          : { path: ['idle', 'checkIntervalMs'], at: 'value', message: `must be ≤ napTimeMs (${napText}), saw ${msText(intervalMs)}: ${NAP_WHY}` },
      );
    }
  }
  issues.push(...duplicateCheckNames(member(idle, 'checks')));
  issues.push(...bothLoadThresholds(member(idle, 'thresholds')));
  return issues;
}

/** load1 and load1PerCore measure one thing two ways; with both, which one decides would be a guess. */
function bothLoadThresholds(thresholds: unknown): PathIssue[] {
  const absolute = member(thresholds, 'load1');
  const perCore = member(thresholds, 'load1PerCore');
  if (typeof absolute !== 'number' || typeof perCore !== 'number') return [];
  return [
    {
      path: ['idle', 'thresholds', 'load1PerCore'],
      at: 'key',
      message:
        `cannot be set together with load1 (${absolute}): load1PerCore replaces the absolute threshold; ` +
        `keep one of them (load1PerCore ${perCore} is a load of ${perCore} per CPU, load1 the load of the whole machine)`,
    },
  ];
}

/** Check names label their signal (check:<name>), so two checks with one name would be indistinguishable. */
function duplicateCheckNames(checks: unknown): PathIssue[] {
  if (!Array.isArray(checks)) return [];
  const issues: PathIssue[] = [];
  const first = new Map<string, number>();
  checks.forEach((check: unknown, index) => {
    const name = member(check, 'name');
    if (typeof name !== 'string' || name === '') return;
    const seen = first.get(name);
    if (seen === undefined) first.set(name, index);
    else {
      issues.push({
        path: ['idle', 'checks', index, 'name'],
        at: 'value',
        message: `duplicate check name "${name}": idle.checks[${seen}] has it already; each check needs its own name (it labels the signal check:${name})`,
      });
    }
  });
  return issues;
}

function idleMs(idle: Record<string, unknown>, key: 'napTimeMs' | 'checkIntervalMs'): number | 'absent' | 'invalid' {
  const value = member(idle, key);
  if (value === undefined) return 'absent';
  return typeof value === 'number' && idleSchema.shape[key].safeParse(value).success ? value : 'invalid';
}

function msText(ms: number): string {
  return `${ms} = ${humanMs(ms)}`;
}

/**
 * The interval ≤ nap rule for a nap time from SNOOZEBOT_IDLE_NAP_TIME_MS,
 * against the file's (valid) interval. Reported on the variable: the file is
 * fine on its own.
 */
export function idleOverrideIssues(
  fileIdle: { readonly checkIntervalMs?: number | undefined } | undefined,
  napTimeMs: number | undefined,
  variable: string,
): ConfigIssue[] {
  if (napTimeMs === undefined) return [];
  const fromFile = fileIdle?.checkIntervalMs;
  const intervalMs = fromFile ?? DEFAULT_IDLE_SETTINGS.checkIntervalMs;
  if (intervalMs <= napTimeMs) return [];
  const origin = fromFile === undefined ? ', the built-in default' : ', from the file';
  return [
    {
      path: variable,
      line: 0,
      column: 0,
      message: `must be ≥ idle.checkIntervalMs (${msText(intervalMs)}${origin}), saw ${msText(napTimeMs)}: ${NAP_WHY}`,
    },
  ];
}

function checkSection(path: readonly string[], section: unknown, defaults: unknown): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const rule of RULES) {
    const low = effective(rule, rule.low, section, defaults);
    const high = effective(rule, rule.high, section, defaults);
    if (low === undefined || high === undefined) continue;
    // Inherited on both sides: reported where they were set (or they are built-in and fine).
    if (low.origin !== 'here' && high.origin !== 'here') continue;
    const ok = rule.strict ? low.value < high.value : low.value <= high.value;
    if (ok) continue;
    const aboutHigh = high.origin === 'here' && (rule.subject === 'high' || low.origin !== 'here');
    if (aboutHigh) {
      issues.push({
        path: [...path, rule.group, rule.high],
        at: 'value',
        message: `must be ${rule.strict ? 'greater than' : '≥'} ${rule.low} (${describe(low, rule, rule.low)}): ${rule.why}`,
      });
    } else {
      issues.push({
        path: [...path, rule.group, rule.low],
        at: 'value',
        message: `must be ${rule.strict ? 'less than' : '≤'} ${rule.high} (${describe(high, rule, rule.high)}): ${rule.why}`,
      });
    }
  }
  return issues;
}

function describe(found: Effective, rule: Rule, key: string): string {
  if (found.origin === 'here') return String(found.value);
  if (found.origin === 'defaults') return `${found.value}, from defaults.${rule.group}.${key}`;
  return `${found.value}, the built-in default`;
}

/** The value a section ends up with for one key; undefined if a layer holds an invalid value. */
function effective(rule: Rule, key: string, section: unknown, defaults: unknown): Effective | undefined {
  const own = validNumber(rule, key, section);
  if (own !== 'absent') return own === 'invalid' ? undefined : { value: own, origin: 'here' };
  if (defaults !== undefined) {
    const inherited = validNumber(rule, key, defaults);
    if (inherited !== 'absent') return inherited === 'invalid' ? undefined : { value: inherited, origin: 'defaults' };
  }
  const builtIn = DEFAULT_PLUGIN_SETTINGS[rule.group] as unknown as Record<string, number>;
  const value = builtIn[key];
  return value === undefined ? undefined : { value, origin: 'built-in' };
}

function validNumber(rule: Rule, key: string, section: unknown): number | 'absent' | 'invalid' {
  const group = member(section, rule.group);
  if (group === undefined) return 'absent';
  if (!isObject(group)) return 'invalid';
  const value = member(group, key);
  if (value === undefined) return 'absent';
  const schema = GROUP_SCHEMAS[rule.group].shape as Record<string, { safeParse(value: unknown): { success: boolean } }>;
  const field = schema[key];
  return typeof value === 'number' && field !== undefined && field.safeParse(value).success ? value : 'invalid';
}

function member(value: unknown, key: string): unknown {
  return isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
