/**
 * The magic cookie check a plugin makes before doing anything else, so that
 * a person running the binary by hand gets told what it is (see
 * NOT_A_PLUGIN_MESSAGE) instead of a process that sits waiting for a host.
 */

import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, NOT_A_PLUGIN_MESSAGE } from './constants.js';
import { HandshakeError } from './errors.js';

/**
 * Throws unless `env` carries snoozebot's magic cookie. Only the cookie's own
 * value is ever echoed (cut short): the rest of the environment may hold
 * credentials.
 */
export function checkCookie(env: Readonly<Record<string, string | undefined>>): void {
  const value = env[MAGIC_COOKIE_KEY];
  if (value === MAGIC_COOKIE_VALUE) return;
  const expected = JSON.stringify(MAGIC_COOKIE_VALUE);
  // go-plugin cannot tell unset from empty (os.Getenv); both mean "not
  // started by a host".
  if (value === undefined || value === '') {
    throw new HandshakeError({
      code: 'COOKIE_MISSING',
      field: MAGIC_COOKIE_KEY,
      seen: value,
      expected,
      hint: 'This is a snoozebot plugin; let `snoozebot daemon` start it',
    });
  }
  throw new HandshakeError({
    code: 'COOKIE_MISMATCH',
    field: MAGIC_COOKIE_KEY,
    // String() guards plain-JS callers handing in non-string values.
    seen: String(value),
    expected,
    hint: 'The plugin was started by a different program or an incompatible snoozebot',
  });
}

/**
 * The first line of the notice go-plugin's Serve() prints (then exit 1) when
 * its magic cookie is missing or different. It names no cookie, so a plugin
 * printing it despite our cookie wants another application's.
 */
export const GO_PLUGIN_COOKIE_NOTICE = 'This binary is a plugin. These are not meant to be executed directly.';

export type CookieNotice = 'go-plugin' | 'snoozebot';

/**
 * Which refusal notice, if any, a plugin's stderr lines hold: go-plugin's
 * (any Go plugin, ours or another application's) or our SDK's.
 */
export function recognizeCookieNotice(stderrLines: readonly string[]): CookieNotice | undefined {
  const snoozebot = NOT_A_PLUGIN_MESSAGE.split('\n')[0] as string;
  for (const line of stderrLines) {
    if (line.includes(GO_PLUGIN_COOKIE_NOTICE)) return 'go-plugin';
    if (line.includes(snoozebot)) return 'snoozebot';
  }
  return undefined;
}
