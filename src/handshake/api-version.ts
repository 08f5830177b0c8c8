/**
 * The CloudProvider API version (GetAPIVersion), separate from the app
 * protocol version of the handshake line.
 *
 * The Go snoozebot versions its plugin API semantically (its
 * pkg/plugin/version: CurrentVersion "0.1.0") and its version.IsCompatible
 * takes a plugin whose major equals the host's and whose minor is not above
 * the host's. Its plugins and ours are wire-identical, so both sides here use
 * the same number and the same rule: our plugins answer "0.1.0", which that
 * check accepts, and our host applies the rule to whatever a plugin answers.
 *
 * Two answers are not semantic versions and still load:
 * - "1", what earlier builds of snoozebot's own plugins answered for this
 *   very API;
 * - no answer at all: the Go snoozebot guide's glue (GRPCCloudProviderServer)
 *   does not implement GetAPIVersion, so its plugins answer UNIMPLEMENTED.
 *   They speak the API all the same ("unversioned").
 */

/** The plugin API this snoozebot speaks (the Go snoozebot's CurrentAPIVersion). */
export const API_VERSION = '0.1.0';

/** What earlier builds of snoozebot's own plugins answered: the same API under a plain number. */
export const LEGACY_API_VERSION = '1';

export interface ApiVersionNumber {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export type ApiVersionVerdict =
  /** Loads. `text` is what `plugins info` shows. */
  | { readonly kind: 'compatible'; readonly version: string; readonly text: string }
  /** Loads: the plugin has no GetAPIVersion (or answered nothing). */
  | { readonly kind: 'unversioned'; readonly version: null; readonly text: string }
  /** Does not load; `reason` names both versions. */
  | { readonly kind: 'incompatible'; readonly version: string; readonly text: string; readonly reason: string };

const PART = /^[0-9]{1,9}$/;

/**
 * MAJOR.MINOR or MAJOR.MINOR.PATCH, decimal, as the Go snoozebot's
 * ParseVersion reads it (which also takes signs; we do not). Undefined when
 * `text` is not one.
 */
export function parseApiVersion(text: string): ApiVersionNumber | undefined {
  const parts = text.split('.');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PART.test(p))) return undefined;
  const [major, minor, patch] = parts.map(Number);
  return { major: major as number, minor: minor as number, patch: patch ?? 0 };
}

/** The Go snoozebot's version.IsCompatible: same major, plugin minor not above the host's. */
export function isApiCompatible(plugin: ApiVersionNumber, host: ApiVersionNumber): boolean {
  return plugin.major === host.major && plugin.minor <= host.minor;
}

/** Shown for a plugin that answers GetAPIVersion with UNIMPLEMENTED. */
export const UNVERSIONED_TEXT = 'unversioned (plugin does not implement GetAPIVersion)';

/**
 * Host side: what to make of a plugin's GetAPIVersion answer; `null` means
 * the plugin does not implement the method. `host` is for tests.
 */
export function judgeApiVersion(answer: string | null, host: string = API_VERSION): ApiVersionVerdict {
  if (answer === null) return { kind: 'unversioned', version: null, text: UNVERSIONED_TEXT };
  const trimmed = answer.trim();
  if (trimmed === '') return { kind: 'unversioned', version: null, text: 'unversioned (plugin answers GetAPIVersion with an empty version)' };
  if (trimmed === LEGACY_API_VERSION) {
    return { kind: 'compatible', version: trimmed, text: `${trimmed} (earlier snoozebot plugins; the same API as ${API_VERSION})` };
  }
  const ours = parseApiVersion(host);
  if (ours === undefined) throw new RangeError(`the host's API version ${JSON.stringify(host)} is not MAJOR.MINOR[.PATCH]`);
  const shown = JSON.stringify(trimmed.length > 40 ? `${trimmed.slice(0, 39)}…` : trimmed);
  const theirs = parseApiVersion(trimmed);
  if (theirs === undefined) {
    return {
      kind: 'incompatible',
      version: trimmed,
      text: `${shown} (not a version)`,
      reason: `GetAPIVersion answered ${shown}, which is not a version (expected MAJOR.MINOR[.PATCH], e.g. "${API_VERSION}")`,
    };
  }
  if (isApiCompatible(theirs, ours)) return { kind: 'compatible', version: trimmed, text: trimmed };
  const range = ours.minor === 0 ? `${ours.major}.0` : `${ours.major}.0 to ${ours.major}.${ours.minor}`;
  const fix =
    theirs.major === ours.major
      ? 'upgrade snoozebot, or rebuild the plugin against an older API'
      : theirs.major > ours.major
        ? 'upgrade snoozebot'
        : 'rebuild the plugin against the current API';
  return {
    kind: 'incompatible',
    version: trimmed,
    text: `${trimmed} (incompatible)`,
    reason: `plugin API ${trimmed} is not compatible with this snoozebot's API ${host}, which loads API ${range} (same major, minor not above its own); ${fix}`,
  };
}
