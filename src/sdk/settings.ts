// Reading a plugin's settings from its environment (the daemon passes each
// plugin's configured variables through). Pure: the cloud plugins' config.ts
// files are a list of calls to these, and a bad value becomes a warning the
// plugin logs at start rather than a crash: the plugin still serves, and the
// call that needs the setting says what is wrong.

export type Env = Readonly<Record<string, string | undefined>>;

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['', '0', 'false', 'no', 'off']);

/** A boolean setting; undefined when the value is neither true nor false. */
export function parseFlag(value: string | undefined): boolean | undefined {
  const word = (value ?? '').trim().toLowerCase();
  if (TRUE.has(word)) return true;
  if (FALSE.has(word)) return false;
  return undefined;
}

/** The trimmed value, or undefined when unset or blank. */
export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

/** "Key=Value", split at the first "="; undefined when either side is empty. */
export function parseKeyValue(value: string): KeyValue | undefined {
  const at = value.indexOf('=');
  const key = at < 0 ? '' : value.slice(0, at).trim();
  const rest = at < 0 ? '' : value.slice(at + 1).trim();
  return key === '' || rest === '' ? undefined : { key, value: rest };
}

/** Reads settings from `env`, collecting a warning for each value it had to replace. */
export class SettingsReader {
  readonly warnings: string[] = [];
  readonly #env: Env;

  constructor(env: Env) {
    this.#env = env;
  }

  text(name: string): string | undefined {
    return nonEmpty(this.#env[name]);
  }

  flag(name: string, fallback = false): boolean {
    if (this.text(name) === undefined) return fallback;
    const parsed = parseFlag(this.#env[name]);
    if (parsed === undefined) {
      this.warnings.push(`${name}=${JSON.stringify(this.#env[name])} is neither true nor false; taking ${fallback}`);
      return fallback;
    }
    return parsed;
  }

  positiveInt(name: string, fallback: number): number {
    const setting = this.text(name);
    if (setting === undefined) return fallback;
    const parsed = Number(setting);
    if (Number.isInteger(parsed) && parsed > 0) return parsed;
    this.warnings.push(`${name}=${JSON.stringify(setting)} is not a positive whole number; using ${fallback}`);
    return fallback;
  }

  /** One of `allowed` (compared without case); anything else is the fallback with a warning. */
  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const setting = this.text(name)?.toLowerCase();
    if (setting === undefined) return fallback;
    const found = allowed.find((a) => a === setting);
    if (found !== undefined) return found;
    this.warnings.push(`${name}=${JSON.stringify(setting)} is not one of ${allowed.join(', ')}; using ${fallback}`);
    return fallback;
  }

  /** An http(s) URL without a trailing slash; anything else is undefined with a warning. */
  url(name: string): string | undefined {
    const setting = this.text(name);
    if (setting === undefined) return undefined;
    try {
      const parsed = new URL(setting);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return setting.replace(/\/+$/, '');
    } catch {
      // reported below
    }
    this.warnings.push(`${name}=${JSON.stringify(setting)} is not an http:// or https:// URL; ignoring it`);
    return undefined;
  }
}
