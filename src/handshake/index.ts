/** Public API of the handshake: pure functions, no I/O. */

export {
  CORE_PROTOCOL_VERSION,
  ENV,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  NOT_A_PLUGIN_MESSAGE,
} from './constants.js';
export { HANDSHAKE_ERROR_CODES, HandshakeError, isHandshakeError } from './errors.js';
export type { HandshakeErrorCode, HandshakeErrorDetails } from './errors.js';
export { formatHandshake, parseHandshake } from './line.js';
export type { Handshake, Network } from './line.js';
export { checkCookie, GO_PLUGIN_COOKIE_NOTICE, recognizeCookieNotice } from './cookie.js';
export type { CookieNotice } from './cookie.js';
export { checkAppVersion, chooseVersion, negotiateVersion, parseProtocolVersions } from './versions.js';
export type { VersionChoice } from './versions.js';
export {
  API_VERSION,
  LEGACY_API_VERSION,
  UNVERSIONED_TEXT,
  isApiCompatible,
  judgeApiVersion,
  parseApiVersion,
} from './api-version.js';
export type { ApiVersionNumber, ApiVersionVerdict } from './api-version.js';
