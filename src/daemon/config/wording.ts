// How values and key paths appear in messages: short, quoted like the
// operator wrote them, never a dump of a whole object.

const SIMPLE_SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** ["plugins", "aws", "restart"] → plugins.aws.restart; odd plugin names are quoted: plugins["my.plugin"]; list indexes: idle.checks[0]. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (SIMPLE_SEGMENT.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return 'an object';
}

/** 3_600_000 → "1 h", 604_800_000 → "7 days"; used to make millisecond bounds readable. */
export function humanMs(ms: number): string {
  // Whole days beyond one: "168 h" would have to be divided in the reader's head.
  if (ms > 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000} days`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
