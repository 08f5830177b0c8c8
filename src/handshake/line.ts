/**
 * The handshake line, in plain words.
 *
 * A snoozebot host starts a plugin as a child process. The plugin starts a
 * gRPC server on a unix socket (or on a localhost TCP port where unix sockets
 * are unavailable) and then tells the host where to find it by printing one
 * line on stdout:
 *
 *     CORE | APP | NETWORK | ADDRESS | PROTOCOL | CERT
 *     1|1|unix|/tmp/plugin123|grpc|
 *
 * - CORE is the version of this line's layout. It is always 1.
 * - APP is the plugin API version the plugin picked from the list the host
 *   offered in PLUGIN_PROTOCOL_VERSIONS (see versions.ts).
 * - NETWORK and ADDRESS say where to connect: `unix` and a socket path, or
 *   `tcp` and host:port.
 * - PROTOCOL is `grpc`. go-plugin also knows Go's net/rpc, which only Go can
 *   speak, so snoozebot refuses it.
 * - CERT is the plugin's TLS certificate when the host asked for mutual TLS:
 *   the DER bytes in base64 without padding, because PEM has newlines and
 *   the whole message must fit on one line. Otherwise it is empty.
 *
 * After that line, the host dials the address and everything else happens
 * over gRPC. The layout and quirks here follow go-plugin 1.0.1 (server.go
 * prints the line, client.go's Start() reads it) so that plugins written with
 * the Go SDK work unchanged.
 */

import { CORE_PROTOCOL_VERSION } from './constants.js';
import { HandshakeError } from './errors.js';

export type Network = 'unix' | 'tcp';

export interface Handshake {
  coreVersion: number;
  appVersion: number;
  network: Network;
  address: string;
  protocol: 'grpc';
  /** Base64 of the DER certificate, normalised to unpadded (RawStdEncoding). */
  serverCert?: string;
}

const EXAMPLE_LINE = '"1|1|unix|/tmp/plugin123|grpc|"';

// go-plugin splits into at most 6 parts, so a 6th field may itself contain '|'.
const MAX_PARTS = 6;

// go-plugin only looks at a 6th field longer than this (in bytes): some older
// servers put unrelated "extra" data there, and a real certificate is always
// much longer.
const CERT_MIN_BYTES = 51;

const DIGITS = /^[0-9]+$/;

/**
 * Writes the line a plugin prints, field for field as go-plugin's server
 * does (always six fields, no trailing newline). Unlike go-plugin it refuses
 * values the host would then reject or misread, so a plugin author sees the
 * problem at its source rather than as a puzzling host-side error.
 */
export function formatHandshake(h: {
  appVersion: number;
  network: Network;
  address: string;
  serverCert?: string;
}): string {
  if (!Number.isSafeInteger(h.appVersion) || h.appVersion < 1) {
    throw new HandshakeError({
      code: 'HANDSHAKE_APP_VERSION',
      field: 'appVersion',
      seen: h.appVersion,
      expected: 'a positive integer',
    });
  }
  const network = checkNetwork(h.network);
  checkAddress(network, h.address);
  let cert = '';
  if (h.serverCert !== undefined && h.serverCert !== '') {
    cert = checkCert(h.serverCert);
    if (!utf8LengthAtLeast(cert, CERT_MIN_BYTES)) {
      throw new HandshakeError({
        code: 'HANDSHAKE_CERT',
        field: 'serverCert',
        seen: h.serverCert,
        expected: `base64 DER longer than ${CERT_MIN_BYTES - 1} characters`,
        hint: 'go-plugin hosts ignore a shorter 6th field, so mTLS would silently fail',
      });
    }
  }
  return [CORE_PROTOCOL_VERSION, h.appVersion, network, h.address, 'grpc', cert].join('|');
}

/**
 * Reads the line a plugin printed, with go-plugin client's rules. It only
 * checks the line's own consistency; whether the app version is one the host
 * offered is checkAppVersion's job, since only the host knows its list.
 */
export function parseHandshake(line: string): Handshake {
  const trimmed = trimGoSpace(line);
  if (trimmed === '') {
    throw new HandshakeError({
      code: 'HANDSHAKE_EMPTY',
      field: 'line',
      seen: line,
      expected: `a handshake like ${EXAMPLE_LINE}`,
      hint: 'The plugin printed a blank line before its handshake',
    });
  }

  const parts = splitN(trimmed, '|', MAX_PARTS);
  const [core, app, rawNetwork, address] = parts;
  if (core === undefined || app === undefined || rawNetwork === undefined || address === undefined) {
    throw new HandshakeError({
      code: 'HANDSHAKE_MALFORMED',
      field: 'line',
      seen: line,
      expected: `at least 4 '|'-separated fields like ${EXAMPLE_LINE}`,
      hint: 'The plugin may print other output before its handshake, or not be a plugin',
    });
  }

  if (!DIGITS.test(core) || Number(core) !== CORE_PROTOCOL_VERSION) {
    throw new HandshakeError({
      code: 'HANDSHAKE_CORE_VERSION',
      field: 'coreVersion',
      seen: core,
      expected: JSON.stringify(String(CORE_PROTOCOL_VERSION)),
      hint: 'To fix this, rebuild the plugin against a go-plugin–compatible SDK',
    });
  }

  const appVersion = Number(app);
  if (!DIGITS.test(app) || !Number.isSafeInteger(appVersion) || appVersion < 1) {
    throw new HandshakeError({
      code: 'HANDSHAKE_APP_VERSION',
      field: 'appVersion',
      seen: app,
      expected: 'a positive decimal integer',
    });
  }

  const network = checkNetwork(rawNetwork);
  checkAddress(network, address);
  checkProtocol(parts[4]);

  const handshake: Handshake = {
    coreVersion: CORE_PROTOCOL_VERSION,
    appVersion,
    network,
    address,
    protocol: 'grpc',
  };
  const cert = parts[5];
  if (cert !== undefined && utf8LengthAtLeast(cert, CERT_MIN_BYTES)) {
    handshake.serverCert = checkCert(cert);
  }
  return handshake;
}

