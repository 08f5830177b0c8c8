/**
 * App protocol version negotiation. The host lists every plugin API version
 * it can speak in PLUGIN_PROTOCOL_VERSIONS; the plugin picks one and reports
 * it in its handshake line; the host then checks the plugin's pick.
 */

import { ENV } from './constants.js';
import { HandshakeError } from './errors.js';
import { formatVersionList } from './quote.js';

const DIGITS = /^[0-9]+$/;

/**
 * Parses the host's version list, e.g. "1,2" or " 1 , 2 ". Returns the
 * versions ascending without duplicates, since order carries no meaning.
 * An absent or blank value gives [], meaning a legacy host that sent no list.
 *
 * go-plugin skips entries it cannot parse; we refuse the whole value instead,
 * because a host that sends junk is broken and guessing hides that.
 */
export function parseProtocolVersions(value: string | undefined): number[] {
  if (value === undefined || value.trim() === '') return [];
  const versions = new Set<number>();
  const entries = value.split(',');
  for (let i = 0; i < entries.length; i++) {
    const entry = (entries[i] ?? '').trim();
    const version = Number(entry);
    if (!DIGITS.test(entry) || !Number.isSafeInteger(version) || version < 1) {
      throw new HandshakeError({
        code: 'VERSIONS_INVALID',
        field: ENV.protocolVersions,
        seen: value,
        expected: 'comma-separated positive integers, e.g. "1,2"',
        hint: `Entry ${i + 1} is not a positive integer`,
      });
    }
    versions.add(version);
  }
  return [...versions].sort((a, b) => a - b);
}

/**
 * Plugin side: picks the app version to serve, like go-plugin server.go's
 * protocolVersion(): the highest version both sides support. Unlike
 * go-plugin, which serves its fallback anyway and leaves the host to notice,
 * no overlap throws, because the plugin can then explain which side is old.
 *
 * `supported` comes from the plugin's own code, so a bad list is a
 * programming error and throws RangeError rather than HandshakeError.
 */
export function negotiateVersion(offered: string | undefined, supported: readonly number[]): number {
  if (supported.length === 0 || !supported.every((v) => Number.isSafeInteger(v) && v >= 1)) {
    throw new RangeError(`supported versions must be positive integers, got ${formatVersionList(supported)}`);
  }
  const ours = [...new Set(supported)].sort((a, b) => a - b);
  const theirs = parseProtocolVersions(offered);
  // A legacy host sends no list. go-plugin 1.0.1 then serves its lowest
  // configured version; we serve our newest, and the host's own version check
  // (checkAppVersion on its side) still catches a mismatch.
  if (theirs.length === 0) return ours[ours.length - 1] as number;

  const common = ours.filter((v) => theirs.includes(v));
  const best = common[common.length - 1];
  if (best !== undefined) return best;
  throw new HandshakeError({
    code: 'VERSIONS_NO_MATCH',
    field: ENV.protocolVersions,
    seen: offered,
    expected: `one of the plugin's versions ${formatVersionList(ours)}`,
    hint: 'Host and plugin share no plugin API version; upgrade the older one',
  });
}

export interface VersionChoice {
  /** The version to print in the handshake line. */
  readonly version: number;
  /** Set when the host offered none of ours: the reason, for the plugin's log. */
  readonly mismatch?: HandshakeError;
}

/**
 * Plugin side, as go-plugin's server does it: the negotiated version, or,
 * when the host offered none of ours, our lowest one anyway (go-plugin's
 * fallback), so that the host names the mismatch itself ("Incompatible API
 * version with plugin. Plugin version: 1, Client versions: [2]") instead of
 * seeing no handshake at all. A host list that is not a list still throws.
 */
export function chooseVersion(offered: string | undefined, supported: readonly number[]): VersionChoice {
  try {
    return { version: negotiateVersion(offered, supported) };
  } catch (error) {
    if (!(error instanceof HandshakeError) || error.code !== 'VERSIONS_NO_MATCH') throw error;
    return { version: Math.min(...supported), mismatch: error };
  }
}

/**
 * Host side: checks the version the plugin chose is one the host offered.
 * go-plugin's client does the same in checkProtoVersion().
 */
export function checkAppVersion(seen: number, offered: readonly number[]): void {
  if (offered.includes(seen)) return;
  throw new HandshakeError({
    code: 'HANDSHAKE_APP_VERSION',
    field: 'appVersion',
    seen,
    expected: `one of the versions the host offered ${formatVersionList(offered)}`,
    hint: 'Host and plugin share no plugin API version; upgrade the older one',
  });
}
