/**
 * The one error type the handshake code throws for bad input. Callers branch
 * on `code`, which is stable; the message is for humans and may change.
 */

import { clip, quoteForDisplay } from './quote.js';

export const HANDSHAKE_ERROR_CODES = [
  'HANDSHAKE_EMPTY',
  'HANDSHAKE_MALFORMED',
  'HANDSHAKE_CORE_VERSION',
  'HANDSHAKE_APP_VERSION',
  'HANDSHAKE_NETWORK',
  'HANDSHAKE_ADDRESS',
  'HANDSHAKE_PROTOCOL',
  'HANDSHAKE_NETRPC',
  'HANDSHAKE_CERT',
  'COOKIE_MISSING',
  'COOKIE_MISMATCH',
  'VERSIONS_INVALID',
  'VERSIONS_NO_MATCH',
] as const;

export type HandshakeErrorCode = (typeof HANDSHAKE_ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(HANDSHAKE_ERROR_CODES);

// Caps per message part. With the quoted value bounded by quoteForDisplay
// (about 100 chars) the whole message stays under 400 characters, so even a
// hostile plugin cannot flood the host's logs through an error.
const FIELD_MAX = 40;
const EXPECTED_MAX = 120;
const HINT_MAX = 120;

export interface HandshakeErrorDetails {
  code: HandshakeErrorCode;
  /** Which part of the input was wrong, e.g. `appVersion` or an env var name. */
  field: string;
  /**
   * The offending value, raw: strings are quoted and cut here, numbers shown
   * as they are, and `undefined` means the value was absent.
   */
  seen: string | number | undefined;
  expected: string;
  hint?: string;
}

export class HandshakeError extends Error {
  readonly code: HandshakeErrorCode;
  readonly field: string;
  /**
   * The offending value as shown in the message: a JSON-quoted and possibly
   * cut string, a bare number, or the word `nothing` when it was absent.
   */
  readonly seen: string;
  readonly expected: string;
  readonly hint: string | undefined;

  constructor(details: HandshakeErrorDetails) {
    const field = clip(details.field, FIELD_MAX);
    const seen = renderSeen(details.seen);
    const expected = clip(details.expected, EXPECTED_MAX);
    const hint = details.hint === undefined ? undefined : clip(details.hint, HINT_MAX);
    super(`${field}: saw ${seen}, expected ${expected}` + (hint === undefined ? '' : `. ${hint}`));
    this.name = 'HandshakeError';
    this.code = details.code;
    this.field = field;
    this.seen = seen;
    this.expected = expected;
    this.hint = hint;
  }
}

function renderSeen(seen: string | number | undefined): string {
  if (seen === undefined) return 'nothing';
  if (typeof seen === 'number') return String(seen);
  return quoteForDisplay(seen);
}

/**
 * Also accepts look-alikes by shape, because a bundled build can end up with
 * two copies of this module and then `instanceof` alone gives false negatives.
 */
export function isHandshakeError(e: unknown): e is HandshakeError {
  if (e instanceof HandshakeError) return true;
  if (!(e instanceof Error) || e.name !== 'HandshakeError') return false;
  const code: unknown = (e as { code?: unknown }).code;
  return typeof code === 'string' && KNOWN_CODES.has(code);
}