function checkNetwork(network: string): Network {
  if (network === 'unix' || network === 'tcp') return network;
  throw new HandshakeError({
    code: 'HANDSHAKE_NETWORK',
    field: 'network',
    seen: network,
    expected: '"unix" or "tcp"',
  });
}

// Controls (NUL included) and unpaired surrogates cannot name a socket a
// client could dial, and are a sign the plugin printed garbage.
const BAD_ADDRESS_CHAR = /[\p{Cc}\p{Cs}|]/u;
const HOSTNAME = /^[A-Za-z0-9._-]+$/;
// Bracketed IPv6, optionally with a zone such as %eth0.
const BRACKETED_IPV6 = /^\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9._~-]+)?\]$/;

function checkAddress(network: Network, address: string): void {
  if (network === 'unix') {
    if (address !== '' && !BAD_ADDRESS_CHAR.test(address)) return;
    throw new HandshakeError({
      code: 'HANDSHAKE_ADDRESS',
      field: 'address',
      seen: address,
      expected: 'a unix socket path without control characters, e.g. "/tmp/plugin123"',
    });
  }
  // Split at the last colon, as Go's SplitHostPort does; an unbracketed IPv6
  // host therefore leaves colons in the host part and is rejected.
  const colon = address.lastIndexOf(':');
  const host = colon < 0 ? '' : address.slice(0, colon);
  const port = colon < 0 ? '' : address.slice(colon + 1);
  const hostOk = HOSTNAME.test(host) || BRACKETED_IPV6.test(host);
  const portNumber = Number(port);
  const portOk = /^[0-9]{1,5}$/.test(port) && portNumber >= 1 && portNumber <= 65535;
  if (hostOk && portOk) return;
  throw new HandshakeError({
    code: 'HANDSHAKE_ADDRESS',
    field: 'address',
    seen: address,
    expected: 'host:port with a port from 1 to 65535, e.g. "127.0.0.1:1234"',
  });
}

function checkProtocol(protocol: string | undefined): void {
  if (protocol === 'grpc') return;
  // go-plugin reads a missing 5th field as net/rpc: servers older than its
  // gRPC support did not print one.
  if (protocol === undefined || protocol === 'netrpc') {
    throw new HandshakeError({
      code: 'HANDSHAKE_NETRPC',
      field: 'protocol',
      seen: protocol,
      expected: '"grpc"',
      hint: 'net/rpc plugins are not supported; serve the plugin with gRPC',
    });
  }
  throw new HandshakeError({
    code: 'HANDSHAKE_PROTOCOL',
    field: 'protocol',
    seen: protocol,
    expected: '"grpc"',
  });
}

const BASE64_BODY = /^[A-Za-z0-9+/]*$/;

/**
 * Checks the certificate's base64 shape and returns it without padding. go-plugin
 * writes it unpadded but padding is accepted, since other SDKs may add it.
 * The DER inside is left to the TLS layer, which has to parse it anyway.
 */
function checkCert(cert: string): string {
  let body = cert;
  if (body.endsWith('=')) body = body.slice(0, -1);
  if (body.endsWith('=')) body = body.slice(0, -1);
  const padded = body.length !== cert.length;
  const ok =
    BASE64_BODY.test(body) &&
    body.length > 0 &&
    body.length % 4 !== 1 &&
    (!padded || cert.length % 4 === 0);
  if (ok) return body;
  throw new HandshakeError({
    code: 'HANDSHAKE_CERT',
    field: 'serverCert',
    seen: cert,
    expected: 'a base64-encoded DER certificate',
  });
}

// unicode.IsSpace, which go-plugin's strings.TrimSpace uses. JavaScript's
// trim() differs slightly (it trims U+FEFF but not U+0085).
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

// Index scanning rather than a /\s+$/ regex, which backtracks quadratically
// on long runs of interior whitespace.
function trimGoSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && GO_SPACE.test(s.charAt(start))) start++;
  while (end > start && GO_SPACE.test(s.charAt(end - 1))) end--;
  return s.slice(start, end);
}

/** Like Go's strings.SplitN: the last part keeps any remaining separators. */
function splitN(s: string, sep: string, n: number): string[] {
  const parts: string[] = [];
  let from = 0;
  while (parts.length < n - 1) {
    const at = s.indexOf(sep, from);
    if (at < 0) break;
    parts.push(s.slice(from, at));
    from = at + sep.length;
  }
  parts.push(s.slice(from));
  return parts;
}

/**
 * Whether `s` takes at least `min` bytes in UTF-8. go-plugin measures the 6th
 * field in bytes, so counting UTF-16 units would disagree on non-ASCII input.
 */
function utf8LengthAtLeast(s: string, min: number): boolean {
  let bytes = 0;
  for (let i = 0; i < s.length && bytes < min; i++) {
    const unit = s.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(s.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3; // includes lone surrogates, which decode to U+FFFD
  }
  return bytes >= min;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
