// Rules that relate two keys. They are checked on what each plugin will
// actually run with (built-in ⊕ defaults ⊕ its own section), because a plugin
// that sets only maxBackoffMs can still end up below a defaults-section
// initialBackoffMs. They run on the raw value even when other keys are wrong,
// so all problems come out together; a value that is itself invalid is left
// to its own message.
import { DEFAULT_PLUGIN_SETTINGS } from './defaults.js';
import type { PathIssue } from './errors.js';
import { healthSchema, restartSchema } from './schema.js';

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
  return issues;
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
