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
export { checkCookie } from './cookie.js';
export { checkAppVersion, negotiateVersion, parseProtocolVersions } from './versions.js';
