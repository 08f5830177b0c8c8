// Finds the handshake among a plugin's first stdout lines. A line that starts
// like one ("<digits>|") is parsed and must be valid; other lines (a banner, a
// library's chatter) are noise, logged and kept for the error message should
// the handshake never come.
import { checkAppVersion, parseHandshake } from '../handshake/index.js';
import type { Handshake } from '../handshake/index.js';
import type { Line } from './line-splitter.js';

export type ScanResult =
  | { readonly kind: 'noise'; readonly text: string }
  /** A line longer than the reader's cap: no handshake is that long. */
  | { readonly kind: 'overflow'; readonly text: string }
  | { readonly kind: 'handshake'; readonly handshake: Handshake };

const LOOKS_LIKE_HANDSHAKE = /^\s*\d+\|/;

/** Throws HandshakeError for a line that claims to be a handshake but is not a valid one. */
export function scanStdoutLine(line: Line, offeredVersions: readonly number[]): ScanResult {
  if (line.truncated) return { kind: 'overflow', text: line.text };
  if (!LOOKS_LIKE_HANDSHAKE.test(line.text)) return { kind: 'noise', text: line.text };
  const handshake = parseHandshake(line.text);
  checkAppVersion(handshake.appVersion, offeredVersions);
  return { kind: 'handshake', handshake };
}
